/*
 * fuzz_h1.c — libFuzzer target for the HTTP/1.1 response parser (core/h1.c).
 *
 * The first byte seeds the split points; the rest is what a server sent.
 * It is parsed whole, cut at seeded random points, and (up to 1 KiB) byte by
 * byte, then the end of input is reported as the peer closing: all three
 * must see the same status lines, body bytes and outcome. Any difference
 * aborts, which libFuzzer records as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/h1.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct run_log {
  benchy_buf text;
  int outcome;
  size_t used;
  int keep;
} run_log;

static void log_status(void *ud, int status) {
  run_log *log = ud;
  benchy_buf_printf(&log->text, "[%d]", status);
}

static void log_body(void *ud, const char *d, size_t n) {
  run_log *log = ud;
  if (!n) abort(); /* empty body callbacks are noise */
  benchy_buf_append(&log->text, d, n);
}

/* step 0: whole; otherwise pieces of 1..step bytes chosen by seed. */
static void run(const char *in, size_t len, size_t step, uint64_t seed, run_log *log) {
  h1_parser p;
  h1_parser_init(&p);
  h1_sink sink = {log_status, log_body, log};
  size_t at = 0;
  int st = H1_MORE;
  while (st == H1_MORE && at < len) {
    size_t n = len - at;
    if (step) {
      size_t cut = 1 + (size_t)(benchy_rand_next(&seed) % step);
      if (cut < n) n = cut;
    }
    size_t used = 0;
    st = h1_parser_feed(&p, in + at, n, &used, &sink);
    if (used > n || (st == H1_MORE && used != n)) abort();
    if (p.line.len > 64 * 1024) abort();
    log->used = at + used;
    at += n;
  }
  if (st == H1_MORE) st = h1_parser_eof(&p) == H1_DONE ? 2 : -2;
  log->outcome = st;
  log->keep = st == H1_DONE && h1_parser_keep_alive(&p);
  h1_parser_free(&p);
}

static void same(const run_log *a, const run_log *b) {
  if (a->outcome != b->outcome || a->text.len != b->text.len || a->keep != b->keep) abort();
  if (a->text.len && memcmp(a->text.data, b->text.data, a->text.len)) abort();
  if (a->outcome == H1_DONE && a->used != b->used) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  uint64_t seed = data[0];
  const char *in = (const char *)data + 1;
  size_t len = size - 1;
  run_log whole = {0}, cut = {0}, bytes = {0};
  run(in, len, 0, seed, &whole);
  run(in, len, 1 + seed % 37, seed, &cut);
  same(&whole, &cut);
  if (len <= 1024) {
    run(in, len, 1, seed, &bytes);
    same(&whole, &bytes);
  }
  benchy_buf_free(&whole.text);
  benchy_buf_free(&cut.text);
  benchy_buf_free(&bytes.text);
  return 0;
}
