/*
 * test_zap.c -- coordinator/zap.c: the allowlist decision.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/keys.h"
#include "coordinator/config.h"
#include "coordinator/zap.h"
#include "scratch.h"

static char s_dir[64];
static struct coord_config s_cfg;

static void s_setup(void)
{
	char err[256] = "";
	static const char conf[] =
	        "coordinator: { agent_endpoint = \"tcp://127.0.0.1:*\";\n"
	        "  key_file = \"/nonexistent\"; allowlist_dir = \"/x\";\n"
	        "  api_token_file = \"/nonexistent\"; };\n"
	        "agents = ( { name = \"a1\"; region = \"r1\"; rir = \"ARIN\"; },\n"
	        "  { name = \"late\"; region = \"r2\"; rir = \"RIPE\"; } );\n";

	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-zap-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
	cr_assert_eq(coord_config_parse(conf, &s_cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keys_generate(s_dir, "a1", err, sizeof(err)), 0, "%s", err);
	/* allowlisted but not a configured agent */
	cr_assert_eq(keys_generate(s_dir, "stranger", err, sizeof(err)), 0, "%s", err);
}

static void s_teardown(void)
{
	scratch_remove(s_dir);
}

TestSuite(zap, .init = s_setup, .fini = s_teardown);

/* Frames of a request for the binary key raw. */
static void s_frames(struct zap_frame f[7], const char *version, const char *domain,
                     const char *mech, const uint8_t *raw, size_t rawlen)
{
	static const char *addr = "127.0.0.1";
	f[0] = (struct zap_frame){(const uint8_t *)version, strlen(version)};
	f[1] = (struct zap_frame){(const uint8_t *)"7", 1};
	f[2] = (struct zap_frame){(const uint8_t *)domain, strlen(domain)};
	f[3] = (struct zap_frame){(const uint8_t *)addr, strlen(addr)};
	f[4] = (struct zap_frame){(const uint8_t *)"", 0};
	f[5] = (struct zap_frame){(const uint8_t *)mech, strlen(mech)};
	f[6] = (struct zap_frame){raw, rawlen};
}

