/*
 * test_log.c -- common/log.c: the plain format, and journald priorities when
 * $JOURNAL_STREAM names stderr.
 *
 * Each test points stderr (fd 2) at a temporary file with dup2, logs, puts
 * the real stderr back and reads the file.  Criterion runs every test in its
 * own process, so log.c's once-only format decision starts fresh in each.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../common/log.h"

#define CAPTURE_MAX 4096 /* bytes of captured stderr read back */

static char s_path[64];
static int s_saved = -1;

/* Send stderr to a fresh temporary file. */
static void s_capture_start(void)
{
	int fd;

	snprintf(s_path, sizeof(s_path), "/tmp/vantage-test-log-XXXXXX");
	fd = mkstemp(s_path);
	cr_assert_geq(fd, 0);
	fflush(stderr);
	s_saved = dup(STDERR_FILENO);
	cr_assert_geq(s_saved, 0);
	cr_assert_eq(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
}

/* Set JOURNAL_STREAM to stderr's "DEV:INODE" as systemd does. */
static void s_journal_env_for_stderr(void)
{
	struct stat st;
	char v[64];

	cr_assert_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino);
	cr_assert_eq(setenv("JOURNAL_STREAM", v, 1), 0);
}

/* Restore stderr and read what was written into out (NUL-terminated). */
static void s_capture_end(char *out, size_t outlen)
{
	FILE *f;
	size_t n;

	fflush(stderr);
	cr_assert_eq(dup2(s_saved, STDERR_FILENO), STDERR_FILENO);
	close(s_saved);
	s_saved = -1;
	f = fopen(s_path, "r");
	cr_assert_not_null(f);
	n = fread(out, 1, outlen - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(s_path);
}

static void s_log_each_level(void)
{
	log_err("e %d", 1);
	log_warn("w %d", 2);
	log_info("i %d", 3);
	log_debug("d %d", 4);
}

/* Does line look like "YYYY-MM-DDTHH:MM:SSZ PROG[PID] LEVEL: MSG"? */
static void s_assert_plain(const char *line, const char *prog, const char *rest)
{
	char want[256];

	cr_assert(strlen(line) > 21, "short line: %s", line);
	cr_assert(line[4] == '-' && line[7] == '-' && line[10] == 'T' && line[13] == ':' &&
	                  line[16] == ':' && line[19] == 'Z' && line[20] == ' ',
	          "no timestamp: %s", line);
	snprintf(want, sizeof(want), "%s[%ld] %s", prog, (long)getpid(), rest);
	cr_assert(strncmp(line + 21, want, strlen(want)) == 0, "line \"%s\" lacks \"%s\"", line,
	          want);
}

Test(log, journald_priorities_when_stream_matches)
{
	char out[CAPTURE_MAX];

	s_capture_start();
	s_journal_env_for_stderr();
	cr_assert(log_stderr_is_journal());
	log_init("vtest", LOG_DEBUG);
	s_log_each_level();
	s_capture_end(out, sizeof(out));
	cr_assert_str_eq(out, "<3>vtest: error: e 1\n"
	                      "<4>vtest: warning: w 2\n"
	                      "<6>vtest: info: i 3\n"
	                      "<7>vtest: debug: d 4\n");
}

Test(log, journald_respects_the_level)
{
	char out[CAPTURE_MAX];

	s_capture_start();
	s_journal_env_for_stderr();
	log_init("vtest", LOG_WARN);
	s_log_each_level();
	s_capture_end(out, sizeof(out));
	cr_assert_str_eq(out, "<3>vtest: error: e 1\n<4>vtest: warning: w 2\n");
}

Test(log, plain_format_without_journal_stream)
{
	char out[CAPTURE_MAX];
	char *second;

	s_capture_start();
	cr_assert_eq(unsetenv("JOURNAL_STREAM"), 0);
	cr_assert(!log_stderr_is_journal());
	log_init("vtest", LOG_INFO);
	log_warn("careful");
	log_info("hello %s", "there");
	log_debug("not shown");
	s_capture_end(out, sizeof(out));
	s_assert_plain(out, "vtest", "warning: careful\n");
	second = strchr(out, '\n');
	cr_assert_not_null(second);
	s_assert_plain(second + 1, "vtest", "info: hello there\n");
	cr_assert_null(strstr(out, "not shown"));
	cr_assert_null(strstr(out, "<6>"));
}

Test(log, plain_format_when_stream_is_another_file)
{
	char out[CAPTURE_MAX];
	struct stat st;
	char v[64];

	s_capture_start();
	/* inherited from a parent whose stderr was the journal: not ours */
	cr_assert_eq(fstat(STDERR_FILENO, &st), 0);
	snprintf(v, sizeof(v), "%ju:%ju", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino + 1u);
	cr_assert_eq(setenv("JOURNAL_STREAM", v, 1), 0);
	cr_assert(!log_stderr_is_journal());
	cr_assert_eq(setenv("JOURNAL_STREAM", "garbage", 1), 0);
	cr_assert(!log_stderr_is_journal());
	cr_assert_eq(setenv("JOURNAL_STREAM", "1:", 1), 0);
	cr_assert(!log_stderr_is_journal());
	log_init("vtest", LOG_INFO);
	log_info("plain");
	s_capture_end(out, sizeof(out));
	s_assert_plain(out, "vtest", "info: plain\n");
}

Test(log, decided_lazily_without_log_init)
{
	char out[CAPTURE_MAX];

	s_capture_start();
	s_journal_env_for_stderr();
	log_info("no init");
	s_capture_end(out, sizeof(out));
	cr_assert_str_eq(out, "<6>vantage: info: no init\n");
}

Test(log, escape_keeps_printable_and_hex_encodes_the_rest)
{
	char buf[64];

	cr_assert_str_eq(log_escape(buf, sizeof(buf), "a\r\nb\\c", 16), "a\\x0d\\x0ab\\c");
	cr_assert_str_eq(log_escape(buf, 4, "abcdef", 6), "abc");
}
