/*
 * tlsalpn.c -- the TLS-ALPN-01 probe, as Boulder's va/tlsalpn.go does it
 * (letsencrypt-validation.md section 4).
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
 * probe_cfg.dial_timeout_ms and by what is left of the job's budget.
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
#define S_ALERT_NO_APP_PROTOCOL   120
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

static uint16_t s_port_override;

void tlsalpn01_set_port_for_tests(uint16_t port)
{
	s_port_override = port;
}

static uint16_t s_port(void)
{
	return s_port_override != 0 ? s_port_override : TLSALPN_PORT;
}

enum s_phase { S_IDLE, S_RESOLVE, S_CONNECT, S_HANDSHAKE, S_DONE };

/* What one handshake is for. */
enum s_kind {
	S_KIND_ACME,   /* ALPN acme-tls/1, TLS >= 1.2: the validation itself */
	S_KIND_NORMAL, /* no ALPN, TLS >= 1.2: the certificate served normally */
	S_KIND_OLD,    /* TLS 1.0-1.1 only: name the version of a too-old server */
};

struct s_tlsalpn {
	struct probe *p;
	struct resolver *res;
	enum s_phase phase;
	enum s_kind kind;
	bool validate;
	uint8_t digest[32];
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
	/* what the acme-tls/1 handshake negotiated (reachability) */
	char acme_alpn[S_ALPN_TEXT_LEN];
	/* the error an S_KIND_OLD retry explains */
	enum vt_problem_type pend_type;
	char pend_text[S_TEXT_LEN];
	int pend_alert;
};

static void s_close_conn(struct s_tlsalpn *t, bool notify)
{
	if (t->io_ev != NULL) {
		event_free(t->io_ev);
		t->io_ev = NULL;
	}
	if (t->timer_ev != NULL)
		evtimer_del(t->timer_ev);
	if (t->ssl != NULL) {
		/* close_notify only, never application data (RFC 8737 4) */
		if (notify)
			(void)SSL_shutdown(t->ssl);
		SSL_free(t->ssl);
		t->ssl = NULL;
		ERR_clear_error();
	}
	if (t->ctx != NULL) {
		SSL_CTX_free(t->ctx);
		t->ctx = NULL;
	}
	if (t->fd >= 0) {
		close(t->fd);
		t->fd = -1;
	}
}

