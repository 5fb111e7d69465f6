/*
 * test_resolver_reserved.c -- resolver_warn_reserved(): the warnings that
 * name the reserved addresses Let's Encrypt silently ignores (the lookups
 * themselves are tested end to end in test_http01.c).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "../../agent/resolver.h"

static void t_skip(struct resolver_addrs *a, const char *addr, bool v6, const char *why)
{
	struct resolver_skipped *sk = &a->skipped[a->n_skipped++];

	snprintf(sk->addr, sizeof(sk->addr), "%s", addr);
	sk->v6 = v6;
	sk->why = why;
}

Test(resolver_reserved, texts_and_bound)
{
	struct resolver_addrs a, b;
	struct vt_result r;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&r, 0, sizeof(r));
	snprintf(a.host, sizeof(a.host), "x.example.com");
	t_skip(&a, "192.168.1.10", false, "[RFC1918]: Private-Use");
	t_skip(&a, "fd00::1", true, NULL);
	resolver_warn_reserved(&a, &r);
	cr_assert_eq(r.n_warnings, 2);
	cr_expect_str_eq(r.warnings[0], "A record 192.168.1.10 of x.example.com is in a reserved "
	                                "address block ([RFC1918]: Private-Use): Let's Encrypt "
	                                "ignores it");
	cr_expect_str_eq(r.warnings[1], "AAAA record fd00::1 of x.example.com is in a reserved "
	                                "address block (reserved): Let's Encrypt ignores it");
	for (size_t i = 0; i < r.n_warnings; i++)
		cr_expect(strstr(r.warnings[i], VT_WARN_RESERVED) != NULL);
	/* a second lookup (a redirect hop) adds none beyond the bound */
	snprintf(b.host, sizeof(b.host), "y.example.com");
	t_skip(&b, "10.0.0.1", false, "[RFC1918]: Private-Use");
	resolver_warn_reserved(&b, &r);
	cr_expect_eq(r.n_warnings, 2);
	vt_result_clear(&r);
}

Test(resolver_reserved, no_repeats_and_other_warnings_untouched)
{
	struct resolver_addrs a;
	struct vt_result r;

	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	snprintf(a.host, sizeof(a.host), "x.example.com");
	vt_result_add_warning(&r, "%s", "some other warning");
	t_skip(&a, "10.0.0.1", false, "[RFC1918]: Private-Use");
	resolver_warn_reserved(&a, &r);
	resolver_warn_reserved(&a, &r); /* the same host again: not repeated */
	cr_assert_eq(r.n_warnings, 2);
	cr_expect_str_eq(r.warnings[0], "some other warning");
	/* nothing skipped: nothing added */
	memset(&a, 0, sizeof(a));
	resolver_warn_reserved(&a, &r);
	cr_expect_eq(r.n_warnings, 2);
	vt_result_clear(&r);
}
