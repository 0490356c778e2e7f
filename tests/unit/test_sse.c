/*
 * test_sse.c — the SSE parser (proto/sse.c): recorded llama-server streams
 * fed at every split point and byte by byte must give the same events as a
 * whole feed; the line-end, comment, field, BOM and EOF rules; the max_line
 * bound; buffer reuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/openai.h"
#include "proto/sse.h"
#include "testutil.h"

/* Events collected into one flat, comparable form. */
typedef struct ev_log {
  benchy_buf text; /* "event|id|data\x1e" per event */
  size_t n;
  int stop_after; /* callback returns 7 after this many events (0: never) */
} ev_log;

static int collect(void *ud, const sse_event *ev) {
  ev_log *log = ud;
  /* The parser promises NUL-terminated data and non-NULL fields. */
  assert_non_null(ev->data);
  assert_non_null(ev->event);
  assert_non_null(ev->id);
  assert_int_equal(ev->data[ev->data_len], '\0');
  benchy_buf_append(&log->text, ev->event, ev->event_len);
  benchy_buf_append(&log->text, "|", 1);
  benchy_buf_append(&log->text, ev->id, ev->id_len);
  benchy_buf_append(&log->text, "|", 1);
  benchy_buf_append(&log->text, ev->data, ev->data_len);
  benchy_buf_append(&log->text, "\x1e", 1);
  log->n++;
  if (log->stop_after && log->n == (size_t)log->stop_after) return 7;
  return 0;
}

static void log_reset(ev_log *log) {
  benchy_buf_clear(&log->text);
  log->n = 0;
}

/* Feeds buf in pieces cut at the given offsets (ascending), then finishes. */
static int feed_cuts(sse_parser *p, const char *buf, size_t len, const size_t *cuts, size_t ncuts,
                     ev_log *log) {
  size_t at = 0;
  for (size_t i = 0; i <= ncuts; i++) {
    size_t end = i < ncuts ? cuts[i] : len;
    /* A private copy of each piece lets ASan catch a read past its end. */
    char *piece = malloc(end - at + 1);
    memcpy(piece, buf + at, end - at);
    int r = sse_parser_feed(p, piece, end - at, collect, log);
    free(piece);
    if (r != 0) return r;
    at = end;
  }
  return sse_parser_finish(p, collect, log);
}

static int feed_whole(const char *buf, size_t len, ev_log *log, size_t max_line) {
  sse_parser p;
  sse_parser_init(&p, max_line);
  int r = feed_cuts(&p, buf, len, NULL, 0, log);
  sse_parser_free(&p);
  return r;
}

/* Whole feed, every single split point, two split points and byte at a
 * time must all give the same events. Returns the event count. */
static size_t check_all_splits(const char *buf, size_t len, const char *expect_log) {
  ev_log whole = {0}, log = {0};
  assert_int_equal(feed_whole(buf, len, &whole, 0), 0);
  if (expect_log) assert_string_equal(whole.text.data ? whole.text.data : "", expect_log);
  sse_parser p;
  sse_parser_init(&p, 0);
  for (size_t i = 0; i <= len; i++) {
    sse_parser_reset(&p);
    log_reset(&log);
    size_t cut = i;
    assert_int_equal(feed_cuts(&p, buf, len, &cut, 1, &log), 0);
    assert_int_equal(log.n, whole.n);
    assert_memory_equal(log.text.data ? log.text.data : "", whole.text.data ? whole.text.data : "",
                        whole.text.len);
    assert_int_equal(log.text.len, whole.text.len);
    assert_int_equal(p.events, whole.n);
  }
  /* Byte at a time. */
  sse_parser_reset(&p);
  log_reset(&log);
  for (size_t i = 0; i < len; i++) assert_int_equal(sse_parser_feed(&p, buf + i, 1, collect, &log), 0);
  assert_int_equal(sse_parser_finish(&p, collect, &log), 0);
  assert_int_equal(log.n, whole.n);
  assert_int_equal(log.text.len, whole.text.len);
  assert_memory_equal(log.text.data ? log.text.data : "", whole.text.data ? whole.text.data : "",
                      whole.text.len);
  /* Pairs of cuts, on a stride so that long fixtures stay quick. */
  size_t stride = len > 400 ? len / 97 : 1;
  for (size_t a = 0; a <= len; a += stride) {
    for (size_t b = a; b <= len; b += stride + 1) {
      sse_parser_reset(&p);
      log_reset(&log);
      size_t cuts[2] = {a, b};
      assert_int_equal(feed_cuts(&p, buf, len, cuts, 2, &log), 0);
      assert_int_equal(log.text.len, whole.text.len);
      assert_memory_equal(log.text.data ? log.text.data : "", whole.text.data ? whole.text.data : "",
                          whole.text.len);
    }
  }
  sse_parser_free(&p);
  size_t n = whole.n;
  benchy_buf_free(&whole.text);
  benchy_buf_free(&log.text);
  return n;
}

