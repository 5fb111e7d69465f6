/*
 * test_coordinator.c -- coordinator config parsing, checks helpers and a
 * loopback end-to-end run of the real serve loop: CURVE + ZAP allowlist,
 * HELLO/WELCOME, BYE before HELLO, the HTTP API and one check -- over plain
 * http and over TLS with a certificate made at test time (OpenSSL), through
 * libcurl and through the CLI's own request code.  Traffic goes to 127.0.0.1
 * only.
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "common/keys.h"
#include "coordinator/api.h"
#include "coordinator/checks.h"
#include "coordinator/cli.h"
#include "coordinator/config.h"
#include "coordinator/enroll.h"
#include "coordinator/serve.h"
#include "proto/proto.h"
#include "scratch.h"

#define T_WAIT_MS  3000 /* longest a test waits for an answer */
#define T_QUIET_MS 800  /* how long "no answer" is watched */

/* ---- configuration ---- */

static const char *s_good = "coordinator: {\n"
                            "  agent_endpoint = \"tcp://127.0.0.1:8751\";\n"
                            "  key_file = \"/k\"; allowlist_dir = \"/d\";\n"
                            "  api_token_file = \"/t\";\n"
                            "  heartbeat_ivl_ms = 250; min_answers = 2;\n"
                            "};\n"
                            "agents = (\n"
                            "  { name = \"use1\"; region = \"us-east\"; rir = \"ARIN\"; "
                            "primary = true; },\n"
                            "  { name = \"euw1\"; region = \"eu-west\"; rir = \"RIPE\"; }\n"
                            ");\n";

static void s_expect_error(const char *text, const char *needle)
{
	static struct coord_config c;
	char err[512] = "";

	cr_assert_eq(coord_config_parse(text, &c, err, sizeof(err)), -1, "accepted: %s", text);
	cr_assert_not_null(strstr(err, needle), "error \"%s\" lacks \"%s\"", err, needle);
}

Test(coordinator, config_parses_and_defaults)
{
	static struct coord_config c;
	char err[512] = "";

	cr_assert_eq(coord_config_parse(s_good, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(c.n_agents, 2);
	cr_assert_str_eq(c.agents[0].name, "use1");
	cr_assert(c.agents[0].primary);
	cr_assert_not(c.agents[1].primary);
	cr_assert_str_eq(c.agents[1].rir, "RIPE");
	cr_assert_eq(c.heartbeat_ivl_ms, 250);
	cr_assert_eq(c.min_answers, 2);
	cr_assert_eq(c.liveness, HEARTBEAT_LIVENESS);
	cr_assert_eq(c.job_budget_ms, JOB_DEFAULT_BUDGET_MS);
	cr_assert_str_eq(c.api_listen, "127.0.0.1:8750");
	cr_assert_eq(coord_config_find_agent(&c, "euw1"), 1);
	cr_assert_eq(coord_config_find_agent(&c, "nope"), -1);
}

Test(coordinator, config_errors_are_precise)
{
	s_expect_error("coordinator: {\n agent_endpoint = \"x\";\n key_file = ; };\n", ":3:");
	s_expect_error("coordinator: {\n agent_endpoint = \"x\";\n key_file = 3; };\n",
	               "line 3: coordinator.key_file must be a string");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; allowlist_dir = \"/d\"; "
	               "api_token_file = \"/t\"; };\nagents = ();\n",
	               "key_file");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; };\n"
	               "agents = ( { name = \"a\"; region = \"r\"; rir = \"ARIN\"; },\n"
	               " { name = \"a\"; region = \"r\"; rir = \"ARIN\"; } );\n",
	               "duplicate agent name \"a\"");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; };\n"
	               "agents = ( { name = \"../x\"; region = \"r\"; rir = \"ARIN\"; } );\n",
	               "invalid agent name");
	s_expect_error(
	        "coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	        "allowlist_dir = \"/d\"; api_token_file = \"/t\"; };\n"
	        "agents = ( { name = \"a\"; region = \"r\"; rir = \"ARIN\"; primary = true; "
	        "},\n { name = \"b\"; region = \"r\"; rir = \"ARIN\"; primary = true; } );\n",
	        "more than one primary");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; "
	               "api_listen = \"0.0.0.0:8750\"; };\nagents = ();\n",
	               "requires api_tls_cert");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; liveness = 0; };\n"
	               "agents = ();\n",
	               "liveness");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; };\n"
	               "agents = ( { name = \"a\"; rir = \"ARIN\"; } );\n",
	               "region");
}

Test(coordinator, config_agents_list_is_optional)
{
	static struct coord_config c;
	char err[512] = "";

	cr_assert_eq(coord_config_parse("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	                                "allowlist_dir = \"/nonexistent\"; api_token_file = "
	                                "\"/t\"; };\n",
	                                &c, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(c.n_agents, 0);
	cr_assert_eq(coord_config_parse("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	                                "allowlist_dir = \"/d\"; api_token_file = \"/t\"; };\n"
	                                "agents = ();\n",
	                                &c, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(c.n_agents, 0);
}

Test(coordinator, config_state_dir_and_public_endpoint)
{
	static struct coord_config c;
	char err[512] = "";

	cr_assert_eq(coord_config_parse(s_good, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(c.state_dir, CONFIG_DEFAULT_STATE_DIR);
	cr_assert_str_eq(c.public_endpoint, "");
	cr_assert_not(c.agents[0].from_dir);
	cr_assert_eq(coord_config_parse("coordinator: { agent_endpoint = \"tcp://*:8751\"; "
	                                "key_file = \"/k\"; allowlist_dir = \"/d\"; "
	                                "api_token_file = \"/t\"; state_dir = \"/srv/v\"; "
	                                "public_endpoint = \"tcp://coord.example.net:8751\"; };\n",
	                                &c, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(c.state_dir, "/srv/v");
	cr_assert_str_eq(c.public_endpoint, "tcp://coord.example.net:8751");
	cr_assert_eq(coord_config_parse("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	                                "allowlist_dir = \"/d\"; api_token_file = \"/t\"; "
	                                "public_endpoint = \"tcp://[2001:db8::1]:8751\"; };\n",
	                                &c, err, sizeof(err)),
	             0, "%s", err);
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; state_dir = \"var\"; };\n",
	               "state_dir \"var\" must be an absolute path");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; "
	               "public_endpoint = \"coord.example.net:8751\"; };\n",
	               "public_endpoint");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; "
	               "public_endpoint = \"tcp://*:8751\"; };\n",
	               "tcp://HOST:PORT");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; "
	               "public_endpoint = \"tcp://host:99999\"; };\n",
	               "public_endpoint");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; };\n"
	               "agents = ( { name = \"a\"; region = \"r\\\"x\"; rir = \"ARIN\"; } );\n",
	               "region and rir must be");
}

/* ---- agents from allowlist_dir/NAME.conf ---- */

static char s_cdir[64]; /* scratch allowlist_dir of the sidecar tests */

static void s_cdir_setup(void)
{
	snprintf(s_cdir, sizeof(s_cdir), "/tmp/vt-cfgdir-XXXXXX");
	cr_assert_not_null(mkdtemp(s_cdir));
}

static void s_cdir_teardown(void)
{
	scratch_remove(s_cdir);
}

/* Write s_cdir/file with text. */
static void s_put(const char *file, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", s_cdir, file);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert(fputs(text, f) >= 0);
	cr_assert_eq(fclose(f), 0);
}

/* Parse a configuration with allowlist_dir s_cdir and the main list agents. */
static int s_parse_dir(const char *agents, struct coord_config *c, char *err, size_t errlen)
{
	char text[1024];

	snprintf(text, sizeof(text),
	         "coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; allowlist_dir = "
	         "\"%s\"; api_token_file = \"/t\"; };\n%s",
	         s_cdir, agents);
	return coord_config_parse(text, c, err, errlen);
}

#define CDIR .init = s_cdir_setup, .fini = s_cdir_teardown

Test(coordinator, config_agents_from_allowlist_dir, CDIR)
{
	static struct coord_config c;
	char err[1024] = "";

	s_put("zz9.conf", "# written by vantage agents approve\nregion = \"ap-south\";\n"
	                  "rir = \"APNIC\";\nprimary = false;\n");
	s_put("b2.conf", "region = \"eu-west\"; rir = \"RIPE\";\n");
	s_put("aa1.conf", "region = \"sa-east\"; rir = \"LACNIC\"; primary = true;\n");
	/* not agent files */
	s_put("x.conf.revoked", "garbage");
	s_put(".hidden.conf", "garbage");
	s_put("x.pub", "garbage");
	cr_assert_eq(s_parse_dir("agents = ( { name = \"m1\"; region = \"us-east\"; rir = "
	                         "\"ARIN\"; } );\n",
	                         &c, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(c.n_agents, 4);
	/* the main list first, then the directory's sorted by name */
	cr_assert_str_eq(c.agents[0].name, "m1");
	cr_assert_not(c.agents[0].from_dir);
	cr_assert_str_eq(c.agents[1].name, "aa1");
	cr_assert_str_eq(c.agents[2].name, "b2");
	cr_assert_str_eq(c.agents[3].name, "zz9");
	for (int i = 1; i < 4; i++)
		cr_assert(c.agents[i].from_dir);
	cr_assert(c.agents[1].primary);
	cr_assert_str_eq(c.agents[1].region, "sa-east");
	cr_assert_str_eq(c.agents[2].rir, "RIPE");
	cr_assert_not(c.agents[2].primary);
	cr_assert_eq(coord_config_find_agent(&c, "zz9"), 3);
}

Test(coordinator, config_allowlist_dir_errors_name_the_file, CDIR)
{
	static struct coord_config c;
	char err[1024] = "", want[128];
	const char *main1 =
	        "agents = ( { name = \"m1\"; region = \"us-east\"; rir = \"ARIN\"; primary = "
	        "true; } );\n";

	/* in both the main list and the directory */
	s_put("m1.conf", "region = \"eu-west\"; rir = \"RIPE\";\n");
	cr_assert_eq(s_parse_dir(main1, &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/m1.conf", s_cdir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_not_null(strstr(err, "also in the main agents list"), "%s", err);
	s_cdir_teardown();
	s_cdir_setup();

	/* malformed */
	s_put("bad.conf", "region = \"eu-west\";\nrir = ;\n");
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s/bad.conf:2", s_cdir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	s_put("bad.conf", "region = \"eu-west\";\n");
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "missing required setting \"rir\""), "%s", err);
	s_put("bad.conf", "region = \"eu-west\"; rir = \"RIPE\"; regoin = \"x\";\n");
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "unknown setting \"regoin\""), "%s", err);
	s_put("bad.conf", "region = \"eu\\\"west\"; rir = \"RIPE\";\n");
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "bad.conf"), "%s", err);
	s_put("bad.conf", "region = \"eu-west\"; rir = \"RIPE\"; primary = \"yes\";\n");
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "primary must be true or false"), "%s", err);
	s_put("bad.conf", "region = \"eu-west\"; rir = \"RIPE\"; primary = true;\n");
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), 0, "%s", err);

	/* a second primary, in the directory */
	cr_assert_eq(s_parse_dir(main1, &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "bad.conf: more than one primary"), "%s", err);
	s_put("other.conf", "region = \"x\"; rir = \"RIPE\"; primary = true;\n");
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "other.conf: more than one primary agent (bad is one)"),
	                   "%s", err);
}

