/*
 * test_session.c — the streaming core (loop, session, request) through the
 * public API, against the in-process simulator whose timing is known.
 * Structure, counts and ordering are asserted exactly; times only within
 * generous bounds (these machines are shared and noisy).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#include "report/record_json.h"
#include "testutil.h"

typedef struct sim_fixture {
  benchy_sim *sim;
  benchy_loop *loop;
  benchy_session *session;
} sim_fixture;

/* Starts a simulator with the given "name=value" options (NULL-terminated). */
static benchy_sim *start_sim(const char *first, ...) {
  char names[32][64];
  const char *pairs[65];
  size_t n = 0;
  va_list ap;
  va_start(ap, first);
  for (const char *kv = first; kv && n < 64; kv = va_arg(ap, const char *)) {
    const char *eq = strchr(kv, '=');
    assert_non_null(eq);
    char *name = names[n / 2];
    snprintf(name, sizeof names[0], "%.*s", (int)(eq - kv), kv);
    pairs[n++] = name;
    pairs[n++] = eq + 1;
  }
  va_end(ap);
  pairs[n] = NULL;
  return test_sim_start_lists(NULL, pairs);
}

static void open_client(sim_fixture *f) {
  assert_int_equal(benchy_loop_new(&f->loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&f->session, f->loop, benchy_sim_base_url(f->sim)), BENCHY_OK);
}

static void close_all(sim_fixture *f) {
  benchy_session_free(f->session);
  benchy_loop_free(f->loop);
  test_sim_stop(f->sim);
}

static const char *chat_body(int max_tokens, char *buf, size_t len) {
  snprintf(buf, len,
           "{\"model\":\"sim\",\"max_tokens\":%d,\"messages\":[{\"role\":\"user\",\"content\":"
           "\"Hello there, how are you today?\"}]}",
           max_tokens);
  return buf;
}

typedef struct collected {
  int done_calls;
  int chunk_calls;
  int64_t last_chunk_t;
  int ordered; /* chunk times never go backwards */
  benchy_record rec;
} collected;

static void count_chunk(benchy_request *r, const benchy_chunk_event *ev, const char *text,
                        size_t len, void *ud) {
  collected *c = ud;
  if (ev->t_ns < c->last_chunk_t) c->ordered = 0;
  c->last_chunk_t = ev->t_ns;
  c->chunk_calls++;
}

static void keep_record(benchy_request *r, const benchy_record *rec, void *ud) {
  collected *c = ud;
  c->done_calls++;
  c->rec = *rec;
}

static void test_version_and_status(void **state) {
  assert_int_equal(benchy_version_number(), BENCHY_VERSION_NUMBER);
  assert_string_equal(benchy_version_string(), BENCHY_VERSION_STRING);
  assert_string_equal(benchy_status_name(BENCHY_ERR_TIMEOUT), "ERR_TIMEOUT");
  assert_string_equal(benchy_status_name(9999), "UNKNOWN");
  assert_non_null(strstr(benchy_status_message(BENCHY_ERR_RATE_LIMITED), "429"));
  /* The clock of a set of reads, as records and load levels name it. */
  assert_int_equal(benchy_rx_clock_of(0, 0), BENCHY_RX_CLOCK_NONE);
  assert_int_equal(benchy_rx_clock_of(5, 5), BENCHY_RX_CLOCK_KERNEL);
  assert_int_equal(benchy_rx_clock_of(5, 0), BENCHY_RX_CLOCK_READ);
  assert_int_equal(benchy_rx_clock_of(5, 2), BENCHY_RX_CLOCK_MIXED);
  /* free(NULL) is a no-op everywhere. */
  benchy_loop_free(NULL);
  benchy_session_free(NULL);
  benchy_request_free(NULL);
  benchy_sim_stop(NULL); /* the public API itself, not a simulator to account for */
  benchy_result_free(NULL);
  benchy_options_free(NULL);
}

static void test_bad_arguments(void **state) {
  sim_fixture f = {0};
  assert_int_equal(benchy_loop_new(&f.loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&f.session, f.loop, "ftp://x"), BENCHY_ERR_INVALID);
  assert_null(f.session);
  assert_int_equal(benchy_session_new(&f.session, f.loop, "http://127.0.0.1:1/v1"), BENCHY_OK);
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT, "{not json"),
                   BENCHY_ERR_INVALID);
  assert_null(r);
  assert_non_null(strstr(benchy_session_error(f.session), "not a JSON object"));
  assert_int_equal(benchy_session_add_header(f.session, "no colon here"), BENCHY_ERR_INVALID);
  benchy_session_free(f.session);
  benchy_loop_free(f.loop);
}

