/*
 * fuzz_openai.c — libFuzzer target for the OpenAI stream decoder and the
 * JSON scanner under it.
 *
 * The input is treated as a response body: run through the SSE parser into
 * oai_stream_feed() (API and keep_text chosen by the first byte), then the
 * stream is reset and the same body decoded again, which must give the same
 * per-chunk results. The whole input is also decoded as a single payload,
 * read by oai_error_from_body(), and validated by the scanner twice — with
 * json_skip() and with the pull API — which must agree. Every payload is
 * handed over in an exactly sized copy so ASan catches reads past its end.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/json_scan.h"
#include "proto/openai.h"
#include "proto/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct ctx {
  oai_stream *s;
  benchy_buf trace; /* per chunk: rc, kinds, tokens, text */
} ctx;

static void check_stream(const oai_stream *s) {
  if (s->n_tool_calls > s->tool_calls_cap) abort();
  for (size_t i = 0; i < s->n_tool_calls; i++) {
    const oai_tool_call *tc = &s->tool_calls[i];
    if (!tc->id.data || !tc->name.data || !tc->arguments.data) abort();
    if (tc->id.data[tc->id.len] || tc->name.data[tc->name.len] || tc->arguments.data[tc->arguments.len]) abort();
  }
  if (memchr(s->finish_reason, '\0', sizeof s->finish_reason) == NULL) abort();
  if (s->has_error && (!s->error_message.data || s->error_message.len == 0)) abort();
  if (s->keep_text == 0 && (s->content.len || s->reasoning.len)) abort();
}

static void decode(ctx *c, const char *payload, size_t len) {
  char *copy = malloc(len ? len : 1);
  if (!copy) abort();
  if (len) memcpy(copy, payload, len);
  oai_chunk_info info;
  int rc = oai_stream_feed(c->s, copy, len, &info);
  if (rc != 0 && rc != -1) abort();
  if (rc == -1 && (info.kinds != 0 || c->s->error[0] == '\0')) abort();
  if (rc == 0 && c->s->error[0] != '\0') abort();
  if (!info.text || info.text_len > info.text_bytes) abort();
  if (info.text_len) {
    /* The text lives in scratch and is one of the decoded fields. */
    const oai_stream *s = c->s;
    if (info.text < s->scratch.data || info.text + info.text_len > s->scratch.data + s->scratch.len) abort();
    if (!(info.kinds & BENCHY_CHUNK_TOKENS)) abort();
  }
  if ((info.kinds & BENCHY_CHUNK_EMPTY) && (info.kinds & ~(unsigned)BENCHY_CHUNK_EMPTY)) abort();
  if ((info.kinds & BENCHY_CHUNK_DONE) && info.kinds != BENCHY_CHUNK_DONE) abort();
  free(copy);
  check_stream(c->s);
  int32_t row[3] = {rc, (int32_t)info.kinds, info.tokens};
  benchy_buf_append(&c->trace, row, sizeof row);
  benchy_buf_append(&c->trace, &info.text_len, sizeof info.text_len);
  benchy_buf_append(&c->trace, info.text, info.text_len);
}

static int on_event(void *ud, const sse_event *ev) {
  decode(ud, ev->data, ev->data_len);
  return 0;
}

static void run_body(ctx *c, const uint8_t *buf, size_t len) {
  sse_parser p;
  sse_parser_init(&p, 0);
  if (sse_parser_feed(&p, (const char *)buf, len, on_event, c) == 0) sse_parser_finish(&p, on_event, c);
  sse_parser_free(&p);
}

/* Walks a value with the pull API alone. */
static int pull_value(json_scan *s) {
  json_str str;
  int64_t i;
  double d;
  int b, r;
  switch (json_peek(s)) {
  case JSON_OBJECT:
    if (json_obj_begin(s) != 0) return -1;
    while ((r = json_obj_next(s, &str)) == 1) {
      /* Exercise the key helpers on whatever the key is. */
      char tmp[8];
      size_t full = json_str_copy(&str, tmp, sizeof tmp);
      if (full != json_str_decoded_len(&str) || strlen(tmp) > sizeof tmp - 1) abort();
      (void)json_str_eq(&str, "choices");
      if (pull_value(s) != 0) return -1;
    }
    return r;
  case JSON_ARRAY:
    if (json_arr_begin(s) != 0) return -1;
    while ((r = json_arr_next(s)) == 1)
      if (pull_value(s) != 0) return -1;
    return r;
  case JSON_STRING: {
    if (json_read_str(s, &str) != 0) return -1;
    benchy_buf out = {0};
    if (json_str_decode(&str, &out) != 0) abort();
    if (out.len != json_str_decoded_len(&str) || out.len > str.len) abort();
    benchy_buf_free(&out);
    return 0;
  }
  case JSON_NUMBER: return (s->pos & 1) ? json_read_int64(s, &i) : json_read_double(s, &d);
  case JSON_TRUE:
  case JSON_FALSE: return json_read_bool(s, &b);
  case JSON_NULL: return json_read_null(s);
  default: return json_skip(s);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  oai_api api = (data[0] & 1) ? OAI_COMPLETIONS : OAI_CHAT;
  int keep_text = (data[0] >> 1) & 1;
  const uint8_t *buf = data + 1;
  size_t len = size - 1;

  oai_stream s;
  oai_stream_init(&s, api, keep_text);
  ctx first = {&s, {0}}, again = {&s, {0}};
  run_body(&first, buf, len);
  oai_stream_reset(&s);
  run_body(&again, buf, len);
  if (first.trace.len != again.trace.len ||
      (first.trace.len && memcmp(first.trace.data, again.trace.data, first.trace.len) != 0))
    abort();

  /* The whole input as one payload. */
  oai_stream_reset(&s);
  decode(&first, (const char *)buf, len);
  oai_stream_free(&s);
  benchy_buf_free(&first.trace);
  benchy_buf_free(&again.trace);

  benchy_buf msg = {0};
  char *copy = malloc(len ? len : 1);
  if (!copy) abort();
  if (len) memcpy(copy, buf, len);
  oai_error_from_body(copy, len, &msg);
  if (!msg.data || msg.len == 0 || msg.data[msg.len] != '\0') abort();
  benchy_buf_free(&msg);

  /* Two validators over one grammar must agree. */
  json_scan a, b;
  json_scan_init(&a, copy, len);
  json_scan_init(&b, copy, len);
  int ok_skip = json_skip(&a) == 0 && json_scan_end(&a) == 0;
  int ok_pull = pull_value(&b) == 0 && json_scan_end(&b) == 0;
  if (ok_skip != ok_pull) abort();
  if (ok_pull && b.depth != 0) abort();
  free(copy);
  return 0;
}
