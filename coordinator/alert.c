/*
 * alert.c -- delivering monitor alerts (see alert.h).
 *
 * The coordinator's loop must never wait on a webhook or a hook script, so
 * alerts_post only serialises the payload and queues it; one worker thread
 * delivers the queue in order.  The worker shares nothing with the loop but
 * the queue (under a mutex) and the counters (atomics): payloads arrive as
 * text, so no jansson object crosses threads.
 *
 * Webhooks use libcurl (timeouts, TLS, no redirects, http/https only); the
 * command is run with fork + execve, without a shell, with a minimal
 * environment, its stdin fed from a non-blocking pipe so that a hook which
 * never reads cannot hold the worker, and SIGKILL (to its process group) at
 * its deadline.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "alert.h"
#include "../common/log.h"

#define ALERT_WHAT_LEN   (LIMIT_DOMAIN_LEN * 4 + 64) /* "failure for DOMAIN METHOD", escaped */
#define ALERT_FIELD_LEN  32                          /* kind, method, state */
#define ALERT_ENV_N      8                           /* PATH and the VANTAGE_* variables */
#define ALERT_ENV_PATH   "PATH=/usr/sbin:/usr/bin:/sbin:/bin"
#define ALERT_CLOSE_FROM 4     /* the child keeps 0-2 and its exec-error pipe on 3 */
#define ALERT_FD_MAX     65536 /* descriptors closed by hand if close_range is missing */
#define ALERT_USER_AGENT "vantage/" VANTAGE_VERSION

/* One queued alert: everything delivery needs, prepared by alerts_post. */
struct alert_item {
	char *body; /* the payload, compact JSON */
	size_t len;
	char kind[ALERT_FIELD_LEN];
	char domain[LIMIT_DOMAIN_LEN + 1];
	char method[ALERT_FIELD_LEN];
	char what[ALERT_WHAT_LEN]; /* for log lines, escaped */
	char *env[ALERT_ENV_N + 1];
};

struct alerts {
	char webhook_url[sizeof(((struct monitoring_cfg *)0)->webhook_url)];
	char command[sizeof(((struct monitoring_cfg *)0)->alert_command)];
	uint32_t webhook_timeout_ms, webhook_retries, command_timeout_ms;
	uint32_t backoff_ms; /* under mu */

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake; /* work queued, or stop */
	pthread_cond_t idle; /* one delivery finished */
	struct alert_item *q[ALERT_QUEUE_MAX];
	size_t head, count;
	bool busy, stop;

	_Atomic uint64_t queued, delivered, failed, dropped;
};

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;
static CURLcode s_curl_rc = CURLE_FAILED_INIT;

/* Once per process: the CLI, in the same binary, calls it too (libcurl
 * counts), and nobody calls curl_global_cleanup while the coordinator runs. */
static void s_curl_init(void)
{
	s_curl_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t s_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* The CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait on a
 * condition made with that clock. */
static struct timespec s_deadline(uint64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000u);
	ts.tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void s_item_free(struct alert_item *it)
{
	if (it == NULL)
		return;
	for (size_t i = 0; i < ALERT_ENV_N; i++)
		free(it->env[i]);
	free(it->body);
	free(it);
}

/* ---- preparing an alert (loop thread) ---- */

static const char *s_jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : "";
}

/* "NAME=value" (value cut at its first newline), malloc'd; NULL on ENOMEM. */
static char *s_env(const char *name, const char *value)
{
	size_t vlen = strcspn(value, "\r\n"), nlen = strlen(name);
	char *s = malloc(nlen + vlen + 2);

	if (s == NULL)
		return NULL;
	memcpy(s, name, nlen);
	s[nlen] = '=';
	memcpy(s + nlen + 1, value, vlen);
	s[nlen + vlen + 1] = '\0';
	return s;
}

