/*
 * test_agent_config.c -- agent/config.c: the agent's configuration file.
 *
 * Each test writes its key files and configuration into a fresh temporary
 * directory and removes it afterwards.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../agent/config.h"
#include "../../common/keys.h"
#include "../../common/limits.h"

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
	const char *names[] = {"agent.key", "agent.pub",  "coord.key",
	                       "coord.pub", "agent.conf", "hints"};
	char p[400];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", s_dir, names[i]);
		unlink(p);
	}
	rmdir(s_dir);
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
	cr_assert_str_eq(cfg.server_public, coordpub);
	cr_assert_str_eq(cfg.public_, agentpub);
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
	cr_assert_str_eq(cfg.server_public, coordpub);
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

Test(agent_config, missing_key_file)
{
	struct agent_cfg cfg;
	char err[512] = "", body[1024];

	snprintf(body, sizeof(body),
	         "  coordinator = \"tcp://127.0.0.1:8751\";\n"
	         "  coordinator_public_key = \"%s\";\n"
	         "  key_file = \"%s/none.key\";\n",
	         s_coordpub, s_dir);
	s_conf_with(body);
	cr_assert_eq(agent_config_load(s_conf, &cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "none.key") != NULL, "err: %s", err);
	cr_assert(strstr(err, "No such file") != NULL, "err: %s", err);
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
