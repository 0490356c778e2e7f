/*
 * json_scan.c — the pull scanner of json_scan.h: strict RFC 8259 syntax,
 * bounds-checked at every byte, no allocation. Numbers are converted here
 * (not with a plain strtod on the input) because the input is not
 * NUL-terminated and the C library's strtod honours the process locale's
 * decimal point.
 */
#include "json_scan.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int fail(json_scan *s, const char *why, size_t at) {
  if (!s->err) {
    s->err = why;
    s->err_pos = at;
  }
  return -1;
}

static inline void skip_ws(json_scan *s) {
  const char *b = s->buf;
  size_t i = s->pos, n = s->len;
  while (i < n && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
  s->pos = i;
}

void json_scan_init(json_scan *s, const char *buf, size_t len) {
  s->buf = buf;
  s->len = buf ? len : 0;
  s->pos = 0;
  s->depth = 0;
  s->first = 0;
  s->err = NULL;
  s->err_pos = 0;
}

json_type json_peek(json_scan *s) {
  if (s->err) return JSON_NONE;
  skip_ws(s);
  if (s->pos >= s->len) return JSON_NONE;
  switch (s->buf[s->pos]) {
  case '{': return JSON_OBJECT;
  case '[': return JSON_ARRAY;
  case '"': return JSON_STRING;
  case 't': return JSON_TRUE;
  case 'f': return JSON_FALSE;
  case 'n': return JSON_NULL;
  case '-':
  case '0': case '1': case '2': case '3': case '4':
  case '5': case '6': case '7': case '8': case '9': return JSON_NUMBER;
  default: return JSON_NONE;
  }
}

static inline int hexval(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

/* Non-zero when some byte of w is '"', '\\' or below 0x20 (the classic
 * "has zero byte" / "has byte less than" bit tricks; exact for these
 * constants, no false negatives). */
static inline uint64_t word_is_special(uint64_t w) {
  uint64_t q = w ^ (ONES * '"');
  uint64_t bs = w ^ (ONES * '\\');
  return (((q - ONES) & ~q) | ((bs - ONES) & ~bs) | ((w - ONES * 0x20) & ~w)) & HIGHS;
}

/* The scanner sits on the opening quote. Validates escapes and refuses raw
 * control characters; leaves pos after the closing quote. */
static int scan_string(json_scan *s, json_str *out) {
  const unsigned char *b = (const unsigned char *)s->buf;
  size_t start = s->pos + 1, i = start, n = s->len;
  int escaped = 0;
  for (;;) {
    /* Plain text is skipped eight bytes at a time: a word with no quote, no
     * backslash and no control byte needs no closer look. */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, b + i, 8);
      if (word_is_special(w)) break;
      i += 8;
    }
    while (i < n && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20) i++;
    if (i >= n) return fail(s, "unterminated string", n);
    unsigned char c = b[i];
    if (c == '"') break;
    if (c < 0x20) return fail(s, "control character in string", i);
    /* backslash */
    if (i + 1 >= n) return fail(s, "unterminated string", n);
    escaped = 1;
    switch (b[i + 1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
      i += 2;
      break;
    case 'u':
      if (i + 6 > n) return fail(s, "unterminated string", n);
      for (size_t k = 2; k < 6; k++)
        if (hexval(b[i + k]) < 0) return fail(s, "invalid \\u escape", i);
      i += 6;
      break;
    default: return fail(s, "invalid escape", i);
    }
  }
  if (out) {
    out->p = s->buf + start;
    out->len = i - start;
    out->escaped = escaped;
  }
  s->pos = i + 1;
  return 0;
}

/* Number grammar only; leaves pos after it and reports whether it was a
 * plain integer. */
static int scan_number(json_scan *s, size_t *start, int *is_int) {
  const char *b = s->buf;
  size_t i = s->pos, n = s->len;
  *start = i;
  *is_int = 1;
  if (i < n && b[i] == '-') i++;
  if (i >= n) return fail(s, "truncated number", i);
  if (b[i] == '0') {
    i++;
  } else if (b[i] >= '1' && b[i] <= '9') {
    while (i < n && b[i] >= '0' && b[i] <= '9') i++;
  } else {
    return fail(s, "invalid number", i);
  }
  if (i < n && b[i] == '.') {
    *is_int = 0;
    i++;
    if (i >= n || b[i] < '0' || b[i] > '9') return fail(s, "invalid number", i);
    while (i < n && b[i] >= '0' && b[i] <= '9') i++;
  }
  if (i < n && (b[i] == 'e' || b[i] == 'E')) {
    *is_int = 0;
    i++;
    if (i < n && (b[i] == '+' || b[i] == '-')) i++;
    if (i >= n || b[i] < '0' || b[i] > '9') return fail(s, "invalid number", i);
    while (i < n && b[i] >= '0' && b[i] <= '9') i++;
  }
  s->pos = i;
  return 0;
}

static int scan_literal(json_scan *s, const char *lit, size_t n) {
  if (s->len - s->pos < n) return fail(s, "truncated literal", s->len);
  if (memcmp(s->buf + s->pos, lit, n) != 0) return fail(s, "invalid literal", s->pos);
  s->pos += n;
  return 0;
}

static int skip_value(json_scan *s, int depth) {
  skip_ws(s);
  if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
  char c = s->buf[s->pos];
  switch (c) {
  case '"': return scan_string(s, NULL);
  case 't': return scan_literal(s, "true", 4);
  case 'f': return scan_literal(s, "false", 5);
  case 'n': return scan_literal(s, "null", 4);
  case '{':
  case '[': {
    if (depth >= JSON_SCAN_MAX_DEPTH) return fail(s, "nesting too deep", s->pos);
    char close = c == '{' ? '}' : ']';
    s->pos++;
    skip_ws(s);
    if (s->pos < s->len && s->buf[s->pos] == close) {
      s->pos++;
      return 0;
    }
    for (;;) {
      if (c == '{') {
        skip_ws(s);
        if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
        if (s->buf[s->pos] != '"') return fail(s, "expected a key", s->pos);
        if (scan_string(s, NULL) != 0) return -1;
        skip_ws(s);
        if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
        if (s->buf[s->pos] != ':') return fail(s, "expected ':'", s->pos);
        s->pos++;
      }
      if (skip_value(s, depth + 1) != 0) return -1;
      skip_ws(s);
      if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
      if (s->buf[s->pos] == close) {
        s->pos++;
        return 0;
      }
      if (s->buf[s->pos] != ',') return fail(s, c == '{' ? "expected ',' or '}'" : "expected ',' or ']'", s->pos);
      s->pos++;
    }
  }
  default: {
    size_t start;
    int is_int;
    if (c == '-' || (c >= '0' && c <= '9')) return scan_number(s, &start, &is_int);
    return fail(s, "unexpected character", s->pos);
  }
  }
}

int json_skip(json_scan *s) {
  if (s->err) return -1;
  return skip_value(s, s->depth);
}

static int begin(json_scan *s, char open, const char *what) {
  if (s->err) return -1;
  skip_ws(s);
  if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
  if (s->buf[s->pos] != open) return fail(s, what, s->pos);
  if (s->depth >= JSON_SCAN_MAX_DEPTH) return fail(s, "nesting too deep", s->pos);
  s->pos++;
  s->depth++;
  s->first = 1;
  return 0;
}

int json_obj_begin(json_scan *s) { return begin(s, '{', "expected an object"); }
int json_arr_begin(json_scan *s) { return begin(s, '[', "expected an array"); }

/* Common step of obj_next/arr_next: 1 when a member follows, 0 after the
 * closer. Once a nested container closes, its parent has necessarily had a
 * member, which is why a single `first` flag serves every level. */
static int step(json_scan *s, char close) {
  if (s->err) return -1;
  skip_ws(s);
  if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
  char c = s->buf[s->pos];
  if (c == close) {
    s->pos++;
    s->depth--;
    s->first = 0;
    return 0;
  }
  if (!s->first) {
    if (c != ',') return fail(s, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'", s->pos);
    s->pos++;
    skip_ws(s);
    if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
    if (s->buf[s->pos] == close) return fail(s, close == '}' ? "expected a key" : "expected a value", s->pos);
  }
  s->first = 0;
  return 1;
}

int json_obj_next(json_scan *s, json_str *key) {
  int r = step(s, '}');
  if (r <= 0) return r;
  if (s->buf[s->pos] != '"') return fail(s, "expected a key", s->pos);
  if (scan_string(s, key) != 0) return -1;
  skip_ws(s);
  if (s->pos >= s->len) return fail(s, "unexpected end of input", s->len);
  if (s->buf[s->pos] != ':') return fail(s, "expected ':'", s->pos);
  s->pos++;
  return 1;
}

int json_arr_next(json_scan *s) { return step(s, ']'); }

int json_read_str(json_scan *s, json_str *out) {
  if (json_peek(s) != JSON_STRING) return fail(s, "expected a string", s->pos);
  return scan_string(s, out);
}

int json_read_null(json_scan *s) {
  if (json_peek(s) != JSON_NULL) return fail(s, "expected null", s->pos);
  return scan_literal(s, "null", 4);
}

int json_read_bool(json_scan *s, int *out) {
  json_type t = json_peek(s);
  if (t == JSON_TRUE) {
    *out = 1;
    return scan_literal(s, "true", 4);
  }
  if (t == JSON_FALSE) {
    *out = 0;
    return scan_literal(s, "false", 5);
  }
  return fail(s, "expected a boolean", s->pos);
}

/* Powers of ten that are exact in a double. */
static const double exact_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

#define SIG_DIGITS_MAX 40

/* Converts the (already validated) number text b[0..n). When the significand
 * fits in 53 bits and the power of ten is exact, one multiplication or
 * division is correctly rounded (Clinger's fast path). Otherwise the digits
 * are rewritten as "DDDDeN" — no radix character, so the locale cannot
 * matter — and handed to strtod. */
static double number_value(const char *b, size_t n) {
  size_t i = 0;
  int neg = 0;
  if (b[i] == '-') {
    neg = 1;
    i++;
  }
  char digits[SIG_DIGITS_MAX + 24];
  size_t nd = 0;          /* significant digits kept */
  long dropped = 0;       /* significant digits beyond SIG_DIGITS_MAX */
  long frac_digits = 0;   /* digits after the point (kept or leading zeros) */
  int in_frac = 0;
  for (; i < n; i++) {
    char c = b[i];
    if (c == '.') {
      in_frac = 1;
      continue;
    }
    if (c == 'e' || c == 'E') break;
    if (nd == 0 && c == '0') {
      if (in_frac) frac_digits++;
      continue;
    }
    if (nd < SIG_DIGITS_MAX) {
      digits[nd++] = c;
      if (in_frac) frac_digits++;
    } else if (!in_frac) {
      dropped++;
    }
  }
  long exp = 0;
  if (i < n) {
    i++;
    int eneg = 0;
    if (b[i] == '+') {
      i++;
    } else if (b[i] == '-') {
      eneg = 1;
      i++;
    }
    for (; i < n; i++) {
      if (exp < 100000) exp = exp * 10 + (b[i] - '0');
    }
    if (eneg) exp = -exp;
  }
  if (nd == 0) return neg ? -0.0 : 0.0;
  long e10 = exp - frac_digits + dropped;
  if (nd <= 16 && e10 >= -22 && e10 <= 22) {
    uint64_t m = 0;
    for (size_t k = 0; k < nd; k++) m = m * 10 + (uint64_t)(digits[k] - '0');
    if (m <= (UINT64_C(1) << 53)) {
      double v = (double)m;
      v = e10 >= 0 ? v * exact_pow10[e10] : v / exact_pow10[-e10];
      return neg ? -v : v;
    }
  }
  size_t k = nd;
  digits[k++] = 'e';
  if (e10 < 0) {
    digits[k++] = '-';
    e10 = -e10;
  }
  char rev[24];
  size_t nr = 0;
  do {
    rev[nr++] = (char)('0' + e10 % 10);
    e10 /= 10;
  } while (e10 && nr < sizeof rev);
  while (nr) digits[k++] = rev[--nr];
  digits[k] = '\0';
  int saved = errno;
  double v = strtod(digits, NULL);
  errno = saved; /* overflow to inf / underflow to 0 are acceptable readings */
  return neg ? -v : v;
}

int json_read_double(json_scan *s, double *out) {
  if (json_peek(s) != JSON_NUMBER) return fail(s, "expected a number", s->pos);
  size_t start;
  int is_int;
  if (scan_number(s, &start, &is_int) != 0) return -1;
  *out = number_value(s->buf + start, s->pos - start);
  return 0;
}

int json_read_int64(json_scan *s, int64_t *out) {
  if (json_peek(s) != JSON_NUMBER) return fail(s, "expected a number", s->pos);
  size_t start;
  int is_int;
  if (scan_number(s, &start, &is_int) != 0) return -1;
  const char *b = s->buf + start;
  size_t n = s->pos - start;
  if (is_int) {
    size_t i = 0;
    int neg = b[0] == '-';
    if (neg) i++;
    /* Accumulate negatively so INT64_MIN is reachable. */
    int64_t v = 0;
    for (; i < n; i++) {
      int d = b[i] - '0';
      if (v < (INT64_MIN + d) / 10) {
        *out = neg ? INT64_MIN : INT64_MAX;
        return 0;
      }
      v = v * 10 - d;
    }
    if (!neg) v = v == INT64_MIN ? INT64_MAX : -v;
    *out = v;
    return 0;
  }
  double d = number_value(b, n);
  /* 2^63 is exact as a double; anything at or beyond it does not fit. */
  if (d >= 9223372036854775808.0)
    *out = INT64_MAX;
  else if (d < -9223372036854775808.0)
    *out = INT64_MIN;
  else
    *out = (int64_t)d;
  return 0;
}

int json_scan_fail(json_scan *s, const char *why) {
  skip_ws(s);
  return fail(s, why, s->pos);
}

int json_scan_end(json_scan *s) {
  if (s->err) return -1;
  skip_ws(s);
  if (s->pos != s->len) return fail(s, "trailing characters", s->pos);
  return 0;
}

/* ---- decoding string spans ---------------------------------------------- */

static size_t utf8_put(uint32_t cp, char *d) {
  if (cp < 0x80) {
    d[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    d[0] = (char)(0xC0 | (cp >> 6));
    d[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    d[0] = (char)(0xE0 | (cp >> 12));
    d[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    d[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  d[0] = (char)(0xF0 | (cp >> 18));
  d[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  d[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  d[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static uint32_t hex4(const unsigned char *p) {
  return (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

/* Decodes the escape at p[0] == '\\' (validated by scan_string, so the
 * bytes are there) into d; returns the bytes written and sets *used to the
 * input consumed. */
static size_t decode_escape(const unsigned char *p, size_t avail, char *d, size_t *used) {
  *used = 2;
  switch (p[1]) {
  case 'b': d[0] = '\b'; return 1;
  case 'f': d[0] = '\f'; return 1;
  case 'n': d[0] = '\n'; return 1;
  case 'r': d[0] = '\r'; return 1;
  case 't': d[0] = '\t'; return 1;
  case 'u': break;
  default: d[0] = (char)p[1]; return 1; /* " \ / */
  }
  *used = 6;
  uint32_t cp = hex4(p + 2);
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    if (avail >= 12 && p[6] == '\\' && p[7] == 'u') {
      uint32_t lo = hex4(p + 8);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        *used = 12;
        return utf8_put(0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00), d);
      }
    }
    cp = 0xFFFD;
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    cp = 0xFFFD;
  }
  return utf8_put(cp, d);
}

/* The one decoder behind the public helpers. Writes at most cap bytes to dst
 * (dst may be NULL to count only), stopping before a UTF-8 sequence that
 * would not fit whole; *written says how many it wrote. Returns the full
 * decoded length. Decoded text is never longer than its escaped form (an
 * escape of n bytes yields at most n), which callers rely on to size dst. */
static size_t decode_span(const json_str *str, char *dst, size_t cap, size_t *written) {
  const unsigned char *p = (const unsigned char *)str->p;
  size_t n = str->len, i = 0, out = 0, w = 0;
  int full = !dst; /* dst takes no more bytes */
  while (i < n) {
    const unsigned char *bs = str->escaped ? memchr(p + i, '\\', n - i) : NULL;
    size_t run = bs ? (size_t)(bs - (p + i)) : n - i;
    if (run) {
      if (!full) {
        size_t take = run;
        if (w + take > cap) {
          take = cap - w;
          /* Back off to the start of a character cut in two. */
          for (int back = 0; take > 0 && back < 3 && (p[i + take] & 0xC0) == 0x80; back++) take--;
          full = 1;
        }
        memcpy(dst + w, p + i, take);
        w += take;
      }
      out += run;
      i += run;
    }
    if (i >= n) break;
    char tmp[4];
    size_t used;
    size_t k = decode_escape(p + i, n - i, tmp, &used);
    if (!full) {
      if (w + k <= cap) {
        memcpy(dst + w, tmp, k);
        w += k;
      } else {
        full = 1;
      }
    }
    out += k;
    i += used;
  }
  if (written) *written = w;
  return out;
}

int json_str_decode(const json_str *str, benchy_buf *out) {
  if (!str->escaped) return benchy_buf_append(out, str->p, str->len);
  if (benchy_buf_reserve(out, str->len) != 0) return -1;
  size_t w;
  decode_span(str, out->data + out->len, str->len, &w);
  out->len += w;
  out->data[out->len] = '\0';
  return 0;
}

size_t json_str_decoded_len(const json_str *str) {
  return str->escaped ? decode_span(str, NULL, 0, NULL) : str->len;
}

size_t json_str_copy(const json_str *str, char *dst, size_t cap) {
  if (cap == 0) return json_str_decoded_len(str);
  size_t w;
  size_t full = decode_span(str, dst, cap - 1, &w);
  dst[w] = '\0';
  return full;
}

/* Compare without allocating: escaped keys (rare) are decoded into a small
 * window that only needs to hold the literal plus one byte. */
int json_str_eq(const json_str *str, const char *lit) {
  size_t n = strlen(lit);
  if (!str->escaped) return str->len == n && memcmp(str->p, lit, n) == 0;
  char tmp[64];
  if (n >= sizeof tmp) return 0;
  size_t w;
  size_t full = decode_span(str, tmp, sizeof tmp, &w);
  return full == n && w == n && memcmp(tmp, lit, n) == 0;
}