static void s_fail(struct s_tlsalpn *t, enum vt_problem_type type, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void s_fail(struct s_tlsalpn *t, enum vt_problem_type type, const char *fmt, ...)
{
	char buf[LIMIT_DETAIL_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s_close_conn(t, false);
	vt_result_fail(probe_result(t->p), type, "%s", buf);
	t->phase = S_DONE;
	probe_finish(t->p);
}

static void s_finish_ok(struct s_tlsalpn *t, enum vt_outcome o)
{
	struct vt_result *r = probe_result(t->p);

	s_close_conn(t, true);
	r->outcome = o;
	r->problem.type = VT_PROB_NONE;
	r->problem.detail[0] = '\0';
	t->phase = S_DONE;
	probe_finish(t->p);
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
static bool s_speaks_http(const struct s_tlsalpn *t)
{
	return t->n_first == S_HTTP_MAGIC_LEN &&
	       memcmp(t->first, S_HTTP_MAGIC, S_HTTP_MAGIC_LEN) == 0;
}

/* Socket BIO callback: keep the first bytes the server sent, for
 * s_speaks_http (OpenSSL has consumed them by the time it fails). */
static long s_bio_cb(BIO *b, int oper, const char *argp, size_t len, int argi, long argl, int ret,
                     size_t *processed)
{
	struct s_tlsalpn *t = (struct s_tlsalpn *)BIO_get_callback_arg(b);

	if (t != NULL && oper == (BIO_CB_READ | BIO_CB_RETURN) && ret > 0 && processed != NULL &&
	    argp != NULL) {
		for (size_t i = 0; i < *processed && t->n_first < S_HTTP_MAGIC_LEN; i++)
			t->first[t->n_first++] = (unsigned char)argp[i];
	}
	return ret;
}

static void s_attempt(struct s_tlsalpn *t, enum s_kind kind);
static void s_io_cb(evutil_socket_t fd, short what, void *arg);

/* Wait for what (EV_READ or EV_WRITE) on the attempt's socket. */
static int s_wait(struct s_tlsalpn *t, short what)
{
	if (t->io_ev != NULL)
		event_free(t->io_ev);
	t->io_ev = event_new(probe_base(t->p), t->fd, what, s_io_cb, t);
	if (t->io_ev == NULL || event_add(t->io_ev, NULL) != 0)
		return -1;
	return 0;
}

/* The attempt ended without a handshake: apply Boulder's IPv4 fallback,
 * then report.  prefix: the text is an ipError (prefixed "<ip>: "). */
static void s_attempt_failed(struct s_tlsalpn *t, enum vt_problem_type type, const char *text,
                             bool prefix)
{
	struct vt_result *r = probe_result(t->p);
	const struct vt_job *job = probe_job(t->p);
	bool version =
	        t->alert == S_ALERT_PROTOCOL_VERSION || t->alert == S_ALERT_HANDSHAKE_FAILURE;
	int alert = t->alert;

	if (t->kind == S_KIND_OLD) {
		/* the old-version retry failed too: report what it explains */
		if (t->pend_alert == S_ALERT_PROTOCOL_VERSION)
			s_fail(t, VT_PROB_TLS,
			       "%s: the server only speaks TLS 1.1 or older; Let's Encrypt "
			       "requires "
			       "TLS 1.2 or better",
			       t->ip);
		else
			s_fail(t, t->pend_type, "%s: %s", t->ip, t->pend_text);
		return;
	}
	s_close_conn(t, false);
	if (t->kind == S_KIND_ACME && !t->validate && alert == S_ALERT_NO_APP_PROTOCOL) {
		/* reachability: the server speaks TLS but refuses acme-tls/1 */
		t->acme_alpn[0] = '\0';
		vt_result_add_warning(r, "%s", S_NO_ACME_ALPN);
		s_attempt(t, S_KIND_NORMAL);
		return;
	}
	if (t->kind == S_KIND_ACME && t->on_v6) {
		if (t->rec->n_addresses_tried < HTTP01_MAX_ADDRS_TRIED)
			memcpy(t->rec->addresses_tried[t->rec->n_addresses_tried++], t->ip,
			       LIMIT_ADDR_LEN);
		if (t->a.n_v4 == 0) {
			s_fail(t, VT_PROB_MALFORMED,
			       "Unable to contact \"%s\" at \"%s\", no IPv4 addresses to try as "
			       "fallback",
			       job->domain, t->ip);
			return;
		}
		vt_result_add_warning(r,
		                      "IPv6 address %s failed: %s. Let's Encrypt fell back to IPv4 "
		                      "this time, but fix IPv6: it tries IPv6 first",
		                      t->ip, text);
		t->on_v6 = false;
		memcpy(t->ip, t->a.v4[0], LIMIT_ADDR_LEN);
		memcpy(t->rec->address_used, t->ip, LIMIT_ADDR_LEN);
		s_attempt(t, S_KIND_ACME);
		return;
	}
	if (version && type == VT_PROB_TLS) {
		t->pend_type = type;
		t->pend_alert = alert;
		snprintf(t->pend_text, sizeof(t->pend_text), "%s", text);
		s_attempt(t, S_KIND_OLD);
		return;
	}
	if (prefix)
		s_fail(t, type, "%s: %s", t->ip, text);
	else
		s_fail(t, type, "%s", text);
}

/* SSL_connect failed with SSL_get_error() == e: classify as Boulder's
 * detailedError would. */
static void s_handshake_error(struct s_tlsalpn *t, int e)
{
	char text[S_TEXT_LEN], abuf[S_TEXT_LEN / 4];
	int sys = errno;
	unsigned long le = ERR_peek_last_error();
	int reason = ERR_GET_REASON(le);

	ERR_clear_error();
	if (s_speaks_http(t)) {
		s_attempt_failed(t, VT_PROB_MALFORMED, LEERR_HTTP_ONLY, true);
		return;
	}
	if (t->alert != S_ALERT_NONE) {
		snprintf(text, sizeof(text), "remote error: tls: %s",
		         s_alert_text(t->alert, abuf, sizeof(abuf)));
		s_attempt_failed(t, VT_PROB_TLS, text, true);
		return;
	}
	if (e == SSL_ERROR_SYSCALL && sys == ECONNRESET) {
		s_attempt_failed(t, VT_PROB_CONNECTION, LEERR_RESET, true);
		return;
	}
	if (e == SSL_ERROR_SSL && (reason == SSL_R_UNSUPPORTED_PROTOCOL ||
	                           reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION)) {
		/* the server chose a version below our minimum */
		t->alert = S_ALERT_PROTOCOL_VERSION;
		s_attempt_failed(t, VT_PROB_TLS,
		                 "remote error: tls: protocol version not supported", true);
		return;
	}
	s_attempt_failed(t, VT_PROB_CONNECTION, LEERR_GENERIC, true);
}

/* The handshake of an S_KIND_OLD retry succeeded: name the version. */
static void s_old_done(struct s_tlsalpn *t)
{
	int v = SSL_version(t->ssl);

	s_fail(t, VT_PROB_TLS,
	       "%s: the server only speaks %s; Let's Encrypt requires TLS 1.2 or better", t->ip,
	       v == TLS1_VERSION     ? "TLS 1.0"
	       : v == TLS1_1_VERSION ? "TLS 1.1"
	                             : "TLS 1.1 or older");
}

/* Capture the session's leaf certificate into the result. */
static void s_capture(struct s_tlsalpn *t, X509 *cert, const char *alpn)
{
	struct vt_result *r = probe_result(t->p);
	char err[S_TEXT_LEN];

	if (cert == NULL)
		return;
	if (acmecert_capture(cert, &r->cert, err, sizeof(err)) != 0)
		vt_result_add_warning(r, "certificate from %s: %s", t->ip, err);
	snprintf(r->cert.tls_version, sizeof(r->cert.tls_version), "%s", SSL_get_version(t->ssl));
	snprintf(r->cert.alpn, sizeof(r->cert.alpn), "%s", alpn);
}

static void s_handshake_done(struct s_tlsalpn *t)
{
	const struct vt_job *job = probe_job(t->p);
	struct vt_result *r = probe_result(t->p);
	const unsigned char *sel = NULL;
	unsigned int sel_len = 0;
	char alpn[S_ALPN_TEXT_LEN], detail[LIMIT_DETAIL_LEN];
	X509 *cert = SSL_get1_peer_certificate(t->ssl);
	enum vt_problem_type pt;

	if (t->kind == S_KIND_OLD) {
		s_old_done(t);
		goto out;
	}
	if (cert != NULL && acmecert_has_duplicate_extensions(cert)) {
		/* Go's certificate parser refuses it inside the handshake */
		s_attempt_failed(t, VT_PROB_CONNECTION, LEERR_GENERIC, true);
		goto out;
	}
	SSL_get0_alpn_selected(t->ssl, &sel, &sel_len);
	snprintf(alpn, sizeof(alpn), "%.*s", (int)(sel_len < sizeof(alpn) ? sel_len : 0),
	         sel != NULL ? (const char *)sel : "");
	if (t->kind == S_KIND_NORMAL) {
		s_capture(t, cert, t->acme_alpn);
		s_finish_ok(t, VT_OUTCOME_REACHABLE);
		goto out;
	}
	if (!t->validate) {
		snprintf(t->acme_alpn, sizeof(t->acme_alpn), "%s", alpn);
		if (strcmp(alpn, TLSALPN_PROTOCOL) != 0)
			vt_result_add_warning(r, "%s", S_NO_ACME_ALPN);
		s_close_conn(t, true);
		s_attempt(t, S_KIND_NORMAL);
		goto out;
	}
	if (cert == NULL) {
		/* getChallengeCert's own error: IPv6 falls back on it */
		s_attempt_failed(t, VT_PROB_UNAUTHORIZED,
		                 "No certs presented for " S_CHALLENGE " challenge", false);
		goto out;
	}
	s_capture(t, cert, alpn);
	if (strcmp(alpn, TLSALPN_PROTOCOL) != 0) {
		s_fail(t, VT_PROB_UNAUTHORIZED,
		       "Cannot negotiate ALPN protocol \"%s\" for %s challenge", TLSALPN_PROTOCOL,
		       S_CHALLENGE);
		goto out;
	}
	pt = acmecert_check(cert, job->domain, t->ip, t->port, t->digest, detail, sizeof(detail));
	if (pt != VT_PROB_NONE)
		s_fail(t, pt, "%s", detail);
	else
		s_finish_ok(t, VT_OUTCOME_PASS);
out:
	X509_free(cert);
}

static void s_handshake_step(struct s_tlsalpn *t)
{
	int rc, e;

	ERR_clear_error();
	errno = 0;
	rc = SSL_connect(t->ssl);
	if (rc == 1) {
		s_handshake_done(t);
		return;
	}
	e = SSL_get_error(t->ssl, rc);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		if (s_wait(t, e == SSL_ERROR_WANT_READ ? EV_READ : EV_WRITE) != 0)
			s_fail(t, VT_PROB_SERVER_INTERNAL, "out of memory");
		return;
	}
	s_handshake_error(t, e);
}

static void s_info_cb(const SSL *ssl, int where, int ret)
{
	struct s_tlsalpn *t = SSL_get_app_data(ssl);

	if (t != NULL && (where & SSL_CB_READ_ALERT) == SSL_CB_READ_ALERT &&
	    (ret >> 8) == S_ALERT_FATAL)
		t->alert = ret & 0xff;
}

/* TCP is up: begin the handshake this attempt's kind asks for. */
static void s_start_tls(struct s_tlsalpn *t)
{
	t->ctx = SSL_CTX_new(TLS_client_method());
	if (t->ctx == NULL)
		goto oom;
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_NONE, NULL); /* Boulder: InsecureSkipVerify */
	if (t->kind == S_KIND_OLD) {
		if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_VERSION) != 1 ||
		    SSL_CTX_set_max_proto_version(t->ctx, TLS1_1_VERSION) != 1 ||
		    SSL_CTX_set_cipher_list(t->ctx, S_OLD_CIPHERS) != 1)
			goto oom;
	} else if (SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) != 1) {
		goto oom;
	}
	t->ssl = SSL_new(t->ctx);
	if (t->ssl == NULL || SSL_set_fd(t->ssl, t->fd) != 1)
		goto oom;
	SSL_set_app_data(t->ssl, t);
	BIO_set_callback_arg(SSL_get_rbio(t->ssl), (char *)t);
	BIO_set_callback_ex(SSL_get_rbio(t->ssl), s_bio_cb);
	SSL_set_info_callback(t->ssl, s_info_cb);
	if (t->sni[0] != '\0' && SSL_set_tlsext_host_name(t->ssl, t->sni) != 1)
		goto oom;
	/* SSL_set_alpn_protos returns 0 on success */
	if (t->kind == S_KIND_ACME &&
	    SSL_set_alpn_protos(t->ssl, (const unsigned char *)S_ALPN_WIRE, S_ALPN_WIRE_LEN) != 0)
		goto oom;
	t->phase = S_HANDSHAKE;
	s_handshake_step(t);
	return;
