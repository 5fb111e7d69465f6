/*
 * test_link.c -- agent/link.c against a stand-in coordinator: coordinator key
 * rotation, the enrolment fields in HELLO and the enrolment retry pace.
 *
 * Self-contained: no coordinator code.  The stand-in is a bare ZeroMQ ROUTER
 * on tcp://127.0.0.1:* acting as CURVE server with key pair B.  It runs no
 * ZAP handler, and a CURVE server without one lets every client key in --
 * fine here, where the client's key is not under test, and never how the
 * coordinator runs.  The test pumps the agent's libevent loop in bounded
 * non-blocking steps and polls the ROUTER in between, on one thread.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <zmq.h>

#include "../../agent/config.h"
#include "../../agent/link.h"
#include "../../common/limits.h"
#include "../../proto/proto.h"

#define TEST_BUDGET_MS   20000 /* longest any one wait may take */
#define TEST_STEP_US     2000  /* pause between two pumps of the loop */
#define TEST_ENDPOINT    256   /* "tcp://127.0.0.1:PORT" */
#define TEST_TIMER_SLACK 100   /* ms a libevent timer may fire early (rounding) */
#define TEST_LATE_MS     3000  /* ms a reconnect may come late on a busy host */
#define TEST_NAME        "fra-1"
#define TEST_TOKEN       "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z"

/* The stand-in coordinator. */
struct coord {
	void *ctx;
	void *sock;
	char endpoint[TEST_ENDPOINT];
	char pub[KEY_Z85_LEN + 1];
	char sec[KEY_Z85_LEN + 1];
};

/* One message the ROUTER received: the peer's routing id and the body. */
struct rx {
	uint8_t id[256];
	size_t idlen;
	struct proto_msg msg;
};

static struct coord s_coord;
static struct event_base *s_base;
static struct agent_link *s_link;

static uint64_t s_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void s_setup(void)
{
	int one = 1, zero = 0;
	size_t len = sizeof(s_coord.endpoint);

	memset(&s_coord, 0, sizeof(s_coord));
	cr_assert_eq(zmq_curve_keypair(s_coord.pub, s_coord.sec), 0, "libzmq without CURVE?");
	s_coord.ctx = zmq_ctx_new();
	cr_assert_not_null(s_coord.ctx);
	s_coord.sock = zmq_socket(s_coord.ctx, ZMQ_ROUTER);
	cr_assert_not_null(s_coord.sock);
	cr_assert_eq(zmq_setsockopt(s_coord.sock, ZMQ_CURVE_SERVER, &one, sizeof(one)), 0);
	cr_assert_eq(zmq_setsockopt(s_coord.sock, ZMQ_CURVE_SECRETKEY, s_coord.sec, KEY_Z85_LEN),
	             0);
	cr_assert_eq(zmq_setsockopt(s_coord.sock, ZMQ_LINGER, &zero, sizeof(zero)), 0);
	cr_assert_eq(zmq_bind(s_coord.sock, "tcp://127.0.0.1:*"), 0, "bind: %s",
	             zmq_strerror(zmq_errno()));
	cr_assert_eq(zmq_getsockopt(s_coord.sock, ZMQ_LAST_ENDPOINT, s_coord.endpoint, &len), 0);
	s_base = event_base_new();
	cr_assert_not_null(s_base);
}

static void s_teardown(void)
{
	agent_link_destroy(&s_link);
	if (s_base != NULL)
		event_base_free(s_base);
	s_base = NULL;
	if (s_coord.sock != NULL)
		zmq_close(s_coord.sock);
	if (s_coord.ctx != NULL)
		zmq_ctx_term(s_coord.ctx);
	memset(&s_coord, 0, sizeof(s_coord));
}

TestSuite(link, .init = s_setup, .fini = s_teardown, .timeout = 60);

/* An agent configuration in memory: the coordinator keys in keys[n], a
 * fresh client key pair, enrolment fields when enrol. */