/* One stream: timestamps ordered, counts exact, TTFT near the model's. */
static void test_stream_matches_model(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    sim_fixture f = {0};
    f.sim = start_sim("prefill-tps=4000", "decode-tps=200", "overhead-ms=20", "tokens-per-chunk=1",
                      "flavour=llama", NULL);
    open_client(&f);
    char body[512];
    benchy_request *r = NULL;
    assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT, chat_body(20, body, sizeof body)),
                     BENCHY_OK);
    collected c = {.ordered = 1};
    assert_int_equal(benchy_request_set_flags(r, BENCHY_KEEP_CHUNKS | BENCHY_KEEP_TEXT), BENCHY_OK);
    benchy_request_set_on_chunk(r, count_chunk, &c);
    benchy_request_set_on_done(r, keep_record, &c);
    assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
    assert_int_equal(benchy_request_start(r, 0), BENCHY_ERR_STATE); /* already in flight */
    assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);

    const benchy_record *rec = benchy_request_record(r);
    assert_int_equal(c.done_calls, 1);
    assert_int_equal(rec->status, BENCHY_OK);
    assert_null(rec->error);
    assert_int_equal(rec->http_status, 200);
    assert_int_equal(rec->usage_completion_tokens, 20);
    assert_int_equal(rec->output_tokens, 20);
    assert_int_equal(rec->count_method, BENCHY_COUNT_USAGE);
    assert_int_equal(rec->token_chunks, 20);
    assert_int_equal(rec->server_chunk_tokens, 20);
    assert_true(rec->usage_prompt_tokens > 0);
    assert_string_equal(rec->finish_reason, "length");
    assert_true(rec->timings.present);
    assert_int_equal(rec->timings.predicted_n, 20);
    assert_int_equal(rec->itl_count, 19);
    assert_non_null(rec->content);
    assert_true(strlen(rec->content) > 0);
    /* role chunk + 20 token chunks + finish/usage chunks; [DONE] not counted. */
    assert_int_equal(c.chunk_calls, (int)rec->chunks);
    assert_int_equal(rec->n_chunk_events, (size_t)rec->chunks);
    assert_true(c.ordered);
    /* Timestamps in causal order. */
    assert_true(rec->t_scheduled <= rec->t_dispatched);
    assert_true(rec->t_dispatched <= rec->t_sent);
    assert_true(rec->t_sent <= rec->t_first_byte);
    assert_true(rec->t_first_byte <= rec->t_first_chunk);
    assert_true(rec->t_first_chunk <= rec->t_first_token);
    assert_int_equal(rec->t_first_token, rec->t_first_content);
    assert_int_equal(rec->t_first_reasoning, 0);
    /* <=, not <: a slow client may find every chunk in one socket read, and
     * then they honestly share one receive time. */
    assert_true(rec->t_first_token <= rec->t_last_token);
    assert_true(rec->t_last_token <= rec->t_done);
    /* Every chunk carries the simulator's send stamp, never after receipt. */
    for (size_t i = 0; i < rec->n_chunk_events; i++) {
      const benchy_chunk_event *ev = &rec->chunk_events[i];
      assert_true(ev->server_send_ns > 0);
      assert_true(ev->server_send_ns <= ev->t_ns);
    }
    /* Model: TTFT = 20 ms overhead + prompt/4000 s; decode 19 gaps of 5 ms.
     * A stall moves both: the simulator sends what fell due during it at
     * once, shortening the decode we measure (to nothing, when every token
     * arrives in one read). No stall brings the first token before the
     * overhead, so that bound stays hard. */
    double ttft_ms = benchy_record_ttft_ns(rec) / 1e6;
    double decode_ms = (rec->t_last_token - rec->t_first_token) / 1e6;
    assert_true(ttft_ms >= 20.0);
    if (!test_timing_unreliable()) {
      if (!(ttft_ms < 20.0 + 500.0)) test_timing_miss("TTFT %.2f ms, want < 520 ms", ttft_ms);
      if (!(decode_ms >= 19 * 5.0 * 0.9 && decode_ms < 19 * 5.0 * 10))
        test_timing_miss("decode %.2f ms, want [%.1f, %.1f) (19 gaps of 5 ms)", decode_ms, 19 * 5.0 * 0.9,
                         19 * 5.0 * 10);
    }
    if (!(benchy_record_tpot_ns(rec) > 0))
      test_timing_miss("TPOT %lld ns, want > 0", (long long)benchy_record_tpot_ns(rec));

    benchy_loop_counters counters = {.struct_size = sizeof counters};
    benchy_loop_get_counters(f.loop, &counters);
    assert_int_equal(counters.requests_done, 1);
    assert_true(counters.socket_reads >= 1);

    benchy_request_free(r);
    close_all(&f);
  }
}

/* Several tokens per chunk: counts stay exact, chunks fewer. */
static void test_multi_token_chunks(void **state) {
  sim_fixture f = {0};
  f.sim = start_sim("decode-tps=1000", "tokens-per-chunk=4", "overhead-ms=1", NULL);
  open_client(&f);
  char body[512];
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT, chat_body(33, body, sizeof body)),
                   BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(r);
  assert_int_equal(rec->status, BENCHY_OK);
  assert_int_equal(rec->output_tokens, 33);
  assert_int_equal(rec->server_chunk_tokens, 33);
  /* First chunk one token, then 4 per chunk: 1 + ceil(32/4) = 9. */
  assert_int_equal(rec->token_chunks, 9);
  benchy_request_free(r);
  close_all(&f);
}

static void test_completions_and_reasoning(void **state) {
  sim_fixture f = {0};
  f.sim = start_sim("decode-tps=2000", "reasoning-tokens=5", "overhead-ms=1", NULL);
  open_client(&f);
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT,
                                      "{\"model\":\"sim\",\"max_tokens\":12,\"messages\":[{\"role\":"
                                      "\"user\",\"content\":\"think\"}]}"),
                   BENCHY_OK);
  assert_int_equal(benchy_request_set_flags(r, BENCHY_KEEP_TEXT), BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(r);
  assert_int_equal(rec->status, BENCHY_OK);
  assert_true(rec->t_first_reasoning > 0);
  assert_true(rec->t_first_content >= rec->t_first_reasoning);
  assert_int_equal(rec->t_first_token, rec->t_first_reasoning);
  assert_int_equal(rec->usage_reasoning_tokens, 5);
  assert_true(strlen(rec->reasoning) > 0);
  benchy_request_free(r);

  assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_COMPLETIONS,
                                      "{\"model\":\"sim\",\"max_tokens\":7,\"prompt\":\"Once upon\"}"),
                   BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  rec = benchy_request_record(r);
  assert_int_equal(rec->status, BENCHY_OK);
  assert_int_equal(rec->output_tokens, 7);
  assert_true(rec->t_first_content > 0);
  benchy_request_free(r);
  close_all(&f);
}

