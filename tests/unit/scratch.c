/*
 * scratch.c -- see scratch.h.
 */
#include <ftw.h>
#include <stdio.h>

#include "scratch.h"

static int s_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void scratch_remove(const char *dir)
{
	nftw(dir, s_rm, SCRATCH_NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}
