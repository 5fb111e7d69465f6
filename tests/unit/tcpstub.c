/*
 * tcpstub.c -- see tcpstub.h.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcpstub.h"

static void *s_main(void *arg)
{
	struct tcpstub *t = arg;
	struct pollfd pf[2] = {{.fd = t->fd, .events = POLLIN},
	                       {.fd = t->stop[0], .events = POLLIN}};

	for (;;) {
		if (poll(pf, 2, TCPSTUB_POLL_MS) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (pf[0].revents & POLLIN) {
			int c = accept(t->fd, NULL, NULL);
			if (c >= 0)
				t->serve(c, t->arg);
		}
	}
	return NULL;
}

void tcpstub_start(struct tcpstub *t, tcpstub_serve_fn serve, void *arg)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(t, 0, sizeof(*t));
	t->serve = serve;
	t->arg = arg;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert(t->fd >= 0);
	setsockopt(t->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	cr_assert_eq(bind(t->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(listen(t->fd, TCPSTUB_BACKLOG), 0);
	cr_assert_eq(getsockname(t->fd, (struct sockaddr *)&sa, &sl), 0);
	t->port = ntohs(sa.sin_port);
	cr_assert_eq(pipe(t->stop), 0);
	cr_assert_eq(pthread_create(&t->thr, NULL, s_main, t), 0);
}

void tcpstub_stop(struct tcpstub *t)
{
	(void)!write(t->stop[1], "x", 1);
	pthread_join(t->thr, NULL);
	close(t->fd);
	close(t->stop[0]);
	close(t->stop[1]);
}

uint16_t tcpstub_closed_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	close(fd);
	return ntohs(sa.sin_port);
}
