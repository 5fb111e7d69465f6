/*
 * probestub.h -- run one agent probe to completion in a unit test: a fresh
 * event base and probe engine, the probe started, the loop run until its
 * callback fires, the result handed over.  Test support only, beside
 * dnsstub.h and tcpstub.h; linked into the unit-test binary.
 */
#ifndef VANTAGE_TEST_PROBESTUB_H
#define VANTAGE_TEST_PROBESTUB_H

#include "../../agent/probe.h"

/*
 * Run job with cfg; the result is moved into *out (the caller clears it
 * with vt_result_clear).  Asserts that the probe starts, is counted in
 * flight while it runs, finishes exactly once and is no longer in flight
 * afterwards.
 */
void probestub_run(const struct probe_cfg *cfg, const struct vt_job *job, struct vt_result *out);

/* A done callback for probe_start calls that must be refused: fails the
 * test if it is ever called. */
void probestub_never(struct probe *p, void *arg);

#endif
