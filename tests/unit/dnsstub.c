/*
 * dnsstub.c -- see dnsstub.h.
 */
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dnsstub.h"

#define S_POLL_MS   50
#define S_BUF_BYTES 4096

static void *s_main(void *arg)
{
	struct dnsstub *d = arg;
	struct pollfd pf[2] = {{.fd = d->fd, .events = POLLIN},
	                       {.fd = d->stop[0], .events = POLLIN}};
	uint8_t buf[S_BUF_BYTES];

	for (;;) {
		if (poll(pf, 2, S_POLL_MS) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(d->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		ldns_pkt *q = NULL, *resp;
		bool reply = true;
		if (n <= 0 || ldns_wire2pkt(&q, buf, (size_t)n) != LDNS_STATUS_OK)
			continue;
		ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
		resp = ldns_pkt_new();
		ldns_pkt_set_id(resp, ldns_pkt_id(q));
		ldns_pkt_set_qr(resp, true);
		ldns_pkt_set_aa(resp, true);
		ldns_pkt_set_rd(resp, ldns_pkt_rd(q));
		ldns_pkt_set_ra(resp, true);
		if (qrr != NULL) {
			char *name = ldns_rdf2str(ldns_rr_owner(qrr));
			ldns_pkt_push_rr(resp, LDNS_SECTION_QUESTION, ldns_rr_clone(qrr));
			for (char *c = name; c && *c; c++)
				*c = (char)tolower((unsigned char)*c);
			reply = d->answer(name ? name : "", ldns_rr_get_type(qrr), resp);
			free(name);
		}
		if (reply) {
			uint8_t *wire = NULL;
			size_t wl = 0;
			if (ldns_pkt2wire(&wire, resp, &wl) == LDNS_STATUS_OK)
				(void)!sendto(d->fd, wire, wl, 0, (struct sockaddr *)&from, fl);
			free(wire);
		}
		ldns_pkt_free(resp);
		ldns_pkt_free(q);
	}
	return NULL;
}

void dnsstub_start(struct dnsstub *d, dnsstub_answer_fn answer)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);

	memset(d, 0, sizeof(*d));
	d->answer = answer;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d->fd = socket(AF_INET, SOCK_DGRAM, 0);
	cr_assert(d->fd >= 0);
	cr_assert_eq(bind(d->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(d->fd, (struct sockaddr *)&sa, &sl), 0);
	d->port = ntohs(sa.sin_port);
	cr_assert_eq(pipe(d->stop), 0);
	cr_assert_eq(pthread_create(&d->thr, NULL, s_main, d), 0);
}

void dnsstub_stop(struct dnsstub *d)
{
	(void)!write(d->stop[1], "x", 1);
	pthread_join(d->thr, NULL);
	close(d->fd);
	close(d->stop[0]);
	close(d->stop[1]);
}
