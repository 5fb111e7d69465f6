/*
 * tlsalpn.c -- the TLS-ALPN-01 probe, as Boulder's va/tlsalpn.go does it
 * (letsencrypt-validation.md section 4), and the connection on port 443 it
 * shares with the tls-cert probe (tlsdial, see acmecert.h).
 *
 * Resolve the identifier (resolver.c), dial port 443 of its first IPv6
 * address (else first IPv4) and shake hands with TLS >= 1.2, SNI = the
 * identifier (its reverse name for an IP) and ALPN offering exactly
 * acme-tls/1.  Any error on the IPv6 address -- dial, handshake, alert,
 * timeout -- moves to the first IPv4 address, once.  The connection is
 * closed without application data; acmecert.c judges the certificate.
 *
 * Without a key authorization (reachability) the probe says whether 443
 * answers TLS >= 1.2 and negotiates acme-tls/1, then shakes hands a second
 * time without ALPN to capture the certificate the server normally presents.
 * A handshake refused for its protocol version is retried once with TLS 1.0
 * and 1.1 allowed, only to name the version the server speaks.
 *
 * Everything runs on the engine's event_base: a non-blocking socket, an
 * event per wait (EV_WRITE for connect, EV_READ / EV_WRITE as SSL_connect
 * asks) and one timer per attempt bounding dial plus handshake by
 * probe_cfg.dial_timeout_ms and by what is left of the job's budget.  The
 * first half of the file is that connection (tlsdial_*), which knows
 * nothing of acme-tls/1; the second half is the TLS-ALPN-01 method on it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "../common/keyauth.h"
#include "acmecert.h"
#include "leerr.h"
#include "probe_int.h"
#include "resolver.h"

#define S_CHALLENGE "tls-alpn-01"
#define S_NO_ACME_ALPN                                                                             \
	"the server does not offer acme-tls/1: TLS-ALPN-01 cannot work until the ACME client's "   \
	"responder answers on 443"
#define S_HTTP_MAGIC     "HTTP/" /* Boulder's badTLSHeader: a TLS record header's 5 bytes */
#define S_HTTP_MAGIC_LEN 5
#define S_ALPN_WIRE      "\x0a" TLSALPN_PROTOCOL /* length-prefixed ALPN list */
#define S_ALPN_WIRE_LEN  (sizeof(S_ALPN_WIRE) - 1)
#define S_OLD_CIPHERS    "DEFAULT:@SECLEVEL=0" /* only to name an old version */
#define S_ALERT_FATAL    2
#define S_ALERT_NONE     (-1)
/* TLS alert numbers Boulder's texts depend on (RFC 8446 6). */
#define S_ALERT_HANDSHAKE_FAILURE 40
#define S_ALERT_PROTOCOL_VERSION  70
#define S_ALERT_NO_APP_PROTOCOL   TLSDIAL_ALERT_NO_APP_PROTOCOL
/* SNI: nibble reverse name of IPv6 is 32 * 2 + 8 characters. */
#define S_SNI_LEN       (LIMIT_DOMAIN_LEN + 1)
#define S_IPV4_BYTES    4
#define S_IPV6_BYTES    16
#define S_MS_PER_SEC    1000
#define S_US_PER_MS     1000
#define S_NS_PER_MS     1000000L
#define S_TLS_VER_LEN   16
#define S_TEXT_LEN      256
#define S_ALPN_TEXT_LEN 32
/* Who needs TLS 1.2, and who tries IPv6 first, in a validation's words and
 * in tls-cert's. */
#define S_NEEDS_12_LE     "Let's Encrypt requires TLS 1.2 or better"
#define S_NEEDS_12_CLIENT "browsers and Let's Encrypt require TLS 1.2 or better"

/* ------------------------------------------------------------------------
 * The connection (tlsdial)
 * ------------------------------------------------------------------------ */

enum s_phase { S_IDLE, S_RESOLVE, S_CONNECT, S_HANDSHAKE, S_DONE };