oom:
	ERR_clear_error();
	s_fail(t, VT_PROB_SERVER_INTERNAL, "cannot set up TLS");
}

static void s_connected(struct s_tlsalpn *t)
{
	t->connected = true;
	probe_result(t->p)->timings.connect_ms = s_ms_since(&t->t_dial);
	s_start_tls(t);
}

static void s_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct s_tlsalpn *t = arg;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	if (t->phase == S_CONNECT) {
		if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr != 0) {
			s_attempt_failed(t, VT_PROB_CONNECTION, leerr_errno_text(soerr), true);
			return;
		}
		s_connected(t);
		return;
	}
	if (t->phase == S_HANDSHAKE)
		s_handshake_step(t);
}

static void s_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct s_tlsalpn *t = arg;

	if (t->phase != S_CONNECT && t->phase != S_HANDSHAKE)
		return;
	s_attempt_failed(t, VT_PROB_CONNECTION,
	                 t->connected ? LEERR_TIMEOUT_AFTER : LEERR_TIMEOUT_DIAL, true);
}

/* Dial t->ip:t->port for one handshake of kind. */
static void s_attempt(struct s_tlsalpn *t, enum s_kind kind)
{
	const struct probe_cfg *cfg = probe_config(t->p);
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	uint32_t ms = probe_remaining_ms(t->p);
	struct timeval tv;

	s_close_conn(t, false);
	t->kind = kind;
	t->connected = false;
	t->n_first = 0;
	t->alert = S_ALERT_NONE;
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, t->ip, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(t->port);
		sl = sizeof(*sin);
	} else if (inet_pton(AF_INET6, t->ip, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(t->port);
		sl = sizeof(*sin6);
	} else {
		s_fail(t, VT_PROB_SERVER_INTERNAL, "bad address %s", t->ip);
		return;
	}
	if (cfg->dial_timeout_ms < ms)
		ms = cfg->dial_timeout_ms;
	tv.tv_sec = ms / S_MS_PER_SEC;
	tv.tv_usec = (ms % S_MS_PER_SEC) * S_US_PER_MS;
	evtimer_add(t->timer_ev, &tv);
	clock_gettime(CLOCK_MONOTONIC, &t->t_dial);
	t->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (t->fd < 0) {
		s_attempt_failed(t, VT_PROB_CONNECTION, leerr_errno_text(errno), true);
		return;
	}
	t->phase = S_CONNECT;
	if (connect(t->fd, (struct sockaddr *)&ss, sl) == 0) {
		s_connected(t);
		return;
	}
	if (errno != EINPROGRESS) {
		s_attempt_failed(t, VT_PROB_CONNECTION, leerr_errno_text(errno), true);
		return;
	}
	if (s_wait(t, EV_WRITE) != 0)
		s_fail(t, VT_PROB_SERVER_INTERNAL, "out of memory");
}

