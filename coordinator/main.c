/*
 * main.c -- `vantage`: the coordinator and its command-line clients.
 *
 *   vantage serve --config FILE      the coordinator (coordinator/serve.c)
 *   vantage check DOMAIN... [...]    ask the vantages (coordinator/cli.c)
 *   vantage agents [...]             list the agents (coordinator/cli.c)
 *   vantage agents approve|revoke NAME  allowlist an enrolled agent, or
 *                                    refuse one (coordinator/cli.c)
 *   vantage enroll NAME [...]        open an enrolment ticket, print the
 *                                    agent's command (coordinator/cli.c)
 *   vantage history DOMAIN [...]     what the monitors recorded (coordinator/cli.c)
 *   vantage monitors [list|add|remove]  the scheduled checks (coordinator/cli.c)
 *   vantage wait DOMAIN... [...]     poll until the challenge is visible from
 *                                    every vantage (coordinator/wait.c)
 *   vantage doctor [...]             can this machine reach the ACME CA?
 *                                    (coordinator/doctor.c)
 *   vantage findings [ID] [...]      the catalogue of findings, or one
 *                                    explained (coordinator/findings_cmd.c)
 *   vantage keygen NAME [...]        write a CURVE key pair (coordinator/keygen.c)
 *
 * Each subcommand receives argv starting at its own name and answers --help.
 * An unknown subcommand prints the usage and exits 2.
 */
#include <stdio.h>
#include <string.h>

#include "../common/limits.h"
#include "cli.h"
#include "doctor.h"
#include "findings_cmd.h"
#include "keygen.h"
#include "serve.h"
#include "wait.h"

#define EXIT_USAGE 2

struct s_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct s_cmd s_cmds[] = {
        {"serve", serve_main, "run the coordinator (--config FILE)"},
        {"check", cli_check_main, "check DOMAIN... from every vantage"},
        {"agents", cli_agents_main, "list the agents and tickets; approve or revoke NAME"},
        {"enroll", cli_enroll_main, "open an enrolment ticket for a new agent NAME"},
        {"history", cli_history_main, "show what the monitors recorded for DOMAIN"},
        {"monitors", cli_monitors_main, "list the monitors; add or remove NAME"},
        {"wait", cli_wait_main, "wait until every vantage sees an ACME challenge"},
        {"doctor", doctor_main, "check that this machine can reach the ACME CA"},
        {"findings", findings_main, "list the findings, or explain one (ID)"},
        {"keygen", keygen_main, "write a CURVE key pair NAME.key / NAME.pub"},
};

static void s_usage(FILE *f)
{
	fprintf(f, "usage: vantage COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(s_cmds) / sizeof(s_cmds[0]); i++)
		fprintf(f, "  %-8s %s\n", s_cmds[i].name, s_cmds[i].summary);
	fprintf(f, "  %-8s %s\n", "help", "this text");
	fprintf(f, "\n'vantage COMMAND --help' describes a command's options; see vantage(1).\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		s_usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
		s_usage(stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("vantage %s\n", VANTAGE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(s_cmds) / sizeof(s_cmds[0]); i++)
		if (strcmp(cmd, s_cmds[i].name) == 0)
			return s_cmds[i].run(argc - 1, argv + 1);
	fprintf(stderr, "vantage: unknown command \"%s\"\n", cmd);
	s_usage(stderr);
	return EXIT_USAGE;
}
