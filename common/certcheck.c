/*
 * certcheck.c -- judging how much of a certificate's lifetime is left (see
 * certcheck.h).
 *
 * The thresholds are fractions of the certificate's own lifetime (notAfter
 * - notBefore), as Let's Encrypt's renewal advice is ("renew with a third
 * of the lifetime left"), so a 6-day and a 90-day certificate reach
 * "warning" and "critical" at the same point of their lives.  crit_days is
 * an absolute floor ("critical under 14 days, or under a sixth, whichever
 * comes first") for the certificates it makes sense for: those that live
 * at least crit_days / warn_fraction (42 days by default), so that
 * crit_days are left only after the renewal point.  A shorter-lived
 * certificate (6 days) has fewer than 14 days all its life; the floor would
 * call it critical from its first second, so it is judged by the fractions
 * alone.  Pure functions: the caller passes the time, so tests and the
 * coordinator judge alike.
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "certcheck.h"

#define S_SECS_PER_DAY 86400.0
#define S_TIME_LEN     32 /* "2026-11-24T10:45:04Z" */
/* A lifetime shorter than this many days prints with one decimal ("6.7-day"). */
#define S_SHORT_LIFETIME_DAYS 10.0
#define S_PERCENT             100.0
#define S_MIN_PER_HOUR        60
#define S_SECS_PER_MIN        60
/* RFC 3339 fields: YYYY-MM-DDTHH:MM:SS is 19 characters. */
#define S_RFC3339_MIN_LEN 19
#define S_TM_YEAR_BASE    1900

static const struct certcheck_policy s_default = {
        .warn_fraction = CERTCHECK_DEFAULT_WARN_FRACTION,
        .crit_fraction = CERTCHECK_DEFAULT_CRIT_FRACTION,
        .crit_days = CERTCHECK_DEFAULT_CRIT_DAYS,
};

const char *certcheck_level_name(enum certcheck_level l)
{
	switch (l) {
	case CERTCHECK_OK:
		return "ok";
	case CERTCHECK_WARNING:
		return "warning";
	case CERTCHECK_CRITICAL:
		return "critical";
	case CERTCHECK_EXPIRED:
		return "expired";
	case CERTCHECK_NONE:
		break;
	}
	return "none";
}

/* A fraction the policy may hold: a number in [0, 1]. */
static bool s_fraction_ok(double f)
{
	return isfinite(f) && f >= 0.0 && f <= 1.0;
}

/* p, or the defaults when p is NULL or holds a fraction out of [0, 1]. */
static const struct certcheck_policy *s_policy(const struct certcheck_policy *p)
{
	if (p == NULL || !s_fraction_ok(p->warn_fraction) || !s_fraction_ok(p->crit_fraction))
		return &s_default;
	return p;
}

/* Unix seconds as RFC 3339 UTC into buf ("?" when not representable). */
static const char *s_time(int64_t t, char *buf, size_t len)
{
	if (vt_time_rfc3339(t, buf, len) != 0)
		snprintf(buf, len, "?");
	return buf;
}

/* "90-day" or "6.7-day" into buf. */
static const char *s_lifetime(double days, char *buf, size_t len)
{
	if (days < S_SHORT_LIFETIME_DAYS)
		snprintf(buf, len, "%.1f-day", days);
	else
		snprintf(buf, len, "%.0f-day", days);
	return buf;
}

/*
 * The judgement of a validity period [nb, na] at now; have_nb false when
 * notBefore is unknown (then the lifetime is too, and only expiry and
 * crit_days apply).
 */
