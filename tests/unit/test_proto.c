/*
 * test_proto.c -- the wire format: round trips of every message type and the
 * decoder's refusal of hostile frames (truncated, oversized, wrong types,
 * huge declared counts, deep nesting, trailing bytes, random bytes).
 *
 * Hostile frames are built byte by byte with the small builder below, so the
 * tests do not depend on msgpack-c (only proto/ knows it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "proto/proto.h"
#include "proto/proto_limits.h"

#define TB_CAP        8192 /* bytes in one hand-built frame */
#define RANDOM_FRAMES 4000 /* random byte strings decoded */
#define RANDOM_MAXLEN 96   /* their longest length */
#define MUTATIONS     3000 /* mutated valid frames decoded */
#define ERRLEN        256

/* ---- a tiny msgpack writer for hand-built frames ---- */

struct tb {
	uint8_t b[TB_CAP];
	size_t n;
};

static void tb_raw(struct tb *t, const void *p, size_t n)
{
	if (p == NULL || n == 0)
		return;
	cr_assert(t->n + n <= sizeof(t->b), "test frame too big");
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void tb_u8(struct tb *t, uint8_t v)
{
	tb_raw(t, &v, 1);
}

static void tb_map(struct tb *t, unsigned n)
{
	cr_assert(n < 16);
	tb_u8(t, (uint8_t)(0x80 | n));
}

static void tb_strn(struct tb *t, const char *s, size_t n)
{
	if (n < 32) {
		tb_u8(t, (uint8_t)(0xa0 | n));
	} else {
		tb_u8(t, 0xda);
		tb_u8(t, (uint8_t)(n >> 8));
		tb_u8(t, (uint8_t)n);
	}
	tb_raw(t, s, n);
}

static void tb_str(struct tb *t, const char *s)
{
	tb_strn(t, s, strlen(s));
}

static void tb_uint(struct tb *t, uint32_t v)
{
	if (v < 128) {
		tb_u8(t, (uint8_t)v);
		return;
	}
	tb_u8(t, 0xce);
	for (int i = 3; i >= 0; i--)
		tb_u8(t, (uint8_t)(v >> (8 * i)));
}

/*
 * A JOB frame built by hand.  `omit` leaves one key out; `swap_key` replaces
 * that key's value with raw bytes; `extra` appends one more raw key/value
 * pair (already encoded).  NULLs for none.
 */
static void s_job_frame(struct tb *t, const char *omit, const char *swap_key, const void *swap,
                        size_t swaplen, const void *extra, size_t extralen)
{
	static const char *keys[] = {"v", "t", "id", "m", "mode", "b", "d", "tok", "ka"};
	size_t nkeys = sizeof(keys) / sizeof(keys[0]);

	t->n = 0;
	tb_map(t, (unsigned)(nkeys - (omit ? 1 : 0) + (extra ? 1 : 0)));
	for (size_t i = 0; i < nkeys; i++) {
		const char *k = keys[i];

		if (omit && strcmp(omit, k) == 0)
			continue;
		tb_str(t, k);
		if (swap_key && strcmp(swap_key, k) == 0) {
			tb_raw(t, swap, swaplen);
			continue;
		}
		if (strcmp(k, "v") == 0)
			tb_uint(t, PROTO_VERSION);
		else if (strcmp(k, "t") == 0)
			tb_uint(t, PROTO_JOB);
		else if (strcmp(k, "id") == 0)
			tb_str(t, "0123abcd");
		else if (strcmp(k, "m") == 0)
			tb_uint(t, VT_METHOD_HTTP01);
		else if (strcmp(k, "mode") == 0)
			tb_uint(t, VT_MODE_VALIDATE);
		else if (strcmp(k, "b") == 0)
			tb_uint(t, JOB_DEFAULT_BUDGET_MS);
		else if (strcmp(k, "d") == 0)
			tb_str(t, "example.com");
		else if (strcmp(k, "tok") == 0)
			tb_str(t, "tok123");
		else
			tb_str(t, "tok123.thumb");
	}
	if (extra)
		tb_raw(t, extra, extralen);
}

/* Decode and require refusal with `want` in the error text. */
static void s_refused(const void *data, size_t len, const char *want)
{
	struct proto_msg m;
	char err[ERRLEN];
	int rc;

	memset(&m, 0xa5, sizeof(m));
	rc = proto_decode(data, len, &m, err, sizeof(err));
	cr_assert_eq(rc, -1, "accepted a frame that should fail with \"%s\"", want);
	cr_assert(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"", err, want);
	cr_assert_eq(m.type, 0, "message not cleared on failure");
	cr_assert_null(m.u.result.records);
}

/* ---- sample messages ---- */

static void s_sample_job(struct proto_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PROTO_JOB;
	snprintf(m->u.job.id, sizeof(m->u.job.id), "%s", "00112233445566778899aabbccddeeff");
	m->u.job.method = VT_METHOD_HTTP01;
	m->u.job.mode = VT_MODE_REACHABILITY;
	m->u.job.budget_ms = 15000;
	snprintf(m->u.job.domain, sizeof(m->u.job.domain), "%s", "www.example.org");
	snprintf(m->u.job.token, sizeof(m->u.job.token), "%s",
	         "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0");
	snprintf(m->u.job.key_authorization, sizeof(m->u.job.key_authorization), "%s",
	         "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0.9jg46WB3rR_AHD-"
	         "EBXdN7cBkH1WOu0tA3M9fm21mqTI");
}

static void s_sample_result(struct proto_msg *m)
{
	struct vt_result *r = &m->u.result;

	memset(m, 0, sizeof(*m));
	m->type = PROTO_RESULT;
	snprintf(r->job_id, sizeof(r->job_id), "%s", "deadbeef");
	r->method = VT_METHOD_HTTP01;
	snprintf(r->domain, sizeof(r->domain), "%s", "www.example.org");
	r->http_status = 404;
	vt_result_fail(r, VT_PROB_UNAUTHORIZED,
	               "Invalid response from http://www.example.org/.well-known/"
	               "acme-challenge/x: 404");
	vt_result_add_warning(r, "%s", "IPv6 address failed, fell back to IPv4");
	vt_result_add_warning(r, "%s", "redirect to port 8080 refused");
	r->timings.resolve_ms = 12;
	r->timings.connect_ms = 34;
	r->timings.total_ms = 5678;
	for (int i = 0; i < 3; i++) {
		struct vt_record *rec = vt_result_add_record(r);

		cr_assert_not_null(rec);
		snprintf(rec->url, sizeof(rec->url), "http://host%d.example.org/.well-known/x", i);
		snprintf(rec->hostname, sizeof(rec->hostname), "host%d.example.org", i);
		rec->port = i == 1 ? 4660 : 80;
		snprintf(rec->addresses_resolved[0], LIMIT_ADDR_LEN, "2001:db8::%d", i + 1);
		snprintf(rec->addresses_resolved[1], LIMIT_ADDR_LEN, "192.0.2.%d", i + 1);
		rec->n_addresses_resolved = 2;
		snprintf(rec->address_used, sizeof(rec->address_used), "192.0.2.%d", i + 1);
		snprintf(rec->addresses_tried[0], LIMIT_ADDR_LEN, "2001:db8::%d", i + 1);
		rec->n_addresses_tried = i == 2 ? 0 : 1;
	}
}

static void s_encode_ok(const struct proto_msg *m, uint8_t **buf, size_t *len)
{
	char err[ERRLEN];

	cr_assert_eq(proto_encode(m, buf, len, err, sizeof(err)), 0, "encode: %s", err);
	cr_assert_not_null(*buf);
	cr_assert_gt(*len, 0);
}

static void s_roundtrip(const struct proto_msg *in, struct proto_msg *out)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[ERRLEN];

	s_encode_ok(in, &buf, &len);
	cr_assert_eq(proto_decode(buf, len, out, err, sizeof(err)), 0, "decode: %s", err);
	cr_assert_eq(out->type, in->type);
	free(buf);
}

/* ---- round trips ---- */

Test(proto, roundtrip_hello)
{
	struct proto_msg in = {.type = PROTO_HELLO}, out;

	snprintf(in.u.hello.agent_version, sizeof(in.u.hello.agent_version), "%s", VANTAGE_VERSION);
	in.u.hello.ipv4 = true;
	in.u.hello.ipv6 = false;
	in.u.hello.max_inflight = 500;
	in.u.hello.methods = 1u << VT_METHOD_HTTP01 | 1u << VT_METHOD_DNS01;
	s_roundtrip(&in, &out);
	cr_assert_str_eq(out.u.hello.agent_version, VANTAGE_VERSION);
	cr_assert(out.u.hello.ipv4);
	cr_assert(!out.u.hello.ipv6);
	cr_assert_eq(out.u.hello.max_inflight, 500);
	cr_assert_eq(out.u.hello.methods, in.u.hello.methods);
	proto_msg_clear(&out);
}

/* A HELLO frame built by hand with the fields version 1 first shipped, plus
 * extra (raw key/value pairs, nextra of them). */