/* Rewrites every LF as the given line end. */
static char *relined(const char *buf, size_t len, const char *eol, size_t *out_len) {
  benchy_buf b = {0};
  for (size_t i = 0; i < len; i++) {
    if (buf[i] == '\n')
      benchy_buf_append_str(&b, eol);
    else
      benchy_buf_append(&b, buf + i, 1);
  }
  *out_len = b.len;
  return b.data;
}

static const struct {
  const char *name;
  size_t events; /* data events, [DONE] included */
} fixtures[] = {
    {"chat_stream_usage.sse", 10},         {"chat_stream_nousage.sse", 9},
    {"completions_stream_usage.sse", 7},   {"completions_stream_nousage.sse", 7},
    {"tools_forced_stream.sse", 16},       {"tools_required_stream.sse", 68},
};

static void test_fixtures_every_split(void **state) {
  (void)state;
  for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
    size_t len;
    char *buf = test_read_fixture(fixtures[f].name, &len);
    assert_non_null(buf);
    assert_int_equal(check_all_splits(buf, len, NULL), fixtures[f].events);
    free(buf);
  }
}

/* Each fixture's events are its "data: " lines, in order, and the last is
 * [DONE]; checked against a line split done here independently. */
static void test_fixture_event_payloads(void **state) {
  (void)state;
  for (size_t f = 0; f < sizeof fixtures / sizeof fixtures[0]; f++) {
    size_t len;
    char *buf = test_read_fixture(fixtures[f].name, &len);
    assert_non_null(buf);
    benchy_buf expect = {0};
    for (char *line = buf; *line;) {
      char *nl = strchr(line, '\n');
      size_t n = nl ? (size_t)(nl - line) : strlen(line);
      if (n >= 6 && memcmp(line, "data: ", 6) == 0) {
        benchy_buf_append_str(&expect, "||");
        benchy_buf_append(&expect, line + 6, n - 6);
        benchy_buf_append_str(&expect, "\x1e");
      }
      line += n + (nl ? 1 : 0);
    }
    ev_log log = {0};
    assert_int_equal(feed_whole(buf, len, &log, 0), 0);
    assert_string_equal(log.text.data, expect.data);
    assert_true(log.text.len > 9 && memcmp(log.text.data + log.text.len - 9, "||[DONE]\x1e", 9) == 0);
    benchy_buf_free(&expect);
    benchy_buf_free(&log.text);
    free(buf);
  }
}

/* CRLF and lone-CR versions of the recordings give the same events. */
static void test_fixtures_crlf_and_cr(void **state) {
  (void)state;
  const char *eols[] = {"\r\n", "\r"};
  for (size_t e = 0; e < 2; e++) {
    for (size_t f = 0; f < 5; f++) { /* the long one adds time, not coverage */
      size_t len, rlen;
      char *buf = test_read_fixture(fixtures[f].name, &len);
      assert_non_null(buf);
      char *re = relined(buf, len, eols[e], &rlen);
      ev_log a = {0}, b = {0};
      assert_int_equal(feed_whole(buf, len, &a, 0), 0);
      assert_int_equal(feed_whole(re, rlen, &b, 0), 0);
      assert_int_equal(a.n, fixtures[f].events);
      assert_string_equal(a.text.data, b.text.data);
      assert_int_equal(check_all_splits(re, rlen, a.text.data), fixtures[f].events);
      benchy_buf_free(&a.text);
      benchy_buf_free(&b.text);
      free(re);
      free(buf);
    }
  }
}