struct tlsdial {
	struct probe *p;
	const struct tlsdial_ops *ops;
	void *arg;
	struct resolver *res;
	enum s_phase phase;
	const struct tlsdial_hs *hs; /* the handshake in flight (or to start) */
	bool old;                    /* ... retried with TLS 1.0-1.1 to name the version */
	struct resolver_addrs a;
	struct vt_record *rec;
	char ip[LIMIT_ADDR_LEN];
	bool on_v6;
	uint16_t port;
	char sni[S_SNI_LEN];
	/* the attempt in flight */
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	struct event *io_ev;
	struct event *timer_ev;
	bool connected;
	unsigned char first[S_HTTP_MAGIC_LEN]; /* the server's first bytes */
	size_t n_first;
	int alert; /* fatal alert received, or S_ALERT_NONE */
	struct timespec t_dial;
	/* the error an old-version retry explains */
	enum vt_problem_type pend_type;
	char pend_text[S_TEXT_LEN];
	int pend_alert;
};

static void s_close_conn(struct tlsdial *d, bool notify)
{
	if (d->io_ev != NULL) {
		event_free(d->io_ev);
		d->io_ev = NULL;
	}
	if (d->timer_ev != NULL)
		evtimer_del(d->timer_ev);
	if (d->ssl != NULL) {
		/* close_notify only, never application data (RFC 8737 4) */
		if (notify)
			(void)SSL_shutdown(d->ssl);
		SSL_free(d->ssl);
		d->ssl = NULL;
		ERR_clear_error();
	}
	if (d->ctx != NULL) {
		SSL_CTX_free(d->ctx);
		d->ctx = NULL;
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}

void tlsdial_fail(struct tlsdial *d, enum vt_problem_type type, const char *fmt, ...)
{
	char buf[LIMIT_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s_close_conn(d, false);
	vt_result_fail(probe_result(d->p), type, "%s", buf);
	d->phase = S_DONE;
	probe_finish(d->p);
}

void tlsdial_finish(struct tlsdial *d, enum vt_outcome o)
{
	struct vt_result *r = probe_result(d->p);

	s_close_conn(d, true);
	r->outcome = o;
	r->problem.type = VT_PROB_NONE;
	r->problem.detail[0] = '\0';
	d->phase = S_DONE;
	probe_finish(d->p);
}

/* Go's text for a TLS alert (crypto/tls/alert.go). */
static const char *s_alert_text(int a, char *buf, size_t buflen)
{
	static const struct {
		int code;
		const char *text;
	} s_alerts[] = {
	        {0, "close notify"},
	        {10, "unexpected message"},
	        {20, "bad record MAC"},
	        {21, "decryption failed"},
	        {22, "record overflow"},
	        {30, "decompression failure"},
	        {S_ALERT_HANDSHAKE_FAILURE, "handshake failure"},
	        {42, "bad certificate"},
	        {43, "unsupported certificate"},
	        {44, "revoked certificate"},
	        {45, "expired certificate"},
	        {46, "unknown certificate"},
	        {47, "illegal parameter"},
	        {48, "unknown certificate authority"},
	        {49, "access denied"},
	        {50, "error decoding message"},
	        {51, "error decrypting message"},
	        {60, "export restriction"},
	        {S_ALERT_PROTOCOL_VERSION, "protocol version not supported"},
	        {71, "insufficient security level"},
	        {80, "internal error"},
	        {86, "inappropriate fallback"},
	        {90, "user canceled"},
	        {100, "no renegotiation"},
	        {109, "missing extension"},
	        {110, "unsupported extension"},
	        {111, "certificate unobtainable"},
	        {112, "unrecognized name"},
	        {113, "bad certificate status response"},
	        {114, "bad certificate hash value"},
	        {115, "unknown PSK identity"},
	        {116, "certificate required"},
	        {S_ALERT_NO_APP_PROTOCOL, "no application protocol"},
	        {121, "encrypted client hello required"},
	};

	for (size_t i = 0; i < sizeof(s_alerts) / sizeof(s_alerts[0]); i++)
		if (s_alerts[i].code == a)
			return s_alerts[i].text;
	snprintf(buf, buflen, "alert(%d)", a);
	return buf;
}

static uint32_t s_ms_since(const struct timespec *t0)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - t0->tv_sec) * (long long)S_MS_PER_SEC +
	     (now.tv_nsec - t0->tv_nsec) / S_NS_PER_MS;
	return ms < 0 ? 0 : (uint32_t)ms;
}

/* Boulder's badTLSHeader test: did the server's answer begin "HTTP/"? */
static bool s_speaks_http(const struct tlsdial *d)
{
	return d->n_first == S_HTTP_MAGIC_LEN &&
	       memcmp(d->first, S_HTTP_MAGIC, S_HTTP_MAGIC_LEN) == 0;
}

