/*
 * dnsstub.h -- a tiny DNS responder on 127.0.0.1 (UDP, ephemeral port) for
 * the probe tests: one thread, answers built by the test's own function.
 * Test support only; linked into the unit-test binary.
 */
#ifndef VANTAGE_TEST_DNSSTUB_H
#define VANTAGE_TEST_DNSSTUB_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* Fill resp (question already copied, flags set) for the lower-cased qname
 * and type; return false to drop the query (no reply: a timeout). */
typedef bool (*dnsstub_answer_fn)(const char *qname, ldns_rr_type t, ldns_pkt *resp);

struct dnsstub {
	int fd;
	uint16_t port; /* the bound port, after dnsstub_start */
	int stop[2];
	pthread_t thr;
	dnsstub_answer_fn answer;
};

/* Bind 127.0.0.1:0 and start answering with answer (asserts on failure). */
void dnsstub_start(struct dnsstub *d, dnsstub_answer_fn answer);
/* Stop the thread and close everything. */
void dnsstub_stop(struct dnsstub *d);

#endif