static void test_tool_calls(void **state) {
  sim_fixture f = {0};
  f.sim = start_sim("decode-tps=2000", "overhead-ms=1", "tokens-per-chunk=3", NULL);
  open_client(&f);
  benchy_request *r = NULL;
  assert_int_equal(
      benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT,
                         "{\"model\":\"sim\",\"max_tokens\":24,\"messages\":[{\"role\":\"user\","
                         "\"content\":\"weather in Paris?\"}],\"tools\":[{\"type\":\"function\","
                         "\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
                         "\"properties\":{\"city\":{\"type\":\"string\"}}}}}]}"),
      BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(r);
  assert_int_equal(rec->status, BENCHY_OK);
  assert_int_equal(rec->n_tool_calls, 1);
  assert_string_equal(rec->tool_calls[0].name, "get_weather");
  assert_true(rec->tool_calls[0].id[0] != '\0');
  assert_true(rec->t_first_tool > 0);
  assert_int_equal(rec->t_first_token, rec->t_first_tool);
  assert_string_equal(rec->finish_reason, "tool_calls");
  assert_int_equal(rec->output_tokens, 24);
  benchy_request_free(r);
  close_all(&f);
}

/* llama-server closes the connection after every stream although it says
 * keep-alive: sequential requests on one session must all succeed, and none
 * may be sent on the connection the server is closing (each such send fails
 * and is retried on a fresh connection: a retry in the record, and a
 * dispatch-to-sent delay). The same when the server announces the close,
 * while a server that keeps connections still gets them reused. */
static void test_close_after_stream_is_not_an_error(void **state) {
  static const char *const modes[] = {"close-after-stream=yes", "close-after-stream=announced",
                                      "close-after-stream=no"};
  for (size_t m = 0; m < sizeof modes / sizeof modes[0]; m++) {
    sim_fixture f = {0};
    f.sim = start_sim("flavour=llama", modes[m], "decode-tps=5000", "overhead-ms=0", NULL);
    open_client(&f);
    char body[512];
    chat_body(3, body, sizeof body);
    enum { N = 20 };
    for (int i = 0; i < N; i++) {
      benchy_request *r = NULL;
      assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT, body), BENCHY_OK);
      assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
      assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
      const benchy_record *rec = benchy_request_record(r);
      if (rec->status != BENCHY_OK) fprintf(stderr, "%s, request %d: %s\n", modes[m], i, rec->error);
      assert_int_equal(rec->status, BENCHY_OK);
      assert_int_equal(rec->output_tokens, 3);
      if (rec->retries != 0) fail_msg("%s: request %d was retried on a fresh connection", modes[m], i);
      benchy_request_free(r);
    }
    benchy_loop_counters counters;
    benchy_loop_get_counters(f.loop, &counters);
    assert_int_equal(counters.retries, 0);
    /* Kept: reused (h1 opens a second one before it trusts the first, see
     * test_h1). Closed: one per request, none wasted on a retry. */
    if (m == 2) assert_true(counters.connections <= 2);
    else assert_int_equal(counters.connections, N);
    close_all(&f);
  }
}

typedef struct fleet {
  int done;
  int ok;
  int by_status[32];
} fleet;

static void fleet_done(benchy_request *r, const benchy_record *rec, void *ud) {
  fleet *fl = ud;
  fl->done++;
  if (rec->status == BENCHY_OK) fl->ok++;
  if (rec->status >= 0 && rec->status < 32) fl->by_status[rec->status]++;
  /* A failed request must say why. */
  if (rec->status != BENCHY_OK) assert_non_null(rec->error);
}

