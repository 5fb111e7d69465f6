/*
 * probestub.c -- see probestub.h.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <event2/event.h>

#include "probestub.h"

struct s_run {
	struct event_base *base;
	unsigned done;
};

static void s_done(struct probe *p, void *arg)
{
	struct s_run *run = arg;

	(void)p;
	run->done++;
	event_base_loopbreak(run->base);
}

void probestub_run(const struct probe_cfg *cfg, const struct vt_job *job, struct vt_result *out)
{
	struct s_run run = {0};
	struct probe_env *env;
	struct probe *p;
	char err[256];

	run.base = event_base_new();
	cr_assert_not_null(run.base);
	env = probe_env_new(run.base, cfg, err, sizeof(err));
	cr_assert_not_null(env, "%s", err);
	p = probe_start(env, job, s_done, &run, err, sizeof(err));
	cr_assert_not_null(p, "%s", err);
	cr_expect_eq(probe_env_inflight(env), 1);
	event_base_dispatch(run.base);
	cr_assert_eq(run.done, 1, "probe did not finish");
	cr_expect_eq(probe_env_inflight(env), 0);
	*out = *probe_result(p);
	memset(probe_result(p), 0, sizeof(*out));
	probe_free(&p);
	cr_expect_null(p);
	probe_env_destroy(&env);
	event_base_free(run.base);
}

void probestub_never(struct probe *p, void *arg)
{
	(void)p;
	(void)arg;
	cr_assert_fail("a refused probe called back");
}
