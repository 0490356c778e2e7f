/*
 * test_openai.c — the stream decoder (proto/openai.c), fed through the SSE
 * parser the way the transport feeds it: recorded llama-server streams at
 * every split point, with counts, usage, timings and reassembled tool calls
 * checked against what cJSON reads from the same recordings; then synthetic
 * chunks for each server's quirks (vLLM, SGLang, reasoning fields, errors,
 * benchy sim's stamps, per-token timings) and for malformed and truncated
 * payloads; and oai_error_from_body().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "proto/openai.h"
#include "proto/sse.h"
#include "testutil.h"

#define S(lit) lit, sizeof(lit) - 1

/* What a run of a stream produced, chunk by chunk, in comparable form. */
typedef struct summary {
  size_t events, chunks, failures;
  size_t kind[10]; /* chunks with each kind bit */
  size_t token_chunks;
  int64_t tokens_sum;
  size_t tokens_known;
  uint64_t text_bytes;
  benchy_buf text;  /* every chunk's info->text, concatenated */
  benchy_buf trace; /* kinds and tokens per chunk */
} summary;

typedef struct pipe {
  oai_stream *s;
  summary *sum;
} pipe_ctx;

static void summary_free(summary *m) {
  benchy_buf_free(&m->text);
  benchy_buf_free(&m->trace);
}

static void summary_clear(summary *m) {
  benchy_buf text = m->text, trace = m->trace;
  memset(m, 0, sizeof *m);
  m->text = text;
  m->trace = trace;
  benchy_buf_clear(&m->text);
  benchy_buf_clear(&m->trace);
}

static void note_chunk(summary *m, const oai_chunk_info *info, int rc) {
  if (rc != 0) {
    m->failures++;
    assert_int_equal(info->kinds, 0);
    return;
  }
  if (!(info->kinds & BENCHY_CHUNK_DONE)) m->chunks++;
  for (int b = 0; b < 10; b++)
    if (info->kinds & (1u << b)) m->kind[b]++;
  if (info->kinds & BENCHY_CHUNK_TOKENS) m->token_chunks++;
  if (info->tokens >= 0) {
    m->tokens_sum += info->tokens;
    m->tokens_known++;
  }
  m->text_bytes += info->text_bytes;
  assert_non_null(info->text);
  assert_true(info->text_len <= info->text_bytes);
  benchy_buf_append(&m->text, info->text, info->text_len);
  benchy_buf_printf(&m->trace, "%x:%d:%lld;", info->kinds, info->tokens, (long long)info->server_send_ns);
}

static int on_event(void *ud, const sse_event *ev) {
  pipe_ctx *pc = ud;
  oai_chunk_info info;
  pc->sum->events++;
  int rc = oai_stream_feed(pc->s, ev->data, ev->data_len, &info);
  note_chunk(pc->sum, &info, rc);
  return 0;
}

/* Runs bytes through SSE and the decoder, cut at up to two offsets. */
static void run_stream(oai_stream *s, sse_parser *p, const char *buf, size_t len, size_t cut1, size_t cut2,
                       summary *sum) {
  pipe_ctx pc = {s, sum};
  size_t cuts[3] = {cut1, cut2, len};
  size_t at = 0;
  for (int i = 0; i < 3; i++) {
    size_t end = cuts[i] < at ? at : cuts[i] > len ? len : cuts[i];
    assert_int_equal(sse_parser_feed(p, buf + at, end - at, on_event, &pc), 0);
    at = end;
  }
  assert_int_equal(sse_parser_finish(p, on_event, &pc), 0);
}

static void run_text(oai_stream *s, const char *text, summary *sum) {
  sse_parser p;
  sse_parser_init(&p, 0);
  run_stream(s, &p, text, strlen(text), 0, 0, sum);
  sse_parser_free(&p);
}

/* ---- what the recordings say, read with cJSON -------------------------- */

/* The expected decoding of a recording is read from the recording itself,
 * with cJSON — a different parser from the decoder's scanner, with its own
 * string unescaping and its own number conversion (strtod) — and the chunk
 * rules openai.h documents. Copied numbers would only show that the decoder
 * still agrees with whoever copied them, and would go stale on a
 * re-recording. The oracle knows only the shapes these recordings have:
 * anything else fails here, so a new shape gets its rule written down
 * rather than guessed. */
typedef struct oracle_call {
  int64_t index;
  benchy_buf id, name, arguments;
} oracle_call;

typedef struct oracle {
  size_t events, chunks;
  size_t kind[10];
  size_t token_chunks;
  uint64_t text_bytes;
  benchy_buf text;    /* each chunk's reported text, concatenated */
  benchy_buf content; /* content (or completion text) alone */
  benchy_buf reasoning;
  benchy_buf trace; /* in note_chunk()'s format */
  int done, has_error, timings_present;
  char finish_reason[64];
  int64_t prompt, completion, cached, reasoning_tokens;
  int64_t cache_n, prompt_n, predicted_n, draft_n, draft_n_accepted;
  double prompt_ms, prompt_per_second, predicted_ms, predicted_per_second;
  size_t n_calls;
  oracle_call calls[4];
} oracle;