static void s_resolved(const struct resolver_addrs *a, void *arg)
{
	struct s_tlsalpn *t = arg;
	struct vt_result *r = probe_result(t->p);
	const struct probe_cfg *cfg = probe_config(t->p);
	const struct vt_job *job = probe_job(t->p);
	struct vt_record *rec;

	if (t->phase != S_RESOLVE)
		return;
	r->timings.resolve_ms = a->elapsed_ms;
	if (a->prob != VT_PROB_NONE) {
		s_fail(t, a->prob, "%s", a->err);
		return;
	}
	t->a = *a;
	rec = vt_result_add_record(r);
	if (rec == NULL) {
		s_fail(t, VT_PROB_SERVER_INTERNAL, "out of memory");
		return;
	}
	t->rec = rec;
	snprintf(rec->hostname, sizeof(rec->hostname), "%s", job->domain);
	rec->port = t->port;
	for (size_t i = 0; i < a->n_v6 && rec->n_addresses_resolved < LIMIT_MAX_ADDRS * 2; i++)
		memcpy(rec->addresses_resolved[rec->n_addresses_resolved++], a->v6[i],
		       LIMIT_ADDR_LEN);
	for (size_t i = 0; i < a->n_v4 && rec->n_addresses_resolved < LIMIT_MAX_ADDRS * 2; i++)
		memcpy(rec->addresses_resolved[rec->n_addresses_resolved++], a->v4[i],
		       LIMIT_ADDR_LEN);
	if (cfg->ipv6 && a->n_v6 > 0) {
		memcpy(t->ip, a->v6[0], LIMIT_ADDR_LEN);
		t->on_v6 = true;
	} else if (a->n_v4 > 0) {
		if (a->n_v6 > 0)
			vt_result_add_warning(
			        r,
			        "this vantage has no IPv6, so IPv6 (%s) was not judged; "
			        "Let's Encrypt would try it first",
			        a->v6[0]);
		memcpy(t->ip, a->v4[0], LIMIT_ADDR_LEN);
	} else {
		vt_result_add_warning(
		        r,
		        "this vantage has no IPv6, so IPv6 was not judged (%s has only "
		        "IPv6 addresses)",
		        job->domain);
		s_fail(t, VT_PROB_CONNECTION,
		       "%s: this vantage has no IPv6 path and %s resolves only to IPv6",
		       a->n_v6 > 0 ? a->v6[0] : "", job->domain);
		return;
	}
	memcpy(rec->address_used, t->ip, LIMIT_ADDR_LEN);
	s_attempt(t, S_KIND_ACME);
}

