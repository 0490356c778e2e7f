/*
 * test_sim.c — benchy sim, end to end: a server started in-process on a
 * free port, driven with blocking libcurl requests (never with benchy's own
 * client, so a bug in one cannot hide one in the other).
 *
 * Exact assertions use the model's own times (x_benchy.sched_ns), which are
 * computed, not measured; measured times only get generous bounds.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "benchy/benchy.h"
#include "sim/sim_internal.h"
#include "sim/tokenizer.h"
#include "testutil.h"
#include "util.h"



static const char *url(benchy_sim *sim, const char *path) {
  static char buf[4][256];
  static int k;
  char *u = buf[k++ & 3];
  snprintf(u, 256, "http://127.0.0.1:%d%s", benchy_sim_port(sim), path);
  return u;
}

/* ---- blocking HTTP with receive times ---- */

typedef struct resp {
  CURLcode rc;
  long status;
  benchy_buf body, headers;
  size_t n_writes;
  size_t write_end[4096]; /* body length after each write */
  int64_t write_ns[4096]; /* when that write arrived */
  int64_t t_start, t_end;
  double ttfb_s;          /* time to the first response byte (curl) */
  long connects;          /* new connections this transfer made */
  size_t abort_after;     /* stop reading after this many body bytes (0: never) */
} resp;

static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  resp *r = ud;
  size_t len = size * n;
  int64_t now = benchy_now_ns();
  if (benchy_buf_append(&r->body, p, len)) return 0;
  if (r->n_writes < sizeof r->write_end / sizeof r->write_end[0]) {
    r->write_end[r->n_writes] = r->body.len;
    r->write_ns[r->n_writes++] = now;
  }
  if (r->abort_after && r->body.len >= r->abort_after) return 0;
  return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud) {
  resp *r = ud;
  return benchy_buf_append(&r->headers, p, size * n) ? 0 : size * n;
}

static void resp_free(resp *r) {
  benchy_buf_free(&r->body);
  benchy_buf_free(&r->headers);
  free(r);
}

/* One request on handle h (a fresh one when NULL). body NULL: GET. */
static resp *request_on(CURL *h, const char *u, const char *body, size_t abort_after) {
  resp *r = calloc(1, sizeof *r);
  assert_non_null(r);
  r->abort_after = abort_after;
  int own = !h;
  if (own) h = curl_easy_init();
  assert_non_null(h);
  struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, u);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  if (body) {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  }
  r->t_start = benchy_now_ns();
  r->rc = curl_easy_perform(h);
  r->t_end = benchy_now_ns();
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  curl_easy_getinfo(h, CURLINFO_STARTTRANSFER_TIME, &r->ttfb_s);
  curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
  curl_slist_free_all(hdrs);
  if (own) curl_easy_cleanup(h);
  benchy_buf_terminate(&r->body);
  benchy_buf_terminate(&r->headers);
  return r;
}

static resp *get(benchy_sim *sim, const char *path) { return request_on(NULL, url(sim, path), NULL, 0); }

static resp *post(benchy_sim *sim, const char *path, const char *body) {
  return request_on(NULL, url(sim, path), body, 0);
}

static cJSON *json_of(const resp *r) {
  cJSON *j = cJSON_ParseWithLength(r->body.data ? r->body.data : "", r->body.len);
  if (!j) fail_msg("not JSON: %s", r->body.data ? r->body.data : "(empty)");
  return j;
}

static const cJSON *at(const cJSON *j, const char *path) {
  /* "a.b.0.c": object keys and array indexes */
  char buf[256];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = j;
  for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok && cur; tok = strtok_r(NULL, ".", &save)) {
    if (cJSON_IsArray(cur)) cur = cJSON_GetArrayItem(cur, atoi(tok));
    else cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
  }
  return cur;
}

static double num_at(const cJSON *j, const char *path) {
  const cJSON *v = at(j, path);
  if (!cJSON_IsNumber(v)) fail_msg("no number at %s", path);
  return v->valuedouble;
}

static const char *str_at(const cJSON *j, const char *path) {
  const cJSON *v = at(j, path);
  if (!cJSON_IsString(v)) fail_msg("no string at %s", path);
  return v->valuestring;
}

/* ---- SSE ---- */

typedef struct sse_event {
  char *data;        /* the payload after "data: " */
  cJSON *json;       /* NULL for [DONE] or malformed */
  int64_t recv_ns;   /* when the write that completed it arrived */
} sse_event;

typedef struct sse {
  sse_event ev[2048];
  size_t n;
  int done;          /* saw data: [DONE] */
} sse;

static sse *parse_sse(const resp *r) {
  sse *s = calloc(1, sizeof *s);
  assert_non_null(s);
  const char *b = r->body.data ? r->body.data : "";
  size_t pos = 0, w = 0;
  while (pos < r->body.len) {
    const char *end = strstr(b + pos, "\n\n");
    if (!end) break; /* an unterminated tail: not an event */
    size_t stop = (size_t)(end - b) + 2;
    assert_true(strncmp(b + pos, "data: ", 6) == 0);
    assert_true(s->n < sizeof s->ev / sizeof s->ev[0]);
    sse_event *e = &s->ev[s->n++];
    e->data = benchy_strndup(b + pos + 6, (size_t)(end - b) - pos - 6);
    while (w < r->n_writes && r->write_end[w] < stop) w++;
    e->recv_ns = w < r->n_writes ? r->write_ns[w] : r->t_end;
    if (!strcmp(e->data, "[DONE]")) s->done = 1;
    else e->json = cJSON_Parse(e->data);
    pos = stop;
  }
  return s;
}

static void sse_free(sse *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->ev[i].data);
    cJSON_Delete(s->ev[i].json);
  }
  free(s);
}

/* Events that carry generated tokens (x_benchy.tokens > 0). */
static int64_t ev_tokens(const sse_event *e) {
  const cJSON *t = at(e->json, "x_benchy.tokens");
  return cJSON_IsNumber(t) ? (int64_t)t->valuedouble : 0;
}

static int64_t ev_sched(const sse_event *e) { return (int64_t)num_at(e->json, "x_benchy.sched_ns"); }

static char *chat_body(const char *extra, int max_tokens, int stream, const char *content) {
  char *b = malloc(4096 + strlen(content));
  assert_non_null(b);
  sprintf(b,
          "{\"model\":\"sim\",\"messages\":[{\"role\":\"user\",\"content\":\"%s\"}],\"max_tokens\":%d,"
          "\"stream\":%s%s%s}",
          content, max_tokens, stream ? "true" : "false", extra ? "," : "", extra ? extra : "");
  return b;
}

/* A streamed chat request with include_usage; returns the parsed stream. */
static sse *stream_chat(benchy_sim *sim, const char *extra, int max_tokens, resp **out) {
  char more[1024];
  snprintf(more, sizeof more, "\"stream_options\":{\"include_usage\":true}%s%s", extra ? "," : "",
           extra ? extra : "");
  char *body = chat_body(more, max_tokens, 1, "Tell me a story about a fox.");
  resp *r = post(sim, "/v1/chat/completions", body);
  free(body);
  assert_int_equal(r->rc, CURLE_OK);
  assert_int_equal(r->status, 200);
  sse *s = parse_sse(r);
  if (out) *out = r;
  else resp_free(r);
  return s;
}

/* ---- tests ---- */

typedef struct collect_t {
  char pieces[16][32];
  int64_t ids[16];
  size_t n;
} collect_t;

static void collect_piece(void *ud, int64_t id, const char *piece, size_t len) {
  collect_t *c = ud;
  if (c->n >= 16 || len >= 32) return;
  memcpy(c->pieces[c->n], piece, len);
  c->pieces[c->n][len] = '\0';
  c->ids[c->n++] = id;
}

