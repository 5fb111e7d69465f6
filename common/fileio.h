/*
 * fileio.h -- filling a file just created, the one way vantage does it:
 * the mode set with fchmod (open()'s mode is filtered by the umask, and the
 * modes of key, ticket and configuration files are part of their contract),
 * every byte written, optionally synced, then closed.
 */
#ifndef VANTAGE_FILEIO_H
#define VANTAGE_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Give fd (a file just created as path) mode, write all of text, fsync it
 * when sync, and close it -- fd is closed whatever happens.  0, or -1 with a
 * reason naming path in err ("cannot chmod|write|sync PATH: ...").  The
 * caller removes the file on failure if it must.
 */
int fileio_fill(int fd, const char *path, const char *text, mode_t mode, bool sync, char *err,
                size_t errlen);

#endif
