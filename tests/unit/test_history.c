/*
 * test_history.c -- coordinator/history.c: the schema and its version, one
 * transaction per run, the history query (per-vantage streaks, newest runs
 * first), pruning, API monitors, alert state, the file's mode, and that a
 * process killed while writing loses no committed run.  Everything happens
 * in a fresh directory under /tmp.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "coordinator/history.h"
#include "scratch.h"

#define T0 1795000000 /* 2026-11-18T11:06:40Z */

#define KILL_AFTER_MS   300  /* the writer runs this long before SIGKILL ... */
#define FIRST_COMMIT_MS 5000 /* ... or until its first commit, under valgrind */
#define WRITER_MAX_S    20   /* the writer stops by itself after this */

static char s_dir[64];
static char s_db[128];

static void s_setup(void)
{
	snprintf(s_dir, sizeof(s_dir), "/tmp/vt-history-XXXXXX");
	cr_assert_not_null(mkdtemp(s_dir));
	snprintf(s_db, sizeof(s_db), "%s/history.db", s_dir);
}

static void s_teardown(void)
{
	scratch_remove(s_dir);
}

TestSuite(history, .init = s_setup, .fini = s_teardown, .timeout = 30);

static struct history *s_open(void)
{
	char err[512] = "";
	struct history *h = history_open(s_db, err, sizeof(err));

	cr_assert_not_null(h, "%s", err);
	return h;
}

/* One vantage's result in a check built by s_check. */
struct r {
	const char *agent, *region, *outcome, *ptype, *pdetail;
	bool unjudged;
};

/* A report's checks[] element with these results. */
static json_t *s_check(const char *domain, const char *method, const char *verdict,
                       const struct r *rs, size_t n)
{
	json_t *results = json_array();
	json_t *c;

	for (size_t i = 0; i < n; i++) {
		json_t *problem =
		        rs[i].ptype ? json_pack("{s:s, s:s, s:s}", "type", rs[i].ptype, "detail",
		                                rs[i].pdetail, "summary", rs[i].pdetail)
		                    : json_null();
		json_t *one = json_pack(
		        "{s:s, s:s, s:s, s:b, s:s, s:b, s:s, s:i, s:o, s:[{s:s, s:s, s:s}], s:n}",
		        "agent", rs[i].agent, "region", rs[i].region, "rir", "RIPE", "primary",
		        i == 0, "outcome", rs[i].outcome, "judged", !rs[i].unjudged, "address_used",
		        "192.0.2.7", "duration_ms", 42, "problem", problem, "records", "url",
		        "http://x/.well-known/acme-challenge/t", "hostname", domain, "port", "80",
		        "cert");
		cr_assert_not_null(one);
		cr_assert_eq(json_array_append_new(results, one), 0);
	}
	c = json_pack("{s:s, s:s, s:s, s:s, s:[s], s:{s:b, s:s}, s:o}", "domain", domain, "method",
	              method, "mode", "validate", "verdict", verdict, "diagnosis",
	              "fails only from eu-west", "le_multi_perspective", "accepted", 1, "reason",
	              "fine", "results", results);
	cr_assert_not_null(c);
	return c;
}

static void s_record(struct history *h, const char *monitor, json_t *check,
                     enum monitor_state state, int64_t finished)
{
	char err[512] = "";

	cr_assert_eq(
	        history_record(h, monitor, check, state, finished - 5, finished, err, sizeof(err)),
	        0, "%s", err);
	json_decref(check);
}

