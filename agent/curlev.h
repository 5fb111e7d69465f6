/*
 * curlev.h -- one libcurl multi handle driven by a libevent event_base
 * (curl's "hiperfifo" pattern: CURLMOPT_SOCKETFUNCTION, CURLMOPT_TIMERFUNCTION
 * and curl_multi_socket_action), with a completion callback per easy handle.
 *
 * The probe engine owns one curlev per process; every HTTP fetch of every
 * probe runs on it, so no probe needs a thread.
 */
#ifndef VANTAGE_AGENT_CURLEV_H
#define VANTAGE_AGENT_CURLEV_H

#include <stddef.h>

#include <curl/curl.h>

struct event_base;
struct curlev;

/* Called once when easy finished (rc is its CURLcode), after the handle has
 * been removed from the multi handle: the callback owns easy again and may
 * clean it up or add new handles. */
typedef void (*curlev_done_fn)(CURL *easy, CURLcode rc, void *arg);

/* Create the multi handle on base (not owned).  NULL with a reason in err.
 * Calls curl_global_init() on first use. */
struct curlev *curlev_new(struct event_base *base, char *err, size_t errlen);

/* Remove every running transfer (no callbacks; the easy handles stay the
 * callers'), free the multi handle and null *cp. */
void curlev_destroy(struct curlev **cp);

/* Start easy (configured by the caller, who keeps ownership; CURLOPT_PRIVATE
 * is used by curlev).  done fires exactly once unless curlev_remove() is
 * called first.  0, or -1 with a reason in err. */
int curlev_add(struct curlev *c, CURL *easy, curlev_done_fn done, void *arg, char *err,
               size_t errlen);

/* Stop easy if it is running; its callback will not fire.  Safe on a handle
 * that already finished. */
void curlev_remove(struct curlev *c, CURL *easy);

/* Transfers currently running. */
unsigned curlev_running(const struct curlev *c);

#endif