/* "VANTAGE_FAILING=a1 a2 ..." from the payload's "failing" array. */
static char *s_env_failing(const json_t *payload)
{
	const json_t *failing = json_object_get(payload, "failing"), *v;
	static const char name[] = "VANTAGE_FAILING=";
	size_t len = sizeof(name), i, off;
	char *s;

	for (i = 0; i < json_array_size(failing); i++) {
		v = json_array_get(failing, i);
		if (json_is_string(v))
			len += json_string_length(v) + 1;
	}
	s = malloc(len);
	if (s == NULL)
		return NULL;
	memcpy(s, name, sizeof(name));
	off = sizeof(name) - 1;
	for (i = 0; i < json_array_size(failing); i++) {
		const char *a = json_string_value(json_array_get(failing, i));
		size_t n = a ? strcspn(a, " \r\n") : 0; /* agent names have no spaces */

		if (n == 0)
			continue;
		if (off > sizeof(name) - 1)
			s[off++] = ' ';
		memcpy(s + off, a, n);
		off += n;
	}
	s[off] = '\0';
	return s;
}

/* The item for payload, or NULL with the reason in why. */
static struct alert_item *s_item_new(const json_t *payload, char *why, size_t whylen)
{
	const char *kind = s_jstr(payload, "kind"), *domain = s_jstr(payload, "domain");
	const char *method = s_jstr(payload, "method");
	const json_t *diag = json_array_get(json_object_get(payload, "diagnosis"), 0);
	struct alert_item *it;
	char ed[LIMIT_DOMAIN_LEN * 4 + 1], ek[ALERT_FIELD_LEN * 4], em[ALERT_FIELD_LEN * 4];

	if (*kind == '\0' || *domain == '\0' || *method == '\0' ||
	    strlen(kind) >= ALERT_FIELD_LEN || strlen(domain) > LIMIT_DOMAIN_LEN ||
	    strlen(method) >= ALERT_FIELD_LEN) {
		snprintf(why, whylen,
		         "the payload lacks kind, domain or method, or one is too long");
		return NULL;
	}
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		goto nomem;
	memcpy(it->kind, kind, strlen(kind) + 1);
	memcpy(it->domain, domain, strlen(domain) + 1);
	memcpy(it->method, method, strlen(method) + 1);
	snprintf(it->what, sizeof(it->what), "%s for %s %s",
	         log_escape(ek, sizeof(ek), kind, strlen(kind)),
	         log_escape(ed, sizeof(ed), domain, strlen(domain)),
	         log_escape(em, sizeof(em), method, strlen(method)));
	it->body = json_dumps(payload, JSON_COMPACT);
	if (it->body == NULL)
		goto nomem;
	it->len = strlen(it->body);
	if (it->len > ALERT_MAX_PAYLOAD) {
		snprintf(why, whylen, "the payload has %zu bytes (at most %d)", it->len,
		         ALERT_MAX_PAYLOAD);
		s_item_free(it);
		return NULL;
	}
	it->env[0] = strdup(ALERT_ENV_PATH);
	it->env[1] = s_env("VANTAGE_ALERT_KIND", kind);
	it->env[2] = s_env("VANTAGE_MONITOR", s_jstr(payload, "monitor"));
	it->env[3] = s_env("VANTAGE_DOMAIN", domain);
	it->env[4] = s_env("VANTAGE_METHOD", method);
	it->env[5] = s_env("VANTAGE_STATE", s_jstr(payload, "state"));
	it->env[6] = s_env_failing(payload);
	it->env[7] =
	        s_env("VANTAGE_DIAGNOSIS", json_is_string(diag) ? json_string_value(diag) : "");
	for (size_t i = 0; i < ALERT_ENV_N; i++)
		if (it->env[i] == NULL)
			goto nomem;
	return it;
nomem:
	snprintf(why, whylen, "out of memory");
	s_item_free(it);
	return NULL;
}

/* ---- webhook ---- */

static size_t s_discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	return size * n;
}

/*
 * Sleep ms, or less if alerts_destroy asks the worker to stop.  Returns
 * false when stopping.  Called by the worker without the mutex held.
 */
static bool s_backoff(struct alerts *a, uint64_t ms)
{
	struct timespec until = s_deadline(ms);
	bool stop;

	pthread_mutex_lock(&a->mu);
	/* bounded: ends at `until` or on stop; other wakeups re-wait */
	while (!a->stop && pthread_cond_timedwait(&a->wake, &a->mu, &until) != ETIMEDOUT)
		;
	stop = a->stop;
	pthread_mutex_unlock(&a->mu);
	return !stop;
}

/* POST it to the webhook: 1 + webhook_retries tries, backing off between
 * them.  true when one got a 2xx.  Logs the result. */
