/*
 * httpstub.c -- see httpstub.h.
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "httpstub.h"

/* One request's body, gathered over the upload calls. */
struct s_conn {
	size_t len;
	char body[HTTPSTUB_MAX_BODY + 1];
};

static enum MHD_Result s_queue(struct MHD_Connection *conn, const struct httpstub_reply *a)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (a->body != NULL)
		r = MHD_create_response_from_buffer(strlen(a->body), (void *)a->body,
		                                    MHD_RESPMEM_MUST_COPY);
	else
		r = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	if (a->content_type != NULL)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
	rc = MHD_queue_response(conn, a->status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Count q, let the test record and answer it, and hold it when asked. */
static void s_count(struct httpstub *h, struct httpstub_req *q, struct httpstub_reply *out)
{
	bool held;

	pthread_mutex_lock(&h->mu);
	q->n = ++h->requests;
	h->answer(h->arg, q, out);
	held = q->n == 1 && h->hold;
	h->holding = held;
	pthread_cond_broadcast(&h->cv);
	if (held) {
		struct timespec until;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += HTTPSTUB_HOLD_MS / 1000;
		while (h->hold && pthread_cond_timedwait(&h->cv, &h->mu, &until) != ETIMEDOUT)
			;
		h->holding = false;
	}
	pthread_mutex_unlock(&h->mu);
}

static enum MHD_Result s_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
	struct httpstub *h = cls;
	struct s_conn *c = *con_cls;
	struct httpstub_req q = {.conn = conn, .method = method, .url = url};
	struct httpstub_reply out = {.status = MHD_HTTP_OK};
	const char *auth;

	(void)version;
	if (c == NULL) {
		c = calloc(1, sizeof(*c));
		if (c == NULL)
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*upload_size > 0) {
		size_t len = *upload_size;

		if (len > HTTPSTUB_MAX_BODY - c->len)
			len = HTTPSTUB_MAX_BODY - c->len;
		memcpy(c->body + c->len, upload, len);
		c->len += len;
		*upload_size = 0;
		return MHD_YES;
	}
	c->body[c->len] = '\0';
	if (h->authorization != NULL) {
		auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                   MHD_HTTP_HEADER_AUTHORIZATION);
		if (auth == NULL || strcmp(auth, h->authorization) != 0)
			return s_queue(conn, &(struct httpstub_reply){
			                             .status = MHD_HTTP_UNAUTHORIZED,
			                             .body = "{\"error\": \"unauthorized\"}",
			                             .content_type = "application/json"});
	}
	q.body = c->body;
	s_count(h, &q, &out);
	return s_queue(conn, &out);
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

void httpstub_init(struct httpstub *h, httpstub_answer_fn answer, void *arg)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->answer = answer;
	h->arg = arg;
}

void httpstub_start(struct httpstub *h)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
	const union MHD_DaemonInfo *info;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, s_handler, h,
	                        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	                        MHD_OPTION_NOTIFY_COMPLETED, s_completed, NULL, MHD_OPTION_END);
	cr_assert_not_null(h->d, "cannot start the test HTTP server");
	info = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	cr_assert_not_null(info);
	h->port = info->port;
	cr_assert_neq(h->port, 0);
	snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%u", (unsigned)h->port);
}

void httpstub_release(struct httpstub *h)
{
	pthread_mutex_lock(&h->mu);
	h->hold = false;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void httpstub_stop(struct httpstub *h)
{
	if (h->d == NULL)
		return;
	httpstub_release(h);
	MHD_stop_daemon(h->d);
	h->d = NULL;
}

void httpstub_fini(struct httpstub *h)
{
	httpstub_stop(h);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
}

unsigned httpstub_requests(struct httpstub *h)
{
	unsigned n;

	pthread_mutex_lock(&h->mu);
	n = h->requests;
	pthread_mutex_unlock(&h->mu);
	return n;
}