/* Runs n concurrent requests; every one completes exactly once. */
static void run_fleet(sim_fixture *f, int n, int max_tokens, fleet *fl) {
  benchy_request **rs = calloc((size_t)n, sizeof *rs);
  char body[512];
  chat_body(max_tokens, body, sizeof body);
  for (int i = 0; i < n; i++) {
    assert_int_equal(benchy_request_new(&rs[i], f->session, BENCHY_ENDPOINT_CHAT, body), BENCHY_OK);
    benchy_request_set_on_done(rs[i], fleet_done, fl);
    assert_int_equal(benchy_request_start(rs[i], 0), BENCHY_OK);
  }
  assert_int_equal(benchy_loop_in_flight(f->loop), (unsigned)n);
  assert_int_equal(benchy_loop_run(f->loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(benchy_loop_in_flight(f->loop), 0);
  for (int i = 0; i < n; i++) benchy_request_free(rs[i]);
  free(rs);
  assert_int_equal(fl->done, n);
}

/* Each fault alone: every request fails with the right status and a message. */
static void check_fault(const char *fault, int expected_status, const char *extra) {
  sim_fixture f = {0};
  char opt[64];
  snprintf(opt, sizeof opt, "%s=1", fault);
  f.sim = start_sim(opt, "decode-tps=2000", "overhead-ms=0", "stall-ms=3000", "slow-headers-ms=3000",
                    extra, NULL);
  open_client(&f);
  if (expected_status == BENCHY_ERR_TIMEOUT) benchy_session_set_timeout_ms(f.session, 700);
  fleet fl = {0};
  run_fleet(&f, 4, 16, &fl);
  assert_int_equal(fl.by_status[expected_status], 4);
  benchy_sim_stats stats = {.struct_size = sizeof stats};
  benchy_sim_get_stats(f.sim, &stats);
  assert_true(stats.faults >= 4);
  close_all(&f);
}

static void test_fault_429(void **state) { check_fault("fault-429", BENCHY_ERR_RATE_LIMITED, NULL); }
static void test_fault_500(void **state) { check_fault("fault-500", BENCHY_ERR_HTTP, NULL); }
static void test_fault_disconnect(void **state) {
  check_fault("fault-disconnect", BENCHY_ERR_DISCONNECT, NULL);
}
static void test_fault_malformed(void **state) {
  check_fault("fault-malformed", BENCHY_ERR_MALFORMED, NULL);
}
static void test_fault_error_chunk(void **state) {
  check_fault("fault-error-chunk", BENCHY_ERR_SERVER, NULL);
}
static void test_fault_stall_times_out(void **state) {
  check_fault("fault-stall", BENCHY_ERR_TIMEOUT, NULL);
}
static void test_fault_slow_headers_times_out(void **state) {
  check_fault("fault-slow-headers", BENCHY_ERR_TIMEOUT, NULL);
}

/* Mixed faults: failures are recorded, the other streams run to the end,
 * and no completed result is lost. */
static void test_mixed_faults_lose_nothing(void **state) {
  sim_fixture f = {0};
  f.sim = start_sim("fault-500=0.2", "fault-disconnect=0.2", "fault-malformed=0.2", "seed=7",
                    "decode-tps=3000", "overhead-ms=0", "slots=64", NULL);
  open_client(&f);
  fleet fl = {0};
  run_fleet(&f, 40, 20, &fl);
  int failed = fl.by_status[BENCHY_ERR_HTTP] + fl.by_status[BENCHY_ERR_DISCONNECT] +
               fl.by_status[BENCHY_ERR_MALFORMED];
  assert_int_equal(fl.ok + failed, 40);
  assert_true(fl.ok > 0);
  assert_true(failed > 0);
  benchy_sim_stats stats = {.struct_size = sizeof stats};
  benchy_sim_get_stats(f.sim, &stats);
  assert_int_equal((int)stats.faults, failed);
  close_all(&f);
}

static void test_connect_refused(void **state) {
  sim_fixture f = {0};
  assert_int_equal(benchy_loop_new(&f.loop), BENCHY_OK);
  /* Port 1 on loopback: nothing listens there. */
  assert_int_equal(benchy_session_new(&f.session, f.loop, "http://127.0.0.1:1/v1"), BENCHY_OK);
  benchy_request *r = NULL;
  char body[512];
  assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT, chat_body(4, body, sizeof body)),
                   BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(r);
  assert_int_equal(rec->status, BENCHY_ERR_CONNECT);
  assert_non_null(rec->error);
  benchy_request_free(r);
  benchy_session_free(f.session);
  benchy_loop_free(f.loop);
}

static void cancel_on_first_chunk(benchy_request *r, const benchy_chunk_event *ev, const char *text,
                                  size_t len, void *ud) {
  benchy_loop_stop(ud);
}

static void test_stop_and_cancel(void **state) {
  sim_fixture f = {0};
  f.sim = start_sim("decode-tps=50", "overhead-ms=0", NULL);
  open_client(&f);
  char body[512];
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT, chat_body(200, body, sizeof body)),
                   BENCHY_OK);
  collected c = {0};
  benchy_request_set_on_chunk(r, cancel_on_first_chunk, f.loop);
  benchy_request_set_on_done(r, keep_record, &c);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_ERR_CANCELLED);
  assert_true(benchy_request_in_flight(r));
  benchy_request_cancel(r);
  assert_false(benchy_request_in_flight(r));
  assert_int_equal(c.done_calls, 1);
  assert_int_equal(c.rec.status, BENCHY_ERR_CANCELLED);
  assert_true(c.rec.chunks >= 1);
  /* The finished request can be started again. */
  benchy_request_set_on_chunk(r, NULL, NULL);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  benchy_request_free(r); /* in flight: cancelled without on_done */
  assert_int_equal(c.done_calls, 1);
  assert_int_equal(benchy_loop_in_flight(f.loop), 0);
  close_all(&f);
}

typedef struct timer_log {
  int fired;
  int64_t at;
} timer_log;

static void on_timer(benchy_loop *loop, void *ud) {
  timer_log *t = ud;
  t->fired++;
  t->at = benchy_now_ns();
}

typedef struct chain {
  int left, fired, early;
  int64_t due;
} chain;

static void on_chain(benchy_loop *loop, void *ud) {
  chain *c = ud;
  if (c->due && benchy_now_ns() < c->due) c->early++;
  c->fired++;
  if (--c->left > 0) {
    c->due = benchy_now_ns() + 2000000;
    assert_true(benchy_loop_call_at(loop, c->due, on_chain, c));
  }
}

/* Re-arms itself for "now" every time it runs. */
static void on_rearm_now(benchy_loop *loop, void *ud) {
  int *fired = ud;
  (*fired)++;
  assert_true(benchy_loop_call_at(loop, 0, on_rearm_now, fired));
}

static void on_stop(benchy_loop *loop, void *ud) {
  (void)ud;
  benchy_loop_stop(loop);
}