static void s_key_of(const char *name, uint8_t raw[32])
{
	char path[256], pub[KEY_Z85_LEN + 1], err[256] = "";

	snprintf(path, sizeof(path), "%s/%s.pub", s_dir, name);
	cr_assert_eq(keys_read_public(path, pub, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(zmq_z85_decode(raw, pub));
}

/* "NAME KEY" for the key in s_dir/NAME.pub. */
static const char *s_user_id(const char *name)
{
	static char uid[128];
	char path[256], pub[KEY_Z85_LEN + 1], err[256] = "";

	snprintf(path, sizeof(path), "%s/%s.pub", s_dir, name);
	cr_assert_eq(keys_read_public(path, pub, err, sizeof(err)), 0, "%s", err);
	snprintf(uid, sizeof(uid), "%s %s", name, pub);
	return uid;
}

Test(zap, accepts_allowlisted_configured_key)
{
	struct zap_frame f[7];
	struct zap_reply rep;
	uint8_t raw[32];

	s_key_of("a1", raw);
	s_frames(f, "1.0", "vantage", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), 0, "%s", rep.status_text);
	cr_assert_str_eq(rep.status, "200");
	cr_assert_str_eq(rep.user_id, s_user_id("a1"));
}

Test(zap, refuses_unknown_key)
{
	struct zap_frame f[7];
	struct zap_reply rep;
	char pub[41], sec[41];
	uint8_t raw[32];

	cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
	cr_assert_not_null(zmq_z85_decode(raw, pub));
	s_frames(f, "1.0", "vantage", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	cr_assert_str_eq(rep.status, "400");
	cr_assert_str_eq(rep.user_id, "");
	cr_assert_str_eq(rep.key_z85, pub);
}

Test(zap, refuses_allowlisted_but_unconfigured)
{
	struct zap_frame f[7];
	struct zap_reply rep;
	uint8_t raw[32];

	s_key_of("stranger", raw);
	s_frames(f, "1.0", "vantage", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	cr_assert_str_eq(rep.status, "400");
}

Test(zap, refuses_wrong_domain_mechanism_version_and_key_length)
{
	struct zap_frame f[7];
	struct zap_reply rep;
	uint8_t raw[32];

	s_key_of("a1", raw);
	s_frames(f, "1.0", "other", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	cr_assert_str_eq(rep.status, "400");
	s_frames(f, "1.0", "", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	s_frames(f, "1.0", "vantage", "PLAIN", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	cr_assert_str_eq(rep.status, "400");
	s_frames(f, "1.0", "vantage", "NULL", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 6, &rep), -1);
	cr_assert_str_eq(rep.user_id, "");
	s_frames(f, "2.0", "vantage", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	s_frames(f, "1.0", "vantage", "CURVE", raw, 31);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 3, &rep), -1);
}

Test(zap, new_pub_file_takes_effect_without_restart)
{
	struct zap_frame f[7];
	struct zap_reply rep;
	char err[256] = "", other[128], src[256], dst[256];
	uint8_t raw[32];

	/* generate "late" elsewhere: refused until its .pub lands in the dir */
	snprintf(other, sizeof(other), "%s/elsewhere", s_dir);
	cr_assert_eq(mkdir(other, 0700), 0);
	cr_assert_eq(keys_generate(other, "late", err, sizeof(err)), 0, "%s", err);
	snprintf(src, sizeof(src), "%s/late.pub", other);
	{
		char pub[KEY_Z85_LEN + 1];
		cr_assert_eq(keys_read_public(src, pub, err, sizeof(err)), 0, "%s", err);
		cr_assert_not_null(zmq_z85_decode(raw, pub));
	}
	s_frames(f, "1.0", "vantage", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), -1);
	snprintf(dst, sizeof(dst), "%s/late.pub", s_dir);
	cr_assert_eq(rename(src, dst), 0);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, NULL, 0, f, 7, &rep), 0, "%s", rep.status_text);
	cr_assert_str_eq(rep.user_id, s_user_id("late"));
}

/* A fresh key pair's public half, raw and in Z85. */
static void s_fresh_key(uint8_t raw[32], char pub[KEY_Z85_LEN + 1])
{
	char sec[KEY_Z85_LEN + 1];

	cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
	cr_assert_not_null(zmq_z85_decode(raw, pub));
}

Test(zap, unknown_key_gets_in_to_enrol_only_while_a_ticket_is_open)
{
	struct zap_frame f[7];
	struct zap_reply rep;
	struct enroll *e;
	char edir[128], err[512] = "", tok[LIMIT_ENROLL_TOKEN_LEN + 1], pub[KEY_Z85_LEN + 1],
	                want[128];
	uint8_t raw[32], a1[32];

	snprintf(edir, sizeof(edir), "%s/enroll", s_dir);
	e = enroll_open(edir, 1000, err, sizeof(err));
	cr_assert_not_null(e, "%s", err);
	s_fresh_key(raw, pub);
	s_frames(f, "1.0", "vantage", "CURVE", raw, 32);
	/* no ticket: refused, as without enrolment */
	cr_assert_eq(zap_decide(s_dir, &s_cfg, e, 1000, f, 7, &rep), -1);
	cr_assert_str_eq(rep.status, "400");
	cr_assert_str_eq(rep.user_id, "");

	cr_assert_eq(
	        enroll_create(e, "new1", "r9", "LACNIC", false, 60, 1000, tok, err, sizeof(err)), 0,
	        "%s", err);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, e, 1001, f, 7, &rep), 0, "%s", rep.status_text);
	cr_assert_str_eq(rep.status, "200");
	snprintf(want, sizeof(want), "%s%s", ENROLL_USER_PREFIX, pub);
	cr_assert_str_eq(rep.user_id, want);
	cr_assert_str_eq(rep.key_z85, pub);

	/* an allowlisted key stays itself while a ticket is open */
	s_key_of("a1", a1);
	s_frames(f, "1.0", "vantage", "CURVE", a1, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, e, 1001, f, 7, &rep), 0);
	cr_assert_str_eq(rep.user_id, s_user_id("a1"));
	/* and a non-CURVE peer gets nothing from an open ticket */
	s_frames(f, "1.0", "vantage", "NULL", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, e, 1001, f, 6, &rep), -1);

	/* the ticket expired: refused again */
	s_frames(f, "1.0", "vantage", "CURVE", raw, 32);
	cr_assert_eq(zap_decide(s_dir, &s_cfg, e, 1060, f, 7, &rep), -1);
	cr_assert_str_eq(rep.user_id, "");
	enroll_close(&e);
}

Test(zap, split_user_id)
{
	char name[LIMIT_AGENT_NAME_LEN + 1], key[KEY_Z85_LEN + 1], uid[256];
	const char *k = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7";

	snprintf(uid, sizeof(uid), "euw1 %s", k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 1);
	cr_assert_str_eq(name, "euw1");
	cr_assert_str_eq(key, k);
	snprintf(uid, sizeof(uid), "%s%s", ENROLL_USER_PREFIX, k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 2);
	cr_assert_str_eq(name, "");
	cr_assert_str_eq(key, k);

	cr_assert_eq(zap_split_user_id(NULL, name, key), 0);
	cr_assert_eq(zap_split_user_id("", name, key), 0);
	cr_assert_eq(zap_split_user_id("euw1", name, key), 0, "a bare name (the old form)");
	cr_assert_str_eq(name, "");
	snprintf(uid, sizeof(uid), " %s", k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
	snprintf(uid, sizeof(uid), "../x %s", k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
	snprintf(uid, sizeof(uid), "euw1 %.39s", k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
	snprintf(uid, sizeof(uid), "euw1 %sx", k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
	snprintf(uid, sizeof(uid), "euw1  %.39s", k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
	snprintf(uid, sizeof(uid), "?enrol %s", k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
	snprintf(uid, sizeof(uid), "%s%.39s", ENROLL_USER_PREFIX, k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
	snprintf(uid, sizeof(uid), "%s%.39s ", ENROLL_USER_PREFIX, k);
	cr_assert_eq(zap_split_user_id(uid, name, key), 0);
}