/* Socket BIO callback: keep the first bytes the server sent, for
 * s_speaks_http (OpenSSL has consumed them by the time it fails). */
static long s_bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                     size_t *processed)
{
	struct tlsdial *d = (struct tlsdial *)BIO_get_callback_arg(b);

	if (d != NULL && oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != NULL &&
	    argp != NULL) {
		for (size_t i = 0; i < *processed && d->n_first < S_HTTP_MAGIC_LEN; i++)
			d->first[d->n_first++] = (unsigned char)argp[i];
	}
	return ret;
}

static void s_attempt(struct tlsdial *d, const struct tlsdial_hs *hs, bool old);
static void s_io_cb(evutil_socket_t fd, short what, void *arg);

/* Wait for what (EV_READ or EV_WRITE) on the attempt's socket. */
static int s_wait(struct tlsdial *d, short what)
{
	if (d->io_ev != NULL)
		event_free(d->io_ev);
	d->io_ev = event_new(probe_base(d->p), d->fd, what, s_io_cb, d);
	if (d->io_ev == NULL || event_add(d->io_ev, NULL) != 0)
		return -1;
	return 0;
}

/* The old-version retry explains the failure: the server speaks only
 * version (e.g. "TLS 1.1"). */
static void s_fail_old(struct tlsdial *d, const char *version)
{
	tlsdial_fail(d, VT_PROB_TLS, "%s: the server only speaks %s; %s", d->ip, version,
	             d->ops->challenge ? S_NEEDS_12_LE : S_NEEDS_12_CLIENT);
}

/* The IPv6 attempt of a fallback handshake failed with text: move to the
 * first IPv4 address, or, for a validation, fail as Boulder does when there
 * is none. */
static void s_fallback(struct tlsdial *d, const char *text)
{
	struct vt_result *r = probe_result(d->p);
	const struct vt_job *job = probe_job(d->p);

	if (d->rec->n_addresses_tried < HTTP01_MAX_ADDRS_TRIED)
		memcpy(d->rec->addresses_tried[d->rec->n_addresses_tried++], d->ip, LIMIT_ADDR_LEN);
	if (d->a.n_v4 == 0) {
		/* Boulder discards the IPv6 error */
		tlsdial_fail(d, VT_PROB_MALFORMED,
		             "Unable to contact \"%s\" at \"%s\", no IPv4 addresses to try as "
		             "fallback",
		             job->domain, d->ip);
		return;
	}
	if (d->ops->challenge)
		vt_result_add_warning(r,
		                      "IPv6 address %s failed: %s. Let's Encrypt fell back to IPv4 "
		                      "this time, but fix IPv6: it tries IPv6 first",
		                      d->ip, text);
	else
		vt_result_add_warning(r,
		                      "IPv6 address %s failed: %s. This vantage fell back to IPv4, "
		                      "as Let's Encrypt does, but fix IPv6: clients try it first",
		                      d->ip, text);
	d->on_v6 = false;
	memcpy(d->ip, d->a.v4[0], LIMIT_ADDR_LEN);
	memcpy(d->rec->address_used, d->ip, LIMIT_ADDR_LEN);
	s_attempt(d, d->hs, false);
}

void tlsdial_attempt_failed(struct tlsdial *d, enum vt_problem_type type, const char *text,
                            bool prefix)
{
	bool version =
	        d->alert == S_ALERT_PROTOCOL_VERSION || d->alert == S_ALERT_HANDSHAKE_FAILURE;
	int alert = d->alert;

	if (d->old) {
		/* the old-version retry failed too: report what it explains */
		if (d->pend_alert == S_ALERT_PROTOCOL_VERSION)
			s_fail_old(d, "TLS 1.1 or older");
		else
			tlsdial_fail(d, d->pend_type, "%s: %s", d->ip, d->pend_text);
		return;
	}
	s_close_conn(d, false);
	if (d->ops->failed != NULL && d->ops->failed(d, alert, d->arg))
		return;
	/* tls-cert reports an IPv6-only host's own error (and may still name
	 * an old TLS version below) */
	if (d->hs->fallback && d->on_v6 && (d->a.n_v4 > 0 || d->ops->challenge)) {
		s_fallback(d, text);
		return;
	}
	if (version && type == VT_PROB_TLS) {
		d->pend_type = type;
		d->pend_alert = alert;
		snprintf(d->pend_text, sizeof(d->pend_text), "%s", text);
		s_attempt(d, d->hs, true);
		return;
	}
	if (prefix)
		tlsdial_fail(d, type, "%s: %s", d->ip, text);
	else
		tlsdial_fail(d, type, "%s", text);
}

