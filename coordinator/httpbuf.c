/*
 * httpbuf.c -- see httpbuf.h.
 */
#include <stdlib.h>
#include <string.h>

#include "httpbuf.h"

size_t httpbuf_write(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct httpbuf *b = arg;
	size_t n = size * nmemb;

	if (b->len > b->max || n > b->max - b->len) {
		b->overflow = true;
		return 0; /* curl aborts the transfer */
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap != 0 ? b->cap : HTTPBUF_FIRST_CAP;
		char *tmp;

		while (cap < b->len + n + 1)
			cap *= 2;
		tmp = realloc(b->data, cap);
		if (tmp == NULL)
			return 0;
		b->data = tmp;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

void httpbuf_free(struct httpbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
}
