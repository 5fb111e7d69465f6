/*
 * httpstub.h -- an HTTP server on 127.0.0.1 (ephemeral port; libmicrohttpd's
 * own thread) for the tests of the coordinator's HTTP clients: the webhook
 * sender (test_alert.c) and `vantage wait` (test_wait.c).  It gathers each
 * request's body, counts the requests, can require an Authorization header
 * and hold the first request, and lets the test's own function record the
 * request and choose the answer.  Test support only, beside tcpstub.h;
 * linked into the unit-test binary.
 */
#ifndef VANTAGE_TEST_HTTPSTUB_H
#define VANTAGE_TEST_HTTPSTUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#define HTTPSTUB_MAX_BODY (128 * 1024) /* bytes of a request body kept; the rest is cut */
#define HTTPSTUB_HOLD_MS  5000         /* a held request waits at most this */

/* One complete request, as the test's function sees it. */
struct httpstub_req {
	struct MHD_Connection *conn; /* for its headers */
	const char *method, *url;
	const char *body; /* NUL-terminated, cut at HTTPSTUB_MAX_BODY */
	unsigned n;       /* its number among the counted requests, from 1 */
};

/* The answer to one request.  body (NULL: empty) is copied when the answer
 * is queued, after the function returned: it must outlive the server (a
 * string constant).  content_type NULL: no Content-Type header. */
struct httpstub_reply {
	unsigned status;
	const char *body, *content_type;
};

/* Record request q and fill *out; called on the server's thread with the
 * server's mu held.  arg is the one given to httpstub_init. */
typedef void (*httpstub_answer_fn)(void *arg, const struct httpstub_req *q,
                                   struct httpstub_reply *out);

struct httpstub {
	struct MHD_Daemon *d;
	uint16_t port; /* the bound port, after httpstub_start */
	char url[64];  /* "http://127.0.0.1:PORT", after httpstub_start */
	pthread_mutex_t mu;
	pthread_cond_t cv; /* broadcast when a request is counted */
	unsigned requests; /* requests counted */
	/* Set before httpstub_start; when not NULL, a request whose
	 * Authorization header is not this is answered 401
	 * {"error": "unauthorized"} (as the coordinator's API does) and is
	 * not counted. */
	const char *authorization;
	bool hold;    /* hold the first counted request until released (or HTTPSTUB_HOLD_MS) */
	bool holding; /* ... it is being held */
	httpstub_answer_fn answer;
	void *arg;
};

/* Zero h and make its lock; requests will be answered by answer(arg, ...). */
void httpstub_init(struct httpstub *h, httpstub_answer_fn answer, void *arg);
/* Listen on 127.0.0.1:0 and start serving (asserts on failure). */
void httpstub_start(struct httpstub *h);
/* Release a held request and stop serving: nothing listens on the port
 * afterwards.  Does nothing when the server is not running. */
void httpstub_stop(struct httpstub *h);
/* httpstub_stop, then free the lock. */
void httpstub_fini(struct httpstub *h);
/* Let a held request go on. */
void httpstub_release(struct httpstub *h);
/* How many requests were counted so far. */
unsigned httpstub_requests(struct httpstub *h);

#endif