/* SSL_connect failed with SSL_get_error() == e: classify as Boulder's
 * detailedError would. */
static void s_handshake_error(struct tlsdial *d, int e)
{
	char text[S_TEXT_LEN], abuf[S_TEXT_LEN / 4];
	int sys = errno;
	unsigned long le = ERR_peek_last_error();
	int reason = ERR_GET_REASON(le);

	ERR_clear_error();
	if (s_speaks_http(d)) {
		tlsdial_attempt_failed(d, VT_PROB_MALFORMED, LEERR_HTTP_ONLY, true);
		return;
	}
	if (d->alert != S_ALERT_NONE) {
		snprintf(text, sizeof(text), "remote error: tls: %s",
		         s_alert_text(d->alert, abuf, sizeof(abuf)));
		tlsdial_attempt_failed(d, VT_PROB_TLS, text, true);
		return;
	}
	if (e == SSL_ERROR_SYSCALL && sys == ECONNRESET) {
		tlsdial_attempt_failed(d, VT_PROB_CONNECTION, LEERR_RESET, true);
		return;
	}
	if (e == SSL_ERROR_SSL && (reason == SSL_R_UNSUPPORTED_PROTOCOL ||
	                           reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)) {
		/* the server chose a version below our minimum */
		d->alert = S_ALERT_PROTOCOL_VERSION;
		tlsdial_attempt_failed(d, VT_PROB_TLS,
		                       "remote error: tls: protocol version not supported", true);
		return;
	}
	tlsdial_attempt_failed(d, VT_PROB_CONNECTION, LEERR_GENERIC, true);
}

/* The handshake of an old-version retry succeeded: name the version. */
static void s_old_done(struct tlsdial *d)
{
	int v = SSL_version(d->ssl);

	s_fail_old(d, v == TLS1_VERSION     ? "TLS 1.0"
	              : v == TLS1_1_VERSION ? "TLS 1.1"
	                                    : "TLS 1.1 or older");
}

void tlsdial_capture(struct tlsdial *d, X509 *cert, const char *alpn)
{
	struct vt_result *r = probe_result(d->p);
	char err[S_TEXT_LEN];

	if (cert == NULL)
		return;
	if (acmecert_capture(cert, &r->cert, err, sizeof(err)) != 0)
		vt_result_add_warning(r, "certificate from %s: %s", d->ip, err);
	acmecert_capture_chain(SSL_get_peer_cert_chain(d->ssl), &r->cert);
	snprintf(r->cert.tls_version, sizeof(r->cert.tls_version), "%s", SSL_get_version(d->ssl));
	snprintf(r->cert.alpn, sizeof(r->cert.alpn), "%s", alpn);
}

static void s_handshake_step(struct tlsdial *d)
{
	int rc, e;

	ERR_clear_error();
	errno = 0;
	rc = SSL_connect(d->ssl);
	if (rc == 1) {
		if (d->old)
			s_old_done(d);
		else
			d->ops->done(d, d->arg);
		return;
	}
	e = SSL_get_error(d->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		if (s_wait(d, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE) != 0)
			tlsdial_fail(d, VT_PROB_SERVER_INTERNAL, "out of memory");
		return;
	}
	s_handshake_error(d, e);
}

