/*
 * test_agent_config.c -- agent/config.c: the agent's configuration file.
 *
 * Each test writes its key files and configuration into a fresh temporary
 * directory and removes it (and whatever a test made in it) afterwards.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "../../agent/config.h"
#include "../../agent/enroll_cmd.h"
#include "../../common/keys.h"
#include "../../common/limits.h"
#include "scratch.h"

static char s_dir[256];
static char s_conf[300];
static char s_key[300];
static char s_pub[300];
static char s_coordpub[300];

static void s_write(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	cr_assert_eq(chmod(path, mode), 0);
}

static void s_setup(void)
{
	char err[256];

	snprintf(s_dir, sizeof(s_dir), "/tmp/vantage-test-agentcfg-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
	cr_assert_eq(keys_generate(s_dir, "agent", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(keys_generate(s_dir, "coord", err, sizeof(err)), 0, "%s", err);
	snprintf(s_key, sizeof(s_key), "%s/agent.key", s_dir);
	snprintf(s_pub, sizeof(s_pub), "%s/agent.pub", s_dir);
	snprintf(s_coordpub, sizeof(s_coordpub), "%s/coord.pub", s_dir);
	snprintf(s_conf, sizeof(s_conf), "%s/agent.conf", s_dir);
}

static void s_teardown(void)
{
	/* the tests chmod nothing below 0700, so the walk can always descend */
	scratch_remove(s_dir);
}

/* Write a configuration whose agent group holds body. */
static void s_conf_with(const char *body)
{
	char text[4096];

	snprintf(text, sizeof(text), "agent:\n{\n%s\n};\n", body);
	s_write(s_conf, text, 0644);
}

/* The usual required settings plus extra. */
static void s_conf_good(const char *extra)
{
	char body[3072];

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = \"%s\";\n"
	         "  key_file = \"%s\";\n%s",
	         s_coordpub, s_key, extra);
	s_conf_with(body);
}

static void s_read_pub(const char *path, char out[KEY_Z85_LEN + 1])
{
	FILE *f = fopen(path, "r");

	cr_assert_not_null(f);
	cr_assert_not_null(fgets(out, KEY_Z85_LEN + 1, f));
	fclose(f);
}

TestSuite(agent_config, .init = s_setup, .fini = s_teardown);

Test(agent_config, good_file_fills_probe_and_link_settings)
{
	struct agent_cfg cfg;
	char err[512] = "", coordpub[KEY_Z85_LEN + 1], agentpub[KEY_Z85_LEN + 1];

	s_conf_good("  resolver = \"127.0.0.53@5353\";\n"
	            "  treat_as_public = \"10.77.0.0/16,fd77::/48\";\n"
	            "  ipv6 = false;\n"
	            "  dial_timeout_ms = 2500;\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.coordinator, "tcp://127.0.0.1:8751");
	s_read_pub(s_coordpub, coordpub);
	s_read_pub(s_pub, agentpub);
	cr_assert_eq(cfg.n_server_keys, 1);
	cr_assert_str_eq(cfg.server_public[0], coordpub);
	cr_assert_str_eq(cfg.public_, agentpub);
	cr_assert_str_eq(cfg.key_file, s_key);
	cr_assert(!cfg.key_generated);
	cr_assert_str_eq(cfg.name, "");
	cr_assert_str_eq(cfg.enroll_token, "");
	cr_assert_eq(strlen(cfg.secret), KEY_Z85_LEN);
	cr_assert_str_eq(cfg.probe.resolver.forwarder, "127.0.0.53@5353");
	cr_assert_eq(cfg.probe.resolver.timeout_ms, DNS_TIMEOUT_MS);
	cr_assert_str_eq(cfg.probe.user_agent, LE_USER_AGENT);
	cr_assert_eq(cfg.probe.public_prefixes.n, 2);
	cr_assert_eq(cfg.probe.ipv6, false);
	cr_assert_eq(cfg.ipv6_auto, false);
	cr_assert_eq(cfg.probe.dial_timeout_ms, 2500);
}

Test(agent_config, defaults_and_literal_public_key)
{
	struct agent_cfg cfg;
	char err[512] = "", coordpub[KEY_Z85_LEN + 1], body[1024];

	s_read_pub(s_coordpub, coordpub);
	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://[::1]:8751\";\n"
	         "  coordinator_public_key = \"%s\";\n"
	         "  key_file = \"%s\";\n"
	         "  ipv6 = true;\n",
	         coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_server_keys, 1);
	cr_assert_str_eq(cfg.server_public[0], coordpub);
	cr_assert_eq(cfg.probe.dial_timeout_ms, HTTP01_DIAL_TIMEOUT_MS);
	cr_assert_str_eq(cfg.probe.resolver.forwarder, "");
	cr_assert_eq(cfg.probe.public_prefixes.n, 0);
	cr_assert_eq(cfg.probe.ipv6, true);
}