static bool s_webhook(struct alerts *a, const struct alert_item *it)
{
	char errbuf[CURL_ERROR_SIZE], why[CURL_ERROR_SIZE + 64] = "";
	struct curl_slist *hdr = NULL, *h2;
	uint32_t tries = 0, backoff;
	CURL *c = curl_easy_init();
	bool ok = false;

	pthread_mutex_lock(&a->mu);
	backoff = a->backoff_ms;
	pthread_mutex_unlock(&a->mu);
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	h2 = hdr ? curl_slist_append(hdr, "Expect:") : NULL; /* no 100-continue wait */
	if (c == NULL || h2 == NULL) {
		snprintf(why, sizeof(why), "cannot set up libcurl (out of memory)");
		goto out;
	}
	hdr = h2;
	curl_easy_setopt(c, CURLOPT_URL, a->webhook_url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, it->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)it->len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, ALERT_USER_AGENT);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)a->webhook_timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                 (long)(a->webhook_timeout_ms < ALERT_CONNECT_TIMEOUT_MS
	                                ? a->webhook_timeout_ms
	                                : ALERT_CONNECT_TIMEOUT_MS));
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/* A redirect could send the payload somewhere not configured. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	/* Signals would be delivered to a thread that has them all blocked. */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, s_discard);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);

	/* bounded: 1 + webhook_retries (<= ALERT_MAX_RETRIES) tries */
	while (tries < 1 + a->webhook_retries) {
		CURLcode cc;
		long status = 0;

		if (tries > 0) {
			uint64_t ms = (uint64_t)backoff << (tries - 1);

			if (!s_backoff(a, ms < ALERT_BACKOFF_MAX_MS ? ms : ALERT_BACKOFF_MAX_MS)) {
				size_t l = strlen(why);

				snprintf(why + l, sizeof(why) - l, " (no more tries: stopping)");
				break;
			}
		}
		tries++;
		errbuf[0] = '\0';
		cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (cc == CURLE_OK && status >= 200 && status <= 299) {
			log_info("alert %s delivered to webhook (HTTP %ld%s)", it->what, status,
			         tries > 1 ? ", after retries" : "");
			ok = true;
			break;
		}
		if (cc != CURLE_OK)
			snprintf(why, sizeof(why), "%s",
			         errbuf[0] ? errbuf : curl_easy_strerror(cc));
		else
			snprintf(why, sizeof(why), "HTTP %ld", status);
		if (tries < 1 + a->webhook_retries)
			log_info("alert %s: webhook try %u failed: %s; retrying", it->what, tries,
			         why);
	}
out:
	if (!ok)
		log_warn("alert %s not delivered to webhook after %u %s: %s", it->what, tries,
		         tries == 1 ? "try" : "tries", why);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(c);
	return ok;
}

/* ---- command ---- */

/* fd moved to a number above 2 (so dup2 onto 0-2 in the child never
 * clobbers it), close-on-exec.  fd or -1. */
static int s_high_fd(int fd)
{
	int h;

	if (fd < 0 || fd > STDERR_FILENO)
		return fd;
	h = fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	close(fd);
	return h;
}

/*
 * The child between fork and execve: only async-signal-safe calls (the
 * coordinator has other threads, whose locks may be held).  Never returns.
 */
static void s_child(const char *path, char *const argv[], char *const envp[], int in, int null,
                    int errfd, int fd_max)
{
	static const struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int e;

	setpgid(0, 0); /* its own group, so a timeout kills what it started */
	if (dup2(in, STDIN_FILENO) < 0 || dup2(null, STDOUT_FILENO) < 0 ||
	    dup2(null, STDERR_FILENO) < 0 ||
	    (errfd != ALERT_CLOSE_FROM - 1 && dup3(errfd, ALERT_CLOSE_FROM - 1, O_CLOEXEC) < 0))
		goto fail;
	/* Nothing of the coordinator's (sockets, the database) reaches the
	 * hook, whether or not it was opened close-on-exec. */
	if (close_range(ALERT_CLOSE_FROM, ~0U, 0) != 0)
		for (int fd = ALERT_CLOSE_FROM; fd < fd_max; fd++) /* bounded */
			close(fd);
	errfd = ALERT_CLOSE_FROM - 1;
	/* exec keeps the mask and ignored signals (the coordinator ignores
	 * SIGPIPE; this thread blocks everything). */
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(path, argv, envp);
fail:
	e = errno;
	if (write(errfd, &e, sizeof(e)) < 0) {
		/* nothing left to tell it with */
	}
	_exit(127);
}

