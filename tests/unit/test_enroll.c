/*
 * test_enroll.c -- coordinator/enroll.c: tickets, claims, approval files,
 * persistence, the ZAP rate limit and revocation.  Everything happens in a
 * fresh directory under /tmp.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>
#include <openssl/evp.h>

#include "common/keys.h"
#include "coordinator/config.h"
#include "coordinator/enroll.h"
#include "scratch.h"

#define T_NOW 1700000000 /* a fixed "now" (2023-11-14T22:13:20Z) */

static char s_dir[64];     /* the test's scratch directory */
static char s_tickets[96]; /* s_dir/enroll */
static char s_allow[96];   /* s_dir/agents.d (created by enroll_approve) */
static char s_key[KEY_Z85_LEN + 1], s_key2[KEY_Z85_LEN + 1];

static void s_setup(void)
{
	char sec[KEY_Z85_LEN + 1];

	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-enroll-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
	snprintf(s_tickets, sizeof(s_tickets), "%s/enroll", s_dir);
	snprintf(s_allow, sizeof(s_allow), "%s/agents.d", s_dir);
	cr_assert_eq(zmq_curve_keypair(s_key, sec), 0);
	cr_assert_eq(zmq_curve_keypair(s_key2, sec), 0);
}

static void s_teardown(void)
{
	scratch_remove(s_dir);
}

TestSuite(enroll, .init = s_setup, .fini = s_teardown, .timeout = 30);

static struct enroll *s_open(int64_t now)
{
	char err[512] = "";
	struct enroll *e = enroll_open(s_tickets, now, err, sizeof(err));

	cr_assert_not_null(e, "%s", err);
	return e;
}

/* Make a ticket for name (region r1/RIPE) at T_NOW; its token in token. */
static void s_create(struct enroll *e, const char *name, uint32_t ttl,
                     char token[LIMIT_ENROLL_TOKEN_LEN + 1])
{
	char err[512] = "";

	cr_assert_eq(enroll_create(e, name, "eu-west", "RIPE", false, ttl, T_NOW, token, err,
	                           sizeof(err)),
	             0, "%s", err);
}

/* The whole text of path (at most 4 KiB) into buf; its mode in *mode. */
static void s_slurp(const char *path, char *buf, size_t len, mode_t *mode)
{
	struct stat st;

	cr_assert(scratch_slurp(path, buf, len), "cannot open %s", path);
	cr_assert_eq(stat(path, &st), 0);
	if (mode != NULL)
		*mode = st.st_mode & 07777;
}