static void test_tokenizer(void **state) {
  (void)state;
  typedef struct piece_check {
    const char *text;
    const char *pieces[16];
  } piece_check;
  static const piece_check checks[] = {
      {"Hello world!", {"Hello", " world", "!", NULL}},
      {"  two", {" ", " two", NULL}},
      {"abcdefghijkl", {"abcdefgh", "ijkl", NULL}},
      {" abcdefghij", {" abcdefgh", "ij", NULL}},
      {"<|im_start|>user\n", {"<|im_start|>", "user", "\n", NULL}},
      {"a<|im_end|>", {"a", "<|im_end|>", NULL}},
      {"\xc3\xa9t\xc3\xa9", {"\xc3\xa9", "t", "\xc3\xa9", NULL}},
      {"x\xff" "y", {"x", "\xff", "y", NULL}},
      {"<|im_sta", {"<", "|", "im", "_", "sta", NULL}},
  };
  for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++) {
    collect_t c = {0};
    size_t n = sim_tokenize(checks[i].text, strlen(checks[i].text), NULL, NULL);
    assert_int_equal(sim_tokenize(checks[i].text, strlen(checks[i].text), collect_piece, &c), n);
    size_t expect = 0;
    while (checks[i].pieces[expect]) expect++;
    assert_int_equal(c.n, expect);
    benchy_buf back = {0};
    for (size_t k = 0; k < c.n; k++) {
      assert_string_equal(c.pieces[k], checks[i].pieces[k]);
      assert_int_equal(sim_detokenize_one(c.ids[k], &back), 0);
    }
    benchy_buf_terminate(&back);
    assert_string_equal(back.data, checks[i].text);
    benchy_buf_free(&back);
  }
  /* Every generated word is one token with its leading space. */
  for (size_t w = 0; w < SIM_WORD_COUNT; w++) {
    char text[16];
    snprintf(text, sizeof text, " %s", sim_words[w].text);
    assert_int_equal(strlen(sim_words[w].text), sim_words[w].len);
    assert_int_equal(sim_tokenize(text, strlen(text), NULL, NULL), 1);
  }
  benchy_buf junk = {0};
  assert_int_equal(sim_detokenize_one(0, &junk), -1);
  assert_int_equal(sim_detokenize_one(272 + 0xD800, &junk), -1);
  assert_int_equal(sim_detokenize_one(SIM_TOK_RUN_BASE, &junk), -1);
  benchy_buf_free(&junk);
}

static void test_small_endpoints(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("model", "tiny", "slots", "3", "ctx-size", "4096", NULL);
  char expect[128];
  snprintf(expect, sizeof expect, "http://127.0.0.1:%d/v1", benchy_sim_port(sim));
  assert_string_equal(benchy_sim_base_url(sim), expect);

  resp *r = get(sim, "/health");
  assert_int_equal(r->status, 200);
  assert_string_equal(r->body.data, "{\"status\":\"ok\"}");
  assert_non_null(strstr(r->headers.data, "Content-Type: application/json"));
  resp_free(r);

  r = get(sim, "/v1/models");
  assert_int_equal(r->status, 200);
  cJSON *j = json_of(r);
  assert_string_equal(str_at(j, "object"), "list");
  assert_string_equal(str_at(j, "data.0.id"), "tiny");
  assert_string_equal(str_at(j, "data.0.object"), "model");
  assert_int_equal((int)num_at(j, "data.0.max_model_len"), 4096);
  assert_null(at(j, "data.1"));
  cJSON_Delete(j);
  resp_free(r);

  r = get(sim, "/props");
  assert_int_equal(r->status, 200);
  j = json_of(r);
  assert_int_equal((int)num_at(j, "total_slots"), 3);
  assert_int_equal((int)num_at(j, "n_ctx"), 4096);
  assert_int_equal((int)num_at(j, "default_generation_settings.n_ctx"), 4096);
  assert_string_equal(str_at(j, "model_path"), "tiny");
  assert_true(!strncmp(str_at(j, "build_info"), "benchy-sim ", 11));
  cJSON_Delete(j);
  resp_free(r);

  r = get(sim, "/sim/stats");
  assert_int_equal(r->status, 200);
  j = json_of(r);
  assert_int_equal((int)num_at(j, "requests"), 4); /* this one included */
  assert_int_equal((int)num_at(j, "config.slots"), 3);
  assert_string_equal(str_at(j, "config.flavour"), "llama");
  assert_string_equal(str_at(j, "config.model"), "tiny");
  cJSON_Delete(j);
  resp_free(r);

  benchy_sim_stats st = {.struct_size = sizeof st};
  benchy_sim_get_stats(sim, &st);
  assert_int_equal(st.requests, 4);
  assert_int_equal(st.streams, 0);
  test_sim_stop(sim);
}

static void assert_error(resp *r, int status, const char *type, const char *needle) {
  assert_int_equal(r->status, status);
  cJSON *j = json_of(r);
  assert_int_equal((int)num_at(j, "error.code"), status);
  assert_string_equal(str_at(j, "error.type"), type);
  if (needle && !strstr(str_at(j, "error.message"), needle))
    fail_msg("'%s' not in '%s'", needle, str_at(j, "error.message"));
  cJSON_Delete(j);
  resp_free(r);
}

static void test_errors(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("ctx-size", "100", NULL);
  assert_error(get(sim, "/nope"), 404, "not_found_error", "/nope");
  assert_error(get(sim, "/v1/chat/completions"), 405, "invalid_request_error", "GET");
  assert_error(post(sim, "/v1/chat/completions", "{\"messages\": [1,"), 400, "invalid_request_error",
               "not valid JSON");
  assert_error(post(sim, "/v1/chat/completions", "[1]"), 400, "invalid_request_error", "JSON object");
  assert_error(post(sim, "/v1/chat/completions", "{\"messages\":[]}"), 400, "invalid_request_error",
               "messages");
  assert_error(post(sim, "/v1/chat/completions", "{\"messages\":[{\"content\":\"x\"}]}"), 400,
               "invalid_request_error", "messages[0]");
  assert_error(post(sim, "/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}"),
               400, "invalid_request_error", "max_tokens");
  assert_error(post(sim, "/v1/completions", "{\"prompt\":{}}"), 400, "invalid_request_error", "prompt");
  assert_error(post(sim, "/v1/chat/completions",
                    "{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
               404, "model_not_found", "'sim'");
  assert_error(post(sim, "/detokenize", "{\"tokens\":[0]}"), 400, "invalid_request_error", "tokens[0]");
  /* Numbers past int64's range are refused, not converted (UBSan checks). */
  assert_error(post(sim, "/detokenize", "{\"tokens\":[1e300]}"), 400, "invalid_request_error", "tokens[0]");
  assert_error(post(sim, "/v1/completions", "{\"prompt\":[5,1e300]}"), 400, "invalid_request_error", "prompt");

  /* Context overflow: the shape llama-server answers with. */
  resp *r = post(sim, "/v1/chat/completions",
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":91}");
  assert_int_equal(r->status, 400);
  cJSON *j = json_of(r);
  char *fixture = test_read_fixture("ctx_overflow.json", NULL);
  assert_non_null(fixture);
  cJSON *fx = cJSON_Parse(fixture);
  const cJSON *item;
  cJSON_ArrayForEach(item, cJSON_GetObjectItem(fx, "error")) {
    const cJSON *mine = cJSON_GetObjectItemCaseSensitive(at(j, "error"), item->string);
    assert_non_null(mine);
    assert_int_equal(mine->type & 0xFF, item->type & 0xFF);
  }
  assert_string_equal(str_at(j, "error.type"), "exceed_context_size_error");
  assert_int_equal((int)num_at(j, "error.n_ctx"), 100);
  /* <|im_start|> user \n hello <|im_end|> \n <|im_start|> assistan t \n */
  assert_int_equal((int)num_at(j, "error.n_prompt_tokens"), 10);
  cJSON_Delete(fx);
  free(fixture);
  cJSON_Delete(j);
  resp_free(r);
  /* 10 + 90 fits exactly. */
  r = post(sim, "/v1/chat/completions",
           "{\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}],\"max_tokens\":90}");
  assert_int_equal(r->status, 200);
  resp_free(r);

  /* A chunked upload is refused with a reason, and the connection closed. */
  CURL *h = curl_easy_init();
  struct curl_slist *hdrs = curl_slist_append(NULL, "Transfer-Encoding: chunked");
  resp *rr = calloc(1, sizeof *rr);
  curl_easy_setopt(h, CURLOPT_URL, url(sim, "/v1/chat/completions"));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, rr);
  assert_int_equal(curl_easy_perform(h), CURLE_OK);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &rr->status);
  benchy_buf_terminate(&rr->body);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
  assert_error(rr, 411, "invalid_request_error", "Content-Length");
  test_sim_stop(sim);
}