static const cJSON *member(const cJSON *obj, const char *key) {
  return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* A field the chunk leaves out keeps its earlier value, as in the stream. */
static void take_int(const cJSON *obj, const char *key, int64_t *out) {
  const cJSON *v = member(obj, key);
  if (cJSON_IsNumber(v)) *out = (int64_t)v->valuedouble;
}

static void take_double(const cJSON *obj, const char *key, double *out) {
  const cJSON *v = member(obj, key);
  if (cJSON_IsNumber(v)) *out = v->valuedouble;
}

static const char *nonempty_string(const cJSON *v) {
  return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

static void oracle_append(benchy_buf *b, const char *s) {
  if (s) assert_int_equal(benchy_buf_append_str(b, s), 0);
}

static oracle_call *oracle_call_at(oracle *o, int64_t index) {
  for (size_t i = 0; i < o->n_calls; i++)
    if (o->calls[i].index == index) return &o->calls[i];
  assert_true(o->n_calls < sizeof o->calls / sizeof o->calls[0]);
  oracle_call *c = &o->calls[o->n_calls++];
  c->index = index;
  return c;
}

static void oracle_note(oracle *o, unsigned kinds) {
  for (int b = 0; b < 10; b++)
    if (kinds & (1u << b)) o->kind[b]++;
  if (kinds & BENCHY_CHUNK_TOKENS) o->token_chunks++;
  /* tokens -1 and no send stamp: oracle_chunk() refuses both sources. */
  assert_int_equal(benchy_buf_printf(&o->trace, "%x:%d:%lld;", kinds, -1, 0LL), 0);
}

static void oracle_chunk(oracle *o, oai_api api, const char *payload) {
  cJSON *root = cJSON_Parse(payload);
  if (!root) fail_msg("a recorded payload that cJSON refuses: %s", payload);
  unsigned kinds = 0;
  const cJSON *choices = member(root, "choices");
  if (cJSON_IsArray(choices) && cJSON_GetArraySize(choices) > 1) fail_msg("several choices: %s", payload);
  const cJSON *choice = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
  const cJSON *delta = member(choice, "delta");

  const char *content = nonempty_string(api == OAI_COMPLETIONS ? member(choice, "text") : member(delta, "content"));
  const char *reasoning = nonempty_string(member(delta, "reasoning_content"));
  if (!reasoning) reasoning = nonempty_string(member(delta, "reasoning"));
  const char *args = NULL;
  const cJSON *frags = member(delta, "tool_calls");
  if (cJSON_IsArray(frags) && cJSON_GetArraySize(frags) > 0) {
    if (cJSON_GetArraySize(frags) > 1) fail_msg("several tool-call fragments in one chunk: %s", payload);
    const cJSON *frag = cJSON_GetArrayItem(frags, 0);
    const cJSON *index = member(frag, "index");
    if (!cJSON_IsNumber(index)) fail_msg("a tool-call fragment without an index: %s", payload);
    oracle_call *call = oracle_call_at(o, (int64_t)index->valuedouble);
    const cJSON *fn = member(frag, "function");
    if (call->id.len == 0) oracle_append(&call->id, nonempty_string(member(frag, "id")));
    if (call->name.len == 0) oracle_append(&call->name, nonempty_string(member(fn, "name")));
    args = nonempty_string(member(fn, "arguments"));
    oracle_append(&call->arguments, args);
    kinds |= BENCHY_CHUNK_TOOL;
  }
  if (content) kinds |= BENCHY_CHUNK_CONTENT;
  if (reasoning) kinds |= BENCHY_CHUNK_REASONING;
  oracle_append(&o->content, content);
  oracle_append(&o->reasoning, reasoning);
  oracle_append(&o->text, content ? content : reasoning ? reasoning : args);
  o->text_bytes += (content ? strlen(content) : 0) + (reasoning ? strlen(reasoning) : 0) + (args ? strlen(args) : 0);

  if (cJSON_IsString(member(delta, "role"))) kinds |= BENCHY_CHUNK_ROLE;
  const cJSON *finish = member(choice, "finish_reason");
  if (cJSON_IsString(finish)) {
    kinds |= BENCHY_CHUNK_FINISH;
    snprintf(o->finish_reason, sizeof o->finish_reason, "%s", finish->valuestring);
  }
  const cJSON *usage = member(root, "usage");
  if (cJSON_IsObject(usage)) {
    kinds |= BENCHY_CHUNK_USAGE;
    take_int(usage, "prompt_tokens", &o->prompt);
    take_int(usage, "completion_tokens", &o->completion);
    take_int(member(usage, "prompt_tokens_details"), "cached_tokens", &o->cached);
    take_int(member(usage, "completion_tokens_details"), "reasoning_tokens", &o->reasoning_tokens);
  }
  const cJSON *timings = member(root, "timings");
  if (cJSON_IsObject(timings)) {
    kinds |= BENCHY_CHUNK_TIMINGS;
    o->timings_present = 1;
    take_int(timings, "cache_n", &o->cache_n);
    take_int(timings, "prompt_n", &o->prompt_n);
    take_int(timings, "predicted_n", &o->predicted_n);
    take_int(timings, "draft_n", &o->draft_n);
    take_int(timings, "draft_n_accepted", &o->draft_n_accepted);
    take_double(timings, "prompt_ms", &o->prompt_ms);
    take_double(timings, "prompt_per_second", &o->prompt_per_second);
    take_double(timings, "predicted_ms", &o->predicted_ms);
    take_double(timings, "predicted_per_second", &o->predicted_per_second);
  }
  const cJSON *error = member(root, "error");
  const cJSON *object = member(root, "object");
  if ((error && !cJSON_IsNull(error)) || (cJSON_IsString(object) && strcmp(object->valuestring, "error") == 0)) {
    kinds |= BENCHY_CHUNK_ERROR;
    o->has_error = 1;
  }
  if (cJSON_IsArray(choices) && kinds == 0) kinds |= BENCHY_CHUNK_EMPTY;
  /* Tokens per chunk would come from these; the recordings have neither. */
  if (member(root, "x_benchy")) fail_msg("an x_benchy stamp: %s", payload);
  if ((kinds & BENCHY_CHUNK_TOKENS) && member(timings, "predicted_n"))
    fail_msg("per-token timings: %s", payload);
  o->chunks++;
  oracle_note(o, kinds);
  cJSON_Delete(root);
}

static void oracle_event(oracle *o, oai_api api, const char *data) {
  o->events++;
  if (strcmp(data, "[DONE]") == 0) {
    o->done = 1;
    oracle_note(o, BENCHY_CHUNK_DONE);
  } else {
    oracle_chunk(o, api, data);
  }
}

/* Splits the recording into events by plain line scanning (not with the SSE
 * parser under test): data: lines joined, a blank line ends an event. */
static void oracle_read(oracle *o, const char *name, oai_api api) {
  memset(o, 0, sizeof *o);
  o->prompt = o->completion = o->cached = o->reasoning_tokens = -1;
  o->cache_n = o->prompt_n = o->predicted_n = o->draft_n = o->draft_n_accepted = -1;
  o->prompt_ms = o->prompt_per_second = o->predicted_ms = o->predicted_per_second = -1.0;
  size_t len;
  char *buf = test_read_fixture(name, &len);
  assert_non_null(buf);
  benchy_buf data = {0};
  int open = 0;
  for (char *line = buf; line < buf + len;) {
    char *nl = memchr(line, '\n', (size_t)(buf + len - line));
    char *end = nl ? nl : buf + len;
    if (end > line && end[-1] == '\r') end--;
    *end = '\0';
    if (end == line) {
      if (open) oracle_event(o, api, data.data);
      open = 0;
      benchy_buf_clear(&data);
    } else if (strncmp(line, "data:", 5) == 0) {
      const char *v = line + 5;
      if (*v == ' ') v++;
      if (open) assert_int_equal(benchy_buf_append(&data, "\n", 1), 0);
      assert_int_equal(benchy_buf_append(&data, v, strlen(v)), 0);
      open = 1;
    }
    line = nl ? nl + 1 : buf + len;
  }
  if (open) oracle_event(o, api, data.data);
  benchy_buf_free(&data);
  free(buf);
}

static void oracle_free(oracle *o) {
  benchy_buf_free(&o->text);
  benchy_buf_free(&o->content);
  benchy_buf_free(&o->reasoning);
  benchy_buf_free(&o->trace);
  for (size_t i = 0; i < o->n_calls; i++) {
    benchy_buf_free(&o->calls[i].id);
    benchy_buf_free(&o->calls[i].name);
    benchy_buf_free(&o->calls[i].arguments);
  }
}

/* A macro so that a failure names the caller's line; an empty benchy_buf
 * has no data to compare. */
#define expect_bytes(got, got_len, want)                                      \
  do {                                                                        \
    assert_int_equal((got_len), (want)->len);                                 \
    if ((want)->len) assert_memory_equal((got), (want)->data, (want)->len); \
  } while (0)

/* ---- recorded streams -------------------------------------------------- */

/* What each recording was made to show; all values come from its text. */
typedef struct fixture_expect {
  const char *name;
  oai_api api;
  int usage; /* the recording carries a usage object */
  int tools; /* the recording carries a tool call */
} fixture_expect;

static const fixture_expect fx[] = {
    {"chat_stream_usage.sse", OAI_CHAT, 1, 0},
    {"chat_stream_nousage.sse", OAI_CHAT, 0, 0},
    {"completions_stream_usage.sse", OAI_COMPLETIONS, 1, 0},
    /* llama-server sends usage on /v1/completions even when not asked. */
    {"completions_stream_nousage.sse", OAI_COMPLETIONS, 1, 0},
    {"tools_forced_stream.sse", OAI_CHAT, 1, 1},
    {"tools_required_stream.sse", OAI_CHAT, 1, 0},
};

static int kind_bit(unsigned k) {
  int b = 0;
  while (!(k & 1u)) {
    k >>= 1;
    b++;
  }
  return b;
}

/* Guards against an oracle that agrees because it read nothing. */
static void check_oracle(const fixture_expect *e, const oracle *o) {
  assert_true(o->chunks > 0);
  assert_true(o->token_chunks > 0);
  assert_true(o->text.len > 0);
  assert_int_equal(o->done, 1);
  assert_int_equal(o->has_error, 0);
  assert_true(o->finish_reason[0] != '\0');
  assert_int_equal(o->kind[kind_bit(BENCHY_CHUNK_USAGE)] > 0, e->usage);
  assert_int_equal(o->n_calls > 0, e->tools);
  /* Every llama-server recording carries timings. */
  assert_int_equal(o->timings_present, 1);
}

static void check_fixture_state(const oracle *o, const oai_stream *s, const summary *m) {
  assert_int_equal(m->failures, 0);
  assert_int_equal(m->events, o->events);
  assert_int_equal(m->chunks, o->chunks);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_DONE)], o->kind[kind_bit(BENCHY_CHUNK_DONE)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_ROLE)], o->kind[kind_bit(BENCHY_CHUNK_ROLE)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_CONTENT)], o->kind[kind_bit(BENCHY_CHUNK_CONTENT)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_REASONING)], o->kind[kind_bit(BENCHY_CHUNK_REASONING)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_TOOL)], o->kind[kind_bit(BENCHY_CHUNK_TOOL)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_FINISH)], o->kind[kind_bit(BENCHY_CHUNK_FINISH)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_USAGE)], o->kind[kind_bit(BENCHY_CHUNK_USAGE)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_TIMINGS)], o->kind[kind_bit(BENCHY_CHUNK_TIMINGS)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_EMPTY)], o->kind[kind_bit(BENCHY_CHUNK_EMPTY)]);
  assert_int_equal(m->kind[kind_bit(BENCHY_CHUNK_ERROR)], o->kind[kind_bit(BENCHY_CHUNK_ERROR)]);
  assert_int_equal(m->token_chunks, o->token_chunks);
  /* No per-token timings in these recordings (oracle_chunk() refuses
   * them): tokens per chunk unknown. */
  assert_int_equal(m->tokens_known, 0);
  assert_string_equal(m->trace.data, o->trace.data);
  assert_int_equal(m->text_bytes, o->text_bytes);
  expect_bytes(m->text.data, m->text.len, &o->text);
  assert_int_equal(s->done, o->done);
  assert_int_equal(s->has_error, o->has_error);
  assert_string_equal(s->finish_reason, o->finish_reason);
  assert_int_equal(s->usage_prompt_tokens, o->prompt);
  assert_int_equal(s->usage_completion_tokens, o->completion);
  assert_int_equal(s->usage_cached_tokens, o->cached);
  assert_int_equal(s->usage_reasoning_tokens, o->reasoning_tokens);
  assert_int_equal(s->timings.present, o->timings_present);
  assert_int_equal(s->timings.cache_n, o->cache_n);
  assert_int_equal(s->timings.prompt_n, o->prompt_n);
  assert_int_equal(s->timings.predicted_n, o->predicted_n);
  assert_int_equal(s->timings.draft_n, o->draft_n);
  assert_int_equal(s->timings.draft_n_accepted, o->draft_n_accepted);
  /* Exact: both sides are meant to be correctly rounded from the text. */
  assert_true(s->timings.prompt_ms == o->prompt_ms);
  assert_true(s->timings.prompt_per_second == o->prompt_per_second);
  assert_true(s->timings.predicted_ms == o->predicted_ms);
  assert_true(s->timings.predicted_per_second == o->predicted_per_second);
  assert_int_equal(s->n_tool_calls, o->n_calls);
  for (size_t i = 0; i < o->n_calls && i < s->n_tool_calls; i++) {
    const oai_tool_call *tc = &s->tool_calls[i];
    assert_int_equal(tc->index, o->calls[i].index);
    expect_bytes(tc->id.data, tc->id.len, &o->calls[i].id);
    expect_bytes(tc->name.data, tc->name.len, &o->calls[i].name);
    expect_bytes(tc->arguments.data, tc->arguments.len, &o->calls[i].arguments);
  }
  /* keep_text: the kept content is what the chunks said. */
  expect_bytes(s->content.data, s->content.len, &o->content);
  if (o->n_calls == 0 && o->reasoning.len == 0) expect_bytes(s->content.data, s->content.len, &m->text);
  expect_bytes(s->reasoning.data, s->reasoning.len, &o->reasoning);
}