Test(agent_config, ipv6_auto_matches_host_detection)
{
	struct agent_cfg cfg;
	char err[512] = "";

	s_conf_good("  ipv6 = \"auto\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.ipv6_auto, true);
	cr_assert_eq(cfg.probe.ipv6, agent_host_has_ipv6());
}

Test(agent_config, bad_ipv6_value)
{
	struct agent_cfg cfg;
	char err[512] = "";

	s_conf_good("  ipv6 = \"maybe\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "ipv6 must be") != NULL, "err: %s", err);
}

Test(agent_config, missing_required_keys)
{
	struct agent_cfg cfg;
	char err[512] = "", body[1024];

	snprintf(body, sizeof(body), "  coordinator_public_key = \"%s\";\n  key_file = \"%s\";\n",
	         s_coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "missing required setting agent.coordinator") != NULL, "err: %s",
	          err);

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n  key_file = \"%s\";\n", s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "agent.coordinator_public_key") != NULL, "err: %s", err);

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n  coordinator_public_key = \"%s\";\n",
	         s_coordpub);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "agent.key_file") != NULL, "err: %s", err);
	/* a failed load leaves no key material behind */
	cr_assert_eq(cfg.secret[0], '\0');
}

Test(agent_config, missing_group)
{
	struct agent_cfg cfg;
	char err[512] = "";

	s_write(s_conf, "coordinator: { agent_endpoint = \"tcp://0.0.0.0:8751\"; };\n", 0644);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "missing group \"agent") != NULL, "err: %s", err);
}

Test(agent_config, syntax_error_reports_line)
{
	struct agent_cfg cfg;
	char err[512] = "", want[400];

	s_write(s_conf, "agent:\n{\n  coordinator = \"tcp://127.0.0.1:8751\"\n  key_file = ;\n};\n",
	        0644);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: ", s_conf);
	cr_assert(strstr(err, want) != NULL, "err: %s (want %s)", err, want);
	cr_assert(strstr(err, "syntax error") != NULL, "err: %s", err);
}

Test(agent_config, unreadable_file)
{
	struct agent_cfg cfg;
	char err[512] = "";

	cr_assert_eq(agent_config_load("/nonexistent/vantage/agent.conf", &cfg, err, sizeof(err)),
	             -1);
	cr_assert(strstr(err, "/nonexistent/vantage/agent.conf") != NULL, "err: %s", err);
}

Test(agent_config, bad_treat_as_public)
{
	struct agent_cfg cfg;
	char err[512] = "";

	s_conf_good("  treat_as_public = \"10.77.0.0/99\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "treat_as_public \"10.77.0.0/99\"") != NULL, "err: %s", err);

	s_conf_good("  treat_as_public = \"not-a-prefix\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "treat_as_public") != NULL, "err: %s", err);
}

Test(agent_config, key_file_readable_by_others_is_refused)
{
	struct agent_cfg cfg;
	char err[512] = "";

	cr_assert_eq(chmod(s_key, 0644), 0);
	s_conf_good("");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "key_file") != NULL, "err: %s", err);
	cr_assert(strstr(err, "readable by group or others") != NULL, "err: %s", err);
	cr_assert(strstr(err, "chmod 600") != NULL, "err: %s", err);

	cr_assert_eq(chmod(s_key, 0600), 0);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
}

/* Is path a regular file with exactly this mode? */
static void s_assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	cr_assert_eq(stat(path, &st), 0, "%s missing", path);
	cr_assert_eq(st.st_mode & 07777, mode, "%s: mode %04o, want %04o", path,
	             (unsigned)(st.st_mode & 07777), (unsigned)mode);
}

/* The usual settings with key_file = keyfile. */
static void s_conf_keyfile(const char *keyfile, const char *extra)
{
	char body[3072];

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = \"%s\";\n"
	         "  key_file = \"%s\";\n%s",
	         s_coordpub, keyfile, extra);
	s_conf_with(body);
}

