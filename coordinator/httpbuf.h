/*
 * httpbuf.h -- a libcurl response body collected in memory, up to a bound:
 * the write callback `vantage check` (and every other API client in cli.c)
 * and `vantage doctor`'s directory GET share.
 *
 *   struct httpbuf b = {.max = LIMIT};
 *   curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, httpbuf_write);
 *   curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
 *   ... curl_easy_perform: CURLE_WRITE_ERROR with b.overflow set when the
 *   body went past b.max ...
 *   httpbuf_free(&b);
 */
#ifndef VANTAGE_HTTPBUF_H
#define VANTAGE_HTTPBUF_H

#include <stdbool.h>
#include <stddef.h>

#define HTTPBUF_FIRST_CAP 4096 /* the first allocation; doubled as the body grows */

struct httpbuf {
	char *data;    /* NULL until the first byte, then NUL-terminated (caller frees) */
	size_t len;    /* bytes in data, the NUL not counted */
	size_t cap;    /* bytes allocated */
	size_t max;    /* the most body bytes accepted (set by the caller) */
	bool overflow; /* the body went past max: the transfer was cut there */
};

/*
 * CURLOPT_WRITEFUNCTION for a struct httpbuf (CURLOPT_WRITEDATA): appends
 * size * nmemb bytes at ptr, keeping data NUL-terminated.  Returns the byte
 * count taken, or 0 -- which makes libcurl abort the transfer -- when the
 * body would pass max (overflow set, nothing appended) or memory runs out
 * (what came before stays).
 */
size_t httpbuf_write(char *ptr, size_t size, size_t nmemb, void *arg);

/* Free b's data and zero its length and capacity (max stays).  Safe twice. */
void httpbuf_free(struct httpbuf *b);

#endif