static void test_tokenize_endpoints(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("ctx-size", "5000", NULL);
  static const char messages[] =
      "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\","
      "\"text\":\"Hi \"},{\"type\":\"image_url\",\"image_url\":{\"url\":\"x\"}},{\"type\":\"text\",\"text\":"
      "\"there\"}]}]";
  char body[1024];
  snprintf(body, sizeof body, "{\"messages\":%s}", messages);
  resp *r = post(sim, "/apply-template", body);
  assert_int_equal(r->status, 200);
  cJSON *j = json_of(r);
  const char *prompt = str_at(j, "prompt");
  assert_string_equal(prompt, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
                              "<|im_start|>assistant\n");
  size_t n_template = sim_tokenize(prompt, strlen(prompt), NULL, NULL);
  cJSON_Delete(j);
  resp_free(r);

  /* vLLM's /tokenize with messages gives the same count... */
  r = post(sim, "/tokenize", body);
  assert_int_equal(r->status, 200);
  j = json_of(r);
  assert_int_equal((size_t)num_at(j, "count"), n_template);
  assert_int_equal((int)num_at(j, "max_model_len"), 5000);
  assert_int_equal((size_t)cJSON_GetArraySize(at(j, "tokens")), n_template);
  cJSON_Delete(j);
  resp_free(r);

  /* ... as the chat endpoint reports in usage. */
  snprintf(body, sizeof body, "{\"messages\":%s,\"max_tokens\":3}", messages);
  r = post(sim, "/v1/chat/completions", body);
  assert_int_equal(r->status, 200);
  j = json_of(r);
  assert_int_equal((size_t)num_at(j, "usage.prompt_tokens"), n_template);
  assert_int_equal((int)num_at(j, "usage.completion_tokens"), 3);
  assert_int_equal((size_t)num_at(j, "usage.total_tokens"), n_template + 3);
  cJSON_Delete(j);
  resp_free(r);

  /* llama-server's form, with pieces; then back again. */
  r = post(sim, "/tokenize", "{\"content\":\"Hello world!\",\"add_special\":true,\"with_pieces\":true}");
  assert_int_equal(r->status, 200);
  j = json_of(r);
  assert_int_equal(cJSON_GetArraySize(at(j, "tokens")), 3);
  assert_string_equal(str_at(j, "tokens.0.piece"), "Hello");
  assert_string_equal(str_at(j, "tokens.1.piece"), " world");
  assert_string_equal(str_at(j, "tokens.2.piece"), "!");
  assert_int_equal((int)num_at(j, "tokens.2.id"), 16 + '!');
  char detok[256];
  snprintf(detok, sizeof detok, "{\"tokens\":[%.0f,%.0f,%.0f]}", num_at(j, "tokens.0.id"),
           num_at(j, "tokens.1.id"), num_at(j, "tokens.2.id"));
  cJSON_Delete(j);
  resp_free(r);
  r = post(sim, "/detokenize", detok);
  assert_int_equal(r->status, 200);
  assert_string_equal(r->body.data, "{\"content\":\"Hello world!\"}");
  resp_free(r);

  r = post(sim, "/tokenize", "{\"content\":\"Hello world!\"}");
  j = json_of(r);
  assert_true(cJSON_IsNumber(at(j, "tokens.0")));
  cJSON_Delete(j);
  resp_free(r);

  r = post(sim, "/tokenize", "{\"prompt\":\"a b\"}");
  j = json_of(r);
  assert_int_equal((int)num_at(j, "count"), 2);
  cJSON_Delete(j);
  resp_free(r);

  /* /v1/completions counts the raw prompt, or takes token ids as given. */
  r = post(sim, "/v1/completions", "{\"prompt\":\"Hello world!\",\"max_tokens\":2}");
  j = json_of(r);
  assert_int_equal((int)num_at(j, "usage.prompt_tokens"), 3);
  assert_string_equal(str_at(j, "object"), "text_completion");
  cJSON_Delete(j);
  resp_free(r);
  r = post(sim, "/v1/completions", "{\"prompt\":[1,2,3,4,5],\"max_tokens\":2}");
  j = json_of(r);
  assert_int_equal((int)num_at(j, "usage.prompt_tokens"), 5);
  cJSON_Delete(j);
  resp_free(r);
  test_sim_stop(sim);
}

/* Checks stamps: sched <= send <= receive, send never going back. */
static void check_stamps(const sse *s) {
  int64_t prev_send = 0;
  for (size_t i = 0; i < s->n; i++) {
    const sse_event *e = &s->ev[i];
    if (!e->json || !at(e->json, "x_benchy")) continue;
    int64_t send = (int64_t)num_at(e->json, "x_benchy.send_ns");
    int64_t sched = ev_sched(e);
    assert_true(send >= prev_send);
    assert_true(send >= sched);
    assert_true(send <= e->recv_ns);
    prev_send = send;
  }
}

static void test_stream_chunks(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("tokens-per-chunk", "3", "decode-tps", "1000", "batch-slowdown", "0", NULL);
  resp *r;
  sse *s = stream_chat(sim, NULL, 10, &r);
  assert_non_null(strstr(r->headers.data, "Content-Type: text/event-stream"));
  assert_non_null(strstr(r->headers.data, "Transfer-Encoding: chunked"));
  /* llama: role, 1+3+3+3 tokens, finish, usage, [DONE] */
  assert_int_equal(s->n, 8);
  assert_true(s->done);
  assert_string_equal(str_at(s->ev[0].json, "choices.0.delta.role"), "assistant");
  assert_true(cJSON_IsNull(at(s->ev[0].json, "choices.0.delta.content")));
  int64_t expect[] = {1, 3, 3, 3};
  for (int i = 0; i < 4; i++) {
    const sse_event *e = &s->ev[1 + i];
    assert_int_equal(ev_tokens(e), expect[i]);
    const char *text = str_at(e->json, "choices.0.delta.content");
    assert_int_equal(sim_tokenize(text, strlen(text), NULL, NULL), (size_t)expect[i]);
    assert_true(cJSON_IsNull(at(e->json, "choices.0.finish_reason")));
  }
  /* Model times: 1 ms per token at 1000 tok/s, a chunk at its last token. */
  for (int i = 2; i < 5; i++) assert_int_equal(ev_sched(&s->ev[i]) - ev_sched(&s->ev[i - 1]), 3000000);
  assert_string_equal(str_at(s->ev[5].json, "choices.0.finish_reason"), "length");
  assert_int_equal(cJSON_GetArraySize(at(s->ev[6].json, "choices")), 0);
  assert_int_equal((int)num_at(s->ev[6].json, "usage.completion_tokens"), 10);
  assert_int_equal((int)num_at(s->ev[6].json, "timings.predicted_n"), 10);
  assert_int_equal((int)num_at(s->ev[6].json, "usage.completion_tokens_details.reasoning_tokens"), 0);
  check_stamps(s);
  sse_free(s);
  resp_free(r);
  benchy_sim_stats st = {.struct_size = sizeof st};
  benchy_sim_get_stats(sim, &st);
  assert_int_equal(st.streams, 1);
  assert_int_equal(st.chunks, 8); /* every event, [DONE] included */
  /* Ordered as percentiles must be, and not garbage (a chunk 10 s late on
   * a 10 ms stream would be a broken clock, not a slow machine). */
  assert_true(st.lateness_p50_ns <= st.lateness_p99_ns && st.lateness_p99_ns <= st.lateness_max_ns);
  assert_true(st.lateness_max_ns < (int64_t)10 * 1000000000);
  test_sim_stop(sim);

  /* Random chunk sizes stay in range and add up. */
  sim = test_sim_start("tokens-per-chunk", "2-4", "decode-tps", "2000", NULL);
  s = stream_chat(sim, NULL, 40, NULL);
  int64_t total = 0;
  size_t token_events = 0;
  for (size_t i = 0; i < s->n; i++) {
    int64_t k = s->ev[i].json ? ev_tokens(&s->ev[i]) : 0;
    if (!k) continue;
    if (token_events++ == 0) assert_int_equal(k, 1);
    else if (total + k < 40) assert_true(k >= 2 && k <= 4);
    total += k;
  }
  assert_int_equal(total, 40);
  sse_free(s);
  test_sim_stop(sim);
}

