/*
 * fileio.c -- see fileio.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

int fileio_fill(int fd, const char *path, const char *text, mode_t mode, bool sync, char *err,
                size_t errlen)
{
	size_t len = strlen(text), off = 0;

	if (fchmod(fd, mode) != 0) {
		snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
		goto fail;
	}
	while (off < len) { /* bounded: each pass writes >= 1 byte or fails */
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "cannot write %s: %s", path,
			         w == 0 ? "no progress" : strerror(errno));
			goto fail;
		}
		off += (size_t)w;
	}
	if (sync && fsync(fd) != 0) {
		snprintf(err, errlen, "cannot sync %s: %s", path, strerror(errno));
		goto fail;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
fail:
	close(fd);
	return -1;
}
