/*
 * addr.c -- IANA special-purpose address registries, as Boulder's
 * iana/ip.go IsReservedAddr applies them to every A/AAAA answer and to IP
 * literal redirect targets.
 *
 * The tables are IANA's IPv4 and IPv6 Special-Purpose Address Registries in
 * registry order; the first block containing an address names it, so the
 * reason text matches Boulder's "<RFC>: <name>".  Multicast is in neither
 * registry and so is not reserved here.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

/* Longest prefix text accepted in a filter list ("ffff:...:ffff/128"). */
#define ADDR_PREFIX_TEXT_MAX 64
/* Longest filter list accepted. */
#define ADDR_FILTER_LIST_MAX 2048

struct s_block {
	const char *prefix; /* textual address */
	unsigned bits;
	const char *why; /* "<RFC column>: <Name column>" */
};

/* IANA IPv4 Special-Purpose Address Registry. */
static const struct s_block s_v4_blocks[] = {
        {"0.0.0.0", 8, "[RFC791], Section 3.2: \"This network\""},
        {"0.0.0.0", 32, "[RFC1122], Section 3.2.1.3: \"This host on this network\""},
        {"10.0.0.0", 8, "[RFC1918]: Private-Use"},
        {"100.64.0.0", 10, "[RFC6598]: Shared Address Space"},
        {"127.0.0.0", 8, "[RFC1122], Section 3.2.1.3: Loopback"},
        {"169.254.0.0", 16, "[RFC3927]: Link Local"},
        {"172.16.0.0", 12, "[RFC1918]: Private-Use"},
        {"192.0.0.0", 24, "[RFC6890], Section 2.1: IETF Protocol Assignments"},
        {"192.0.0.0", 29, "[RFC7335]: IPv4 Service Continuity Prefix"},
        {"192.0.0.8", 32, "[RFC7600]: IPv4 dummy address"},
        {"192.0.0.9", 32, "[RFC7723]: Port Control Protocol Anycast"},
        {"192.0.0.10", 32, "[RFC8155]: Traversal Using Relays around NAT Anycast"},
        {"192.0.0.170", 32, "[RFC8880][RFC7050], Section 2.2: NAT64/DNS64 Discovery"},
        {"192.0.0.171", 32, "[RFC8880][RFC7050], Section 2.2: NAT64/DNS64 Discovery"},
        {"192.0.2.0", 24, "[RFC5737]: Documentation (TEST-NET-1)"},
        {"192.31.196.0", 24, "[RFC7535]: AS112-v4"},
        {"192.52.193.0", 24, "[RFC7450]: AMT"},
        {"192.88.99.0", 24, "[RFC7526]: Deprecated (6to4 Relay Anycast)"},
        {"192.168.0.0", 16, "[RFC1918]: Private-Use"},
        {"192.175.48.0", 24, "[RFC7534]: Direct Delegation AS112 Service"},
        {"198.18.0.0", 15, "[RFC2544]: Benchmarking"},
        {"198.51.100.0", 24, "[RFC5737]: Documentation (TEST-NET-2)"},
        {"203.0.113.0", 24, "[RFC5737]: Documentation (TEST-NET-3)"},
        {"240.0.0.0", 4, "[RFC1112], Section 4: Reserved"},
        {"255.255.255.255", 32, "[RFC8190][RFC919], Section 7: Limited Broadcast"},
};

/* IANA IPv6 Special-Purpose Address Registry. */
static const struct s_block s_v6_blocks[] = {
        {"::1", 128, "[RFC4291]: Loopback Address"},
        {"::", 128, "[RFC4291]: Unspecified Address"},
        {"::ffff:0:0", 96, "[RFC4291]: IPv4-mapped Address"},
        {"64:ff9b::", 96, "[RFC6052]: IPv4-IPv6 Translat."},
        {"64:ff9b:1::", 48, "[RFC8215]: IPv4-IPv6 Translat."},
        {"100::", 64, "[RFC6666]: Discard-Only Address Block"},
        {"100:0:0:1::", 64, "[RFC9780]: Dummy IPv6 Prefix"},
        {"2001::", 23, "[RFC2928]: IETF Protocol Assignments"},
        {"2001::", 32, "[RFC4380][RFC8190]: TEREDO"},
        {"2001:1::1", 128, "[RFC7723]: Port Control Protocol Anycast"},
        {"2001:1::2", 128, "[RFC8155]: Traversal Using Relays around NAT Anycast"},
        {"2001:1::3", 128, "[RFC9665]: DNS-SD Service Registration Protocol Anycast"},
        {"2001:2::", 48, "[RFC5180][RFC Errata 1752]: Benchmarking"},
        {"2001:3::", 32, "[RFC7450]: AMT"},
        {"2001:4:112::", 48, "[RFC7535]: AS112-v6"},
        {"2001:10::", 28, "[RFC4843]: Deprecated (previously ORCHID)"},
        {"2001:20::", 28, "[RFC7343]: ORCHIDv2"},
        {"2001:30::", 28, "[RFC9374]: Drone Remote ID Protocol Entity Tags (DETs) Prefix"},
        {"2001:db8::", 32, "[RFC3849]: Documentation"},
        {"2002::", 16, "[RFC3056]: 6to4"},
        {"2620:4f:8000::", 48, "[RFC7534]: Direct Delegation AS112 Service"},
        {"3fff::", 20, "[RFC9637]: Documentation"},
        {"5f00::", 16, "[RFC9602]: Segment Routing (SRv6) SIDs"},
        {"fc00::", 7, "[RFC4193][RFC8190]: Unique-Local"},
        {"fe80::", 10, "[RFC4291]: Link-Local Unicast"},
};

