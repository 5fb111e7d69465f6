/*
 * history.c -- the history database (see history.h), on SQLite.
 *
 * Why SQLite: one file an operator can copy and query with sqlite3(1),
 * transactions that survive a crash, and indexes for the two questions asked
 * of it ("the latest runs of this domain", "since when has this vantage
 * failed") without keeping history in memory.
 *
 * Durability: WAL with synchronous=NORMAL.  A transaction is committed once
 * its frames are written to the WAL (not yet fsynced), so a coordinator
 * killed at any moment (SIGKILL, the OOM killer) keeps every committed run,
 * and the next open replays the WAL.  Only an operating-system crash or a
 * power cut can lose the last few transactions, never corrupt the file;
 * synchronous=FULL would fsync every run for a log that tolerates that.
 *
 * Every statement is prepared once in history_open and takes its data as
 * bound parameters; no SQL text is ever built from data.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "history.h"
#include "../common/log.h"

#define HISTORY_TIME_LEN    32 /* "2026-11-24T13:00:00Z" and a NUL, with room */
#define HISTORY_PRAGMA_LEN  64 /* "PRAGMA user_version = N" */
#define HISTORY_FILE_MODE   0600
#define HISTORY_MAX_RESULTS LIMIT_AGENTS /* results in one check: one per agent */
#define HISTORY_METHOD_LEN  16           /* "tls-alpn-01" is 11 */

/* A result's standing in a vantage's streak (results.state). */
#define HS_PASS "pass"
#define HS_FAIL "fail"
#define HS_SKIP "skip" /* unavailable, or not judged: counts neither way */

/*
 * The schema, one migration per version: s_migrations[v] takes a database
 * from user_version v to v + 1.  Never edit a released entry; append.
 *
 * results repeats its run's domain, method and finished so that a vantage's
 * streak is two index seeks (results_streak), not a scan of its history.
 */
static const char *const s_migrations[] = {
        /* 0 -> 1 */
        "CREATE TABLE runs ("
        " id INTEGER PRIMARY KEY,"
        " monitor TEXT NOT NULL," /* "" for an ad-hoc check */
        " domain TEXT NOT NULL,"
        " method TEXT NOT NULL,"
        " state TEXT NOT NULL," /* unknown|pass|fail under the monitor's policy */
        " verdict TEXT NOT NULL,"
        " started INTEGER NOT NULL,"
        " finished INTEGER NOT NULL,"
        " diagnosis TEXT NOT NULL," /* JSON array of strings */
        " le TEXT"                  /* le_multi_perspective JSON, or NULL */
        ");"
        "CREATE INDEX runs_domain_finished ON runs(domain, finished);"
        "CREATE INDEX runs_domain_method_finished ON runs(domain, method, finished);"
        "CREATE INDEX runs_finished ON runs(finished);"
        "CREATE TABLE results ("
        " id INTEGER PRIMARY KEY,"
        " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
        " domain TEXT NOT NULL,"
        " method TEXT NOT NULL,"
        " finished INTEGER NOT NULL,"
        " agent TEXT NOT NULL,"
        " region TEXT NOT NULL,"
        " rir TEXT NOT NULL,"
        " outcome TEXT NOT NULL,"
        " state TEXT NOT NULL," /* pass|fail|skip */
        " problem_type TEXT,"
        " problem_detail TEXT,"
        " address TEXT,"
        " duration_ms INTEGER,"
        " cert_not_after INTEGER,"
        " cert_sha256 TEXT,"
        " doc TEXT NOT NULL" /* the whole result object, records included */
        ");"
        "CREATE INDEX results_run ON results(run_id);"
        "CREATE INDEX results_streak ON results(domain, method, agent, state, finished);"
        "CREATE TABLE monitors ("
        " name TEXT PRIMARY KEY,"
        " spec TEXT NOT NULL," /* monitor_spec_json() */
        " created INTEGER NOT NULL"
        ");"
        "CREATE TABLE tracks ("
        " monitor TEXT NOT NULL,"
        " domain TEXT NOT NULL,"
        " method TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " last TEXT NOT NULL,"
        " consecutive_fail INTEGER NOT NULL,"
        " consecutive_pass INTEGER NOT NULL,"
        " since INTEGER NOT NULL,"
        " last_run INTEGER NOT NULL,"
        " PRIMARY KEY (monitor, domain, method)"
        ");"
        "CREATE TABLE alerts ("
        " id INTEGER PRIMARY KEY,"
        " kind TEXT NOT NULL,"
        " at INTEGER NOT NULL,"
        " payload TEXT NOT NULL"
        ");"
        "CREATE INDEX alerts_at ON alerts(at);",
};
_Static_assert(sizeof(s_migrations) / sizeof(s_migrations[0]) == HISTORY_SCHEMA_VERSION,
               "one migration per schema version");