static bool s_exists(const char *dir, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

Test(enroll, create_claim_approve_writes_pub_and_conf)
{
	struct enroll *e = s_open(T_NOW);
	const struct enroll_ticket *t;
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "", path[256], buf[4096], want[256];
	static struct coord_config c;
	struct stat st;
	mode_t mode;

	cr_assert_eq(stat(s_tickets, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0700);
	s_create(e, "euw1", 0, tok);
	cr_assert_eq(strlen(tok), ENROLL_TOKEN_HEX);
	cr_assert_eq(strspn(tok, "0123456789abcdef"), ENROLL_TOKEN_HEX);
	t = enroll_find(e, "euw1");
	cr_assert_not_null(t);
	cr_assert_eq(t->expires, T_NOW + ENROLL_DEFAULT_TTL_S);
	cr_assert_str_eq(t->key_z85, "");
	cr_assert_eq(enroll_count(e), 1);

	cr_assert(enroll_zap_allows(e, s_key, T_NOW + 1));
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "192.0.2.7", T_NOW + 5, err, sizeof(err)),
	             0, "%s", err);
	t = enroll_find(e, "euw1");
	cr_assert_str_eq(t->key_z85, s_key);
	cr_assert_str_eq(t->address, "192.0.2.7");
	cr_assert_eq(t->claimed, T_NOW + 5);

	cr_assert_eq(enroll_approve(e, "euw1", s_allow, false, err, sizeof(err)), 0, "%s", err);
	cr_assert_null(enroll_find(e, "euw1"));
	cr_assert_not(s_exists(s_tickets, "euw1.ticket"));
	cr_assert_eq(stat(s_allow, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0755);
	snprintf(path, sizeof(path), "%s/euw1.pub", s_allow);
	s_slurp(path, buf, sizeof(buf), &mode);
	snprintf(want, sizeof(want), "%s\n", s_key);
	cr_assert_str_eq(buf, want);
	cr_assert_eq(mode, 0644);
	snprintf(path, sizeof(path), "%s/euw1.conf", s_allow);
	s_slurp(path, buf, sizeof(buf), &mode);
	cr_assert_str_eq(buf, "# written by vantage agents approve\n"
	                      "region = \"eu-west\";\n"
	                      "rir = \"RIPE\";\n"
	                      "primary = false;\n");
	cr_assert_eq(mode, 0644);
	/* no temporary file is left behind */
	cr_assert_not(s_exists(s_allow, ".euw1.pub.tmp"));
	cr_assert_not(s_exists(s_allow, ".euw1.conf.tmp"));

	/* and the configuration picks it up */
	snprintf(buf, sizeof(buf),
	         "coordinator: { agent_endpoint = \"tcp://127.0.0.1:*\"; key_file = \"/k\"; "
	         "allowlist_dir = \"%s\"; api_token_file = \"/t\"; };\n",
	         s_allow);
	cr_assert_eq(coord_config_parse(buf, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n_agents, 1);
	cr_assert_str_eq(c.agents[0].name, "euw1");
	cr_assert_str_eq(c.agents[0].region, "eu-west");
	cr_assert(c.agents[0].from_dir);
	enroll_close(&e);
	cr_assert_null(e);
}

Test(enroll, approve_of_a_main_list_agent_writes_only_the_key)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "";

	cr_assert_eq(enroll_create(e, "use1", "", "", true, 60, T_NOW, tok, err, sizeof(err)), 0,
	             "%s", err);
	cr_assert_str_eq(enroll_find(e, "use1")->region, "");
	cr_assert_eq(enroll_claim(e, "use1", tok, s_key, "192.0.2.8", T_NOW, err, sizeof(err)), 0,
	             "%s", err);
	/* not in the main list any more: no region to write */
	cr_assert_eq(enroll_approve(e, "use1", s_allow, false, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "region"), "%s", err);
	cr_assert_eq(enroll_approve(e, "use1", s_allow, true, err, sizeof(err)), 0, "%s", err);
	cr_assert(s_exists(s_allow, "use1.pub"));
	cr_assert_not(s_exists(s_allow, "use1.conf"));
	enroll_close(&e);
}

Test(enroll, approve_needs_a_claimed_ticket)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "";

	s_create(e, "euw1", 0, tok);
	cr_assert_eq(enroll_approve(e, "euw1", s_allow, false, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "has not dialled in yet"), "%s", err);
	cr_assert_not(s_exists(s_allow, "euw1.pub"));
	cr_assert_eq(enroll_approve(e, "nope", s_allow, false, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "no enrolment for nope"), "%s", err);
	cr_assert_eq(enroll_approve(e, "../x", s_allow, false, err, sizeof(err)), -1);
	cr_assert_not_null(enroll_find(e, "euw1"), "a refused approval keeps the ticket");
	enroll_close(&e);
}

Test(enroll, claims_are_checked)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], other[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "";
	char wrong[LIMIT_ENROLL_TOKEN_LEN + 1];

	s_create(e, "euw1", 600, tok);
	s_create(e, "euw2", 600, other);
	snprintf(wrong, sizeof(wrong), "%s", tok);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	cr_assert_eq(enroll_claim(e, "euw1", wrong, s_key, "a", T_NOW, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "wrong token"), "%s", err);
	cr_assert_null(strstr(err, tok), "the token must not be in the reason");
	/* another ticket's token */
	cr_assert_eq(enroll_claim(e, "euw1", other, s_key, "a", T_NOW, err, sizeof(err)), -1);
	cr_assert_eq(enroll_claim(e, "euw1", "", s_key, "a", T_NOW, err, sizeof(err)), -1);
	cr_assert_eq(enroll_claim(e, "nope", tok, s_key, "a", T_NOW, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "no enrolment open for nope"), "%s", err);
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "a", T_NOW + 600, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "expired"), "%s", err);
	cr_assert_str_eq(enroll_find(e, "euw1")->key_z85, "", "refusals record nothing");

	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "192.0.2.1", T_NOW, err, sizeof(err)), 0,
	             "%s", err);
	/* a second key cannot take the claim over, nor is it let in for it */
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key2, "192.0.2.2", T_NOW, err, sizeof(err)),
	             -1);
	cr_assert_not_null(strstr(err, "already claimed"), "%s", err);
	cr_assert_str_eq(enroll_find(e, "euw1")->key_z85, s_key);
	/* the same key again (the agent retries while it waits): fine */
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "192.0.2.3", T_NOW + 10, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(enroll_find(e, "euw1")->address, "192.0.2.3");
	/* the address is stored escaped */
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "x\ny", T_NOW + 10, err, sizeof(err)), 0);
	cr_assert_null(strchr(enroll_find(e, "euw1")->address, '\n'));
	enroll_close(&e);
}

