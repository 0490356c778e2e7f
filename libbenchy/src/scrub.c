/*
 * scrub.c — the secret scrubber of scrub.h.
 *
 * Marks every byte any secret covers, then copies the text with each run of
 * marked bytes replaced by one marker. Marking all occurrences of all
 * secrets first (rather than replacing as it scans) is what makes
 * overlapping secrets safe: replacing "abcdef" in "abcdefghi" first would
 * leave "ghi" of an overlapping "defghi" in the output.
 */
#include "scrub.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int scrubber_add(scrubber *s, const char *value, size_t len) {
  if (!value || len < SCRUB_MIN_LEN) return 0;
  for (size_t i = 0; i < s->n; i++)
    if (s->lens[i] == len && !memcmp(s->secrets[i], value, len)) return 0;
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 4;
    char **secrets = realloc(s->secrets, cap * sizeof *secrets);
    if (!secrets) return -1;
    s->secrets = secrets;
    size_t *lens = realloc(s->lens, cap * sizeof *lens);
    if (!lens) return -1;
    s->lens = lens;
    s->cap = cap;
  }
  char *copy = benchy_strndup(value, len);
  if (!copy) return -1;
  s->secrets[s->n] = copy;
  s->lens[s->n] = len;
  s->n++;
  return 0;
}

static int is_space(char c) { return c == ' ' || c == '\t'; }

int scrubber_add_header(scrubber *s, const char *line) {
  const char *colon = line ? strchr(line, ':') : NULL;
  if (!colon) return 0;
  const char *v = colon + 1, *end = v + strlen(v);
  while (v < end && is_space(*v)) v++;
  while (end > v && is_space(end[-1])) end--;
  if (scrubber_add(s, v, (size_t)(end - v)) != 0) return -1;
  size_t name_len = (size_t)(colon - line);
  int auth = (name_len == 13 && !strncasecmp(line, "Authorization", 13)) ||
             (name_len == 19 && !strncasecmp(line, "Proxy-Authorization", 19));
  if (!auth) return 0;
  const char *cred = v;
  while (cred < end && !is_space(*cred)) cred++;
  while (cred < end && is_space(*cred)) cred++;
  return cred < end ? scrubber_add(s, cred, (size_t)(end - cred)) : 0;
}

void scrubber_free(scrubber *s) {
  for (size_t i = 0; i < s->n; i++) {
    volatile char *p = s->secrets[i];
    for (size_t j = 0; j < s->lens[i]; j++) p[j] = 0;
    free(s->secrets[i]);
  }
  free(s->secrets);
  free(s->lens);
  memset(s, 0, sizeof *s);
}

/* Writes the scrubbed text into out; returns the number of runs replaced,
 * or -1 when out of memory. */
static int scrub_into(const scrubber *s, const char *text, size_t len, benchy_buf *out) {
  if (!s || s->n == 0 || len == 0) return benchy_buf_append(out, text, len) == 0 ? 0 : -1;
  unsigned char *mask = calloc(len, 1);
  if (!mask) return -1;
  int any = 0;
  for (size_t k = 0; k < s->n; k++) {
    size_t n = s->lens[k];
    for (const char *at = text; n <= len - (size_t)(at - text);) {
      const char *hit = memmem(at, len - (size_t)(at - text), s->secrets[k], n);
      if (!hit) break;
      memset(mask + (hit - text), 1, n);
      any = 1;
      at = hit + 1; /* a secret may overlap itself ("aaaa" in "aaaaa") */
    }
  }
  if (!any) {
    free(mask);
    return benchy_buf_append(out, text, len) == 0 ? 0 : -1;
  }
  int runs = 0;
  size_t i = 0;
  while (i < len) {
    size_t j = i;
    while (j < len && mask[j] == mask[i]) j++;
    int rc = mask[i] ? benchy_buf_append_str(out, SCRUB_MARKER) : benchy_buf_append(out, text + i, j - i);
    if (rc != 0) {
      free(mask);
      return -1;
    }
    runs += mask[i];
    i = j;
  }
  free(mask);
  return runs;
}

int scrub_buf(const scrubber *s, benchy_buf *b) {
  if (!s || s->n == 0 || !b->len) return 0;
  benchy_buf out = {0};
  int runs = scrub_into(s, b->data, b->len, &out);
  if (runs <= 0) {
    benchy_buf_free(&out);
    if (runs < 0) {
      memset(b->data, 0, b->len);
      b->len = 0;
    }
    return runs;
  }
  if (benchy_buf_terminate(&out) != 0) {
    benchy_buf_free(&out);
    memset(b->data, 0, b->len);
    b->len = 0;
    return -1;
  }
  memset(b->data, 0, b->len);
  benchy_buf_free(b);
  *b = out;
  return runs;
}

int scrub_str(const scrubber *s, char *text, size_t cap) {
  if (!s || s->n == 0 || !text || cap == 0) return 0;
  benchy_buf b = {0};
  size_t len = strnlen(text, cap - 1);
  int runs = scrub_into(s, text, len, &b);
  if (runs < 0) {
    text[0] = '\0';
    return -1;
  }
  if (runs > 0) {
    size_t n = b.len < cap - 1 ? b.len : cap - 1;
    /* A cut inside the marker still hides the secret: it never reveals
     * secret bytes, only a shorter marker. */
    memcpy(text, b.data, n);
    text[n] = '\0';
  }
  benchy_buf_free(&b);
  return runs;
}