static void test_reasoning(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("reasoning-tokens", "5", "decode-tps", "2000", "tokens-per-chunk", "2", NULL);
  sse *s = stream_chat(sim, NULL, 12, NULL);
  /* role, then reasoning 1+2+2, content 2+2+2+1, finish, usage, [DONE] */
  int64_t reasoning = 0, content = 0;
  int seen_content = 0;
  for (size_t i = 0; i < s->n; i++) {
    const cJSON *delta = s->ev[i].json ? at(s->ev[i].json, "choices.0.delta") : NULL;
    int64_t k = s->ev[i].json ? ev_tokens(&s->ev[i]) : 0;
    if (!k) continue;
    const cJSON *rc = cJSON_GetObjectItem(delta, "reasoning_content");
    const cJSON *cc = cJSON_GetObjectItem(delta, "content");
    assert_true(cJSON_IsString(rc) != cJSON_IsString(cc)); /* one kind per chunk */
    if (cJSON_IsString(rc)) {
      assert_false(seen_content);
      assert_int_equal(sim_tokenize(rc->valuestring, strlen(rc->valuestring), NULL, NULL), (size_t)k);
      reasoning += k;
    } else {
      seen_content = 1;
      content += k;
    }
  }
  assert_int_equal(reasoning, 5);
  assert_int_equal(content, 7);
  const cJSON *usage = at(s->ev[s->n - 2].json, "usage");
  assert_int_equal((int)num_at(usage, "completion_tokens"), 12);
  assert_int_equal((int)num_at(usage, "completion_tokens_details.reasoning_tokens"), 5);
  sse_free(s);

  resp *r = post(sim, "/v1/chat/completions",
                 "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":8}");
  cJSON *j = json_of(r);
  const char *rc = str_at(j, "choices.0.message.reasoning_content");
  const char *cc = str_at(j, "choices.0.message.content");
  assert_int_equal(sim_tokenize(rc, strlen(rc), NULL, NULL), 5);
  assert_int_equal(sim_tokenize(cc, strlen(cc), NULL, NULL), 3);
  cJSON_Delete(j);
  resp_free(r);
  test_sim_stop(sim);
}

static const char tools_json[] =
    "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":"
    "\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}},{\"type\":\"function\",\"function\":{"
    "\"name\":\"search\",\"parameters\":{\"type\":\"object\",\"properties\":{\"q\":{\"type\":\"string\"}}}}}]";

/* Reassembles a streamed tool call; returns the parsed arguments. */
static cJSON *streamed_tool_call(sse *s, const char *name) {
  benchy_buf args = {0};
  int headers = 0;
  for (size_t i = 0; i < s->n; i++) {
    const cJSON *calls = s->ev[i].json ? at(s->ev[i].json, "choices.0.delta.tool_calls") : NULL;
    if (!cJSON_IsArray(calls)) continue;
    const cJSON *call = cJSON_GetArrayItem(calls, 0);
    assert_int_equal((int)num_at(call, "index"), 0);
    if (at(call, "id")) {
      headers++;
      assert_true(!strncmp(str_at(call, "id"), "call_", 5));
      assert_string_equal(str_at(call, "type"), "function");
      assert_string_equal(str_at(call, "function.name"), name);
    }
    benchy_buf_append_str(&args, str_at(call, "function.arguments"));
  }
  assert_int_equal(headers, 1);
  benchy_buf_terminate(&args);
  cJSON *parsed = cJSON_Parse(args.data);
  if (!cJSON_IsObject(parsed)) fail_msg("arguments are not a JSON object: %s", args.data);
  benchy_buf_free(&args);
  return parsed;
}

static void test_tools(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "2000", "tokens-per-chunk", "3", NULL);
  for (int n = 1; n <= 12; n++) {
    sse *s = stream_chat(sim, tools_json, n, NULL);
    cJSON *args = streamed_tool_call(s, "get_weather");
    if (n >= 3) assert_true(cJSON_IsString(cJSON_GetObjectItem(args, "city")));
    cJSON_Delete(args);
    assert_string_equal(str_at(s->ev[s->n - 3].json, "choices.0.finish_reason"), "tool_calls");
    assert_int_equal((int)num_at(s->ev[s->n - 2].json, "usage.completion_tokens"), n);
    sse_free(s);
  }
  /* A named tool. */
  char extra[1024];
  snprintf(extra, sizeof extra, "%s,\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"search\"}}",
           tools_json);
  sse *s = stream_chat(sim, extra, 6, NULL);
  cJSON *args = streamed_tool_call(s, "search");
  assert_true(cJSON_IsString(cJSON_GetObjectItem(args, "q")));
  cJSON_Delete(args);
  sse_free(s);
  /* tool_choice none: plain content. */
  snprintf(extra, sizeof extra, "%s,\"tool_choice\":\"none\"", tools_json);
  s = stream_chat(sim, extra, 4, NULL);
  assert_string_equal(str_at(s->ev[s->n - 3].json, "choices.0.finish_reason"), "length");
  assert_non_null(str_at(s->ev[2].json, "choices.0.delta.content"));
  sse_free(s);
  /* Not streamed. */
  char *body = chat_body(tools_json, 9, 0, "weather?");
  resp *r = post(sim, "/v1/chat/completions", body);
  free(body);
  cJSON *j = json_of(r);
  assert_string_equal(str_at(j, "choices.0.finish_reason"), "tool_calls");
  assert_string_equal(str_at(j, "choices.0.message.tool_calls.0.function.name"), "get_weather");
  cJSON *parsed = cJSON_Parse(str_at(j, "choices.0.message.tool_calls.0.function.arguments"));
  assert_true(cJSON_IsString(cJSON_GetObjectItem(parsed, "city")));
  cJSON_Delete(parsed);
  cJSON_Delete(j);
  resp_free(r);
  /* The tools are part of the prompt. */
  char tmpl[1024];
  snprintf(tmpl, sizeof tmpl, "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],%s}", tools_json);
  r = post(sim, "/apply-template", tmpl);
  j = json_of(r);
  assert_true(!strncmp(str_at(j, "prompt"), "<|im_start|>system\n# Tools\n{\"type\":\"function\"", 43));
  cJSON_Delete(j);
  resp_free(r);
  test_sim_stop(sim);
}

static int64_t cached_tokens_of(benchy_sim *sim, const char *content, const char *extra) {
  char *body = chat_body(extra, 2, 0, content);
  resp *r = post(sim, "/v1/chat/completions", body);
  free(body);
  assert_int_equal(r->status, 200);
  cJSON *j = json_of(r);
  int64_t cached = (int64_t)num_at(j, "usage.prompt_tokens_details.cached_tokens");
  assert_int_equal(cached, (int64_t)num_at(j, "timings.cache_n"));
  assert_int_equal((int64_t)num_at(j, "usage.prompt_tokens"),
                   cached + (int64_t)num_at(j, "timings.prompt_n"));
  cJSON_Delete(j);
  resp_free(r);
  return cached;
}

static void test_prefix_cache(void **state) {
  (void)state;
  /* 2000 words: a ~16 KB body, so curl also sends Expect: 100-continue. */
  size_t len = 0, olen = 0;
  char *text = malloc(20000), *other = malloc(20000);
  for (int i = 0; i < 2000; i++) {
    len += (size_t)sprintf(text + len, " w%d", i);
    olen += (size_t)sprintf(other + olen, i == 1000 ? " x%d" : " w%d", i); /* differs half-way */
  }
  benchy_sim *sim = test_sim_start("decode-tps", "5000", "prefill-tps", "1000000", NULL);
  size_t prompt = 10 + 2000; /* template tokens + one per word */
  assert_int_equal(cached_tokens_of(sim, text, NULL), 0);
  assert_int_equal(cached_tokens_of(sim, text, NULL), (int64_t)(prompt / 16 * 16));
  int64_t partial = cached_tokens_of(sim, other, NULL);
  /* The prompts part at token 3 + 1000: the blocks before it are shared. */
  assert_int_equal(partial, 1003 / 16 * 16);
  assert_int_equal(cached_tokens_of(sim, text, "\"cache_prompt\":false"), 0);
  test_sim_stop(sim);

  sim = test_sim_start("no-prefix-cache", "true", "decode-tps", "5000", NULL);
  assert_int_equal(cached_tokens_of(sim, text, NULL), 0);
  assert_int_equal(cached_tokens_of(sim, text, NULL), 0);
  test_sim_stop(sim);
  free(text);
  free(other);
}