#define S(lit) lit, sizeof(lit) - 1

static void test_line_ends_mixed(void **state) {
  (void)state;
  /* LF, CRLF and CR mixed in one stream, and a blank line of each kind. */
  check_all_splits(S("data: a\r\n\r\ndata: b\r\rdata: c\n\ndata: d\r\n\n"), "||a\x1e||b\x1e||c\x1e||d\x1e");
}

static void test_cr_then_lf_across_feeds(void **state) {
  (void)state;
  /* CR ends one feed, LF starts the next: one line end, so the two data
   * lines form one event. Treating the LF as a second line end would
   * dispatch "a" on its own. */
  sse_parser p;
  ev_log log = {0};
  sse_parser_init(&p, 0);
  assert_int_equal(sse_parser_feed(&p, S("data: a\r"), collect, &log), 0);
  assert_int_equal(log.n, 0);
  assert_int_equal(sse_parser_feed(&p, S("\ndata: b\r\n\r\n"), collect, &log), 0);
  assert_int_equal(log.n, 1);
  assert_string_equal(log.text.data, "||a\nb\x1e");
  /* An empty feed between CR and LF changes nothing. */
  log_reset(&log);
  assert_int_equal(sse_parser_feed(&p, S("data: c\r"), collect, &log), 0);
  assert_int_equal(sse_parser_feed(&p, "", 0, collect, &log), 0);
  assert_int_equal(sse_parser_feed(&p, S("\n"), collect, &log), 0);
  assert_int_equal(log.n, 0);
  /* CR followed by a CR in the next feed: a blank line, so dispatch. */
  assert_int_equal(sse_parser_feed(&p, S("\r"), collect, &log), 0);
  assert_int_equal(log.n, 1);
  assert_string_equal(log.text.data, "||c\x1e");
  sse_parser_free(&p);
  benchy_buf_free(&log.text);
}

/* A big read of lines ended by lone CRs, with no LF anywhere: each line
 * must cost its own length. A parser that looked for the next LF from every
 * line start would rescan megabytes per line here and run for hours. */
static void test_lone_cr_stream_is_linear(void **state) {
  (void)state;
  const char rec[] = "data: x\r\r";
  size_t n = 4u << 20, reps = n / (sizeof rec - 1);
  char *buf = malloc(n);
  assert_non_null(buf);
  for (size_t i = 0; i < reps; i++) memcpy(buf + i * (sizeof rec - 1), rec, sizeof rec - 1);
  sse_parser p;
  sse_parser_init(&p, 0);
  assert_int_equal(sse_parser_feed(&p, buf, reps * (sizeof rec - 1), NULL, NULL), 0);
  assert_int_equal(sse_parser_finish(&p, NULL, NULL), 0);
  assert_int_equal(p.events, reps);
  sse_parser_free(&p);
  free(buf);
}

static void test_comments_and_fields(void **state) {
  (void)state;
  check_all_splits(S(": keep-alive\n"
                     ":\n"
                     "data: one\n"
                     ": comment inside an event\n"
                     "data: two\n"
                     "\n"
                     "retry: 1000\n"
                     "unknown: x\n"
                     "data:no-space\n"
                     "\n"
                     "data:  two spaces\n"
                     "\n"
                     "data\n"
                     "\n"
                     "data:\n"
                     "data:\n"
                     "\n"),
                   "||one\ntwo\x1e||no-space\x1e|| two spaces\x1e||\x1e||\n\x1e");
}