Test(agent_config, missing_key_file_is_generated)
{
	struct agent_cfg cfg;
	char err[512] = "", key[400], pub[400], pubtext[KEY_Z85_LEN + 1];

	snprintf(key, sizeof(key), "%s/none.key", s_dir);
	snprintf(pub, sizeof(pub), "%s/none.pub", s_dir);
	s_conf_keyfile(key, "");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg.key_generated);
	cr_assert_str_eq(cfg.key_file, key);
	s_assert_mode(key, 0600);
	s_assert_mode(pub, 0644);
	s_read_pub(pub, pubtext);
	cr_assert_str_eq(cfg.public_, pubtext);
	cr_assert_eq(strlen(cfg.secret), KEY_Z85_LEN);
}

Test(agent_config, generation_into_fresh_dir_then_reuse)
{
	struct agent_cfg cfg;
	char err[512] = "", dir[300], key[400], pub[400], first[KEY_Z85_LEN + 1];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s/state", s_dir);
	snprintf(key, sizeof(key), "%s/agent.key", dir);
	snprintf(pub, sizeof(pub), "%s/agent.pub", dir);
	s_conf_keyfile(key, "");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg.key_generated);
	cr_assert_eq(stat(dir, &st), 0);
	cr_assert(S_ISDIR(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0700, "dir mode %04o", (unsigned)(st.st_mode & 07777));
	s_assert_mode(key, 0600);
	s_assert_mode(pub, 0644);
	memcpy(first, cfg.public_, sizeof(first));

	/* the second start finds the pair and keeps the agent's identity */
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(!cfg.key_generated);
	cr_assert_str_eq(cfg.public_, first);
}

Test(agent_config, generation_without_key_suffix_and_one_level_only)
{
	struct agent_cfg cfg;
	char err[512] = "", key[400], pub[400];

	snprintf(key, sizeof(key), "%s/secret", s_dir);
	snprintf(pub, sizeof(pub), "%s/secret.pub", s_dir);
	s_conf_keyfile(key, "");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(cfg.key_generated);
	s_assert_mode(pub, 0644);

	/* only the key's own directory is made, never a whole tree */
	snprintf(key, sizeof(key), "%s/a/b/agent.key", s_dir);
	s_conf_keyfile(key, "");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "cannot create directory") != NULL, "err: %s", err);
	cr_assert(strstr(err, "a/b/agent.key") != NULL, "err: %s", err);
	cr_assert(!cfg.key_generated);
}

Test(agent_config, generation_refuses_a_stale_public_file)
{
	struct agent_cfg cfg;
	char err[512] = "", key[400], pub[400];

	/* a .pub without its secret: never overwrite what someone kept */
	snprintf(key, sizeof(key), "%s/stale.key", s_dir);
	snprintf(pub, sizeof(pub), "%s/stale.pub", s_dir);
	s_write(pub, "not a key\n", 0644);
	s_conf_keyfile(key, "");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "refusing to overwrite") != NULL, "err: %s", err);
	cr_assert_eq(access(key, F_OK), -1, "secret left behind");
}

Test(agent_config, invalid_config_generates_nothing)
{
	struct agent_cfg cfg;
	char err[512] = "", key[400];

	snprintf(key, sizeof(key), "%s/late.key", s_dir);
	s_conf_keyfile(key, "  resolver = \"dns.example\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert_eq(access(key, F_OK), -1, "key pair made for a bad configuration");
}

Test(agent_config, list_of_coordinator_keys)
{
	struct agent_cfg cfg;
	char err[512] = "", body[2048], coordpub[KEY_Z85_LEN + 1];
	char pub2[KEY_Z85_LEN + 1], sec2[KEY_Z85_LEN + 1];

	cr_assert_eq(zmq_curve_keypair(pub2, sec2), 0);
	s_read_pub(s_coordpub, coordpub);
	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = [ \"%s\", \"%s\" ];\n"
	         "  key_file = \"%s\";\n",
	         pub2, s_coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_server_keys, 2);
	cr_assert_str_eq(cfg.server_public[0], pub2);
	cr_assert_str_eq(cfg.server_public[1], coordpub);

	/* the ( list ) form too, with a single key */
	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = ( \"%s\" );\n"
	         "  key_file = \"%s\";\n",
	         coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_server_keys, 1);
	cr_assert_str_eq(cfg.server_public[0], coordpub);
}

Test(agent_config, too_many_or_no_coordinator_keys)
{
	struct agent_cfg cfg;
	char err[512] = "", body[2048], keys[1024] = "";
	size_t o = 0;

	for (int i = 0; i <= AGENT_MAX_SERVER_KEYS; i++) {
		char pub[KEY_Z85_LEN + 1], sec[KEY_Z85_LEN + 1];

		cr_assert_eq(zmq_curve_keypair(pub, sec), 0);
		o += (size_t)snprintf(keys + o, sizeof(keys) - o, "%s\"%s\"", i > 0 ? ", " : "",
		                      pub);
	}
	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = [ %s ];\n"
	         "  key_file = \"%s\";\n",
	         keys, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "lists 5 keys (want 1..4)") != NULL, "err: %s", err);

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = [ ];\n"
	         "  key_file = \"%s\";\n",
	         s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "lists 0 keys") != NULL, "err: %s", err);

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = ( \"%s\", 7 );\n"
	         "  key_file = \"%s\";\n",
	         s_coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "coordinator_public_key[1] must be a string") != NULL, "err: %s",
	          err);

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = 42;\n"
	         "  key_file = \"%s\";\n",
	         s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "must be a string or a list") != NULL, "err: %s", err);
}