enum hs_stmt {
	ST_BEGIN_READ,
	ST_BEGIN_WRITE,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_RUN_INSERT,
	ST_RESULT_INSERT,
	ST_RUNS_OF_DOMAIN,
	ST_RESULTS_OF_RUN,
	ST_METHODS_OF_DOMAIN,
	ST_LATEST_RUN,
	ST_AGENTS_OF_RUN,
	ST_VANTAGE_LATEST,
	ST_VANTAGE_STREAK,
	ST_PRUNE_RUNS,
	ST_PRUNE_ALERTS,
	ST_MONITOR_PUT,
	ST_MONITOR_DELETE,
	ST_MONITOR_LIST,
	ST_TRACK_LOAD,
	ST_TRACK_SAVE,
	ST_ALERT_INSERT,
	ST_COUNT
};

static const char *const s_sql[ST_COUNT] = {
        [ST_BEGIN_READ] = "BEGIN",
        /* IMMEDIATE takes the write lock now, so a busy database fails at
         * BEGIN (after busy_timeout), never halfway through a run. */
        [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
        [ST_COMMIT] = "COMMIT",
        [ST_ROLLBACK] = "ROLLBACK",
        [ST_RUN_INSERT] = "INSERT INTO runs (monitor, domain, method, state, verdict, started,"
                          " finished, diagnosis, le) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [ST_RESULT_INSERT] =
                "INSERT INTO results (run_id, domain, method, finished, agent, region, rir,"
                " outcome, state, problem_type, problem_detail, address, duration_ms,"
                " cert_not_after, cert_sha256, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                " ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        [ST_RUNS_OF_DOMAIN] = "SELECT id, monitor, method, state, verdict, diagnosis, finished"
                              " FROM runs WHERE domain = ?1 AND finished >= ?2"
                              " ORDER BY finished DESC, id DESC LIMIT ?3",
        [ST_RESULTS_OF_RUN] = "SELECT agent, region, outcome, problem_type, problem_detail"
                              " FROM results WHERE run_id = ?1 ORDER BY id",
        [ST_METHODS_OF_DOMAIN] = "SELECT DISTINCT method FROM runs WHERE domain = ?1"
                                 " AND finished >= ?2 ORDER BY method LIMIT ?3",
        [ST_LATEST_RUN] = "SELECT id FROM runs WHERE domain = ?1 AND method = ?2"
                          " ORDER BY finished DESC, id DESC LIMIT 1",
        [ST_AGENTS_OF_RUN] = "SELECT agent FROM results WHERE run_id = ?1 ORDER BY id",
        [ST_VANTAGE_LATEST] = "SELECT id, finished, region, problem_type, problem_detail"
                              " FROM results WHERE domain = ?1 AND method = ?2 AND agent = ?3"
                              " AND state = ?4 ORDER BY finished DESC, id DESC LIMIT 1",
        /* The first result of the streak: the earliest with this state after
         * the latest with the other one (?5, ?6: its finished and id). */
        [ST_VANTAGE_STREAK] = "SELECT finished FROM results WHERE domain = ?1 AND method = ?2"
                              " AND agent = ?3 AND state = ?4 AND finished >= ?5"
                              " AND (finished > ?5 OR id > ?6) ORDER BY finished, id LIMIT 1",
        [ST_PRUNE_RUNS] = "DELETE FROM runs WHERE finished < ?1",
        [ST_PRUNE_ALERTS] = "DELETE FROM alerts WHERE at < ?1",
        [ST_MONITOR_PUT] = "INSERT INTO monitors (name, spec, created) VALUES (?1, ?2, ?3)"
                           " ON CONFLICT (name) DO UPDATE SET spec = excluded.spec",
        [ST_MONITOR_DELETE] = "DELETE FROM monitors WHERE name = ?1",
        [ST_MONITOR_LIST] = "SELECT name, spec FROM monitors ORDER BY created, rowid",
        [ST_TRACK_LOAD] = "SELECT state, last, consecutive_fail, consecutive_pass, since, last_run"
                          " FROM tracks WHERE monitor = ?1 AND domain = ?2 AND method = ?3",
        [ST_TRACK_SAVE] = "INSERT OR REPLACE INTO tracks (monitor, domain, method, state, last,"
                          " consecutive_fail, consecutive_pass, since, last_run)"
                          " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        [ST_ALERT_INSERT] = "INSERT INTO alerts (kind, at, payload) VALUES (?1, ?2, ?3)",
};

struct history {
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	char path[PATH_MAX];
};

/* One (method, agent) whose streak history_query reports. */
struct hs_key {
	char method[HISTORY_METHOD_LEN + 1];
	char agent[LIMIT_AGENT_NAME_LEN + 1];
};

/* ---- small helpers ---- */

static void s_rfc3339(int64_t t, char buf[HISTORY_TIME_LEN])
{
	if (vt_time_rfc3339(t, buf, HISTORY_TIME_LEN) != 0)
		snprintf(buf, HISTORY_TIME_LEN, "%s", "1970-01-01T00:00:00Z");
}

static const char *s_state_name(enum monitor_state s)
{
	switch (s) {
	case MONITOR_PASS:
		return "pass";
	case MONITOR_FAIL:
		return "fail";
	case MONITOR_UNKNOWN:
		break;
	}
	return "unknown";
}

static enum monitor_state s_state_parse(const unsigned char *text)
{
	if (text != NULL && strcmp((const char *)text, "pass") == 0)
		return MONITOR_PASS;
	if (text != NULL && strcmp((const char *)text, "fail") == 0)
		return MONITOR_FAIL;
	return MONITOR_UNKNOWN;
}

static const char *s_jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Copy src into dst (size len) if it fits.  true, or false (dst empty). */
static bool s_copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	dst[0] = '\0';
	if (n >= len)
		return false;
	memcpy(dst, src ? src : "", n + 1);
	return true;
}