static void test_event_and_id(void **state) {
  (void)state;
  /* event: applies to one event; id: persists until changed; an event with
   * no data is dropped together with its type. */
  check_all_splits(S("event: delta\n"
                     "id: 1\n"
                     "data: x\n"
                     "\n"
                     "data: y\n"
                     "\n"
                     "event: lonely\n"
                     "\n"
                     "data: z\n"
                     "id: 2\n"
                     "event: end\n"
                     "\n"
                     "id\n"
                     "data: w\n"
                     "\n"),
                   "delta|1|x\x1e|1|y\x1e" "end|2|z\x1e||w\x1e");
  ev_log log = {0};
  /* An id containing NUL is ignored (the previous one stays). */
  static const char with_nul[] = "id: 5\ndata: a\n\nid: 6\0x\ndata: b\n\n";
  assert_int_equal(feed_whole(with_nul, sizeof with_nul - 1, &log, 0), 0);
  assert_string_equal(log.text.data, "|5|a\x1e|5|b\x1e");
  benchy_buf_free(&log.text);
}

static void test_bom(void **state) {
  (void)state;
  /* A BOM at the start is dropped, whichever way it is split. */
  check_all_splits(S("\xEF\xBB\xBF" "data: a\n\n"), "||a\x1e");
  /* Only one BOM is dropped: the second is part of the field name, which
   * is then unknown, so there is no event. */
  check_all_splits(S("\xEF\xBB\xBF\xEF\xBB\xBF" "data: a\n\n"), "");
  /* A BOM prefix that is not a BOM is text: the line's field is then
   * "\xEF\xBBdata", unknown. Losing the bytes would wrongly yield "a". */
  check_all_splits(S("\xEF\xBB" "data: a\n\ndata: b\n\n"), "||b\x1e");
  check_all_splits(S("\xEF" "data: a\n\ndata: b\n\n"), "||b\x1e");
  /* A BOM later in the stream is data. */
  check_all_splits(S("data: \xEF\xBB\xBF" "a\n\n"), "||\xEF\xBB\xBF" "a\x1e");
  /* A stream that is nothing but a partial BOM ends cleanly. */
  ev_log log = {0};
  assert_int_equal(feed_whole(S("\xEF\xBB"), &log, 0), 0);
  assert_int_equal(log.n, 0);
  benchy_buf_free(&log.text);
}

static void test_finish_flushes(void **state) {
  (void)state;
  /* No blank line at the end: finish() dispatches the pending event. */
  check_all_splits(S("data: a\n\ndata: last"), "||a\x1e||last\x1e");
  check_all_splits(S("data: a\n\ndata: last\n"), "||a\x1e||last\x1e");
  check_all_splits(S("data: a\n\ndata: last\r"), "||a\x1e||last\x1e");
  check_all_splits(S("data: a\n\ndata: x\ndata: last"), "||a\x1e||x\nlast\x1e");
  /* Nothing pending: nothing extra. */
  check_all_splits(S("data: a\n\n"), "||a\x1e");
  check_all_splits(S(""), "");
  check_all_splits(S("\n\n\r\n"), "");
  /* Without finish() the last event stays pending. */
  sse_parser p;
  ev_log log = {0};
  sse_parser_init(&p, 0);
  assert_int_equal(sse_parser_feed(&p, S("data: a\n\ndata: b"), collect, &log), 0);
  assert_int_equal(log.n, 1);
  assert_int_equal(sse_parser_finish(&p, collect, &log), 0);
  assert_int_equal(log.n, 2);
  /* finish() twice adds nothing. */
  assert_int_equal(sse_parser_finish(&p, collect, &log), 0);
  assert_int_equal(log.n, 2);
  assert_int_equal(p.events, 2);
  sse_parser_free(&p);
  benchy_buf_free(&log.text);
}

