/*
 * scratch.h -- the unit tests' scratch directories: each test makes its own
 * with mkdtemp(3) and removes it, whole, with scratch_remove; what a test's
 * subject wrote there is read back with scratch_slurp.  Test support only;
 * linked into the unit-test binary.
 */
#ifndef VANTAGE_TEST_SCRATCH_H
#define VANTAGE_TEST_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>

#define SCRATCH_NFTW_FDS 16 /* directories held open at once while removing */

/* Remove dir and everything below it (symlinks are removed, not followed). */
void scratch_remove(const char *dir);

/* The text of the file path, at most len - 1 bytes of it, into buf
 * (NUL-terminated).  false, and "" in buf, when it cannot be opened. */
bool scratch_slurp(const char *path, char *buf, size_t len);

#endif
