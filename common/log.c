/*
 * log.c -- see log.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char *s_prog = "vantage";
static enum log_level s_max = LOG_INFO;

void log_init(const char *prog, enum log_level max)
{
	if (prog != NULL)
		s_prog = prog;
	s_max = max;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	char line[2048];
	char stamp[32] = "";
	struct timespec ts;
	struct tm tm;
	va_list ap;

	if (lvl > s_max)
		return;
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && gmtime_r(&ts.tv_sec, &tm) != NULL)
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
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