static void s_hello_frame(struct tb *t, const void *extra, size_t extralen, unsigned nextra)
{
	t->n = 0;
	tb_map(t, 7 + nextra);
	tb_str(t, "v");
	tb_uint(t, PROTO_VERSION);
	tb_str(t, "t");
	tb_uint(t, PROTO_HELLO);
	tb_str(t, "ver");
	tb_str(t, VANTAGE_VERSION);
	tb_str(t, "ip4");
	tb_u8(t, 0xc3);
	tb_str(t, "ip6");
	tb_u8(t, 0xc2);
	tb_str(t, "mi");
	tb_uint(t, 100);
	tb_str(t, "ms");
	tb_uint(t, 1u << VT_METHOD_HTTP01);
	tb_raw(t, extra, extralen);
}

Test(proto, roundtrip_hello_enrolment)
{
	struct proto_msg in = {.type = PROTO_HELLO}, out;
	char name[LIMIT_AGENT_NAME_LEN + 1], token[LIMIT_ENROLL_TOKEN_LEN + 1];

	snprintf(in.u.hello.agent_version, sizeof(in.u.hello.agent_version), "%s", VANTAGE_VERSION);
	in.u.hello.max_inflight = 1;
	in.u.hello.methods = 1u << VT_METHOD_HTTP01;
	snprintf(in.u.hello.enroll_name, sizeof(in.u.hello.enroll_name), "%s", "fra-1");
	snprintf(in.u.hello.enroll_token, sizeof(in.u.hello.enroll_token), "%s",
	         "Zq3v0aB7kLmN9pQrStUvWxYz01234567");
	s_roundtrip(&in, &out);
	cr_assert_str_eq(out.u.hello.enroll_name, "fra-1");
	cr_assert_str_eq(out.u.hello.enroll_token, in.u.hello.enroll_token);
	proto_msg_clear(&out);

	/* both at their limits */
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memset(token, 't', sizeof(token) - 1);
	token[sizeof(token) - 1] = '\0';
	memcpy(in.u.hello.enroll_name, name, sizeof(name));
	memcpy(in.u.hello.enroll_token, token, sizeof(token));
	s_roundtrip(&in, &out);
	cr_assert_str_eq(out.u.hello.enroll_name, name);
	cr_assert_str_eq(out.u.hello.enroll_token, token);
	proto_msg_clear(&out);
}

Test(proto, hello_enrolment_fields_are_optional)
{
	struct tb t;
	struct proto_msg m;
	char err[ERRLEN];

	/* an older agent's HELLO has neither "en" nor "et" */
	s_hello_frame(&t, NULL, 0, 0);
	memset(&m, 0xa5, sizeof(m));
	cr_assert_eq(proto_decode(t.b, t.n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.type, PROTO_HELLO);
	cr_assert_str_eq(m.u.hello.enroll_name, "");
	cr_assert_str_eq(m.u.hello.enroll_token, "");
	cr_assert_eq(m.u.hello.max_inflight, 100);
}

Test(proto, hello_enrolment_fields_checked)
{
	struct tb t, v;
	char big[LIMIT_ENROLL_TOKEN_LEN + 1];
	static const uint8_t en_int[] = {0xa2, 'e', 'n', 0x07};

	memset(big, 'x', sizeof(big));
	v.n = 0;
	tb_str(&v, "en");
	tb_strn(&v, big, LIMIT_AGENT_NAME_LEN + 1);
	s_hello_frame(&t, v.b, v.n, 1);
	s_refused(t.b, t.n, "field \"en\" (enrolment name): string of 64 bytes does not fit");

	v.n = 0;
	tb_str(&v, "et");
	tb_strn(&v, big, LIMIT_ENROLL_TOKEN_LEN + 1);
	s_hello_frame(&t, v.b, v.n, 1);
	s_refused(t.b, t.n, "field \"et\" (enrolment token): string of 65 bytes does not fit");

	s_hello_frame(&t, en_int, sizeof(en_int), 1);
	s_refused(t.b, t.n, "field \"en\" (enrolment name): expected string, got integer");
}

Test(proto, encoder_refuses_unterminated_enrolment_fields)
{
	struct proto_msg m;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[ERRLEN];

	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	m.u.hello.max_inflight = 1;
	memset(m.u.hello.enroll_token, 'a', sizeof(m.u.hello.enroll_token));
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"et\" (enrolment token): not NUL-terminated") != NULL, "%s",
	          err);
	cr_assert_null(buf);
}

Test(proto, roundtrip_welcome_heartbeat_bye)
{
	struct proto_msg in = {.type = PROTO_WELCOME}, out;

	in.u.welcome.heartbeat_ivl_ms = 1500;
	in.u.welcome.liveness = 4;
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.welcome.heartbeat_ivl_ms, 1500);
	cr_assert_eq(out.u.welcome.liveness, 4);

	memset(&in, 0, sizeof(in));
	in.type = PROTO_HEARTBEAT;
	in.u.heartbeat.inflight = 4000000000u;
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.heartbeat.inflight, 4000000000u);

	memset(&in, 0, sizeof(in));
	in.type = PROTO_BYE;
	snprintf(in.u.bye.reason, sizeof(in.u.bye.reason), "%s", "shutting down");
	s_roundtrip(&in, &out);
	cr_assert_str_eq(out.u.bye.reason, "shutting down");

	memset(&in, 0, sizeof(in));
	in.type = PROTO_BYE; /* empty reason is fine */
	s_roundtrip(&in, &out);
	cr_assert_str_eq(out.u.bye.reason, "");
}

Test(proto, roundtrip_job)
{
	struct proto_msg in, out;

	s_sample_job(&in);
	s_roundtrip(&in, &out);
	cr_assert_str_eq(out.u.job.id, in.u.job.id);
	cr_assert_eq(out.u.job.method, VT_METHOD_HTTP01);
	cr_assert_eq(out.u.job.mode, VT_MODE_REACHABILITY);
	cr_assert_eq(out.u.job.budget_ms, 15000);
	cr_assert_str_eq(out.u.job.domain, in.u.job.domain);
	cr_assert_str_eq(out.u.job.token, in.u.job.token);
	cr_assert_str_eq(out.u.job.key_authorization, in.u.job.key_authorization);
}

Test(proto, roundtrip_result)
{
	struct proto_msg in, out;
	const struct vt_result *a = &in.u.result, *b = &out.u.result;

	s_sample_result(&in);
	s_roundtrip(&in, &out);
	cr_assert_str_eq(b->job_id, a->job_id);
	cr_assert_eq(b->method, a->method);
	cr_assert_str_eq(b->domain, a->domain);
	cr_assert_eq(b->outcome, VT_OUTCOME_FAIL);
	cr_assert_eq(b->problem.type, VT_PROB_UNAUTHORIZED);
	cr_assert_str_eq(b->problem.detail, a->problem.detail);
	cr_assert_eq(b->http_status, 404);
	cr_assert_eq(b->n_warnings, 2);
	for (size_t i = 0; i < a->n_warnings; i++)
		cr_assert_str_eq(b->warnings[i], a->warnings[i]);
	cr_assert_eq(b->timings.resolve_ms, 12);
	cr_assert_eq(b->timings.connect_ms, 34);
	cr_assert_eq(b->timings.total_ms, 5678);
	cr_assert_eq(b->n_records, 3);
	for (size_t i = 0; i < a->n_records; i++) {
		const struct vt_record *x = &a->records[i], *y = &b->records[i];

		cr_assert_str_eq(y->url, x->url);
		cr_assert_str_eq(y->hostname, x->hostname);
		cr_assert_eq(y->port, x->port);
		cr_assert_eq(y->n_addresses_resolved, x->n_addresses_resolved);
		for (size_t j = 0; j < x->n_addresses_resolved; j++)
			cr_assert_str_eq(y->addresses_resolved[j], x->addresses_resolved[j]);
		cr_assert_str_eq(y->address_used, x->address_used);
		cr_assert_eq(y->n_addresses_tried, x->n_addresses_tried);
		for (size_t j = 0; j < x->n_addresses_tried; j++)
			cr_assert_str_eq(y->addresses_tried[j], x->addresses_tried[j]);
	}
	proto_msg_clear(&out);
	cr_assert_null(out.u.result.records);
	proto_msg_clear(&out); /* twice is safe */
	proto_msg_clear(&in);
}

