/* sentence.c — see sentence.h. */
#include "sentence.h"

static int is_mark(char c) { return c == '.' || c == '!' || c == '?'; }
static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int64_t sentence_feed(sentence_scan *s, const char *text, size_t len, int64_t t_ns) {
  if (s->found_ns || !len) return s->found_ns;
  if (s->pending_ns) {
    /* The previous chunk ended with a mark; this one says whether it ended a sentence. */
    if (is_space(text[0])) return s->found_ns = s->pending_ns;
    s->pending_ns = 0;
  }
  for (size_t i = 0; i < len; i++) {
    if (!is_mark(text[i])) continue;
    if (i + 1 == len) {
      s->pending_ns = t_ns;
    } else if (is_space(text[i + 1])) {
      return s->found_ns = t_ns;
    }
  }
  return 0;
}

int64_t sentence_finish(sentence_scan *s) {
  if (!s->found_ns && s->pending_ns) s->found_ns = s->pending_ns;
  s->pending_ns = 0;
  return s->found_ns;
}