static void test_timers(void **state) {
  benchy_loop *loop = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  timer_log a = {0}, b = {0};
  int64_t start = benchy_now_ns();
  uint64_t ida = benchy_loop_call_at(loop, start + 20 * 1000000, on_timer, &a);
  uint64_t idb = benchy_loop_call_at(loop, start + 10 * 1000000, on_timer, &b);
  assert_true(ida && idb && ida != idb);
  uint64_t idc = benchy_loop_call_at(loop, start + 5 * 1000000, on_timer, &b);
  benchy_loop_cancel_timer(loop, idc);
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(a.fired, 1);
  assert_int_equal(b.fired, 1);
  assert_true(b.at < a.at);
  assert_true(a.at - start >= 20 * 1000000);

  /* Deadlines in the past, at the clock's origin, and a timer that
   * schedules the next from its callback (as the open-loop runner does). */
  timer_log past = {0}, origin = {0};
  chain c = {.left = 3};
  assert_true(benchy_loop_call_at(loop, 1, on_timer, &past));
  assert_true(benchy_loop_call_at(loop, 0, on_timer, &origin));
  c.due = benchy_now_ns() + 1000000; /* the first firing is checked too */
  assert_true(benchy_loop_call_at(loop, c.due, on_chain, &c));
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(past.fired, 1);
  assert_int_equal(origin.fired, 1);
  assert_int_equal(c.fired, 3);
  assert_int_equal(c.early, 0); /* never before its deadline */

  /* A timer that keeps scheduling another for now yields to the loop
   * between passes: a later timer still fires (and stops the loop). */
  int rearmed = 0;
  assert_true(benchy_loop_call_at(loop, 0, on_rearm_now, &rearmed));
  assert_true(benchy_loop_call_at(loop, benchy_now_ns() + 20 * 1000000, on_stop, NULL));
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_ERR_CANCELLED); /* stopped */
  assert_true(rearmed > 1);
  benchy_loop_free(loop);
}

/* The API key goes to the server but is never in the record. */
static void test_api_key_not_recorded(void **state) {
  sim_fixture f = {0};
  f.sim = start_sim("decode-tps=5000", "overhead-ms=0", NULL);
  open_client(&f);
  assert_int_equal(benchy_session_set_api_key(f.session, "sk-secret-123"), BENCHY_OK);
  assert_int_equal(benchy_session_add_header(f.session, "X-Trace: abc"), BENCHY_OK);
  char body[512];
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, f.session, BENCHY_ENDPOINT_CHAT, chat_body(2, body, sizeof body)),
                   BENCHY_OK);
  assert_int_equal(benchy_request_set_tag(r, "greeting"), BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(r);
  assert_int_equal(rec->status, BENCHY_OK);
  assert_string_equal(rec->tag, "greeting");
  cJSON *json = record_to_json(rec, rec->t_scheduled, 1);
  char *text = cJSON_PrintUnformatted(json);
  assert_non_null(strstr(text, "\"greeting\""));
  assert_null(strstr(text, "sk-secret"));
  assert_null(strstr(text, "abc"));
  cJSON_free(text);
  cJSON_Delete(json);
  benchy_request_free(r);
  close_all(&f);
}

/* A client busy elsewhere must not make the chunks it reads later look
 * late: with kernel receive stamps, chunks that waited in the socket keep
 * their arrival times. The first chunk's callback stalls 100 ms while the
 * rest of the stream (1 ms apart) arrives. */
typedef struct stalled {
  int calls;
  int64_t max_delay_after_stall; /* t_ns - server_send_ns, chunks read after the stall */
  int read_after;                /* stamped chunks read after the stall */
  int stamps_ordered;            /* send <= t_ns <= when the callback ran, for every chunk */
} stalled;

static void stall_once(benchy_request *r, const benchy_chunk_event *ev, const char *text, size_t len,
                       void *ud) {
  stalled *st = ud;
  int64_t now = benchy_now_ns();
  if (ev->server_send_ns && (ev->server_send_ns > ev->t_ns || ev->t_ns > now)) st->stamps_ordered = 0;
  if (st->calls++ == 0) {
    struct timespec pause = {0, 100 * 1000000};
    nanosleep(&pause, NULL); /* the client being busy is what is under test */
  } else if (ev->server_send_ns) {
    st->read_after++;
    if (ev->t_ns - ev->server_send_ns > st->max_delay_after_stall)
      st->max_delay_after_stall = ev->t_ns - ev->server_send_ns;
  }
}

static int run_stalled(sim_fixture *f, stalled *st, benchy_record *out, benchy_loop_counters *counters) {
  char body[512];
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, f->session, BENCHY_ENDPOINT_CHAT, chat_body(10, body, sizeof body)),
                   BENCHY_OK);
  benchy_request_set_on_chunk(r, stall_once, st);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(f->loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  *out = *benchy_request_record(r);
  int status = out->status;
  counters->struct_size = sizeof *counters;
  benchy_loop_get_counters(f->loop, counters);
  cJSON *json = record_to_json(out, out->t_scheduled, 1);
  cJSON *clock = cJSON_GetObjectItem(json, "rx_clock");
  assert_true(cJSON_IsString(clock));
  assert_string_equal(clock->valuestring, benchy_rx_clock_name(out->rx_clock));
  cJSON_Delete(json);
  benchy_request_free(r);
  return status;
}