static void s_info_cb(const SSL *ssl, int where, int ret)
{
	struct tlsdial *d = SSL_get_app_data(ssl);

	if (d != NULL && (where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT &&
	    (ret >> 8) == S_ALERT_FATAL)
		d->alert = ret & 0xff;
}

/* TCP is up: begin the handshake this attempt asks for. */
static void s_start_tls(struct tlsdial *d)
{
	d->ctx = SSL_CTX_new(TLS_client_method());
	if (d->ctx == NULL)
		goto oom;
	/* Boulder: InsecureSkipVerify; tls-cert verifies after the handshake */
	SSL_CTX_set_verify(d->ctx, SSL_VERIFY_NONE, NULL);
	if (d->old) {
		if (SSL_CTX_set_min_proto_version(d->ctx, TLS1_VERSION) != 1 ||
		    SSL_CTX_set_max_proto_version(d->ctx, TLS1_1_VERSION) != 1 ||
		    SSL_CTX_set_cipher_list(d->ctx, S_OLD_CIPHERS) != 1)
			goto oom;
	} else if (SSL_CTX_set_min_proto_version(d->ctx, TLS1_2_VERSION) != 1) {
		goto oom;
	}
	d->ssl = SSL_new(d->ctx);
	if (d->ssl == NULL || SSL_set_fd(d->ssl, d->fd) != 1)
		goto oom;
	SSL_set_app_data(d->ssl, d);
	BIO_set_callback_arg(SSL_get_rbio(d->ssl), (char *)d);
	BIO_set_callback_ex(SSL_get_rbio(d->ssl), s_bio_cb);
	SSL_set_info_callback(d->ssl, s_info_cb);
	if (d->sni[0] != '\0' && SSL_set_tlsext_host_name(d->ssl, d->sni) != 1)
		goto oom;
	/* SSL_set_alpn_protos returns 0 on success */
	if (!d->old && d->hs->alpn != NULL &&
	    SSL_set_alpn_protos(d->ssl, d->hs->alpn, (unsigned int)d->hs->alpn_len) != 0)
		goto oom;
	d->phase = S_HANDSHAKE;
	s_handshake_step(d);
	return;
oom:
	ERR_clear_error();
	tlsdial_fail(d, VT_PROB_SERVER_INTERNAL, "cannot set up TLS");
}

static void s_connected(struct tlsdial *d)
{
	d->connected = true;
	probe_result(d->p)->timings.connect_ms = s_ms_since(&d->t_dial);
	s_start_tls(d);
}

static void s_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tlsdial *d = arg;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (d->phase == S_CONNECT) {
		if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr != 0) {
			tlsdial_attempt_failed(d, VT_PROB_CONNECTION, leerr_errno_text(soerr),
			                       true);
			return;
		}
		s_connected(d);
		return;
	}
	if (d->phase == S_HANDSHAKE)
		s_handshake_step(d);
}

static void s_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tlsdial *d = arg;

	if (d->phase != S_CONNECT && d->phase != S_HANDSHAKE)
		return;
	tlsdial_attempt_failed(d, VT_PROB_CONNECTION,
	                       d->connected ? LEERR_TIMEOUT_AFTER : LEERR_TIMEOUT_DIAL, true);
}

/* Dial d->ip:d->port for one handshake as hs says (old: the retry with
 * TLS 1.0-1.1 that names the version). */
static void s_attempt(struct tlsdial *d, const struct tlsdial_hs *hs, bool old)
{
	const struct probe_cfg *cfg = probe_config(d->p);
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	uint32_t ms = probe_remaining_ms(d->p);
	struct timeval tv;

	s_close_conn(d, false);
	d->hs = hs;
	d->old = old;
	d->connected = false;
	d->n_first = 0;
	d->alert = S_ALERT_NONE;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, d->ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(d->port);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, d->ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(d->port);
		sl = sizeof(*sin6);
	} else {
		tlsdial_fail(d, VT_PROB_SERVER_INTERNAL, "bad address %s", d->ip);
		return;
	}
	if (cfg->dial_timeout_ms < ms)
		ms = cfg->dial_timeout_ms;
	tv.tv_sec = ms / S_MS_PER_SEC;
	tv.tv_usec = (ms % S_MS_PER_SEC) * S_US_PER_MS;
	evtimer_add(d->timer_ev, &tv);
	clock_gettime(CLOCK_MONOTONIC, &d->t_dial);
	d->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (d->fd < 0) {
		tlsdial_attempt_failed(d, VT_PROB_CONNECTION, leerr_errno_text(errno), true);
		return;
	}
	d->phase = S_CONNECT;
	if (connect(d->fd, (struct sockaddr *)&ss, sl) == 0) {
		s_connected(d);
		return;
	}
	if (errno != EINPROGRESS) {
		tlsdial_attempt_failed(d, VT_PROB_CONNECTION, leerr_errno_text(errno), true);
		return;
	}
	if (s_wait(d, EV_WRITE) != 0)
		tlsdial_fail(d, VT_PROB_SERVER_INTERNAL, "out of memory");
}

void tlsdial_handshake(struct tlsdial *d, const struct tlsdial_hs *hs)
{
	s_close_conn(d, true);
	s_attempt(d, hs, false);
}

