/*
 * report.c -- the `--json` document (docs/json-schema.md) and the human
 * table printed from it.
 *
 * report_json() is the only producer of the document; report_print() reads
 * nothing but the document, so the CLI (which gets it over HTTP) and the
 * coordinator print the same thing.  jansson builds and reads the JSON: it
 * escapes strings correctly, which hand-made snprintf JSON does not.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "certcheck.h"
#include "log.h"
#include "report.h"
#include "text.h"
#include "verdict_ext.h"

#define REPORT_SCHEMA_VERSION 1
#define REPORT_EXIT_USAGE     2  /* malformed document, like a usage error */
#define REPORT_DETAIL_COL     60 /* widest DETAIL column; longer texts go below */
#define REPORT_COL_MAX        40 /* widest other column */
/* room for "During secondary validation: While processing CAA for <domain>: " */
#define REPORT_LE_PREFIX_LEN (64 + LIMIT_DOMAIN_LEN)
#define REPORT_ESC_LEN       ((LIMIT_DETAIL_LEN + REPORT_LE_PREFIX_LEN) * 4 + 1) /* escaped */
#define REPORT_CELL_LEN      256          /* one escaped table cell */
#define REPORT_MAX_ROWS      LIMIT_AGENTS /* rows printed per check */
#define REPORT_ANSWER_COL    48           /* widest ANSWER in the nameserver table */

static const char s_replacement[] = "\xef\xbf\xbd"; /* U+FFFD */

/* ---- building ---- */

/* Length of the valid UTF-8 sequence at s, or 0 if it is not one. */
static size_t s_utf8_seq(const unsigned char *s)
{
	size_t n;
	unsigned long cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A JSON string for untrusted text: invalid UTF-8 becomes U+FFFD (as
 * Boulder's utf8filter does), since jansson refuses invalid UTF-8.  NULL on
 * ENOMEM.
 */
static json_t *s_str(const char *s)
{
	json_t *j = NULL;
	char *buf = NULL;
	size_t len, o = 0;

	if (s == NULL)
		s = "";
	j = json_string(s);
	if (j != NULL)
		goto out;
	len = strlen(s);
	buf = malloc(len * 3 + 1);
	if (buf == NULL)
		goto out;
	for (size_t i = 0; i < len;) {
		size_t n = s_utf8_seq((const unsigned char *)s + i);
		if (n == 0) {
			memcpy(buf + o, s_replacement, 3);
			o += 3;
			i++;
		} else {
			memcpy(buf + o, s + i, n);
			o += n;
			i += n;
		}
	}
	buf[o] = '\0';
	j = json_string(buf);
out:
	free(buf);
	return j;
}

/* Set key to val (stolen).  -1 if val is NULL (ENOMEM) or setting failed. */
static int s_set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL)
		return -1;
	return json_object_set_new(obj, key, val) == 0 ? 0 : -1;
}

static int s_push(json_t *arr, json_t *val)
{
	if (val == NULL)
		return -1;
	return json_array_append_new(arr, val) == 0 ? 0 : -1;
}

static json_t *s_record(const struct vt_record *r)
{
	json_t *o = json_object(), *res = json_array(), *tried = NULL;
	char port[8];
	int rc = 0;

	if (o == NULL || res == NULL)
		goto fail;
	snprintf(port, sizeof(port), "%u", (unsigned)r->port);
	if (r->url[0] != '\0') /* TLS-ALPN-01 and DNS-01 records have none */
		rc |= s_set(o, "url", s_str(r->url));
	rc |= s_set(o, "hostname", s_str(r->hostname));
	rc |= s_set(o, "port", json_string(port));
	for (size_t i = 0; i < r->n_addresses_resolved && i < LIMIT_MAX_ADDRS * 2; i++)
		rc |= s_push(res, s_str(r->addresses_resolved[i]));
	rc |= s_set(o, "addressesResolved", res);
	res = NULL;
	rc |= s_set(o, "addressUsed", s_str(r->address_used));
	if (r->n_addresses_tried > 0) {
		tried = json_array();
		if (tried == NULL)
			goto fail;
		for (size_t i = 0; i < r->n_addresses_tried && i < HTTP01_MAX_ADDRS_TRIED; i++)
			rc |= s_push(tried, s_str(r->addresses_tried[i]));
		rc |= s_set(o, "addressesTried", tried);
	}
	if (rc != 0)
		goto fail;
	return o;
fail:
	json_decref(res);
	json_decref(o);
	return NULL;
}

/* Unix seconds as an RFC 3339 UTC string; JSON null when out of range. */
static json_t *s_time(int64_t t)
{
	char buf[VT_TIME_LEN];

	return vt_time_rfc3339(t, buf, sizeof(buf)) == 0 ? json_string(buf) : json_null();
}

/* A string, or JSON null for "". */
static json_t *s_str_or_null(const char *s)
{
	return s[0] != '\0' ? s_str(s) : json_null();
}

/* A boolean that only tls-cert judges: JSON null for other methods. */
static json_t *s_tlscert_bool(bool tlscert, bool v)
{
	return tlscert ? json_boolean(v) : json_null();
}

/* The captured leaf certificate, or JSON null when none was captured; the
 * trust and name fields are judged for tls-cert only (null otherwise). */
