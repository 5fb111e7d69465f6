/*
 * hooksink.c -- the lab's webhook receiver (tests only): an HTTP server that
 * appends every POST body to a file, one line per request, so a test can
 * count and inspect the alerts the coordinator sent.
 *
 *   hooksink ADDR PORT FILE      (runs until SIGTERM/SIGINT)
 *
 * Bodies are cut at HOOKSINK_MAX_BODY bytes; newlines inside a body become
 * spaces so that one alert is one line.  Answers 204 to POST, 405 to the rest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#define HOOKSINK_MAX_BODY 65536

struct req {
	char body[HOOKSINK_MAX_BODY];
	size_t len;
};

static const char *s_file;
static volatile sig_atomic_t s_stop;

static void s_on_signal(int sig)
{
	(void)sig;
	s_stop = 1;
}

static enum MHD_Result s_reply(struct MHD_Connection *conn, unsigned status)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (r == NULL)
		return MHD_NO;
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
	struct req *q = *con_cls;
	FILE *f;

	(void)cls;
	(void)url;
	(void)version;
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0)
		return s_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED);
	if (q == NULL) {
		q = calloc(1, sizeof(*q));
		if (q == NULL)
			return MHD_NO;
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t n = *upload_size;
		if (n > sizeof(q->body) - q->len)
			n = sizeof(q->body) - q->len;
		memcpy(q->body + q->len, upload, n);
		q->len += n;
		*upload_size = 0;
		return MHD_YES;
	}
	for (size_t i = 0; i < q->len; i++)
		if (q->body[i] == '\n' || q->body[i] == '\r')
			q->body[i] = ' ';
	f = fopen(s_file, "a");
	if (f == NULL) {
		fprintf(stderr, "hooksink: %s: %s\n", s_file, strerror(errno));
		return s_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR);
	}
	fwrite(q->body, 1, q->len, f);
	fputc('\n', f);
	fflush(f);
	fsync(fileno(f));
	fclose(f);
	return s_reply(conn, MHD_HTTP_NO_CONTENT);
}

static void s_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                        enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa;
	struct MHD_Daemon *d;
	char *end;
	unsigned long port;

	if (argc != 4) {
		fprintf(stderr, "usage: hooksink ADDR PORT FILE\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	port = strtoul(argv[2], &end, 10);
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1 || *end != '\0' || port == 0 ||
	    port > 65535) {
		fprintf(stderr, "hooksink: bad address or port\n");
		return 2;
	}
	sa.sin_port = htons((uint16_t)port);
	s_file = argv[3];
	signal(SIGTERM, s_on_signal);
	signal(SIGINT, s_on_signal);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, (uint16_t)port, NULL, NULL, s_handler,
	                     NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                     MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL,
	                     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "hooksink: cannot listen on %s:%lu\n", argv[1], port);
		return 1;
	}
	fprintf(stderr, "hooksink: listening on %s:%lu, writing %s\n", argv[1], port, s_file);
	while (!s_stop)
		sleep(1); /* a signal ends it early */
	MHD_stop_daemon(d);
	return 0;
}