static void s_resolved(const struct resolver_addrs *a, void *arg)
{
	struct tlsdial *d = arg;
	struct vt_result *r = probe_result(d->p);
	const struct probe_cfg *cfg = probe_config(d->p);
	const struct vt_job *job = probe_job(d->p);
	const char *who = d->ops->challenge ? "Let's Encrypt" : "clients";
	struct vt_record *rec;

	if (d->phase != S_RESOLVE)
		return;
	r->timings.resolve_ms = a->elapsed_ms;
	if (d->ops->challenge)
		resolver_warn_reserved(a, r);
	if (a->prob != VT_PROB_NONE) {
		tlsdial_fail(d, a->prob, "%s", a->err);
		return;
	}
	d->a = *a;
	rec = vt_result_add_record(r);
	if (rec == NULL) {
		tlsdial_fail(d, VT_PROB_SERVER_INTERNAL, "out of memory");
		return;
	}
	d->rec = rec;
	snprintf(rec->hostname, sizeof(rec->hostname), "%s", job->domain);
	rec->port = d->port;
	for (size_t i = 0; i < a->n_v6 && rec->n_addresses_resolved < LIMIT_MAX_ADDRS * 2; i++)
		memcpy(rec->addresses_resolved[rec->n_addresses_resolved++], a->v6[i],
		       LIMIT_ADDR_LEN);
	for (size_t i = 0; i < a->n_v4 && rec->n_addresses_resolved < LIMIT_MAX_ADDRS * 2; i++)
		memcpy(rec->addresses_resolved[rec->n_addresses_resolved++], a->v4[i],
		       LIMIT_ADDR_LEN);
	if (cfg->ipv6 && a->n_v6 > 0) {
		memcpy(d->ip, a->v6[0], LIMIT_ADDR_LEN);
		d->on_v6 = true;
	} else if (a->n_v4 > 0) {
		if (a->n_v6 > 0)
			vt_result_add_warning(
			        r,
			        "this vantage has no IPv6, so IPv6 (%s) was not judged; "
			        "%s would try it first",
			        a->v6[0], who);
		memcpy(d->ip, a->v4[0], LIMIT_ADDR_LEN);
	} else {
		vt_result_add_warning(
		        r,
		        "this vantage has no IPv6, so IPv6 was not judged (%s has only "
		        "IPv6 addresses)",
		        job->domain);
		tlsdial_fail(d, VT_PROB_CONNECTION,
		             "%s: this vantage has no IPv6 path and %s resolves only to IPv6",
		             a->n_v6 > 0 ? a->v6[0] : "", job->domain);
		return;
	}
	memcpy(rec->address_used, d->ip, LIMIT_ADDR_LEN);
	s_attempt(d, d->hs, false);
}

struct tlsdial *tlsdial_new(struct probe *p, uint16_t port, const char *sni,
                            const struct tlsdial_ops *ops, void *arg)
{
	struct tlsdial *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->fd = -1;
	d->p = p;
	d->ops = ops;
	d->arg = arg;
	d->port = port;
	d->alert = S_ALERT_NONE;
	d->pend_alert = S_ALERT_NONE;
	snprintf(d->sni, sizeof(d->sni), "%s", sni);
	d->timer_ev = evtimer_new(probe_base(p), s_timer_cb, d);
	d->res = resolver_new(probe_base(p), &probe_config(p)->resolver,
	                      &probe_config(p)->public_prefixes);
	if (d->timer_ev == NULL || d->res == NULL) {
		tlsdial_destroy(&d);
		return NULL;
	}
	return d;
}

void tlsdial_destroy(struct tlsdial **dp)
{
	struct tlsdial *d;

	if (dp == NULL || *dp == NULL)
		return;
	d = *dp;
	s_close_conn(d, false);
	if (d->timer_ev != NULL)
		event_free(d->timer_ev);
	resolver_destroy(&d->res);
	free(d);
	*dp = NULL;
}

int tlsdial_start(struct tlsdial *d, const char *host, const struct tlsdial_hs *hs, char *err,
                  size_t errlen)
{
	d->hs = hs;
	d->phase = S_RESOLVE;
	return resolver_lookup(d->res, host, s_resolved, d, err, errlen);
}