static json_t *s_cert(const struct vt_cert *cert, bool tlscert)
{
	json_t *o, *sans = NULL, *chain = NULL;
	int rc = 0;

	if (!cert->present)
		return json_null();
	o = json_object();
	sans = json_array();
	chain = json_array();
	if (o == NULL || sans == NULL || chain == NULL)
		goto fail;
	rc |= s_set(o, "subject", s_str(cert->subject));
	rc |= s_set(o, "issuer", s_str(cert->issuer));
	for (size_t i = 0; i < cert->n_sans && i < LIMIT_MAX_SANS; i++)
		rc |= s_push(sans, s_str(cert->sans[i]));
	rc |= s_set(o, "sans", sans);
	sans = NULL;
	rc |= s_set(o, "not_before", s_time(cert->not_before));
	rc |= s_set(o, "not_after", s_time(cert->not_after));
	rc |= s_set(o, "not_after_unix", json_integer((json_int_t)cert->not_after));
	rc |= s_set(o, "sha256", s_str(cert->sha256));
	rc |= s_set(o, "tls_version", s_str_or_null(cert->tls_version));
	rc |= s_set(o, "alpn", s_str_or_null(cert->alpn));
	rc |= s_set(o, "not_before_unix", json_integer((json_int_t)cert->not_before));
	rc |= s_set(o, "chain_len", json_integer((json_int_t)cert->chain_len));
	for (size_t i = 0; i < cert->n_chain_issuers && i < VT_CERT_MAX_CHAIN; i++)
		rc |= s_push(chain, s_str(cert->chain_issuers[i]));
	rc |= s_set(o, "chain_issuers", chain);
	chain = NULL;
	rc |= s_set(o, "chain_verified", s_tlscert_bool(tlscert, cert->chain_verified));
	rc |= s_set(o, "name_matches", s_tlscert_bool(tlscert, cert->name_matches));
	rc |= s_set(o, "verify_error", tlscert ? s_str_or_null(cert->verify_error) : json_null());
	if (rc != 0)
		goto fail;
	return o;
fail:
	json_decref(sans);
	json_decref(chain);
	json_decref(o);
	return NULL;
}

/* tls-cert: {"level", "message"} for cert as certcheck.c's default policy
 * judges it at now. */