static void test_flavour_llama_closes(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  CURL *h = curl_easy_init();
  char *body = chat_body(NULL, 3, 1, "hi");
  resp *a = request_on(h, url(sim, "/v1/chat/completions"), body, 0);
  resp *b = request_on(h, url(sim, "/v1/chat/completions"), body, 0);
  assert_int_equal(a->connects, 1);
  assert_int_equal(b->connects, 1); /* the first connection was closed */
  assert_non_null(strstr(a->headers.data, "Connection: keep-alive"));
  sse *s = parse_sse(b);
  /* No include_usage: timings ride on the finish chunk. */
  assert_non_null(at(s->ev[s->n - 2].json, "timings"));
  assert_null(at(s->ev[s->n - 2].json, "usage"));
  sse_free(s);
  resp_free(a);
  resp_free(b);
  /* A non-streamed response keeps the connection. */
  char *plain = chat_body(NULL, 3, 0, "hi");
  a = request_on(h, url(sim, "/v1/chat/completions"), plain, 0);
  b = request_on(h, url(sim, "/v1/chat/completions"), plain, 0);
  assert_int_equal(b->connects, 0);
  resp_free(a);
  resp_free(b);
  free(plain);
  free(body);
  curl_easy_cleanup(h);

  /* /v1/completions: usage on the finish chunk, as llama-server does. */
  resp *r = post(sim, "/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":4,\"stream\":true}");
  s = parse_sse(r);
  assert_int_equal(s->n, 6); /* 4 tokens, finish+usage, [DONE] */
  assert_string_equal(str_at(s->ev[0].json, "object"), "text_completion");
  assert_non_null(str_at(s->ev[0].json, "choices.0.text"));
  assert_string_equal(str_at(s->ev[4].json, "choices.0.finish_reason"), "length");
  assert_int_equal((int)num_at(s->ev[4].json, "usage.completion_tokens"), 4);
  sse_free(s);
  resp_free(r);
  test_sim_stop(sim);
}

static void test_flavour_vllm(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("flavour", "vllm", "overhead-ms", "20", "prefill-tps", "1000", "decode-tps",
                              "1000", "batch-slowdown", "0", NULL);
  CURL *h = curl_easy_init();
  char *body = chat_body("\"stream_options\":{\"include_usage\":true}", 5, 1, "hello");
  resp *a = request_on(h, url(sim, "/v1/chat/completions"), body, 0);
  resp *b = request_on(h, url(sim, "/v1/chat/completions"), body, 0);
  assert_int_equal(b->connects, 0); /* kept alive */
  sse *s = parse_sse(a);
  /* role-only first, 5 tokens, finish, usage, [DONE] */
  assert_int_equal(s->n, 9);
  const cJSON *delta = at(s->ev[0].json, "choices.0.delta");
  assert_string_equal(str_at(delta, "role"), "assistant");
  assert_string_equal(str_at(delta, "content"), "");
  assert_int_equal(ev_tokens(&s->ev[0]), 0);
  /* It came at the slot start: overhead + 10 prompt tokens at 1000/s before the first token. */
  assert_int_equal(ev_sched(&s->ev[1]) - ev_sched(&s->ev[0]), 20000000 + 10000000);
  assert_true(s->ev[1].recv_ns >= s->ev[0].recv_ns);
  for (size_t i = 0; i < s->n - 1; i++) assert_null(at(s->ev[i].json, "timings"));
  assert_string_equal(str_at(s->ev[1].json, "object"), "chat.completion.chunk");
  assert_int_equal(cJSON_GetArraySize(at(s->ev[7].json, "choices")), 0);
  assert_int_equal((int)num_at(s->ev[7].json, "usage.prompt_tokens"), 10);
  check_stamps(s);
  sse_free(s);
  resp_free(a);
  resp_free(b);
  free(body);
  curl_easy_cleanup(h);
  test_sim_stop(sim);
}

static void test_flavour_sglang(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("flavour", "sglang", "decode-tps", "2000", "reasoning-tokens", "2", NULL);
  sse *s = stream_chat(sim, NULL, 4, NULL);
  /* no role chunk: 4 tokens, finish, usage, [DONE] */
  assert_int_equal(s->n, 7);
  for (int i = 0; i < 4; i++) {
    const cJSON *d = at(s->ev[i].json, "choices.0.delta");
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "role")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, "tool_calls")));
    assert_true(cJSON_IsString(cJSON_GetObjectItem(d, i < 2 ? "reasoning_content" : "content")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(d, i < 2 ? "content" : "reasoning_content")));
  }
  assert_string_equal(str_at(s->ev[4].json, "choices.0.finish_reason"), "length");
  assert_int_equal(cJSON_GetArraySize(at(s->ev[5].json, "choices")), 0);
  assert_int_equal((int)num_at(s->ev[5].json, "usage.completion_tokens"), 4);
  sse_free(s);
  test_sim_stop(sim);
}

/* ---- each flavour's last events, to the byte ---- */

/* A copy of text with the values that change from run to run ("created", "id")
 * blanked, so what is left can be compared to the byte. */
static char *blank_ids(const char *text) {
  benchy_buf b = {0};
  for (const char *p = text; *p;) {
    if (!strncmp(p, "\"created\":", 10)) {
      assert_int_equal(benchy_buf_append_str(&b, "\"created\":0"), 0);
      for (p += 10; *p >= '0' && *p <= '9'; p++) {}
    } else if (!strncmp(p, "\"id\":\"", 6)) {
      assert_int_equal(benchy_buf_append_str(&b, "\"id\":\"ID\""), 0);
      p = strchr(p + 6, '"');
      assert_non_null(p);
      p++;
    } else {
      assert_int_equal(benchy_buf_append(&b, p++, 1), 0);
    }
  }
  assert_int_equal(benchy_buf_terminate(&b), 0);
  return b.data;
}

/* The events from the finish chunk on, one payload a line, ids blanked. */
static char *stream_ending(benchy_sim *sim, const char *path, const char *body) {
  resp *r = post(sim, path, body);
  assert_int_equal(r->status, 200);
  sse *s = parse_sse(r);
  size_t first = 0;
  while (first < s->n && !cJSON_IsString(at(s->ev[first].json, "choices.0.finish_reason"))) first++;
  assert_true(first < s->n);
  benchy_buf b = {0};
  for (size_t i = first; i < s->n; i++) {
    assert_int_equal(benchy_buf_append_str(&b, s->ev[i].data), 0);
    assert_int_equal(benchy_buf_append_str(&b, "\n"), 0);
  }
  assert_int_equal(benchy_buf_terminate(&b), 0);
  char *out = blank_ids(b.data);
  benchy_buf_free(&b);
  sse_free(s);
  resp_free(r);
  return out;
}

/* A whole non-streamed body, ids blanked. */
static char *body_of(benchy_sim *sim, const char *path, const char *body) {
  resp *r = post(sim, path, body);
  assert_int_equal(r->status, 200);
  char *out = blank_ids(r->body.data);
  resp_free(r);
  return out;
}

#define CHAT_REQ(more) \
  "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":3,\"cache_prompt\":false" more "}"
#define TEXT_REQ(more) "{\"prompt\":\"Once upon\",\"max_tokens\":3,\"cache_prompt\":false" more "}"
#define STREAM ",\"stream\":true"
#define USAGE ",\"stream\":true,\"stream_options\":{\"include_usage\":true}"

static const struct ending_req {
  const char *path, *body;
  int streamed;
} ending_reqs[] = {
    {"/v1/chat/completions", CHAT_REQ(USAGE), 1}, {"/v1/chat/completions", CHAT_REQ(STREAM), 1},
    {"/v1/completions", TEXT_REQ(USAGE), 1},      {"/v1/completions", TEXT_REQ(STREAM), 1},
    {"/v1/chat/completions", CHAT_REQ(""), 0},    {"/v1/completions", TEXT_REQ(""), 0},
};
#define N_ENDINGS (sizeof ending_reqs / sizeof ending_reqs[0])

/* Field order, nulls and where usage and timings go are each server's own;
 * clients are tested against exactly these shapes. want: by ending_reqs. */
static void check_endings(const char *flavour, const char *const want[N_ENDINGS]) {
  benchy_sim *sim = test_sim_start("flavour", flavour, "no-stamp", "true", "decode-tps", "1000", NULL);
  for (size_t i = 0; i < N_ENDINGS; i++) {
    const struct ending_req *q = &ending_reqs[i];
    char *got = q->streamed ? stream_ending(sim, q->path, q->body) : body_of(sim, q->path, q->body);
    assert_string_equal(got, want[i]);
    free(got);
  }
  test_sim_stop(sim);
}