/* Consume a SIGPIPE our write raised: the worker blocks signals, so it is
 * pending on this thread and would otherwise stay so. */
static void s_eat_sigpipe(void)
{
	struct timespec zero = {0, 0};
	sigset_t pipe_set;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE) /* at most one is pending */
		;
}

/* Run the command for it: argv [command, kind, domain, method], the payload
 * on stdin, killed at command_timeout_ms.  true on exit status 0.  Logs. */
static bool s_command(struct alerts *a, struct alert_item *it)
{
	char *argv[] = {a->command, it->kind, it->domain, it->method, NULL};
	int in[2] = {-1, -1}, ep[2] = {-1, -1}, null = -1, status = 0, exec_errno = 0;
	uint64_t deadline = s_now_ms() + a->command_timeout_ms, now;
	size_t off = 0;
	bool reaped = false, killed = false, ok = false;
	struct rlimit rl;
	int fd_max = ALERT_FD_MAX;
	char why[256] = "";
	pid_t pid;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)ALERT_FD_MAX)
		fd_max = (int)rl.rlim_cur;
	/* ep non-blocking: reading it must never wait on a stuck child */
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(ep, O_CLOEXEC | O_NONBLOCK) != 0 ||
	    (null = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(why, sizeof(why), "cannot make pipes: %s", strerror(errno));
		goto out;
	}
	in[0] = s_high_fd(in[0]);
	ep[1] = s_high_fd(ep[1]);
	null = s_high_fd(null);
	if (in[0] < 0 || ep[1] < 0 || null < 0) {
		snprintf(why, sizeof(why), "cannot arrange descriptors: %s", strerror(errno));
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, sizeof(why), "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0)
		s_child(a->command, argv, it->env, in[0], null, ep[1], fd_max);
	close(in[0]);
	close(ep[1]);
	close(null);
	in[0] = ep[1] = null = -1;
	/* Non-blocking: a hook that never reads stdin must not hold us past
	 * its deadline. */
	if (fcntl(in[1], F_SETFL, O_NONBLOCK) != 0) {
		close(in[1]);
		in[1] = -1;
	}
	if (it->len == 0 && in[1] >= 0) {
		close(in[1]);
		in[1] = -1;
	}

	/* bounded by the deadline; every pass sleeps at most ALERT_CMD_POLL_MS */
	while (!reaped) {
		struct pollfd p[2];
		nfds_t n = 0;

		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid) {
			reaped = true;
			break;
		}
		if (w < 0 && errno != EINTR) { /* ECHILD: SIGCHLD ignored, reaped for us */
			snprintf(why, sizeof(why), "cannot wait for it: %s", strerror(errno));
			goto out;
		}
		now = s_now_ms();
		if (now >= deadline)
			break;
		if (ep[0] >= 0)
			p[n++] = (struct pollfd){.fd = ep[0], .events = POLLIN};
		if (in[1] >= 0)
			p[n++] = (struct pollfd){.fd = in[1], .events = POLLOUT};
		poll(p, n,
		     (int)(deadline - now < ALERT_CMD_POLL_MS ? deadline - now
		                                              : ALERT_CMD_POLL_MS));
		for (nfds_t i = 0; i < n; i++) {
			if (p[i].revents == 0)
				continue;
			if (p[i].fd == ep[0]) {
				int e = 0;
				ssize_t r = read(ep[0], &e, sizeof(e));

				if (r < 0 && (errno == EINTR || errno == EAGAIN))
					continue;
				/* EOF: the exec worked; an int: why it did not */
				if (r == (ssize_t)sizeof(e))
					exec_errno = e;
				close(ep[0]);
				ep[0] = -1;
			} else {
				ssize_t wr = write(in[1], it->body + off, it->len - off);

				if (wr > 0)
					off += (size_t)wr;
				if (wr < 0 && errno == EPIPE)
					s_eat_sigpipe();
				/* done, or the hook closed its stdin: either way
				 * it has had all it will read */
				if (off == it->len ||
				    (wr < 0 && errno != EAGAIN && errno != EINTR)) {
					close(in[1]);
					in[1] = -1;
				}
			}
		}
	}
	if (!reaped) {
		uint64_t until = s_now_ms() + ALERT_CMD_REAP_MS;

		killed = true;
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		/* bounded: SIGKILL cannot be caught; only a process stuck in
		 * the kernel outlives ALERT_CMD_REAP_MS */
		while (!reaped && s_now_ms() < until) {
			if (waitpid(pid, &status, WNOHANG) == pid)
				reaped = true;
			else
				poll(NULL, 0, ALERT_CMD_POLL_MS);
		}
		if (!reaped)
			log_err("alert %s: command (pid %ld) did not die after SIGKILL", it->what,
			        (long)pid);
	}
	if (ep[0] >= 0) { /* non-blocking */
		int e = 0;

		if (read(ep[0], &e, sizeof(e)) == (ssize_t)sizeof(e))
			exec_errno = e;
	}
	if (exec_errno != 0)
		snprintf(why, sizeof(why), "cannot execute it: %s", strerror(exec_errno));
	else if (killed)
		snprintf(why, sizeof(why), "killed after %u ms", a->command_timeout_ms);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ok = true;
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(why, sizeof(why), "killed by signal %d", WTERMSIG(status));
out:
	if (ok)
		log_info("alert %s delivered to command %s (exit 0)", it->what, a->command);
	else
		log_warn("alert %s not delivered to command %s: %s", it->what, a->command, why);
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (ep[i] >= 0)
			close(ep[i]);
	}
	if (null >= 0)
		close(null);
	return ok;
}

