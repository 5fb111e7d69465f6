/*
 * log.h -- one-line logs to stderr: "TIME vantage[pid] LEVEL: message".
 * Untrusted text must go through log_escape() (or the %s of a string already
 * escaped) so a hostile peer cannot forge log lines.
 *
 * Under systemd, when stderr is the journal stream ($JOURNAL_STREAM names
 * stderr's device and inode), each line is "<N>vantage: LEVEL: message"
 * instead: journald adds time and PID itself and takes N as the syslog
 * priority (3 error, 4 warning, 6 info, 7 debug).
 */
#ifndef VANTAGE_LOG_H
#define VANTAGE_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Program name shown in every line, and the most verbose level printed
 * (default LOG_INFO).  Also decides, once, between the plain and the
 * journald format (log_msg decides on first use if log_init never ran). */
void log_init(const char *prog, enum log_level max);

/* Is stderr the journald stream systemd connected ($JOURNAL_STREAM is
 * "DEV:INODE" of stderr)?  Read-only; log_init caches the answer. */
bool log_stderr_is_journal(void);
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

/* Copy at most len bytes of src into dst (size dstlen, always terminated),
 * replacing control characters and non-ASCII bytes by \xNN.  Printable ASCII,
 * backslash included, is kept: texts that are already Go-quoted (LE's
 * details quote server bodies as "\r\n") stay readable.  Returns dst. */
char *log_escape(char *dst, size_t dstlen, const char *src, size_t len);

#endif
