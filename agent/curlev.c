/*
 * curlev.c -- libcurl's multi interface on libevent (hiperfifo pattern).
 *
 * curl tells us which sockets to watch (s_sock_cb) and when to call it back
 * (s_timer_cb); libevent tells curl when a socket is ready
 * (curl_multi_socket_action).  After every action, finished transfers are
 * collected with curl_multi_info_read, removed from the multi handle and
 * handed to their owner's callback -- outside curl's own stack, so callbacks
 * may add or clean up handles freely.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "../common/limits.h"
#include "curlev.h"

/* Finished-transfer messages handled per collection pass (more are picked up
 * on the next pass). */
#define CURLEV_MAX_MSGS_PER_PASS (AGENT_MAX_INFLIGHT * 2)

struct curlev {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	unsigned running;
	struct s_xfer *xfers;
};

/* Per-transfer context, found through CURLOPT_PRIVATE. */
struct s_xfer {
	struct curlev *c;
	CURL *easy;
	curlev_done_fn done;
	void *arg;
	struct s_xfer *prev, *next; /* every running transfer, for destroy */
};

/* Unlink x from c's list of running transfers. */
static void s_unlink(struct curlev *c, struct s_xfer *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		c->xfers = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	x->prev = x->next = NULL;
}

/* Per-socket context, attached with curl_multi_assign. */
struct s_sock {
	struct curlev *c;
	curl_socket_t fd;
	struct event *ev;
};

static void s_check_done(struct curlev *c)
{
	CURLMsg *msg;
	int left = 0;

	for (int i = 0; i < CURLEV_MAX_MSGS_PER_PASS; i++) {
		msg = curl_multi_info_read(c->multi, &left);
		if (msg == NULL)
			break;
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *easy = msg->easy_handle;
		CURLcode rc = msg->data.result;
		struct s_xfer *x = NULL;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
		curl_multi_remove_handle(c->multi, easy);
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		if (c->running > 0)
			c->running--;
		if (x != NULL) {
			s_unlink(c, x);
			curlev_done_fn done = x->done;
			void *arg = x->arg;
			free(x);
			done(easy, rc, arg);
		}
	}
}

static void s_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *c = arg;
	int action = 0, still = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(c->multi, fd, action, &still);
	/* no "nothing running: drop the timer" here: a done callback may just
	 * have added a transfer that needs it */
	s_check_done(c);
}

static void s_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
	struct curlev *c = arg;
	int still = 0;

	curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &still);
	s_check_done(c);
}

/* CURLMOPT_TIMERFUNCTION: (re)arm or cancel the single timer. */
static int s_timer_cb(CURLM *multi, long timeout_ms, void *arg)
{
	struct curlev *c = arg;
	struct timeval tv;

	if (timeout_ms < 0) {
		evtimer_del(c->timer);
		return 0;
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(c->timer, &tv);
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: watch, re-watch or forget a socket. */
static int s_sock_cb(CURL *easy, curl_socket_t fd, int what, void *arg, void *sockp)
{
	struct curlev *c = arg;
	struct s_sock *s = sockp;
	short kind;

	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			event_free(s->ev);
			free(s);
			curl_multi_assign(c->multi, fd, NULL);
		}
		return 0;
	}
	kind = EV_PERSIST;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1;
		s->c = c;
		s->fd = fd;
		curl_multi_assign(c->multi, fd, s);
	} else {
		event_free(s->ev);
		s->ev = NULL;
	}
	s->ev = event_new(c->base, fd, kind, s_event_cb, c);
	if (s->ev == NULL || event_add(s->ev, NULL) != 0)
		return -1;
	return 0;
}

struct curlev *curlev_new(struct event_base *base, char *err, size_t errlen)
{
	static int s_global_done;
	struct curlev *c = NULL;

	if (!s_global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "curl_global_init failed");
			goto fail;
		}
		s_global_done = 1;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->base = base;
	c->multi = curl_multi_init();
	c->timer = evtimer_new(base, s_timeout_cb, c);
	if (c->multi == NULL || c->timer == NULL) {
		snprintf(err, errlen, "cannot create the curl multi handle");
		goto fail;
	}
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, s_sock_cb);
	curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, s_timer_cb);
	curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
	/* no reuse between probes; the cache only has to hold what is open */
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)AGENT_MAX_INFLIGHT);
	curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	curl_multi_setopt(c->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
	return c;
fail:
	curlev_destroy(&c);
	return NULL;
}

void curlev_destroy(struct curlev **cp)
{
	struct curlev *c;

	if (cp == NULL || *cp == NULL)
		return;
	c = *cp;
	/* bounded: each pass removes one transfer */
	for (size_t i = 0; c->xfers != NULL && i < (size_t)AGENT_MAX_INFLIGHT * 8; i++)
		curlev_remove(c, c->xfers->easy);
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	if (c->timer != NULL)
		event_free(c->timer);
	free(c);
	*cp = NULL;
}

int curlev_add(struct curlev *c, CURL *easy, curlev_done_fn done, void *arg, char *err,
               size_t errlen)
{
	struct s_xfer *x = calloc(1, sizeof(*x));
	CURLMcode mc;

	if (x == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	x->c = c;
	x->easy = easy;
	x->done = done;
	x->arg = arg;
	curl_easy_setopt(easy, CURLOPT_PRIVATE, x);
	mc = curl_multi_add_handle(c->multi, easy);
	if (mc != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
		free(x);
		snprintf(err, errlen, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
		return -1;
	}
	x->next = c->xfers;
	if (c->xfers != NULL)
		c->xfers->prev = x;
	c->xfers = x;
	c->running++;
	return 0;
}

void curlev_remove(struct curlev *c, CURL *easy)
{
	struct s_xfer *x = NULL;

	if (c == NULL || easy == NULL)
		return;
	curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x);
	if (x == NULL)
		return; /* not running (finished, or never added) */
	curl_multi_remove_handle(c->multi, easy);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, NULL);
	s_unlink(c, x);
	free(x);
	if (c->running > 0)
		c->running--;
}

unsigned curlev_running(const struct curlev *c)
{
	return c != NULL ? c->running : 0;
}
