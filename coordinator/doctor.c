/* doctor.c -- placeholder, replaced by the implementation of `vantage doctor`. */
#include <stdio.h>

#include "doctor.h"

int doctor_main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "vantage doctor: not built yet\n");
	return 2;
}
