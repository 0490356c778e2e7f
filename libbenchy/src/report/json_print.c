/*
 * json_print.c — see json_print.h.
 *
 * The text is cJSON's, byte for byte (the same escapes, and cJSON_Print's
 * tabs and spacing when pretty), except where cJSON would write a number
 * that reads back as another double. Writing it here rather than through
 * cJSON also makes it cheaper: records are printed on the loop's thread
 * (--jsonl), and most of their numbers are milliseconds converted from
 * integer nanoseconds, which are written with integer arithmetic instead
 * of printf and a strtod check.
 */
#include "json_print.h"

#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct json_out {
  benchy_buf buf;
  int failed; /* an append ran out of memory: the text is not returned */
} json_out;

static void put(json_out *o, const char *s, size_t n) {
  if (!o->failed && benchy_buf_append(&o->buf, s, n) != 0) o->failed = 1;
}

static void put_char(json_out *o, char c) { put(o, &c, 1); }

static void put_tabs(json_out *o, int n) {
  for (int i = 0; i < n; i++) put_char(o, '\t');
}

/* Digits of v (>= 0) into the end of buf; returns where they start. */
static char *digits(uint64_t v, char *end) {
  do *--end = (char)('0' + v % 10);
  while (v /= 10);
  return end;
}

/* d = k / 10^6 exactly as the double that division gives, for a whole k:
 * the decimal k/10^6 then reads back as d itself (both are the correctly
 * rounded value of the same real number). In this range it has at most 15
 * significant digits and %g would not use an exponent, so the text is what
 * "%1.15g" writes. */
static int put_micro_decimal(json_out *o, double d) {
  double a = fabs(d);
  if (!(a >= 1e-3 && a < 1e9)) return 0;
  int64_t k = llround(a * 1e6);
  if ((double)k / 1e6 != a) return 0;
  char buf[32], *end = buf + sizeof buf;
  int64_t whole = k / 1000000, frac = k % 1000000;
  int frac_digits = 6;
  while (frac_digits > 0 && frac % 10 == 0) {
    frac /= 10;
    frac_digits--;
  }
  char *p = end;
  if (frac_digits > 0) {
    char *f = digits((uint64_t)frac, end);
    while (end - f < frac_digits) *--f = '0';
    p = f;
    *--p = '.';
  }
  p = digits((uint64_t)whole, p);
  if (d < 0) *--p = '-';
  put(o, p, (size_t)(end - p));
  return 1;
}

/* The fewest of 15, 16 or 17 significant digits that read back as d; '.'
 * whatever the locale (snprintf and strtod agree on its radix character,
 * so the check holds before it is replaced). */
static void put_shortest(json_out *o, double d) {
  char buf[32];
  snprintf(buf, sizeof buf, "%1.15g", d);
  if (strtod(buf, NULL) != d) {
    snprintf(buf, sizeof buf, "%1.16g", d);
    if (strtod(buf, NULL) != d) snprintf(buf, sizeof buf, "%1.17g", d);
  }
  const char radix = localeconv()->decimal_point[0];
  if (radix != '.')
    for (char *p = buf; *p; p++)
      if (*p == radix) *p = '.';
  put(o, buf, strlen(buf));
}

static void put_number(json_out *o, const cJSON *item) {
  double d = item->valuedouble;
  if (!isfinite(d)) {
    put(o, "null", 4); /* as cJSON: JSON has no NaN */
  } else if (d == (double)item->valueint) {
    char buf[16], *end = buf + sizeof buf;
    int v = item->valueint;
    char *p = digits(v < 0 ? (uint64_t)(-(int64_t)v) : (uint64_t)v, end);
    if (v < 0) *--p = '-';
    put(o, p, (size_t)(end - p));
  } else if (!put_micro_decimal(o, d)) {
    put_shortest(o, d);
  }
}

static void put_string(json_out *o, const char *s) {
  put_char(o, '"');
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  while (*p) {
    const unsigned char *run = p;
    while (*p >= 32 && *p != '"' && *p != '\\') p++;
    put(o, (const char *)run, (size_t)(p - run));
    if (!*p) break;
    char esc[8];
    switch (*p) {
    case '"': put(o, "\\\"", 2); break;
    case '\\': put(o, "\\\\", 2); break;
    case '\b': put(o, "\\b", 2); break;
    case '\f': put(o, "\\f", 2); break;
    case '\n': put(o, "\\n", 2); break;
    case '\r': put(o, "\\r", 2); break;
    case '\t': put(o, "\\t", 2); break;
    default:
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      put(o, esc, 6);
    }
    p++;
  }
  put_char(o, '"');
}

static void put_value(json_out *o, const cJSON *item, int depth, int pretty) {
  switch (item->type & 0xff) {
  case cJSON_NULL: put(o, "null", 4); return;
  case cJSON_False: put(o, "false", 5); return;
  case cJSON_True: put(o, "true", 4); return;
  case cJSON_Number: put_number(o, item); return;
  case cJSON_String: put_string(o, item->valuestring); return;
  case cJSON_Raw:
    if (!item->valuestring) o->failed = 1;
    else put(o, item->valuestring, strlen(item->valuestring));
    return;
  case cJSON_Array:
    put_char(o, '[');
    for (const cJSON *c = item->child; c; c = c->next) {
      put_value(o, c, depth + 1, pretty);
      if (c->next) put(o, ", ", pretty ? 2 : 1);
    }
    put_char(o, ']');
    return;
  case cJSON_Object:
    put_char(o, '{');
    if (pretty) put_char(o, '\n');
    for (const cJSON *c = item->child; c; c = c->next) {
      if (pretty) put_tabs(o, depth + 1);
      put_string(o, c->string);
      put(o, ":\t", pretty ? 2 : 1);
      put_value(o, c, depth + 1, pretty);
      if (c->next) put_char(o, ',');
      if (pretty) put_char(o, '\n');
    }
    if (pretty) put_tabs(o, depth);
    put_char(o, '}');
    return;
  default:
    o->failed = 1; /* cJSON_Invalid: cJSON refuses to print it too */
  }
}

char *json_print_exact(const cJSON *doc, int pretty) {
  if (!doc) return NULL;
  json_out o = {0};
  put_value(&o, doc, 0, pretty);
  if (o.failed || benchy_buf_terminate(&o.buf) != 0) {
    benchy_buf_free(&o.buf);
    return NULL;
  }
  return o.buf.data; /* the caller frees it */
}
