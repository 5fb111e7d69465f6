/*
 * test_addr.c -- IANA special-purpose registries and the treat-as-public
 * filter (common/addr.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "../../common/addr.h"

static void s_expect(const char *a, const char *why)
{
	const char *got = "unset";
	bool r = addr_is_reserved(a, NULL, &got);

	if (why == NULL) {
		cr_expect(!r, "%s should be public (got %s)", a, got ? got : "NULL");
		cr_expect_null(got, "%s: why should be NULL", a);
	} else {
		cr_expect(r, "%s should be reserved", a);
		cr_expect(got != NULL && strcmp(got, why) == 0, "%s: expected \"%s\", got \"%s\"",
		          a, why, got ? got : "NULL");
	}
}

Test(addr, ipv4_registry)
{
	s_expect("10.0.0.1", "[RFC1918]: Private-Use");
	s_expect("10.255.255.255", "[RFC1918]: Private-Use");
	s_expect("172.16.0.1", "[RFC1918]: Private-Use");
	s_expect("172.31.255.254", "[RFC1918]: Private-Use");
	s_expect("192.168.1.1", "[RFC1918]: Private-Use");
	s_expect("100.64.0.1", "[RFC6598]: Shared Address Space");
	s_expect("100.127.255.255", "[RFC6598]: Shared Address Space");
	s_expect("192.0.2.7", "[RFC5737]: Documentation (TEST-NET-1)");
	s_expect("198.51.100.1", "[RFC5737]: Documentation (TEST-NET-2)");
	s_expect("203.0.113.200", "[RFC5737]: Documentation (TEST-NET-3)");
	s_expect("198.18.0.1", "[RFC2544]: Benchmarking");
	s_expect("198.19.255.255", "[RFC2544]: Benchmarking");
	s_expect("127.0.0.1", "[RFC1122], Section 3.2.1.3: Loopback");
	s_expect("169.254.169.254", "[RFC3927]: Link Local");
	s_expect("240.0.0.1", "[RFC1112], Section 4: Reserved");
	s_expect("255.255.255.255", "[RFC1112], Section 4: Reserved");
	s_expect("0.1.2.3", "[RFC791], Section 3.2: \"This network\"");
	s_expect("192.0.0.9", "[RFC6890], Section 2.1: IETF Protocol Assignments");
	s_expect("192.88.99.1", "[RFC7526]: Deprecated (6to4 Relay Anycast)");
	s_expect("192.31.196.1", "[RFC7535]: AS112-v4");
	s_expect("192.52.193.1", "[RFC7450]: AMT");
	s_expect("192.175.48.1", "[RFC7534]: Direct Delegation AS112 Service");
	/* public, including neighbours of reserved blocks and multicast */
	s_expect("8.8.8.8", NULL);
	s_expect("1.1.1.1", NULL);
	s_expect("172.15.255.255", NULL);
	s_expect("172.32.0.0", NULL);
	s_expect("100.63.255.255", NULL);
	s_expect("100.128.0.0", NULL);
	s_expect("192.0.3.1", NULL);
	s_expect("198.20.0.1", NULL);
	s_expect("11.0.0.1", NULL);
	s_expect("224.0.0.1", NULL);
	s_expect("239.255.255.255", NULL);
}

Test(addr, ipv6_registry)
{
	s_expect("::1", "[RFC4291]: Loopback Address");
	s_expect("::", "[RFC4291]: Unspecified Address");
	s_expect("::ffff:1.2.3.4", "[RFC4291]: IPv4-mapped Address");
	s_expect("64:ff9b::808:808", "[RFC6052]: IPv4-IPv6 Translat.");
	s_expect("64:ff9b:1::1", "[RFC8215]: IPv4-IPv6 Translat.");
	s_expect("100::1", "[RFC6666]: Discard-Only Address Block");
	s_expect("2001:db8::1", "[RFC3849]: Documentation");
	s_expect("2001:db8:ffff::1", "[RFC3849]: Documentation");
	s_expect("3fff::1", "[RFC9637]: Documentation");
	s_expect("3fff:fff::1", "[RFC9637]: Documentation");
	s_expect("2002:c000:204::1", "[RFC3056]: 6to4");
	s_expect("2001::1", "[RFC2928]: IETF Protocol Assignments");
	s_expect("2001:0:4136:e378::1", "[RFC2928]: IETF Protocol Assignments");
	s_expect("2001:20::1", "[RFC2928]: IETF Protocol Assignments");
	s_expect("fc00::1", "[RFC4193][RFC8190]: Unique-Local");
	s_expect("fd77::99", "[RFC4193][RFC8190]: Unique-Local");
	s_expect("fe80::1", "[RFC4291]: Link-Local Unicast");
	s_expect("febf::1", "[RFC4291]: Link-Local Unicast");
	s_expect("2620:4f:8000::1", "[RFC7534]: Direct Delegation AS112 Service");
	s_expect("5f00::1", "[RFC9602]: Segment Routing (SRv6) SIDs");
	/* public */
	s_expect("2606:4700::1111", NULL);
	s_expect("2a00:1450:4001::1", NULL);
	s_expect("2001:200::1", NULL);
	s_expect("3fff:1000::1", NULL);
	s_expect("fec0::1", NULL);
	s_expect("ff02::1", NULL); /* multicast is not in the registry */
	s_expect("2003::1", NULL);
}