/* Do the first bits of a and b agree? */
static bool s_prefix_match(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xffu << (8 - rest));
	return (a[full] & mask) == (b[full] & mask);
}

/* Parse a textual address into family and 4 or 16 bytes.  0 or -1. */
static int s_parse_addr(const char *s, int *family, uint8_t bytes[16])
{
	memset(bytes, 0, 16);
	if (inet_pton(AF_INET, s, bytes) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, bytes) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Parse one "ADDR/BITS" (or a bare address: a host prefix) into p. */
static int s_parse_prefix(const char *text, struct addr_prefix *p, char *err, size_t errlen)
{
	char buf[ADDR_PREFIX_TEXT_MAX];
	char *slash, *end;
	unsigned long bits;
	unsigned maxbits;
	int rc = -1;

	if (strlen(text) >= sizeof(buf)) {
		snprintf(err, errlen, "prefix too long: %.40s...", text);
		goto out;
	}
	memcpy(buf, text, strlen(text) + 1); /* length checked above */
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash = '\0';
	if (s_parse_addr(buf, &p->family, p->bytes) != 0) {
		snprintf(err, errlen, "not an IP address: \"%s\"", buf);
		goto out;
	}
	maxbits = p->family == AF_INET ? 32 : 128;
	bits = maxbits;
	if (slash != NULL) {
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno != 0 || end == slash + 1 || *end != '\0' || bits > maxbits) {
			snprintf(err, errlen, "bad prefix length in \"%s\" (0..%u)", text, maxbits);
			goto out;
		}
	}
	p->bits = (unsigned)bits;
	rc = 0;
out:
	return rc;
}

int addr_filter_parse(struct addr_filter *f, const char *list, char *err, size_t errlen)
{
	char buf[ADDR_FILTER_LIST_MAX];
	char *cur, *comma;
	int rc = -1;

	if (strlen(list) >= sizeof(buf)) {
		snprintf(err, errlen, "prefix list too long");
		goto out;
	}
	memcpy(buf, list, strlen(list) + 1); /* length checked above */
	cur = buf;
	for (size_t i = 0; i <= ADDR_MAX_PUBLIC_PREFIXES; i++) {
		comma = strchr(cur, ',');
		if (comma != NULL)
			*comma = '\0';
		while (*cur == ' ')
			cur++;
		size_t len = strlen(cur);
		while (len > 0 && cur[len - 1] == ' ')
			cur[--len] = '\0';
		if (len == 0) {
			snprintf(err, errlen, "empty prefix in list");
			goto out;
		}
		if (f->n >= ADDR_MAX_PUBLIC_PREFIXES) {
			snprintf(err, errlen, "too many prefixes (at most %d)",
			         ADDR_MAX_PUBLIC_PREFIXES);
			goto out;
		}
		if (s_parse_prefix(cur, &f->prefixes[f->n], err, errlen) != 0)
			goto out;
		f->n++;
		if (comma == NULL) {
			rc = 0;
			goto out;
		}
		cur = comma + 1;
	}
	snprintf(err, errlen, "too many prefixes (at most %d)", ADDR_MAX_PUBLIC_PREFIXES);
out:
	return rc;
}

bool addr_is_reserved(const char *addr, const struct addr_filter *f, const char **why)
{
	uint8_t bytes[16], block[16];
	const struct s_block *tab;
	size_t n;
	int family, bfam;

	if (why != NULL)
		*why = "unparseable address";
	if (addr == NULL || s_parse_addr(addr, &family, bytes) != 0)
		return true;
	if (f != NULL) {
		for (size_t i = 0; i < f->n && i < ADDR_MAX_PUBLIC_PREFIXES; i++) {
			const struct addr_prefix *p = &f->prefixes[i];
			if (p->family == family && s_prefix_match(bytes, p->bytes, p->bits)) {
				if (why != NULL)
					*why = NULL;
				return false;
			}
		}
	}
	if (family == AF_INET) {
		tab = s_v4_blocks;
		n = sizeof(s_v4_blocks) / sizeof(s_v4_blocks[0]);
	} else {
		tab = s_v6_blocks;
		n = sizeof(s_v6_blocks) / sizeof(s_v6_blocks[0]);
	}
	for (size_t i = 0; i < n; i++) {
		if (s_parse_addr(tab[i].prefix, &bfam, block) != 0 || bfam != family)
			continue;
		if (s_prefix_match(bytes, block, tab[i].bits)) {
			if (why != NULL)
				*why = tab[i].why;
			return true;
		}
	}
	if (why != NULL)
		*why = NULL;
	return false;
}