static void test_fixtures_every_split(void **state) {
  (void)state;
  for (size_t f = 0; f < sizeof fx / sizeof fx[0]; f++) {
    oracle o;
    oracle_read(&o, fx[f].name, fx[f].api);
    check_oracle(&fx[f], &o);
    size_t len;
    char *buf = test_read_fixture(fx[f].name, &len);
    assert_non_null(buf);
    oai_stream s;
    sse_parser p;
    summary whole = {0}, m = {0};
    oai_stream_init(&s, fx[f].api, 1);
    sse_parser_init(&p, 0);
    run_stream(&s, &p, buf, len, len, len, &whole);
    check_fixture_state(&o, &s, &whole);
    for (size_t i = 0; i <= len; i++) {
      oai_stream_reset(&s);
      sse_parser_reset(&p);
      summary_clear(&m);
      run_stream(&s, &p, buf, len, i, len, &m);
      check_fixture_state(&o, &s, &m);
      assert_int_equal(m.trace.len, whole.trace.len);
      assert_memory_equal(m.trace.data, whole.trace.data, whole.trace.len);
    }
    /* Byte at a time. */
    oai_stream_reset(&s);
    sse_parser_reset(&p);
    summary_clear(&m);
    pipe_ctx pc = {&s, &m};
    for (size_t i = 0; i < len; i++) assert_int_equal(sse_parser_feed(&p, buf + i, 1, on_event, &pc), 0);
    assert_int_equal(sse_parser_finish(&p, on_event, &pc), 0);
    check_fixture_state(&o, &s, &m);
    assert_string_equal(m.trace.data, whole.trace.data);
    summary_free(&whole);
    summary_free(&m);
    sse_parser_free(&p);
    oai_stream_free(&s);
    free(buf);
    oracle_free(&o);
  }
}