Test(coordinator, config_allowlist_dir_is_bounded, CDIR)
{
	static struct coord_config c;
	char err[1024] = "", file[32];

	for (int i = 0; i <= LIMIT_AGENTS; i++) {
		snprintf(file, sizeof(file), "a%03d.conf", i);
		s_put(file, "region = \"r\"; rir = \"RIPE\";\n");
	}
	cr_assert_eq(s_parse_dir("", &c, err, sizeof(err)), -1);
	snprintf(file, sizeof(file), "more than %d agents", LIMIT_AGENTS);
	cr_assert_not_null(strstr(err, file), "%s", err);
}

Test(coordinator, config_file_errors_name_the_file)
{
	static struct coord_config c;
	char err[512] = "";

	cr_assert_eq(coord_config_load("/nonexistent/vantage.conf", &c, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "/nonexistent/vantage.conf"), "%s", err);
}

Test(coordinator, domains_tokens_and_ids)
{
	char d[LIMIT_DOMAIN_LEN + 1], err[256], tok[LIMIT_TOKEN_LEN + 1], tok2[LIMIT_TOKEN_LEN + 1],
	        id[LIMIT_JOB_ID_LEN + 1];

	cr_assert_eq(checks_parse_domain("WWW.Example.COM.", d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(d, "www.example.com");
	cr_assert_eq(checks_parse_domain("bad domain.com", d, err, sizeof(err)), -1);
	cr_assert_eq(checks_parse_domain("a..b", d, err, sizeof(err)), -1);
	cr_assert_eq(checks_parse_domain("-a.com", d, err, sizeof(err)), -1);
	cr_assert_eq(checks_parse_domain("localhost", d, err, sizeof(err)), -1);
	cr_assert_eq(checks_random_token(tok), 0);
	cr_assert_eq(checks_random_token(tok2), 0);
	cr_assert_eq(strlen(tok), 43);
	cr_assert_str_neq(tok, tok2);
	cr_assert_eq(
	        strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
	        43);
	cr_assert_eq(checks_random_hex(id, LIMIT_JOB_ID_LEN), 0);
	cr_assert_eq(strspn(id, "0123456789abcdef"), LIMIT_JOB_ID_LEN);
	cr_assert(api_is_loopback("127.0.0.1"));
	cr_assert(api_is_loopback("127.8.0.1"));
	cr_assert(api_is_loopback("::1"));
	cr_assert_not(api_is_loopback("0.0.0.0"));
	cr_assert_not(api_is_loopback("10.1.2.3"));
}

/* ---- end to end ---- */

static char s_dir[64];
static bool s_tls;          /* the API listens with TLS */
static char s_cert[128];    /* its certificate (PEM), the clients' trust anchor */
static char s_other[128];   /* another self-signed certificate for 127.0.0.1 */
static char s_tokfile[128]; /* the API token file */
static struct serve *s_srv;
static pthread_t s_thread;
static char s_token[API_TOKEN_FILE_MAX + 1];
static char s_coord_pub[KEY_Z85_LEN + 1];
static void *s_ctx;
static const char *s_agents; /* the main agents list of the running coordinator */

static void *s_loop(void *arg)
{
	char err[256];
	(void)arg;
	serve_run(s_srv, err, sizeof(err));
	return NULL;
}

/* Write a self-signed certificate for IP 127.0.0.1 (EC P-256, SHA-256, valid
 * for an hour) to dir/NAME.crt and its key to dir/NAME.key (0600). */
static void s_make_cert(const char *dir, const char *name, long serial, char *crt, size_t crtlen,
                        char *keyp, size_t keylen)
{
	static const struct {
		int nid;
		const char *value;
	} exts[] = {
	        {NID_subject_alt_name, "IP:127.0.0.1"},
	        {NID_basic_constraints, "critical,CA:FALSE"},
	        {NID_key_usage, "critical,digitalSignature"},
	        {NID_ext_key_usage, "serverAuth"},
	};
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	X509V3_CTX ctx;
	FILE *f;
	int fd;

	cr_assert_not_null(pk);
	cr_assert_not_null(x);
	cr_assert_eq(X509_set_version(x, 2), 1);
	cr_assert_eq(ASN1_INTEGER_set(X509_get_serialNumber(x), serial), 1);
	cr_assert_not_null(X509_gmtime_adj(X509_getm_notBefore(x), -60));
	cr_assert_not_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	cr_assert_eq(X509_set_pubkey(x, pk), 1);
	n = X509_get_subject_name(x);
	cr_assert_eq(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	                                        (const unsigned char *)"vantage test", -1, -1, 0),
	             1);
	cr_assert_eq(X509_set_issuer_name(x, n), 1);
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, exts[i].nid, exts[i].value);
		cr_assert_not_null(e, "extension %s", exts[i].value);
		cr_assert_eq(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
	}
	cr_assert_gt(X509_sign(x, pk, EVP_sha256()), 0);

	snprintf(crt, crtlen, "%s/%s.crt", dir, name);
	snprintf(keyp, keylen, "%s/%s.key", dir, name);
	f = fopen(crt, "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_X509(f, x), 1);
	cr_assert_eq(fclose(f), 0);
	fd = open(keyp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	cr_assert_eq(PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL), 1);
	cr_assert_eq(fclose(f), 0);
	X509_free(x);
	EVP_PKEY_free(pk);
}

/* The coordinator's configuration for the end-to-end tests; TLS with
 * s_dir/api.crt and s_dir/api.key if tls. */
#define T_AGENTS                                                                                   \
	"agents = ( { name = \"a1\"; region = \"us-east\"; rir = \"ARIN\"; primary = "             \
	"true; },\n"                                                                               \
	"  { name = \"a2\"; region = \"eu-west\"; rir = \"RIPE\"; } );\n"

/* Write the coordinator's configuration to s_dir/coordinator.conf: the
 * endpoints and keys of s_dir, TLS if tls, then agents (libconfig text). */
static void s_write_config(bool tls, const char *agents)
{
	char conf[4096], allow[128], tlsconf[512] = "", path[128];
	FILE *f;

	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	if (tls)
		snprintf(tlsconf, sizeof(tlsconf),
		         "  api_tls_cert = \"%s/api.crt\";\n  api_tls_key = \"%s/api.key\";\n",
		         s_dir, s_dir);
	snprintf(conf, sizeof(conf),
	         "coordinator: {\n"
	         "  agent_endpoint = \"tcp://127.0.0.1:*\";\n"
	         "  key_file = \"%s/coordinator.key\";\n"
	         "  allowlist_dir = \"%s\";\n"
	         "  api_listen = \"127.0.0.1:0\";\n"
	         "  api_token_file = \"%s/api.token\";\n"
	         "%s"
	         "  state_dir = \"%s/state\";\n"
	         "  heartbeat_ivl_ms = 200; liveness = 3; job_budget_ms = 2000;\n"
	         "};\n"
	         "%s",
	         s_dir, allow, s_dir, tlsconf, s_dir, agents);
	snprintf(path, sizeof(path), "%s/coordinator.conf", s_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fputs(conf, f) >= 0, true);
	cr_assert_eq(fclose(f), 0);
}

/* The configuration of s_dir (written to s_dir/coordinator.conf, then read
 * back, so that a reload finds it). */
static void s_config(struct coord_config *cfg, bool tls)
{
	char err[512] = "", path[128];

	s_write_config(tls, s_agents);
	snprintf(path, sizeof(path), "%s/coordinator.conf", s_dir);
	cr_assert_eq(coord_config_load(path, cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg->path, path);
}

/* Keys, certificates and token in a fresh s_dir, then the coordinator's loop
 * in a thread, its API over TLS if tls, with agents (libconfig text) as its
 * main agents list. */
static void s_start_with(bool tls, const char *agents)
{
	static struct coord_config cfg;
	char err[512] = "", path[256], sec[KEY_Z85_LEN + 1], allow[128], other[128], key[128];

	s_tls = tls;
	s_agents = agents;
	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-coord-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	snprintf(other, sizeof(other), "%s/other", s_dir);
	cr_assert_eq(mkdir(allow, 0700), 0);
	cr_assert_eq(mkdir(other, 0700), 0);
	cr_assert_eq(keys_generate(s_dir, "coordinator", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keys_generate(allow, "a1", err, sizeof(err)), 0, "%s", err);
	/* a2 is configured, but its key is not on the allowlist */
	cr_assert_eq(keys_generate(other, "a2", err, sizeof(err)), 0, "%s", err);
	s_make_cert(s_dir, "api", 1, s_cert, sizeof(s_cert), key, sizeof(key));
	s_make_cert(other, "api", 2, s_other, sizeof(s_other), key, sizeof(key));
	snprintf(s_tokfile, sizeof(s_tokfile), "%s/api.token", s_dir);
	s_config(&cfg, tls);
	s_srv = serve_new(&cfg, err, sizeof(err));
	cr_assert_not_null(s_srv, "%s", err);
	snprintf(path, sizeof(path), "%s/coordinator.key", s_dir);
	cr_assert_eq(keys_read_secret(path, sec, s_coord_pub, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(api_token_load(s_tokfile, s_token, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(s_token), API_TOKEN_LEN);
	{
		struct stat st;
		cr_assert_eq(stat(s_tokfile, &st), 0);
		cr_assert_eq(st.st_mode & 0777, 0600);
	}
	cr_assert_eq(pthread_create(&s_thread, NULL, s_loop, NULL), 0);
	s_ctx = zmq_ctx_new();
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void s_e2e_setup(void)
{
	s_start_with(false, T_AGENTS);
}

static void s_tls_setup(void)
{
	s_start_with(true, T_AGENTS);
}

/* A coordinator without agents: every one has to enrol. */
static void s_empty_setup(void)
{
	s_start_with(false, "");
}

static void s_e2e_teardown(void)
{
	serve_stop(s_srv);
	pthread_join(s_thread, NULL);
	serve_destroy(&s_srv);
	zmq_ctx_term(s_ctx);
	curl_global_cleanup();
	scratch_remove(s_dir);
}

/* A DEALER connected to the coordinator; key_name NULL = plain (no CURVE);
 * dir is where NAME.key lives. */
static void *s_dealer(const char *dir, const char *key_name)
{
	void *d = zmq_socket(s_ctx, ZMQ_DEALER);
	int linger = 0;

	cr_assert_not_null(d);
	zmq_setsockopt(d, ZMQ_LINGER, &linger, sizeof(linger));
	if (key_name != NULL) {
		char path[256], sec[KEY_Z85_LEN + 1], pub[KEY_Z85_LEN + 1], err[256] = "";
		snprintf(path, sizeof(path), "%s/%s.key", dir, key_name);
		cr_assert_eq(keys_read_secret(path, sec, pub, err, sizeof(err)), 0, "%s", err);
		cr_assert_eq(zmq_setsockopt(d, ZMQ_CURVE_SERVERKEY, s_coord_pub, KEY_Z85_LEN + 1),
		             0);
		cr_assert_eq(zmq_setsockopt(d, ZMQ_CURVE_PUBLICKEY, pub, KEY_Z85_LEN + 1), 0);
		cr_assert_eq(zmq_setsockopt(d, ZMQ_CURVE_SECRETKEY, sec, KEY_Z85_LEN + 1), 0);
	}
	cr_assert_eq(zmq_connect(d, serve_agent_endpoint(s_srv)), 0);
	return d;
}

static void s_send(void *d, const struct proto_msg *m)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256] = "";

	cr_assert_eq(proto_encode(m, &buf, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(zmq_send(d, buf, len, 0), (int)len);
	free(buf);
}

/* HELLO offering methods (bits 1 << vt_method). */
static void s_send_hello_methods(void *d, uint32_t methods)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	snprintf(m.u.hello.agent_version, sizeof(m.u.hello.agent_version), "%s", VANTAGE_VERSION);
	m.u.hello.ipv4 = true;
	m.u.hello.ipv6 = true;
	m.u.hello.max_inflight = 10;
	m.u.hello.methods = methods;
	s_send(d, &m);
}

/* HELLO of an HTTP-01-only agent (the walking skeleton's). */
static void s_send_hello(void *d)
{
	s_send_hello_methods(d, 1u << VT_METHOD_HTTP01);
}

/* Wait up to ms for a message of type want (skipping heartbeats).  0 got it. */
static int s_recv(void *d, enum proto_type want, int ms, struct proto_msg *out)
{
	for (int waited = 0; waited < ms;) {
		zmq_pollitem_t it = {d, 0, ZMQ_POLLIN, 0};
		uint8_t buf[PROTO_MAX_MSG_BYTES];
		char err[256];
		int n;

		if (zmq_poll(&it, 1, 50) > 0) {
			n = zmq_recv(d, buf, sizeof(buf), 0);
			if (n > 0 && proto_decode(buf, (size_t)n, out, err, sizeof(err)) == 0) {
				if (out->type == want)
					return 0;
				proto_msg_clear(out);
			}
		}
		waited += 50;
	}
	return -1;
}

struct t_buf {
	char data[65536];
	size_t len;
};

static size_t s_write(char *p, size_t sz, size_t n, void *arg)
{
	struct t_buf *b = arg;
	size_t len = sz * n;

	if (b->len + len >= sizeof(b->data))
		return 0;
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->data[b->len] = '\0';
	return len;
}

/* How s_curl sets up TLS. */
enum t_trust {
	T_PINNED,    /* CURLOPT_CAINFO = the file given, no CA directory */
	T_SYSTEM,    /* libcurl's defaults: the system's CAs, verification on */
	T_OLD_TLS11, /* pinned, but offering TLS 1.1 only */
};

/* One request to the API at scheme://127.0.0.1:PORT/path (no proxy).  The
 * libcurl result is returned, the HTTP status (0 if none) in *code, the body
 * in b. */
static CURLcode s_curl(const char *scheme, const char *method, const char *path, const char *body,
                       const char *token, enum t_trust trust, const char *cainfo, long *code,
                       struct t_buf *b)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[256], auth[API_TOKEN_FILE_MAX + 32];
	CURLcode cc;

	cr_assert_not_null(c);
	memset(b, 0, sizeof(*b));
	*code = 0;
	snprintf(url, sizeof(url), "%s://127.0.0.1:%u%s", scheme, serve_api_port(s_srv), path);
	if (token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, auth);
	}
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 15000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (trust != T_SYSTEM) {
		curl_easy_setopt(c, CURLOPT_CAINFO, cainfo);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	if (trust == T_OLD_TLS11) {
		curl_easy_setopt(c, CURLOPT_SSLVERSION,
		                 (long)(CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1));
		/* OpenSSL 3 refuses TLS 1.1 itself at the default security level */
		curl_easy_setopt(c, CURLOPT_SSL_CIPHER_LIST, "DEFAULT:@SECLEVEL=0");
	}
	if (strcmp(method, "POST") == 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return cc;
}

/* A request to the running coordinator, over https (pinned to s_cert) when it
 * listens with TLS.  Returns the status; body in b. */
static long s_http(const char *method, const char *path, const char *body, const char *token,
                   struct t_buf *b)
{
	long code = 0;
	CURLcode cc = s_curl(s_tls ? "https" : "http", method, path, body, token, T_PINNED, s_cert,
	                     &code, b);

	cr_assert_eq(cc, CURLE_OK, "%s", curl_easy_strerror(cc));
	return code;
}

/* state of agent name in GET /v1/agents */
static const char *s_state(const char *name)
{
	static char state[16];
	struct t_buf b;
	json_t *doc, *arr;
	size_t i;

	cr_assert_eq(s_http("GET", "/v1/agents", NULL, s_token, &b), 200, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	arr = json_object_get(doc, "agents");
	cr_assert(json_is_array(arr));
	state[0] = '\0';
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *a = json_array_get(arr, i);
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0)
			snprintf(state, sizeof(state), "%s",
			         json_string_value(json_object_get(a, "state")));
	}
	json_decref(doc);
	return state;
}

#define E2E .init = s_e2e_setup, .fini = s_e2e_teardown, .timeout = 60

Test(coordinator, allowlisted_agent_gets_welcome_and_is_listed_up, E2E)
{
	char allow[128];
	struct proto_msg m;
	void *d;

	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	cr_assert_str_eq(s_state("a1"), "never");
	d = s_dealer(allow, "a1");
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_WAIT_MS, &m), 0, "no WELCOME");
	cr_assert_eq(m.u.welcome.heartbeat_ivl_ms, 200);
	cr_assert_eq(m.u.welcome.liveness, 3);
	cr_assert_str_eq(s_state("a1"), "up");
	/* the coordinator heartbeats an up agent */
	cr_assert_eq(s_recv(d, PROTO_HEARTBEAT, T_WAIT_MS, &m), 0, "no HEARTBEAT");
	/* silent for liveness intervals: down */
	usleep(1200 * 1000);
	cr_assert_str_eq(s_state("a1"), "down");
	zmq_close(d);
}

/* A field of agent name in GET /v1/agents ("" if not listed). */
static const char *s_agent_field(const char *name, const char *field)
{
	static char val[64];
	struct t_buf b;
	json_t *doc, *arr;

	cr_assert_eq(s_http("GET", "/v1/agents", NULL, s_token, &b), 200, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	arr = json_object_get(doc, "agents");
	val[0] = '\0';
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *a = json_array_get(arr, i);
		const char *v = json_string_value(json_object_get(a, field));
		if (strcmp(json_string_value(json_object_get(a, "name")), name) == 0 && v != NULL)
			snprintf(val, sizeof(val), "%s", v);
	}
	json_decref(doc);
	return val;
}

/* Heartbeat from d until agent name's field is want (or T_WAIT_MS passed).
 * The heartbeat goes first: under valgrind one request to the API can take
 * a good part of the liveness window. */
static bool s_wait_field(void *d, const char *name, const char *field, const char *want)
{
	struct proto_msg hb;

	for (int waited = 0; waited < T_WAIT_MS; waited += 100) {
		memset(&hb, 0, sizeof(hb));
		hb.type = PROTO_HEARTBEAT;
		s_send(d, &hb);
		if (strcmp(s_agent_field(name, field), want) == 0)
			return true;
		usleep(100 * 1000);
	}
	return false;
}

/* Heartbeat from d for about ms milliseconds (keeping it up while waiting). */
static void s_heartbeat_for(void *d, int ms)
{
	struct proto_msg hb;

	for (int waited = 0; waited < ms; waited += 100) {
		memset(&hb, 0, sizeof(hb));
		hb.type = PROTO_HEARTBEAT;
		s_send(d, &hb);
		usleep(100 * 1000);
	}
}

/* Heartbeat from d (keeping it up) until the coordinator sends BYE. */
static bool s_heartbeat_until_bye(void *d)
{
	struct proto_msg m;

	for (int waited = 0; waited < T_WAIT_MS; waited += 100) {
		memset(&m, 0, sizeof(m));
		m.type = PROTO_HEARTBEAT;
		s_send(d, &m);
		if (s_recv(d, PROTO_BYE, 100, &m) == 0)
			return true;
	}
	return false;
}

Test(coordinator, reload_changes_region_and_keeps_the_agent_up, E2E)
{
	char allow[128];
	struct proto_msg m;
	void *d;

	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	d = s_dealer(allow, "a1");
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_WAIT_MS, &m), 0, "no WELCOME");
	cr_assert_str_eq(s_agent_field("a1", "region"), "us-east");

	/* a new region, on the loop's own thread (as SIGHUP does) */
	s_write_config(false, "agents = ( { name = \"a1\"; region = \"ap-south\"; rir = "
	                      "\"APNIC\"; primary = true; },\n"
	                      "  { name = \"a2\"; region = \"eu-west\"; rir = \"RIPE\"; } );\n");
	serve_request_reload(s_srv);
	cr_assert(s_wait_field(d, "a1", "region", "ap-south"), "region not reloaded: %s",
	          s_agent_field("a1", "region"));
	cr_assert(s_wait_field(d, "a1", "state", "up"), "a1 lost its session");

	/* a file that does not parse changes nothing */
	s_write_config(false, "agents = ( { name = ");
	serve_request_reload(s_srv);
	s_heartbeat_for(d, 300);
	cr_assert(s_wait_field(d, "a1", "state", "up"));
	cr_assert_str_eq(s_agent_field("a1", "region"), "ap-south");

	/* agents added and reordered: a1 keeps its session */
	s_write_config(false, "agents = ( { name = \"a3\"; region = \"sa-east\"; rir = "
	                      "\"LACNIC\"; },\n"
	                      "  { name = \"a1\"; region = \"ap-south\"; rir = \"APNIC\"; "
	                      "primary = true; } );\n");
	serve_request_reload(s_srv);
	cr_assert(s_wait_field(d, "a3", "state", "never"), "a3 not added");
	cr_assert_str_eq(s_agent_field("a2", "state"), "");
	cr_assert(s_wait_field(d, "a1", "state", "up"), "a1 lost its session");

	/* a1 removed: BYE, and no longer listed */
	s_write_config(false, "agents = ( { name = \"a3\"; region = \"sa-east\"; rir = "
	                      "\"LACNIC\"; } );\n");
	serve_request_reload(s_srv);
	cr_assert(s_heartbeat_until_bye(d), "no BYE for a removed agent");
	cr_assert_str_eq(s_agent_field("a1", "state"), "");
	zmq_close(d);
}

Test(coordinator, unknown_key_and_plain_peers_are_refused, E2E)
{
	char other[128];
	struct proto_msg m;
	void *bad, *plain;

	snprintf(other, sizeof(other), "%s/other", s_dir);
	bad = s_dealer(other, "a2");
	plain = s_dealer(NULL, NULL);
	s_send_hello(bad);
	s_send_hello(plain);
	cr_assert_eq(s_recv(bad, PROTO_WELCOME, T_QUIET_MS, &m), -1, "unknown key welcomed");
	cr_assert_eq(s_recv(plain, PROTO_WELCOME, T_QUIET_MS, &m), -1, "plain peer welcomed");
	cr_assert_str_eq(s_state("a2"), "never");
	cr_assert_str_eq(s_state("a1"), "never");
	zmq_close(bad);
	zmq_close(plain);
}

Test(coordinator, message_before_hello_gets_bye, E2E)
{
	char allow[128];
	struct proto_msg m;
	void *d;

	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	d = s_dealer(allow, "a1");
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HEARTBEAT;
	s_send(d, &m);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0, "no BYE");
	cr_assert_str_eq(s_state("a1"), "never");
	/* garbage is dropped and the loop keeps running */
	cr_assert_eq(zmq_send(d, "\xc1garbage", 8, 0), 8);
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_WAIT_MS, &m), 0, "no WELCOME after garbage");
	zmq_close(d);
}