void tlsdial_cancel(struct tlsdial *d, bool budget_expired)
{
	struct probe *p = d->p;
	const char *host;

	if (budget_expired && probe_result(p)->outcome == 0) {
		if (d->phase == S_CONNECT || d->phase == S_HANDSHAKE) {
			vt_result_fail(probe_result(p), VT_PROB_CONNECTION, "%s: %s", d->ip,
			               d->connected ? LEERR_TIMEOUT_AFTER : LEERR_TIMEOUT_DIAL);
		} else if (d->phase == S_RESOLVE) {
			host = probe_job(p)->domain;
			vt_result_fail(
			        probe_result(p), VT_PROB_DNS,
			        "DNS problem: query timed out (and was canceled) looking up A for "
			        "%s; DNS problem: query timed out (and was canceled) looking up "
			        "AAAA for %s",
			        host, host);
		}
	}
	d->phase = S_DONE;
	resolver_cancel(d->res);
	s_close_conn(d, false);
}

SSL *tlsdial_ssl(const struct tlsdial *d)
{
	return d->ssl;
}

const struct tlsdial_hs *tlsdial_current(const struct tlsdial *d)
{
	return d->hs;
}

const char *tlsdial_ip(const struct tlsdial *d)
{
	return d->ip;
}

/* ------------------------------------------------------------------------
 * TLS-ALPN-01 on the connection
 * ------------------------------------------------------------------------ */

static uint16_t s_port_override;

void tlsalpn01_set_port_for_tests(uint16_t port)
{
	s_port_override = port;
}

static uint16_t s_port(void)
{
	return s_port_override != 0 ? s_port_override : TLSALPN_PORT;
}

/* The validation itself: ALPN acme-tls/1, IPv6 falls back to IPv4. */
static const struct tlsdial_hs s_hs_acme = {
        .alpn = (const unsigned char *)S_ALPN_WIRE,
        .alpn_len = S_ALPN_WIRE_LEN,
        .fallback = true,
};
/* Reachability's second handshake, on the address that answered: no ALPN,
 * the certificate the server presents normally. */
static const struct tlsdial_hs s_hs_normal = {.alpn = NULL, .alpn_len = 0, .fallback = false};

struct s_tlsalpn {
	struct probe *p;
	struct tlsdial *d;
	bool validate;
	uint8_t digest[32];
	uint16_t port;
	/* what the acme-tls/1 handshake negotiated (reachability) */
	char acme_alpn[S_ALPN_TEXT_LEN];
};

/* The reverse-DNS name of an IP literal (RFC 8738 SNI), without the final
 * dot, as Go's tls client sends it.  0, or -1 if s is not an IP literal. */
static int s_reverse_name(const char *s, char *out, size_t outlen)
{
	uint8_t b[S_IPV6_BYTES];
	size_t o = 0;

	if (inet_pton(AF_INET, s, b) == 1) {
		snprintf(out, outlen, "%u.%u.%u.%u.in-addr.arpa", b[3], b[2], b[1], b[0]);
		return 0;
	}
	if (inet_pton(AF_INET6, s, b) != 1)
		return -1;
	for (int i = S_IPV6_BYTES - 1; i >= 0 && o < outlen; i--)
		o += (size_t)snprintf(out + o, outlen - o, "%x.%x.", b[i] & 0xf, b[i] >> 4);
	if (o < outlen)
		snprintf(out + o, outlen - o, "ip6.arpa");
	return 0;
}

/* An attempt failed: in reachability, a server that refuses acme-tls/1
 * with an alert still speaks TLS; capture its normal certificate. */
static bool s_failed(struct tlsdial *d, int alert, void *arg)
{
	struct s_tlsalpn *t = arg;

	if (tlsdial_current(d) != &s_hs_acme || t->validate || alert != S_ALERT_NO_APP_PROTOCOL)
		return false;
	t->acme_alpn[0] = '\0';
	vt_result_add_warning(probe_result(t->p), "%s", S_NO_ACME_ALPN);
	tlsdial_handshake(d, &s_hs_normal);
	return true;
}

/* A handshake succeeded: Boulder's rules for the acme-tls/1 one, the
 * capture for the normal one. */