/* A direct connection, for what the API does not show. */
static sqlite3 *s_raw(void)
{
	sqlite3 *db = NULL;

	cr_assert_eq(sqlite3_open_v2(s_db, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	return db;
}

static sqlite3_int64 s_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	sqlite3_int64 v;

	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* The vantage (agent, method) in a history_query document, or NULL. */
static const json_t *s_vantage(const json_t *doc, const char *agent, const char *method)
{
	const json_t *all = json_object_get(doc, "vantages");

	for (size_t i = 0; i < json_array_size(all); i++) {
		const json_t *v = json_array_get(all, i);

		if (strcmp(json_string_value(json_object_get(v, "agent")), agent) == 0 &&
		    strcmp(json_string_value(json_object_get(v, "method")), method) == 0)
			return v;
	}
	return NULL;
}

static const char *s_str(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	cr_assert(json_is_string(v), "\"%s\" is not a string", key);
	return json_string_value(v);
}

Test(history, create_and_reopen_keep_the_schema)
{
	struct history *h = s_open();
	sqlite3 *db;
	struct stat st;
	char wal[160];

	history_close(&h);
	cr_assert_null(h);
	h = s_open(); /* a second open migrates nothing */
	history_close(&h);

	db = s_raw();
	cr_assert_eq(s_int(db, "PRAGMA user_version"), HISTORY_SCHEMA_VERSION);
	cr_assert_eq(s_int(db, "PRAGMA user_version"), 1);
	cr_assert_eq(s_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name"
	                       " IN ('runs', 'results', 'monitors', 'tracks', 'alerts')"),
	             5);
	cr_assert_eq(s_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name"
	                       " IN ('runs_domain_finished', 'results_run', 'results_streak')"),
	             3);
	sqlite3_close(db);

	/* WAL stays the journal mode: it is a property of the file. */
	db = s_raw();
	{
		sqlite3_stmt *q = NULL;

		cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL),
		             SQLITE_OK);
		cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
		cr_assert_str_eq((const char *)sqlite3_column_text(q, 0), "wal");
		sqlite3_finalize(q);
	}
	sqlite3_close(db);
	cr_assert_eq(stat(s_db, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", s_db);
	if (stat(wal, &st) == 0)
		cr_assert_eq(st.st_mode & 0777, 0600);
}

Test(history, file_is_private_whatever_the_umask)
{
	mode_t old = umask(0);
	struct history *h = s_open();
	struct stat st;
	char wal[160];

	umask(old);
	cr_assert_eq(stat(s_db, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "mode %o", (unsigned)(st.st_mode & 0777));
	snprintf(wal, sizeof(wal), "%s-wal", s_db);
	cr_assert_eq(stat(wal, &st), 0, "the WAL exists while the database is open");
	cr_assert_eq(st.st_mode & 0777, 0600, "WAL mode %o", (unsigned)(st.st_mode & 0777));
	history_close(&h);
}

Test(history, newer_schema_is_refused)
{
	struct history *h = s_open();
	sqlite3 *db;
	char err[512] = "";

	history_close(&h);
	db = s_raw();
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version = 2", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	h = history_open(s_db, err, sizeof(err));
	cr_assert_null(h);
	cr_assert(strstr(err, "schema version 2 is newer") != NULL, "%s", err);
	cr_assert(strstr(err, s_db) != NULL, "the error names the file: %s", err);
	/* Refusing changed nothing. */
	db = s_raw();
	cr_assert_eq(s_int(db, "PRAGMA user_version"), 2);
	sqlite3_close(db);
}

Test(history, not_a_database_is_refused)
{
	FILE *f = fopen(s_db, "w");
	char err[512] = "";

	cr_assert_not_null(f);
	fputs("this is not an SQLite database, it is much longer than a header would be\n", f);
	for (int i = 0; i < 64; i++)
		fputs("garbage garbage garbage garbage garbage garbage garbage garbage\n", f);
	fclose(f);
	cr_assert_null(history_open(s_db, err, sizeof(err)));
	cr_assert(strstr(err, s_db) != NULL, "%s", err);
}

Test(history, missing_directory_is_an_error)
{
	char err[512] = "", path[160];

	snprintf(path, sizeof(path), "%s/no/such/dir/history.db", s_dir);
	cr_assert_null(history_open(path, err, sizeof(err)));
	cr_assert(strstr(err, path) != NULL, "%s", err);
	cr_assert(strstr(err, "No such file") != NULL, "%s", err);
}

Test(history, record_stores_the_run_and_every_result)
{
	struct history *h = s_open();
	const struct r rs[] = {
	        {"a1", "us-east", "pass", NULL, NULL, false},
	        {"a2", "eu-west", "fail", "connection", "192.0.2.7: Timeout during connect", false},
	        {"a3", "ap-south", "unavailable", NULL, NULL, false},
	};
	sqlite3 *db;
	sqlite3_stmt *st = NULL;

	s_record(h, "m1", s_check("example.com", "http-01", "fail", rs, 3), MONITOR_FAIL, T0);
	history_close(&h);
	db = s_raw();
	cr_assert_eq(s_int(db, "SELECT count(*) FROM runs"), 1);
	cr_assert_eq(s_int(db, "SELECT count(*) FROM results"), 3);
	cr_assert_eq(s_int(db, "SELECT finished FROM runs"), T0);
	cr_assert_eq(s_int(db, "SELECT started FROM runs"), T0 - 5);
	cr_assert_eq(sqlite3_prepare_v2(db,
	                                "SELECT monitor, state, verdict, diagnosis, le FROM runs",
	                                -1, &st, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "m1");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), "fail");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 2), "fail");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 3), "[\"fails only from eu-west\"]");
	cr_assert(strstr((const char *)sqlite3_column_text(st, 4), "\"accepted\":true") != NULL);
	sqlite3_finalize(st);
	cr_assert_eq(
	        sqlite3_prepare_v2(db,
	                           "SELECT outcome, state, problem_type, problem_detail,"
	                           " address, duration_ms, doc FROM results WHERE agent = 'a2'",
	                           -1, &st, NULL),
	        SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "fail");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 1), "fail");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 2), "connection");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 3),
	                 "192.0.2.7: Timeout during connect");
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 4), "192.0.2.7");
	cr_assert_eq(sqlite3_column_int(st, 5), 42);
	/* The whole result, records included, is kept. */
	cr_assert(strstr((const char *)sqlite3_column_text(st, 6),
	                 "\"url\":\"http://x/.well-known/acme-challenge/t\"") != NULL);
	sqlite3_finalize(st);
	cr_assert_eq(s_int(db, "SELECT count(*) FROM results WHERE state = 'skip'"), 1);
	sqlite3_close(db);
}

