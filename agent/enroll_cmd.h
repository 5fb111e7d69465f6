/*
 * enroll_cmd.h -- `vantage-agent enroll`: set up a fresh host as an agent in
 * one command.  Writes the configuration file, makes the key pair (as the
 * first start would), hands the key files to the service's user and checks
 * that the result loads; the coordinator then approves the agent (`vantage
 * agents approve NAME`).  See vantage-agent(8), ENROLMENT.
 */
#ifndef VANTAGE_AGENT_ENROLL_CMD_H
#define VANTAGE_AGENT_ENROLL_CMD_H

#define ENROLL_CONF_MAX 16384 /* bytes of the configuration text written */

/*
 * Run the enrol command.  argv[0] is "enroll".  Returns the exit status: 0
 * done, 1 a runtime error (a file that cannot be written, an existing
 * configuration without --force), 2 a usage error (a message on stderr).
 * Exempt from the daemon's refusal to run as root: it is meant to be run by
 * root on a fresh machine.  Called by agent/main.c.
 */
int enroll_cmd_main(int argc, char **argv);

#endif
