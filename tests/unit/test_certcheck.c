/*
 * test_certcheck.c -- judging a certificate's remaining lifetime
 * (common/certcheck.c): relative thresholds (90-day and 6-day certificates
 * judged alike), the crit_days floor, the boundaries, expired, not yet
 * valid, none, custom policies, and the JSON variant over the report's
 * "cert" object.
 */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/certcheck.h"

#define DAY     86400
#define T_NA    1795000000 /* 2026-11-18T11:06:40Z */
#define T_NA_S  "2026-11-18T11:06:40Z"
#define MSG_LEN CERTCHECK_MSG_LEN

/* A certificate valid for life_s seconds, ending at T_NA. */
static struct vt_cert t_cert(int64_t life_s)
{
	struct vt_cert c;

	memset(&c, 0, sizeof(c));
	c.present = true;
	c.not_after = T_NA;
	c.not_before = T_NA - life_s;
	return c;
}

/* The level of a life_s certificate when the fraction left of its lifetime
 * is frac. */
static enum certcheck_level t_at(int64_t life_s, double frac)
{
	struct vt_cert c = t_cert(life_s);
	char msg[MSG_LEN];
	int64_t now = T_NA - (int64_t)llround(frac * (double)life_s);

	return certcheck_judge(&c, now, NULL, msg, sizeof(msg));
}

Test(certcheck, level_names)
{
	cr_assert_str_eq(certcheck_level_name(CERTCHECK_OK), "ok");
	cr_assert_str_eq(certcheck_level_name(CERTCHECK_WARNING), "warning");
	cr_assert_str_eq(certcheck_level_name(CERTCHECK_CRITICAL), "critical");
	cr_assert_str_eq(certcheck_level_name(CERTCHECK_EXPIRED), "expired");
	cr_assert_str_eq(certcheck_level_name(CERTCHECK_NONE), "none");
	cr_assert_str_eq(certcheck_level_name((enum certcheck_level)42), "none");
}

Test(certcheck, ninety_and_six_day_certificates_judged_alike)
{
	static const struct {
		double frac;
		enum certcheck_level want;
	} cases[] = {
	        {0.99, CERTCHECK_OK},       {0.5, CERTCHECK_OK},        {0.34, CERTCHECK_OK},
	        {0.33, CERTCHECK_WARNING},  {0.25, CERTCHECK_WARNING},  {0.17, CERTCHECK_WARNING},
	        {0.16, CERTCHECK_CRITICAL}, {0.05, CERTCHECK_CRITICAL}, {0.001, CERTCHECK_CRITICAL},
	};
	/* Let's Encrypt's lifetimes: 90 days (less a second) and 160 hours */
	static const int64_t lives[] = {90 * DAY - 1, 160 * 3600};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (size_t k = 0; k < sizeof(lives) / sizeof(lives[0]); k++)
			cr_expect_eq(t_at(lives[k], cases[i].frac), cases[i].want,
			             "lifetime %lld s, %.3f left: %s, want %s", (long long)lives[k],
			             cases[i].frac,
			             certcheck_level_name(t_at(lives[k], cases[i].frac)),
			             certcheck_level_name(cases[i].want));
}