/* ---- the worker ---- */

static void *s_worker(void *arg)
{
	struct alerts *a = arg;

	pthread_mutex_lock(&a->mu);
	/* runs until alerts_destroy sets stop */
	for (;;) {
		struct alert_item *it;
		bool ok = true;

		while (!a->stop && a->count == 0)
			pthread_cond_wait(&a->wake, &a->mu);
		if (a->stop)
			break;
		it = a->q[a->head];
		a->q[a->head] = NULL;
		a->head = (a->head + 1) % ALERT_QUEUE_MAX;
		a->count--;
		a->busy = true;
		pthread_mutex_unlock(&a->mu);

		if (a->webhook_url[0] != '\0')
			ok = s_webhook(a, it) && ok;
		if (a->command[0] != '\0')
			ok = s_command(a, it) && ok;
		atomic_fetch_add(ok ? &a->delivered : &a->failed, 1);
		s_item_free(it);

		pthread_mutex_lock(&a->mu);
		a->busy = false;
		pthread_cond_broadcast(&a->idle);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* ---- public ---- */

struct alerts *alerts_new(const struct monitoring_cfg *cfg, char *err, size_t errlen)
{
	struct alerts *a;
	pthread_condattr_t ca;
	sigset_t all, old;
	int rc;

	if (cfg->webhook_url[0] != '\0' && strncasecmp(cfg->webhook_url, "http://", 7) != 0 &&
	    strncasecmp(cfg->webhook_url, "https://", 8) != 0) {
		snprintf(err, errlen, "monitoring.webhook_url must be an http:// or https:// URL");
		return NULL;
	}
	if (cfg->alert_command[0] != '\0' && cfg->alert_command[0] != '/') {
		snprintf(err, errlen, "monitoring.alert_command must be an absolute path (%s)",
		         cfg->alert_command);
		return NULL;
	}
	pthread_once(&s_curl_once, s_curl_init);
	if (s_curl_rc != CURLE_OK) {
		snprintf(err, errlen, "alerts: cannot initialise libcurl: %s",
		         curl_easy_strerror(s_curl_rc));
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "alerts: out of memory");
		return NULL;
	}
	memcpy(a->webhook_url, cfg->webhook_url, sizeof(a->webhook_url));
	a->webhook_url[sizeof(a->webhook_url) - 1] = '\0';
	memcpy(a->command, cfg->alert_command, sizeof(a->command));
	a->command[sizeof(a->command) - 1] = '\0';
	a->webhook_timeout_ms =
	        cfg->webhook_timeout_ms ? cfg->webhook_timeout_ms : ALERT_DEFAULT_TIMEOUT_MS;
	a->webhook_retries =
	        cfg->webhook_retries < ALERT_MAX_RETRIES ? cfg->webhook_retries : ALERT_MAX_RETRIES;
	a->command_timeout_ms = cfg->alert_command_timeout_ms ? cfg->alert_command_timeout_ms
	                                                      : ALERT_CMD_DEFAULT_TIMEOUT_MS;
	a->backoff_ms = ALERT_BACKOFF_MS;
	atomic_init(&a->queued, 0);
	atomic_init(&a->delivered, 0);
	atomic_init(&a->failed, 0);
	atomic_init(&a->dropped, 0);
	if (pthread_mutex_init(&a->mu, NULL) != 0) {
		free(a);
		snprintf(err, errlen, "alerts: cannot create a mutex");
		return NULL;
	}
	/* Monotonic: a wall-clock step must not stretch a backoff. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->wake, &ca);
	pthread_cond_init(&a->idle, &ca);
	pthread_condattr_destroy(&ca);
	/* The worker blocks every signal: the loop thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&a->thread, NULL, s_worker, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "alerts: cannot start the worker thread: %s", strerror(rc));
		pthread_cond_destroy(&a->wake);
		pthread_cond_destroy(&a->idle);
		pthread_mutex_destroy(&a->mu);
		free(a);
		return NULL;
	}
	return a;
}

void alerts_destroy(struct alerts **ap)
{
	struct alerts *a;

	if (ap == NULL || *ap == NULL)
		return;
	a = *ap;
	*ap = NULL;
	pthread_mutex_lock(&a->mu);
	a->stop = true;
	pthread_cond_broadcast(&a->wake);
	pthread_mutex_unlock(&a->mu);
	pthread_join(a->thread, NULL);
	for (size_t i = 0; i < a->count; i++) { /* <= ALERT_QUEUE_MAX */
		struct alert_item *it = a->q[(a->head + i) % ALERT_QUEUE_MAX];

		log_warn("alert %s dropped: the coordinator is stopping", it->what);
		atomic_fetch_add(&a->dropped, 1);
		s_item_free(it);
	}
	pthread_cond_destroy(&a->wake);
	pthread_cond_destroy(&a->idle);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int alerts_post(struct alerts *a, json_t *payload)
{
	struct alert_item *it, *old = NULL;
	char why[128];

	if (a == NULL || payload == NULL)
		return -1;
	it = s_item_new(payload, why, sizeof(why));
	if (it == NULL) {
		log_err("alert not queued: %s", why);
		return -1;
	}
	if (a->webhook_url[0] == '\0' && a->command[0] == '\0') {
		log_info("alert %s (no webhook_url or alert_command configured)", it->what);
		s_item_free(it);
		return 0;
	}
	pthread_mutex_lock(&a->mu);
	if (a->count == ALERT_QUEUE_MAX) {
		old = a->q[a->head];
		a->q[a->head] = NULL;
		a->head = (a->head + 1) % ALERT_QUEUE_MAX;
		a->count--;
	}
	a->q[(a->head + a->count) % ALERT_QUEUE_MAX] = it;
	a->count++;
	pthread_cond_signal(&a->wake);
	pthread_mutex_unlock(&a->mu);
	atomic_fetch_add(&a->queued, 1);
	if (old != NULL) {
		atomic_fetch_add(&a->dropped, 1);
		log_warn("alert queue full (%d pending): dropped the oldest, %s", ALERT_QUEUE_MAX,
		         old->what);
		s_item_free(old);
	}
	return 0;
}

void alerts_counters(const struct alerts *a, struct alert_counters *out)
{
	memset(out, 0, sizeof(*out));
	if (a == NULL)
		return;
	out->queued = atomic_load(&a->queued);
	out->delivered = atomic_load(&a->delivered);
	out->failed = atomic_load(&a->failed);
	out->dropped = atomic_load(&a->dropped);
}

int alerts_drain(struct alerts *a, uint32_t timeout_ms)
{
	struct timespec until = s_deadline(timeout_ms);
	int rc;

	pthread_mutex_lock(&a->mu);
	/* bounded by `until` */
	while ((a->count > 0 || a->busy) &&
	       pthread_cond_timedwait(&a->idle, &a->mu, &until) != ETIMEDOUT)
		;
	rc = a->count == 0 && !a->busy ? 0 : -1;
	pthread_mutex_unlock(&a->mu);
	return rc;
}

void alerts_set_backoff_ms(struct alerts *a, uint32_t ms)
{
	pthread_mutex_lock(&a->mu);
	a->backoff_ms = ms;
	pthread_mutex_unlock(&a->mu);
}