Test(proto, roundtrip_result_at_limits)
{
	struct proto_msg in, out;
	struct vt_result *r = &in.u.result;

	memset(&in, 0, sizeof(in));
	in.type = PROTO_RESULT;
	r->method = VT_METHOD_CAA;
	r->outcome = VT_OUTCOME_PASS;
	memset(r->domain, 'd', LIMIT_DOMAIN_LEN);
	memset(r->problem.detail, 'x', sizeof(r->problem.detail) - 1);
	for (int i = 0; i < LIMIT_MAX_WARNINGS; i++)
		vt_result_add_warning(r, "w%d", i);
	for (int i = 0; i < LIMIT_MAX_RECORDS; i++) {
		struct vt_record *rec = vt_result_add_record(r);

		cr_assert_not_null(rec);
		memset(rec->url, 'u', LIMIT_URL_LEN);
		rec->port = UINT16_MAX;
		rec->n_addresses_resolved = LIMIT_MAX_ADDRS * 2;
		for (size_t j = 0; j < rec->n_addresses_resolved; j++)
			memset(rec->addresses_resolved[j], 'a', LIMIT_ADDR_LEN - 1);
		rec->n_addresses_tried = HTTP01_MAX_ADDRS_TRIED;
	}
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.result.n_records, LIMIT_MAX_RECORDS);
	cr_assert_eq(strlen(out.u.result.domain), LIMIT_DOMAIN_LEN);
	cr_assert_eq(strlen(out.u.result.records[25].url), LIMIT_URL_LEN);
	cr_assert_eq(out.u.result.records[25].port, UINT16_MAX);
	cr_assert_eq(strlen(out.u.result.records[25].addresses_resolved[15]), LIMIT_ADDR_LEN - 1);
	cr_assert_eq(out.u.result.n_warnings, LIMIT_MAX_WARNINGS);
	proto_msg_clear(&out);
	proto_msg_clear(&in);
}

Test(proto, unknown_keys_ignored)
{
	struct tb t;
	struct proto_msg m;
	char err[ERRLEN];
	/* "zz": [[[[[1]]]]] -- five arrays under the top map: depth 6, allowed */
	static const uint8_t extra[] = {0xa2, 'z', 'z', 0x91, 0x91, 0x91, 0x91, 0x91, 0x01};

	s_job_frame(&t, NULL, NULL, NULL, 0, extra, sizeof(extra));
	cr_assert_eq(proto_decode(t.b, t.n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(m.u.job.domain, "example.com");
	cr_assert_eq(m.u.job.budget_ms, JOB_DEFAULT_BUDGET_MS);
}

Test(proto, type_names)
{
	cr_assert_str_eq(proto_type_name(PROTO_HELLO), "HELLO");
	cr_assert_str_eq(proto_type_name(PROTO_RESULT), "RESULT");
	cr_assert_str_eq(proto_type_name(PROTO_BYE), "BYE");
	cr_assert_str_eq(proto_type_name((enum proto_type)42), "UNKNOWN");
}

/* ---- refusals ---- */

static void s_every_prefix_refused(const struct proto_msg *msg)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	struct proto_msg m;
	char err[ERRLEN];

	s_encode_ok(msg, &buf, &len);
	for (size_t n = 0; n < len; n++) {
		err[0] = '\0';
		cr_assert_eq(proto_decode(buf, n, &m, err, sizeof(err)), -1,
		             "prefix of %zu/%zu bytes accepted", n, len);
		cr_assert_neq(err[0], '\0', "prefix of %zu bytes: no error text", n);
		cr_assert_eq(m.type, 0);
	}
	/* A cut inside the last string is reported as truncation. */
	cr_assert_eq(proto_decode(buf, len - 1, &m, err, sizeof(err)), -1);
	cr_assert(strstr(err, "truncated frame") != NULL, "%s", err);
	free(buf);
}

Test(proto, truncated_job_prefixes)
{
	struct proto_msg m;

	s_sample_job(&m);
	s_every_prefix_refused(&m);
	s_refused("", 0, "truncated frame: 0 bytes");
}

Test(proto, truncated_result_prefixes)
{
	struct proto_msg m;

	s_sample_result(&m);
	s_every_prefix_refused(&m);
	proto_msg_clear(&m);
}

Test(proto, oversized_frame)
{
	size_t len = PROTO_MAX_MSG_BYTES + 1;
	uint8_t *buf = calloc(1, len);

	cr_assert_not_null(buf);
	buf[0] = 0x80;
	s_refused(buf, len, "exceeds PROTO_MAX_MSG_BYTES");
	free(buf);
}

Test(proto, wrong_typed_field)
{
	struct tb t;
	static const uint8_t num[] = {0x7b};
	static const uint8_t str[] = {0xa2, '2', '0'};
	static const uint8_t flt[] = {0xcb, 0, 0, 0, 0, 0, 0, 0, 0};

	s_job_frame(&t, NULL, "d", num, sizeof(num), NULL, 0);
	s_refused(t.b, t.n, "field \"d\" (domain): expected string, got integer");
	s_job_frame(&t, NULL, "b", str, sizeof(str), NULL, 0);
	s_refused(t.b, t.n, "field \"b\" (budget): expected integer, got string");
	s_job_frame(&t, NULL, "b", flt, sizeof(flt), NULL, 0);
	s_refused(t.b, t.n, "field \"b\" (budget): expected integer, got float");
	s_job_frame(&t, NULL, "v", str, sizeof(str), NULL, 0);
	s_refused(t.b, t.n, "field \"v\" (protocol version): expected integer, got string");
}

Test(proto, wrong_typed_nested_field)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0;
	static const uint8_t port[] = {0xa4, 'p', 'o', 'r', 't', 0xcd, 0x12, 0x34};
	uint8_t *at = NULL;

	s_sample_result(&in);
	s_encode_ok(&in, &buf, &len);
	proto_msg_clear(&in);
	for (size_t i = 0; i + sizeof(port) <= len && at == NULL; i++)
		if (memcmp(buf + i, port, sizeof(port)) == 0)
			at = buf + i;
	cr_assert_not_null(at, "record 1's port not found in the encoding");
	/* replace uint16 0x1234 (3 bytes) by the string "abc" (4 bytes) */
	mod = malloc(len + 1);
	cr_assert_not_null(mod);
	size_t head = (size_t)(at - buf) + 5;
	memcpy(mod, buf, head);
	memcpy(mod + head,
	       "\xa3"
	       "abc",
	       4);
	memcpy(mod + head + 4, buf + head + 3, len - head - 3);
	s_refused(mod, len + 1, "field \"rec[1].port\" (port): expected integer, got string");
	free(mod);
	free(buf);
}

Test(proto, unknown_version_and_type)
{
	struct tb t;
	static const uint8_t nine[] = {0x09};
	static const uint8_t zero[] = {0x00};

	s_job_frame(&t, NULL, "v", nine, sizeof(nine), NULL, 0);
	s_refused(t.b, t.n, "unsupported protocol version 9");
	s_job_frame(&t, NULL, "t", nine, sizeof(nine), NULL, 0);
	s_refused(t.b, t.n, "unknown message type 9");
	s_job_frame(&t, NULL, "t", zero, sizeof(zero), NULL, 0);
	s_refused(t.b, t.n, "unknown message type 0");
}

Test(proto, missing_required_field)
{
	struct tb t;

	s_job_frame(&t, "tok", NULL, NULL, 0, NULL, 0);
	s_refused(t.b, t.n, "field \"tok\" (token): missing required field");
	s_job_frame(&t, "v", NULL, NULL, 0, NULL, 0);
	s_refused(t.b, t.n, "field \"v\" (protocol version): missing required field");
	s_job_frame(&t, "t", NULL, NULL, 0, NULL, 0);
	s_refused(t.b, t.n, "field \"t\" (message type): missing required field");
}

Test(proto, duplicate_and_non_string_keys)
{
	struct tb t;
	static const uint8_t dup[] = {0xa1, 'd', 0xa1, 'x'};
	static const uint8_t intkey[] = {0x01, 0x02};

	s_job_frame(&t, NULL, NULL, NULL, 0, dup, sizeof(dup));
	s_refused(t.b, t.n, "field \"d\" (domain): duplicate key");
	s_job_frame(&t, NULL, NULL, NULL, 0, intkey, sizeof(intkey));
	s_refused(t.b, t.n, "expected string, got integer");
}

