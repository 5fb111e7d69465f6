/*
 * log.c -- see log.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

/* syslog priorities as sd-daemon.h spells them (SD_ERR "<3>", SD_WARNING
 * "<4>", SD_INFO "<6>", SD_DEBUG "<7>"); vantage has no notice level. */
#define LOG_PRI_ERR     3
#define LOG_PRI_WARNING 4
#define LOG_PRI_INFO    6
#define LOG_PRI_DEBUG   7

static const char *s_prog = "vantage";
static enum log_level s_max = LOG_INFO;
static int s_journal = -1; /* -1 not decided yet, 0 plain lines, 1 journald */

bool log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	struct stat st;
	uintmax_t dev, ino;
	char *end = NULL;

	/* systemd's documented check (systemd.exec(5), $JOURNAL_STREAM): the
	 * variable is inherited by children whose stderr may be elsewhere, so
	 * it counts only when it names the very file stderr is */
	if (env == NULL || env[0] == '\0' || fstat(STDERR_FILENO, &st) != 0)
		return false;
	errno = 0;
	dev = strtoumax(env, &end, 10);
	if (errno != 0 || end == env || *end != ':')
		return false;
	env = end + 1;
	ino = strtoumax(env, &end, 10);
	if (errno != 0 || end == env || *end != '\0')
		return false;
	return dev == (uintmax_t)st.st_dev && ino == (uintmax_t)st.st_ino;
}

void log_init(const char *prog, enum log_level max)
{
	if (prog != NULL)
		s_prog = prog;
	s_max = max;
	s_journal = log_stderr_is_journal() ? 1 : 0;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	static const int pris[] = {LOG_PRI_ERR, LOG_PRI_WARNING, LOG_PRI_INFO, LOG_PRI_DEBUG};
	char line[2048];
	char stamp[32] = "";
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if ((unsigned)lvl > (unsigned)LOG_DEBUG || lvl > s_max)
		return;
	if (s_journal < 0) /* log_init never ran (a test, a helper) */
		s_journal = log_stderr_is_journal() ? 1 : 0;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (s_journal) {
		/* journald stamps time and PID itself and reads "<N>" as the
		 * line's priority, so `journalctl -p warning` works */
		fprintf(stderr, "<%d>%s: %s: %s\n", pris[lvl], s_prog, names[lvl], line);
		return;
	}
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %s[%ld] %s: %s\n", stamp, s_prog, (long)getpid(), names[lvl], line);
}

char *log_escape(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t o = 0;

	if (dstlen == 0)
		return dst;
	for (size_t i = 0; i < len && src[i] != '\0'; i++) {
		unsigned char c = (unsigned char)src[i];
		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 >= dstlen)
				break;
			dst[o++] = (char)c;
		} else {
			if (o + 4 >= dstlen)
				break;
			snprintf(dst + o, dstlen - o, "\\x%02x", c);
			o += 4;
		}
	}
	dst[o] = '\0';
	return dst;
}