Test(enroll, zap_lets_unknown_keys_in_only_while_a_ticket_is_open)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "";

	cr_assert_not(enroll_zap_allows(NULL, s_key, T_NOW));
	cr_assert_not(enroll_zap_allows(e, s_key, T_NOW), "no ticket open");
	s_create(e, "euw1", 60, tok);
	cr_assert(enroll_zap_allows(e, s_key, T_NOW));
	cr_assert(enroll_zap_allows(e, s_key2, T_NOW));
	cr_assert_not(enroll_zap_allows(e, s_key, T_NOW + 60), "expired");
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "a", T_NOW, err, sizeof(err)), 0, "%s",
	             err);
	cr_assert(enroll_zap_allows(e, s_key, T_NOW), "the claiming key may come back");
	cr_assert_not(enroll_zap_allows(e, s_key2, T_NOW), "the only ticket is claimed");
	cr_assert_eq(enroll_cancel(e, "euw1"), 0);
	cr_assert_eq(enroll_cancel(e, "euw1"), -1);
	cr_assert_not(enroll_zap_allows(e, s_key, T_NOW));
	cr_assert_not(s_exists(s_tickets, "euw1.ticket"));
	enroll_close(&e);
}

Test(enroll, zap_rate_limit)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], key[KEY_Z85_LEN + 1];

	s_create(e, "euw1", 3600, tok);
	for (int i = 0; i < ENROLL_ZAP_PER_MINUTE; i++) {
		snprintf(key, sizeof(key), "%040d", i);
		cr_assert(enroll_zap_allows(e, key, T_NOW + (i % 30)), "key %d refused", i);
	}
	cr_assert_not(enroll_zap_allows(e, s_key, T_NOW + 30), "limit + 1 let in");
	cr_assert_not(enroll_zap_allows(e, s_key, T_NOW + 59));
	cr_assert(enroll_zap_allows(e, s_key, T_NOW + 61), "not let in after the window");
	enroll_close(&e);
}

