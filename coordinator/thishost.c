/*
 * thishost.c -- `vantage check --this-host`: NotThisHost when the vantages
 * resolve the name to an address this machine does not have; see
 * thishost.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "../common/finding.h"
#include "../common/report.h"
#include "thishost.h"

/* An address in binary: family and 16 bytes (IPv4 in the first 4). */
struct s_bin {
	int af;
	unsigned char b[sizeof(struct in6_addr)];
};

static bool s_parse(const char *text, struct s_bin *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->b) == 1) {
		out->af = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, text, out->b) == 1) {
		out->af = AF_INET6;
		return true;
	}
	return false;
}

bool thishost_has(const struct thishost *h, const char *addr)
{
	struct s_bin a, b;

	if (!s_parse(addr, &a))
		return false;
	for (size_t i = 0; i < h->n; i++)
		if (s_parse(h->addrs[i], &b) && a.af == b.af &&
		    memcmp(a.b, b.b, a.af == AF_INET ? 4 : 16) == 0)
			return true;
	return false;
}

void thishost_add(struct thishost *h, const char *addr)
{
	struct s_bin a;

	if (h->n >= THISHOST_MAX_ADDRS || !s_parse(addr, &a) || thishost_has(h, addr))
		return;
	inet_ntop(a.af, a.b, h->addrs[h->n], sizeof(h->addrs[0]));
	h->n++;
}

int thishost_addresses(struct thishost *h, char *err, size_t errlen)
{
	struct ifaddrs *ifa = NULL;
	char buf[LIMIT_ADDR_LEN];

	memset(h, 0, sizeof(*h));
	if (getifaddrs(&ifa) != 0) {
		snprintf(err, errlen, "getifaddrs: %s", strerror(errno));
		return -1;
	}
	for (const struct ifaddrs *i = ifa; i != NULL; i = i->ifa_next) {
		const void *a = NULL;
		if (i->ifa_addr == NULL)
			continue;
		if (i->ifa_addr->sa_family == AF_INET)
			a = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		else if (i->ifa_addr->sa_family == AF_INET6)
			a = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
		if (a != NULL && inet_ntop(i->ifa_addr->sa_family, a, buf, sizeof(buf)) != NULL)
			thishost_add(h, buf);
	}
	freeifaddrs(ifa);
	return 0;
}

/* Is the record's hostname the check's own name (not a redirect's target)?
 * A record without one is taken as the name's. */
static bool s_same_host(const char *hostname, const char *domain)
{
	size_t n;

	if (hostname == NULL || hostname[0] == '\0')
		return true;
	n = strlen(hostname);
	if (n > 0 && hostname[n - 1] == '.')
		n--;
	return n == strlen(domain) && strncasecmp(hostname, domain, n) == 0;
}

/* The NotThisHost finding of one check, or n_addresses 0 when none. */
static void s_judge(const json_t *check, const struct thishost *h, struct vt_finding *f)
{
	const char *domain = json_string_value(json_object_get(check, "domain"));
	const json_t *results = json_object_get(check, "results");
	size_t seen = 0, nv = 0, o;
	char ev[FINDING_EVIDENCE_LEN];

	memset(f, 0, sizeof(*f));
	f->id = VT_F_NOT_THIS_HOST;
	f->severity = finding_def(VT_F_NOT_THIS_HOST)->severity;
	if (domain == NULL)
		return;
	for (size_t r = 0; r < json_array_size(results); r++) {
		const json_t *res = json_array_get(results, r);
		const json_t *recs = json_object_get(res, "records");
		const char *agent = json_string_value(json_object_get(res, "agent"));
		bool foreign = false;
		for (size_t k = 0; k < json_array_size(recs); k++) {
			const json_t *rec = json_array_get(recs, k);
			const json_t *addrs = json_object_get(rec, "addressesResolved");
			if (!s_same_host(json_string_value(json_object_get(rec, "hostname")),
			                 domain))
				continue;
			for (size_t a = 0; a < json_array_size(addrs); a++) {
				const char *ad = json_string_value(json_array_get(addrs, a));
				if (ad == NULL || ad[0] == '\0')
					continue;
				seen++;
				if (!thishost_has(h, ad)) {
					finding_add_address(f, ad);
					foreign = true;
				}
			}
		}
		if (foreign) {
			finding_add_vantage(f, agent);
			nv++;
		}
	}
	if (seen == 0 || f->n_addresses == 0) {
		f->n_addresses = 0;
		return;
	}
	snprintf(f->summary, sizeof(f->summary), "%s resolves to ", domain);
	for (size_t i = 0; i < f->n_addresses; i++) {
		o = strlen(f->summary);
		snprintf(f->summary + o, sizeof(f->summary) - o, "%s%s", i > 0 ? ", " : "",
		         f->addresses[i]);
	}
	o = strlen(f->summary);
	snprintf(f->summary + o, sizeof(f->summary) - o,
	         " from %zu %s, which %s not this server's address", nv,
	         nv == 1 ? "vantage" : "vantages", f->n_addresses == 1 ? "is" : "are");
	snprintf(ev, sizeof(ev), "this host's addresses: ");
	for (size_t i = 0; i < h->n; i++) {
		o = strlen(ev);
		snprintf(ev + o, sizeof(ev) - o, "%s%s", i > 0 ? ", " : "", h->addrs[i]);
	}
	if (h->n == 0) {
		o = strlen(ev);
		snprintf(ev + o, sizeof(ev) - o, "none");
	}
	finding_add_evidence(f, "%s", ev);
}

static bool s_method_applies(const char *m)
{
	return m != NULL && (strcmp(m, "http-01") == 0 || strcmp(m, "tls-alpn-01") == 0 ||
	                     strcmp(m, "tls-cert") == 0);
}

int thishost_annotate(json_t *doc, const struct thishost *h)
{
	json_t *checks = json_object_get(doc, "checks");
	struct vt_finding f;
	int added = 0;

	if (!json_is_array(checks))
		return -1;
	for (size_t i = 0; i < json_array_size(checks); i++) {
		json_t *c = json_array_get(checks, i);
		json_t *fnd, *diag, *j;
		if (!json_is_object(c) ||
		    !s_method_applies(json_string_value(json_object_get(c, "method"))))
			continue;
		s_judge(c, h, &f);
		if (f.n_addresses == 0)
			continue;
		fnd = json_object_get(c, "findings");
		if (!json_is_array(fnd)) {
			if (json_object_set_new(c, "findings", json_array()) != 0)
				return -1;
			fnd = json_object_get(c, "findings");
		}
		diag = json_object_get(c, "diagnosis");
		if (!json_is_array(diag)) {
			if (json_object_set_new(c, "diagnosis", json_array()) != 0)
				return -1;
			diag = json_object_get(c, "diagnosis");
		}
		j = report_finding_json(&f);
		if (j == NULL || json_array_append_new(fnd, j) != 0 ||
		    json_array_append_new(diag, json_string(f.summary)) != 0)
			return -1;
		added++;
	}
	return added;
}