Test(agent_config, duplicate_coordinator_keys)
{
	struct agent_cfg cfg;
	char err[512] = "", body[2048], coordpub[KEY_Z85_LEN + 1];

	/* the same key once as a file and once literally is still a duplicate */
	s_read_pub(s_coordpub, coordpub);
	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = [ \"%s\", \"%s\" ];\n"
	         "  key_file = \"%s\";\n",
	         s_coordpub, coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "coordinator_public_key[1]") != NULL, "err: %s", err);
	cr_assert(strstr(err, "the same key as coordinator_public_key[0]") != NULL, "err: %s", err);
}

Test(agent_config, name_and_enroll_token)
{
	struct agent_cfg cfg;
	char err[512] = "";

	s_conf_good(
	        "  name = \"fra-1\";\n  enroll_token = \"Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.name, "fra-1");
	cr_assert_str_eq(cfg.enroll_token, "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z");
}

Test(agent_config, name_without_token_and_token_without_name)
{
	struct agent_cfg cfg;
	char err[512] = "";

	s_conf_good("  name = \"fra-1\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "name is set but enroll_token is not") != NULL, "err: %s", err);
	cr_assert(strstr(err, "both") != NULL, "err: %s", err);

	s_conf_good("  enroll_token = \"abc123\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "enroll_token is set but name is not") != NULL, "err: %s", err);
}

Test(agent_config, bad_token_and_bad_name)
{
	struct agent_cfg cfg;
	char err[512] = "", extra[512], longtok[LIMIT_ENROLL_TOKEN_LEN + 2];

	s_conf_good("  name = \"fra-1\";\n  enroll_token = \"abc-123\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "enroll_token: want 1..64 letters and digits") != NULL, "err: %s",
	          err);

	memset(longtok, 'a', sizeof(longtok) - 1);
	longtok[sizeof(longtok) - 1] = '\0';
	snprintf(extra, sizeof(extra), "  name = \"fra-1\";\n  enroll_token = \"%s\";\n", longtok);
	s_conf_good(extra);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "enroll_token: want") != NULL, "err: %s", err);

	s_conf_good("  name = \".hidden\";\n  enroll_token = \"abc123\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "name: want [A-Za-z0-9._-]") != NULL, "err: %s", err);

	s_conf_good("  name = 5;\n  enroll_token = \"abc123\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "name must be a string") != NULL, "err: %s", err);
}

Test(agent_config, bad_public_key)
{
	struct agent_cfg cfg;
	char err[512] = "", body[1024];

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = \"%s/missing.pub\";\n"
	         "  key_file = \"%s\";\n",
	         s_dir, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "coordinator_public_key") != NULL, "err: %s", err);
}

Test(agent_config, bad_endpoint_resolver_and_timeout)
{
	struct agent_cfg cfg;
	char err[512] = "", body[1024];

	snprintf(body, sizeof(body),
	         "  coordinator = \"http://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = \"%s\";\n  key_file = \"%s\";\n",
	         s_coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "tcp://HOST:PORT") != NULL, "err: %s", err);

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:99999\";\n"
	         "  coordinator_public_key = \"%s\";\n  key_file = \"%s\";\n",
	         s_coordpub, s_key);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "bad port") != NULL, "err: %s", err);

	s_conf_good("  resolver = \"dns.example\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "resolver \"dns.example\"") != NULL, "err: %s", err);

	s_conf_good("  resolver = \"127.0.0.1@0\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "bad port") != NULL, "err: %s", err);

	s_conf_good("  dial_timeout_ms = 5;\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "dial_timeout_ms 5 outside") != NULL, "err: %s", err);

	s_conf_good("  dial_timeout_ms = \"fast\";\n");
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "dial_timeout_ms must be an integer") != NULL, "err: %s", err);
}