Test(enroll, tickets_survive_a_restart)
{
	struct enroll *e = s_open(T_NOW);
	const struct enroll_ticket *t;
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], tok2[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "";
	char path[256];
	FILE *f;

	s_create(e, "euw1", 3600, tok);
	s_create(e, "short", 10, tok2);
	cr_assert_eq(enroll_create(e, "prim", "us-east", "ARIN", true, 3600, T_NOW, tok2, err,
	                           sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "192.0.2.9", T_NOW + 1, err, sizeof(err)),
	             0, "%s", err);
	enroll_close(&e);

	/* a malformed file, a file for another name, a file of another kind */
	snprintf(path, sizeof(path), "%s/bad.ticket", s_tickets);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("{\"name\": \"bad\", ", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/euw1.ticket", s_tickets);
	{
		char buf[4096], alias[256];
		s_slurp(path, buf, sizeof(buf), NULL);
		snprintf(alias, sizeof(alias), "%s/alias.ticket", s_tickets);
		f = fopen(alias, "w");
		cr_assert_not_null(f);
		fputs(buf, f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/notes.txt", s_tickets);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);

	e = s_open(T_NOW + 20);
	cr_assert_eq(enroll_count(e), 2, "loaded %zu", enroll_count(e));
	t = enroll_find(e, "euw1");
	cr_assert_not_null(t);
	cr_assert_str_eq(t->key_z85, s_key);
	cr_assert_str_eq(t->address, "192.0.2.9");
	cr_assert_eq(t->claimed, T_NOW + 1);
	cr_assert_eq(t->expires, T_NOW + 3600);
	cr_assert(enroll_find(e, "prim")->primary);
	cr_assert_str_eq(enroll_find(e, "prim")->rir, "ARIN");
	cr_assert_null(enroll_find(e, "bad"));
	cr_assert_null(enroll_find(e, "alias"));
	/* expired while the coordinator was down: deleted */
	cr_assert_null(enroll_find(e, "short"));
	cr_assert_not(s_exists(s_tickets, "short.ticket"));
	/* the token still works after the restart */
	cr_assert_eq(enroll_claim(e, "euw1", tok, s_key, "192.0.2.9", T_NOW + 30, err, sizeof(err)),
	             0, "%s", err);
	enroll_close(&e);
}

Test(enroll, expire_removes_tickets_and_files)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1];

	s_create(e, "a", 10, tok);
	s_create(e, "b", 100, tok);
	cr_assert_eq(enroll_expire(e, T_NOW + 9), 0);
	cr_assert_eq(enroll_expire(e, T_NOW + 10), 1);
	cr_assert_null(enroll_find(e, "a"));
	cr_assert_not(s_exists(s_tickets, "a.ticket"));
	cr_assert(s_exists(s_tickets, "b.ticket"));
	cr_assert_eq(enroll_count(e), 1);
	enroll_close(&e);
}

Test(enroll, create_validates_and_is_bounded)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], first[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "";
	char name[32];

	cr_assert_eq(enroll_create(e, "../x", "r", "RIPE", false, 0, T_NOW, tok, err, sizeof(err)),
	             -1);
	cr_assert_eq(enroll_create(e, ".x", "r", "RIPE", false, 0, T_NOW, tok, err, sizeof(err)),
	             -1);
	cr_assert_eq(enroll_create(e, "x", "r\"", "RIPE", false, 0, T_NOW, tok, err, sizeof(err)),
	             -1);
	cr_assert_eq(enroll_create(e, "x", "r", "RI\\PE", false, 0, T_NOW, tok, err, sizeof(err)),
	             -1);
	cr_assert_eq(enroll_create(e, "x", "r", "", false, 0, T_NOW, tok, err, sizeof(err)), -1);
	cr_assert_eq(enroll_create(e, "x", "r", "RIPE", false, ENROLL_MAX_TTL_S + 1, T_NOW, tok,
	                           err, sizeof(err)),
	             -1);
	cr_assert_not_null(strstr(err, "ttl"), "%s", err);
	cr_assert_eq(enroll_count(e), 0);

	for (int i = 0; i < ENROLL_MAX_TICKETS; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		s_create(e, name, 0, i == 0 ? first : tok);
	}
	cr_assert_eq(
	        enroll_create(e, "one-more", "r", "RIPE", false, 0, T_NOW, tok, err, sizeof(err)),
	        -1);
	cr_assert_not_null(strstr(err, "too many"), "%s", err);
	cr_assert_null(enroll_find(e, "one-more"));
	cr_assert_not(s_exists(s_tickets, "one-more.ticket"));
	/* replacing one is fine, and the old token stops working */
	s_create(e, "a0", 0, tok);
	cr_assert_eq(enroll_count(e), ENROLL_MAX_TICKETS);
	cr_assert_eq(enroll_claim(e, "a0", first, s_key, "a", T_NOW, err, sizeof(err)), -1);
	cr_assert_eq(enroll_claim(e, "a0", tok, s_key, "a", T_NOW, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(enroll_cancel(e, "a1"), 0);
	s_create(e, "one-more", 0, tok);
	enroll_close(&e);
}

Test(enroll, token_is_never_stored)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], path[256], buf[4096], hex[65];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	mode_t mode;

	s_create(e, "euw1", 0, tok);
	snprintf(path, sizeof(path), "%s/euw1.ticket", s_tickets);
	s_slurp(path, buf, sizeof(buf), &mode);
	cr_assert_eq(mode, 0600);
	cr_assert_null(strstr(buf, tok), "the token is in %s", path);
	cr_assert_eq(EVP_Digest(tok, strlen(tok), md, &mdlen, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	cr_assert_not_null(strstr(buf, hex), "%s lacks the token's hash", buf);
	cr_assert_str_eq(enroll_find(e, "euw1")->token_sha256, hex);
	enroll_close(&e);
}

Test(enroll, revoke_files_renames)
{
	char err[512] = "", path[256], buf[256];
	FILE *f;

	cr_assert_eq(mkdir(s_allow, 0755), 0);
	cr_assert_eq(keys_generate(s_allow, "euw1", err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/euw1.conf", s_allow);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("region = \"r\"; rir = \"RIPE\";\n", f);
	fclose(f);

	cr_assert_eq(enroll_revoke_files(s_allow, "euw1", err, sizeof(err)), 1, "%s", err);
	cr_assert_not(s_exists(s_allow, "euw1.pub"));
	cr_assert_not(s_exists(s_allow, "euw1.conf"));
	cr_assert(s_exists(s_allow, "euw1.pub.revoked"));
	cr_assert(s_exists(s_allow, "euw1.conf.revoked"));
	cr_assert_eq(enroll_revoke_files(s_allow, "euw1", err, sizeof(err)), 0);

	/* a newer key replaces the older .revoked file; no NAME.conf is fine */
	snprintf(path, sizeof(path), "%s/euw1.pub", s_allow);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fprintf(f, "%s\n", s_key2);
	fclose(f);
	snprintf(path, sizeof(path), "%s/euw1.pub.revoked", s_allow);
	cr_assert_eq(enroll_revoke_files(s_allow, "euw1", err, sizeof(err)), 1, "%s", err);
	s_slurp(path, buf, sizeof(buf), NULL);
	cr_assert_eq(strncmp(buf, s_key2, KEY_Z85_LEN), 0);
	cr_assert_eq(enroll_revoke_files(s_allow, "../euw1", err, sizeof(err)), -1);
}

Test(enroll, json_lists_the_tickets)
{
	struct enroll *e = s_open(T_NOW);
	char tok[LIMIT_ENROLL_TOKEN_LEN + 1], tok2[LIMIT_ENROLL_TOKEN_LEN + 1], err[512] = "";
	json_t *arr, *o;
	char *text;

	s_create(e, "euw1", 60, tok);
	s_create(e, "euw2", 60, tok2);
	cr_assert_eq(enroll_claim(e, "euw2", tok2, s_key, "192.0.2.4", T_NOW + 2, err, sizeof(err)),
	             0, "%s", err);
	arr = enroll_json(e, T_NOW + 3);
	cr_assert(json_is_array(arr));
	cr_assert_eq(json_array_size(arr), 2);
	o = json_array_get(arr, 0);
	cr_assert_str_eq(json_string_value(json_object_get(o, "name")), "euw1");
	cr_assert_str_eq(json_string_value(json_object_get(o, "state")), "waiting");
	cr_assert(json_is_null(json_object_get(o, "key")));
	cr_assert(json_is_null(json_object_get(o, "claimed")));
	cr_assert_str_eq(json_string_value(json_object_get(o, "expires")), "2023-11-14T22:14:20Z");
	o = json_array_get(arr, 1);
	cr_assert_str_eq(json_string_value(json_object_get(o, "state")), "claimed");
	cr_assert_str_eq(json_string_value(json_object_get(o, "key")), s_key);
	cr_assert_str_eq(json_string_value(json_object_get(o, "address")), "192.0.2.4");
	cr_assert_str_eq(json_string_value(json_object_get(o, "claimed")), "2023-11-14T22:13:22Z");
	cr_assert_str_eq(json_string_value(json_object_get(o, "region")), "eu-west");
	text = json_dumps(arr, 0);
	cr_assert_null(strstr(text, tok));
	cr_assert_null(strstr(text, "token"), "%s", text);
	free(text);
	json_decref(arr);
	arr = enroll_json(NULL, T_NOW);
	cr_assert_eq(json_array_size(arr), 0);
	json_decref(arr);
	enroll_close(&e);
}

Test(enroll, open_refuses_an_unusable_directory)
{
	char err[512] = "", path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/file", s_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	cr_assert_null(enroll_open(path, T_NOW, err, sizeof(err)));
	cr_assert_not_null(strstr(err, path), "%s", err);
	snprintf(path, sizeof(path), "%s/missing/enroll", s_dir);
	cr_assert_null(enroll_open(path, T_NOW, err, sizeof(err)));
	cr_assert_not_null(strstr(err, path), "%s", err);
}