static void s_cfg(struct agent_cfg *cfg, const char *const *keys, size_t n, bool enrol)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->coordinator, sizeof(cfg->coordinator), "%s", s_coord.endpoint);
	for (size_t i = 0; i < n; i++)
		memcpy(cfg->server_public[i], keys[i], KEY_Z85_LEN + 1);
	cfg->n_server_keys = n;
	cr_assert_eq(zmq_curve_keypair(cfg->public_, cfg->secret), 0);
	snprintf(cfg->key_file, sizeof(cfg->key_file), "%s", "/nonexistent/in-memory.key");
	if (enrol) {
		snprintf(cfg->name, sizeof(cfg->name), "%s", TEST_NAME);
		snprintf(cfg->enroll_token, sizeof(cfg->enroll_token), "%s", TEST_TOKEN);
	}
}

static void s_start(const struct agent_cfg *cfg)
{
	char err[256] = "";

	s_link = agent_link_new(s_base, cfg, err, sizeof(err));
	cr_assert_not_null(s_link, "agent_link_new: %s", err);
	cr_assert_eq(agent_link_start(s_link, err, sizeof(err)), 0, "start: %s", err);
}

/* Receive one whole message from the ROUTER if one is there: 1 got it, 0
 * none yet.  The body must decode. */
static int s_try_recv(struct rx *r)
{
	char err[256] = "";
	static uint8_t body[PROTO_MAX_MSG_BYTES]; /* large: off the stack */
	int more = 0, n;
	size_t sz = sizeof(more);

	n = zmq_recv(s_coord.sock, r->id, sizeof(r->id), ZMQ_DONTWAIT);
	if (n < 0) {
		cr_assert_eq(zmq_errno(), EAGAIN, "zmq_recv: %s", zmq_strerror(zmq_errno()));
		return 0;
	}
	r->idlen = (size_t)n;
	cr_assert_eq(zmq_getsockopt(s_coord.sock, ZMQ_RCVMORE, &more, &sz), 0);
	cr_assert(more, "ROUTER frame without a body");
	n = zmq_recv(s_coord.sock, body, sizeof(body), 0);
	cr_assert_gt(n, 0);
	cr_assert_eq(proto_decode(body, (size_t)n, &r->msg, err, sizeof(err)), 0, "decode: %s",
	             err);
	return 1;
}

/* Pump the agent's loop until the ROUTER has a message or budget_ms pass.
 * 1 got one into *r, 0 timed out. */