Test(agent_config, root_hints_must_exist)
{
	struct agent_cfg cfg;
	char err[512] = "", extra[512], hints[400];

	snprintf(extra, sizeof(extra), "  root_hints = \"%s/hints\";\n", s_dir);
	s_conf_good(extra);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "root_hints") != NULL, "err: %s", err);

	snprintf(hints, sizeof(hints), "%s/hints", s_dir);
	s_write(hints, ".  3600000  NS  A.ROOT-SERVERS.NET.\n", 0644);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.probe.resolver.root_hints, hints);
}

/* ---- vantage-agent enroll (agent/enroll_cmd.c) ---- */

#define ENROLL_ARGS_MAX 24 /* arguments one enroll call in these tests passes */

/* Run `vantage-agent enroll` with the given arguments (NULL-terminated);
 * its stdout goes to /dev/null.  Returns the exit status. */
static int s_enroll(const char *const *args)
{
	char *argv[ENROLL_ARGS_MAX + 2];
	int argc = 0, rc, saved;
	FILE *null;

	argv[argc++] = (char *)"enroll";
	for (size_t i = 0; args[i] != NULL; i++) {
		cr_assert_lt(argc, ENROLL_ARGS_MAX + 1);
		argv[argc++] = (char *)args[i];
	}
	argv[argc] = NULL;
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = fopen("/dev/null", "w");
	cr_assert_not_null(null);
	cr_assert_geq(dup2(fileno(null), STDOUT_FILENO), 0);
	rc = enroll_cmd_main(argc, argv);
	fflush(stdout);
	cr_assert_geq(dup2(saved, STDOUT_FILENO), 0);
	close(saved);
	fclose(null);
	return rc;
}