/* The exact per-chunk picture of two recordings, without keep_text. */
static void test_fixture_chunk_kinds(void **state) {
  (void)state;
  oracle o;
  oracle_read(&o, "chat_stream_usage.sse", OAI_CHAT);
  size_t len;
  char *buf = test_read_fixture("chat_stream_usage.sse", &len);
  assert_non_null(buf);
  oai_stream s;
  summary m = {0};
  oai_stream_init(&s, OAI_CHAT, 0);
  run_text(&s, buf, &m);
  assert_string_equal(m.trace.data, o.trace.data);
  /* llama-server puts usage and timings on a chunk of their own with
   * "choices": [], which must not read as an empty choice. */
  char usage_chunk[32];
  snprintf(usage_chunk, sizeof usage_chunk, ";%x:-1:0;%x:-1:0;", BENCHY_CHUNK_USAGE | BENCHY_CHUNK_TIMINGS,
           BENCHY_CHUNK_DONE);
  assert_non_null(strstr(m.trace.data, usage_chunk));
  /* Without keep_text nothing is kept. */
  assert_int_equal(s.content.len, 0);
  summary_free(&m);
  oai_stream_free(&s);
  free(buf);
  oracle_free(&o);

  /* In tools_forced_stream.sse the completion tokens arrive in fewer chunks
   * than there are tokens: counting tool chunks undercounts them. */
  oracle_read(&o, "tools_forced_stream.sse", OAI_CHAT);
  buf = test_read_fixture("tools_forced_stream.sse", &len);
  assert_non_null(buf);
  oai_stream_init(&s, OAI_CHAT, 0);
  summary_clear(&m);
  run_text(&s, buf, &m);
  assert_string_equal(m.trace.data, o.trace.data);
  size_t tool_and_finish = m.kind[kind_bit(BENCHY_CHUNK_TOOL)] + m.kind[kind_bit(BENCHY_CHUNK_FINISH)];
  assert_int_equal(tool_and_finish, o.kind[kind_bit(BENCHY_CHUNK_TOOL)] + o.kind[kind_bit(BENCHY_CHUNK_FINISH)]);
  assert_int_equal(s.usage_completion_tokens, o.completion);
  assert_true(s.usage_completion_tokens > (int64_t)tool_and_finish);
  summary_free(&m);
  oai_stream_free(&s);
  free(buf);
  oracle_free(&o);
}

/* ---- single chunks ------------------------------------------------------ */

static int feed(oai_stream *s, const char *payload, oai_chunk_info *info) {
  /* An exactly sized copy, so ASan sees any read past the payload. */
  size_t n = strlen(payload);
  char *copy = malloc(n ? n : 1);
  memcpy(copy, payload, n);
  int rc = oai_stream_feed(s, copy, n, info);
  free(copy);
  return rc;
}

static void expect_text(const oai_chunk_info *info, const char *text) {
  assert_int_equal(info->text_len, strlen(text));
  assert_memory_equal(info->text, text, info->text_len);
}

