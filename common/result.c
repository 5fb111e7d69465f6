/*
 * result.c -- names and small helpers for the structs in result.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "result.h"

const char *vt_method_name(enum vt_method m)
{
	switch (m) {
	case VT_METHOD_HTTP01:
		return "http-01";
	case VT_METHOD_TLSALPN01:
		return "tls-alpn-01";
	case VT_METHOD_DNS01:
		return "dns-01";
	case VT_METHOD_CAA:
		return "caa";
	case VT_METHOD_TLSCERT:
		return "tls-cert";
	case VT_METHOD_NONE:
		break;
	}
	return "unknown";
}

int vt_time_rfc3339(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (len == 0)
		return -1;
	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
		buf[0] = '\0';
		return -1;
	}
	return 0;
}

enum vt_method vt_method_parse(const char *s)
{
	for (int m = VT_METHOD_HTTP01; m <= VT_METHOD_TLSCERT; m++)
		if (strcmp(s, vt_method_name((enum vt_method)m)) == 0)
			return (enum vt_method)m;
	return VT_METHOD_NONE;
}

const char *vt_outcome_name(enum vt_outcome o)
{
	switch (o) {
	case VT_OUTCOME_PASS:
		return "pass";
	case VT_OUTCOME_REACHABLE:
		return "reachable";
	case VT_OUTCOME_FAIL:
		return "fail";
	case VT_OUTCOME_UNAVAILABLE:
		return "unavailable";
	}
	return "unknown";
}

const char *vt_problem_type_name(enum vt_problem_type t)
{
	switch (t) {
	case VT_PROB_CONNECTION:
		return "connection";
	case VT_PROB_DNS:
		return "dns";
	case VT_PROB_UNAUTHORIZED:
		return "unauthorized";
	case VT_PROB_TLS:
		return "tls";
	case VT_PROB_MALFORMED:
		return "malformed";
	case VT_PROB_CAA:
		return "caa";
	case VT_PROB_SERVER_INTERNAL:
		return "serverInternal";
	case VT_PROB_NONE:
		break;
	}
	return "none";
}

struct vt_record *vt_result_add_record(struct vt_result *r)
{
	struct vt_record *recs;

	if (r->n_records >= LIMIT_MAX_RECORDS)
		return NULL;
	recs = realloc(r->records, (r->n_records + 1) * sizeof(*recs));
	if (recs == NULL)
		return NULL;
	r->records = recs;
	memset(&recs[r->n_records], 0, sizeof(*recs));
	return &recs[r->n_records++];
}

struct vt_nameserver *vt_result_add_nameserver(struct vt_result *r)
{
	struct vt_nameserver *ns;

	if (r->n_nameservers >= LIMIT_MAX_NAMESERVERS)
		return NULL;
	ns = realloc(r->nameservers, (r->n_nameservers + 1) * sizeof(*ns));
	if (ns == NULL)
		return NULL;
	r->nameservers = ns;
	memset(&ns[r->n_nameservers], 0, sizeof(*ns));
	return &ns[r->n_nameservers++];
}

void vt_result_add_warning(struct vt_result *r, const char *fmt, ...)
{
	va_list ap;

	if (r->n_warnings >= LIMIT_MAX_WARNINGS)
		return;
	va_start(ap, fmt);
	vsnprintf(r->warnings[r->n_warnings], LIMIT_WARNING_LEN, fmt, ap);
	va_end(ap);
	r->n_warnings++;
}

void vt_result_fail(struct vt_result *r, enum vt_problem_type type, const char *fmt, ...)
{
	va_list ap;

	r->outcome = VT_OUTCOME_FAIL;
	r->problem.type = type;
	va_start(ap, fmt);
	vsnprintf(r->problem.detail, sizeof(r->problem.detail), fmt, ap);
	va_end(ap);
}

void vt_result_clear(struct vt_result *r)
{
	free(r->records);
	free(r->nameservers);
	memset(r, 0, sizeof(*r));
}

int vt_result_copy(struct vt_result *dst, const struct vt_result *src)
{
	*dst = *src;
	dst->records = NULL;
	dst->nameservers = NULL;
	if (src->n_records > 0) {
		dst->records = calloc(src->n_records, sizeof(*dst->records));
		if (dst->records == NULL)
			goto nomem;
		memcpy(dst->records, src->records, src->n_records * sizeof(*dst->records));
	}
	if (src->n_nameservers > 0) {
		dst->nameservers = calloc(src->n_nameservers, sizeof(*dst->nameservers));
		if (dst->nameservers == NULL)
			goto nomem;
		memcpy(dst->nameservers, src->nameservers,
		       src->n_nameservers * sizeof(*dst->nameservers));
	}
	return 0;
nomem:
	free(dst->records);
	dst->records = NULL;
	dst->n_records = 0;
	dst->n_nameservers = 0;
	errno = ENOMEM;
	return -1;
}
