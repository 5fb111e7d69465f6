/*
 * probe_cmd.h -- `vantage-agent probe http-01 DOMAIN [options]`: one probe,
 * run locally on its own event_base, printed as the same document `vantage
 * check --json` prints (one vantage named "local").
 */
#ifndef VANTAGE_AGENT_PROBE_CMD_H
#define VANTAGE_AGENT_PROBE_CMD_H

/*
 * Run the one-shot probe command.  argv[0] is "probe".  Returns the exit
 * status: 0 pass, 1 fail, 3 unknown (report_exit_code), 2 for a usage or
 * setup error (a message on stderr).  Called by agent/main.c.
 */
int probe_cmd_main(int argc, char **argv);

#endif