Test(history, record_is_one_transaction)
{
	struct history *h = s_open();
	const struct r rs[] = {{"a1", "us-east", "pass", NULL, NULL, false}};
	json_t *c = s_check("example.com", "http-01", "pass", rs, 1);
	char err[512] = "";
	sqlite3 *db;

	/* A second result without an agent fails after the run and the first
	 * result were inserted: nothing of the run may remain. */
	cr_assert_eq(json_array_append_new(json_object_get(c, "results"),
	                                   json_pack("{s:s}", "outcome", "pass")),
	             0);
	cr_assert_eq(history_record(h, "m1", c, MONITOR_PASS, T0 - 5, T0, err, sizeof(err)), -1);
	cr_assert(strstr(err, "no agent") != NULL, "%s", err);
	json_decref(c);
	/* and the database is usable afterwards */
	s_record(h, "m1", s_check("example.com", "http-01", "pass", rs, 1), MONITOR_PASS, T0);
	history_close(&h);
	db = s_raw();
	cr_assert_eq(s_int(db, "SELECT count(*) FROM runs"), 1);
	cr_assert_eq(s_int(db, "SELECT count(*) FROM results"), 1);
	sqlite3_close(db);

	h = s_open();
	c = json_pack("{s:s}", "method", "http-01");
	cr_assert_eq(history_record(h, "", c, MONITOR_PASS, T0, T0, err, sizeof(err)), -1);
	json_decref(c);
	history_close(&h);
}

/*
 * Four runs of example.com http-01 (100 s apart), one dns-01 run, one run
 * of another domain:
 *   a1: pass  pass  fail  fail            -> fail since T0+200
 *   a2: fail  fail  unav  pass            -> pass since T0+300
 *   a3: unav  pass  pass  unav            -> pass since T0+100, last T0+200
 *   a4: pass  -     -     -               -> not in the latest run: absent
 *   a5: pass  fail* pass  pass (* judged false) -> pass since T0
 */
