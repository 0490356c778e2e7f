/* util.c — see util.h. */
#include "util.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *benchy_strdup(const char *s) { return s ? benchy_strndup(s, strlen(s)) : NULL; }

char *benchy_strndup(const char *s, size_t n) {
  char *copy = malloc(n + 1);
  if (!copy) return NULL;
  memcpy(copy, s, n);
  copy[n] = '\0';
  return copy;
}

void benchy_set_error(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

void *benchy_grow(void *items, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap && items) return items;
  size_t n = *cap ? *cap : 256;
  while (n < need) {
    if (n > SIZE_MAX / 2 / elem) return NULL;
    n *= 2;
  }
  void *grown = realloc(items, n * elem);
  if (grown) *cap = n;
  return grown;
}

int benchy_buf_reserve(benchy_buf *b, size_t extra) {
  size_t need = b->len + extra + 1; /* room for a terminator */
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap *= 2;
  char *grown = realloc(b->data, cap);
  if (!grown) return -1;
  b->data = grown;
  b->cap = cap;
  return 0;
}

int benchy_buf_append(benchy_buf *b, const void *data, size_t n) {
  if (benchy_buf_reserve(b, n) != 0) return -1;
  if (n) memcpy(b->data + b->len, data, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int benchy_buf_append_str(benchy_buf *b, const char *s) { return benchy_buf_append(b, s, strlen(s)); }

int benchy_buf_printf(benchy_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || benchy_buf_reserve(b, (size_t)n) != 0) return -1;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return 0;
}

int benchy_buf_terminate(benchy_buf *b) {
  if (benchy_buf_reserve(b, 0) != 0) return -1;
  b->data[b->len] = '\0';
  return 0;
}

void benchy_buf_free(benchy_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}