Test(coordinator, api_requires_token_and_validates, E2E)
{
	struct t_buf b;

	cr_assert_eq(s_http("GET", "/v1/health", NULL, NULL, &b), 401);
	cr_assert_eq(s_http("GET", "/v1/health", NULL, "wrong-token-wrong-token", &b), 401);
	cr_assert_eq(s_http("GET", "/v1/health", NULL, s_token, &b), 200);
	cr_assert_not_null(strstr(b.data, "\"agents_configured\":2"), "%s", b.data);
	cr_assert_eq(s_http("GET", "/v1/nope", NULL, s_token, &b), 404);
	cr_assert_eq(s_http("POST", "/v1/checks", "{\"domains\": [", s_token, &b), 400);
	cr_assert_not_null(strstr(b.data, "invalid JSON"), "%s", b.data);
	cr_assert_eq(s_http("POST", "/v1/checks", "{\"domains\": []}", s_token, &b), 400);
	cr_assert_not_null(strstr(b.data, "domains"), "%s", b.data);
	cr_assert_eq(s_http("POST", "/v1/checks",
	                    "{\"domains\": [\"a.com\"], \"mode\": \"validate\"}", s_token, &b),
	             400);
	cr_assert_not_null(strstr(b.data, "key_authorization"), "%s", b.data);
}