static struct history *s_fixture(void)
{
	struct history *h = s_open();
	const struct r r0[] = {
	        {"a1", "us-east", "pass", NULL, NULL, false},
	        {"a2", "eu-west", "fail", "connection", "old detail", false},
	        {"a3", "ap-south", "unavailable", NULL, NULL, false},
	        {"a4", "sa-east", "pass", NULL, NULL, false},
	        {"a5", "af-south", "pass", NULL, NULL, false},
	};
	const struct r r1[] = {
	        {"a1", "us-east", "reachable", NULL, NULL, false},
	        {"a2", "eu-west", "fail", "connection", "refused", false},
	        {"a3", "ap-south", "pass", NULL, NULL, false},
	        {"a5", "af-south", "fail", "connection", "no IPv6 here", true},
	};
	const struct r r2[] = {
	        {"a1", "us-east", "fail", "dns", "NXDOMAIN looking up A", false},
	        {"a2", "eu-west", "unavailable", NULL, NULL, false},
	        {"a3", "ap-south", "pass", NULL, NULL, false},
	        {"a5", "af-south", "pass", NULL, NULL, false},
	};
	const struct r r3[] = {
	        {"a1", "us-east-2", "fail", "unauthorized", "HTTP 404", false},
	        {"a2", "eu-west", "pass", NULL, NULL, false},
	        {"a3", "ap-south", "unavailable", NULL, NULL, false},
	        {"a5", "af-south", "pass", NULL, NULL, false},
	};
	const struct r dns[] = {{"a1", "us-east", "pass", NULL, NULL, false}};

	s_record(h, "m1", s_check("example.com", "http-01", "fail", r0, 5), MONITOR_FAIL, T0);
	s_record(h, "m1", s_check("example.com", "http-01", "fail", r1, 4), MONITOR_FAIL, T0 + 100);
	s_record(h, "", s_check("example.com", "http-01", "fail", r2, 4), MONITOR_FAIL, T0 + 200);
	s_record(h, "m1", s_check("example.com", "http-01", "fail", r3, 4), MONITOR_FAIL, T0 + 300);
	s_record(h, "m1", s_check("example.com", "dns-01", "pass", dns, 1), MONITOR_PASS, T0 + 150);
	s_record(h, "m2", s_check("example.org", "http-01", "pass", dns, 1), MONITOR_PASS,
	         T0 + 400);
	return h;
}