/* A text column, or NULL for SQL NULL. */
static const char *s_col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static int s_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		return sqlite3_bind_null(st, i);
	return sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Make st ready for its next use (and drop pointers to the caller's data). */
static void s_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* "PATH: what: SQLite's message" into err. */
static void s_dberr(const struct history *h, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
}

/* Run a statement that returns no rows (BEGIN, COMMIT, ...).  0 or -1. */
static int s_exec(struct history *h, enum hs_stmt i)
{
	int rc = sqlite3_step(h->st[i]);

	s_done(h->st[i]);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Undo the open transaction, if any (after an error; its own error is
 * secondary and only logged). */
static void s_rollback(struct history *h)
{
	if (sqlite3_get_autocommit(h->db) == 0 && s_exec(h, ST_ROLLBACK) != 0)
		log_err("%s: rollback failed: %s", h->path, sqlite3_errmsg(h->db));
}

/* ---- open, migrate, close ---- */

/* Create path with mode 0600 if it is missing, so the database, and the WAL
 * and shared-memory files SQLite gives the database's mode, are private
 * whatever the umask.  0, or -1 with err. */
static int s_create_private(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, HISTORY_FILE_MODE);

	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	if (fchmod(fd, HISTORY_FILE_MODE) != 0) {
		snprintf(err, errlen, "cannot chmod %s: %s", path, strerror(errno));
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

/* PRAGMA user_version into *v.  0, or -1 with err. */
static int s_user_version(struct history *h, int *v, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	int rc = -1;

	if (sqlite3_prepare_v2(h->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		s_dberr(h, err, errlen, "cannot read the schema version");
		goto out;
	}
	*v = sqlite3_column_int(st, 0);
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

/*
 * Bring the schema to HISTORY_SCHEMA_VERSION: each missing migration in its
 * own write transaction (the version is read again inside it, so two
 * processes opening one new file cannot both migrate).  A database written
 * by a newer vantage is refused: this build would misread it.  0, or -1.
 */
static int s_migrate(struct history *h, char *err, size_t errlen)
{
	char pragma[HISTORY_PRAGMA_LEN];
	int v = 0;

	for (int step = 0; step <= HISTORY_SCHEMA_VERSION; step++) {
		if (sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
			s_dberr(h, err, errlen, "cannot lock the database");
			return -1;
		}
		if (s_user_version(h, &v, err, errlen) != 0)
			goto fail;
		if (v > HISTORY_SCHEMA_VERSION) {
			snprintf(err, errlen,
			         "%s: schema version %d is newer than this vantage's (%d): it was "
			         "written by a newer release; upgrade vantage or use another "
			         "database",
			         h->path, v, HISTORY_SCHEMA_VERSION);
			goto fail;
		}
		if (v < 0) {
			snprintf(err, errlen, "%s: invalid schema version %d", h->path, v);
			goto fail;
		}
		if (v == HISTORY_SCHEMA_VERSION)
			break;
		/* The version is an integer of ours, not data: PRAGMA takes no
		 * bound parameters. */
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (sqlite3_exec(h->db, s_migrations[v], NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(h->db, pragma, NULL, NULL, NULL) != SQLITE_OK) {
			char what[HISTORY_PRAGMA_LEN];

			snprintf(what, sizeof(what), "schema migration to version %d", v + 1);
			s_dberr(h, err, errlen, what);
			goto fail;
		}
		if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			s_dberr(h, err, errlen, "cannot commit the schema migration");
			goto fail;
		}
		if (v == 0)
			log_info("%s: created (schema version %d)", h->path, v + 1);
		else
			log_info("%s: schema migrated to version %d", h->path, v + 1);
	}
	if (sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		s_dberr(h, err, errlen, "cannot commit");
		goto fail;
	}
	return 0;
fail:
	if (sqlite3_get_autocommit(h->db) == 0)
		sqlite3_exec(h->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* Switch to WAL and check it took: it does not on a file system without
 * shared memory, and rollback journaling would then quietly take over. */
static int s_wal(struct history *h, char *err, size_t errlen)
{
	sqlite3_stmt *st = NULL;
	const char *mode;
	int rc = -1;

	if (sqlite3_prepare_v2(h->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		s_dberr(h, err, errlen, "cannot enable WAL");
		goto out;
	}
	mode = s_col(st, 0);
	if (mode == NULL || strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "%s: cannot enable WAL (journal mode is %s)", h->path,
		         mode ? mode : "unknown");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	return rc;
}

struct history *history_open(const char *path, char *err, size_t errlen)
{
	struct history *h = calloc(1, sizeof(*h));
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;

	if (h == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (path == NULL || path[0] == '\0' ||
	    (size_t)snprintf(h->path, sizeof(h->path), "%s", path) >= sizeof(h->path)) {
		snprintf(err, errlen, "history database: empty path or path too long");
		goto fail;
	}
	if (s_create_private(path, err, errlen) != 0)
		goto fail;
	if (sqlite3_open_v2(path, &h->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		         h->db ? sqlite3_errmsg(h->db) : "out of memory");
		goto fail;
	}
	sqlite3_extended_result_codes(h->db, 1);
	if (sqlite3_busy_timeout(h->db, HISTORY_BUSY_TIMEOUT_MS) != SQLITE_OK)
		goto dberr;
	/* foreign_keys: results go with their run (ON DELETE CASCADE). */
	if (sqlite3_exec(h->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	if (s_wal(h, err, errlen) != 0)
		goto fail;
	/* NORMAL under WAL: committed runs survive a killed process; see the
	 * top of this file for what only an OS crash can lose. */
	if (sqlite3_exec(h->db, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) != SQLITE_OK)
		goto dberr;
	if (s_migrate(h, err, errlen) != 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(h->db, s_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &h->st[i],
		                       NULL) != SQLITE_OK) {
			s_dberr(h, err, errlen, "cannot prepare a statement (schema damaged?)");
			goto fail;
		}
	}
	return h;
dberr:
	s_dberr(h, err, errlen, "cannot configure the database");
fail:
	history_close(&h);
	return NULL;
}

void history_close(struct history **hp)
{
	struct history *h;

	if (hp == NULL || *hp == NULL)
		return;
	h = *hp;
	*hp = NULL;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(h->st[i]);
	if (h->db != NULL) {
		/* Keeps the query planner's statistics fresh; cheap when
		 * nothing changed. */
		sqlite3_exec(h->db, "PRAGMA optimize", NULL, NULL, NULL);
		if (sqlite3_close(h->db) != SQLITE_OK)
			log_err("%s: close: %s", h->path, sqlite3_errmsg(h->db));
	}
	free(h);
}

/* ---- recording a run ---- */

/* The streak state of one result: a vantage that did not answer, or was not
 * judged (no IPv6 facing an IPv6-only name), counts neither way. */
static const char *s_result_state(const json_t *r)
{
	const char *outcome = s_jstr(r, "outcome");

	if (json_is_false(json_object_get(r, "judged")) || outcome == NULL)
		return HS_SKIP;
	if (strcmp(outcome, "pass") == 0 || strcmp(outcome, "reachable") == 0)
		return HS_PASS;
	if (strcmp(outcome, "fail") == 0)
		return HS_FAIL;
	return HS_SKIP;
}

/* Insert one element of check.results[] for run run_id.  0, or -1 with err. */
static int s_insert_result(struct history *h, sqlite3_int64 run_id, const char *domain,
                           const char *method, int64_t finished, const json_t *r, char *err,
                           size_t errlen)
{
	sqlite3_stmt *st = h->st[ST_RESULT_INSERT];
	const json_t *problem = json_object_get(r, "problem");
	const json_t *cert = json_object_get(r, "cert");
	const json_t *v;
	const char *agent = s_jstr(r, "agent"), *outcome = s_jstr(r, "outcome");
	char *doc = NULL;
	int rc = -1;

	if (!json_is_object(r) || agent == NULL || outcome == NULL) {
		snprintf(err, errlen, "%s: a result of %s %s has no agent or outcome", h->path,
		         domain, method);
		return -1;
	}
	doc = json_dumps(r, JSON_COMPACT);
	if (doc == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sqlite3_bind_int64(st, 1, run_id);
	s_bind_text(st, 2, domain);
	s_bind_text(st, 3, method);
	sqlite3_bind_int64(st, 4, finished);
	s_bind_text(st, 5, agent);
	s_bind_text(st, 6, s_jstr(r, "region") ? s_jstr(r, "region") : "");
	s_bind_text(st, 7, s_jstr(r, "rir") ? s_jstr(r, "rir") : "");
	s_bind_text(st, 8, outcome);
	s_bind_text(st, 9, s_result_state(r));
	s_bind_text(st, 10, s_jstr(problem, "type"));
	s_bind_text(st, 11, s_jstr(problem, "detail"));
	s_bind_text(st, 12, s_jstr(r, "address_used"));
	v = json_object_get(r, "duration_ms");
	if (json_is_integer(v))
		sqlite3_bind_int64(st, 13, json_integer_value(v));
	v = json_object_get(cert, "not_after_unix");
	if (json_is_integer(v))
		sqlite3_bind_int64(st, 14, json_integer_value(v));
	s_bind_text(st, 15, s_jstr(cert, "sha256"));
	s_bind_text(st, 16, doc);
	if (sqlite3_step(st) != SQLITE_DONE)
		s_dberr(h, err, errlen, "cannot insert a result");
	else
		rc = 0;
	s_done(st);
	free(doc);
	return rc;
}

int history_record(struct history *h, const char *monitor, const json_t *check,
                   enum monitor_state state, int64_t started, int64_t finished, char *err,
                   size_t errlen)
{
	const char *domain = s_jstr(check, "domain"), *method = s_jstr(check, "method");
	const char *verdict = s_jstr(check, "verdict");
	const json_t *diagnosis = json_object_get(check, "diagnosis");
	const json_t *le = json_object_get(check, "le_multi_perspective");
	const json_t *results = json_object_get(check, "results");
	sqlite3_stmt *st = h->st[ST_RUN_INSERT];
	char *diag_text = NULL, *le_text = NULL;
	sqlite3_int64 run_id;
	size_t i;
	int rc = -1, step;

	if (domain == NULL || method == NULL || (results != NULL && !json_is_array(results)) ||
	    (diagnosis != NULL && !json_is_array(diagnosis))) {
		snprintf(err, errlen,
		         "%s: a check without domain or method, or with malformed "
		         "results or diagnosis, cannot be recorded",
		         h->path);
		return -1;
	}
	if (strlen(method) > HISTORY_METHOD_LEN) {
		snprintf(err, errlen, "%s: method name too long in a check of %s", h->path, domain);
		return -1;
	}
	if (json_array_size(results) > HISTORY_MAX_RESULTS) {
		snprintf(err, errlen, "%s: %s %s has %zu results (at most %d are recorded)",
		         h->path, domain, method, json_array_size(results), HISTORY_MAX_RESULTS);
		return -1;
	}
	diag_text = diagnosis ? json_dumps(diagnosis, JSON_COMPACT) : strdup("[]");
	le_text = json_is_object(le) ? json_dumps(le, JSON_COMPACT) : NULL;
	if (diag_text == NULL || (json_is_object(le) && le_text == NULL)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (s_exec(h, ST_BEGIN_WRITE) != 0) {
		s_dberr(h, err, errlen, "cannot begin a transaction");
		goto out;
	}
	s_bind_text(st, 1, monitor ? monitor : "");
	s_bind_text(st, 2, domain);
	s_bind_text(st, 3, method);
	s_bind_text(st, 4, s_state_name(state));
	s_bind_text(st, 5, verdict ? verdict : "unknown");
	sqlite3_bind_int64(st, 6, started);
	sqlite3_bind_int64(st, 7, finished);
	s_bind_text(st, 8, diag_text);
	s_bind_text(st, 9, le_text);
	step = sqlite3_step(st);
	s_done(st);
	if (step != SQLITE_DONE) {
		s_dberr(h, err, errlen, "cannot insert a run");
		goto out;
	}
	run_id = sqlite3_last_insert_rowid(h->db);
	for (i = 0; i < json_array_size(results); i++) /* <= HISTORY_MAX_RESULTS */
		if (s_insert_result(h, run_id, domain, method, finished, json_array_get(results, i),
		                    err, errlen) != 0)
			goto out;
	if (s_exec(h, ST_COMMIT) != 0) {
		s_dberr(h, err, errlen, "cannot commit a run");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0)
		s_rollback(h);
	free(diag_text);
	free(le_text);
	return rc;
}

/* ---- querying ---- */

/* {"type","detail"} from two columns, or JSON null when there is no type. */
static json_t *s_problem(sqlite3_stmt *st, int type_col, int detail_col)
{
	const char *type = s_col(st, type_col), *detail = s_col(st, detail_col);

	if (type == NULL)
		return json_null();
	return json_pack("{s:s, s:s}", "type", type, "detail", detail ? detail : "");
}

/* The runs of domain since `since`, newest first, at most limit, each with
 * its results summarised.  NULL with err. */
static json_t *s_query_runs(struct history *h, const char *domain, int64_t since, size_t limit,
                            char *err, size_t errlen)
{
	sqlite3_stmt *st = h->st[ST_RUNS_OF_DOMAIN], *rs = h->st[ST_RESULTS_OF_RUN];
	json_t *runs = json_array(), *run = NULL, *results = NULL, *diag;
	char at[HISTORY_TIME_LEN];
	int step;

	if (runs == NULL)
		goto nomem;
	s_bind_text(st, 1, domain);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) { /* bounded by LIMIT */
		const char *diag_text = s_col(st, 5);

		diag = diag_text ? json_loads(diag_text, 0, NULL) : NULL;
		if (!json_is_array(diag)) {
			json_decref(diag);
			diag = json_array();
		}
		s_rfc3339(sqlite3_column_int64(st, 6), at);
		results = json_array();
		run = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:O}", "at", at, "monitor",
		                s_col(st, 1) ? s_col(st, 1) : "", "method",
		                s_col(st, 2) ? s_col(st, 2) : "", "state",
		                s_col(st, 3) ? s_col(st, 3) : "unknown", "verdict",
		                s_col(st, 4) ? s_col(st, 4) : "unknown", "diagnosis", diag,
		                "results", results);
		if (run == NULL || results == NULL)
			goto nomem;
		sqlite3_bind_int64(rs, 1, sqlite3_column_int64(st, 0));
		while ((step = sqlite3_step(rs)) == SQLITE_ROW) { /* <= HISTORY_MAX_RESULTS */
			json_t *one = json_pack(
			        "{s:s, s:s, s:s, s:o}", "agent", s_col(rs, 0) ? s_col(rs, 0) : "",
			        "region", s_col(rs, 1) ? s_col(rs, 1) : "", "outcome",
			        s_col(rs, 2) ? s_col(rs, 2) : "", "problem", s_problem(rs, 3, 4));

			if (one == NULL || json_array_append_new(results, one) != 0)
				goto nomem;
		}
		s_done(rs);
		if (step != SQLITE_DONE)
			goto dberr;
		json_decref(results);
		results = NULL;
		if (json_array_append_new(runs, run) != 0) {
			run = NULL;
			goto nomem;
		}
		run = NULL;
	}
	s_done(st);
	if (step != SQLITE_DONE)
		goto dberr;
	return runs;
nomem:
	snprintf(err, errlen, "out of memory");
	goto fail;
dberr:
	s_dberr(h, err, errlen, "cannot read runs");
fail:
	s_done(rs);
	s_done(st);
	json_decref(results);
	json_decref(run);
	json_decref(runs);
	return NULL;
}

/* Add the (method, agent) pairs of the latest run of domain by method to
 * keys (at most max), skipping ones already there.  0, or -1 (database). */
static int s_keys_of_latest_run(struct history *h, const char *domain, const char *method,
                                struct hs_key *keys, size_t max, size_t *n)
{
	sqlite3_stmt *lr = h->st[ST_LATEST_RUN], *ag = h->st[ST_AGENTS_OF_RUN];
	int step;

	s_bind_text(lr, 1, domain);
	s_bind_text(lr, 2, method);
	step = sqlite3_step(lr);
	if (step == SQLITE_ROW)
		sqlite3_bind_int64(ag, 1, sqlite3_column_int64(lr, 0));
	s_done(lr);
	if (step != SQLITE_ROW)
		return step == SQLITE_DONE ? 0 : -1;
	while ((step = sqlite3_step(ag)) == SQLITE_ROW) { /* <= HISTORY_MAX_RESULTS */
		const char *agent = s_col(ag, 0);
		bool seen = false;

		if (agent == NULL || *n >= max)
			continue;
		for (size_t i = 0; i < *n && !seen; i++)
			seen = strcmp(keys[i].agent, agent) == 0 &&
			       strcmp(keys[i].method, method) == 0;
		if (seen)
			continue;
		if (s_copy(keys[*n].method, sizeof(keys[*n].method), method) &&
		    s_copy(keys[*n].agent, sizeof(keys[*n].agent), agent))
			(*n)++;
	}
	s_done(ag);
	return step == SQLITE_DONE ? 0 : -1;
}

/* The latest result of one vantage with one streak state. */
struct hs_row {
	int64_t fin, id;
	char region[LIMIT_REGION_LEN + 1];
	json_t *problem; /* {type, detail} or null; owned */
};

/* Fill row with the latest result of (domain, k) whose streak state is
 * `state`: 1; 0 when there is none; -1 on a database error or ENOMEM. */
static int s_latest(struct history *h, const char *domain, const struct hs_key *k,
                    const char *state, struct hs_row *row)
{
	sqlite3_stmt *st = h->st[ST_VANTAGE_LATEST];
	int step, rc;

	s_bind_text(st, 1, domain);
	s_bind_text(st, 2, k->method);
	s_bind_text(st, 3, k->agent);
	s_bind_text(st, 4, state);
	step = sqlite3_step(st);
	rc = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
	if (rc == 1) {
		row->id = sqlite3_column_int64(st, 0);
		row->fin = sqlite3_column_int64(st, 1);
		s_copy(row->region, sizeof(row->region), s_col(st, 2)); /* "" if too long */
		row->problem = s_problem(st, 3, 4);
		if (row->problem == NULL)
			rc = -1;
	}
	s_done(st);
	return rc;
}

/*
 * One element of "vantages": the state of k from its latest answered
 * result, and since when it has held: the first result after the latest one
 * with the other state (results that count neither way do not break a
 * streak).  *out NULL when k never answered.  0 or -1.
 */
static int s_vantage(struct history *h, const char *domain, const struct hs_key *k, json_t **out)
{
	sqlite3_stmt *sk = h->st[ST_VANTAGE_STREAK];
	struct hs_row p = {0}, f = {0}, *cur, *other;
	int has_p, has_f, step, rc = -1;
	int64_t since;
	char since_s[HISTORY_TIME_LEN], last_s[HISTORY_TIME_LEN];

	*out = NULL;
	has_p = s_latest(h, domain, k, HS_PASS, &p);
	has_f = has_p < 0 ? -1 : s_latest(h, domain, k, HS_FAIL, &f);
	if (has_p < 0 || has_f < 0)
		goto out;
	if (has_p == 0 && has_f == 0) {
		rc = 0;
		goto out;
	}
	/* A tie in time goes to the later insert. */
	if (has_f == 1 && (has_p == 0 || f.fin > p.fin || (f.fin == p.fin && f.id > p.id))) {
		cur = &f;
		other = has_p ? &p : NULL;
	} else {
		cur = &p;
		other = has_f ? &f : NULL;
	}
	s_bind_text(sk, 1, domain);
	s_bind_text(sk, 2, k->method);
	s_bind_text(sk, 3, k->agent);
	s_bind_text(sk, 4, cur == &f ? HS_FAIL : HS_PASS);
	sqlite3_bind_int64(sk, 5, other ? other->fin : INT64_MIN);
	sqlite3_bind_int64(sk, 6, other ? other->id : 0);
	step = sqlite3_step(sk);
	since = step == SQLITE_ROW ? sqlite3_column_int64(sk, 0) : cur->fin;
	s_done(sk);
	if (step != SQLITE_ROW) /* cur itself qualifies, so there is a row */
		goto out;
	s_rfc3339(since, since_s);
	s_rfc3339(cur->fin, last_s);
	*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:s}", "agent", k->agent, "region",
	                 cur->region, "method", k->method, "state", cur == &f ? "fail" : "pass",
	                 "since", since_s, "problem", cur == &f ? f.problem : json_null(),
	                 "last_run", last_s);
	rc = *out == NULL ? -1 : 0;
out:
	json_decref(p.problem);
	json_decref(f.problem);
	return rc;
}

/* "vantages" for domain: every (method, agent) of the latest run of each
 * method run since `since`, methods by name, agents in the run's order.
 * NULL with err. */
static json_t *s_query_vantages(struct history *h, const char *domain, int64_t since, char *err,
                                size_t errlen)
{
	const size_t max = HISTORY_MAX_METHODS * HISTORY_MAX_RESULTS;
	char methods[HISTORY_MAX_METHODS][HISTORY_METHOD_LEN + 1];
	sqlite3_stmt *st = h->st[ST_METHODS_OF_DOMAIN];
	struct hs_key *keys = calloc(max, sizeof(*keys));
	json_t *out = json_array(), *v;
	size_t n_methods = 0, n = 0;
	int step;

	if (out == NULL || keys == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	s_bind_text(st, 1, domain);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int64(st, 3, HISTORY_MAX_METHODS);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) /* bounded by LIMIT */
		if (n_methods < HISTORY_MAX_METHODS &&
		    s_copy(methods[n_methods], sizeof(methods[0]), s_col(st, 0)))
			n_methods++;
	s_done(st);
	if (step != SQLITE_DONE)
		goto dberr;
	for (size_t i = 0; i < n_methods; i++)
		if (s_keys_of_latest_run(h, domain, methods[i], keys, max, &n) != 0)
			goto dberr;
	for (size_t i = 0; i < n; i++) {
		if (s_vantage(h, domain, &keys[i], &v) != 0)
			goto dberr;
		if (v != NULL && json_array_append_new(out, v) != 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	free(keys);
	return out;
dberr:
	s_dberr(h, err, errlen, "cannot read the vantages' state");
fail:
	free(keys);
	json_decref(out);
	return NULL;
}

json_t *history_query(struct history *h, const char *domain, int64_t since, size_t limit, char *err,
                      size_t errlen)
{
	json_t *doc = NULL, *runs = NULL, *vantages = NULL;
	char since_s[HISTORY_TIME_LEN];

	if (limit == 0)
		limit = HISTORY_DEFAULT_QUERY_RUNS;
	if (limit > HISTORY_MAX_QUERY_RUNS)
		limit = HISTORY_MAX_QUERY_RUNS;
	/* One read transaction: the runs and the vantages' streaks agree. */
	if (s_exec(h, ST_BEGIN_READ) != 0) {
		s_dberr(h, err, errlen, "cannot begin a transaction");
		return NULL;
	}
	vantages = s_query_vantages(h, domain, since, err, errlen);
	runs = vantages ? s_query_runs(h, domain, since, limit, err, errlen) : NULL;
	s_rollback(h); /* read only: nothing to keep */
	if (runs == NULL)
		goto out;
	s_rfc3339(since, since_s);
	doc = json_pack("{s:s, s:s, s:O, s:O}", "domain", domain, "since", since_s, "vantages",
	                vantages, "runs", runs);
	if (doc == NULL)
		snprintf(err, errlen, "out of memory");
out:
	json_decref(vantages);
	json_decref(runs);
	return doc;
}

/* ---- retention ---- */

long history_prune(struct history *h, int64_t before)
{
	sqlite3_stmt *st = h->st[ST_PRUNE_RUNS], *al = h->st[ST_PRUNE_ALERTS];
	long n = -1;
	int step;

	if (s_exec(h, ST_BEGIN_WRITE) != 0)
		goto fail;
	sqlite3_bind_int64(st, 1, before);
	step = sqlite3_step(st);
	s_done(st);
	if (step != SQLITE_DONE)
		goto fail;
	/* Only the runs themselves: cascaded results are not counted. */
	n = (long)sqlite3_changes(h->db);
	sqlite3_bind_int64(al, 1, before);
	step = sqlite3_step(al);
	s_done(al);
	if (step != SQLITE_DONE || s_exec(h, ST_COMMIT) != 0)
		goto fail;
	return n;
fail:
	log_err("%s: cannot prune history: %s", h->path, sqlite3_errmsg(h->db));
	s_rollback(h);
	return -1;
}

/* ---- monitors from the API ---- */

int history_monitor_put(struct history *h, const struct monitor_spec *m, char *err, size_t errlen)
{
	sqlite3_stmt *st = h->st[ST_MONITOR_PUT];
	json_t *o = monitor_spec_json(m);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	int rc = -1;

	json_decref(o);
	if (text == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s_bind_text(st, 1, m->name);
	s_bind_text(st, 2, text);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_DONE)
		rc = 0;
	else
		s_dberr(h, err, errlen, "cannot store a monitor");
	s_done(st);
	free(text);
	return rc;
}

int history_monitor_delete(struct history *h, const char *name)
{
	sqlite3_stmt *st = h->st[ST_MONITOR_DELETE];
	int step;

	s_bind_text(st, 1, name);
	step = sqlite3_step(st);
	s_done(st);
	if (step == SQLITE_DONE)
		return 0;
	log_err("%s: cannot delete monitor %s: %s", h->path, name, sqlite3_errmsg(h->db));
	return -1;
}

int history_monitor_list(struct history *h, struct monitor_spec *out, size_t max, size_t *n,
                         char *err, size_t errlen)
{
	sqlite3_stmt *st = h->st[ST_MONITOR_LIST];
	char why[LIMIT_DETAIL_LEN];
	int step, rc = -1;

	*n = 0;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) { /* bounded by max */
		const char *name = s_col(st, 0), *text = s_col(st, 1);
		json_t *o;

		if (*n >= max) {
			snprintf(err, errlen, "%s: more than %zu monitors are stored", h->path,
			         max);
			goto out;
		}
		o = text ? json_loads(text, 0, NULL) : NULL;
		why[0] = '\0';
		if (o == NULL || monitor_spec_from_json(o, &out[*n], why, sizeof(why)) != 0 ||
		    strcmp(out[*n].name, name ? name : "") != 0) {
			/* Skipped, not fatal: one bad row must not stop every
			 * other monitor; the operator can delete it. */
			log_err("%s: stored monitor %s is invalid and is skipped: %s", h->path,
			        name ? name : "(null)", why[0] ? why : "bad JSON or name");
			json_decref(o);
			continue;
		}
		json_decref(o);
		out[*n].from_api = true;
		(*n)++;
	}
	if (step != SQLITE_DONE) {
		s_dberr(h, err, errlen, "cannot read the monitors");
		goto out;
	}
	rc = 0;
out:
	s_done(st);
	return rc;
}

/* ---- alert state and log ---- */

int history_track_load(struct history *h, const char *monitor, const char *domain,
                       const char *method, struct monitor_track *t)
{
	sqlite3_stmt *st = h->st[ST_TRACK_LOAD];
	int step;

	memset(t, 0, sizeof(*t));
	s_bind_text(st, 1, monitor);
	s_bind_text(st, 2, domain);
	s_bind_text(st, 3, method);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		sqlite3_int64 cf = sqlite3_column_int64(st, 2), cp = sqlite3_column_int64(st, 3);

		t->state = s_state_parse(sqlite3_column_text(st, 0));
		t->last = s_state_parse(sqlite3_column_text(st, 1));
		t->consecutive_fail = cf < 0 ? 0 : cf > UINT32_MAX ? UINT32_MAX : (uint32_t)cf;
		t->consecutive_pass = cp < 0 ? 0 : cp > UINT32_MAX ? UINT32_MAX : (uint32_t)cp;
		t->since = sqlite3_column_int64(st, 4);
		t->last_run = sqlite3_column_int64(st, 5);
	}
	s_done(st);
	if (step == SQLITE_ROW || step == SQLITE_DONE)
		return 0;
	log_err("%s: cannot load the state of %s %s %s: %s", h->path, monitor, domain, method,
	        sqlite3_errmsg(h->db));
	return -1;
}

int history_track_save(struct history *h, const char *monitor, const char *domain,
                       const char *method, const struct monitor_track *t)
{
	sqlite3_stmt *st = h->st[ST_TRACK_SAVE];
	int step;

	s_bind_text(st, 1, monitor);
	s_bind_text(st, 2, domain);
	s_bind_text(st, 3, method);
	s_bind_text(st, 4, s_state_name(t->state));
	s_bind_text(st, 5, s_state_name(t->last));
	sqlite3_bind_int64(st, 6, t->consecutive_fail);
	sqlite3_bind_int64(st, 7, t->consecutive_pass);
	sqlite3_bind_int64(st, 8, t->since);
	sqlite3_bind_int64(st, 9, t->last_run);
	step = sqlite3_step(st);
	s_done(st);
	if (step == SQLITE_DONE)
		return 0;
	log_err("%s: cannot save the state of %s %s %s: %s", h->path, monitor, domain, method,
	        sqlite3_errmsg(h->db));
	return -1;
}

int history_alert_log(struct history *h, const char *kind, const json_t *payload, int64_t at)
{
	sqlite3_stmt *st = h->st[ST_ALERT_INSERT];
	char *text = json_dumps(payload, JSON_COMPACT);
	int step;

	if (text == NULL) {
		log_err("%s: cannot log a %s alert: out of memory or not JSON", h->path, kind);
		return -1;
	}
	s_bind_text(st, 1, kind);
	sqlite3_bind_int64(st, 2, at);
	s_bind_text(st, 3, text);
	step = sqlite3_step(st);
	s_done(st);
	free(text);
	if (step == SQLITE_DONE)
		return 0;
	log_err("%s: cannot log a %s alert: %s", h->path, kind, sqlite3_errmsg(h->db));
	return -1;
}