Test(proto, huge_declared_counts)
{
	struct tb t;
	static const uint8_t arr[] = {0xdd, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t map[] = {0xdf, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t arr16[] = {0xdc, 0x00, 0x41, 0xc0};

	s_refused(arr, sizeof(arr), "declared array count 4294967295 exceeds remaining 0 bytes");
	s_refused(map, sizeof(map), "declared map count 4294967295 exceeds remaining 0 bytes");
	/* nested inside an otherwise valid map */
	s_job_frame(&t, NULL, "tok", arr, sizeof(arr), NULL, 0);
	s_refused(t.b, t.n, "declared array count 4294967295 exceeds remaining");
	s_job_frame(&t, NULL, "tok", map, sizeof(map), NULL, 0);
	s_refused(t.b, t.n, "declared map count 4294967295 exceeds remaining");
	/* 65 elements, with enough bytes behind them, still over PROTO_MAX_ARRAY */
	t.n = 0;
	tb_u8(&t, 0xdc);
	tb_u8(&t, 0);
	tb_u8(&t, PROTO_MAX_ARRAY + 1);
	for (int i = 0; i <= PROTO_MAX_ARRAY; i++)
		tb_u8(&t, 0xc0);
	s_refused(t.b, t.n, "exceeds PROTO_MAX_ARRAY");
	s_refused(arr16, sizeof(arr16), "declared array count 65 exceeds remaining 1 bytes");
}

Test(proto, huge_count_in_result)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0, at = 0;
	static const uint8_t w[] = {0xa1, 'w', 0x92};

	s_sample_result(&in);
	s_encode_ok(&in, &buf, &len);
	proto_msg_clear(&in);
	for (size_t i = 0; i + sizeof(w) <= len && at == 0; i++)
		if (memcmp(buf + i, w, sizeof(w)) == 0)
			at = i + 2;
	cr_assert_gt(at, 0, "warnings array not found");
	mod = malloc(len + 4);
	cr_assert_not_null(mod);
	memcpy(mod, buf, at);
	memcpy(mod + at, "\xdd\xff\xff\xff\xff", 5);
	memcpy(mod + at + 5, buf + at + 1, len - at - 1);
	s_refused(mod, len + 4, "declared array count 4294967295 exceeds remaining");
	free(mod);
	free(buf);
}

Test(proto, string_too_long)
{
	struct tb t;
	char big[PROTO_MAX_STR + 2];
	struct tb v;

	memset(big, 'a', sizeof(big));
	v.n = 0;
	tb_strn(&v, big, LIMIT_DOMAIN_LEN + 1);
	s_job_frame(&t, NULL, "d", v.b, v.n, NULL, 0);
	s_refused(t.b, t.n, "field \"d\" (domain): string of 254 bytes does not fit (at most 253)");

	v.n = 0;
	tb_strn(&v, big, PROTO_MAX_STR + 1);
	s_job_frame(&t, NULL, "ka", v.b, v.n, NULL, 0);
	s_refused(t.b, t.n, "string of 4097 bytes at offset");
	cr_assert(t.n > 0);

	v.n = 0;
	tb_strn(&v, "ab\0cd", 5);
	s_job_frame(&t, NULL, "d", v.b, v.n, NULL, 0);
	s_refused(t.b, t.n, "field \"d\" (domain): string contains a NUL byte");

	/* a declared length past the end of the frame */
	static const uint8_t cut[] = {0x81, 0xa1, 'v', 0xdb, 0x00, 0x00, 0x01, 0x00, 'x'};
	s_refused(cut, sizeof(cut), "truncated frame: string of 256 bytes");
}

Test(proto, nesting_too_deep)
{
	struct tb t;
	static const uint8_t extra[] = {0xa2, 'z', 'z', 0x91, 0x91, 0x91, 0x91, 0x91, 0x91, 0x01};
	static const uint8_t maps[] = {0x81, 0xa1, 'a',  0x81, 0xa1, 'a',  0x81, 0xa1,
	                               'a',  0x81, 0xa1, 'a',  0x81, 0xa1, 'a',  0x81,
	                               0xa1, 'a',  0x81, 0xa1, 'a',  0x01};

	s_job_frame(&t, NULL, NULL, NULL, 0, extra, sizeof(extra));
	s_refused(t.b, t.n, "nesting deeper than PROTO_MAX_DEPTH (6)");
	s_refused(maps, sizeof(maps), "nesting deeper than PROTO_MAX_DEPTH (6)");
}

Test(proto, trailing_garbage_and_not_a_map)
{
	struct tb t;
	static const uint8_t arr[] = {0x91, 0x01};
	static const uint8_t ext[] = {0x81, 0xa1, 'x', 0xd4, 0x01, 0x02};

	s_job_frame(&t, NULL, NULL, NULL, 0, NULL, 0);
	tb_u8(&t, 0xc0);
	s_refused(t.b, t.n, "1 trailing bytes after the message");
	s_refused(arr, sizeof(arr), "frame is not a map");
	s_refused(ext, sizeof(ext), "ext type (format byte 0xd4)");
	s_refused("\xc1", 1, "reserved format byte 0xc1");
}

Test(proto, enum_and_range_checks)
{
	struct tb t;
	static const uint8_t nine[] = {0x09};
	static const uint8_t neg[] = {0xff};
	static const uint8_t small[] = {0x05};

	s_job_frame(&t, NULL, "m", nine, sizeof(nine), NULL, 0);
	s_refused(t.b, t.n, "field \"m\" (method): value 9 out of range 1..5");
	s_job_frame(&t, NULL, "mode", nine, sizeof(nine), NULL, 0);
	s_refused(t.b, t.n, "field \"mode\" (mode): value 9 out of range 1..2");
	s_job_frame(&t, NULL, "b", small, sizeof(small), NULL, 0);
	s_refused(t.b, t.n, "field \"b\" (budget): value 5 out of range");
	s_job_frame(&t, NULL, "b", neg, sizeof(neg), NULL, 0);
	s_refused(t.b, t.n, "field \"b\" (budget): negative value -1");
}

Test(proto, encoder_refuses)
{
	struct proto_msg m;
	uint8_t *buf = (uint8_t *)"sentinel";
	size_t len = 7;
	char err[ERRLEN];

	s_sample_job(&m);
	memset(m.u.job.domain, 'a', sizeof(m.u.job.domain));
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"d\" (domain): not NUL-terminated") != NULL, "%s", err);
	cr_assert_null(buf);
	cr_assert_eq(len, 0);

	s_sample_job(&m);
	m.u.job.method = (enum vt_method)7;
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"m\" (method): value 7 out of range") != NULL, "%s", err);

	s_sample_result(&m);
	m.u.result.records[2].n_addresses_resolved = LIMIT_MAX_ADDRS * 2 + 1;
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"rec[2].ar\" (addressesResolved): 17 elements exceed the "
	                      "limit of 16") != NULL,
	          "%s", err);
	m.u.result.records[2].n_addresses_resolved = 0;
	m.u.result.n_warnings = LIMIT_MAX_WARNINGS + 1;
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"w\" (warnings): 5 elements exceed") != NULL, "%s", err);
	proto_msg_clear(&m);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_RESULT;
	m.u.result.method = VT_METHOD_HTTP01;
	m.u.result.outcome = VT_OUTCOME_PASS;
	m.u.result.n_records = LIMIT_MAX_RECORDS + 1;
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "27 records exceed the limit of 26") != NULL, "%s", err);

	memset(&m, 0, sizeof(m));
	m.type = (enum proto_type)99;
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "unknown message type 99") != NULL, "%s", err);

	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	m.u.hello.max_inflight = 1;
	m.u.hello.methods = 1u; /* bit 0 is VT_METHOD_NONE */
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"ms\" (methods): unknown bits in 0x1") != NULL, "%s", err);
}

/* ---- random input ---- */

Test(proto, random_bytes_never_crash)
{
	uint8_t buf[RANDOM_MAXLEN];
	struct proto_msg m;
	char err[ERRLEN];
	unsigned seed = 12345;

	for (int i = 0; i < RANDOM_FRAMES; i++) {
		size_t len = (size_t)rand_r(&seed) % (RANDOM_MAXLEN + 1);

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rand_r(&seed);
		if (len > 0 && i % 2 == 0)
			buf[0] = (uint8_t)(0x80 | (buf[0] & 0x0f)); /* start with a fixmap */
		err[0] = '\0';
		if (proto_decode(buf, len, &m, err, sizeof(err)) == 0)
			proto_msg_clear(&m);
		else
			cr_assert_neq(err[0], '\0', "refusal without a reason");
	}
}

Test(proto, mutated_frames_never_crash)
{
	struct proto_msg in, m;
	uint8_t *orig = NULL, *re = NULL;
	size_t len = 0, relen = 0;
	char err[ERRLEN];
	unsigned seed = 777;
	int accepted = 0;

	s_sample_result(&in);
	s_encode_ok(&in, &orig, &len);
	proto_msg_clear(&in);
	uint8_t *buf = malloc(len);
	cr_assert_not_null(buf);
	for (int i = 0; i < MUTATIONS; i++) {
		int flips = 1 + rand_r(&seed) % 4;

		memcpy(buf, orig, len);
		for (int k = 0; k < flips; k++)
			buf[(size_t)rand_r(&seed) % len] = (uint8_t)rand_r(&seed);
		err[0] = '\0';
		if (proto_decode(buf, len, &m, err, sizeof(err)) != 0) {
			cr_assert_neq(err[0], '\0');
			continue;
		}
		/* whatever the decoder accepts, the encoder must accept too */
		accepted++;
		cr_assert_eq(proto_encode(&m, &re, &relen, err, sizeof(err)), 0, "re-encode: %s",
		             err);
		free(re);
		re = NULL;
		proto_msg_clear(&m);
	}
	cr_assert_gt(accepted, 0, "no mutation survived; the test checks nothing");
	free(buf);
	free(orig);
}

/* ---- fields added for TLS-ALPN-01, DNS-01 and CAA ---- */