static enum certcheck_level s_judge(int64_t nb, bool have_nb, int64_t na, int64_t now,
                                    const struct certcheck_policy *p, char *msg, size_t msglen)
{
	char tna[S_TIME_LEN], tnb[S_TIME_LEN], life[S_TIME_LEN];
	double left, lifetime = 0.0, frac = 1.0, floor_s;
	enum certcheck_level l = CERTCHECK_OK;
	bool use_floor;

	p = s_policy(p);
	if (have_nb && na <= nb) {
		snprintf(msg, msglen, "never valid: notAfter %s is not after notBefore %s",
		         s_time(na, tna, sizeof(tna)), s_time(nb, tnb, sizeof(tnb)));
		return CERTCHECK_EXPIRED;
	}
	if (have_nb && now < nb) {
		snprintf(msg, msglen, "not valid before %s, in %.1f days: not yet valid",
		         s_time(nb, tnb, sizeof(tnb)), (double)(nb - now) / S_SECS_PER_DAY);
		return CERTCHECK_EXPIRED;
	}
	if (now >= na) {
		snprintf(msg, msglen, "expired %s, %.1f days ago", s_time(na, tna, sizeof(tna)),
		         (double)(now - na) / S_SECS_PER_DAY);
		return CERTCHECK_EXPIRED;
	}
	left = (double)(na - now);
	if (have_nb) {
		lifetime = (double)(na - nb);
		frac = left / lifetime;
	}
	/* the floor applies when crit_days are left only after the renewal
	 * point (or the lifetime is unknown: then it is all there is) */
	floor_s = (double)p->crit_days * S_SECS_PER_DAY;
	use_floor = !have_nb || floor_s <= lifetime * p->warn_fraction;
	if ((use_floor && left < floor_s) || (have_nb && frac < p->crit_fraction))
		l = CERTCHECK_CRITICAL;
	else if (have_nb && frac < p->warn_fraction)
		l = CERTCHECK_WARNING;
	if (have_nb)
		snprintf(msg, msglen,
		         "expires %s, in %.1f days (%.0f %% of its %s lifetime left): %s",
		         s_time(na, tna, sizeof(tna)), left / S_SECS_PER_DAY, frac * S_PERCENT,
		         s_lifetime(lifetime / S_SECS_PER_DAY, life, sizeof(life)),
		         certcheck_level_name(l));
	else
		snprintf(msg, msglen, "expires %s, in %.1f days (lifetime unknown): %s",
		         s_time(na, tna, sizeof(tna)), left / S_SECS_PER_DAY,
		         certcheck_level_name(l));
	return l;
}

enum certcheck_level certcheck_judge(const struct vt_cert *cert, int64_t now,
                                     const struct certcheck_policy *p, char *msg, size_t msglen)
{
	if (cert == NULL || !cert->present) {
		snprintf(msg, msglen, "no certificate was received");
		return CERTCHECK_NONE;
	}
	return s_judge(cert->not_before, true, cert->not_after, now, p, msg, msglen);
}

/* Parse RFC 3339 ("2026-11-24T10:45:04Z", fractional seconds and a
 * "+HH:MM" / "-HH:MM" offset accepted) into Unix seconds.  0 or -1. */
static int s_parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, n = 0, oh = 0, om = 0;
	const char *p;
	time_t t;

	if (s == NULL || strlen(s) < S_RFC3339_MIN_LEN ||
	    sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    n != S_RFC3339_MIN_LEN)
		return -1;
	p = s + n;
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
		oh = om = 0;
	} else if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 &&
	           p[1 + n] == '\0') {
		if (*p == '-') {
			oh = -oh;
			om = -om;
		}
	} else {
		return -1;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - S_TM_YEAR_BASE;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (int64_t)t - ((int64_t)oh * S_MIN_PER_HOUR + om) * S_SECS_PER_MIN;
	return 0;
}

/* o[unix_key] when it is an integer, else o[text_key] parsed.  0 or -1. */
static int s_json_time(const json_t *o, const char *unix_key, const char *text_key, int64_t *out)
{
	const json_t *u = json_object_get(o, unix_key);

	if (json_is_integer(u)) {
		*out = (int64_t)json_integer_value(u);
		return 0;
	}
	return s_parse_time(json_string_value(json_object_get(o, text_key)), out);
}

enum certcheck_level certcheck_judge_json(const json_t *cert, int64_t now,
                                          const struct certcheck_policy *p, char *msg,
                                          size_t msglen)
{
	int64_t nb = 0, na = 0;
	bool have_nb;

	if (!json_is_object(cert)) {
		snprintf(msg, msglen, "no certificate was received");
		return CERTCHECK_NONE;
	}
	if (s_json_time(cert, "not_after_unix", "not_after", &na) != 0) {
		snprintf(msg, msglen, "the certificate's notAfter is missing or unreadable");
		return CERTCHECK_NONE;
	}
	have_nb = s_json_time(cert, "not_before_unix", "not_before", &nb) == 0;
	return s_judge(nb, have_nb, na, now, p, msg, msglen);
}