static void test_receive_clock(void **state) {
  int curl = test_transport_is_curl();
  for (test_timing t = {0}; test_timing_next(&t);) {
    sim_fixture f = {0};
    f.sim = start_sim("decode-tps=1000", "overhead-ms=0", "tokens-per-chunk=1", NULL);
    open_client(&f);
    stalled st = {.stamps_ordered = 1};
    benchy_record rec;
    benchy_loop_counters counters;
    assert_int_equal(run_stalled(&f, &st, &rec, &counters), BENCHY_OK);
    assert_true(st.stamps_ordered);
    assert_true(st.read_after >= 1); /* else the delay check below checks nothing */
    assert_true(rec.t_last_token <= rec.t_done);
    assert_true(counters.data_reads >= 1);
    if (curl) {
      /* libcurl reads with recv(): no kernel stamp reaches us. */
      assert_int_equal(rec.rx_clock, BENCHY_RX_CLOCK_READ);
      assert_int_equal(counters.kernel_stamped_reads, 0);
    } else {
      assert_int_equal(rec.rx_clock, BENCHY_RX_CLOCK_KERNEL);
      assert_string_equal(benchy_rx_clock_name(rec.rx_clock), "kernel");
      assert_int_equal(counters.kernel_stamped_reads, counters.data_reads);
      /* The stream's last chunks were sent during the 100 ms stall; their
       * recorded times are when they arrived, not when the client got free.
       * A stall of the machine between the simulator's send stamp and its
       * send() delays an arrival as much. */
      if (!test_timing_unreliable() && !(st.max_delay_after_stall < 50 * 1000000))
        test_timing_miss("a chunk read after the client's stall is dated %.1f ms after its send, want < 50 ms",
                         st.max_delay_after_stall / 1e6);
    }
    benchy_session_free(f.session);
    benchy_loop_free(f.loop);

    /* BENCHY_RX_CLOCK=read: the clock after each read, for comparison. */
    setenv("BENCHY_RX_CLOCK", "read", 1);
    open_client(&f);
    unsetenv("BENCHY_RX_CLOCK");
    stalled st2 = {.stamps_ordered = 1};
    assert_int_equal(run_stalled(&f, &st2, &rec, &counters), BENCHY_OK);
    assert_true(st2.stamps_ordered);
    /* The control: dated when read, the chunks that waited out the stall
     * look late (a stall of the machine only adds to that). */
    assert_true(st2.read_after >= 1);
    if (st2.max_delay_after_stall < 50 * 1000000)
      fail_msg("read clock: the latest chunk is dated %.1f ms after its send, want >= 50 ms",
               st2.max_delay_after_stall / 1e6);
    assert_int_equal(rec.rx_clock, BENCHY_RX_CLOCK_READ);
    assert_string_equal(benchy_rx_clock_name(rec.rx_clock), "read");
    assert_int_equal(counters.kernel_stamped_reads, 0);
    close_all(&f);
  }
}

/* A one-shot server that keeps the request it receives, so that tests can
 * see the headers that went out. It answers with an empty stream. */
typedef struct capture_server {
  int listen_fd;
  int port;
  char request[8192];
  const char *reply; /* the whole response; NULL: an empty stream */
  pthread_t thread;
} capture_server;

static void *capture_one(void *arg) {
  capture_server *c = arg;
  int fd = accept(c->listen_fd, NULL, NULL);
  if (fd < 0) return NULL;
  size_t got = 0;
  /* Headers end with an empty line; the small body follows them. */
  while (got + 1 < sizeof c->request && !strstr(c->request, "}")) {
    ssize_t n = recv(fd, c->request + got, sizeof c->request - 1 - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
    c->request[got] = '\0';
  }
  const char *reply = c->reply ? c->reply
                               : "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
                                 "data: [DONE]\n\n";
  ssize_t sent = send(fd, reply, strlen(reply), MSG_NOSIGNAL);
  (void)sent;
  close(fd);
  return NULL;
}

static void capture_start_with(capture_server *c, const char *reply) {
  memset(c, 0, sizeof *c);
  c->reply = reply;
  c->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(c->listen_fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  assert_int_equal(bind(c->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(c->listen_fd, 1), 0);
  assert_int_equal(getsockname(c->listen_fd, (struct sockaddr *)&a, &len), 0);
  c->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&c->thread, NULL, capture_one, c), 0);
}

static void capture_start(capture_server *c) { capture_start_with(c, NULL); }

static void capture_stop(capture_server *c) {
  pthread_join(c->thread, NULL);
  close(c->listen_fd);
}

/* Headers set after a request was created reach it when it starts (curl
 * keeps a pointer to the list: a stale one would be read after free); a
 * user's own Authorization header wins over the API key, whatever the order
 * they were set in, and only one Authorization header is sent; changing
 * headers while a request is in flight is refused. */
static void test_headers_follow_the_session(void **state) {
  capture_server cap;
  capture_start(&cap);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", cap.port);
  benchy_loop *loop = NULL;
  benchy_session *s = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&s, loop, url), BENCHY_OK);
  assert_int_equal(benchy_session_add_header(s, "Authorization: Basic dXNlcjpwdw=="), BENCHY_OK);
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, s, BENCHY_ENDPOINT_CHAT, "{\"model\":\"m\"}"), BENCHY_OK);
  assert_int_equal(benchy_session_set_api_key(s, "sk-first"), BENCHY_OK);
  assert_int_equal(benchy_session_set_api_key(s, "sk-second"), BENCHY_OK);
  assert_int_equal(benchy_session_key_overridden(s), 1);
  assert_int_equal(benchy_session_add_header(s, "X-Late: yes"), BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_session_add_header(s, "X-Too-Late: no"), BENCHY_ERR_STATE);
  assert_non_null(strstr(benchy_session_error(s), "in flight"));
  assert_int_equal(benchy_session_set_api_key(s, "sk-third"), BENCHY_ERR_STATE);
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(benchy_request_record(r)->status, BENCHY_OK);
  capture_stop(&cap);
  const char *auth = strstr(cap.request, "Authorization: Basic dXNlcjpwdw==");
  assert_non_null(auth);
  assert_null(strstr(auth + 1, "Authorization:"));
  assert_null(strstr(cap.request, "Authorization: Bearer"));
  assert_null(strstr(cap.request, "sk-second"));
  assert_null(strstr(cap.request, "sk-first"));
  assert_null(strstr(cap.request, "sk-third"));
  assert_non_null(strstr(cap.request, "X-Late: yes"));
  assert_null(strstr(cap.request, "X-Too-Late"));
  benchy_request_free(r);
  benchy_session_free(s);
  benchy_loop_free(loop);
}

/* A request to a one-shot server that answers `reply`, with the session's
 * key and one header; the caller inspects and frees what it gets back. */
typedef struct one_shot {
  capture_server cap;
  benchy_loop *loop;
  benchy_session *session;
  benchy_request *request;
} one_shot;

