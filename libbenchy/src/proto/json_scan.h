/*
 * json_scan.h — a zero-allocation pull scanner for JSON text (RFC 8259).
 *
 * The caller walks a document value by value: json_peek() says what comes
 * next, json_obj_next()/json_arr_next() step through members and elements,
 * typed readers take scalars, json_skip() steps over anything not wanted.
 * Nothing is allocated and no tree is built; strings come back as spans of
 * the input (json_str) that json_str_decode() unescapes into a benchy_buf
 * only when the text is needed. Every byte is bounds-checked against the
 * length given (the input need not be NUL-terminated), and anything not
 * strictly JSON — including input cut short — fails with a reason and a byte
 * offset. A failure is sticky: every later call fails too.
 *
 * Leniencies, on purpose: bytes >= 0x80 inside strings are passed through
 * unchecked (servers split UTF-8 at odd places and the text is only counted),
 * and a lone \uD800-\uDFFF escape decodes to U+FFFD rather than failing the
 * whole chunk.
 */
#ifndef BENCHY_PROTO_JSON_SCAN_H
#define BENCHY_PROTO_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../util.h"

/* Containers nested deeper than this are refused (bounds the recursion of
 * json_skip). */
#define JSON_SCAN_MAX_DEPTH 128

typedef enum json_type {
  JSON_NONE = 0, /* end of input, a syntax error, or a scanner that failed */
  JSON_OBJECT,
  JSON_ARRAY,
  JSON_STRING,
  JSON_NUMBER,
  JSON_TRUE,
  JSON_FALSE,
  JSON_NULL
} json_type;

/* A string as it appears in the input, between its quotes, still escaped. */
typedef struct json_str {
  const char *p;
  size_t len;
  int escaped; /* contains at least one backslash escape */
} json_str;

typedef struct json_scan {
  const char *buf;
  size_t len;
  size_t pos;
  int depth;       /* containers currently open through the pull API */
  int first;       /* the container just opened has had no member yet */
  const char *err; /* static text, NULL while all is well */
  size_t err_pos;
} json_scan;

BENCHY_INTERNAL void json_scan_init(json_scan *s, const char *buf, size_t len);

/* Type of the next value, judged by its first byte (whitespace skipped);
 * JSON_NONE at end of input or after a failure. Consumes nothing. */
BENCHY_INTERNAL json_type json_peek(json_scan *s);

/* Enter an object or array: 0, or -1 when the next value is not one. */
BENCHY_INTERNAL int json_obj_begin(json_scan *s);
BENCHY_INTERNAL int json_arr_begin(json_scan *s);
/* Step to the next member: 1 with *key set and the scanner on the member's
 * value (which the caller must consume: read it or json_skip it), 0 after
 * the closing '}', -1 on a syntax error. */
BENCHY_INTERNAL int json_obj_next(json_scan *s, json_str *key);
/* Step to the next element: 1 with the scanner on it (to be consumed),
 * 0 after the closing ']', -1 on a syntax error. */
BENCHY_INTERNAL int json_arr_next(json_scan *s);

/* Consume one whole value of any type, validating it. 0 or -1. */
BENCHY_INTERNAL int json_skip(json_scan *s);

/* Typed readers: 0, or -1 when the next value is not of that type or is
 * malformed. A wrong type is a failure, so peek first when a field may carry
 * several types. */
BENCHY_INTERNAL int json_read_str(json_scan *s, json_str *out);
BENCHY_INTERNAL int json_read_double(json_scan *s, double *out);
/* Integers; a number with a fraction or exponent is converted and truncated
 * toward zero, and one beyond the int64 range is clamped to it (it is still
 * valid JSON, so the document does not fail over it). */
BENCHY_INTERNAL int json_read_int64(json_scan *s, int64_t *out);
BENCHY_INTERNAL int json_read_bool(json_scan *s, int *out);
BENCHY_INTERNAL int json_read_null(json_scan *s);

/* Lets a caller refuse a document for a reason of its own (a wrong shape)
 * through the same error reporting; fails at the current position. -1. */
BENCHY_INTERNAL int json_scan_fail(json_scan *s, const char *why);

/* 0 when only whitespace is left (the document is complete), else -1. */
BENCHY_INTERNAL int json_scan_end(json_scan *s);

/* Non-zero when the scanner has failed; json_scan_error() then says why
 * and json_scan_error_pos() at which byte. */
static inline int json_scan_failed(const json_scan *s) { return s->err != NULL; }
static inline const char *json_scan_error(const json_scan *s) { return s->err ? s->err : "no error"; }
static inline size_t json_scan_error_pos(const json_scan *s) { return s->err_pos; }

/* Does the (possibly escaped) string equal the NUL-terminated lit? */
BENCHY_INTERNAL int json_str_eq(const json_str *str, const char *lit);
/* The same for a string literal, with its length known at compile time so
 * that the usual unescaped key costs a length test and a memcmp. */
#define JSON_STR_IS(str, lit)                                                               \
  ((str)->escaped ? json_str_eq((str), (lit))                                               \
                  : ((str)->len == sizeof(lit) - 1 && memcmp((str)->p, (lit), sizeof(lit) - 1) == 0))
/* Appends the unescaped UTF-8 text to out: 0, or -1 when out of memory.
 * The span must come from a json_scan reader (escapes already validated). */
BENCHY_INTERNAL int json_str_decode(const json_str *str, benchy_buf *out);
/* Length the decoded text will have. */
BENCHY_INTERNAL size_t json_str_decoded_len(const json_str *str);
/* Decodes into dst[cap] (NUL-terminated, truncated to fit, never splitting a
 * UTF-8 sequence); returns the full decoded length. */
BENCHY_INTERNAL size_t json_str_copy(const json_str *str, char *dst, size_t cap);

#endif
