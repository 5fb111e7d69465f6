/*
 * scratch.h -- the unit tests' scratch directories: each test makes its own
 * with mkdtemp(3) and removes it, whole, with scratch_remove.  Test support
 * only; linked into the unit-test binary.
 */
#ifndef VANTAGE_TEST_SCRATCH_H
#define VANTAGE_TEST_SCRATCH_H

#define SCRATCH_NFTW_FDS 16 /* directories held open at once while removing */

/* Remove dir and everything below it (symlinks are removed, not followed). */
void scratch_remove(const char *dir);

#endif