static void s_done(struct tlsdial *d, void *arg)
{
	struct s_tlsalpn *t = arg;
	const struct vt_job *job = probe_job(t->p);
	struct vt_result *r = probe_result(t->p);
	SSL *ssl = tlsdial_ssl(d);
	const unsigned char *sel = NULL;
	unsigned int sel_len = 0;
	char alpn[S_ALPN_TEXT_LEN], detail[LIMIT_DETAIL_LEN];
	X509 *cert = SSL_get1_peer_certificate(ssl);
	enum vt_problem_type pt;

	if (cert != NULL && acmecert_has_duplicate_extensions(cert)) {
		/* Go's certificate parser refuses it inside the handshake */
		tlsdial_attempt_failed(d, VT_PROB_CONNECTION, LEERR_GENERIC, true);
		goto out;
	}
	SSL_get0_alpn_selected(ssl, &sel, &sel_len);
	snprintf(alpn, sizeof(alpn), "%.*s", (int)(sel_len < sizeof(alpn) ? sel_len : 0),
	         sel != NULL ? (const char *)sel : "");
	if (tlsdial_current(d) == &s_hs_normal) {
		tlsdial_capture(d, cert, t->acme_alpn);
		tlsdial_finish(d, VT_OUTCOME_REACHABLE);
		goto out;
	}
	if (!t->validate) {
		snprintf(t->acme_alpn, sizeof(t->acme_alpn), "%s", alpn);
		if (strcmp(alpn, TLSALPN_PROTOCOL) != 0)
			vt_result_add_warning(r, "%s", S_NO_ACME_ALPN);
		tlsdial_handshake(d, &s_hs_normal);
		goto out;
	}
	if (cert == NULL) {
		/* getChallengeCert's own error: IPv6 falls back on it */
		tlsdial_attempt_failed(d, VT_PROB_UNAUTHORIZED,
		                       "No certs presented for " S_CHALLENGE " challenge", false);
		goto out;
	}
	tlsdial_capture(d, cert, alpn);
	if (strcmp(alpn, TLSALPN_PROTOCOL) != 0) {
		tlsdial_fail(d, VT_PROB_UNAUTHORIZED,
		             "Cannot negotiate ALPN protocol \"%s\" for %s challenge",
		             TLSALPN_PROTOCOL, S_CHALLENGE);
		goto out;
	}
	pt = acmecert_check(cert, job->domain, tlsdial_ip(d), t->port, t->digest, detail,
	                    sizeof(detail));
	if (pt != VT_PROB_NONE)
		tlsdial_fail(d, pt, "%s", detail);
	else
		tlsdial_finish(d, VT_OUTCOME_PASS);
out:
	X509_free(cert);
}

static const struct tlsdial_ops s_dial_ops = {
        .done = s_done,
        .failed = s_failed,
        .challenge = true,
};

static int s_start(struct probe *p, char *err, size_t errlen)
{
	const struct vt_job *job = probe_job(p);
	struct s_tlsalpn *t = calloc(1, sizeof(*t));
	char sni[S_SNI_LEN];

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->p = p;
	t->port = s_port();
	probe_set_state(p, t);
	if (job->domain[0] == '\0') {
		snprintf(err, errlen, "job has no domain");
		return -1;
	}
	t->validate = job->mode == VT_MODE_VALIDATE;
	if (t->validate && job->key_authorization[0] != '\0') {
		keyauth_sha256(job->key_authorization, t->digest);
	} else if (t->validate && job->digest[0] != '\0') {
		if (keyauth_digest_parse(job->digest, t->digest, err, errlen) != 0)
			return -1;
	} else if (t->validate) {
		snprintf(err, errlen, "validate mode needs a key authorization or a digest");
		return -1;
	}
	if (s_reverse_name(job->domain, sni, sizeof(sni)) != 0)
		snprintf(sni, sizeof(sni), "%s", job->domain);
	t->d = tlsdial_new(p, t->port, sni, &s_dial_ops, t);
	if (t->d == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return tlsdial_start(t->d, job->domain, &s_hs_acme, err, errlen);
}

static void s_cancel(struct probe *p, bool budget_expired)
{
	struct s_tlsalpn *t = probe_state(p);

	if (t != NULL && t->d != NULL)
		tlsdial_cancel(t->d, budget_expired);
}

static void s_free(struct probe *p)
{
	struct s_tlsalpn *t = probe_state(p);

	if (t == NULL)
		return;
	tlsdial_destroy(&t->d);
	free(t);
	probe_set_state(p, NULL);
}

const struct probe_ops tlsalpn01_ops = {
        .method = VT_METHOD_TLSALPN01,
        .name = S_CHALLENGE,
        .start = s_start,
        .cancel = s_cancel,
        .free = s_free,
};