/* A DNS-01 / TLS-ALPN-01 result with a certificate and a nameserver sweep. */
static void s_sample_result_ext(struct proto_msg *m)
{
	struct vt_result *r = &m->u.result;

	memset(m, 0, sizeof(*m));
	m->type = PROTO_RESULT;
	snprintf(r->job_id, sizeof(r->job_id), "%s", "cafe0001");
	r->method = VT_METHOD_DNS01;
	r->outcome = VT_OUTCOME_PASS;
	snprintf(r->domain, sizeof(r->domain), "%s", "dns-ok.example.com");
	r->cert.present = true;
	snprintf(r->cert.subject, sizeof(r->cert.subject), "%s", "CN=dns-ok.example.com");
	snprintf(r->cert.issuer, sizeof(r->cert.issuer), "%s", "CN=dns-ok.example.com");
	snprintf(r->cert.sans[0], sizeof(r->cert.sans[0]), "%s", "dns-ok.example.com");
	snprintf(r->cert.sans[1], sizeof(r->cert.sans[1]), "%s", "192.0.2.7");
	r->cert.n_sans = 2;
	r->cert.not_before = -86400; /* before 1970: signed values travel */
	r->cert.not_after = INT64_MAX;
	memset(r->cert.sha256, 'f', sizeof(r->cert.sha256) - 1);
	snprintf(r->cert.tls_version, sizeof(r->cert.tls_version), "%s", "TLSv1.3");
	snprintf(r->cert.alpn, sizeof(r->cert.alpn), "%s", "acme-tls/1");
	snprintf(r->dnssec, sizeof(r->dnssec), "%s", "secure");
	for (int i = 0; i < 3; i++) {
		struct vt_nameserver *ns = vt_result_add_nameserver(r);

		cr_assert_not_null(ns);
		snprintf(ns->name, sizeof(ns->name), "ns%d.example.com", i + 1);
		snprintf(ns->address, sizeof(ns->address), "2001:db8::5%d", i);
		ns->reachable = i != 2;
		snprintf(ns->rcode, sizeof(ns->rcode), "%s", i != 2 ? "NOERROR" : "");
		snprintf(ns->answer, sizeof(ns->answer), "\"value-%d\"", i);
		ns->ttl = 300u + (uint32_t)i;
		ns->matches = i == 0;
		ns->rtt_ms = 12u * (uint32_t)i;
		if (i == 2)
			snprintf(ns->error, sizeof(ns->error), "%s", "query timed out");
	}
}

/* Replace n bytes of buf (len) at `at` with ins[insn]; returns a new buffer. */
static uint8_t *s_splice(const uint8_t *buf, size_t len, size_t at, size_t n, const void *ins,
                         size_t insn, size_t *outlen)
{
	uint8_t *out = malloc(len - n + insn);

	cr_assert_not_null(out);
	cr_assert(at + n <= len);
	memcpy(out, buf, at);
	memcpy(out + at, ins, insn);
	memcpy(out + at + insn, buf + at + n, len - at - n);
	*outlen = len - n + insn;
	return out;
}

/* Offset of needle in buf (must be there). */
static size_t s_find_bytes(const uint8_t *buf, size_t len, const void *needle, size_t n)
{
	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return i;
	cr_assert_fail("bytes not found in the encoding");
	return 0;
}

Test(proto, roundtrip_job_new_fields)
{
	struct proto_msg in, out;

	s_sample_job(&in);
	in.u.job.method = VT_METHOD_CAA;
	in.u.job.key_authorization[0] = '\0';
	snprintf(in.u.job.digest, sizeof(in.u.job.digest), "%s",
	         "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");
	snprintf(in.u.job.caa_issuer, sizeof(in.u.job.caa_issuer), "%s", "pki.goog");
	snprintf(in.u.job.caa_account_uri, sizeof(in.u.job.caa_account_uri), "%s",
	         "https://acme-v02.api.letsencrypt.org/acme/acct/12345");
	in.u.job.caa_methods = 1u << VT_METHOD_DNS01 | 1u << VT_METHOD_TLSALPN01;
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.job.method, VT_METHOD_CAA);
	cr_assert_str_eq(out.u.job.digest, in.u.job.digest);
	cr_assert_str_eq(out.u.job.caa_issuer, "pki.goog");
	cr_assert_str_eq(out.u.job.caa_account_uri, in.u.job.caa_account_uri);
	cr_assert_eq(out.u.job.caa_methods, in.u.job.caa_methods);
}