static void test_endings_llama(void **state) {
  (void)state;
  static const char *const want[N_ENDINGS] = {
      "{\"choices\":[{\"finish_reason\":\"length\",\"index\":0,\"delta\":{}}],\"created\":0,"
      "\"id\":\"ID\",\"model\":\"sim\",\"system_fingerprint\":\"benchy-sim-" BENCHY_VERSION_STRING "\","
      "\"object\":\"chat.completion.chunk\"}\n"
      "{\"choices\":[],\"created\":0,\"id\":\"ID\",\"model\":\"sim\","
      "\"system_fingerprint\":\"benchy-sim-" BENCHY_VERSION_STRING "\",\"object\":\"chat.completion.chunk\","
      "\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":10,\"total_tokens\":13,"
      "\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"timings\":{\"cache_n\":0,"
      "\"prompt_n\":10,\"prompt_ms\":2.5,\"prompt_per_token_ms\":0.25,\"prompt_per_second\":4000,"
      "\"predicted_n\":3,\"predicted_ms\":2,\"predicted_per_token_ms\":0.666666667,"
      "\"predicted_per_second\":1500}}\n"
      "[DONE]\n",
      "{\"choices\":[{\"finish_reason\":\"length\",\"index\":0,\"delta\":{}}],\"created\":0,"
      "\"id\":\"ID\",\"model\":\"sim\",\"system_fingerprint\":\"benchy-sim-" BENCHY_VERSION_STRING "\","
      "\"object\":\"chat.completion.chunk\",\"timings\":{\"cache_n\":0,\"prompt_n\":10,"
      "\"prompt_ms\":2.5,\"prompt_per_token_ms\":0.25,\"prompt_per_second\":4000,\"predicted_n\":3,"
      "\"predicted_ms\":2,\"predicted_per_token_ms\":0.666666667,\"predicted_per_second\":1500}}\n"
      "[DONE]\n",
      "{\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],"
      "\"created\":0,\"id\":\"ID\",\"model\":\"sim\",\"system_fingerprint\":\"benchy-sim-" BENCHY_VERSION_STRING "\","
      "\"object\":\"text_completion\",\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":2,"
      "\"total_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"timings\":{\"cache_n\":0,"
      "\"prompt_n\":2,\"prompt_ms\":0.5,\"prompt_per_token_ms\":0.25,\"prompt_per_second\":4000,"
      "\"predicted_n\":3,\"predicted_ms\":2,\"predicted_per_token_ms\":0.666666667,"
      "\"predicted_per_second\":1500}}\n"
      "[DONE]\n",
      "{\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"length\"}],"
      "\"created\":0,\"id\":\"ID\",\"model\":\"sim\",\"system_fingerprint\":\"benchy-sim-" BENCHY_VERSION_STRING "\","
      "\"object\":\"text_completion\",\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":2,"
      "\"total_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"timings\":{\"cache_n\":0,"
      "\"prompt_n\":2,\"prompt_ms\":0.5,\"prompt_per_token_ms\":0.25,\"prompt_per_second\":4000,"
      "\"predicted_n\":3,\"predicted_ms\":2,\"predicted_per_token_ms\":0.666666667,"
      "\"predicted_per_second\":1500}}\n"
      "[DONE]\n",
      "{\"choices\":[{\"finish_reason\":\"length\",\"index\":0,\"message\":{\"role\":\"assistant\","
      "\"content\":\" over river lazy\"}}],\"created\":0,\"id\":\"ID\",\"model\":\"sim\","
      "\"system_fingerprint\":\"benchy-sim-" BENCHY_VERSION_STRING "\",\"object\":\"chat.completion\","
      "\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":10,\"total_tokens\":13,"
      "\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"timings\":{\"cache_n\":0,"
      "\"prompt_n\":10,\"prompt_ms\":2.5,\"prompt_per_token_ms\":0.25,\"prompt_per_second\":4000,"
      "\"predicted_n\":3,\"predicted_ms\":2,\"predicted_per_token_ms\":0.666666667,"
      "\"predicted_per_second\":1500}}",
      "{\"choices\":[{\"text\":\" center measure result\",\"index\":0,\"logprobs\":null,"
      "\"finish_reason\":\"length\"}],\"created\":0,\"id\":\"ID\",\"model\":\"sim\","
      "\"system_fingerprint\":\"benchy-sim-" BENCHY_VERSION_STRING "\",\"object\":\"text_completion\","
      "\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":2,\"total_tokens\":5,"
      "\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"timings\":{\"cache_n\":0,"
      "\"prompt_n\":2,\"prompt_ms\":0.5,\"prompt_per_token_ms\":0.25,\"prompt_per_second\":4000,"
      "\"predicted_n\":3,\"predicted_ms\":2,\"predicted_per_token_ms\":0.666666667,"
      "\"predicted_per_second\":1500}}",
  };
  check_endings("llama", want);
}

static void test_endings_vllm(void **state) {
  (void)state;
  static const char *const want[N_ENDINGS] = {
      "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,"
      "\"finish_reason\":\"length\",\"stop_reason\":null}]}\n"
      "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":10,\"total_tokens\":13,"
      "\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,"
      "\"finish_reason\":\"length\",\"stop_reason\":null}]}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"length\","
      "\"stop_reason\":null}]}\n"
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\",\"choices\":[],"
      "\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":2,\"total_tokens\":5,"
      "\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"length\","
      "\"stop_reason\":null}]}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\" over river lazy\"},"
      "\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"completion_tokens\":3,"
      "\"prompt_tokens\":10,\"total_tokens\":13,\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"text\":\" center measure result\",\"logprobs\":null,"
      "\"finish_reason\":\"length\"}],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":2,"
      "\"total_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
  };
  check_endings("vllm", want);
}

static void test_endings_sglang(void **state) {
  (void)state;
  static const char *const want[N_ENDINGS] = {
      "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":null,\"reasoning_content\":null,"
      "\"tool_calls\":null},\"logprobs\":null,\"finish_reason\":\"length\",\"matched_stop\":null}],"
      "\"usage\":null}\n"
      "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":10,\"total_tokens\":13,"
      "\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"chat.completion.chunk\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":null,\"reasoning_content\":null,"
      "\"tool_calls\":null},\"logprobs\":null,\"finish_reason\":\"length\",\"matched_stop\":null}],"
      "\"usage\":null}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"length\","
      "\"matched_stop\":null}],\"usage\":null}\n"
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\",\"choices\":[],"
      "\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":2,\"total_tokens\":5,"
      "\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"length\","
      "\"matched_stop\":null}],\"usage\":null}\n"
      "[DONE]\n",
      "{\"id\":\"ID\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\" over river lazy\"},"
      "\"logprobs\":null,\"finish_reason\":\"length\"}],\"usage\":{\"completion_tokens\":3,"
      "\"prompt_tokens\":10,\"total_tokens\":13,\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
      "{\"id\":\"ID\",\"object\":\"text_completion\",\"created\":0,\"model\":\"sim\","
      "\"choices\":[{\"index\":0,\"text\":\" center measure result\",\"logprobs\":null,"
      "\"finish_reason\":\"length\"}],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":2,"
      "\"total_tokens\":5,\"prompt_tokens_details\":{\"cached_tokens\":0},"
      "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
  };
  check_endings("sglang", want);
}

static void test_decode_timing(void **state) {
  (void)state;
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("decode-tps", "100", "overhead-ms", "5", "batch-slowdown", "0", NULL);
    resp *r;
    sse *s = stream_chat(sim, "\"cache_prompt\":false", 20, &r);
    double seconds = (double)(r->t_end - r->t_start) / 1e9;
    if (!(seconds > 0.15 && seconds < 2.0))
      test_timing_miss("20 tokens at 100 tok/s took %.3f s, want (0.15, 2.0)", seconds);
    int64_t prev = 0;
    for (size_t i = 0; i < s->n; i++) {
      if (!s->ev[i].json || !ev_tokens(&s->ev[i])) continue;
      if (prev) assert_int_equal(ev_sched(&s->ev[i]) - prev, 10000000);
      prev = ev_sched(&s->ev[i]);
    }
    const cJSON *tm = at(s->ev[s->n - 2].json, "timings");
    assert_true(fabs(num_at(tm, "predicted_ms") - 190.0) < 1e-6);
    check_stamps(s);
    sse_free(s);
    resp_free(r);
    test_sim_stop(sim);
  }
}

/* ---- concurrency: threads each doing one blocking request ---- */

typedef struct job {
  benchy_sim *sim;
  const char *body;
  resp *r;
  pthread_t thread;
  char url[256]; /* url() is not for threads: filled before they start */
} job;

