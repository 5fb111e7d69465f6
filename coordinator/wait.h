/*
 * wait.h -- `vantage wait`: poll the vantages until an ACME challenge is
 * visible from all of them (or by Let's Encrypt's quorum rule), for ACME
 * client hooks (deploy/hooks/, docs/hooks.md).
 */
#ifndef VANTAGE_WAIT_H
#define VANTAGE_WAIT_H

/* `vantage wait DOMAIN... [options]` (argv[0] is "wait").  Returns the exit
 * status: 0 ready, 1 timed out with a vantage still failing, 2 usage or
 * coordinator error, 3 timed out with nothing failing but some vantage not
 * answering. */
int cli_wait_main(int argc, char **argv);

#endif
