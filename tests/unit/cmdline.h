/*
 * cmdline.h -- command lines for the tests of argument parsers and of the
 * subcommands' main functions: a test's own variadic wrapper puts the
 * subcommand (and any fixed options) in argv, then appends its
 * NULL-terminated arguments with cmdline_add.  Test support only; linked
 * into the unit-test binary.
 */
#ifndef VANTAGE_TEST_CMDLINE_H
#define VANTAGE_TEST_CMDLINE_H

#include <stdarg.h>

#define CMDLINE_MAX 32 /* arguments in one test command line */

/* argv[0..argc-1], then NULL. */
struct cmdline {
	int argc;
	char *argv[CMDLINE_MAX + 2];
};

/* Append the arguments in ap, up to a NULL, to c; argv stays
 * NULL-terminated.  Arguments beyond CMDLINE_MAX + 1 in all are dropped. */
void cmdline_add(struct cmdline *c, va_list ap);

#endif