static int s_pump_until_rx(struct rx *r, uint32_t budget_ms)
{
	uint64_t end = s_now_ms() + budget_ms;

	/* bounded by the deadline; each pass sleeps TEST_STEP_US */
	while (s_now_ms() < end) {
		cr_assert_geq(event_base_loop(s_base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
		if (s_try_recv(r))
			return 1;
		usleep(TEST_STEP_US);
	}
	return 0;
}

/* Send a BYE to the peer r came from. */
static void s_send_bye(const struct rx *r, const char *reason)
{
	struct proto_msg m;
	uint8_t *buf = NULL;
	size_t len = 0;
	char err[256] = "";

	memset(&m, 0, sizeof(m));
	m.type = PROTO_BYE;
	snprintf(m.u.bye.reason, sizeof(m.u.bye.reason), "%s", reason);
	cr_assert_eq(proto_encode(&m, &buf, &len, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(zmq_send(s_coord.sock, r->id, r->idlen, ZMQ_SNDMORE), (int)r->idlen);
	cr_assert_eq(zmq_send(s_coord.sock, buf, len, 0), (int)len);
	free(buf);
}

Test(link, wrong_key_rotates_to_the_next_and_hello_carries_enrolment)
{
	char wrong_pub[KEY_Z85_LEN + 1], wrong_sec[KEY_Z85_LEN + 1];
	const char *keys[2];
	struct agent_cfg cfg;
	struct rx r;

	/* key A is a real key, just not the stand-in's: its handshake fails */
	cr_assert_eq(zmq_curve_keypair(wrong_pub, wrong_sec), 0);
	keys[0] = wrong_pub;
	keys[1] = s_coord.pub;
	s_cfg(&cfg, keys, 2, true);
	s_start(&cfg);
	cr_assert_eq(agent_link_key_index(s_link), 0);

	cr_assert(s_pump_until_rx(&r, TEST_BUDGET_MS), "no HELLO within %d ms", TEST_BUDGET_MS);
	cr_assert_eq(r.msg.type, PROTO_HELLO);
	cr_assert_eq(agent_link_key_index(s_link), 1, "the link did not move to key #2");
	cr_assert_geq(agent_link_sessions(s_link), 2);
	cr_assert_str_eq(r.msg.u.hello.enroll_name, TEST_NAME);
	cr_assert_str_eq(r.msg.u.hello.enroll_token, TEST_TOKEN);
	cr_assert_str_eq(r.msg.u.hello.agent_version, VANTAGE_VERSION);
	proto_msg_clear(&r.msg);
	explicit_bzero(&cfg, sizeof(cfg));
}

Test(link, bye_while_enrolling_retries_at_the_enrolment_pace_and_keeps_the_key)
{
	char other_pub[KEY_Z85_LEN + 1], other_sec[KEY_Z85_LEN + 1];
	const char *keys[2];
	struct agent_cfg cfg;
	struct rx r;
	uint64_t bye_at, waited;
	unsigned sessions;

	/* the right key first: a session that hears from the coordinator must
	 * keep it, so the index stays 0 (moving on would make it 1) */
	cr_assert_eq(zmq_curve_keypair(other_pub, other_sec), 0);
	keys[0] = s_coord.pub;
	keys[1] = other_pub;
	s_cfg(&cfg, keys, 2, true);
	s_start(&cfg);

	cr_assert(s_pump_until_rx(&r, TEST_BUDGET_MS), "no first HELLO");
	cr_assert_eq(r.msg.type, PROTO_HELLO);
	proto_msg_clear(&r.msg);
	sessions = agent_link_sessions(s_link);
	s_send_bye(&r, "enrolment pending approval");
	bye_at = s_now_ms();

	cr_assert(s_pump_until_rx(&r, ENROLL_RETRY_MS + TEST_LATE_MS), "no second HELLO");
	waited = s_now_ms() - bye_at;
	cr_assert_eq(r.msg.type, PROTO_HELLO);
	cr_assert_str_eq(r.msg.u.hello.enroll_token, TEST_TOKEN);
	proto_msg_clear(&r.msg);
	cr_assert_gt(agent_link_sessions(s_link), sessions, "no new session");
	cr_assert_geq(waited, ENROLL_RETRY_MS - TEST_TIMER_SLACK,
	              "reconnected after %llu ms, before ENROLL_RETRY_MS",
	              (unsigned long long)waited);
	cr_assert_eq(agent_link_key_index(s_link), 0,
	             "a session with a frame moved to another key");
	explicit_bzero(&cfg, sizeof(cfg));
}

Test(link, bye_before_welcome_without_enrolment_uses_the_usual_backoff)
{
	const char *keys[1];
	struct agent_cfg cfg;
	struct rx r;
	uint64_t bye_at, waited;

	keys[0] = s_coord.pub;
	s_cfg(&cfg, keys, 1, false);
	s_start(&cfg);

	cr_assert(s_pump_until_rx(&r, TEST_BUDGET_MS), "no first HELLO");
	cr_assert_str_eq(r.msg.u.hello.enroll_name, "");
	cr_assert_str_eq(r.msg.u.hello.enroll_token, "");
	proto_msg_clear(&r.msg);
	s_send_bye(&r, "go away");
	bye_at = s_now_ms();

	/* first backoff: RECONNECT_MIN_MS +-25 % */
	cr_assert(s_pump_until_rx(&r, RECONNECT_MIN_MS * 2u + TEST_LATE_MS), "no second HELLO");
	waited = s_now_ms() - bye_at;
	proto_msg_clear(&r.msg);
	cr_assert_lt(waited, ENROLL_RETRY_MS, "waited %llu ms: the enrolment pace without a token",
	             (unsigned long long)waited);
	cr_assert_eq(agent_link_key_index(s_link), 0);
	explicit_bzero(&cfg, sizeof(cfg));
}