/* Agent thread for the check test: answer every JOB with REACHABLE, and
 * heartbeat like a real agent so that a slow client (a TLS handshake under
 * valgrind) does not outlast its liveness. */
#define T_MAX_JOBS 16 /* jobs a fake agent remembers */

struct t_agent {
	void *d;
	int jobs;
	char token[LIMIT_TOKEN_LEN + 1];
	struct vt_job seen[T_MAX_JOBS]; /* the first T_MAX_JOBS jobs, in arrival order */
	volatile int stop;
};

static void *s_agent(void *arg)
{
	struct t_agent *ta = arg;

	for (int i = 0; i < 400 && !ta->stop; i++) {
		struct proto_msg m, r;
		if (s_recv(ta->d, PROTO_JOB, 50, &m) != 0) {
			memset(&r, 0, sizeof(r));
			r.type = PROTO_HEARTBEAT;
			s_send(ta->d, &r);
			continue;
		}
		if (ta->jobs < T_MAX_JOBS)
			ta->seen[ta->jobs] = m.u.job;
		ta->jobs++;
		snprintf(ta->token, sizeof(ta->token), "%s", m.u.job.token);
		memset(&r, 0, sizeof(r));
		r.type = PROTO_RESULT;
		snprintf(r.u.result.job_id, sizeof(r.u.result.job_id), "%s", m.u.job.id);
		r.u.result.method = m.u.job.method;
		snprintf(r.u.result.domain, sizeof(r.u.result.domain), "%s", m.u.job.domain);
		r.u.result.outcome = VT_OUTCOME_REACHABLE;
		r.u.result.http_status = 404;
		s_send(ta->d, &r);
		proto_msg_clear(&m);
	}
	return NULL;
}

/* One agent answers; POST /v1/checks suspends its connection until the
 * check is done, then answers with the report. */
static void s_check_through_agent(void)
{
	char allow[128];
	struct proto_msg m;
	struct t_agent ta;
	struct t_buf b;
	pthread_t th;
	json_t *doc, *checks;

	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	memset(&ta, 0, sizeof(ta));
	ta.d = s_dealer(allow, "a1");
	s_send_hello(ta.d);
	cr_assert_eq(s_recv(ta.d, PROTO_WELCOME, T_WAIT_MS, &m), 0);
	cr_assert_eq(pthread_create(&th, NULL, s_agent, &ta), 0);
	cr_assert_eq(s_http("POST", "/v1/checks",
	                    "{\"domains\": [\"www.example.com\"], \"min_answers\": 1, "
	                    "\"budget_ms\": 1000}",
	                    s_token, &b),
	             200, "%s", b.data);
	ta.stop = 1;
	pthread_join(th, NULL);
	cr_assert_eq(ta.jobs, 1);
	cr_assert_eq(strlen(ta.token), 43, "token %s", ta.token);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	checks = json_object_get(doc, "checks");
	cr_assert(json_is_array(checks), "%s", b.data);
	/* http-01, then CAA (on by default); a1's HELLO offers no CAA */
	cr_assert_eq(json_array_size(checks), 2, "%s", b.data);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(checks, 1), "method")),
	                 "caa");
	cr_assert_not_null(strstr(b.data, "does not support caa"), "%s", b.data);
	/* a1 answered; a2 never connected and is reported as unavailable */
	cr_assert_not_null(strstr(b.data, "\"a1\""), "%s", b.data);
	cr_assert_not_null(strstr(b.data, "\"a2\""), "%s", b.data);
	cr_assert_not_null(strstr(b.data, "unavailable"), "%s", b.data);
	json_decref(doc);
	zmq_close(ta.d);
}