Test(history, query_reports_each_vantage_streak)
{
	struct history *h = s_fixture();
	char err[512] = "";
	json_t *doc = history_query(h, "example.com", 0, 0, err, sizeof(err));
	const json_t *v, *p;

	cr_assert_not_null(doc, "%s", err);
	cr_assert_str_eq(s_str(doc, "domain"), "example.com");
	cr_assert_str_eq(s_str(doc, "since"), "1970-01-01T00:00:00Z");
	/* dns-01 a1; http-01 a1 a2 a3 a5 (a4 left with the old run) */
	cr_assert_eq(json_array_size(json_object_get(doc, "vantages")), 5);
	cr_assert_null(s_vantage(doc, "a4", "http-01"));
	/* methods by name, agents in the latest run's order */
	cr_assert_str_eq(s_str(json_array_get(json_object_get(doc, "vantages"), 0), "method"),
	                 "dns-01");
	cr_assert_str_eq(s_str(json_array_get(json_object_get(doc, "vantages"), 1), "agent"), "a1");
	cr_assert_str_eq(s_str(json_array_get(json_object_get(doc, "vantages"), 4), "agent"), "a5");

	v = s_vantage(doc, "a1", "http-01");
	cr_assert_not_null(v);
	cr_assert_str_eq(s_str(v, "state"), "fail");
	cr_assert_str_eq(s_str(v, "since"), "2026-11-18T11:10:00Z"); /* T0 + 200 */
	cr_assert_str_eq(s_str(v, "last_run"), "2026-11-18T11:11:40Z");
	cr_assert_str_eq(s_str(v, "region"), "us-east-2"); /* from the latest result */
	p = json_object_get(v, "problem");
	cr_assert_str_eq(s_str(p, "type"), "unauthorized"); /* the latest failure's */
	cr_assert_str_eq(s_str(p, "detail"), "HTTP 404");

	v = s_vantage(doc, "a2", "http-01");
	cr_assert_str_eq(s_str(v, "state"), "pass");
	cr_assert_str_eq(s_str(v, "since"), "2026-11-18T11:11:40Z"); /* T0 + 300 */
	cr_assert(json_is_null(json_object_get(v, "problem")));

	/* unavailable on both sides of the streak: skipped, not breaking it */
	v = s_vantage(doc, "a3", "http-01");
	cr_assert_str_eq(s_str(v, "state"), "pass");
	cr_assert_str_eq(s_str(v, "since"), "2026-11-18T11:08:20Z"); /* T0 + 100 */
	cr_assert_str_eq(s_str(v, "last_run"), "2026-11-18T11:10:00Z");

	/* a result that was not judged counts neither way */
	v = s_vantage(doc, "a5", "http-01");
	cr_assert_str_eq(s_str(v, "state"), "pass");
	cr_assert_str_eq(s_str(v, "since"), "2026-11-18T11:06:40Z"); /* T0 */

	v = s_vantage(doc, "a1", "dns-01");
	cr_assert_str_eq(s_str(v, "state"), "pass");
	cr_assert_str_eq(s_str(v, "since"), "2026-11-18T11:09:10Z"); /* T0 + 150 */
	json_decref(doc);
	history_close(&h);
}

Test(history, query_lists_runs_newest_first)
{
	struct history *h = s_fixture();
	char err[512] = "";
	json_t *doc = history_query(h, "example.com", 0, 0, err, sizeof(err));
	const json_t *runs, *run, *res;

	cr_assert_not_null(doc, "%s", err);
	runs = json_object_get(doc, "runs");
	cr_assert_eq(json_array_size(runs), 5);
	cr_assert_str_eq(s_str(json_array_get(runs, 0), "at"), "2026-11-18T11:11:40Z");
	cr_assert_str_eq(s_str(json_array_get(runs, 1), "at"), "2026-11-18T11:10:00Z");
	cr_assert_str_eq(s_str(json_array_get(runs, 2), "at"), "2026-11-18T11:09:10Z");
	cr_assert_str_eq(s_str(json_array_get(runs, 2), "method"), "dns-01");
	cr_assert_str_eq(s_str(json_array_get(runs, 4), "at"), "2026-11-18T11:06:40Z");
	run = json_array_get(runs, 1);
	cr_assert_str_eq(s_str(run, "monitor"), ""); /* the ad-hoc check */
	run = json_array_get(runs, 0);
	cr_assert_str_eq(s_str(run, "monitor"), "m1");
	cr_assert_str_eq(s_str(run, "method"), "http-01");
	cr_assert_str_eq(s_str(run, "state"), "fail");
	cr_assert_str_eq(s_str(run, "verdict"), "fail");
	cr_assert_str_eq(json_string_value(json_array_get(json_object_get(run, "diagnosis"), 0)),
	                 "fails only from eu-west");
	cr_assert_eq(json_array_size(json_object_get(run, "results")), 4);
	res = json_array_get(json_object_get(run, "results"), 0);
	cr_assert_str_eq(s_str(res, "agent"), "a1");
	cr_assert_str_eq(s_str(res, "region"), "us-east-2");
	cr_assert_str_eq(s_str(res, "outcome"), "fail");
	cr_assert_str_eq(s_str(json_object_get(res, "problem"), "type"), "unauthorized");
	res = json_array_get(json_object_get(run, "results"), 1);
	cr_assert(json_is_null(json_object_get(res, "problem")));
	json_decref(doc);

	/* limit */
	doc = history_query(h, "example.com", 0, 2, err, sizeof(err));
	cr_assert_not_null(doc, "%s", err);
	cr_assert_eq(json_array_size(json_object_get(doc, "runs")), 2);
	cr_assert_str_eq(s_str(json_array_get(json_object_get(doc, "runs"), 1), "at"),
	                 "2026-11-18T11:10:00Z");
	json_decref(doc);

	/* since: runs finished at or after it; streaks still look further back */
	doc = history_query(h, "example.com", T0 + 160, 0, err, sizeof(err));
	cr_assert_not_null(doc, "%s", err);
	cr_assert_str_eq(s_str(doc, "since"), "2026-11-18T11:09:20Z");
	cr_assert_eq(json_array_size(json_object_get(doc, "runs")), 2);
	cr_assert_null(s_vantage(doc, "a1", "dns-01"), "no dns-01 run since then");
	cr_assert_str_eq(s_str(s_vantage(doc, "a5", "http-01"), "since"), "2026-11-18T11:06:40Z");
	json_decref(doc);

	/* another domain; an unknown one */
	doc = history_query(h, "example.org", 0, 0, err, sizeof(err));
	cr_assert_eq(json_array_size(json_object_get(doc, "runs")), 1);
	cr_assert_eq(json_array_size(json_object_get(doc, "vantages")), 1);
	json_decref(doc);
	doc = history_query(h, "nothing.example", 0, 0, err, sizeof(err));
	cr_assert_not_null(doc, "%s", err);
	cr_assert_eq(json_array_size(json_object_get(doc, "runs")), 0);
	cr_assert_eq(json_array_size(json_object_get(doc, "vantages")), 0);
	json_decref(doc);
	history_close(&h);
}