static int s_start(struct probe *p, char *err, size_t errlen)
{
	const struct vt_job *job = probe_job(p);
	struct s_tlsalpn *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->fd = -1;
	t->p = p;
	t->alert = S_ALERT_NONE;
	t->pend_alert = S_ALERT_NONE;
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
	if (s_reverse_name(job->domain, t->sni, sizeof(t->sni)) != 0)
		snprintf(t->sni, sizeof(t->sni), "%s", job->domain);
	t->timer_ev = evtimer_new(probe_base(p), s_timer_cb, t);
	t->res = resolver_new(probe_base(p), &probe_config(p)->resolver,
	                      &probe_config(p)->public_prefixes);
	if (t->timer_ev == NULL || t->res == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	t->phase = S_RESOLVE;
	return resolver_lookup(t->res, job->domain, s_resolved, t, err, errlen);
}

static void s_cancel(struct probe *p, bool budget_expired)
{
	struct s_tlsalpn *t = probe_state(p);
	const char *host;

	if (t == NULL)
		return;
	if (budget_expired && probe_result(p)->outcome == 0) {
		if (t->phase == S_CONNECT || t->phase == S_HANDSHAKE) {
			vt_result_fail(probe_result(p), VT_PROB_CONNECTION, "%s: %s", t->ip,
			               t->connected ? LEERR_TIMEOUT_AFTER : LEERR_TIMEOUT_DIAL);
		} else if (t->phase == S_RESOLVE) {
			host = probe_job(p)->domain;
			vt_result_fail(
			        probe_result(p), VT_PROB_DNS,
			        "DNS problem: query timed out (and was canceled) looking up A for "
			        "%s; DNS problem: query timed out (and was canceled) looking up "
			        "AAAA for %s",
			        host, host);
		}
	}
	t->phase = S_DONE;
	resolver_cancel(t->res);
	s_close_conn(t, false);
}

static void s_free(struct probe *p)
{
	struct s_tlsalpn *t = probe_state(p);

	if (t == NULL)
		return;
	s_close_conn(t, false);
	if (t->timer_ev != NULL)
		event_free(t->timer_ev);
	resolver_destroy(&t->res);
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