Test(coordinator, check_runs_through_agent, E2E)
{
	s_check_through_agent();
}

/* POST body to /v1/checks through a fake agent offering methods; the
 * document (caller decrefs) and what the agent was sent (ta). */
static json_t *s_check_via(uint32_t methods, const char *body, struct t_agent *ta)
{
	char allow[128];
	struct proto_msg m;
	struct t_buf b;
	pthread_t th;
	json_t *doc;

	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	memset(ta, 0, sizeof(*ta));
	ta->d = s_dealer(allow, "a1");
	s_send_hello_methods(ta->d, methods);
	cr_assert_eq(s_recv(ta->d, PROTO_WELCOME, T_WAIT_MS, &m), 0);
	cr_assert_eq(pthread_create(&th, NULL, s_agent, ta), 0);
	cr_assert_eq(s_http("POST", "/v1/checks", body, s_token, &b), 200, "%s", b.data);
	ta->stop = 1;
	pthread_join(th, NULL);
	zmq_close(ta->d);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	return doc;
}

/* The result of agent in check i of doc. */
static json_t *s_row(json_t *doc, size_t i, const char *agent)
{
	json_t *res = json_object_get(json_array_get(json_object_get(doc, "checks"), i), "results");

	for (size_t k = 0; k < json_array_size(res); k++) {
		json_t *r = json_array_get(res, k);
		if (strcmp(json_string_value(json_object_get(r, "agent")), agent) == 0)
			return r;
	}
	cr_assert_fail("no row for %s in check %zu", agent, i);
	return NULL;
}

Test(coordinator, check_all_methods_in_order_then_caa, E2E)
{
	static const char *want[] = {"http-01", "tls-alpn-01", "dns-01", "caa"};
	struct t_agent ta;
	json_t *doc, *checks;
	uint32_t all = 1u << VT_METHOD_HTTP01 | 1u << VT_METHOD_TLSALPN01 | 1u << VT_METHOD_DNS01 |
	               1u << VT_METHOD_CAA;

	doc = s_check_via(all,
	                  "{\"domains\": [\"www.example.com\"], \"method\": \"all\", "
	                  "\"min_answers\": 1, \"budget_ms\": 1000}",
	                  &ta);
	checks = json_object_get(doc, "checks");
	cr_assert_eq(json_array_size(checks), 4);
	for (size_t i = 0; i < 4; i++) {
		json_t *c = json_array_get(checks, i);
		cr_assert_str_eq(json_string_value(json_object_get(c, "method")), want[i]);
		cr_assert_str_eq(json_string_value(json_object_get(c, "domain")),
		                 "www.example.com");
		cr_assert_str_eq(json_string_value(json_object_get(s_row(doc, i, "a1"), "outcome")),
		                 "reachable");
		cr_assert_str_eq(json_string_value(json_object_get(s_row(doc, i, "a2"), "outcome")),
		                 "unavailable");
	}
	/* one job per (method, agent that is up), sent in report order */
	cr_assert_eq(ta.jobs, 4);
	for (int i = 0; i < 4; i++)
		cr_assert_str_eq(vt_method_name(ta.seen[i].method), want[i]);
	cr_assert_eq(ta.seen[2].mode, VT_MODE_REACHABILITY);
	cr_assert_str_eq(ta.seen[2].digest, "");
	cr_assert_str_eq(ta.seen[3].caa_issuer, CAA_DEFAULT_ISSUER);
	cr_assert_eq(ta.seen[3].caa_methods,
	             1u << VT_METHOD_HTTP01 | 1u << VT_METHOD_TLSALPN01 | 1u << VT_METHOD_DNS01);
	json_decref(doc);

	/* two domains, dns-01 then http-01 as asked, no CAA */
	doc = s_check_via(all,
	                  "{\"domains\": [\"a.example.com\", \"b.example.com\"], \"methods\": "
	                  "[\"dns-01\", \"http-01\"], \"caa\": false, \"min_answers\": 1, "
	                  "\"budget_ms\": 1000}",
	                  &ta);
	checks = json_object_get(doc, "checks");
	cr_assert_eq(json_array_size(checks), 4);
	for (size_t i = 0; i < 4; i++) {
		json_t *c = json_array_get(checks, i);
		cr_assert_str_eq(json_string_value(json_object_get(c, "domain")),
		                 i < 2 ? "a.example.com" : "b.example.com");
		cr_assert_str_eq(json_string_value(json_object_get(c, "method")),
		                 i % 2 == 0 ? "dns-01" : "http-01");
	}
	json_decref(doc);
}

Test(coordinator, check_digest_and_caa_options_reach_the_jobs, E2E)
{
	struct t_agent ta;
	json_t *doc, *checks;
	uint32_t all = 1u << VT_METHOD_HTTP01 | 1u << VT_METHOD_TLSALPN01 | 1u << VT_METHOD_DNS01 |
	               1u << VT_METHOD_CAA;

	/* hex in, base64url in the jobs (the digest of "token.thumbprint") */
	doc = s_check_via(
	        all,
	        "{\"domains\": [\"www.example.com\"], \"methods\": [\"tls-alpn-01\", "
	        "\"dns-01\"], \"digest\": "
	        "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\", "
	        "\"caa_issuer\": \"Pki.Goog\", \"account_uri\": "
	        "\"https://acme.example/acct/1\", \"min_answers\": 1, \"budget_ms\": 1000}",
	        &ta);
	checks = json_object_get(doc, "checks");
	cr_assert_eq(json_array_size(checks), 3);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(checks, 0), "mode")),
	                 "validate");
	cr_assert_eq(ta.jobs, 3);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(ta.seen[i].mode, VT_MODE_VALIDATE);
		cr_assert_str_eq(ta.seen[i].digest, "LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ");
		cr_assert_str_eq(ta.seen[i].key_authorization, "");
	}
	cr_assert_eq(ta.seen[2].method, VT_METHOD_CAA);
	cr_assert_str_eq(ta.seen[2].caa_issuer, "pki.goog");
	cr_assert_str_eq(ta.seen[2].caa_account_uri, "https://acme.example/acct/1");
	cr_assert_eq(ta.seen[2].caa_methods, 1u << VT_METHOD_TLSALPN01 | 1u << VT_METHOD_DNS01);
	json_decref(doc);

	/* CAA only: its jobs ask about HTTP-01 */
	doc = s_check_via(all,
	                  "{\"domains\": [\"www.example.com\"], \"method\": \"caa\", "
	                  "\"min_answers\": 1, \"budget_ms\": 1000}",
	                  &ta);
	cr_assert_eq(json_array_size(json_object_get(doc, "checks")), 1);
	cr_assert_eq(ta.jobs, 1);
	cr_assert_eq(ta.seen[0].method, VT_METHOD_CAA);
	cr_assert_eq(ta.seen[0].caa_methods, 1u << VT_METHOD_HTTP01);
	json_decref(doc);
}

/* An agent whose HELLO lacks a method is unavailable for it, with a reason. */
Test(coordinator, check_agent_without_method_is_unavailable, E2E)
{
	struct t_agent ta;
	json_t *doc, *row;
	const char *detail;

	doc = s_check_via(1u << VT_METHOD_HTTP01,
	                  "{\"domains\": [\"www.example.com\"], \"methods\": [\"http-01\", "
	                  "\"dns-01\"], \"min_answers\": 1, \"budget_ms\": 1000}",
	                  &ta);
	cr_assert_eq(json_array_size(json_object_get(doc, "checks")), 3);
	cr_assert_eq(ta.jobs, 1, "only the http-01 job may be sent");
	cr_assert_str_eq(json_string_value(json_object_get(s_row(doc, 0, "a1"), "outcome")),
	                 "reachable");
	row = s_row(doc, 1, "a1");
	cr_assert_str_eq(json_string_value(json_object_get(row, "outcome")), "unavailable");
	detail = json_string_value(json_object_get(row, "unavailable_reason"));
	cr_assert_not_null(detail);
	cr_assert_not_null(strstr(detail, "does not support dns-01"), "%s", detail);
	json_decref(doc);
}

/* POST body and expect 400 with needle in the error. */
static void s_bad_request(const char *body, const char *needle)
{
	struct t_buf b;

	cr_assert_eq(s_http("POST", "/v1/checks", body, s_token, &b), 400, "%s -> %s", body,
	             b.data);
	cr_assert_not_null(strstr(b.data, needle), "%s -> %s (wanted \"%s\")", body, b.data,
	                   needle);
}