Test(history, prune_cascades_to_results)
{
	struct history *h = s_fixture();
	json_t *payload = json_pack("{s:s}", "kind", "failure");
	sqlite3 *db;

	cr_assert_eq(history_alert_log(h, "failure", payload, T0 + 10), 0);
	cr_assert_eq(history_alert_log(h, "recovery", payload, T0 + 500), 0);
	json_decref(payload);
	/* T0 and T0+100 (http-01) go; T0+150 (dns-01) and later stay */
	cr_assert_eq(history_prune(h, T0 + 150), 2);
	cr_assert_eq(history_prune(h, T0 + 150), 0);
	history_close(&h);
	db = s_raw();
	cr_assert_eq(s_int(db, "SELECT count(*) FROM runs"), 4);
	cr_assert_eq(s_int(db, "SELECT min(finished) FROM runs"), T0 + 150);
	/* 4 + 4 + 1 + 1 results remain; none without its run */
	cr_assert_eq(s_int(db, "SELECT count(*) FROM results"), 10);
	cr_assert_eq(s_int(db, "SELECT count(*) FROM results WHERE run_id NOT IN"
	                       " (SELECT id FROM runs)"),
	             0);
	cr_assert_eq(s_int(db, "SELECT count(*) FROM alerts"), 1);
	sqlite3_close(db);
}

static void s_spec(const char *text, struct monitor_spec *m)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	char err[512] = "";

	cr_assert_not_null(o, "%s", je.text);
	cr_assert_eq(monitor_spec_from_json(o, m, err, sizeof(err)), 0, "%s", err);
	json_decref(o);
}