static void *run_job(void *arg) {
  job *j = arg;
  j->r = request_on(NULL, j->url, j->body, 0);
  return NULL;
}

static void run_jobs(job *jobs, int n) {
  for (int i = 0; i < n; i++) snprintf(jobs[i].url, sizeof jobs[i].url, "%s", url(jobs[i].sim, "/v1/chat/completions"));
  for (int i = 0; i < n; i++) assert_int_equal(pthread_create(&jobs[i].thread, NULL, run_job, &jobs[i]), 0);
  for (int i = 0; i < n; i++) pthread_join(jobs[i].thread, NULL);
}

static void test_slots_fifo(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("slots", "1", "decode-tps", "500", "overhead-ms", "0", NULL);
  char *body = chat_body("\"cache_prompt\":false", 10, 1, "queue");
  job jobs[3];
  for (int i = 0; i < 3; i++) jobs[i] = (job){.sim = sim, .body = body};
  run_jobs(jobs, 3);
  /* One slot: each stream's first token comes after another's last. */
  int64_t first[3], last[3];
  for (int i = 0; i < 3; i++) {
    sse *s = parse_sse(jobs[i].r);
    assert_true(s->done);
    first[i] = ev_sched(&s->ev[1]);
    last[i] = ev_sched(&s->ev[s->n - 2]);
    sse_free(s);
    resp_free(jobs[i].r);
  }
  for (int i = 0; i < 3; i++)
    for (int k = 0; k < 3; k++)
      if (i != k) assert_true(first[i] > last[k] || last[i] < first[k]);
  free(body);
  test_sim_stop(sim);
}

static void test_batch_slowdown(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("slots", "2", "decode-tps", "100", "batch-slowdown", "1", NULL);
  /* Long enough (300 ms) that the two overlap however late one thread starts. */
  char *body = chat_body("\"cache_prompt\":false", 30, 1, "two at once");
  job jobs[2] = {{.sim = sim, .body = body}, {.sim = sim, .body = body}};
  run_jobs(jobs, 2);
  int saw_double = 0;
  for (int i = 0; i < 2; i++) {
    sse *s = parse_sse(jobs[i].r);
    int64_t prev = 0;
    for (size_t k = 0; k < s->n; k++) {
      if (!s->ev[k].json || !ev_tokens(&s->ev[k])) continue;
      int64_t t = ev_sched(&s->ev[k]);
      /* 10 ms alone, 20 ms while the other one decodes too. */
      if (prev) assert_true(t - prev == 10000000 || t - prev == 20000000);
      if (prev && t - prev == 20000000) saw_double = 1;
      prev = t;
    }
    sse_free(s);
    resp_free(jobs[i].r);
  }
  assert_true(saw_double);
  free(body);
  test_sim_stop(sim);
}

static void test_determinism(void **state) {
  (void)state;
  char *texts[2];
  int64_t gaps[2][8];
  for (int run = 0; run < 2; run++) {
    benchy_sim *sim = test_sim_start("seed", "42", "jitter", "0.5", "decode-tps", "1000", NULL);
    sse *s = stream_chat(sim, NULL, 9, NULL);
    benchy_buf text = {0};
    int64_t prev = 0;
    int g = 0;
    for (size_t i = 0; i < s->n; i++) {
      if (!s->ev[i].json || !ev_tokens(&s->ev[i])) continue;
      benchy_buf_append_str(&text, str_at(s->ev[i].json, "choices.0.delta.content"));
      if (prev) gaps[run][g++] = ev_sched(&s->ev[i]) - prev;
      prev = ev_sched(&s->ev[i]);
    }
    assert_int_equal(g, 8);
    benchy_buf_terminate(&text);
    texts[run] = text.data;
    sse_free(s);
    test_sim_stop(sim);
  }
  assert_string_equal(texts[0], texts[1]);
  int varied = 0;
  for (int g = 0; g < 8; g++) {
    assert_int_equal(gaps[0][g], gaps[1][g]);
    assert_true(gaps[0][g] >= 500000 && gaps[0][g] <= 1500000);
    if (gaps[0][g] != 1000000) varied = 1;
  }
  assert_true(varied);
  free(texts[0]);
  free(texts[1]);
}

static benchy_sim *fault_sim(const char *fault, const char *extra_name, const char *extra_value) {
  return test_sim_start(fault, "1", "decode-tps", "1000", extra_name, extra_value, NULL);
}

static void test_faults(void **state) {
  (void)state;
  benchy_sim_stats st = {.struct_size = sizeof st};

  benchy_sim *sim = fault_sim("fault-429", NULL, NULL);
  resp *r = post(sim, "/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}");
  assert_non_null(strstr(r->headers.data, "Retry-After:"));
  assert_error(r, 429, "rate_limit_error", "--fault-429");
  r = get(sim, "/health"); /* other endpoints are never faulted */
  assert_int_equal(r->status, 200);
  resp_free(r);
  benchy_sim_get_stats(sim, &st);
  assert_int_equal(st.faults, 1);
  test_sim_stop(sim);

  sim = fault_sim("fault-500", NULL, NULL);
  assert_error(post(sim, "/v1/completions", "{\"prompt\":\"x\"}"), 500, "server_error", "--fault-500");
  test_sim_stop(sim);

  /* Disconnect: the stream stops half-way, without [DONE] or the last chunk. */
  sim = fault_sim("fault-disconnect", NULL, NULL);
  char *body = chat_body(NULL, 10, 1, "x");
  r = post(sim, "/v1/chat/completions", body);
  assert_int_not_equal(r->rc, CURLE_OK);
  sse *s = parse_sse(r);
  assert_false(s->done);
  int64_t tokens = 0;
  for (size_t i = 0; i < s->n; i++) tokens += s->ev[i].json ? ev_tokens(&s->ev[i]) : 0;
  assert_int_equal(tokens, 5); /* through token (10-1)/2, the fifth */
  sse_free(s);
  resp_free(r);
  benchy_sim_get_stats(sim, &st);
  assert_int_equal(st.faults, 1);
  test_sim_stop(sim);

  /* Malformed: one event is not JSON; the stream goes on to [DONE]. */
  sim = fault_sim("fault-malformed", NULL, NULL);
  r = post(sim, "/v1/chat/completions", body);
  assert_int_equal(r->rc, CURLE_OK);
  s = parse_sse(r);
  assert_true(s->done);
  int bad = 0;
  for (size_t i = 0; i + 1 < s->n; i++) bad += s->ev[i].json == NULL;
  assert_int_equal(bad, 1);
  sse_free(s);
  resp_free(r);
  test_sim_stop(sim);

  /* Error chunk: 200, then an error object ends the stream. */
  sim = fault_sim("fault-error-chunk", NULL, NULL);
  r = post(sim, "/v1/chat/completions", body);
  assert_int_equal(r->rc, CURLE_OK);
  assert_int_equal(r->status, 200);
  s = parse_sse(r);
  assert_false(s->done);
  assert_string_equal(str_at(s->ev[s->n - 1].json, "error.type"), "server_error");
  sse_free(s);
  resp_free(r);
  test_sim_stop(sim);

  /* Stall: one gap of stall-ms in the model times and on the wire. */
  sim = fault_sim("fault-stall", "stall-ms", "300");
  r = post(sim, "/v1/chat/completions", body);
  s = parse_sse(r);
  assert_true(s->done);
  int64_t longest = 0, prev = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (!s->ev[i].json || !ev_tokens(&s->ev[i])) continue;
    if (prev && ev_sched(&s->ev[i]) - prev > longest) longest = ev_sched(&s->ev[i]) - prev;
    prev = ev_sched(&s->ev[i]);
  }
  assert_true(longest >= 300000000 && longest < 310000000);
  assert_true(r->t_end - r->t_start >= 300000000);
  sse_free(s);
  resp_free(r);
  test_sim_stop(sim);

  /* Slow headers: nothing at all for slow-headers-ms. */
  sim = fault_sim("fault-slow-headers", "slow-headers-ms", "300");
  r = post(sim, "/v1/chat/completions", body);
  assert_int_equal(r->status, 200);
  assert_true(r->ttfb_s >= 0.3 && r->ttfb_s < 5.0);
  resp_free(r);
  benchy_sim_get_stats(sim, &st);
  assert_int_equal(st.faults, 1);
  test_sim_stop(sim);
  free(body);
}