Test(coordinator, check_request_validation, E2E)
{
	/* the names Let's Encrypt refuses, with the CLI's message (names.c) */
	s_bad_request("{\"domains\": [\"a.com\", \"foo..example.com\"]}",
	              "InvalidName: \\\"foo..example.com\\\": empty label");
	s_bad_request("{\"domains\": [\"co.uk\"]}", "PublicSuffixName: \\\"co.uk\\\"");
	s_bad_request("{\"domains\": [\"*.example.com\"], \"method\": \"all\"}",
	              "WildcardNeedsDNS01: \\\"*.example.com\\\"");
	s_bad_request("{\"domains\": [\"a.com\"], \"method\": \"smtp-01\"}",
	              "unknown method \\\"smtp-01\\\"");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": [\"dns-01\", 7]}",
	              "methods[1] must be a string");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": [\"dns-01\", \"dns-01\"]}",
	              "given twice");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": []}", "methods must be an array");
	s_bad_request("{\"domains\": [\"a.com\"], \"method\": \"http-01\", \"methods\": "
	              "[\"dns-01\"]}",
	              "not both");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": [\"dns-01\"], \"digest\": \"xyz\"}",
	              "digest must be SHA-256(key authorization)");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": [\"http-01\"], \"digest\": "
	              "\"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ\"}",
	              "validates only tls-alpn-01 and dns-01");
	s_bad_request("{\"domains\": [\"a.com\"], \"method\": \"all\", \"digest\": "
	              "\"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ\"}",
	              "cannot validate http-01");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": [\"tls-alpn-01\"], \"txt\": "
	              "\"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ\"}",
	              "needs method dns-01");
	s_bad_request("{\"domains\": [\"a.com\", \"b.com\"], \"methods\": [\"dns-01\"], "
	              "\"key_authorization\": \"tok.thumb\"}",
	              "key_authorization validates one challenge: give exactly one domain");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": [\"dns-01\"], "
	              "\"key_authorization\": \"tok.thumb\", \"txt\": "
	              "\"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ\"}",
	              "not both");
	s_bad_request("{\"domains\": [\"a.com\"], \"method\": \"caa\", \"caa\": false}",
	              "caa is false");
	s_bad_request("{\"domains\": [\"a.com\"], \"caa\": \"yes\"}", "caa must be true or false");
	s_bad_request("{\"domains\": [\"a.com\"], \"caa\": false, \"caa_issuer\": \"x.org\"}",
	              "need the caa check");
	s_bad_request("{\"domains\": [\"a.com\"], \"caa_issuer\": \"not an issuer\"}",
	              "caa_issuer:");
	s_bad_request("{\"domains\": [\"a.com\"], \"account_uri\": \"https://a/acct;x\"}",
	              "account_uri must be");
	s_bad_request("{\"domains\": [\"a.com\"], \"methods\": [\"http-01\"], \"mode\": "
	              "\"validate\"}",
	              "needs key_authorization");
	s_bad_request(
	        "{\"domains\": [\"a.com\"], \"methods\": [\"dns-01\"], \"mode\": "
	        "\"reachability\", \"digest\": \"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ\"}",
	        "needs mode \\\"validate\\\"");
}

/* Plain http:// goes to loopback only, so a proxy from the environment must
 * not carry the token: with http_proxy pointing at a closed port the CLI
 * still reaches the coordinator directly. */
Test(coordinator, cli_plain_http_ignores_proxy, E2E)
{
	char url[64], err[1024] = "";
	json_t *doc = NULL;

	unsetenv("no_proxy");
	unsetenv("NO_PROXY");
	cr_assert_eq(setenv("http_proxy", "http://127.0.0.1:9", 1), 0);
	cr_assert_eq(setenv("all_proxy", "http://127.0.0.1:9", 1), 0);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u", serve_api_port(s_srv));
	cr_assert_eq(cli_get_agents(url, s_tokfile, NULL, &doc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(json_array_size(json_object_get(doc, "agents")), 2);
	json_decref(doc);
}

/* ---- the API over TLS ---- */

#define TLS .init = s_tls_setup, .fini = s_e2e_teardown, .timeout = 60

Test(coordinator, tls_api_answers_pinned_client_with_token, TLS)
{
	struct t_buf b;
	long code;
	json_t *doc, *arr;

	cr_assert_eq(
	        s_curl("https", "GET", "/v1/agents", NULL, s_token, T_PINNED, s_cert, &code, &b),
	        CURLE_OK);
	cr_assert_eq(code, 200, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	arr = json_object_get(doc, "agents");
	cr_assert(json_is_array(arr), "%s", b.data);
	cr_assert_eq(json_array_size(arr), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 0), "name")), "a1");
	json_decref(doc);

	cr_assert_eq(s_curl("https", "GET", "/v1/agents", NULL, "wrong-token-wrong-token", T_PINNED,
	                    s_cert, &code, &b),
	             CURLE_OK);
	cr_assert_eq(code, 401, "%s", b.data);
	cr_assert_not_null(strstr(b.data, "bearer token"), "%s", b.data);
	cr_assert_eq(s_curl("https", "GET", "/v1/health", NULL, NULL, T_PINNED, s_cert, &code, &b),
	             CURLE_OK);
	cr_assert_eq(code, 401);
}

Test(coordinator, tls_api_refuses_plain_http_and_untrusting_clients, TLS)
{
	struct t_buf b;
	long code;
	CURLcode cc;

	/* plain http to the TLS port: no HTTP answer at all */
	cc = s_curl("http", "GET", "/v1/agents", NULL, s_token, T_PINNED, s_cert, &code, &b);
	cr_assert_neq(cc, CURLE_OK);
	cr_assert_eq(code, 0);
	cr_assert_eq(b.len, 0);
	/* verification on, certificate not trusted: the token is never sent */
	cc = s_curl("https", "GET", "/v1/agents", NULL, s_token, T_SYSTEM, NULL, &code, &b);
	cr_assert_eq(cc, CURLE_PEER_FAILED_VERIFICATION, "%s", curl_easy_strerror(cc));
	cr_assert_eq(code, 0);
	/* pinned to another certificate for the same address */
	cc = s_curl("https", "GET", "/v1/agents", NULL, s_token, T_PINNED, s_other, &code, &b);
	cr_assert_eq(cc, CURLE_PEER_FAILED_VERIFICATION, "%s", curl_easy_strerror(cc));
	/* and the loop still serves */
	cr_assert_eq(s_http("GET", "/v1/health", NULL, s_token, &b), 200);
}

Test(coordinator, tls_api_refuses_tls_1_1, TLS)
{
	struct t_buf b;
	long code;
	CURLcode cc;

	cc = s_curl("https", "GET", "/v1/health", NULL, s_token, T_OLD_TLS11, s_cert, &code, &b);
	cr_assert_eq(cc, CURLE_SSL_CONNECT_ERROR, "%s", curl_easy_strerror(cc));
	cr_assert_eq(code, 0);
	cr_assert_eq(s_http("GET", "/v1/health", NULL, s_token, &b), 200);
}

Test(coordinator, tls_cli_gets_agents_with_cacert, TLS)
{
	char url[64], plain[64], bad_tok[128], err[1024] = "";
	json_t *doc = NULL, *arr;
	FILE *f;
	int fd;

	snprintf(url, sizeof(url), "https://127.0.0.1:%u/", serve_api_port(s_srv));
	snprintf(plain, sizeof(plain), "http://127.0.0.1:%u", serve_api_port(s_srv));
	cr_assert_eq(cli_get_agents(url, s_tokfile, s_cert, &doc, err, sizeof(err)), 0, "%s", err);
	arr = json_object_get(doc, "agents");
	cr_assert_eq(json_array_size(arr), 2);
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 1), "name")), "a2");
	cr_assert_str_eq(json_string_value(json_object_get(json_array_get(arr, 1), "state")),
	                 "never");
	json_decref(doc);

	/* the system's CAs do not vouch for the coordinator's certificate */
	cr_assert_eq(cli_get_agents(url, s_tokfile, NULL, &doc, err, sizeof(err)), -1);
	cr_assert_null(doc);
	cr_assert_not_null(strstr(err, "certificate"), "%s", err);
	cr_assert_eq(cli_get_agents(url, s_tokfile, s_other, &doc, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "certificate"), "%s", err);
	/* plain http to the TLS port */
	cr_assert_eq(cli_get_agents(plain, s_tokfile, s_cert, &doc, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "cannot reach the coordinator"), "%s", err);
	/* a wrong token over https */
	snprintf(bad_tok, sizeof(bad_tok), "%s/other/bad.token", s_dir);
	fd = open(bad_tok, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	f = fdopen(fd, "w");
	cr_assert_not_null(f);
	fprintf(f, "0123456789abcdef0123456789abcdef\n");
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(cli_get_agents(url, bad_tok, s_cert, &doc, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "HTTP 401"), "%s", err);
}

Test(coordinator, tls_check_runs_through_agent, TLS)
{
	s_check_through_agent();
}

Test(coordinator, tls_bad_certificate_or_key_is_reported, TLS)
{
	static struct coord_config cfg;
	char err[1024] = "";
	struct serve *s;

	/* the certificate of one key pair with the key of another */
	s_config(&cfg, true);
	snprintf(cfg.api_tls_key, sizeof(cfg.api_tls_key), "%s/other/api.key", s_dir);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_null(s);
	cr_assert_not_null(strstr(err, "do not match"), "%s", err);
	cr_assert_not_null(strstr(err, cfg.api_tls_key), "%s", err);
	/* not PEM at all */
	s_config(&cfg, true);
	snprintf(cfg.api_tls_cert, sizeof(cfg.api_tls_cert), "%s/api.token", s_dir);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_null(s);
	cr_assert_not_null(strstr(err, "api_tls_cert"), "%s", err);
	cr_assert_null(strstr(err, "address in use"), "%s", err);
	/* missing */
	s_config(&cfg, true);
	snprintf(cfg.api_tls_cert, sizeof(cfg.api_tls_cert), "%s/nonexistent.crt", s_dir);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_null(s);
	cr_assert_not_null(strstr(err, "cannot open"), "%s", err);
}

Test(coordinator, config_accepts_remote_api_listen_with_tls)
{
	static struct coord_config c;
	char err[512] = "";

	cr_assert_eq(coord_config_parse("coordinator: { agent_endpoint = \"x\"; key_file = "
	                                "\"/k\"; allowlist_dir = \"/d\"; api_token_file = "
	                                "\"/t\"; api_listen = \"0.0.0.0:8750\"; api_tls_cert "
	                                "= \"/c\"; api_tls_key = \"/k\"; };\nagents = ();\n",
	                                &c, err, sizeof(err)),
	             0, "%s", err);
	cr_assert_str_eq(c.api_tls_cert, "/c");
	s_expect_error("coordinator: { agent_endpoint = \"x\"; key_file = \"/k\"; "
	               "allowlist_dir = \"/d\"; api_token_file = \"/t\"; "
	               "api_listen = \"0.0.0.0:8750\"; api_tls_cert = \"/c\"; };\nagents = ();\n",
	               "go together");
}

/* ---- enrolment ---- */

#define EMPTY .init = s_empty_setup, .fini = s_e2e_teardown, .timeout = 60