static void test_max_line(void **state) {
  (void)state;
  ev_log log = {0};
  sse_parser p;
  /* Exactly max_line is fine. */
  sse_parser_init(&p, 16);
  assert_int_equal(sse_parser_feed(&p, S("data: 0123456789\n\n"), collect, &log), 0);
  assert_int_equal(log.n, 1);
  /* One more byte, in one feed: a sticky error with a message. */
  assert_int_equal(sse_parser_feed(&p, S("data: 0123456789A\n\n"), collect, &log), -1);
  assert_int_equal(p.failed, 1);
  assert_non_null(strstr(p.error, "longer than 16"));
  assert_int_equal(sse_parser_feed(&p, S("data: ok\n\n"), collect, &log), -1);
  assert_int_equal(sse_parser_finish(&p, collect, &log), -1);
  assert_int_equal(log.n, 1);
  /* reset() clears the error. */
  sse_parser_reset(&p);
  assert_int_equal(p.failed, 0);
  assert_string_equal(p.error, "");
  assert_int_equal(sse_parser_feed(&p, S("data: ok\n\n"), collect, &log), 0);
  assert_int_equal(log.n, 2);
  sse_parser_free(&p);

  /* A long line arriving in small pieces never grows the carry past the
   * bound: the error comes before the buffer would. */
  sse_parser_init(&p, 64);
  int r = 0;
  for (int i = 0; i < 10000 && r == 0; i++) r = sse_parser_feed(&p, S("xxxxxxx"), collect, &log);
  assert_int_equal(r, -1);
  assert_true(p.line.cap <= 128 + 1);
  assert_non_null(strstr(p.error, "longer than 64"));
  sse_parser_free(&p);

  /* Many short data lines cannot build an unbounded event either. */
  sse_parser_init(&p, 64);
  r = 0;
  for (int i = 0; i < 10000 && r == 0; i++) r = sse_parser_feed(&p, S("data: 0123456789\n"), collect, &log);
  assert_int_equal(r, -1);
  assert_true(p.data.cap <= 128 + 1);
  assert_non_null(strstr(p.error, "64"));
  sse_parser_free(&p);

  /* Bytes that looked like a BOM and were not are text under the same
   * bound, however the feeds cut them (found by fuzz_sse). */
  sse_parser_init(&p, 1);
  assert_int_equal(sse_parser_feed(&p, S("\xEF"), collect, &log), 0);
  assert_int_equal(sse_parser_feed(&p, S("\xBB"), collect, &log), 0);
  assert_int_equal(sse_parser_feed(&p, S("x\n"), collect, &log), -1);
  assert_true(p.line.len <= 1);
  sse_parser_reset(&p);
  assert_int_equal(sse_parser_feed(&p, S("\xEF\xBB"), collect, &log), 0);
  assert_int_equal(sse_parser_finish(&p, collect, &log), -1);
  assert_true(p.line.len <= 1);
  sse_parser_free(&p);
  benchy_buf_free(&log.text);
}

static void test_callback_stops(void **state) {
  (void)state;
  ev_log log = {0};
  log.stop_after = 2;
  sse_parser p;
  sse_parser_init(&p, 0);
  assert_int_equal(sse_parser_feed(&p, S("data: a\n\ndata: b\n\ndata: c\n\n"), collect, &log), 7);
  assert_int_equal(log.n, 2);
  sse_parser_free(&p);
  benchy_buf_free(&log.text);
}

/* Once warm, a second identical stream reuses every buffer: none of them
 * moves or grows, which is what "no allocation in steady state" needs. */
static void test_buffers_reused(void **state) {
  (void)state;
  size_t len;
  char *buf = test_read_fixture("tools_forced_stream.sse", &len);
  assert_non_null(buf);
  sse_parser p;
  ev_log log = {0};
  sse_parser_init(&p, 0);
  size_t cuts[] = {3, 100, 101, 500, 1500, 2222};
  assert_int_equal(feed_cuts(&p, buf, len, cuts, 6, &log), 0);
  const char *line = p.line.data, *data = p.data.data, *id = p.id.data, *ev = p.event.data;
  size_t line_cap = p.line.cap, data_cap = p.data.cap;
  assert_non_null(data);
  sse_parser_reset(&p);
  assert_int_equal(p.data.len, 0);
  assert_int_equal(p.events, 0);
  assert_int_equal(feed_cuts(&p, buf, len, cuts, 6, &log), 0);
  assert_ptr_equal(p.line.data, line);
  assert_ptr_equal(p.data.data, data);
  assert_ptr_equal(p.id.data, id);
  assert_ptr_equal(p.event.data, ev);
  assert_int_equal(p.line.cap, line_cap);
  assert_int_equal(p.data.cap, data_cap);
  assert_int_equal(p.events, 16);
  sse_parser_free(&p);
  benchy_buf_free(&log.text);
  free(buf);
}

