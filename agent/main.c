/*
 * main.c -- vantage-agent: the agent daemon, and the one-shot probe command.
 *
 *   vantage-agent --config FILE [--verbose] [--allow-root]
 *   vantage-agent --show-key [--config FILE]
 *   vantage-agent probe http-01 DOMAIN ...     (agent/probe_cmd.c)
 *   vantage-agent enroll --coordinator ...     (agent/enroll_cmd.c)
 *
 * The daemon refuses to run as root (effective UID 0) unless given
 * --allow-root: it only dials out and listens on no port, so root buys it
 * nothing, while it parses what untrusted servers send.  --show-key obeys
 * the same rule, as it may make the key pair (first start) and root would
 * own it.  The one-shot `probe` is exempt: an operator runs it by hand, it
 * exits within its deadline and it holds no key.  So is `enroll`: it sets a
 * fresh host up, which takes root, and hands the key files to the
 * service's user.
 *
 * Exit status: 0 after an orderly stop (SIGINT/SIGTERM), 1 on a runtime
 * error, 2 on a usage or configuration error (running as root included).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "../common/limits.h"
#include "../common/log.h"
#include "config.h"
#include "enroll_cmd.h"
#include "link.h"
#include "probe_cmd.h"

#define EXIT_USAGE 2

static void s_usage(FILE *f)
{
	fprintf(f, "usage: vantage-agent --config FILE [--verbose] [--allow-root]\n"
	           "       vantage-agent --show-key [--config FILE]\n"
	           "       vantage-agent probe http-01 DOMAIN... [options]  (see --help there)\n"
	           "       vantage-agent enroll --coordinator tcp://HOST:PORT ...  (see --help "
	           "there)\n"
	           "       vantage-agent --help | --version\n"
	           "\n"
	           "Runs a vantage point: dials the coordinator named in FILE over ZeroMQ with\n"
	           "CURVE, registers, and runs the validation probes it is sent.\n"
	           "\n"
	           "  -c, --config FILE  agent configuration (libconfig; see vantage-agent(8));\n"
	           "                     with --show-key, default " AGENT_DEFAULT_CONFIG "\n"
	           "      --show-key     print this agent's public key and exit (makes the\n"
	           "                     key pair first if key_file does not exist)\n"
	           "  -v, --verbose      log debug messages\n"
	           "      --allow-root   run even as root (not recommended)\n"
	           "  -h, --help         this text\n"
	           "  -V, --version      print the version\n");
}

static void s_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct agent_link *l = arg;

	log_info("signal %d: stopping", (int)sig);
	agent_link_stop(l);
}

/* Refuse to run as root unless allowed: say why and what to do instead.
 * Returns 0 to go on, -1 when main() must exit with EXIT_USAGE. */
static int s_check_root(bool allow_root)
{
	if (geteuid() != 0)
		return 0;
	if (allow_root) {
		log_warn("running as root (--allow-root); the agent needs no privilege: "
		         "prefer a dedicated user (see vantage-agent(8))");
		return 0;
	}
	fprintf(stderr,
	        "vantage-agent: refusing to run as root.\n"
	        "  The agent needs no privilege: it only dials out, listens on no port and\n"
	        "  parses what untrusted servers send, so it should not hold root.\n"
	        "  Run it as a dedicated user that can read its key file, e.g.:\n"
	        "    useradd --system --no-create-home --shell /usr/sbin/nologin vantage\n"
	        "    chown -R vantage:vantage /var/lib/vantage-agent   (key_file's directory)\n"
	        "    systemctl enable --now vantage-agent   (the unit runs it as vantage)\n"
	        "  or: runuser -u vantage -- vantage-agent --config FILE   (or --show-key)\n"
	        "  `vantage-agent enroll`, run as root, sets all of this up.\n"
	        "  Pass --allow-root to run as root anyway.\n");
	return -1;
}

/* Say which key this agent presents, every start: the coordinator's
 * operator matches it against `vantage agents`.  A key pair made just now
 * needs that operator before the agent can work, hence a warning. */