static const benchy_record *one_shot_run(one_shot *o, const char *reply, const char *key,
                                         const char *header, unsigned flags) {
  capture_start_with(&o->cap, reply);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", o->cap.port);
  assert_int_equal(benchy_loop_new(&o->loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&o->session, o->loop, url), BENCHY_OK);
  if (key) assert_int_equal(benchy_session_set_api_key(o->session, key), BENCHY_OK);
  if (header) assert_int_equal(benchy_session_add_header(o->session, header), BENCHY_OK);
  assert_int_equal(benchy_request_new(&o->request, o->session, BENCHY_ENDPOINT_CHAT, "{\"model\":\"m\"}"),
                   BENCHY_OK);
  assert_int_equal(benchy_request_set_flags(o->request, flags), BENCHY_OK);
  assert_int_equal(benchy_request_start(o->request, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(o->loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  capture_stop(&o->cap);
  return benchy_request_record(o->request);
}

static void one_shot_free(one_shot *o) {
  benchy_request_free(o->request);
  benchy_session_free(o->session);
  benchy_loop_free(o->loop);
}

/* A server that echoes the request's credentials in its error message:
 * the record's error keeps the message with every secret replaced, and the
 * session scrubs other text with the same secrets on request. */
static void test_error_echo_is_scrubbed(void **state) {
  (void)state;
  static const char body[] =
      "{\"error\":{\"message\":\"rejected Authorization: Bearer sk-echo-secret-1; "
      "X-Trace: trace-secret-2\",\"code\":401}}";
  char reply[512];
  snprintf(reply, sizeof reply,
           "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
           "Connection: close\r\n\r\n%s",
           sizeof body - 1, body);
  one_shot o = {0};
  const benchy_record *rec = one_shot_run(&o, reply, "sk-echo-secret-1", "X-Trace: trace-secret-2", 0);
  assert_int_equal(rec->status, BENCHY_ERR_HTTP);
  assert_non_null(rec->error);
  assert_non_null(strstr(rec->error, "rejected Authorization: Bearer [redacted]; X-Trace: [redacted]"));
  assert_null(strstr(rec->error, "sk-echo"));
  assert_null(strstr(rec->error, "trace-secret"));
  char text[64] = "key=sk-echo-secret-1 trace=trace-secret-2";
  assert_int_equal(benchy_session_scrub(o.session, text, sizeof text), BENCHY_OK);
  assert_string_equal(text, "key=[redacted] trace=[redacted]");
  one_shot_free(&o);
}

/* Events as the WHATWG rules read them, through the whole client: a JSON
 * chunk split over several data: lines (with and without the space),
 * comments, event:/id:/retry: fields, an event with a type but empty data
 * (a keep-alive, not a malformed chunk), CRLF, CR and LF line ends. */
static void test_event_stream_by_the_spec(void **state) {
  (void)state;
  static const char reply[] =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
      ": keep-alive comment\n"
      "event: ping\ndata:\n\n"
      "retry: 3000\r\n"
      "id: 1\r\n"
      "data: {\"choices\":[{\"index\":0,\r\n"
      "data:   \"delta\":{\"content\":\"Hello\"}}]\r\n"
      "data:}\r\n"
      "\r\n"
      "event: message\r"
      "data: {\"choices\":[{\"delta\":{\"content\":\", world\"},\r"
      "data: \"finish_reason\":\"stop\"}],\r"
      "data: \"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}\r"
      "\r"
      "data: [DONE]\n\n";
  one_shot o = {0};
  const benchy_record *rec = one_shot_run(&o, reply, NULL, NULL, BENCHY_KEEP_TEXT);
  if (rec->status != BENCHY_OK) fail_msg("status %d: %s", rec->status, rec->error ? rec->error : "");
  assert_string_equal(rec->content, "Hello, world");
  assert_int_equal(rec->token_chunks, 2);
  assert_int_equal(rec->usage_completion_tokens, 2);
  assert_string_equal(rec->finish_reason, "stop");
  one_shot_free(&o);
}

/* A proxy named in the environment carries the request, as it would for
 * curl or any Python client: the session then goes through libcurl (the
 * proxy sees the absolute URL) and its records say the clock was "read".
 * no_proxy exempts a host by curl's rules, and the direct reader keeps it. */
static void test_proxy_from_environment(void **state) {
  capture_server proxy;
  capture_start(&proxy);
  char proxy_url[64];
  snprintf(proxy_url, sizeof proxy_url, "http://127.0.0.1:%d", proxy.port);
  setenv("http_proxy", proxy_url, 1);
  unsetenv("no_proxy");
  unsetenv("NO_PROXY");
  benchy_loop *loop = NULL;
  benchy_session *s = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  /* The proxy answers for a server that need not exist or resolve. */
  assert_int_equal(benchy_session_new(&s, loop, "http://model-server.example:8000/v1"), BENCHY_OK);
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, s, BENCHY_ENDPOINT_CHAT, "{\"model\":\"m\"}"), BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(r);
  if (rec->status != BENCHY_OK) fail_msg("through the proxy: %s", rec->error ? rec->error : "?");
  assert_string_equal(benchy_rx_clock_name(rec->rx_clock), "read");
  capture_stop(&proxy);
  assert_non_null(strstr(proxy.request, "POST http://model-server.example:8000/v1/chat/completions"));
  benchy_request_free(r);
  benchy_session_free(s);

  /* Exempt by network: straight to the simulator, which the proxy never sees
   * (it is closed now, so a proxied request would fail). */
  benchy_sim *sim = start_sim(NULL);
  setenv("no_proxy", "example.org, 127.0.0.0/8", 1);
  assert_int_equal(benchy_session_new(&s, loop, benchy_sim_base_url(sim)), BENCHY_OK);
  char body[256];
  assert_int_equal(benchy_request_new(&r, s, BENCHY_ENDPOINT_CHAT, chat_body(3, body, sizeof body)), BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  rec = benchy_request_record(r);
  if (rec->status != BENCHY_OK) fail_msg("exempt from the proxy: %s", rec->error ? rec->error : "?");
  assert_string_equal(benchy_rx_clock_name(rec->rx_clock), test_expected_rx_clock());
  benchy_request_free(r);
  benchy_session_free(s);
  unsetenv("http_proxy");
  unsetenv("no_proxy");
  benchy_loop_free(loop);
  test_sim_stop(sim);
}

static void test_fetch(void **state) {
  sim_fixture f = {0};
  f.sim = start_sim(NULL);
  open_client(&f);
  int http = 0;
  char *body = NULL;
  assert_int_equal(benchy_session_fetch(f.session, "GET", "/health", NULL, &http, &body), BENCHY_OK);
  assert_int_equal(http, 200);
  assert_non_null(strstr(body, "ok"));
  free(body);
  assert_int_equal(benchy_session_fetch(f.session, "GET", "models", NULL, &http, &body), BENCHY_OK);
  assert_non_null(strstr(body, "\"sim\""));
  free(body);
  assert_int_equal(benchy_session_fetch(f.session, "GET", "/nope", NULL, &http, &body), BENCHY_ERR_HTTP);
  assert_int_equal(http, 404);
  free(body);
  close_all(&f);
}

/* A loopback socket that accepts and never answers; stops `loop` once it
 * has the connection, so the stop lands while the fetch waits. */
typedef struct silent_server {
  int listen_fd, conn_fd;
  benchy_loop *stop_on_accept;
} silent_server;

static void *accept_then_stop(void *arg) {
  silent_server *s = arg;
  s->conn_fd = accept(s->listen_fd, NULL, NULL);
  if (s->stop_on_accept) benchy_loop_stop(s->stop_on_accept);
  return NULL;
}

static void silent_url(silent_server *s, char *url, size_t len) {
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  s->conn_fd = -1;
  assert_true(s->listen_fd >= 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s->listen_fd, 4), 0);
  socklen_t alen = sizeof a;
  assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &alen), 0);
  snprintf(url, len, "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
}

/* A fetch from a server that never answers ends at benchy_loop_stop() (what
 * benchy_interrupt does on Ctrl-C), not at the session's timeout. */
static void test_fetch_ends_at_loop_stop(void **state) {
  silent_server srv = {0};
  char url[64];
  silent_url(&srv, url, sizeof url);
  benchy_loop *loop = NULL;
  benchy_session *s = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&s, loop, url), BENCHY_OK);
  benchy_session_set_timeout_ms(s, 30000);
  srv.stop_on_accept = loop;
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, accept_then_stop, &srv), 0);
  int http = -1;
  char *body = NULL;
  int64_t t0 = benchy_now_ns();
  int st = benchy_session_fetch(s, "GET", "models", NULL, &http, &body);
  double waited_s = (double)(benchy_now_ns() - t0) / 1e9;
  pthread_join(th, NULL);
  assert_int_equal(st, BENCHY_ERR_CANCELLED);
  assert_null(body);
  assert_int_equal(http, 0);
  assert_true(waited_s < 10.0); /* the stop, not the 30 s timeout */
  assert_non_null(strstr(benchy_session_error(s), "/v1/models"));
  /* The stop was consumed, as benchy_loop_run consumes one. */
  assert_false(benchy_loop_stopped(loop));

  /* A stop that came before the fetch is not lost: the fetch ends at once. */
  benchy_loop_stop(loop);
  assert_int_equal(benchy_session_fetch(s, "GET", "models", NULL, &http, &body), BENCHY_ERR_CANCELLED);
  assert_false(benchy_loop_stopped(loop));

  /* Unstopped, the session's timeout ends it, and the error says so. */
  benchy_session_set_timeout_ms(s, 300);
  assert_int_equal(benchy_session_fetch(s, "GET", "models", NULL, &http, &body), BENCHY_ERR_TIMEOUT);
  assert_non_null(strstr(benchy_session_error(s), "no answer within 0.3 s"));

  benchy_session_free(s);
  benchy_loop_free(loop);
  if (srv.conn_fd >= 0) close(srv.conn_fd);
  close(srv.listen_fd);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version_and_status),
      cmocka_unit_test(test_bad_arguments),
      cmocka_unit_test(test_stream_matches_model),
      cmocka_unit_test(test_multi_token_chunks),
      cmocka_unit_test(test_completions_and_reasoning),
      cmocka_unit_test(test_tool_calls),
      cmocka_unit_test(test_close_after_stream_is_not_an_error),
      cmocka_unit_test(test_fault_429),
      cmocka_unit_test(test_fault_500),
      cmocka_unit_test(test_fault_disconnect),
      cmocka_unit_test(test_fault_malformed),
      cmocka_unit_test(test_fault_error_chunk),
      cmocka_unit_test(test_fault_stall_times_out),
      cmocka_unit_test(test_fault_slow_headers_times_out),
      cmocka_unit_test(test_mixed_faults_lose_nothing),
      cmocka_unit_test(test_connect_refused),
      cmocka_unit_test(test_stop_and_cancel),
      cmocka_unit_test(test_timers),
      cmocka_unit_test(test_api_key_not_recorded),
      cmocka_unit_test(test_error_echo_is_scrubbed),
      cmocka_unit_test(test_event_stream_by_the_spec),
      cmocka_unit_test(test_receive_clock),
      cmocka_unit_test(test_headers_follow_the_session),
      cmocka_unit_test(test_fetch),
      cmocka_unit_test(test_fetch_ends_at_loop_stop),
      cmocka_unit_test(test_proxy_from_environment),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
