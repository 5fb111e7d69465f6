/*
 * fuzz_proto.c -- libFuzzer target for the wire decoder (make fuzz).
 *
 * Every input is decoded; whatever the decoder accepts must re-encode, decode
 * again to the same message and re-encode to the same bytes.  Any violation
 * aborts so libFuzzer records the input.  Seeds: tests/fuzz/corpus/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/proto.h"

#define FUZZ_ERRLEN 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Two decoded messages hold the same values (decode zeroes all padding and
 * unused bytes, so the structs compare bytewise; records are compared apart). */
static int s_same(const struct proto_msg *a, const struct proto_msg *b)
{
	struct proto_msg x = *a, y = *b;

	if (a->type != b->type)
		return 0;
	if (a->type == PROTO_RESULT) {
		if (a->u.result.n_records != b->u.result.n_records)
			return 0;
		if (a->u.result.n_records > 0 &&
		    memcmp(a->u.result.records, b->u.result.records,
		           a->u.result.n_records * sizeof(*a->u.result.records)) != 0)
			return 0;
		x.u.result.records = NULL;
		y.u.result.records = NULL;
		if (a->u.result.n_nameservers != b->u.result.n_nameservers)
			return 0;
		if (a->u.result.n_nameservers > 0 &&
		    memcmp(a->u.result.nameservers, b->u.result.nameservers,
		           a->u.result.n_nameservers * sizeof(*a->u.result.nameservers)) != 0)
			return 0;
		x.u.result.nameservers = NULL;
		y.u.result.nameservers = NULL;
	}
	return memcmp(&x, &y, sizeof(x)) == 0;
}

/* libFuzzer entry point: returns 0; aborts on an inconsistency. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proto_msg m, m2;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t n = 0, n2 = 0;
	char err[FUZZ_ERRLEN];

	if (proto_decode(data, size, &m, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort(); /* every refusal has a reason */
		return 0;
	}
	if (proto_encode(&m, &enc, &n, err, sizeof(err)) != 0)
		abort(); /* the encoder refused what the decoder accepted */
	if (proto_decode(enc, n, &m2, err, sizeof(err)) != 0)
		abort(); /* the decoder refused the encoder's output */
	if (!s_same(&m, &m2))
		abort();
	if (proto_encode(&m2, &enc2, &n2, err, sizeof(err)) != 0)
		abort();
	if (n != n2 || memcmp(enc, enc2, n) != 0)
		abort(); /* encoding is not canonical */
	free(enc);
	free(enc2);
	proto_msg_clear(&m);
	proto_msg_clear(&m2);
	return 0;
}
