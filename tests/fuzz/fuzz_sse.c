/*
 * fuzz_sse.c — libFuzzer target for the SSE parser.
 *
 * The first bytes of the input choose max_line and a seed for split points;
 * the rest is the stream. It is parsed whole, cut at seeded random points,
 * and (up to 1 KiB) byte by byte: all three must report the same events and
 * the same outcome, and the parser's buffers must stay within max_line.
 * Any difference aborts, which libFuzzer records as a crash.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct run_log {
  benchy_buf text;
  size_t n;
} run_log;

static int collect(void *ud, const sse_event *ev) {
  run_log *log = ud;
  if (ev->data[ev->data_len] != '\0') abort();
  if (memchr(ev->id, '\0', ev->id_len)) abort();
  /* Length-prefixed, so no payload can imitate a separator. */
  size_t lens[3] = {ev->event_len, ev->id_len, ev->data_len};
  benchy_buf_append(&log->text, lens, sizeof lens);
  benchy_buf_append(&log->text, ev->event, ev->event_len);
  benchy_buf_append(&log->text, ev->id, ev->id_len);
  benchy_buf_append(&log->text, ev->data, ev->data_len);
  log->n++;
  return 0;
}

static void check_bounds(const sse_parser *p) {
  if (p->line.len > p->max_line || p->data.len > p->max_line) abort();
}

/* Feeds [0, len) in pieces; cut(i) says where piece i ends. Each piece is
 * an exactly sized copy so ASan sees reads past it. */
static int run(const uint8_t *buf, size_t len, size_t max_line, uint64_t seed, int mode, run_log *log) {
  sse_parser p;
  sse_parser_init(&p, max_line);
  int rc = 0;
  size_t at = 0;
  while (at < len && rc == 0) {
    size_t n;
    if (mode == 0)
      n = len - at;
    else if (mode == 1)
      n = 1 + (size_t)(benchy_rand_next(&seed) % (len - at < 64 ? len - at : 64));
    else
      n = 1;
    char *piece = malloc(n);
    if (!piece) abort();
    memcpy(piece, buf + at, n);
    rc = sse_parser_feed(&p, piece, n, collect, log);
    free(piece);
    check_bounds(&p);
    at += n;
  }
  if (rc == 0) rc = sse_parser_finish(&p, collect, log);
  if (rc == -1 && (!p.failed || p.error[0] == '\0')) abort();
  if (rc != 0 && rc != -1) abort(); /* collect never stops the parser */
  if (rc == 0 && p.events != log->n) abort();
  sse_parser_free(&p);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 3) return 0;
  /* High bit: the default bound; otherwise a small one, so that the
   * too-long paths are reached often. */
  size_t max_line = (data[0] & 0x80) ? SSE_DEFAULT_MAX_LINE : 1 + (size_t)data[0] * 3;
  uint64_t seed = (uint64_t)data[1] << 8 | data[2];
  const uint8_t *buf = data + 3;
  size_t len = size - 3;

  run_log whole = {{0}, 0}, cut = {{0}, 0}, bytes = {{0}, 0};
  int rc_whole = run(buf, len, max_line, seed, 0, &whole);
  int rc_cut = run(buf, len, max_line, seed, 1, &cut);
  if (rc_whole != rc_cut || whole.n != cut.n || whole.text.len != cut.text.len ||
      (whole.text.len && memcmp(whole.text.data, cut.text.data, whole.text.len) != 0))
    abort();
  if (len <= 1024) { /* byte by byte is slow; short inputs cover it */
    int rc_bytes = run(buf, len, max_line, seed, 2, &bytes);
    if (rc_whole != rc_bytes || whole.n != bytes.n || whole.text.len != bytes.text.len ||
        (whole.text.len && memcmp(whole.text.data, bytes.text.data, whole.text.len) != 0))
      abort();
  }
  benchy_buf_free(&whole.text);
  benchy_buf_free(&cut.text);
  benchy_buf_free(&bytes.text);
  return 0;
}