static void test_vllm_flavour(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 1);
  /* vLLM's first chunk announces the role with an empty content. */
  assert_int_equal(feed(&s,
                        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                        "\"logprobs\":null,\"finish_reason\":null}]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_ROLE);
  assert_int_equal(info.text_bytes, 0);
  assert_int_equal(info.tokens, -1);
  /* Logprobs nest arrays and objects that must be stepped over. */
  assert_int_equal(feed(&s,
                        "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},"
                        "\"logprobs\":{\"content\":[{\"token\":\"Hel\",\"logprob\":-0.5,\"bytes\":[72,101,108],"
                        "\"top_logprobs\":[{\"token\":\"X\",\"logprob\":-9.1e-1,\"bytes\":null}]}]},"
                        "\"finish_reason\":null}]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT);
  expect_text(&info, "Hel");
  assert_int_equal(info.text_bytes, 3);
  /* An empty content mid-stream carries nothing. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":null}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_EMPTY);
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\","
                        "\"stop_reason\":null}]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_FINISH);
  assert_string_equal(s.finish_reason, "stop");
  assert_int_equal(feed(&s,
                        "{\"id\":\"chatcmpl-1\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"total_tokens\":15,"
                        "\"completion_tokens\":5,\"prompt_tokens_details\":null}}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_USAGE);
  assert_int_equal(s.usage_prompt_tokens, 10);
  assert_int_equal(s.usage_completion_tokens, 5);
  assert_int_equal(s.usage_cached_tokens, -1);
  assert_int_equal(s.timings.present, 0);
  assert_int_equal(feed(&s, "[DONE]", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_DONE);
  assert_int_equal(s.done, 1);
  assert_string_equal(s.content.data, "Hel");
  /* vLLM's continuous usage stats put usage on every chunk. */
  oai_stream_reset(&s);
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}],"
                        "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4,"
                        "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT | BENCHY_CHUNK_USAGE);
  assert_int_equal(s.usage_reasoning_tokens, 0);
  oai_stream_free(&s);
}

static void test_sglang_flavour(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 1);
  /* SGLang spells out every absent field as null. */
  assert_int_equal(feed(&s,
                        "{\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\","
                        "\"reasoning_content\":null,\"tool_calls\":null},\"logprobs\":null,"
                        "\"finish_reason\":null,\"matched_stop\":null}],\"usage\":null}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_ROLE);
  assert_int_equal(feed(&s,
                        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":\"Hi\","
                        "\"reasoning_content\":null,\"tool_calls\":null},\"logprobs\":null,"
                        "\"finish_reason\":null,\"matched_stop\":null}],\"usage\":null}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT);
  expect_text(&info, "Hi");
  assert_int_equal(feed(&s,
                        "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":null,"
                        "\"reasoning_content\":null,\"tool_calls\":null},\"logprobs\":null,"
                        "\"finish_reason\":\"stop\",\"matched_stop\":151645}],\"usage\":null}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_FINISH);
  assert_int_equal(s.usage_prompt_tokens, -1);
  /* A choice whose fields are all null is empty. */
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":null,"
                        "\"reasoning_content\":null,\"tool_calls\":null},\"finish_reason\":null}]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_EMPTY);
  assert_int_equal(s.n_tool_calls, 0);
  assert_string_equal(s.finish_reason, "stop");
  oai_stream_free(&s);
}

static void test_reasoning_fields(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 1);
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"Let me\"}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_REASONING);
  expect_text(&info, "Let me");
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":null,\"reasoning\":\" think\"}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_REASONING);
  expect_text(&info, " think");
  /* Both names for one text are counted once. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"reasoning\":\".\",\"reasoning_content\":\".\"}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_REASONING);
  assert_int_equal(info.text_bytes, 1);
  /* Content and reasoning in one chunk: text is the content. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"r\",\"content\":\"Answer\"}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_REASONING | BENCHY_CHUNK_CONTENT);
  expect_text(&info, "Answer");
  assert_int_equal(info.text_bytes, 7);
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"\"}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_EMPTY);
  assert_string_equal(s.reasoning.data, "Let me think.r");
  assert_string_equal(s.content.data, "Answer");
  oai_stream_free(&s);
}

static void test_completions_api(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_COMPLETIONS, 1);
  assert_int_equal(feed(&s, "{\"choices\":[{\"text\":\"abc\",\"index\":0,\"logprobs\":null,\"finish_reason\":null}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT);
  expect_text(&info, "abc");
  /* Each API reads its own field only. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"no\"}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_EMPTY);
  assert_string_equal(s.content.data, "abc");
  oai_stream_free(&s);
  oai_stream_init(&s, OAI_CHAT, 1);
  assert_int_equal(feed(&s, "{\"choices\":[{\"text\":\"no\"}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_EMPTY);
  oai_stream_free(&s);
}

static void test_tool_calls(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 1);
  /* Two parallel calls, interleaved, index after function (key order is
   * free), one fragment without index. */
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"role\":\"assistant\",\"content\":null,\"tool_calls\":["
                        "{\"function\":{\"name\":\"f\",\"arguments\":\"\"},\"id\":\"call_a\",\"type\":\"function\","
                        "\"index\":0}]}}]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_ROLE | BENCHY_CHUNK_TOOL);
  assert_int_equal(info.text_bytes, 0);
  /* Some servers repeat id and name on every fragment: kept once. */
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"call_a\",\"type\":\"function\","
                        "\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"x\\\":\"}}]}}]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_TOOL);
  expect_text(&info, "{\"x\":");
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"call_b\",\"function\":"
                        "{\"name\":\"g\",\"arguments\":\"{\"}}]}}]}",
                        &info),
                   0);
  /* Without index: the call of the previous fragment (index 1). */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"arguments\":\"}\"}}]}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_TOOL);
  /* Two fragments in one chunk, for different calls; null name and id
   * change nothing; the text is the first fragment. */
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":null,\"function\":"
                        "{\"name\":null,\"arguments\":\"1}\"}},{\"index\":1,\"function\":{\"arguments\":\"\"}}]}}]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_TOOL);
  expect_text(&info, "1}");
  assert_int_equal(info.text_bytes, 2);
  /* A fragment without index but with a new id starts a new call. */
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"call_c\",\"function\":{\"name\":\"h\","
                        "\"arguments\":\"{}\"}}]}}]}",
                        &info),
                   0);
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"tool_calls\"}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_FINISH);
  assert_int_equal(s.n_tool_calls, 3);
  assert_int_equal(s.tool_calls[0].index, 0);
  assert_string_equal(s.tool_calls[0].id.data, "call_a");
  assert_string_equal(s.tool_calls[0].name.data, "f");
  assert_string_equal(s.tool_calls[0].arguments.data, "{\"x\":1}");
  assert_int_equal(s.tool_calls[1].index, 1);
  assert_string_equal(s.tool_calls[1].id.data, "call_b");
  assert_string_equal(s.tool_calls[1].name.data, "g");
  assert_string_equal(s.tool_calls[1].arguments.data, "{}");
  assert_int_equal(s.tool_calls[2].index, 2);
  assert_string_equal(s.tool_calls[2].id.data, "call_c");
  assert_string_equal(s.tool_calls[2].name.data, "h");
  assert_string_equal(s.tool_calls[2].arguments.data, "{}");
  assert_string_equal(s.finish_reason, "tool_calls");
  /* Tool arguments are not content. */
  assert_int_equal(s.content.len, 0);

  /* A first fragment without any index, and escapes in every field. */
  oai_stream_reset(&s);
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"tool_calls\":[{\"id\":\"c\\u0031\",\"function\":"
                        "{\"name\":\"n\\u00e9\",\"arguments\":\"{\\\"q\\\":\\\"\\ud83d\\ude00\\\"}\"}}]}}]}",
                        &info),
                   0);
  assert_int_equal(s.n_tool_calls, 1);
  assert_int_equal(s.tool_calls[0].index, 0);
  assert_string_equal(s.tool_calls[0].id.data, "c1");
  assert_string_equal(s.tool_calls[0].name.data, "n\xC3\xA9");
  assert_string_equal(s.tool_calls[0].arguments.data, "{\"q\":\"\xF0\x9F\x98\x80\"}");
  assert_int_equal(info.text_bytes, strlen("{\"q\":\"\xF0\x9F\x98\x80\"}"));
  /* An empty tool_calls array is not a tool fragment. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"tool_calls\":[]}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_EMPTY);
  oai_stream_free(&s);
}

static void test_tokens_from_timings(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 0);
  /* llama-server with timings_per_token: predicted_n on every chunk, and a
   * chunk may carry several tokens (speculative decoding). */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"timings\":{\"predicted_n\":1,\"predicted_ms\":5.0}}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT | BENCHY_CHUNK_TIMINGS);
  assert_int_equal(info.tokens, 1);
  assert_int_equal(feed(&s, "{\"timings\":{\"predicted_n\":4,\"draft_n\":3,\"draft_n_accepted\":2},\"choices\":[{\"delta\":{\"content\":\"bcd\"}}]}", &info), 0);
  assert_int_equal(info.tokens, 3);
  assert_int_equal(s.timings.draft_n, 3);
  assert_int_equal(s.timings.draft_n_accepted, 2);
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"reasoning_content\":\"e\"}}],\"timings\":{\"predicted_n\":5}}", &info), 0);
  assert_int_equal(info.tokens, 1);
  /* Token chunks without timings: unknown. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"f\"}}]}", &info), 0);
  assert_int_equal(info.tokens, -1);
  /* Timings on a chunk with no tokens: unknown, but remembered. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{},\"finish_reason\":\"stop\"}],\"timings\":{\"predicted_n\":7}}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_FINISH | BENCHY_CHUNK_TIMINGS);
  assert_int_equal(info.tokens, -1);
  assert_int_equal(s.last_predicted_n, 7);
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"g\"}}],\"timings\":{\"predicted_n\":9}}", &info), 0);
  assert_int_equal(info.tokens, 2);
  /* Going backwards means nothing sensible. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"h\"}}],\"timings\":{\"predicted_n\":2}}", &info), 0);
  assert_int_equal(info.tokens, -1);
  assert_int_equal(s.timings.predicted_n, 2);
  /* Timings fields not repeated keep their earlier values. */
  assert_true(s.timings.predicted_ms == 5.0);
  assert_int_equal(s.timings.present, 1);
  oai_stream_reset(&s);
  assert_int_equal(s.last_predicted_n, 0);
  assert_int_equal(s.timings.present, 0);
  assert_int_equal(s.timings.predicted_n, -1);
  oai_stream_free(&s);
}

