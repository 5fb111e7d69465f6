/*
 * text.h -- building a sentence in a fixed buffer, piece by piece: the
 * diagnosis (diagnose*.c) and `vantage doctor`'s evidence lines append
 * printf-style text and would rather cut a long line than lose it.
 */
#ifndef VANTAGE_TEXT_H
#define VANTAGE_TEXT_H

#include <stdarg.h>
#include <stddef.h>

/* Append printf-style text to the string in buf (len bytes); truncates, and
 * does nothing when buf is already full.  buf must hold a terminated string
 * (or be full) and stays terminated. */
void text_appendf(char *buf, size_t len, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* text_appendf with a va_list, for wrappers. */
void text_vappendf(char *buf, size_t len, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

#endif