Test(proto, new_job_fields_are_optional)
{
	struct tb t;
	struct proto_msg m;
	char err[ERRLEN];

	/* the hand-built frame has none of dg, ci, cau, cm */
	s_job_frame(&t, NULL, NULL, NULL, 0, NULL, 0);
	cr_assert_eq(proto_decode(t.b, t.n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(m.u.job.digest, "");
	cr_assert_str_eq(m.u.job.caa_issuer, "");
	cr_assert_str_eq(m.u.job.caa_account_uri, "");
	cr_assert_eq(m.u.job.caa_methods, 0);
}

Test(proto, job_caa_methods_and_strings_checked)
{
	struct tb t, v;
	static const uint8_t caa_bit[] = {0xa2, 'c', 'm', 0x10};  /* 1 << VT_METHOD_CAA */
	static const uint8_t none_bit[] = {0xa2, 'c', 'm', 0x01}; /* 1 << VT_METHOD_NONE */
	static const uint8_t dg_int[] = {0xa2, 'd', 'g', 0x07};
	char big[LIMIT_CAA_ISSUER_LEN + 1];

	s_job_frame(&t, NULL, NULL, NULL, 0, caa_bit, sizeof(caa_bit));
	s_refused(t.b, t.n, "field \"cm\" (CAA methods): unknown bits in 0x10");
	s_job_frame(&t, NULL, NULL, NULL, 0, none_bit, sizeof(none_bit));
	s_refused(t.b, t.n, "field \"cm\" (CAA methods): unknown bits in 0x1");
	s_job_frame(&t, NULL, NULL, NULL, 0, dg_int, sizeof(dg_int));
	s_refused(t.b, t.n, "field \"dg\" (digest): expected string, got integer");
	memset(big, 'i', sizeof(big));
	v.n = 0;
	tb_str(&v, "ci");
	tb_strn(&v, big, sizeof(big));
	s_job_frame(&t, NULL, NULL, NULL, 0, v.b, v.n);
	s_refused(t.b, t.n, "field \"ci\" (CAA issuer): string of 254 bytes does not fit");
}

Test(proto, roundtrip_result_cert_and_nameservers)
{
	struct proto_msg in, out;
	const struct vt_result *a = &in.u.result, *b = &out.u.result;

	s_sample_result_ext(&in);
	s_roundtrip(&in, &out);
	cr_assert(b->cert.present);
	cr_assert_str_eq(b->cert.subject, a->cert.subject);
	cr_assert_str_eq(b->cert.issuer, a->cert.issuer);
	cr_assert_eq(b->cert.n_sans, 2);
	cr_assert_str_eq(b->cert.sans[1], "192.0.2.7");
	cr_assert_eq(b->cert.not_before, -86400);
	cr_assert_eq(b->cert.not_after, INT64_MAX);
	cr_assert_str_eq(b->cert.sha256, a->cert.sha256);
	cr_assert_str_eq(b->cert.tls_version, "TLSv1.3");
	cr_assert_str_eq(b->cert.alpn, "acme-tls/1");
	cr_assert_str_eq(b->dnssec, "secure");
	cr_assert_eq(b->n_nameservers, 3);
	for (size_t i = 0; i < a->n_nameservers; i++) {
		const struct vt_nameserver *x = &a->nameservers[i], *y = &b->nameservers[i];

		cr_assert_str_eq(y->name, x->name);
		cr_assert_str_eq(y->address, x->address);
		cr_assert_eq(y->reachable, x->reachable);
		cr_assert_str_eq(y->rcode, x->rcode);
		cr_assert_str_eq(y->answer, x->answer);
		cr_assert_eq(y->ttl, x->ttl);
		cr_assert_eq(y->matches, x->matches);
		cr_assert_eq(y->rtt_ms, x->rtt_ms);
		cr_assert_str_eq(y->error, x->error);
	}
	proto_msg_clear(&out);
	cr_assert_null(out.u.result.nameservers);
	proto_msg_clear(&in);
}

/* An agent that predates cert / dnssec / nameservers: they decode as zero. */
Test(proto, new_result_fields_are_optional)
{
	struct tb t;
	struct proto_msg m;
	char err[ERRLEN];

	t.n = 0;
	tb_map(&t, 11);
	tb_str(&t, "v");
	tb_uint(&t, PROTO_VERSION);
	tb_str(&t, "t");
	tb_uint(&t, PROTO_RESULT);
	tb_str(&t, "id");
	tb_str(&t, "beef");
	tb_str(&t, "m");
	tb_uint(&t, VT_METHOD_HTTP01);
	tb_str(&t, "d");
	tb_str(&t, "example.com");
	tb_str(&t, "o");
	tb_uint(&t, VT_OUTCOME_REACHABLE);
	tb_str(&t, "p");
	tb_map(&t, 2);
	tb_str(&t, "ty");
	tb_uint(&t, 0);
	tb_str(&t, "dt");
	tb_str(&t, "");
	tb_str(&t, "hs");
	tb_uint(&t, 404);
	tb_str(&t, "w");
	tb_u8(&t, 0x90);
	tb_str(&t, "tm");
	tb_map(&t, 3);
	tb_str(&t, "r");
	tb_uint(&t, 1);
	tb_str(&t, "c");
	tb_uint(&t, 2);
	tb_str(&t, "t");
	tb_uint(&t, 3);
	tb_str(&t, "rec");
	tb_u8(&t, 0x90);
	cr_assert_eq(proto_decode(t.b, t.n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(m.u.result.http_status, 404);
	cr_assert_not(m.u.result.cert.present);
	cr_assert_eq(m.u.result.cert.n_sans, 0);
	cr_assert_str_eq(m.u.result.dnssec, "");
	cr_assert_eq(m.u.result.n_nameservers, 0);
	cr_assert_null(m.u.result.nameservers);
	proto_msg_clear(&m);
}

/* The largest RESULT (26 records, 16 nameservers, 16 SANs, every string at
 * its limit) fits PROTO_MAX_MSG_BYTES and round-trips. */
Test(proto, roundtrip_result_everything_at_limits)
{
	struct proto_msg in, out;
	struct vt_result *r = &in.u.result;
	uint8_t *buf = NULL;
	size_t len = 0;

	memset(&in, 0, sizeof(in));
	in.type = PROTO_RESULT;
	memset(r->job_id, 'j', LIMIT_JOB_ID_LEN);
	r->method = VT_METHOD_DNS01;
	r->outcome = VT_OUTCOME_FAIL;
	r->problem.type = VT_PROB_SERVER_INTERNAL;
	r->http_status = PROTO_MAX_HTTP_STATUS;
	memset(r->domain, 'd', LIMIT_DOMAIN_LEN);
	memset(r->problem.detail, 'x', sizeof(r->problem.detail) - 1);
	for (int i = 0; i < LIMIT_MAX_WARNINGS; i++) {
		memset(r->warnings[i], 'w', LIMIT_WARNING_LEN - 1);
		r->n_warnings++;
	}
	r->timings.resolve_ms = r->timings.connect_ms = r->timings.total_ms = UINT32_MAX;
	for (int i = 0; i < LIMIT_MAX_RECORDS; i++) {
		struct vt_record *rec = vt_result_add_record(r);

		cr_assert_not_null(rec);
		memset(rec->url, 'u', LIMIT_URL_LEN);
		memset(rec->hostname, 'h', LIMIT_DOMAIN_LEN);
		rec->port = UINT16_MAX;
		rec->n_addresses_resolved = LIMIT_MAX_ADDRS * 2;
		for (size_t j = 0; j < rec->n_addresses_resolved; j++)
			memset(rec->addresses_resolved[j], 'a', LIMIT_ADDR_LEN - 1);
		memset(rec->address_used, 'a', LIMIT_ADDR_LEN - 1);
		rec->n_addresses_tried = HTTP01_MAX_ADDRS_TRIED;
		for (size_t j = 0; j < rec->n_addresses_tried; j++)
			memset(rec->addresses_tried[j], 't', LIMIT_ADDR_LEN - 1);
	}
	r->cert.present = true;
	memset(r->cert.subject, 's', sizeof(r->cert.subject) - 1);
	memset(r->cert.issuer, 'i', sizeof(r->cert.issuer) - 1);
	r->cert.n_sans = LIMIT_MAX_SANS;
	for (size_t j = 0; j < LIMIT_MAX_SANS; j++)
		memset(r->cert.sans[j], 'n', LIMIT_DOMAIN_LEN);
	r->cert.not_before = INT64_MIN;
	r->cert.not_after = INT64_MAX;
	memset(r->cert.sha256, 'f', sizeof(r->cert.sha256) - 1);
	memset(r->cert.tls_version, 'v', sizeof(r->cert.tls_version) - 1);
	memset(r->cert.alpn, 'p', sizeof(r->cert.alpn) - 1);
	r->cert.chain_len = UINT32_MAX;
	r->cert.n_chain_issuers = VT_CERT_MAX_CHAIN;
	for (size_t j = 0; j < VT_CERT_MAX_CHAIN; j++)
		memset(r->cert.chain_issuers[j], 'c', LIMIT_CERT_NAME_LEN - 1);
	r->cert.chain_verified = r->cert.name_matches = true;
	memset(r->cert.verify_error, 'e', sizeof(r->cert.verify_error) - 1);
	memset(r->dnssec, 'b', sizeof(r->dnssec) - 1);
	memset(r->server, 's', sizeof(r->server) - 1);
	memset(r->body, 'b', sizeof(r->body) - 1);
	for (int i = 0; i < LIMIT_MAX_NAMESERVERS; i++) {
		struct vt_nameserver *ns = vt_result_add_nameserver(r);

		cr_assert_not_null(ns);
		memset(ns->name, 'n', sizeof(ns->name) - 1);
		memset(ns->address, 'a', sizeof(ns->address) - 1);
		memset(ns->rcode, 'r', sizeof(ns->rcode) - 1);
		memset(ns->answer, 'x', sizeof(ns->answer) - 1);
		memset(ns->error, 'e', sizeof(ns->error) - 1);
		ns->ttl = ns->rtt_ms = UINT32_MAX;
		ns->reachable = ns->matches = true;
	}
	cr_assert_null(vt_result_add_nameserver(r), "a 17th nameserver was accepted");
	s_encode_ok(&in, &buf, &len);
	cr_assert_leq(len, (size_t)PROTO_WC_RESULT, "encoded %zu bytes, bound says %u", len,
	              (unsigned)PROTO_WC_RESULT);
	cr_assert_leq(len, PROTO_MAX_MSG_BYTES);
	free(buf);
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.result.n_records, LIMIT_MAX_RECORDS);
	cr_assert_eq(out.u.result.n_nameservers, LIMIT_MAX_NAMESERVERS);
	cr_assert_eq(out.u.result.cert.n_sans, LIMIT_MAX_SANS);
	cr_assert_eq(out.u.result.cert.not_before, INT64_MIN);
	cr_assert_eq(strlen(out.u.result.nameservers[15].answer), LIMIT_TXT_LEN - 1);
	cr_assert_eq(strlen(out.u.result.cert.sans[15]), LIMIT_DOMAIN_LEN);
	cr_assert_eq(out.u.result.cert.chain_len, UINT32_MAX);
	cr_assert_eq(out.u.result.cert.n_chain_issuers, VT_CERT_MAX_CHAIN);
	cr_assert_eq(strlen(out.u.result.cert.chain_issuers[VT_CERT_MAX_CHAIN - 1]),
	             LIMIT_CERT_NAME_LEN - 1);
	cr_assert_eq(strlen(out.u.result.cert.verify_error),
	             sizeof(out.u.result.cert.verify_error) - 1);
	cr_assert_eq(strlen(out.u.result.server), LIMIT_SERVER_LEN - 1);
	cr_assert_eq(strlen(out.u.result.body), LIMIT_BODY_EXCERPT);
	proto_msg_clear(&out);
	proto_msg_clear(&in);
}

Test(proto, oversized_sans_refused)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0, modlen = 0, at;
	char err[ERRLEN];
	/* "san" then array16 of 16 */
	static const uint8_t san16[] = {0xa3, 's', 'a', 'n', 0xdc, 0x00, 0x10};
	static const uint8_t san17[] = {0xa3, 's', 'a', 'n', 0xdc, 0x00, 0x11, 0xa1, 'x'};

	s_sample_result_ext(&in);
	for (size_t j = 0; j < LIMIT_MAX_SANS; j++)
		snprintf(in.u.result.cert.sans[j], sizeof(in.u.result.cert.sans[j]), "s%zu.example",
		         j);
	in.u.result.cert.n_sans = LIMIT_MAX_SANS;
	s_encode_ok(&in, &buf, &len);
	at = s_find_bytes(buf, len, san16, sizeof(san16));
	mod = s_splice(buf, len, at, sizeof(san16), san17, sizeof(san17), &modlen);
	s_refused(mod, modlen, "field \"cert.san\" (SANs): 17 elements exceed the limit of 16");
	free(mod);
	free(buf);

	in.u.result.cert.n_sans = LIMIT_MAX_SANS + 1;
	buf = NULL;
	cr_assert_eq(proto_encode(&in, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"cert.san\" (SANs): 17 elements exceed") != NULL, "%s", err);
	cr_assert_null(buf);
	proto_msg_clear(&in);
}

Test(proto, oversized_nameservers_refused)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0, modlen = 0, at;
	char err[ERRLEN];
	static const uint8_t ns3[] = {0xa2, 'n', 's', 0x93};
	static const uint8_t ns17[] = {0xa2, 'n', 's', 0xdc, 0x00, 0x11};
	uint8_t big[sizeof(ns17) + 14];

	s_sample_result_ext(&in);
	s_encode_ok(&in, &buf, &len);
	at = s_find_bytes(buf, len, ns3, sizeof(ns3));
	/* 17 declared; 14 nils behind the 3 real maps make the count fit */
	memcpy(big, ns17, sizeof(ns17));
	memset(big + sizeof(ns17), 0xc0, 14);
	mod = s_splice(buf, len, at, sizeof(ns3), big, sizeof(big), &modlen);
	s_refused(mod, modlen, "field \"ns\" (nameservers): 17 nameservers exceed the limit of 16");
	free(mod);
	/* a nameserver that is not a map */
	mod = s_splice(buf, len, at + sizeof(ns3), 0, "\xc0", 1, &modlen);
	mod[at + 3] = 0x94;
	s_refused(mod, modlen, "field \"ns[0]\" (nameservers): expected map, got nil");
	free(mod);
	free(buf);

	proto_msg_clear(&in);
	s_sample_result_ext(&in);
	in.u.result.n_nameservers = LIMIT_MAX_NAMESERVERS + 1;
	buf = NULL;
	cr_assert_eq(proto_encode(&in, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "17 nameservers exceed the limit of 16") != NULL, "%s", err);
	in.u.result.n_nameservers = 3;
	proto_msg_clear(&in);
}

Test(proto, too_long_nameserver_answer_refused)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0, modlen = 0, at;
	/* "ans" then str16 of LIMIT_TXT_LEN - 1 = 511 bytes */
	static const uint8_t ans511[] = {0xa3, 'a', 'n', 's', 0xda, 0x01, 0xff};
	static const uint8_t ans512[] = {0xa3, 'a', 'n', 's', 0xda, 0x02, 0x00, 'y'};

	_Static_assert(LIMIT_TXT_LEN == 512, "the byte patterns below assume 512");
	s_sample_result_ext(&in);
	memset(in.u.result.nameservers[1].answer, 'x', LIMIT_TXT_LEN - 1);
	s_encode_ok(&in, &buf, &len);
	at = s_find_bytes(buf, len, ans511, sizeof(ans511));
	mod = s_splice(buf, len, at, sizeof(ans511), ans512, sizeof(ans512), &modlen);
	s_refused(mod, modlen,
	          "field \"ns[1].ans\" (answer): string of 512 bytes does not fit (at most 511)");
	free(mod);
	free(buf);
	proto_msg_clear(&in);
}