Test(agent_config, enroll_writes_a_config_that_loads)
{
	struct agent_cfg cfg;
	char err[512] = "", coordpub[KEY_Z85_LEN + 1], conf[400], key[400], pub[400];
	const char *args[] = {"--coordinator",
	                      "tcp://coord.example:8751",
	                      "--coordinator-key",
	                      coordpub,
	                      "--name",
	                      "fra-1",
	                      "--token",
	                      "0123abcd",
	                      "--config",
	                      conf,
	                      "--key-file",
	                      key,
	                      "--user",
	                      "nobody",
	                      "--resolver",
	                      "192.0.2.53@53",
	                      NULL};
	const struct passwd *pw;
	struct stat st;

	s_read_pub(s_coordpub, coordpub);
	snprintf(conf, sizeof(conf), "%s/enrolled.conf", s_dir);
	snprintf(key, sizeof(key), "%s/state/agent.key", s_dir);
	snprintf(pub, sizeof(pub), "%s/state/agent.pub", s_dir);
	cr_assert_eq(s_enroll(args), 0);
	s_assert_mode(conf, 0644);
	s_assert_mode(key, 0600);
	s_assert_mode(pub, 0644);
	cr_assert_eq(agent_config_load(conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(cfg.coordinator, "tcp://coord.example:8751");
	cr_assert_eq(cfg.n_server_keys, 1);
	cr_assert_str_eq(cfg.server_public[0], coordpub);
	cr_assert_str_eq(cfg.name, "fra-1");
	cr_assert_str_eq(cfg.enroll_token, "0123abcd");
	cr_assert_str_eq(cfg.key_file, key);
	cr_assert_str_eq(cfg.probe.resolver.forwarder, "192.0.2.53@53");
	cr_assert(!cfg.key_generated, "enroll made the pair, the load must find it");
	pw = getpwnam("nobody");
	if (geteuid() == 0 && pw != NULL) { /* the key files went to the user named */
		cr_assert_eq(stat(key, &st), 0);
		cr_assert_eq(st.st_uid, pw->pw_uid, "key owned by %u", (unsigned)st.st_uid);
	}

	/* again: the configuration stays unless --force, the key pair stays */
	cr_assert_eq(s_enroll(args), 1);
	{
		const char *force[ENROLL_ARGS_MAX];
		size_t n = 0;

		for (; args[n] != NULL; n++)
			force[n] = args[n];
		force[n++] = "--force";
		force[n] = NULL;
		cr_assert_eq(s_enroll(force), 0);
	}
	cr_assert_eq(agent_config_load(conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert(!cfg.key_generated);
}

Test(agent_config, enroll_with_two_keys)
{
	struct agent_cfg cfg;
	char err[512] = "", k1[KEY_Z85_LEN + 1], k2[KEY_Z85_LEN + 1], sec[KEY_Z85_LEN + 1];
	char conf[400], key[400];
	const char *args[] = {"--coordinator",
	                      "tcp://10.0.0.1:8751",
	                      "--coordinator-key",
	                      k1,
	                      "--coordinator-key",
	                      k2,
	                      "--name",
	                      "a1",
	                      "--token",
	                      "Tok3n",
	                      "--config",
	                      conf,
	                      "--key-file",
	                      key,
	                      "--user",
	                      "nobody",
	                      NULL};

	cr_assert_eq(zmq_curve_keypair(k1, sec), 0);
	cr_assert_eq(zmq_curve_keypair(k2, sec), 0);
	snprintf(conf, sizeof(conf), "%s/two.conf", s_dir);
	snprintf(key, sizeof(key), "%s/two.key", s_dir);
	cr_assert_eq(s_enroll(args), 0);
	cr_assert_eq(agent_config_load(conf, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.n_server_keys, 2);
	cr_assert_str_eq(cfg.server_public[0], k1);
	cr_assert_str_eq(cfg.server_public[1], k2);
}

Test(agent_config, enroll_usage_errors_write_nothing)
{
	char coordpub[KEY_Z85_LEN + 1], quoted[KEY_Z85_LEN + 1], conf[400], key[400];

	s_read_pub(s_coordpub, coordpub);
	memcpy(quoted, coordpub, sizeof(quoted));
	quoted[5] = '"';
	snprintf(conf, sizeof(conf), "%s/bad.conf", s_dir);
	snprintf(key, sizeof(key), "%s/bad.key", s_dir);
	{
		const char *a[] = {"--coordinator",
		                   "tcp://h:1",
		                   "--coordinator-key",
		                   quoted,
		                   "--name",
		                   "n",
		                   "--token",
		                   "t",
		                   "--config",
		                   conf,
		                   "--key-file",
		                   key,
		                   NULL};
		cr_assert_eq(s_enroll(a), 2);
	}
	{
		const char *a[] = {"--coordinator",
		                   "http://h:1",
		                   "--coordinator-key",
		                   coordpub,
		                   "--name",
		                   "n",
		                   "--token",
		                   "t",
		                   "--config",
		                   conf,
		                   "--key-file",
		                   key,
		                   NULL};
		cr_assert_eq(s_enroll(a), 2);
	}
	{
		const char *a[] = {"--coordinator",
		                   "tcp://h:1",
		                   "--coordinator-key",
		                   coordpub,
		                   "--coordinator-key",
		                   coordpub,
		                   "--name",
		                   "n",
		                   "--token",
		                   "t",
		                   "--config",
		                   conf,
		                   "--key-file",
		                   key,
		                   NULL};
		cr_assert_eq(s_enroll(a), 2);
	}
	{
		const char *a[] = {"--coordinator",
		                   "tcp://h:1",
		                   "--coordinator-key",
		                   coordpub,
		                   "--name",
		                   "n",
		                   "--token",
		                   "t\\",
		                   "--config",
		                   conf,
		                   "--key-file",
		                   key,
		                   NULL};
		cr_assert_eq(s_enroll(a), 2);
	}
	{
		const char *a[] = {"--coordinator",
		                   "tcp://h:1",
		                   "--coordinator-key",
		                   coordpub,
		                   "--name",
		                   "../x",
		                   "--token",
		                   "t",
		                   "--config",
		                   conf,
		                   "--key-file",
		                   key,
		                   NULL};
		cr_assert_eq(s_enroll(a), 2);
	}
	{
		const char *a[] = {"--coordinator",
		                   "tcp://h:1",
		                   "--coordinator-key",
		                   coordpub,
		                   "--name",
		                   "n",
		                   "--token",
		                   "t",
		                   "--config",
		                   conf,
		                   "--key-file",
		                   "relative.key",
		                   NULL};
		cr_assert_eq(s_enroll(a), 2);
	}
	{
		const char *a[] = {"--coordinator", "tcp://h:1", "--name", "n",
		                   "--token",       "t",         NULL};
		cr_assert_eq(s_enroll(a), 2);
	}
	cr_assert_eq(access(conf, F_OK), -1);
	cr_assert_eq(access(key, F_OK), -1);
}