static json_t *s_cert_check(const struct vt_cert *cert, int64_t now)
{
	char msg[CERTCHECK_MSG_LEN];
	enum certcheck_level l = certcheck_judge(cert, now, NULL, msg, sizeof(msg));
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	rc |= s_set(o, "level", json_string(certcheck_level_name(l)));
	rc |= s_set(o, "message", s_str(msg));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *s_nameserver(const struct vt_nameserver *ns)
{
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	rc |= s_set(o, "name", s_str(ns->name));
	rc |= s_set(o, "address", s_str(ns->address));
	rc |= s_set(o, "reachable", json_boolean(ns->reachable));
	rc |= s_set(o, "rcode", s_str_or_null(ns->rcode));
	rc |= s_set(o, "answer", s_str(ns->answer));
	rc |= s_set(o, "ttl", json_integer(ns->ttl));
	rc |= s_set(o, "matches", json_boolean(ns->matches));
	rc |= s_set(o, "rtt_ms", json_integer(ns->rtt_ms));
	rc |= s_set(o, "error", s_str_or_null(ns->error));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Set "nameservers" on o when r has any (omitted otherwise).  0 or -1. */
static int s_set_nameservers(json_t *o, const struct vt_result *r)
{
	json_t *arr;
	int rc = 0;

	if (r->n_nameservers == 0 || r->nameservers == NULL)
		return 0;
	arr = json_array();
	if (arr == NULL)
		return -1;
	for (size_t i = 0; i < r->n_nameservers && i < LIMIT_MAX_NAMESERVERS; i++)
		rc |= s_push(arr, s_nameserver(&r->nameservers[i]));
	rc |= s_set(o, "nameservers", arr);
	return rc;
}

/* The address that finally answered: the last record's addressUsed. */
static const char *s_address_used(const struct vt_result *r)
{
	for (size_t i = r->n_records; i > 0 && r->records != NULL; i--)
		if (r->records[i - 1].address_used[0] != '\0')
			return r->records[i - 1].address_used;
	return NULL;
}

/* One vantage's row of a check of method m (judged at now). */
static json_t *s_result(const struct vt_entry *e, enum vt_method m, int64_t now)
{
	const struct vt_result *r = &e->result;
	json_t *o = json_object(), *warn = json_array(), *recs = json_array(), *t = json_object();
	json_t *prob = NULL;
	const char *used = s_address_used(r);
	bool answered = r->outcome == VT_OUTCOME_PASS || r->outcome == VT_OUTCOME_REACHABLE ||
	                r->outcome == VT_OUTCOME_FAIL;
	int rc = 0;

	if (o == NULL || warn == NULL || recs == NULL || t == NULL)
		goto fail;
	rc |= s_set(o, "agent", s_str(e->vantage.agent));
	rc |= s_set(o, "region", s_str(e->vantage.region));
	rc |= s_set(o, "rir", s_str(e->vantage.rir));
	rc |= s_set(o, "primary", json_boolean(e->vantage.primary));
	rc |= s_set(o, "ipv6", json_boolean(e->vantage.ipv6));
	rc |= s_set(o, "outcome",
	            json_string(answered ? vt_outcome_name(r->outcome) : "unavailable"));
	rc |= s_set(o, "judged", json_boolean(verdict_entry_judged(e)));
	rc |= s_set(o, "address_used", used != NULL && answered ? s_str(used) : json_null());
	rc |= s_set(o, "duration_ms", answered ? json_integer(r->timings.total_ms) : json_null());
	rc |= s_set(o, "http_status",
	            r->http_status != 0 && answered ? json_integer(r->http_status) : json_null());
	rc |= s_set(o, "server", answered ? s_str_or_null(r->server) : json_null());
	rc |= s_set(o, "body_excerpt", answered ? s_str_or_null(r->body) : json_null());
	if (r->outcome == VT_OUTCOME_FAIL) {
		char summary[VERDICT_SUMMARY_LEN];
		prob = json_object();
		if (prob == NULL)
			goto fail;
		verdict_problem_summary(r->problem.detail, summary, sizeof(summary));
		rc |= s_set(prob, "type", json_string(vt_problem_type_name(r->problem.type)));
		rc |= s_set(prob, "detail", s_str(r->problem.detail));
		rc |= s_set(prob, "summary", s_str(summary));
		rc |= s_set(o, "problem", prob);
		prob = NULL;
	} else {
		rc |= s_set(o, "problem", json_null());
	}
	/* Why a vantage did not answer (the coordinator's words), else null. */
	rc |= s_set(o, "unavailable_reason",
	            !answered && r->problem.detail[0] != '\0' ? s_str(r->problem.detail)
	                                                      : json_null());
	for (size_t i = 0; i < r->n_warnings && i < LIMIT_MAX_WARNINGS; i++)
		rc |= s_push(warn, s_str(r->warnings[i]));
	rc |= s_set(o, "warnings", warn);
	warn = NULL;
	rc |= s_set(t, "resolve_ms", json_integer(r->timings.resolve_ms));
	rc |= s_set(t, "connect_ms", json_integer(r->timings.connect_ms));
	rc |= s_set(t, "total_ms", json_integer(r->timings.total_ms));
	rc |= s_set(o, "timings", t);
	t = NULL;
	for (size_t i = 0; i < r->n_records && i < LIMIT_MAX_RECORDS && r->records != NULL; i++)
		rc |= s_push(recs, s_record(&r->records[i]));
	rc |= s_set(o, "records", recs);
	recs = NULL;
	rc |= s_set(o, "cert", s_cert(&r->cert, m == VT_METHOD_TLSCERT));
	if (m == VT_METHOD_TLSCERT)
		rc |= s_set(o, "cert_check", s_cert_check(&r->cert, now));
	rc |= s_set(o, "dnssec", s_str_or_null(r->dnssec));
	rc |= s_set_nameservers(o, r);
	if (rc != 0)
		goto fail;
	return o;
fail:
	json_decref(warn);
	json_decref(recs);
	json_decref(t);
	json_decref(prob);
	json_decref(o);
	return NULL;
}

static json_t *s_mpic(const struct vt_check *c)
{
	const struct vt_mpic *m = &c->mpic;
	json_t *o = json_object();
	char problem[LIMIT_DETAIL_LEN + REPORT_LE_PREFIX_LEN];
	int rc = 0;

	if (o == NULL)
		return NULL;
	rc |= s_set(o, "accepted", m->accepted < 0 ? json_null() : json_boolean(m->accepted == 1));
	rc |= s_set(o, "primary_passed",
	            m->has_primary ? json_boolean(m->primary_passed) : json_null());
	rc |= s_set(o, "remotes_total", json_integer(m->remotes_total));
	rc |= s_set(o, "remotes_passed", json_integer(m->remotes_passed));
	rc |= s_set(o, "remotes_required", json_integer(m->remotes_required));
	rc |= s_set(o, "remotes_unavailable", json_integer(m->remotes_unavailable));
	rc |= s_set(o, "rirs_passed", json_integer(m->rirs_passed));
	rc |= s_set(o, "reason", s_str(m->reason));
	if (verdict_le_problem(c, problem, sizeof(problem)) == 0)
		rc |= s_set(o, "le_problem", s_str(problem));
	else
		rc |= s_set(o, "le_problem", json_null());
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A string array from n fixed-size strings. */
static json_t *s_strs(const char *first, size_t stride, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (s_push(a, s_str(first + i * stride)) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* One finding, with its catalogue text (finding.h). */
json_t *report_finding_json(const struct vt_finding *f)
{
	const struct vt_finding_def *def = finding_def(f->id);
	const struct vt_finding_text *t = def != NULL ? def->text : NULL;
	json_t *o = json_object();
	int rc = 0;

	if (o == NULL)
		return NULL;
	rc |= s_set(o, "id", json_string(finding_name(f->id)));
	rc |= s_set(o, "severity", json_string(vt_severity_name(f->severity)));
	rc |= s_set(o, "summary", s_str(f->summary));
	rc |= s_set(o, "vantages", s_strs(f->vantages[0], sizeof(f->vantages[0]), f->n_vantages));
	rc |= s_set(o, "addresses",
	            s_strs(f->addresses[0], sizeof(f->addresses[0]), f->n_addresses));
	rc |= s_set(o, "evidence", s_strs(f->evidence[0], sizeof(f->evidence[0]), f->n_evidence));
	rc |= s_set(o, "title", t != NULL && t->title != NULL ? s_str(t->title) : json_null());
	rc |= s_set(o, "cause", t != NULL && t->cause != NULL ? s_str(t->cause) : json_null());
	rc |= s_set(o, "fix", t != NULL && t->fix != NULL ? s_str(t->fix) : json_null());
	rc |= s_set(o, "snippets", report_snippets_json(t));
	if (rc != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *report_snippets_json(const struct vt_finding_text *t)
{
	json_t *o = json_object();

	for (size_t i = 0; o != NULL && i < FINDING_N_SNIPPETS; i++) {
		struct finding_snippet s = finding_snippet(t, i);
		if (s.text != NULL && s_set(o, s.key, s_str(s.text)) != 0) {
			json_decref(o);
			return NULL;
		}
	}
	return o;
}

static json_t *s_check(const struct vt_check *c, int64_t now)
{
	json_t *o = json_object(), *diag = json_array(), *res = json_array(), *fnd = NULL;
	int rc = 0;

	if (o == NULL || diag == NULL || res == NULL)
		goto fail;
	rc |= s_set(o, "domain", s_str(c->domain));
	rc |= s_set(o, "method", json_string(vt_method_name(c->method)));
	rc |= s_set(o, "mode",
	            json_string(c->mode == VT_MODE_REACHABILITY ? "reachability" : "validate"));
	rc |= s_set(o, "verdict", json_string(vt_verdict_name(c->verdict)));
	for (size_t i = 0; i < c->n_diagnosis && i < VERDICT_MAX_DIAGNOSIS; i++)
		rc |= s_push(diag, s_str(c->diagnosis[i]));
	rc |= s_set(o, "diagnosis", diag);
	diag = NULL;
	fnd = json_array();
	for (size_t i = 0; fnd != NULL && i < c->n_findings && i < VERDICT_MAX_DIAGNOSIS; i++)
		rc |= s_push(fnd, report_finding_json(&c->findings[i]));
	rc |= s_set(o, "findings", fnd);
	fnd = NULL;
	rc |= s_set(o, "le_multi_perspective", s_mpic(c));
	for (size_t i = 0; i < c->n_entries; i++)
		rc |= s_push(res, s_result(&c->entries[i], c->method, now));
	rc |= s_set(o, "results", res);
	res = NULL;
	if (rc != 0)
		goto fail;
	return o;
fail:
	json_decref(diag);
	json_decref(res);
	json_decref(o);
	return NULL;
}

json_t *report_json(const struct vt_check *checks, size_t n)
{
	json_t *doc = json_object(), *arr = json_array();
	enum vt_verdict worst = n > 0 ? VT_VERDICT_PASS : VT_VERDICT_UNKNOWN;
	int64_t now = (int64_t)time(NULL); /* tls-cert's cert_check */
	int rc = 0;

	if (doc == NULL || arr == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		worst = verdict_worst(worst, checks[i].verdict);
		rc |= s_push(arr, s_check(&checks[i], now));
	}
	rc |= s_set(doc, "version", json_integer(REPORT_SCHEMA_VERSION));
	rc |= s_set(doc, "tool", json_string("vantage"));
	rc |= s_set(doc, "vantage_version", json_string(VANTAGE_VERSION));
	rc |= s_set(doc, "verdict", json_string(vt_verdict_name(worst)));
	rc |= s_set(doc, "exit_code", json_integer((json_int_t)worst));
	rc |= s_set(doc, "checks", arr);
	arr = NULL;
	if (rc != 0)
		goto fail;
	return doc;
fail:
	json_decref(arr);
	json_decref(doc);
	return NULL;
}

int report_exit_code(const json_t *doc)
{
	const char *v;

	if (!json_is_object(doc))
		return REPORT_EXIT_USAGE;
	v = json_string_value(json_object_get(doc, "verdict"));
	if (v == NULL)
		return REPORT_EXIT_USAGE;
	if (strcmp(v, "pass") == 0)
		return VT_VERDICT_PASS;
	if (strcmp(v, "fail") == 0)
		return VT_VERDICT_FAIL;
	if (strcmp(v, "unknown") == 0)
		return VT_VERDICT_UNKNOWN;
	return REPORT_EXIT_USAGE;
}

/* ---- printing ---- */

#define S_RED    "\033[31m"
#define S_GREEN  "\033[32m"
#define S_YELLOW "\033[33m"
#define S_BOLD   "\033[1m"
#define S_RESET  "\033[0m"

enum s_col { C_AGENT, C_REGION, C_ADDR, C_OUTCOME, C_PROBLEM, C_DETAIL, C_MS, C_NCOLS };

static const char *const s_heads[C_NCOLS] = {"AGENT",   "REGION", "ADDRESS", "OUTCOME",
                                             "PROBLEM", "DETAIL", "MS"};

/* A string member of o, or "" (the document may come from elsewhere). */
static const char *s_get(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s != NULL ? s : "";
}

/* Escape untrusted text for the terminal into buf (always terminated). */
static const char *s_esc(const char *s, char *buf, size_t len)
{
	return log_escape(buf, len, s, strlen(s));
}

static const char *s_color_for(const char *word, bool color)
{
	if (!color)
		return "";
	if (strcmp(word, "pass") == 0 || strcmp(word, "reachable") == 0)
		return S_GREEN;
	if (strcmp(word, "fail") == 0)
		return S_RED;
	return S_YELLOW;
}

/* One row's cells, escaped and cut to their column's width. */
struct s_row {
	char cell[C_NCOLS][REPORT_CELL_LEN];
	bool cut; /* the DETAIL cell was cut; the full text is printed below */
};

static void s_fill_row(const json_t *r, struct s_row *row)
{
	const json_t *prob = json_object_get(r, "problem");
	const json_t *ms = json_object_get(r, "duration_ms");
	const char *addr = json_string_value(json_object_get(r, "address_used"));
	char tmp[32];

	s_esc(s_get(r, "agent"), row->cell[C_AGENT], REPORT_CELL_LEN);
	s_esc(s_get(r, "region"), row->cell[C_REGION], REPORT_CELL_LEN);
	s_esc(addr != NULL ? addr : "-", row->cell[C_ADDR], REPORT_CELL_LEN);
	s_esc(s_get(r, "outcome"), row->cell[C_OUTCOME], REPORT_CELL_LEN);
	if (json_is_object(prob)) {
		const char *sum = s_get(prob, "summary");
		s_esc(s_get(prob, "type"), row->cell[C_PROBLEM], REPORT_CELL_LEN);
		s_esc(sum[0] != '\0' ? sum : s_get(prob, "detail"), row->cell[C_DETAIL],
		      REPORT_CELL_LEN);
	} else {
		const char *why = json_string_value(json_object_get(r, "unavailable_reason"));
		snprintf(row->cell[C_PROBLEM], REPORT_CELL_LEN, "-");
		s_esc(why != NULL ? why : "-", row->cell[C_DETAIL], REPORT_CELL_LEN);
	}
	row->cut = false;
	if (strlen(row->cell[C_DETAIL]) > REPORT_DETAIL_COL) {
		/* Cut the cell, say so, and print the whole detail below. */
		snprintf(row->cell[C_DETAIL] + REPORT_DETAIL_COL - 5, 6, " ...*");
		row->cut = true;
	}
	if (json_is_integer(ms))
		snprintf(tmp, sizeof(tmp), "%lld", (long long)json_integer_value(ms));
	else
		snprintf(tmp, sizeof(tmp), "-");
	snprintf(row->cell[C_MS], REPORT_CELL_LEN, "%s", tmp);
	for (int c = 0; c < C_NCOLS; c++)
		if (c != C_DETAIL && strlen(row->cell[c]) > REPORT_COL_MAX)
			row->cell[c][REPORT_COL_MAX] = '\0';
}

static void s_print_cell(FILE *out, const char *text, size_t width, const char *color, bool last)
{
	size_t n = strlen(text);

	fprintf(out, "%s%s%s", color, text, color[0] != '\0' ? S_RESET : "");
	if (!last)
		for (size_t i = n; i < width + 2; i++)
			fputc(' ', out);
}

static void s_print_table(const json_t *results, FILE *out, bool color)
{
	size_t n = json_array_size(results), width[C_NCOLS];
	char detail[REPORT_ESC_LEN];
	struct s_row *rows;

	if (n > REPORT_MAX_ROWS)
		n = REPORT_MAX_ROWS;
	rows = calloc(n > 0 ? n : 1, sizeof(*rows));
	if (rows == NULL) {
		fprintf(out, "  (out of memory printing the table)\n");
		return;
	}
	for (int c = 0; c < C_NCOLS; c++)
		width[c] = strlen(s_heads[c]);
	for (size_t i = 0; i < n; i++) {
		s_fill_row(json_array_get(results, i), &rows[i]);
		for (int c = 0; c < C_NCOLS; c++)
			if (strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	}
	fputs("  ", out);
	for (int c = 0; c < C_NCOLS; c++)
		s_print_cell(out, s_heads[c], width[c], color ? S_BOLD : "", c == C_NCOLS - 1);
	fputc('\n', out);
	for (size_t i = 0; i < n; i++) {
		fputs("  ", out);
		for (int c = 0; c < C_NCOLS; c++)
			s_print_cell(out, rows[i].cell[c], width[c],
			             c == C_OUTCOME ? s_color_for(rows[i].cell[c], color) : "",
			             c == C_NCOLS - 1);
		fputc('\n', out);
	}
	/* Full details of failures, and of any cut cell: the end of an LE
	 * detail carries the reason. */
	for (size_t i = 0, k = 0; i < n; i++) {
		const json_t *r = json_array_get(results, i);
		const json_t *prob = json_object_get(r, "problem");
		const char *text;
		if (json_is_object(prob))
			text = s_get(prob, "detail");
		else if (rows[i].cut)
			text = s_get(r, "unavailable_reason");
		else
			continue;
		if (k++ == 0)
			fputs("Details, as Let's Encrypt words them:\n", out);
		s_esc(text, detail, sizeof(detail));
		fprintf(out, "  %s%s: %s\n", rows[i].cell[C_AGENT], rows[i].cut ? "*" : "", detail);
	}
	free(rows);
}

/* "a3 (eu-west)" for result r, escaped, into buf. */
static const char *s_who(const json_t *r, char *buf, size_t len)
{
	char a[REPORT_CELL_LEN], g[REPORT_CELL_LEN];

	s_esc(s_get(r, "agent"), a, sizeof(a));
	s_esc(s_get(r, "region"), g, sizeof(g));
	snprintf(buf, len, "%s%s%s%s", a, g[0] ? " (" : "", g, g[0] ? ")" : "");
	return buf;
}

/* tls-cert: under a vantage's certificate line, its issuer, the chain and
 * how the expiry is judged ("issuer CN=R11,O=Let's Encrypt; chain of 2,
 * verified; expires ..., in 60.0 days (...): ok"). */
static void s_print_cert_check(const json_t *cert, const json_t *check, FILE *out)
{
	char iss[REPORT_CELL_LEN], err[REPORT_CELL_LEN], msg[REPORT_CELL_LEN];
	const json_t *len = json_object_get(cert, "chain_len");

	s_esc(s_get(cert, "issuer"), iss, sizeof(iss));
	s_esc(s_get(cert, "verify_error"), err, sizeof(err));
	s_esc(s_get(check, "message"), msg, sizeof(msg));
	fprintf(out, "    issuer %s; chain of %lld, %s%s%s; %s\n", iss[0] ? iss : "-",
	        json_is_integer(len) ? (long long)json_integer_value(len) : 0LL,
	        json_is_true(json_object_get(cert, "chain_verified")) ? "verified" : "not verified",
	        err[0] ? ": " : "", err, msg[0] ? msg : "-");
}

/* One line per vantage that captured a certificate (TLS-ALPN-01, tls-cert):
 * version, ALPN, notAfter, hash and first SAN; for tls-cert a second line
 * (s_print_cert_check). */
static void s_print_certs(const json_t *results, FILE *out)
{
	char who[REPORT_CELL_LEN * 2 + 4], v[REPORT_CELL_LEN], alpn[REPORT_CELL_LEN];
	char na[REPORT_CELL_LEN], sha[REPORT_CELL_LEN], san[REPORT_CELL_LEN];
	size_t n = json_array_size(results), k = 0;

	for (size_t i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
		const json_t *r = json_array_get(results, i);
		const json_t *cert = json_object_get(r, "cert");
		const json_t *sans;
		const char *a;
		if (!json_is_object(cert))
			continue;
		sans = json_object_get(cert, "sans");
		a = s_get(cert, "alpn");
		if (k++ == 0)
			fputs("Certificates:\n", out);
		s_esc(s_get(cert, "tls_version"), v, sizeof(v));
		s_esc(a[0] != '\0' ? a : "none", alpn, sizeof(alpn));
		s_esc(s_get(cert, "not_after"), na, sizeof(na));
		s_esc(s_get(cert, "sha256"), sha, sizeof(sha));
		s_esc(json_is_string(json_array_get(sans, 0))
		              ? json_string_value(json_array_get(sans, 0))
		              : "-",
		      san, sizeof(san));
		if (strlen(sha) > VERDICT_SHA_SHOWN)
			snprintf(sha + VERDICT_SHA_SHOWN, sizeof(sha) - VERDICT_SHA_SHOWN, "...");
		fprintf(out, "  %s: %s, ALPN %s, notAfter %s, sha256 %s, SAN %s%s\n",
		        s_who(r, who, sizeof(who)), v[0] ? v : "-", alpn, na[0] ? na : "-", sha,
		        san, json_array_size(sans) > 1 ? " (and more)" : "");
		if (json_is_object(json_object_get(r, "cert_check")))
			s_print_cert_check(cert, json_object_get(r, "cert_check"), out);
	}
}

enum s_ns_col { N_NAME, N_ADDR, N_REACH, N_RCODE, N_TTL, N_MATCH, N_ANSWER, N_NCOLS };

static const char *const s_ns_heads[N_NCOLS] = {"NAMESERVER", "ADDRESS", "REACHABLE", "RCODE",
                                                "TTL",        "MATCH",   "ANSWER"};

/* One nameserver row's cells, escaped and cut; an unreachable server's
 * error goes in ANSWER, in parentheses. */
static void s_ns_cells(const json_t *ns, char cell[N_NCOLS][REPORT_CELL_LEN])
{
	const json_t *ttl = json_object_get(ns, "ttl");
	bool up = json_is_true(json_object_get(ns, "reachable"));
	const char *rcode = s_get(ns, "rcode"), *answer = s_get(ns, "answer");
	char tmp[REPORT_CELL_LEN];

	s_esc(s_get(ns, "name"), cell[N_NAME], REPORT_CELL_LEN);
	s_esc(s_get(ns, "address"), cell[N_ADDR], REPORT_CELL_LEN);
	snprintf(cell[N_REACH], REPORT_CELL_LEN, "%s", up ? "yes" : "no");
	s_esc(rcode[0] != '\0' ? rcode : "-", cell[N_RCODE], REPORT_CELL_LEN);
	if (json_is_integer(ttl) && (json_integer_value(ttl) > 0 || answer[0] != '\0'))
		snprintf(cell[N_TTL], REPORT_CELL_LEN, "%lld", (long long)json_integer_value(ttl));
	else
		snprintf(cell[N_TTL], REPORT_CELL_LEN, "-");
	snprintf(cell[N_MATCH], REPORT_CELL_LEN, "%s",
	         !up ? "-" : (json_is_true(json_object_get(ns, "matches")) ? "yes" : "no"));
	if (!up) {
		s_esc(s_get(ns, "error"), tmp, sizeof(tmp));
		snprintf(cell[N_ANSWER], REPORT_CELL_LEN, "(%.*s)", REPORT_CELL_LEN - 3,
		         tmp[0] ? tmp : "no answer");
	} else {
		s_esc(answer[0] != '\0' ? answer : "-", cell[N_ANSWER], REPORT_CELL_LEN);
	}
	if (strlen(cell[N_ANSWER]) > REPORT_ANSWER_COL)
		snprintf(cell[N_ANSWER] + REPORT_ANSWER_COL - 4, 5, " ...");
	for (int c = 0; c < N_ANSWER; c++)
		if (strlen(cell[c]) > REPORT_COL_MAX)
			cell[c][REPORT_COL_MAX] = '\0';
}

/* The authoritative sweep (DNS-01): one header, then each vantage's rows
 * under its name, columns aligned across the check.  Two passes (widths, then rows), so nothing is
 * allocated. */
static void s_print_nameservers(const json_t *results, FILE *out)
{
	char cell[N_NCOLS][REPORT_CELL_LEN], who[REPORT_CELL_LEN * 2 + 4];
	size_t n = json_array_size(results), width[N_NCOLS], rows = 0;

	for (int c = 0; c < N_NCOLS; c++)
		width[c] = strlen(s_ns_heads[c]);
	for (size_t i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
		const json_t *nss = json_object_get(json_array_get(results, i), "nameservers");
		for (size_t j = 0; j < json_array_size(nss) && j < LIMIT_MAX_NAMESERVERS; j++) {
			s_ns_cells(json_array_get(nss, j), cell);
			for (int c = 0; c < N_NCOLS; c++)
				if (strlen(cell[c]) > width[c])
					width[c] = strlen(cell[c]);
			rows++;
		}
	}
	if (rows == 0)
		return;
	fputs("Nameservers, as each vantage saw them:\n    ", out);
	for (int c = 0; c < N_NCOLS; c++)
		s_print_cell(out, s_ns_heads[c], width[c], "", c == N_NCOLS - 1);
	fputc('\n', out);
	for (size_t i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
		const json_t *r = json_array_get(results, i);
		const json_t *nss = json_object_get(r, "nameservers");
		if (json_array_size(nss) == 0)
			continue;
		fprintf(out, "  %s\n", s_who(r, who, sizeof(who)));
		for (size_t j = 0; j < json_array_size(nss) && j < LIMIT_MAX_NAMESERVERS; j++) {
			s_ns_cells(json_array_get(nss, j), cell);
			fputs("    ", out);
			for (int c = 0; c < N_NCOLS; c++)
				s_print_cell(out, cell[c], width[c], "", c == N_NCOLS - 1);
			fputc('\n', out);
		}
	}
}

/* Does result i carry warning text within its first LIMIT_MAX_WARNINGS? */
static bool s_has_warning(const json_t *r, const char *text)
{
	const json_t *w = json_object_get(r, "warnings");

	for (size_t v = 0; v < json_array_size(w) && v < LIMIT_MAX_WARNINGS; v++) {
		const char *t = json_string_value(json_array_get(w, v));
		if (t != NULL && strcmp(t, text) == 0)
			return true;
	}
	return false;
}

/* Every distinct warning once, with the agents that gave it (TLS-ALPN-01,
 * DNS-01 and CAA: for CAA they say why a record forbids). */
static void s_print_warnings(const json_t *results, FILE *out)
{
	char text[REPORT_ESC_LEN], a[REPORT_CELL_LEN];
	size_t n = json_array_size(results), k = 0;

	if (n > REPORT_MAX_ROWS)
		n = REPORT_MAX_ROWS;
	for (size_t i = 0; i < n; i++) {
		const json_t *ws = json_object_get(json_array_get(results, i), "warnings");
		for (size_t v = 0; v < json_array_size(ws) && v < LIMIT_MAX_WARNINGS; v++) {
			const char *t = json_string_value(json_array_get(ws, v));
			size_t listed = 0, total = 0;
			bool seen = false;
			if (t == NULL)
				continue;
			for (size_t j = 0; j < i && !seen; j++)
				seen = s_has_warning(json_array_get(results, j), t);
			for (size_t u = 0; u < v && !seen; u++)
				seen = json_equal(json_array_get(ws, u), json_array_get(ws, v));
			if (seen)
				continue;
			if (k++ == 0)
				fputs("Warnings:\n", out);
			fputs("  ", out);
			for (size_t j = i; j < n; j++) {
				const json_t *r = json_array_get(results, j);
				if (!s_has_warning(r, t))
					continue;
				if (listed++ < VERDICT_MAX_LISTED) {
					s_esc(s_get(r, "agent"), a, sizeof(a));
					fprintf(out, "%s%s", listed > 1 ? ", " : "", a);
				}
				total++;
			}
			if (total > VERDICT_MAX_LISTED)
				fprintf(out, " and %zu more", total - VERDICT_MAX_LISTED);
			s_esc(t, text, sizeof(text));
			fprintf(out, ": %s\n", text);
		}
	}
}

/* Methods whose table lists the agents' warnings (HTTP-01 keeps its table as
 * it was: its warnings are in the diagnosis). */
static bool s_warns_in_table(const char *method)
{
	return strcmp(method, "tls-alpn-01") == 0 || strcmp(method, "dns-01") == 0 ||
	       strcmp(method, "caa") == 0 || strcmp(method, "tls-cert") == 0;
}

/* "a3 (eu-west), a4 (us-west)" for results whose outcome is want. */
static void s_print_agents(const json_t *results, const char *want, FILE *out)
{
	char a[REPORT_ESC_LEN], r[REPORT_ESC_LEN];
	size_t k = 0, n = json_array_size(results);

	for (size_t i = 0; i < n && i < REPORT_MAX_ROWS; i++) {
		const json_t *res = json_array_get(results, i);
		const char *level = s_get(json_object_get(res, "cert_check"), "level");
		/* tls-cert: a probe that passed with a certificate about to
		 * expire fails the check too (verdict.c) */
		bool cert_fails = strcmp(want, "fail") == 0 &&
		                  strcmp(s_get(res, "outcome"), "pass") == 0 &&
		                  (strcmp(level, "critical") == 0 ||
		                   strcmp(level, "expired") == 0 || strcmp(level, "none") == 0);
		if ((strcmp(s_get(res, "outcome"), want) != 0 && !cert_fails) ||
		    json_is_false(json_object_get(res, "judged")))
			continue;
		s_esc(s_get(res, "agent"), a, sizeof(a));
		s_esc(s_get(res, "region"), r, sizeof(r));
		fprintf(out, "%s%s%s%s%s", k > 0 ? ", " : "", a, r[0] ? " (" : "", r,
		        r[0] ? ")" : "");
		k++;
	}
	if (k == 0)
		fputs("none", out);
}

static void s_print_le(const json_t *le, FILE *out, bool color)
{
	char buf[REPORT_ESC_LEN];
	const json_t *acc = json_object_get(le, "accepted");
	const char *what, *col;

	if (json_is_true(acc)) {
		what = "would accept";
		col = color ? S_GREEN : "";
	} else if (json_is_false(acc)) {
		what = "would refuse";
		col = color ? S_RED : "";
	} else {
		what = "cannot tell";
		col = color ? S_YELLOW : "";
	}
	fprintf(out, "Let's Encrypt: %s%s%s", col, what, col[0] ? S_RESET : "");
	s_esc(s_get(le, "reason"), buf, sizeof(buf));
	if (buf[0] != '\0')
		fprintf(out, ": %s", buf);
	fputc('\n', out);
	if (json_is_string(json_object_get(le, "le_problem"))) {
		s_esc(s_get(le, "le_problem"), buf, sizeof(buf));
		fprintf(out, "  it would report: %s\n", buf);
	}
}

/* Print text from column col on, wrapped at REPORT_WRAP columns, lines after
 * the first indented to column cont.  Words longer than a line are not
 * cut. */
#define REPORT_WRAP 100
static void s_wrap(FILE *out, size_t col, size_t cont, const char *text)
{
	const char *p = text;
	bool first = true;

	while (*p != '\0') {
		size_t w = strcspn(p, " ");
		if (!first && col + 1 + w > REPORT_WRAP) {
			fprintf(out, "\n%*s", (int)cont, "");
			col = cont;
		} else if (!first) {
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, w, out);
		col += w;
		p += w;
		first = false;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

/* "      fix: " and text, continuation lines under the text. */
static void s_print_wrapped(FILE *out, const char *label, size_t indent, const char *text)
{
	fprintf(out, "%*s%s", (int)indent, "", label);
	s_wrap(out, indent + strlen(label), indent + strlen(label), text);
}

void report_print_snippet(FILE *out, size_t indent, const char *name, const char *text)
{
	const char *p = text;

	if (text == NULL)
		return;
	fprintf(out, "%*s%s:\n", (int)indent, "", name);
	while (*p != '\0') {
		size_t n = strcspn(p, "\n");
		fprintf(out, "%*s%.*s\n", (int)indent + 2, "", (int)n, p);
		p += n;
		if (*p == '\n')
			p++;
	}
}

/* A string array's members joined by ", ", escaped; a member that is an
 * agent in results (NULL: none) gets its region: "euw1 (eu-west), euc1
 * (eu-central)". */
static void s_join(const json_t *arr, const json_t *results, char *buf, size_t len)
{
	char esc[REPORT_ESC_LEN];

	buf[0] = '\0';
	for (size_t i = 0; i < json_array_size(arr); i++) {
		const char *v = json_string_value(json_array_get(arr, i));
		const char *region = "";
		for (size_t r = 0; v != NULL && r < json_array_size(results); r++) {
			const json_t *row = json_array_get(results, r);
			if (strcmp(s_get(row, "agent"), v) == 0)
				region = s_get(row, "region");
		}
		s_esc(v != NULL ? v : "", esc, sizeof(esc));
		text_appendf(buf, len, "%s%s", i > 0 ? ", " : "", esc);
		if (region[0] != '\0') {
			s_esc(region, esc, sizeof(esc));
			text_appendf(buf, len, " (%s)", esc);
		}
	}
}

/* The findings of one check, fatal first, then error, warning, info: the
 * summary line, then (except for info) vantages, addresses, evidence,
 * cause, fix and configuration snippets. */
static void s_print_findings(const json_t *findings, const json_t *results, FILE *out, bool color)
{
	static const char *const order[] = {"fatal", "error", "warning", "info"};
	char buf[REPORT_ESC_LEN], list[REPORT_ESC_LEN];

	fputs("Findings:\n", out);
	if (json_array_size(findings) == 0)
		fputs("  (none)\n", out);
	for (size_t o = 0; o < sizeof(order) / sizeof(order[0]); o++) {
		for (size_t i = 0; i < json_array_size(findings) && i < VERDICT_MAX_DIAGNOSIS;
		     i++) {
			const json_t *f = json_array_get(findings, i);
			const json_t *ev = json_object_get(f, "evidence");
			const char *sev = s_get(f, "severity");
			const char *col = "";
			if (strcmp(sev, order[o]) != 0)
				continue;
			if (color)
				col = strcmp(sev, "info") == 0      ? S_GREEN
				      : strcmp(sev, "warning") == 0 ? S_YELLOW
				                                    : S_RED;
			s_esc(s_get(f, "summary"), buf, sizeof(buf));
			fprintf(out, "  %s%-7s%s %s%s%s: ", col, sev, color ? S_RESET : "",
			        color ? S_BOLD : "", s_get(f, "id"), color ? S_RESET : "");
			s_wrap(out, 2 + 7 + 1 + strlen(s_get(f, "id")) + 2, 10, buf);
			if (strcmp(sev, "info") == 0)
				continue;
			s_join(json_object_get(f, "vantages"), results, list, sizeof(list));
			if (list[0] != '\0')
				fprintf(out, "      vantages: %s\n", list);
			s_join(json_object_get(f, "addresses"), NULL, list, sizeof(list));
			if (list[0] != '\0')
				fprintf(out, "      addresses: %s\n", list);
			for (size_t e = 0; e < json_array_size(ev) && e < FINDING_MAX_EVIDENCE;
			     e++) {
				const char *v = json_string_value(json_array_get(ev, e));
				s_esc(v != NULL ? v : "", buf, sizeof(buf));
				fprintf(out, "      evidence: %s\n", buf);
			}
			if (json_is_string(json_object_get(f, "cause")))
				s_print_wrapped(out, "cause: ", 6, s_get(f, "cause"));
			if (json_is_string(json_object_get(f, "fix")))
				s_print_wrapped(out, "fix: ", 6, s_get(f, "fix"));
			for (size_t s = 0; s < FINDING_N_SNIPPETS; s++) {
				const char *key = finding_snippet(NULL, s).key;
				report_print_snippet(out, 6, key,
				                     json_string_value(json_object_get(
				                             json_object_get(f, "snippets"), key)));
			}
		}
	}
	fputs("  (details: vantage findings ID; docs/findings.md)\n", out);
}

void report_print(const json_t *doc, FILE *out, bool color)
{
	const json_t *checks = json_object_get(doc, "checks");
	char buf[REPORT_ESC_LEN], buf2[REPORT_ESC_LEN];
	const char *verdict;
	size_t n = json_array_size(checks);

	if (!json_is_object(doc) || !json_is_array(checks)) {
		fprintf(out, "malformed report: no \"checks\" list\n");
		return;
	}
	for (size_t i = 0; i < n && i < LIMIT_DOMAINS_PER_CHECK; i++) {
		const json_t *c = json_array_get(checks, i);
		const json_t *results = json_object_get(c, "results");
		const json_t *diag = json_object_get(c, "diagnosis");
		const char *v = s_get(c, "verdict");

		s_esc(s_get(c, "domain"), buf, sizeof(buf));
		s_esc(s_get(c, "method"), buf2, sizeof(buf2));
		fprintf(out, "%s%s %s%s", color ? S_BOLD : "", buf, buf2, color ? S_RESET : "");
		s_esc(s_get(c, "mode"), buf, sizeof(buf));
		fprintf(out, " (%s)\n", buf[0] != '\0' ? buf : "?");
		s_print_table(results, out, color);
		s_print_certs(results, out);
		s_print_nameservers(results, out);
		if (s_warns_in_table(s_get(c, "method")))
			s_print_warnings(results, out);
		fputs("Failing vantages: ", out);
		s_print_agents(results, "fail", out);
		fputc('\n', out);
		fputs("Did not answer: ", out);
		s_print_agents(results, "unavailable", out);
		fputc('\n', out);
		if (json_is_array(json_object_get(c, "findings"))) {
			s_print_findings(json_object_get(c, "findings"), results, out, color);
		} else { /* a document from before findings (history) */
			fputs("Diagnosis:\n", out);
			for (size_t d = 0; d < json_array_size(diag) && d < VERDICT_MAX_DIAGNOSIS;
			     d++) {
				const char *line = json_string_value(json_array_get(diag, d));
				s_esc(line != NULL ? line : "", buf, sizeof(buf));
				fprintf(out, "  - %s\n", buf);
			}
		}
		/* tls-cert is no validation: Let's Encrypt's rule says nothing */
		if (strcmp(s_get(c, "method"), "tls-cert") != 0)
			s_print_le(json_object_get(c, "le_multi_perspective"), out, color);
		s_esc(v, buf, sizeof(buf));
		fprintf(out, "Check verdict: %s%s%s\n\n", s_color_for(v, color), buf,
		        color ? S_RESET : "");
	}
	verdict = s_get(doc, "verdict");
	s_esc(verdict, buf, sizeof(buf));
	fprintf(out, "Verdict: %s%s%s\n", s_color_for(verdict, color), buf, color ? S_RESET : "");
}