Test(proto, cert_field_types_checked)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0, modlen = 0, at;
	/* "nb" -86400 as int32 */
	static const uint8_t nb[] = {0xa2, 'n', 'b', 0xd2, 0xff, 0xfe, 0xae, 0x80};
	static const uint8_t nb_big[] = {0xa2, 'n',  'b',  0xcf, 0xff, 0xff,
	                                 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t nb_str[] = {0xa2, 'n', 'b', 0xa1, '1'};

	s_sample_result_ext(&in);
	s_encode_ok(&in, &buf, &len);
	proto_msg_clear(&in);
	at = s_find_bytes(buf, len, nb, sizeof(nb));
	mod = s_splice(buf, len, at, sizeof(nb), nb_big, sizeof(nb_big), &modlen);
	s_refused(mod, modlen, "field \"cert.nb\" (notBefore): value 18446744073709551615 exceeds");
	free(mod);
	mod = s_splice(buf, len, at, sizeof(nb), nb_str, sizeof(nb_str), &modlen);
	s_refused(mod, modlen, "field \"cert.nb\" (notBefore): expected integer, got string");
	free(mod);
	free(buf);
}

/* ---- tls-cert (issue 5): the method and the certificate's chain fields ---- */

/* s_sample_result_ext() as a tls-cert result: a two-certificate chain that
 * does not verify and a leaf that does not name the domain. */
static void s_sample_result_tlscert(struct proto_msg *m)
{
	struct vt_cert *c = &m->u.result.cert;

	s_sample_result_ext(m);
	m->u.result.method = VT_METHOD_TLSCERT;
	c->chain_len = 2;
	snprintf(c->chain_issuers[0], sizeof(c->chain_issuers[0]), "%s", "CN=R11,O=Let's Encrypt");
	snprintf(c->chain_issuers[1], sizeof(c->chain_issuers[1]), "%s",
	         "CN=ISRG Root X1,O=Internet Security Research Group");
	c->n_chain_issuers = 2;
	c->chain_verified = false;
	c->name_matches = false;
	snprintf(c->verify_error, sizeof(c->verify_error), "%s",
	         "unable to get local issuer certificate; hostname mismatch");
}

Test(proto, tlscert_method_in_hello_job_and_result)
{
	struct proto_msg in = {.type = PROTO_HELLO}, out;
	struct tb t;
	static const uint8_t six[] = {0x06};

	cr_assert_eq(PROTO_METHOD_MASK & (1u << VT_METHOD_TLSCERT), 1u << VT_METHOD_TLSCERT);
	cr_assert_eq(PROTO_CAA_METHOD_MASK & (1u << VT_METHOD_TLSCERT), 0,
	             "tls-cert is no CAA validation method");
	snprintf(in.u.hello.agent_version, sizeof(in.u.hello.agent_version), "%s", VANTAGE_VERSION);
	in.u.hello.max_inflight = 1;
	in.u.hello.methods = PROTO_METHOD_MASK;
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.hello.methods, PROTO_METHOD_MASK);
	s_sample_job(&in);
	in.u.job.method = VT_METHOD_TLSCERT;
	in.u.job.token[0] = in.u.job.key_authorization[0] = '\0';
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.job.method, VT_METHOD_TLSCERT);
	s_job_frame(&t, NULL, "m", six, sizeof(six), NULL, 0);
	s_refused(t.b, t.n, "field \"m\" (method): value 6 out of range 1..5");
}

Test(proto, roundtrip_result_tlscert_fields)
{
	struct proto_msg in, out;
	const struct vt_cert *b = &out.u.result.cert;

	s_sample_result_tlscert(&in);
	s_roundtrip(&in, &out);
	cr_assert_eq(out.u.result.method, VT_METHOD_TLSCERT);
	cr_assert_eq(b->chain_len, 2);
	cr_assert_eq(b->n_chain_issuers, 2);
	cr_assert_str_eq(b->chain_issuers[0], "CN=R11,O=Let's Encrypt");
	cr_assert_str_eq(b->chain_issuers[1], "CN=ISRG Root X1,O=Internet Security Research Group");
	cr_assert_not(b->chain_verified);
	cr_assert_not(b->name_matches);
	cr_assert_str_eq(b->verify_error,
	                 "unable to get local issuer certificate; hostname mismatch");
	proto_msg_clear(&out);
	proto_msg_clear(&in);
	/* and the other way round: verified, matching, no error */
	s_sample_result_tlscert(&in);
	in.u.result.cert.chain_verified = in.u.result.cert.name_matches = true;
	in.u.result.cert.verify_error[0] = '\0';
	s_roundtrip(&in, &out);
	cr_assert(b->chain_verified);
	cr_assert(b->name_matches);
	cr_assert_str_eq(b->verify_error, "");
	proto_msg_clear(&out);
	proto_msg_clear(&in);
}

/* An agent that predates tls-cert sends the certificate map with its first
 * nine keys: the chain fields decode as zero. */
Test(proto, tlscert_cert_fields_are_optional)
{
	struct tb t;
	struct proto_msg m;
	char err[ERRLEN];

	t.n = 0;
	tb_map(&t, 12);
	tb_str(&t, "v");
	tb_uint(&t, PROTO_VERSION);
	tb_str(&t, "t");
	tb_uint(&t, PROTO_RESULT);
	tb_str(&t, "id");
	tb_str(&t, "beef");
	tb_str(&t, "m");
	tb_uint(&t, VT_METHOD_TLSALPN01);
	tb_str(&t, "d");
	tb_str(&t, "example.com");
	tb_str(&t, "o");
	tb_uint(&t, VT_OUTCOME_PASS);
	tb_str(&t, "p");
	tb_map(&t, 2);
	tb_str(&t, "ty");
	tb_uint(&t, 0);
	tb_str(&t, "dt");
	tb_str(&t, "");
	tb_str(&t, "hs");
	tb_uint(&t, 0);
	tb_str(&t, "w");
	tb_u8(&t, 0x90);
	tb_str(&t, "tm");
	tb_map(&t, 3);
	tb_str(&t, "r");
	tb_uint(&t, 1);
	tb_str(&t, "c");
	tb_uint(&t, 2);
	tb_str(&t, "t");
	tb_uint(&t, 3);
	tb_str(&t, "rec");
	tb_u8(&t, 0x90);
	tb_str(&t, "cert");
	tb_map(&t, 9);
	tb_str(&t, "pr");
	tb_u8(&t, 0xc3);
	tb_str(&t, "sub");
	tb_str(&t, "CN=example.com");
	tb_str(&t, "iss");
	tb_str(&t, "CN=example.com");
	tb_str(&t, "san");
	tb_u8(&t, 0x91);
	tb_str(&t, "example.com");
	tb_str(&t, "nb");
	tb_uint(&t, 1);
	tb_str(&t, "na");
	tb_uint(&t, 2);
	tb_str(&t, "sha");
	tb_str(&t, "ab");
	tb_str(&t, "tv");
	tb_str(&t, "TLSv1.3");
	tb_str(&t, "alpn");
	tb_str(&t, "");
	cr_assert_eq(proto_decode(t.b, t.n, &m, err, sizeof(err)), 0, "%s", err);
	cr_assert(m.u.result.cert.present);
	cr_assert_str_eq(m.u.result.cert.sans[0], "example.com");
	cr_assert_eq(m.u.result.cert.chain_len, 0);
	cr_assert_eq(m.u.result.cert.n_chain_issuers, 0);
	cr_assert_not(m.u.result.cert.chain_verified);
	cr_assert_not(m.u.result.cert.name_matches);
	cr_assert_str_eq(m.u.result.cert.verify_error, "");
	proto_msg_clear(&m);
}

