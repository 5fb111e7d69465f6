/*
 * test_keys.c -- common/keys.c: key files, modes, names, round trips.
 */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "common/keys.h"
#include "scratch.h"

static char s_dir[64];

static void s_setup(void)
{
	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-keys-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
}

static void s_teardown(void)
{
	scratch_remove(s_dir);
}

static mode_t s_mode(const char *name)
{
	char path[256];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", s_dir, name);
	cr_assert_eq(stat(path, &st), 0, "stat %s", path);
	return st.st_mode & 07777;
}

TestSuite(keys, .init = s_setup, .fini = s_teardown);

Test(keys, generate_writes_modes_and_refuses_overwrite)
{
	char err[256] = "";

	umask(0);
	cr_assert_eq(keys_generate(s_dir, "agent-1", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(s_mode("agent-1.key"), 0600);
	cr_assert_eq(s_mode("agent-1.pub"), 0644);
	cr_assert_eq(keys_generate(s_dir, "agent-1", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "refusing to overwrite"), "%s", err);
}

Test(keys, round_trip)
{
	char err[256] = "", path[256], sec[KEY_Z85_LEN + 1], pub[KEY_Z85_LEN + 1],
	     pub2[KEY_Z85_LEN + 1], lit[KEY_Z85_LEN + 1];
	uint8_t raw[32];

	cr_assert_eq(keys_generate(s_dir, "a.b_c", err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/a.b_c.key", s_dir);
	cr_assert_eq(keys_read_secret(path, sec, pub, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(strlen(sec), KEY_Z85_LEN);
	snprintf(path, sizeof(path), "%s/a.b_c.pub", s_dir);
	cr_assert_eq(keys_read_public(path, pub2, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(pub, pub2);
	cr_assert_not_null(zmq_z85_decode(raw, pub));
	/* a literal key is taken as is */
	cr_assert_eq(keys_read_public(pub, lit, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(lit, pub);
}

Test(keys, rejects_bad_names)
{
	char err[256], long_name[80];

	memset(long_name, 'x', 64);
	long_name[64] = '\0';
	cr_assert_eq(keys_valid_name(""), 0);
	cr_assert_eq(keys_valid_name(".hidden"), 0);
	cr_assert_eq(keys_valid_name("a/b"), 0);
	cr_assert_eq(keys_valid_name("a b"), 0);
	cr_assert_eq(keys_valid_name(long_name), 0);
	long_name[63] = '\0';
	cr_assert_eq(keys_valid_name(long_name), 1);
	cr_assert_eq(keys_valid_name("use1"), 1);
	cr_assert_eq(keys_generate(s_dir, "../evil", err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "invalid name"), "%s", err);
	cr_assert_eq(access("/tmp/evil.key", F_OK), -1);
}

Test(keys, rejects_group_readable_secret)
{
	char err[256] = "", path[256], sec[KEY_Z85_LEN + 1], pub[KEY_Z85_LEN + 1];

	cr_assert_eq(keys_generate(s_dir, "g", err, sizeof(err)), 0, "%s", err);
	snprintf(path, sizeof(path), "%s/g.key", s_dir);
	cr_assert_eq(chmod(path, 0640), 0);
	cr_assert_eq(keys_read_secret(path, sec, pub, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "group or others"), "%s", err);
}

Test(keys, rejects_garbage_files)
{
	char err[256] = "", path[256], pub[KEY_Z85_LEN + 1];
	FILE *f;

	snprintf(path, sizeof(path), "%s/bad.pub", s_dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs("not a key\n", f);
	fclose(f);
	cr_assert_eq(keys_read_public(path, pub, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "Z85"), "%s", err);
	snprintf(path, sizeof(path), "%s/missing.pub", s_dir);
	cr_assert_eq(keys_read_public(path, pub, err, sizeof(err)), -1);
}