/* HELLO asking to be enrolled as name with token. */
static void s_send_enrol(void *d, const char *name, const char *token)
{
	struct proto_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PROTO_HELLO;
	snprintf(m.u.hello.agent_version, sizeof(m.u.hello.agent_version), "%s", VANTAGE_VERSION);
	m.u.hello.ipv4 = true;
	m.u.hello.max_inflight = 10;
	m.u.hello.methods = 1u << VT_METHOD_HTTP01;
	snprintf(m.u.hello.enroll_name, sizeof(m.u.hello.enroll_name), "%s", name);
	snprintf(m.u.hello.enroll_token, sizeof(m.u.hello.enroll_token), "%s", token);
	s_send(d, &m);
}

/* GET /v1/agents as a document (caller decrefs). */
static json_t *s_agents_doc(void)
{
	struct t_buf b;
	json_t *doc;

	cr_assert_eq(s_http("GET", "/v1/agents", NULL, s_token, &b), 200, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	cr_assert(json_is_array(json_object_get(doc, "agents")), "%s", b.data);
	cr_assert(json_is_array(json_object_get(doc, "enrollments")), "%s", b.data);
	return doc;
}

/* The member name of array key's element called who in doc, or NULL. */
static json_t *s_member(json_t *doc, const char *key, const char *who, const char *name)
{
	json_t *arr = json_object_get(doc, key);

	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *o = json_array_get(arr, i);
		if (strcmp(json_string_value(json_object_get(o, "name")), who) == 0)
			return json_object_get(o, name);
	}
	return NULL;
}

/* POST /v1/enrollments with body, expecting 201; the token goes to token. */
static void s_enrol(const char *body, char token[LIMIT_ENROLL_TOKEN_LEN + 1])
{
	struct t_buf b;
	json_t *doc;
	const char *tok;

	cr_assert_eq(s_http("POST", "/v1/enrollments", body, s_token, &b), 201, "%s -> %s", body,
	             b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	tok = json_string_value(json_object_get(doc, "token"));
	cr_assert_not_null(tok, "%s", b.data);
	cr_assert_eq(strlen(tok), ENROLL_TOKEN_HEX);
	snprintf(token, LIMIT_ENROLL_TOKEN_LEN + 1, "%s", tok);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "coordinator_public_key")),
	                 s_coord_pub);
	json_decref(doc);
}

/* Path of s_dir/agents.d/file. */
static const char *s_allow_file(const char *file)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/agents.d/%s", s_dir, file);
	return path;
}

Test(coordinator, enrolment_approval_and_revocation, EMPTY)
{
	char other[128], token[LIMIT_ENROLL_TOKEN_LEN + 1], pub[KEY_Z85_LEN + 1], path[256];
	char err[256] = "";
	struct proto_msg m;
	struct t_buf b;
	json_t *doc;
	void *d;

	snprintf(other, sizeof(other), "%s/other", s_dir);
	doc = s_agents_doc();
	cr_assert_eq(json_array_size(json_object_get(doc, "agents")), 0);
	cr_assert_eq(json_array_size(json_object_get(doc, "enrollments")), 0);
	json_decref(doc);

	/* the operator opens an enrolment */
	cr_assert_eq(s_http("POST", "/v1/enrollments",
	                    "{\"name\": \"new1\", \"region\": \"sa-east\", \"rir\": \"LACNIC\", "
	                    "\"ttl_s\": 600}",
	                    s_token, &b),
	             201, "%s", b.data);
	doc = json_loads(b.data, 0, NULL);
	cr_assert_not_null(doc, "%s", b.data);
	cr_assert_str_eq(json_string_value(json_object_get(doc, "name")), "new1");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "region")), "sa-east");
	cr_assert_str_eq(json_string_value(json_object_get(doc, "rir")), "LACNIC");
	cr_assert(json_is_false(json_object_get(doc, "primary")));
	cr_assert_str_eq(json_string_value(json_object_get(doc, "coordinator_public_key")),
	                 s_coord_pub);
	cr_assert(json_is_null(json_object_get(doc, "public_endpoint")));
	cr_assert_str_eq(json_string_value(json_object_get(doc, "agent_endpoint")),
	                 "tcp://127.0.0.1:*");
	cr_assert_not_null(strchr(json_string_value(json_object_get(doc, "expires")), 'Z'));
	snprintf(token, sizeof(token), "%s", json_string_value(json_object_get(doc, "token")));
	cr_assert_eq(strlen(token), ENROLL_TOKEN_HEX);
	json_decref(doc);
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "enrollments", "new1", "state")),
	                 "waiting");
	json_decref(doc);

	/* the agent makes its own key and dials in with the token */
	cr_assert_eq(keys_generate(other, "new1", err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/new1.pub", other);
	cr_assert_eq(keys_read_public(path, pub, err, sizeof(err)), 0, "%s", err);
	d = s_dealer(other, "new1");
	s_send_enrol(d, "new1", token);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0, "no BYE for the enrolment");
	cr_assert_str_eq(m.u.bye.reason,
	                 "enrolment received: waiting for approval (vantage agents approve new1)");
	/* a heartbeat on that connection does nothing */
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HEARTBEAT;
	s_send(d, &m);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_QUIET_MS, &m), -1);
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "enrollments", "new1", "state")),
	                 "claimed");
	cr_assert_str_eq(json_string_value(s_member(doc, "enrollments", "new1", "key")), pub);
	cr_assert_eq(json_array_size(json_object_get(doc, "agents")), 0,
	             "an enrolling agent is not an agent");
	json_decref(doc);

	/* approved: its files, and it is configured */
	cr_assert_eq(s_http("POST", "/v1/agents/new1/approve", "", s_token, &b), 200, "%s", b.data);
	cr_assert_not_null(strstr(b.data, "\"approved\":true"), "%s", b.data);
	cr_assert_eq(access(s_allow_file("new1.pub"), F_OK), 0);
	cr_assert_eq(access(s_allow_file("new1.conf"), F_OK), 0);
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "new1", "state")), "never");
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "new1", "source")), "enrolled");
	cr_assert_eq(json_array_size(json_object_get(doc, "enrollments")), 0);
	json_decref(doc);
	/* the enrolling connection, still open, stays one: told to dial again */
	s_send_enrol(d, "new1", token);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0);
	cr_assert_str_eq(m.u.bye.reason, SERVE_BYE_APPROVED);
	zmq_close(d);

	/* its next dial is an ordinary one */
	d = s_dealer(other, "new1");
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_WAIT_MS, &m), 0, "no WELCOME after approval");
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "new1", "state")), "up");
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "new1", "region")), "sa-east");
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "new1", "rir")), "LACNIC");
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "new1", "key")), pub);
	cr_assert_not_null(json_string_value(s_member(doc, "agents", "new1", "peer")));
	json_decref(doc);

	/* revoked: BYE on its session, and nothing more from that connection */
	cr_assert_eq(s_http("POST", "/v1/agents/new1/revoke", "", s_token, &b), 200, "%s", b.data);
	cr_assert_not_null(strstr(b.data, "\"revoked\":true"), "%s", b.data);
	cr_assert_not_null(strstr(b.data, "\"was_up\":true"), "%s", b.data);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0, "no BYE for the revoked agent");
	cr_assert_str_eq(m.u.bye.reason, "revoked by the operator");
	cr_assert_eq(access(s_allow_file("new1.pub"), F_OK), -1);
	cr_assert_eq(access(s_allow_file("new1.pub.revoked"), F_OK), 0);
	cr_assert_eq(access(s_allow_file("new1.conf.revoked"), F_OK), 0);
	memset(&m, 0, sizeof(m));
	m.type = PROTO_HEARTBEAT;
	s_send(d, &m);
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_QUIET_MS, &m), -1, "revoked session welcomed");
	zmq_close(d);
	doc = s_agents_doc();
	cr_assert_null(s_member(doc, "agents", "new1", "state"), "new1 still configured");
	json_decref(doc);

	/* and a fresh dial with that key: ZAP refuses it */
	d = s_dealer(other, "new1");
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_QUIET_MS, &m), -1, "revoked key welcomed");
	zmq_close(d);
	cr_assert_eq(s_http("POST", "/v1/agents/new1/revoke", "", s_token, &b), 404, "%s", b.data);
}