Test(proto, tlscert_cert_fields_checked)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0, modlen = 0, at;
	char err[ERRLEN];
	/* "ci" then a fixarray of 2; five issuers; "cv" false; a string instead */
	static const uint8_t ci2[] = {0xa2, 'c', 'i', 0x92};
	static const uint8_t ci5[] = {0xa2, 'c', 'i', 0x95, 0xa1, 'a', 0xa1, 'b', 0xa1, 'c'};
	static const uint8_t cv[] = {0xa2, 'c', 'v', 0xc2};
	static const uint8_t cv_str[] = {0xa2, 'c', 'v', 0xa1, '0'};
	static const uint8_t cl[] = {0xa2, 'c', 'l', 0x02};
	static const uint8_t cl_neg[] = {0xa2, 'c', 'l', 0xff};

	_Static_assert(VT_CERT_MAX_CHAIN == 4, "the byte patterns below assume 4");
	s_sample_result_tlscert(&in);
	s_encode_ok(&in, &buf, &len);
	at = s_find_bytes(buf, len, ci2, sizeof(ci2));
	mod = s_splice(buf, len, at, sizeof(ci2), ci5, sizeof(ci5), &modlen);
	s_refused(mod, modlen,
	          "field \"cert.ci\" (chain issuers): 5 elements exceed the limit of 4");
	free(mod);
	at = s_find_bytes(buf, len, cv, sizeof(cv));
	mod = s_splice(buf, len, at, sizeof(cv), cv_str, sizeof(cv_str), &modlen);
	s_refused(mod, modlen, "field \"cert.cv\" (chain verified): expected boolean, got string");
	free(mod);
	at = s_find_bytes(buf, len, cl, sizeof(cl));
	mod = s_splice(buf, len, at, sizeof(cl), cl_neg, sizeof(cl_neg), &modlen);
	s_refused(mod, modlen, "field \"cert.cl\" (chain length): negative value -1");
	free(mod);
	free(buf);
	/* the encoder refuses what the decoder would */
	in.u.result.cert.n_chain_issuers = VT_CERT_MAX_CHAIN + 1;
	buf = NULL;
	cr_assert_eq(proto_encode(&in, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"cert.ci\" (chain issuers): 5 elements exceed") != NULL, "%s",
	          err);
	cr_assert_null(buf);
	in.u.result.cert.n_chain_issuers = 2;
	memset(in.u.result.cert.verify_error, 'e', sizeof(in.u.result.cert.verify_error));
	cr_assert_eq(proto_encode(&in, &buf, &len, err, sizeof(err)), -1);
	cr_assert(strstr(err, "field \"cert.ve\" (verify error): not NUL-terminated") != NULL, "%s",
	          err);
	proto_msg_clear(&in);
}

/* ---- HTTP-01's last response (issue 7): "srv" and "bx" ---- */

Test(proto, roundtrip_result_server_and_body)
{
	struct proto_msg in, out;
	uint8_t *buf = NULL;
	size_t len = 0;

	s_sample_result(&in);
	snprintf(in.u.result.server, sizeof(in.u.result.server), "%s", "cloudflare");
	snprintf(in.u.result.body, sizeof(in.u.result.body), "%s",
	         "<html>.<head><title>403 Forbidden</title>");
	s_roundtrip(&in, &out);
	cr_assert_str_eq(out.u.result.server, "cloudflare");
	cr_assert_str_eq(out.u.result.body, "<html>.<head><title>403 Forbidden</title>");
	proto_msg_clear(&out);
	/* at their limits */
	memset(in.u.result.server, 's', sizeof(in.u.result.server) - 1);
	memset(in.u.result.body, 'b', sizeof(in.u.result.body) - 1);
	s_roundtrip(&in, &out);
	cr_assert_eq(strlen(out.u.result.server), LIMIT_SERVER_LEN - 1);
	cr_assert_eq(strlen(out.u.result.body), LIMIT_BODY_EXCERPT);
	proto_msg_clear(&out);
	/* not terminated inside the field: the encoder refuses, as the decoder would */
	memset(in.u.result.body, 'b', sizeof(in.u.result.body));
	cr_assert_eq(proto_encode(&in, &buf, &len, (char[ERRLEN]){0}, ERRLEN), -1);
	cr_assert_null(buf);
	proto_msg_clear(&in);
}

/* An agent that predates them leaves both keys out: they decode as "". */
Test(proto, server_and_body_are_optional)
{
	struct proto_msg in, out;
	uint8_t *buf = NULL, *mod, *mod2;
	size_t len = 0, modlen = 0, mod2len = 0, at;
	/* the two keys with empty values, last in the map (a map16 of 16 keys) */
	static const uint8_t srv[] = {0xa3, 's', 'r', 'v', 0xa0};
	static const uint8_t bx[] = {0xa2, 'b', 'x', 0xa0};
	char err[ERRLEN];

	s_sample_result(&in);
	s_encode_ok(&in, &buf, &len);
	cr_assert(buf[0] == 0xde && buf[1] == 0 && buf[2] == 16, "RESULT is a map16 of 16 keys");
	at = s_find_bytes(buf, len, srv, sizeof(srv));
	mod = s_splice(buf, len, at, sizeof(srv), "", 0, &modlen);
	at = s_find_bytes(mod, modlen, bx, sizeof(bx));
	mod2 = s_splice(mod, modlen, at, sizeof(bx), "", 0, &mod2len);
	mod2[2] = 14;
	memset(&out, 0xa5, sizeof(out));
	cr_assert_eq(proto_decode(mod2, mod2len, &out, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(out.u.result.server, "");
	cr_assert_str_eq(out.u.result.body, "");
	cr_assert_eq(out.u.result.http_status, 404);
	proto_msg_clear(&out);
	free(mod2);
	free(mod);
	free(buf);
	proto_msg_clear(&in);
}

/* A hostile peer's oversized values are refused like every other string. */
Test(proto, oversized_server_and_body_refused)
{
	struct proto_msg in;
	uint8_t *buf = NULL, *mod;
	size_t len = 0, modlen = 0, at;
	/* "srv" then str8 of 127 bytes; "bx" then str16 of 256 bytes */
	static const uint8_t srv127[] = {0xa3, 's', 'r', 'v', 0xd9, 0x7f};
	static const uint8_t srv128[] = {0xa3, 's', 'r', 'v', 0xd9, 0x80, 'y'};
	static const uint8_t bx256[] = {0xa2, 'b', 'x', 0xda, 0x01, 0x00};
	static const uint8_t bx257[] = {0xa2, 'b', 'x', 0xda, 0x01, 0x01, 'y'};
	static const uint8_t srvnul[] = {0xa3, 's', 'r', 'v', 0xd9, 0x7f, 0x00};

	_Static_assert(LIMIT_SERVER_LEN == 128, "the byte patterns below assume 128");
	_Static_assert(LIMIT_BODY_EXCERPT == 256, "the byte patterns below assume 256");
	s_sample_result(&in);
	memset(in.u.result.server, 's', LIMIT_SERVER_LEN - 1);
	memset(in.u.result.body, 'b', LIMIT_BODY_EXCERPT);
	s_encode_ok(&in, &buf, &len);
	at = s_find_bytes(buf, len, srv127, sizeof(srv127));
	mod = s_splice(buf, len, at, sizeof(srv127), srv128, sizeof(srv128), &modlen);
	s_refused(mod, modlen,
	          "field \"srv\" (server header): string of 128 bytes does not fit (at most 127)");
	free(mod);
	at = s_find_bytes(buf, len, bx256, sizeof(bx256));
	mod = s_splice(buf, len, at, sizeof(bx256), bx257, sizeof(bx257), &modlen);
	s_refused(mod, modlen,
	          "field \"bx\" (body excerpt): string of 257 bytes does not fit (at most 256)");
	free(mod);
	/* a NUL inside the value */
	at = s_find_bytes(buf, len, srv127, sizeof(srv127));
	mod = s_splice(buf, len, at, sizeof(srv127) + 1, srvnul, sizeof(srvnul), &modlen);
	s_refused(mod, modlen, "field \"srv\" (server header): string contains a NUL byte");
	free(mod);
	free(buf);
	proto_msg_clear(&in);
}