Test(history, monitors_round_trip)
{
	static struct monitor_spec a, b, out[MONITOR_MAX];
	struct history *h = s_open();
	char err[512] = "";
	size_t n = 99;

	cr_assert_eq(history_monitor_list(h, out, MONITOR_MAX, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 0);
	s_spec("{\"name\": \"shop\", \"domains\": [\"shop.example\", \"www.shop.example\"],"
	       " \"methods\": [\"http-01\", \"tls-cert\"], \"caa\": true, \"interval_s\": 60,"
	       " \"regions\": [\"eu-west\"], \"policy\": \"letsencrypt\"}",
	       &a);
	s_spec("{\"name\": \"blog\", \"domains\": [\"blog.example\"]}", &b);
	cr_assert_eq(history_monitor_put(h, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(history_monitor_put(h, &b, err, sizeof(err)), 0, "%s", err);
	history_close(&h);

	h = s_open();
	cr_assert_eq(history_monitor_list(h, out, MONITOR_MAX, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(out[0].name, "shop"); /* oldest first */
	cr_assert(out[0].from_api && out[1].from_api);
	cr_assert_eq(out[0].n_domains, 2);
	cr_assert_str_eq(out[0].domains[1], "www.shop.example");
	cr_assert_eq(out[0].n_methods, 2);
	cr_assert_eq(out[0].methods[1], VT_METHOD_TLSCERT);
	cr_assert(out[0].caa);
	cr_assert_eq(out[0].interval_s, 60);
	cr_assert_eq(out[0].n_regions, 1);
	cr_assert_str_eq(out[0].regions[0], "eu-west");
	cr_assert_eq(out[0].policy, MONITOR_POLICY_LE);
	cr_assert_str_eq(out[1].name, "blog");

	/* put again replaces; max is enforced */
	a.interval_s = 120;
	cr_assert_eq(history_monitor_put(h, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(history_monitor_list(h, out, 1, &n, err, sizeof(err)), -1);
	cr_assert(strstr(err, "more than 1") != NULL, "%s", err);
	cr_assert_eq(history_monitor_delete(h, "blog"), 0);
	cr_assert_eq(history_monitor_delete(h, "blog"), 0); /* gone already: fine */
	cr_assert_eq(history_monitor_list(h, out, MONITOR_MAX, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(out[0].name, "shop");
	cr_assert_eq(out[0].interval_s, 120);
	history_close(&h);
}

Test(history, invalid_stored_monitor_is_skipped)
{
	static struct monitor_spec b, out[MONITOR_MAX];
	struct history *h = s_open();
	char err[512] = "";
	size_t n = 0;
	sqlite3 *db;

	s_spec("{\"name\": \"blog\", \"domains\": [\"blog.example\"]}", &b);
	cr_assert_eq(history_monitor_put(h, &b, err, sizeof(err)), 0, "%s", err);
	db = s_raw();
	cr_assert_eq(sqlite3_exec(db,
	                          "INSERT INTO monitors VALUES ('bad', '{\"name\": \"bad\"}', 0);"
	                          "INSERT INTO monitors VALUES ('junk', 'not json', 0)",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(history_monitor_list(h, out, MONITOR_MAX, &n, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(out[0].name, "blog");
	history_close(&h);
}

Test(history, track_save_and_load)
{
	struct history *h = s_open();
	struct monitor_track t = {.state = MONITOR_FAIL,
	                          .last = MONITOR_PASS,
	                          .consecutive_fail = 0,
	                          .consecutive_pass = 1,
	                          .since = T0,
	                          .last_run = T0 + 60};
	struct monitor_track got;

	memset(&got, 0xff, sizeof(got));
	cr_assert_eq(history_track_load(h, "m1", "example.com", "http-01", &got), 0);
	cr_assert_eq(got.state, MONITOR_UNKNOWN);
	cr_assert_eq(got.since, 0);
	cr_assert_eq(got.consecutive_fail, 0);
	cr_assert_eq(history_track_save(h, "m1", "example.com", "http-01", &t), 0);
	t.consecutive_pass = 2;
	t.last_run = T0 + 120;
	cr_assert_eq(history_track_save(h, "m1", "example.com", "http-01", &t), 0);
	t.state = MONITOR_PASS;
	cr_assert_eq(history_track_save(h, "m1", "example.com", "dns-01", &t), 0);
	history_close(&h);

	h = s_open();
	cr_assert_eq(history_track_load(h, "m1", "example.com", "http-01", &got), 0);
	cr_assert_eq(got.state, MONITOR_FAIL);
	cr_assert_eq(got.last, MONITOR_PASS);
	cr_assert_eq(got.consecutive_fail, 0);
	cr_assert_eq(got.consecutive_pass, 2);
	cr_assert_eq(got.since, T0);
	cr_assert_eq(got.last_run, T0 + 120);
	cr_assert_eq(history_track_load(h, "m1", "example.com", "dns-01", &got), 0);
	cr_assert_eq(got.state, MONITOR_PASS);
	cr_assert_eq(history_track_load(h, "m2", "example.com", "http-01", &got), 0);
	cr_assert_eq(got.state, MONITOR_UNKNOWN);
	cr_assert_eq(got.last_run, 0);
	history_close(&h);
}

Test(history, alert_log_keeps_the_payload)
{
	struct history *h = s_open();
	json_t *p = json_pack("{s:s, s:s, s:[s]}", "kind", "failure", "domain", "example.com",
	                      "failing", "a1");
	sqlite3 *db;
	sqlite3_stmt *st = NULL;

	cr_assert_eq(history_alert_log(h, "failure", p, T0), 0);
	json_decref(p);
	history_close(&h);
	db = s_raw();
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT kind, at, payload FROM alerts", -1, &st, NULL),
	             SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "failure");
	cr_assert_eq(sqlite3_column_int64(st, 1), T0);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 2),
	                 "{\"kind\":\"failure\",\"domain\":\"example.com\",\"failing\":[\"a1\"]}");
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static uint64_t s_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The writer: records runs as fast as it can, and after each commit writes
 * the number committed so far to fd.  Runs until killed (or WRITER_MAX_S). */
static void s_writer(int fd)
{
	const struct r rs[] = {
	        {"a1", "us-east", "pass", NULL, NULL, false},
	        {"a2", "eu-west", "fail", "connection", "Timeout during connect", false},
	        {"a3", "ap-south", "unavailable", NULL, NULL, false},
	};
	char err[512];
	struct history *h = history_open(s_db, err, sizeof(err));
	uint64_t end = s_ms() + WRITER_MAX_S * 1000u;

	if (h == NULL)
		_exit(2);
	for (uint32_t n = 1; s_ms() < end; n++) {
		json_t *c = s_check("example.com", "http-01", "fail", rs, 3);

		if (c == NULL ||
		    history_record(h, "m1", c, MONITOR_FAIL, T0 + n, T0 + n, err, sizeof(err)) != 0)
			_exit(3);
		json_decref(c);
		if (write(fd, &n, sizeof(n)) != (ssize_t)sizeof(n))
			_exit(4);
	}
	_exit(0);
}

Test(history, killed_writer_loses_no_committed_run)
{
	int p[2], status = 0;
	uint32_t last = 0, v;
	uint64_t start, stop_at;
	pid_t pid;
	struct history *h;
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	ssize_t r;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		close(p[0]);
		s_writer(p[1]);
	}
	close(p[1]);
	start = s_ms();
	stop_at = start + KILL_AFTER_MS;
	/* read counts until KILL_AFTER_MS (and at least one commit, within
	 * FIRST_COMMIT_MS), then kill the writer in the middle of its work */
	while (s_ms() < stop_at || (last == 0 && s_ms() < start + FIRST_COMMIT_MS)) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};

		if (poll(&pfd, 1, 10) > 0) {
			r = read(p[0], &v, sizeof(v));
			if (r == (ssize_t)sizeof(v))
				last = v;
			else if (r == 0)
				break; /* the writer died */
		}
	}
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	          "the writer exited by itself (status %d)", status);
	/* counts written just before the kill were committed too */
	while ((r = read(p[0], &v, sizeof(v))) == (ssize_t)sizeof(v))
		last = v;
	close(p[0]);
	cr_assert_gt(last, 0, "the writer committed nothing");

	db = s_raw();
	cr_assert_eq(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
	cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	cr_assert_geq(s_int(db, "SELECT count(*) FROM runs"), (sqlite3_int64)last);
	/* every run that is there is whole */
	cr_assert_eq(s_int(db, "SELECT count(*) FROM results"),
	             3 * s_int(db, "SELECT count(*) FROM runs"));
	sqlite3_close(db);

	h = s_open(); /* and the coordinator opens it again */
	history_close(&h);
}
