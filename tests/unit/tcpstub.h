/*
 * tcpstub.h -- a TCP listener on 127.0.0.1 (ephemeral port) for the probe
 * tests: one thread accepts connections and hands each to the test's own
 * function (an HTTP responder, a TLS server).  Test support only, the TCP
 * twin of dnsstub.h; linked into the unit-test binary.
 */
#ifndef VANTAGE_TEST_TCPSTUB_H
#define VANTAGE_TEST_TCPSTUB_H

#include <pthread.h>
#include <stdint.h>

#define TCPSTUB_BACKLOG 4096 /* the HTTP-01 tests connect many at once */
#define TCPSTUB_POLL_MS 50   /* the thread notices a stop this fast */

/* Serve one accepted connection c and close it. */
typedef void (*tcpstub_serve_fn)(int c, void *arg);

struct tcpstub {
	int fd;
	uint16_t port; /* the bound port, after tcpstub_start */
	int stop[2];
	pthread_t thr;
	tcpstub_serve_fn serve;
	void *arg;
};

/* Listen on 127.0.0.1:0 and start accepting (asserts on failure). */
void tcpstub_start(struct tcpstub *t, tcpstub_serve_fn serve, void *arg);
/* Stop the thread and close everything. */
void tcpstub_stop(struct tcpstub *t);
/* A loopback port nothing listens on. */
uint16_t tcpstub_closed_port(void);

#endif