static void test_fault_rate_is_seeded(void **state) {
  (void)state;
  int pattern[2][20];
  for (int run = 0; run < 2; run++) {
    benchy_sim *sim = test_sim_start("fault-429", "0.5", "seed", "7", "decode-tps", "5000", NULL);
    for (int i = 0; i < 20; i++) {
      resp *r = post(sim, "/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1}");
      pattern[run][i] = (int)r->status;
      resp_free(r);
    }
    test_sim_stop(sim);
  }
  int n429 = 0;
  for (int i = 0; i < 20; i++) {
    assert_int_equal(pattern[0][i], pattern[1][i]);
    n429 += pattern[0][i] == 429;
  }
  assert_true(n429 > 0 && n429 < 20);
}

static void test_client_disconnect_frees_slot(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("slots", "1", "decode-tps", "200", NULL);
  char *body = chat_body(NULL, 100000, 1, "long");
  /* Read the first event, then hang up: the stream would last 500 s. */
  resp *r = request_on(NULL, url(sim, "/v1/chat/completions"), body, 10);
  assert_int_equal(r->rc, CURLE_WRITE_ERROR);
  resp_free(r);
  free(body);
  body = chat_body(NULL, 2, 0, "next");
  r = post(sim, "/v1/chat/completions", body);
  assert_int_equal(r->status, 200);
  assert_true(r->t_end - r->t_start < 5000000000LL);
  resp_free(r);
  free(body);
  test_sim_stop(sim);
}

static void test_http_details(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("no-stamp", "true", "decode-tps", "2000", NULL);
  /* Expect: 100-continue is answered: curl would otherwise wait 10 s. */
  CURL *h = curl_easy_init();
  struct curl_slist *hdrs = curl_slist_append(NULL, "Expect: 100-continue");
  resp *r = calloc(1, sizeof *r);
  char *body = chat_body(NULL, 3, 1, "expect");
  curl_easy_setopt(h, CURLOPT_URL, url(sim, "/v1/chat/completions"));
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS, 10000L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
  int64_t t0 = benchy_now_ns();
  assert_int_equal(curl_easy_perform(h), CURLE_OK);
  assert_true(benchy_now_ns() - t0 < 5000000000LL);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  assert_int_equal(r->status, 200);
  benchy_buf_terminate(&r->body);
  /* --no-stamp: no x_benchy anywhere. */
  assert_null(strstr(r->body.data, "x_benchy"));
  assert_non_null(strstr(r->body.data, "data: [DONE]"));
  resp_free(r);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
  free(body);
  /* HTTP/1.0 means close after the response. */
  h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_0);
  r = request_on(h, url(sim, "/health"), NULL, 0);
  assert_int_equal(r->status, 200);
  assert_non_null(strstr(r->headers.data, "Connection: close"));
  resp_free(r);
  curl_easy_cleanup(h);
  test_sim_stop(sim);
}

/* --reuse-port: two simulators share one port and the kernel spreads new
 * connections over both; without it the second cannot listen. */
static void test_reuse_port(void **state) {
  (void)state;
  benchy_sim *a = test_sim_start("reuse-port", "true", "model", "sim-a", NULL);
  char port[16];
  snprintf(port, sizeof port, "%d", benchy_sim_port(a));
  benchy_sim *b = test_sim_start("reuse-port", "true", "model", "sim-b", "port", port, NULL);
  assert_int_equal(benchy_sim_port(b), benchy_sim_port(a));
  benchy_loop *loop = NULL;
  benchy_session *session = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&session, loop, benchy_sim_base_url(a)), BENCHY_OK);
  int seen_a = 0, seen_b = 0;
  /* Each fetch opens its own connection; missing one simulator in 64 of
   * them has probability 2^-63 when the kernel spreads them evenly. */
  for (int i = 0; i < 64 && !(seen_a && seen_b); i++) {
    int http = 0;
    char *body = NULL;
    assert_int_equal(benchy_session_fetch(session, "GET", "/models", NULL, &http, &body), BENCHY_OK);
    seen_a |= strstr(body, "\"sim-a\"") != NULL;
    seen_b |= strstr(body, "\"sim-b\"") != NULL;
    free(body);
  }
  assert_true(seen_a);
  assert_true(seen_b);
  benchy_session_free(session);
  benchy_loop_free(loop);
  test_sim_stop(b);
  test_sim_stop(a);
}

/* Sends raw bytes and returns the status code of the first response. */
static int raw_status(benchy_sim *sim, const char *request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)benchy_sim_port(sim))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(send(fd, request, strlen(request), MSG_NOSIGNAL), (ssize_t)strlen(request));
  char reply[256] = "";
  size_t got = 0;
  while (got < 12) {
    ssize_t n = recv(fd, reply + got, sizeof reply - 1 - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  int status = 0;
  if (got >= 12 && !strncmp(reply, "HTTP/1.1 ", 9)) status = atoi(reply + 9);
  return status;
}

/* A Content-Length that is empty or longer than any number we take is a
 * 400, not whatever lay in memory after it. */
static void test_bad_content_length(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start(NULL);
  assert_int_equal(raw_status(sim, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n"),
                   400);
  assert_int_equal(raw_status(sim, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                   "00000000000000000000000000000000031\r\n\r\n"),
                   400);
  assert_int_equal(raw_status(sim, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), 200);
  test_sim_stop(sim);
}

/* A full cache evicts a prefix's last blocks first: what stays is still a
 * usable prefix. */
static void test_prefix_cache_evicts_tails(void **state) {
  (void)state;
  sim_cache c;
  sim_cache_init(&c, 4);
  const uint64_t a[] = {101, 102, 103}, b[] = {201, 202};
  sim_cache_insert(&c, a, 3);
  assert_int_equal(sim_cache_lookup(&c, a, 3), 3);
  sim_cache_insert(&c, b, 2); /* five blocks in four: one of a's goes */
  assert_int_equal(sim_cache_lookup(&c, b, 2), 2);
  assert_int_equal(sim_cache_lookup(&c, a, 3), 2); /* its head survives */
  sim_cache_free(&c);
}

static void test_start_errors(void **state) {
  (void)state;
  benchy_options *o = NULL;
  benchy_sim *sim = NULL;
  char err[256];
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_SIM), BENCHY_OK);
  benchy_options_set(o, "port", "0");
  benchy_options_set(o, "tokens-per-chunk", "5-2");
  assert_int_equal(benchy_sim_start(&sim, o, err, sizeof err), BENCHY_ERR_INVALID);
  assert_null(sim);
  assert_non_null(strstr(err, "--tokens-per-chunk"));
  benchy_options_set(o, "tokens-per-chunk", "2");
  benchy_sim *first = NULL;
  assert_int_equal(benchy_sim_start(&first, o, err, sizeof err), BENCHY_OK);
  char port[16];
  snprintf(port, sizeof port, "%d", benchy_sim_port(first));
  benchy_options_set(o, "port", port);
  assert_int_equal(benchy_sim_start(&sim, o, err, sizeof err), BENCHY_ERR_IO);
  assert_non_null(strstr(err, "cannot listen"));
  test_sim_stop(first);
  test_sim_stop(NULL);
  benchy_options_free(o);
  assert_non_null(strstr(benchy_sim_model_text(), "prefill-tps"));
}

int main(void) {
  curl_global_init(CURL_GLOBAL_ALL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tokenizer),
      cmocka_unit_test(test_small_endpoints),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_tokenize_endpoints),
      cmocka_unit_test(test_stream_chunks),
      cmocka_unit_test(test_reasoning),
      cmocka_unit_test(test_tools),
      cmocka_unit_test(test_prefix_cache),
      cmocka_unit_test(test_flavour_llama_closes),
      cmocka_unit_test(test_flavour_vllm),
      cmocka_unit_test(test_flavour_sglang),
      cmocka_unit_test(test_endings_llama),
      cmocka_unit_test(test_endings_vllm),
      cmocka_unit_test(test_endings_sglang),
      cmocka_unit_test(test_decode_timing),
      cmocka_unit_test(test_slots_fifo),
      cmocka_unit_test(test_batch_slowdown),
      cmocka_unit_test(test_determinism),
      cmocka_unit_test(test_faults),
      cmocka_unit_test(test_fault_rate_is_seeded),
      cmocka_unit_test(test_client_disconnect_frees_slot),
      cmocka_unit_test(test_http_details),
      cmocka_unit_test(test_reuse_port),
      cmocka_unit_test(test_bad_content_length),
      cmocka_unit_test(test_prefix_cache_evicts_tails),
      cmocka_unit_test(test_start_errors),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
