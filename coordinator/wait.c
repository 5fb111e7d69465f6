/* wait.c -- placeholder, replaced by the implementation of `vantage wait`. */
#include <stdio.h>

#include "wait.h"

int cli_wait_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vantage wait: not built yet\n");
	return 2;
}
