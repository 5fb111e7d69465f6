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

bool scratch_slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n;

	buf[0] = '\0';
	if (f == NULL)
		return false;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}
