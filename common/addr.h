/*
 * addr.h -- address classification as Let's Encrypt does it.
 *
 * Boulder drops every A/AAAA answer that falls in IANA's IPv4 or IPv6
 * Special-Purpose Address Registry (iana/ip.go IsReservedAddr).  Labs, whose
 * addresses are private, pass the prefixes to treat as public; that list is
 * consulted first, so the filter itself stays testable.
 */
#ifndef VANTAGE_ADDR_H
#define VANTAGE_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ADDR_MAX_PUBLIC_PREFIXES 16

struct addr_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t bytes[16];
	unsigned bits;
};

/* Prefixes to treat as public even though the registry reserves them. */
struct addr_filter {
	struct addr_prefix prefixes[ADDR_MAX_PUBLIC_PREFIXES];
	size_t n;
};

/* Parse "P[,P...]" (e.g. "10.77.0.0/16,fd77::/48") into f (appending).
 * 0, or -1 with a reason in err. */
int addr_filter_parse(struct addr_filter *f, const char *list, char *err, size_t errlen);

/*
 * Is the textual address reserved (and not listed in f, which may be NULL)?
 * If reserved and why is not NULL, *why points at the registry's name for
 * the block, e.g. "[RFC1918]: Private-Use".  Unparseable text is reserved.
 */
bool addr_is_reserved(const char *addr, const struct addr_filter *f, const char **why);

#endif