Test(addr, unparseable_is_reserved)
{
	const char *why = NULL;

	cr_expect(addr_is_reserved("example.com", NULL, &why));
	cr_expect(addr_is_reserved("", NULL, NULL));
	cr_expect(addr_is_reserved("1.2.3.4.5", NULL, NULL));
	cr_expect(addr_is_reserved("fd77::99%eth0", NULL, NULL));
}

Test(addr, treat_as_public_first)
{
	struct addr_filter f;
	char err[128];
	const char *why = "unset";

	memset(&f, 0, sizeof(f));
	cr_assert_eq(addr_filter_parse(&f, "10.77.0.0/16, fd77::/48,127.0.0.0/8", err, sizeof(err)),
	             0, "%s", err);
	cr_assert_eq(f.n, 3);
	cr_expect(!addr_is_reserved("10.77.0.81", &f, &why));
	cr_expect_null(why);
	cr_expect(addr_is_reserved("10.78.0.1", &f, &why));
	cr_expect_str_eq(why, "[RFC1918]: Private-Use");
	cr_expect(!addr_is_reserved("fd77::99", &f, NULL));
	cr_expect(!addr_is_reserved("fd77:0:0:1::1", &f, NULL));
	cr_expect(addr_is_reserved("fd77:1::1", &f, NULL));
	cr_expect(!addr_is_reserved("127.0.0.53", &f, NULL));
	/* a family never matches the other's prefix */
	cr_expect(addr_is_reserved("::ffff:10.77.0.1", &f, NULL));
	/* appending */
	cr_assert_eq(addr_filter_parse(&f, "192.0.2.5", err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(f.prefixes[3].bits, 32);
	cr_expect(!addr_is_reserved("192.0.2.5", &f, NULL));
	cr_expect(addr_is_reserved("192.0.2.6", &f, NULL));
}

Test(addr, filter_parse_errors)
{
	struct addr_filter f;
	char err[128];

	memset(&f, 0, sizeof(f));
	cr_expect_eq(addr_filter_parse(&f, "10.0.0.0/33", err, sizeof(err)), -1);
	cr_expect_eq(addr_filter_parse(&f, "fd00::/129", err, sizeof(err)), -1);
	cr_expect_eq(addr_filter_parse(&f, "bogus/8", err, sizeof(err)), -1);
	cr_expect_eq(addr_filter_parse(&f, "10.0.0.0/x", err, sizeof(err)), -1);
	cr_expect_eq(addr_filter_parse(&f, "10.0.0.0/8,,", err, sizeof(err)), -1);
	cr_expect_eq(addr_filter_parse(&f, "", err, sizeof(err)), -1);
	memset(&f, 0, sizeof(f));
	cr_expect_eq(
	        addr_filter_parse(&f,
	                          "1.0.0.0/8,2.0.0.0/8,3.0.0.0/8,4.0.0.0/8,5.0.0.0/8,6.0.0.0/8,"
	                          "7.0.0.0/8,8.0.0.0/8,9.0.0.0/8,11.0.0.0/8,12.0.0.0/8,"
	                          "13.0.0.0/8,14.0.0.0/8,15.0.0.0/8,16.0.0.0/8,17.0.0.0/8,"
	                          "18.0.0.0/8",
	                          err, sizeof(err)),
	        -1);
	cr_expect(strstr(err, "too many") != NULL, "%s", err);
}