static void test_x_benchy(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 0);
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"content\":\"ab\"}}],\"x_benchy\":{\"send_ns\":1795482347123456789,"
                        "\"tokens\":3,\"future\":[1,{\"x\":2}]}}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT);
  assert_int_equal(info.tokens, 3);
  assert_true(info.server_send_ns == INT64_C(1795482347123456789));
  /* x_benchy.tokens wins over timings. */
  assert_int_equal(feed(&s,
                        "{\"x_benchy\":{\"send_ns\":5,\"tokens\":2},\"choices\":[{\"delta\":{\"content\":\"c\"}}],"
                        "\"timings\":{\"predicted_n\":9}}",
                        &info),
                   0);
  assert_int_equal(info.tokens, 2);
  assert_int_equal(info.server_send_ns, 5);
  /* Without the stamp: 0 and unknown. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"d\"}}]}", &info), 0);
  assert_int_equal(info.server_send_ns, 0);
  assert_int_equal(info.tokens, -1);
  oai_stream_free(&s);
}

static void test_errors_in_stream(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 0);
  assert_int_equal(feed(&s, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\",\"code\":500,\"param\":null}}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_ERROR);
  assert_int_equal(s.has_error, 1);
  assert_string_equal(s.error_message.data, "server_error: boom");
  assert_string_equal(s.error, "");
  oai_stream_reset(&s);
  assert_int_equal(s.has_error, 0);
  assert_int_equal(s.error_message.len, 0);
  assert_int_equal(feed(&s, "{\"error\":\"plain text\"}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_ERROR);
  assert_string_equal(s.error_message.data, "plain text");
  /* vLLM's older shape: the error fields at the top level. */
  oai_stream_reset(&s);
  assert_int_equal(feed(&s, "{\"object\":\"error\",\"message\":\"too long\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_ERROR);
  assert_string_equal(s.error_message.data, "BadRequestError: too long");
  oai_stream_reset(&s);
  assert_int_equal(feed(&s, "{\"error\":{\"code\":503}}", &info), 0);
  assert_string_equal(s.error_message.data, "error 503");
  oai_stream_reset(&s);
  assert_int_equal(feed(&s, "{\"error\":{\"message\":\"m\",\"type\":null}}", &info), 0);
  assert_string_equal(s.error_message.data, "m");
  /* "error": null is no error. */
  oai_stream_reset(&s);
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"x\"}}],\"error\":null}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT);
  assert_int_equal(s.has_error, 0);
  oai_stream_free(&s);
}

static void test_skips_unknown(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 1);
  /* Look-alike fields nested elsewhere and later choices are not read. */
  assert_int_equal(feed(&s,
                        "{\"meta\":{\"choices\":[{\"delta\":{\"content\":\"NO\"}}],\"usage\":{\"prompt_tokens\":1}},"
                        "\"choices\":[{\"delta\":{\"content\":\"yes\",\"extra\":{\"content\":\"NO\"}}},"
                        "{\"delta\":{\"content\":\"NO\"},\"finish_reason\":\"NO\"}],"
                        "\"list\":[[[]],{},\"\\\"}]\",-1.5e-3,true,false,null]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT);
  expect_text(&info, "yes");
  assert_int_equal(s.usage_prompt_tokens, -1);
  assert_string_equal(s.finish_reason, "");
  assert_string_equal(s.content.data, "yes");
  /* Fields of an unexpected type are skipped, not fatal. */
  assert_int_equal(feed(&s,
                        "{\"choices\":[{\"delta\":{\"content\":5,\"role\":[],\"tool_calls\":{}},\"finish_reason\":1}],"
                        "\"usage\":{\"prompt_tokens\":\"7\",\"completion_tokens\":2},\"timings\":[1]}",
                        &info),
                   0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_USAGE);
  assert_int_equal(s.usage_prompt_tokens, -1);
  assert_int_equal(s.usage_completion_tokens, 2);
  /* choices that is not an array, or null: not "choices present". */
  assert_int_equal(feed(&s, "{\"choices\":null}", &info), 0);
  assert_int_equal(info.kinds, 0);
  assert_int_equal(feed(&s, "{}", &info), 0);
  assert_int_equal(info.kinds, 0);
  /* An escaped key is still the key. */
  assert_int_equal(feed(&s, "{\"\\u0063hoices\":[{\"delta\":{\"cont\\u0065nt\":\"z\"}}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_CONTENT);
  expect_text(&info, "z");
  /* Escapes in content decode; text_bytes counts decoded bytes. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"a\\u00e9\\ud83d\\ude00\\n\\\"\"}}]}", &info), 0);
  expect_text(&info, "a\xC3\xA9\xF0\x9F\x98\x80\n\"");
  assert_int_equal(info.text_bytes, 9);
  /* A finish_reason longer than the field is cut, still terminated. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"finish_reason\":\"a_very_long_finish_reason_that_does_not_fit\"}]}", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_FINISH);
  assert_int_equal(strlen(s.finish_reason), sizeof s.finish_reason - 1);
  assert_memory_equal(s.finish_reason, "a_very_long_finish_reason_that_", 31);
  oai_stream_free(&s);
}

static void test_done_forms(void **state) {
  (void)state;
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 0);
  assert_int_equal(feed(&s, " [DONE]\r\n", &info), 0);
  assert_int_equal(info.kinds, BENCHY_CHUNK_DONE);
  assert_int_equal(info.tokens, -1);
  assert_int_equal(s.done, 1);
  oai_stream_reset(&s);
  assert_int_equal(s.done, 0);
  assert_int_equal(feed(&s, "[DONE] x", &info), -1);
  assert_int_equal(feed(&s, "[done]", &info), -1);
  assert_int_equal(s.done, 0);
  oai_stream_free(&s);
}

static void test_malformed(void **state) {
  (void)state;
  static const char *bad[] = {
      "", "   ", "[1,2]", "\"str\"", "42", "null", "true", "{", "}", "{\"choices\":",
      "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]", "{\"choices\":[{\"delta\":{\"content\":\"a}}]}",
      "{\"choices\":[{\"delta\":{\"content\":\"a\"}}]} trailing", "{\"usage\":{\"prompt_tokens\":5},",
      "{\"choices\":[{\"delta\":{\"content\":\"\\q\"}}]}", "{\"a\":01}", "{'a':1}", "{\"a\":1,}",
      "{\"choices\":[{\"delta\":{\"content\":\"a\" \"b\"}}]}", "data: {}", "{\"x\":NaN}",
  };
  oai_stream s;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 1);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    info.kinds = 12345;
    if (feed(&s, bad[i], &info) != -1) fail_msg("accepted: %s", bad[i]);
    assert_int_equal(info.kinds, 0);
    assert_int_equal(info.text_len, 0);
    assert_int_equal(info.text_bytes, 0);
    if (strncmp(s.error, "malformed chunk: ", 17) != 0 || !strstr(s.error, " at byte "))
      fail_msg("error for %s: %s", bad[i], s.error);
  }
  /* Nothing from a failed chunk sticks. */
  assert_int_equal(s.usage_prompt_tokens, -1);
  assert_int_equal(s.content.len, 0);
  assert_int_equal(s.done, 0);
  assert_int_equal(feed(&s, "[1,2]", &info), -1);
  assert_string_equal(s.error, "malformed chunk: not a JSON object at byte 0");
  assert_int_equal(feed(&s, "{\"a\":1,}", &info), -1);
  assert_string_equal(s.error, "malformed chunk: expected a key at byte 7");
  /* A good chunk afterwards decodes normally and clears the error. */
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}", &info), 0);
  assert_string_equal(s.error, "");
  assert_string_equal(s.content.data, "ok");
  oai_stream_free(&s);
}

/* Every proper prefix of every recorded payload is refused, and changes
 * nothing in the stream. */
static void test_truncated_chunks(void **state) {
  (void)state;
  size_t len;
  char *buf = test_read_fixture("tools_forced_stream.sse", &len);
  assert_non_null(buf);
  oracle o;
  oracle_read(&o, "tools_forced_stream.sse", OAI_CHAT);
  assert_int_equal(o.n_calls, 1);
  oai_stream s, ref;
  oai_chunk_info info;
  oai_stream_init(&s, OAI_CHAT, 1);
  oai_stream_init(&ref, OAI_CHAT, 1);
  size_t payloads = 0;
  for (char *line = buf; *line;) {
    char *nl = strchr(line, '\n');
    *nl = '\0';
    if (strncmp(line, "data: {", 7) == 0) {
      const char *payload = line + 6;
      size_t n = strlen(payload);
      for (size_t k = 0; k < n; k++) {
        char *copy = malloc(k ? k : 1);
        memcpy(copy, payload, k);
        if (oai_stream_feed(&s, copy, k, &info) != -1) fail_msg("prefix %zu of %s accepted", k, payload);
        free(copy);
      }
      assert_int_equal(oai_stream_feed(&s, payload, n, &info), 0);
      assert_int_equal(oai_stream_feed(&ref, payload, n, &info), 0);
      payloads++;
    }
    line = nl + 1;
  }
  /* Every JSON payload was tried, not only those this loop recognised. */
  assert_int_equal(payloads, o.chunks);
  /* The stream fed all those failures ends exactly like the clean one. */
  assert_int_equal(s.n_tool_calls, ref.n_tool_calls);
  assert_string_equal(s.tool_calls[0].arguments.data, ref.tool_calls[0].arguments.data);
  assert_string_equal(s.tool_calls[0].arguments.data, o.calls[0].arguments.data);
  assert_int_equal(s.usage_completion_tokens, o.completion);
  assert_memory_equal(&s.timings, &ref.timings, sizeof s.timings);
  oai_stream_free(&s);
  oai_stream_free(&ref);
  free(buf);
  oracle_free(&o);
}

/* The SSE-level quirks through the whole pipeline: CRLF, keep-alive
 * comments, event:/id:, data split over lines, no final newline. */
static void test_pipeline_quirks(void **state) {
  (void)state;
  oai_stream s;
  summary m = {0};
  oai_stream_init(&s, OAI_CHAT, 1);
  const char stream[] =
      ": ping\r\n"
      "\r\n"
      "event: message\r\n"
      "id: 1\r\n"
      "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\",\r\n"
      "data: \"content\":\"\"}}]}\r\n"
      "\r\n"
      ": ping\r\n"
      "data: {\"choices\":[{\"delta\":{\"content\":\"A\"}}]}\r\n"
      "\r\n"
      "data:{\"choices\":[{\"delta\":{\"content\":\"B\"},\"finish_reason\":\"stop\"}]}\r\n"
      "\r\n"
      "data: [DONE]";
  for (size_t cut = 0; cut < sizeof stream; cut++) {
    sse_parser p;
    sse_parser_init(&p, 0);
    oai_stream_reset(&s);
    summary_clear(&m);
    run_stream(&s, &p, stream, sizeof stream - 1, cut, cut + 1, &m);
    assert_int_equal(m.failures, 0);
    assert_int_equal(m.chunks, 3);
    assert_int_equal(m.kind[kind_bit(BENCHY_CHUNK_ROLE)], 1);
    assert_int_equal(m.kind[kind_bit(BENCHY_CHUNK_CONTENT)], 2);
    assert_int_equal(m.kind[kind_bit(BENCHY_CHUNK_DONE)], 1);
    assert_string_equal(s.content.data, "AB");
    assert_string_equal(s.finish_reason, "stop");
    assert_int_equal(s.done, 1);
    sse_parser_free(&p);
  }
  summary_free(&m);
  oai_stream_free(&s);
}

/* Reset keeps every buffer: a second identical stream moves none. */
static void test_reset_keeps_buffers(void **state) {
  (void)state;
  size_t len;
  char *buf = test_read_fixture("tools_forced_stream.sse", &len);
  assert_non_null(buf);
  oai_stream s;
  summary m = {0};
  oai_stream_init(&s, OAI_CHAT, 1);
  run_text(&s, buf, &m);
  /* Also some text, for the content buffer. */
  oai_chunk_info info;
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"hello\",\"reasoning\":\"hm\"}}]}", &info), 0);
  const char *scratch = s.scratch.data, *content = s.content.data, *reasoning = s.reasoning.data;
  const oai_tool_call *calls = s.tool_calls;
  const char *args = s.tool_calls[0].arguments.data;
  size_t args_cap = s.tool_calls[0].arguments.cap;
  oai_stream_reset(&s);
  assert_int_equal(s.n_tool_calls, 0);
  assert_int_equal(s.content.len, 0);
  assert_int_equal(s.done, 0);
  assert_string_equal(s.finish_reason, "");
  assert_int_equal(s.usage_completion_tokens, -1);
  summary_clear(&m);
  run_text(&s, buf, &m);
  assert_int_equal(feed(&s, "{\"choices\":[{\"delta\":{\"content\":\"hello\",\"reasoning\":\"hm\"}}]}", &info), 0);
  assert_ptr_equal(s.scratch.data, scratch);
  assert_ptr_equal(s.content.data, content);
  assert_ptr_equal(s.reasoning.data, reasoning);
  assert_ptr_equal(s.tool_calls, calls);
  assert_ptr_equal(s.tool_calls[0].arguments.data, args);
  assert_int_equal(s.tool_calls[0].arguments.cap, args_cap);
  oracle o;
  oracle_read(&o, "tools_forced_stream.sse", OAI_CHAT);
  assert_int_equal(o.n_calls, 1);
  assert_string_equal(s.tool_calls[0].arguments.data, o.calls[0].arguments.data);
  oracle_free(&o);
  summary_free(&m);
  oai_stream_free(&s);
  free(buf);
}

static void body_error(const char *body, size_t len, const char *expect) {
  benchy_buf out = {0};
  benchy_buf_append_str(&out, "stale");
  char *copy = malloc(len ? len : 1);
  memcpy(copy, body, len);
  oai_error_from_body(copy, len, &out);
  free(copy);
  assert_non_null(out.data);
  assert_string_equal(out.data, expect);
  benchy_buf_free(&out);
}

static void test_error_from_body(void **state) {
  (void)state;
  size_t len;
  char *buf = test_read_fixture("ctx_overflow.json", &len);
  assert_non_null(buf);
  /* "type: message", read from the recorded body with cJSON. */
  cJSON *root = cJSON_Parse(buf);
  const cJSON *error = member(root, "error");
  const cJSON *type = member(error, "type"), *message = member(error, "message");
  assert_true(cJSON_IsString(type) && cJSON_IsString(message));
  benchy_buf expect = {0};
  assert_int_equal(benchy_buf_printf(&expect, "%s: %s", type->valuestring, message->valuestring), 0);
  body_error(buf, len, expect.data);
  benchy_buf_free(&expect);
  cJSON_Delete(root);
  free(buf);
  body_error(S("{\"object\":\"error\",\"message\":\"This model's maximum context length is 4096 tokens.\","
               "\"type\":\"BadRequestError\",\"param\":null,\"code\":400}"),
             "BadRequestError: This model's maximum context length is 4096 tokens.");
  body_error(S("{\"error\":\"Input validation error\",\"error_type\":\"validation\"}"),
             "validation: Input validation error");
  body_error(S("{\"detail\":\"Not Found\"}"), "Not Found");
  body_error(S("{\"error\":{\"code\":500}}"), "error 500");
  body_error(S("{\"error\":{\"code\":\"rate_limited\"}}"), "error rate_limited");
  body_error(S("{\"message\":\"bad gateway\"}"), "bad gateway");
  body_error(S("  <html>\r\n<body>502 Bad Gateway</body>\n</html>\n"), "<html>  <body>502 Bad Gateway</body> </html>");
  body_error(S(""), "(empty body)");
  body_error(S(" \n "), "(empty body)");
  body_error(S("{\"error\":{\"message\":\"cut"), "{\"error\":{\"message\":\"cut");
  body_error(S("{\"ok\":true}"), "{\"ok\":true}");
  /* Long non-JSON bodies are cut. */
  char big[600];
  memset(big, 'x', sizeof big);
  benchy_buf out = {0};
  oai_error_from_body(big, sizeof big, &out);
  assert_int_equal(out.len, 203);
  assert_memory_equal(out.data + 200, "...", 4);
  oai_error_from_body(NULL, 0, &out);
  assert_string_equal(out.data, "(empty body)");
  benchy_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fixtures_every_split),
      cmocka_unit_test(test_fixture_chunk_kinds),
      cmocka_unit_test(test_vllm_flavour),
      cmocka_unit_test(test_sglang_flavour),
      cmocka_unit_test(test_reasoning_fields),
      cmocka_unit_test(test_completions_api),
      cmocka_unit_test(test_tool_calls),
      cmocka_unit_test(test_tokens_from_timings),
      cmocka_unit_test(test_x_benchy),
      cmocka_unit_test(test_errors_in_stream),
      cmocka_unit_test(test_skips_unknown),
      cmocka_unit_test(test_done_forms),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_truncated_chunks),
      cmocka_unit_test(test_pipeline_quirks),
      cmocka_unit_test(test_reset_keeps_buffers),
      cmocka_unit_test(test_error_from_body),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