Test(coordinator, enrolment_refusals, EMPTY)
{
	char other[128], token[LIMIT_ENROLL_TOKEN_LEN + 1], wrong[LIMIT_ENROLL_TOKEN_LEN + 1];
	char err[256] = "";
	struct proto_msg m;
	struct t_buf b;
	json_t *doc;
	void *d;

	snprintf(other, sizeof(other), "%s/other", s_dir);
	cr_assert_eq(keys_generate(other, "k1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keys_generate(other, "k2", err, sizeof(err)), 0, "%s", err);

	/* no ticket open: an unknown key does not get in at all */
	d = s_dealer(other, "k1");
	s_send_enrol(d, "new2", "00000000000000000000000000000000");
	cr_assert_eq(s_recv(d, PROTO_BYE, T_QUIET_MS, &m), -1, "unknown key got an answer");
	zmq_close(d);

	s_enrol("{\"name\": \"new2\", \"region\": \"eu-north\", \"rir\": \"RIPE\"}", token);
	snprintf(wrong, sizeof(wrong), "%s", token);
	wrong[0] = wrong[0] == 'a' ? 'b' : 'a';

	/* a wrong token, a name without a ticket: refused, nothing recorded */
	d = s_dealer(other, "k1");
	s_send_enrol(d, "new2", wrong);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0, "no BYE for a wrong token");
	cr_assert_str_eq(m.u.bye.reason, "enrolment refused");
	s_send_enrol(d, "new3", token);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0, "no BYE for an unknown name");
	cr_assert_str_eq(m.u.bye.reason, "enrolment refused");
	/* a plain HELLO from an enrolling connection is dropped */
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_QUIET_MS, &m), -1);
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "enrollments", "new2", "state")),
	                 "waiting");
	cr_assert(json_is_null(s_member(doc, "enrollments", "new2", "key")));
	cr_assert_eq(json_array_size(json_object_get(doc, "agents")), 0);
	json_decref(doc);
	cr_assert_eq(s_http("POST", "/v1/agents/new2/approve", "", s_token, &b), 409, "%s", b.data);
	cr_assert_not_null(strstr(b.data, "not dialled in yet"), "%s", b.data);

	/* claimed by k1; k2 with the right token cannot take it over */
	s_send_enrol(d, "new2", token);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0);
	cr_assert_not_null(strstr(m.u.bye.reason, "waiting for approval"), "%s", m.u.bye.reason);
	zmq_close(d);
	d = s_dealer(other, "k2");
	s_send_enrol(d, "new2", token);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_QUIET_MS, &m), -1);
	zmq_close(d);
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "enrollments", "new2", "state")),
	                 "claimed");
	json_decref(doc);
	{
		char path[256], pub[KEY_Z85_LEN + 1];
		snprintf(path, sizeof(path), "%s/k1.pub", other);
		cr_assert_eq(keys_read_public(path, pub, err, sizeof(err)), 0, "%s", err);
		doc = s_agents_doc();
		cr_assert_str_eq(json_string_value(s_member(doc, "enrollments", "new2", "key")),
		                 pub);
		json_decref(doc);
	}
	/* revoking an enrolment that was never approved just cancels it */
	cr_assert_eq(s_http("POST", "/v1/agents/new2/revoke", "", s_token, &b), 200, "%s", b.data);
	cr_assert_not_null(strstr(b.data, "\"was_up\":false"), "%s", b.data);
	doc = s_agents_doc();
	cr_assert_eq(json_array_size(json_object_get(doc, "enrollments")), 0);
	json_decref(doc);
}

/* POST body to path and expect status with needle in the answer. */
static void s_expect(const char *path, const char *body, long status, const char *needle)
{
	struct t_buf b;

	cr_assert_eq(s_http("POST", path, body, s_token, &b), status, "%s %s -> %s", path, body,
	             b.data);
	cr_assert_not_null(strstr(b.data, needle), "%s %s -> %s (wanted \"%s\")", path, body,
	                   b.data, needle);
}

Test(coordinator, enrolment_api_validation, E2E)
{
	struct t_buf b;
	char token[LIMIT_ENROLL_TOKEN_LEN + 1];

	s_expect("/v1/enrollments", "{\"name\": ", 400, "invalid JSON");
	s_expect("/v1/enrollments", "[]", 400, "JSON object");
	s_expect("/v1/enrollments", "{\"region\": \"r\", \"rir\": \"RIPE\"}", 400,
	         "name must be an agent name");
	s_expect("/v1/enrollments", "{\"name\": \"../x\", \"region\": \"r\", \"rir\": \"RIPE\"}",
	         400, "name must be an agent name");
	s_expect("/v1/enrollments", "{\"name\": \"n1\"}", 400, "region and rir are required");
	s_expect("/v1/enrollments", "{\"name\": \"n1\", \"region\": \"r\"}", 400,
	         "region and rir are required");
	s_expect("/v1/enrollments", "{\"name\": \"n1\", \"region\": \"r\\\"x\", \"rir\": \"RIPE\"}",
	         400, "region and rir must be");
	s_expect("/v1/enrollments",
	         "{\"name\": \"n1\", \"region\": \"r\", \"rir\": \"RIPE\", \"ttl_s\": 0}", 400,
	         "ttl_s must be an integer in 1..");
	s_expect("/v1/enrollments",
	         "{\"name\": \"n1\", \"region\": \"r\", \"rir\": \"RIPE\", \"ttl_s\": 604801}", 400,
	         "ttl_s");
	s_expect("/v1/enrollments",
	         "{\"name\": \"n1\", \"region\": \"r\", \"rir\": \"RIPE\", \"primary\": 1}", 400,
	         "primary must be true or false");
	/* a1 is the primary already, and its key is on the allowlist */
	s_expect("/v1/enrollments",
	         "{\"name\": \"n1\", \"region\": \"r\", \"rir\": \"RIPE\", \"primary\": true}", 409,
	         "agent a1 is already the primary");
	s_expect("/v1/enrollments", "{\"name\": \"a1\"}", 409,
	         "agent a1 is already enrolled: revoke it first");
	/* a2 is in the main list: its region comes from there */
	s_expect("/v1/enrollments", "{\"name\": \"a2\", \"region\": \"x\", \"rir\": \"RIPE\"}", 400,
	         "in the main agents list as eu-west, RIPE");
	s_expect("/v1/enrollments", "{\"name\": \"a2\"}", 201, "\"region\":\"eu-west\"");
	s_enrol("{\"name\": \"a2\", \"region\": \"eu-west\", \"rir\": \"RIPE\"}", token);

	s_expect("/v1/agents/a2/approve", "", 409, "has not dialled in yet");
	s_expect("/v1/agents/nope/approve", "", 404, "no enrolment for nope");
	s_expect("/v1/agents/nope/revoke", "", 404, "no enrolled agent");
	s_expect("/v1/agents/.x/approve", "", 400, "invalid agent name");
	s_expect("/v1/agents/a1/restart", "", 404, "no such endpoint");
	cr_assert_eq(s_http("GET", "/v1/agents/a1/approve", NULL, s_token, &b), 405, "%s", b.data);
	cr_assert_eq(s_http("GET", "/v1/enrollments", NULL, s_token, &b), 405, "%s", b.data);
	cr_assert_eq(s_http("POST", "/v1/enrollments", "{}", NULL, &b), 401, "%s", b.data);
	cr_assert_eq(s_http("POST", "/v1/agents/a2/approve", "", "wrong-token-wrong-token", &b),
	             401, "%s", b.data);
}

/* An agent of the main list that has no key yet enrols with a ticket that
 * names no region; approval writes only its key, and a revocation keeps it
 * configured but refuses its key. */
Test(coordinator, main_list_agent_enrols_and_is_revoked, E2E)
{
	char other[128], token[LIMIT_ENROLL_TOKEN_LEN + 1], allow[128];
	struct proto_msg m;
	struct t_buf b;
	json_t *doc;
	void *d, *a1;

	snprintf(other, sizeof(other), "%s/other", s_dir);
	snprintf(allow, sizeof(allow), "%s/agents.d", s_dir);
	s_enrol("{\"name\": \"a2\"}", token);
	d = s_dealer(other, "a2"); /* a2's key is in other/, not on the allowlist */
	s_send_enrol(d, "a2", token);
	cr_assert_eq(s_recv(d, PROTO_BYE, T_WAIT_MS, &m), 0);
	cr_assert_not_null(strstr(m.u.bye.reason, "waiting for approval"), "%s", m.u.bye.reason);
	zmq_close(d);
	cr_assert_eq(s_http("POST", "/v1/agents/a2/approve", "", s_token, &b), 200, "%s", b.data);
	cr_assert_eq(access(s_allow_file("a2.pub"), F_OK), 0);
	cr_assert_eq(access(s_allow_file("a2.conf"), F_OK), -1, "a2 is in the main list");
	d = s_dealer(other, "a2");
	s_send_hello(d);
	cr_assert_eq(s_recv(d, PROTO_WELCOME, T_WAIT_MS, &m), 0, "no WELCOME for a2");
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "a2", "state")), "up");
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "a2", "source")), "config");
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "a2", "region")), "eu-west");
	json_decref(doc);

	/* a1, up, is revoked: it stays configured, without a session or key */
	a1 = s_dealer(allow, "a1");
	s_send_hello(a1);
	cr_assert_eq(s_recv(a1, PROTO_WELCOME, T_WAIT_MS, &m), 0);
	cr_assert_eq(s_http("POST", "/v1/agents/a1/revoke", "", s_token, &b), 200, "%s", b.data);
	cr_assert_not_null(strstr(b.data, "\"was_up\":true"), "%s", b.data);
	cr_assert_eq(s_recv(a1, PROTO_BYE, T_WAIT_MS, &m), 0, "no BYE for a1");
	cr_assert_str_eq(m.u.bye.reason, "revoked by the operator");
	s_send_hello(a1);
	cr_assert_eq(s_recv(a1, PROTO_BYE, T_WAIT_MS, &m), 0, "no BYE for a HELLO after revoke");
	cr_assert_str_eq(m.u.bye.reason, "key not allowlisted");
	doc = s_agents_doc();
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "a1", "state")), "down");
	cr_assert(json_is_null(s_member(doc, "agents", "a1", "key")));
	cr_assert_str_eq(json_string_value(s_member(doc, "agents", "a2", "state")), "up",
	                 "the other agent kept its session");
	json_decref(doc);
	zmq_close(a1);
	a1 = s_dealer(allow, "a1");
	s_send_hello(a1);
	cr_assert_eq(s_recv(a1, PROTO_WELCOME, T_QUIET_MS, &m), -1, "revoked key welcomed");
	zmq_close(a1);
	zmq_close(d);
}

Test(coordinator, serve_new_names_an_unusable_state_dir, E2E)
{
	static struct coord_config cfg;
	char err[1024] = "", path[256];
	struct serve *s;
	FILE *f;

	s_config(&cfg, false);
	snprintf(path, sizeof(path), "%s/not-a-dir", s_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fclose(f);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", path);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_null(s);
	cr_assert_not_null(strstr(err, path), "%s", err);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s/missing/state", s_dir);
	s = serve_new(&cfg, err, sizeof(err));
	cr_assert_null(s);
	cr_assert_not_null(strstr(err, cfg.state_dir), "%s", err);
}