static void s_log_key(const struct agent_cfg *cfg)
{
	log_info("public key: %s (%s)", cfg->public_, cfg->key_file);
	if (cfg->key_generated)
		log_warn("generated a new key pair in %s; the coordinator must approve this key "
		         "(vantage agents approve %s) or list it in its allowlist",
		         cfg->key_file, cfg->name[0] != '\0' ? cfg->name : "NAME");
}

/* Run the daemon until a signal stops it.  0 or 1. */
static int s_run(const struct agent_cfg *cfg)
{
	struct event_base *base = NULL;
	struct agent_link *link = NULL;
	struct event *sigint = NULL, *sigterm = NULL;
	char err[512];
	int rc = 1;

	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	if (base == NULL) {
		log_err("cannot create the event loop");
		goto out;
	}
	link = agent_link_new(base, cfg, err, sizeof(err));
	if (link == NULL) {
		log_err("%s", err);
		goto out;
	}
	sigint = evsignal_new(base, SIGINT, s_on_signal, link);
	sigterm = evsignal_new(base, SIGTERM, s_on_signal, link);
	if (sigint == NULL || sigterm == NULL || evsignal_add(sigint, NULL) != 0 ||
	    evsignal_add(sigterm, NULL) != 0) {
		log_err("cannot install signal handlers");
		goto out;
	}
	log_info("vantage-agent %s starting (IPv6 %s%s)", VANTAGE_VERSION,
	         cfg->probe.ipv6 ? "yes" : "no", cfg->ipv6_auto ? ", detected" : "");
	if (agent_link_start(link, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out;
	}
	if (event_base_dispatch(base) < 0) {
		log_err("event loop failed");
		goto out;
	}
	log_info("stopped");
	rc = 0;
out:
	if (sigint != NULL)
		event_free(sigint);
	if (sigterm != NULL)
		event_free(sigterm);
	agent_link_destroy(&link);
	if (base != NULL)
		event_base_free(base);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"verbose", no_argument, NULL, 'v'},
	        {"allow-root", no_argument, NULL, 'R'},
	        {"help", no_argument, NULL, 'h'},
	        {"version", no_argument, NULL, 'V'},
	        {"show-key", no_argument, NULL, 'K'},
	        {NULL, 0, NULL, 0},
	};
	struct agent_cfg cfg;
	const char *config = NULL;
	bool verbose = false, allow_root = false, show_key = false;
	char err[1024];
	int c, rc;

	if (argc >= 2 && strcmp(argv[1], "probe") == 0)
		return probe_cmd_main(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "enroll") == 0)
		return enroll_cmd_main(argc - 1, argv + 1);

	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'v':
			verbose = true;
			break;
		case 'R':
			allow_root = true;
			break;
		case 'K':
			show_key = true;
			break;
		case 'h':
			s_usage(stdout);
			return 0;
		case 'V':
			printf("vantage-agent %s\n", VANTAGE_VERSION);
			return 0;
		default:
			s_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vantage-agent: unexpected argument \"%s\"\n", argv[optind]);
		s_usage(stderr);
		return EXIT_USAGE;
	}
	if (config == NULL && show_key)
		config = AGENT_DEFAULT_CONFIG;
	if (config == NULL) {
		fprintf(stderr, "vantage-agent: --config FILE is required\n");
		s_usage(stderr);
		return EXIT_USAGE;
	}
	log_init("vantage-agent", verbose ? LOG_DEBUG : LOG_INFO);
	if (s_check_root(allow_root) != 0)
		return EXIT_USAGE;
	if (agent_config_load(config, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "vantage-agent: %s\n", err);
		return EXIT_USAGE;
	}
	s_log_key(&cfg);
	if (show_key) {
		/* stdout holds the key alone, for scripts; the logs go to stderr */
		printf("%s\n", cfg.public_);
		rc = fflush(stdout) == 0 ? 0 : 1;
		memset(&cfg, 0, sizeof(cfg));
		return rc;
	}
	rc = s_run(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	return rc;
}