Test(certcheck, boundaries_are_exclusive)
{
	struct vt_cert c = t_cert(90 * DAY);
	char msg[MSG_LEN];

	/* exactly a third left: not yet a warning; a second less: warning */
	cr_expect_eq(certcheck_judge(&c, T_NA - 30 * DAY, NULL, msg, sizeof(msg)), CERTCHECK_OK);
	cr_expect_eq(certcheck_judge(&c, T_NA - 30 * DAY + 1, NULL, msg, sizeof(msg)),
	             CERTCHECK_WARNING);
	/* exactly a sixth (15 days, above the 14-day floor): still a warning */
	cr_expect_eq(certcheck_judge(&c, T_NA - 15 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_WARNING);
	cr_expect_eq(certcheck_judge(&c, T_NA - 15 * DAY + 1, NULL, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL);
	/* the last second is critical, notAfter itself is expired */
	cr_expect_eq(certcheck_judge(&c, T_NA - 1, NULL, msg, sizeof(msg)), CERTCHECK_CRITICAL);
	cr_expect_eq(certcheck_judge(&c, T_NA, NULL, msg, sizeof(msg)), CERTCHECK_EXPIRED);
	/* notBefore itself is valid */
	cr_expect_eq(certcheck_judge(&c, T_NA - 90 * DAY, NULL, msg, sizeof(msg)), CERTCHECK_OK);
}

Test(certcheck, crit_days_floor_for_long_lived_certificates)
{
	struct vt_cert c47 = t_cert(47 * DAY), c30 = t_cert(30 * DAY), c365 = t_cert(365 * DAY);
	char msg[MSG_LEN];

	/* 47 days: the floor (14 days) comes before a sixth (7.8 days) */
	cr_expect_eq(certcheck_judge(&c47, T_NA - 15 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_WARNING, "%s", msg);
	cr_expect_eq(certcheck_judge(&c47, T_NA - 14 * DAY + 1, NULL, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL, "%s", msg);
	/* 30 days: 14 days left is before its renewal point (10 days), so the
	 * floor does not apply; a sixth (5 days) does */
	cr_expect_eq(certcheck_judge(&c30, T_NA - 13 * DAY, NULL, msg, sizeof(msg)), CERTCHECK_OK,
	             "%s", msg);
	cr_expect_eq(certcheck_judge(&c30, T_NA - 6 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_WARNING, "%s", msg);
	cr_expect_eq(certcheck_judge(&c30, T_NA - 4 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL, "%s", msg);
	/* a year: a sixth (61 days) comes first */
	cr_expect_eq(certcheck_judge(&c365, T_NA - 60 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL, "%s", msg);
	cr_expect_eq(certcheck_judge(&c365, T_NA - 100 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_WARNING, "%s", msg);
}

Test(certcheck, messages)
{
	struct vt_cert c = t_cert(90 * DAY), six = t_cert(160 * 3600);
	char msg[MSG_LEN];

	cr_assert_eq(certcheck_judge(&c, T_NA - 6 * DAY - DAY / 2, NULL, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL);
	cr_expect_str_eq(msg, "expires " T_NA_S
	                      ", in 6.5 days (7 % of its 90-day lifetime left): critical");
	cr_assert_eq(certcheck_judge(&c, T_NA - 60 * DAY, NULL, msg, sizeof(msg)), CERTCHECK_OK);
	cr_expect_str_eq(msg,
	                 "expires " T_NA_S ", in 60.0 days (67 % of its 90-day lifetime left): ok");
	/* 24 of 160 hours is 15 %, under a sixth */
	cr_assert_eq(certcheck_judge(&six, T_NA - DAY, NULL, msg, sizeof(msg)), CERTCHECK_CRITICAL);
	cr_expect_str_eq(msg, "expires " T_NA_S
	                      ", in 1.0 days (15 % of its 6.7-day lifetime left): critical");
}

Test(certcheck, expired_not_yet_valid_never_valid_none)
{
	struct vt_cert c = t_cert(90 * DAY), bad = t_cert(0);
	char msg[MSG_LEN];

	cr_assert_eq(certcheck_judge(&c, T_NA + 3 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_EXPIRED);
	cr_expect_str_eq(msg, "expired " T_NA_S ", 3.0 days ago");
	cr_assert_eq(certcheck_judge(&c, T_NA - 92 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_EXPIRED);
	cr_expect_str_eq(msg, "not valid before 2026-08-20T11:06:40Z, in 2.0 days: not yet valid");
	cr_assert_eq(certcheck_judge(&bad, T_NA - DAY, NULL, msg, sizeof(msg)), CERTCHECK_EXPIRED);
	cr_expect(strncmp(msg, "never valid: notAfter " T_NA_S, 30) == 0, "%s", msg);
	cr_assert_eq(certcheck_judge(NULL, T_NA, NULL, msg, sizeof(msg)), CERTCHECK_NONE);
	cr_expect_str_eq(msg, "no certificate was received");
	c.present = false;
	cr_assert_eq(certcheck_judge(&c, T_NA - DAY, NULL, msg, sizeof(msg)), CERTCHECK_NONE);
}

Test(certcheck, custom_and_invalid_policies)
{
	struct vt_cert c = t_cert(90 * DAY);
	struct certcheck_policy half = {
	        .warn_fraction = 0.5, .crit_fraction = 0.25, .crit_days = 0};
	struct certcheck_policy bad = {.warn_fraction = NAN, .crit_fraction = 2.0, .crit_days = 0};
	char msg[MSG_LEN];

	cr_expect_eq(certcheck_judge(&c, T_NA - 40 * DAY, &half, msg, sizeof(msg)),
	             CERTCHECK_WARNING);
	cr_expect_eq(certcheck_judge(&c, T_NA - 20 * DAY, &half, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL);
	cr_expect_eq(certcheck_judge(&c, T_NA - 40 * DAY, NULL, msg, sizeof(msg)), CERTCHECK_OK);
	/* out of range: the defaults */
	cr_expect_eq(certcheck_judge(&c, T_NA - 40 * DAY, &bad, msg, sizeof(msg)), CERTCHECK_OK);
	cr_expect_eq(certcheck_judge(&c, T_NA - 20 * DAY, &bad, msg, sizeof(msg)),
	             CERTCHECK_WARNING);
	/* a 29-day floor for a 90-day certificate (past its renewal point at 30) */
	half.crit_days = 29;
	half.warn_fraction = 1.0 / 3.0;
	cr_expect_eq(certcheck_judge(&c, T_NA - 28 * DAY, &half, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL);
}

Test(certcheck, json_variant)
{
	json_t *cert;
	char msg[MSG_LEN];

	/* the report's object: not_after_unix wins, not_before as text */
	cert = json_pack("{s:s, s:s, s:I}", "not_before", "2026-08-20T11:06:40Z", "not_after",
	                 "2000-01-01T00:00:00Z", "not_after_unix", (json_int_t)T_NA);
	cr_assert_not_null(cert);
	cr_expect_eq(certcheck_judge_json(cert, T_NA - 6 * DAY - DAY / 2, NULL, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL);
	cr_expect_str_eq(msg, "expires " T_NA_S
	                      ", in 6.5 days (7 % of its 90-day lifetime left): critical");
	json_decref(cert);
	/* text only, with an offset and fractional seconds */
	cert = json_pack("{s:s, s:s}", "not_before", "2026-08-20T13:06:40.25+02:00", "not_after",
	                 "2026-11-18T06:06:40-05:00");
	cr_expect_eq(certcheck_judge_json(cert, T_NA - 60 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_OK, "%s", msg);
	cr_expect_str_eq(msg,
	                 "expires " T_NA_S ", in 60.0 days (67 % of its 90-day lifetime left): ok");
	cr_expect_eq(certcheck_judge_json(cert, T_NA, NULL, msg, sizeof(msg)), CERTCHECK_EXPIRED);
	json_decref(cert);
	/* no notBefore: the lifetime is unknown, only crit_days and expiry */
	cert = json_pack("{s:I}", "not_after_unix", (json_int_t)T_NA);
	cr_expect_eq(certcheck_judge_json(cert, T_NA - 20 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_OK);
	cr_expect(strstr(msg, "lifetime unknown") != NULL, "%s", msg);
	cr_expect_eq(certcheck_judge_json(cert, T_NA - 10 * DAY, NULL, msg, sizeof(msg)),
	             CERTCHECK_CRITICAL);
	json_decref(cert);
	/* none: null, not an object, no notAfter, an unreadable one */
	cr_expect_eq(certcheck_judge_json(NULL, T_NA, NULL, msg, sizeof(msg)), CERTCHECK_NONE);
	cert = json_null();
	cr_expect_eq(certcheck_judge_json(cert, T_NA, NULL, msg, sizeof(msg)), CERTCHECK_NONE);
	json_decref(cert);
	cert = json_pack("{s:s}", "not_before", "2026-08-20T11:06:40Z");
	cr_expect_eq(certcheck_judge_json(cert, T_NA, NULL, msg, sizeof(msg)), CERTCHECK_NONE);
	cr_expect(strstr(msg, "notAfter") != NULL, "%s", msg);
	json_decref(cert);
	cert = json_pack("{s:s}", "not_after", "2026-11-18 junk");
	cr_expect_eq(certcheck_judge_json(cert, T_NA, NULL, msg, sizeof(msg)), CERTCHECK_NONE);
	json_decref(cert);
}