static void test_null_callback(void **state) {
  (void)state;
  sse_parser p;
  sse_parser_init(&p, 0);
  assert_int_equal(sse_parser_feed(&p, S("data: a\n\ndata: b"), NULL, NULL), 0);
  assert_int_equal(sse_parser_finish(&p, NULL, NULL), 0);
  assert_int_equal(p.events, 2);
  sse_parser_free(&p);
  sse_parser_free(&p); /* idempotent */
}

/* A JSON chunk pretty-printed over several data: lines is one event whose
 * data joins the lines with '\n' (JSON whitespace), so it decodes like the
 * one-line form: through the parser at every split point and with every
 * line end, then through the chunk decoder. The recording also has an
 * event with a type and empty data (dispatched, carrying nothing), data:
 * with and without the space, comments and retry:. */
typedef struct decoded {
  oai_stream oai;
  size_t chunks, failures;
} decoded;

static int decode_event(void *ud, const sse_event *ev) {
  decoded *d = ud;
  if (ev->data_len == 0) return 0; /* the keep-alive: the client skips it (session.c) */
  oai_chunk_info info;
  if (oai_stream_feed(&d->oai, ev->data, ev->data_len, &info) != 0) d->failures++;
  else d->chunks++;
  return 0;
}

static void test_multiline_data_decodes(void **state) {
  (void)state;
  size_t len;
  char *buf = test_read_fixture("chat_stream_multiline.sse", &len);
  assert_non_null(buf);
  static const char expect[] =
      "ping||\x1e"
      "|chunk-1|{\n  \"choices\": [\n    {\"index\": 0, \"delta\": {\"role\": \"assistant\", \"content\": "
      "\"Hello\"}}\n  ]\n}\x1e"
      "message|chunk-2|{\"choices\":[{\"index\":0,\n\"delta\":{\"content\":\", multi-line\"}}]}\x1e"
      "|chunk-2|{\"choices\": [{\"index\": 0, \"delta\": {\"content\": \" world\"},\n \"finish_reason\": "
      "\"stop\"}],\n \"usage\": {\"prompt_tokens\": 5, \"completion_tokens\": 3, \"total_tokens\": 8}}\x1e"
      "|chunk-2|[DONE]\x1e";
  const char *eols[] = {"\n", "\r\n", "\r"};
  for (size_t e = 0; e < 3; e++) {
    size_t rlen;
    char *re = relined(buf, len, eols[e], &rlen);
    assert_int_equal(check_all_splits(re, rlen, expect), 5);
    decoded d = {0};
    oai_stream_init(&d.oai, OAI_CHAT, 1);
    sse_parser p;
    sse_parser_init(&p, 0);
    assert_int_equal(sse_parser_feed(&p, re, rlen, decode_event, &d), 0);
    assert_int_equal(sse_parser_finish(&p, decode_event, &d), 0);
    assert_int_equal(d.failures, 0);
    assert_int_equal(d.chunks, 4);
    assert_int_equal(benchy_buf_terminate(&d.oai.content), 0);
    assert_string_equal(d.oai.content.data, "Hello, multi-line world");
    assert_string_equal(d.oai.finish_reason, "stop");
    assert_int_equal(d.oai.usage_completion_tokens, 3);
    assert_int_equal(d.oai.done, 1);
    sse_parser_free(&p);
    oai_stream_free(&d.oai);
    free(re);
  }
  free(buf);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures_every_split),
      cmocka_unit_test(test_fixture_event_payloads),
      cmocka_unit_test(test_fixtures_crlf_and_cr),
      cmocka_unit_test(test_line_ends_mixed),
      cmocka_unit_test(test_cr_then_lf_across_feeds),
      cmocka_unit_test(test_lone_cr_stream_is_linear),
      cmocka_unit_test(test_comments_and_fields),
      cmocka_unit_test(test_event_and_id),
      cmocka_unit_test(test_bom),
      cmocka_unit_test(test_finish_flushes),
      cmocka_unit_test(test_max_line),
      cmocka_unit_test(test_callback_stops),
      cmocka_unit_test(test_buffers_reused),
      cmocka_unit_test(test_null_callback),
      cmocka_unit_test(test_multiline_data_decodes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
