/*
 * test_contracts.c — what loop.h and session.h promise about lifetimes and
 * callbacks, through the public API against the in-process simulator:
 * freeing a loop or a session with work in flight, where a cancelled
 * request's on_done runs, the non-blocking fetch, per-request timeouts and
 * userdata. Runs again with BENCHY_TRANSPORT=curl (tests/CMakeLists.txt).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#include "testutil.h"

typedef struct client {
  benchy_sim *sim;
  benchy_loop *loop;
  benchy_session *session;
} client;

static void open_client(client *c) {
  assert_int_equal(benchy_loop_new(&c->loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&c->session, c->loop, benchy_sim_base_url(c->sim)), BENCHY_OK);
}

static const char *chat_body(int max_tokens, char *buf, size_t len) {
  snprintf(buf, len,
           "{\"model\":\"sim\",\"max_tokens\":%d,\"messages\":[{\"role\":\"user\",\"content\":"
           "\"Hello there, how are you today?\"}]}",
           max_tokens);
  return buf;
}

/* What one request saw, and what its callbacks were allowed to do. */
typedef struct watch {
  int chunks;
  int done_calls;
  int status;
  int restart_status;      /* benchy_request_start from inside on_done */
  int in_chunk;            /* set while its on_chunk runs */
  int done_inside_chunk;   /* on_done ran while an on_chunk was on the stack */
  int cancel_on_chunk;     /* on_chunk cancels this many chunks in: 0 never */
  int free_in_done;        /* on_done frees the request */
  int try_restart;         /* on_done tries to start it again */
  int *chunks_total;       /* shared count of every stream's chunks */
} watch;

static void watch_chunk(benchy_request *r, const benchy_chunk_event *ev, const char *text, size_t len,
                        void *ud) {
  watch *w = ud;
  w->in_chunk = 1;
  w->chunks++;
  if (w->chunks_total) (*w->chunks_total)++;
  if (w->cancel_on_chunk && w->chunks == w->cancel_on_chunk) benchy_request_cancel(r);
  w->in_chunk = 0;
}

static void watch_done(benchy_request *r, const benchy_record *rec, void *ud) {
  watch *w = ud;
  w->done_calls++;
  w->status = rec->status;
  if (w->in_chunk) w->done_inside_chunk = 1;
  if (w->try_restart) w->restart_status = benchy_request_start(r, 0);
  if (w->free_in_done) benchy_request_free(r);
}

static benchy_request *start_watched(client *c, int max_tokens, watch *w) {
  char body[512];
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, c->session, BENCHY_ENDPOINT_CHAT,
                                      chat_body(max_tokens, body, sizeof body)),
                   BENCHY_OK);
  benchy_request_set_on_chunk(r, watch_chunk, w);
  benchy_request_set_on_done(r, watch_done, w);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  return r;
}

/* Runs the loop a round at a time until every watch saw a chunk: the
 * requests are then mid-stream. */
static void run_until_streaming(client *c, watch *ws, int n) {
  int64_t deadline = benchy_now_ns() + 10 * 1000000000LL;
  for (;;) {
    int streaming = 0;
    for (int i = 0; i < n; i++) streaming += ws[i].chunks > 0;
    if (streaming == n) return;
    assert_true(benchy_now_ns() < deadline);
    assert_int_equal(benchy_loop_run(c->loop, BENCHY_RUN_ONCE), BENCHY_OK);
  }
}

typedef struct fetch_seen {
  int calls;
  int status, http_status;
  char body[4096];
  char error[256];
  int chunks_at_start; /* the streams' shared chunk count when started */
  int chunks_during;   /* chunks that arrived between start and callback */
  int *chunks_total;
} fetch_seen;

static void on_fetched(benchy_session *s, int status, int http_status, const char *body,
                       size_t body_len, const char *error, void *ud) {
  fetch_seen *f = ud;
  f->calls++;
  f->status = status;
  f->http_status = http_status;
  snprintf(f->body, sizeof f->body, "%s", body ? body : "");
  assert_true(body == NULL || strlen(body) == body_len);
  snprintf(f->error, sizeof f->error, "%s", error ? error : "");
  if (f->chunks_total) f->chunks_during = *f->chunks_total - f->chunks_at_start;
}

/* benchy_loop_free with requests and a fetch in flight: each completes as
 * cancelled, from inside the free, and the objects left stay freeable. */
static void test_loop_free_cancels_everything(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "50", "overhead-ms", "0", NULL);
  open_client(&c);
  watch ws[3] = {{0}};
  benchy_request *rs[3];
  for (int i = 0; i < 3; i++) {
    ws[i].try_restart = 1;
    rs[i] = start_watched(&c, 200, &ws[i]);
  }
  run_until_streaming(&c, ws, 3);
  fetch_seen fetch = {0};
  char body[512];
  assert_int_equal(benchy_session_fetch_start(c.session, "POST", "chat/completions",
                                              "{\"model\":\"sim\",\"max_tokens\":200,\"stream\":false,"
                                              "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                                              on_fetched, &fetch),
                   BENCHY_OK);
  benchy_loop_free(c.loop);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(ws[i].done_calls, 1);
    assert_int_equal(ws[i].status, BENCHY_ERR_CANCELLED);
    /* Nothing may start on a loop that is going. */
    assert_int_equal(ws[i].restart_status, BENCHY_ERR_STATE);
    assert_false(benchy_request_in_flight(rs[i]));
  }
  assert_int_equal(fetch.calls, 1);
  assert_int_equal(fetch.status, BENCHY_ERR_CANCELLED);
  assert_non_null(strstr(fetch.error, "cancelled"));
  /* Detached, not dangling. */
  assert_null(benchy_session_loop(c.session));
  assert_int_equal(benchy_request_start(rs[0], 0), BENCHY_ERR_STATE);
  benchy_request *late = NULL;
  assert_int_equal(benchy_request_new(&late, c.session, BENCHY_ENDPOINT_CHAT, chat_body(4, body, sizeof body)),
                   BENCHY_ERR_STATE);
  assert_non_null(strstr(benchy_session_error(c.session), "loop was freed"));
  assert_int_equal(benchy_session_fetch_start(c.session, "GET", "models", NULL, on_fetched, &fetch),
                   BENCHY_ERR_STATE);
  int http = -1;
  char *got = NULL;
  assert_int_equal(benchy_session_fetch(c.session, "GET", "models", NULL, &http, &got), BENCHY_ERR_STATE);
  benchy_request_free(rs[0]);
  benchy_session_free(c.session); /* frees rs[1], rs[2] */
  for (int i = 0; i < 3; i++) assert_int_equal(ws[i].done_calls, 1);
  test_sim_stop(c.sim);
}

/* benchy_session_free with requests in flight: on_done for each, which may
 * free its own request; the loop is left with nothing in flight. */
static void test_session_free_cancels_its_requests(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "50", "overhead-ms", "0", NULL);
  open_client(&c);
  watch ws[2] = {{0}};
  ws[0].free_in_done = 1;
  ws[1].try_restart = 1;
  start_watched(&c, 200, &ws[0]);
  start_watched(&c, 200, &ws[1]);
  run_until_streaming(&c, ws, 2);
  assert_int_equal(benchy_loop_in_flight(c.loop), 2);
  benchy_session_free(c.session);
  for (int i = 0; i < 2; i++) {
    assert_int_equal(ws[i].done_calls, 1);
    assert_int_equal(ws[i].status, BENCHY_ERR_CANCELLED);
  }
  assert_int_equal(ws[1].restart_status, BENCHY_ERR_STATE);
  assert_int_equal(benchy_loop_in_flight(c.loop), 0);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

/* A request cancels itself from its own on_chunk: on_done comes later,
 * from the top of the loop, and no on_chunk runs in between. */
static void test_cancel_in_own_on_chunk(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "2000", "overhead-ms", "0", NULL);
  open_client(&c);
  watch w = {0};
  w.cancel_on_chunk = 2;
  benchy_request *r = start_watched(&c, 400, &w);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(w.done_calls, 1);
  assert_int_equal(w.status, BENCHY_ERR_CANCELLED);
  assert_false(w.done_inside_chunk);
  assert_int_equal(w.chunks, 2);
  assert_int_equal(benchy_request_record(r)->status, BENCHY_ERR_CANCELLED);
  assert_int_equal(benchy_loop_in_flight(c.loop), 0);
  /* Finished: it may run again, to the end this time. */
  w.cancel_on_chunk = 0;
  w.chunks = 0;
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(w.done_calls, 2);
  assert_int_equal(w.status, BENCHY_OK);
  benchy_request_free(r);
  benchy_session_free(c.session);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

/* Cancelled on its first chunk when the rest of the stream, its end
 * included, came in the same read: the transport finishes it before the
 * top of the loop, and it still ends as the caller was told, once. */
static void test_cancel_as_the_stream_ends(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "1000000", "overhead-ms", "0", "prefill-tps", "1000000", NULL);
  open_client(&c);
  for (int i = 0; i < 20; i++) {
    watch w = {0};
    w.cancel_on_chunk = 1;
    benchy_request *r = start_watched(&c, 3, &w);
    assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
    assert_int_equal(w.done_calls, 1);
    assert_int_equal(w.status, BENCHY_ERR_CANCELLED);
    assert_int_equal(w.chunks, 1);
    assert_false(w.done_inside_chunk);
    benchy_request_free(r);
  }
  benchy_session_free(c.session);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

typedef struct canceller {
  benchy_request *victim;
  watch *victim_watch;
  int victim_done_before_return; /* the victim's on_done ran inside cancel */
  int done_calls;
} canceller;

static void cancel_other_in_done(benchy_request *r, const benchy_record *rec, void *ud) {
  canceller *k = ud;
  k->done_calls++;
  int before = k->victim_watch->done_calls;
  benchy_request_cancel(k->victim);
  benchy_request_cancel(k->victim); /* twice: still one on_done */
  k->victim_done_before_return = k->victim_watch->done_calls != before;
  /* Counted as in flight until its on_done ran. */
  assert_true(benchy_request_in_flight(k->victim));
}

/* A short request's on_done cancels a long one: the long one's on_done
 * runs after that on_done returned, in the same benchy_loop_run. */
static void test_cancel_in_another_on_done(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "50", "overhead-ms", "0", NULL);
  open_client(&c);
  watch long_watch = {0};
  benchy_request *long_req = start_watched(&c, 500, &long_watch);
  canceller k = {long_req, &long_watch, 0, 0};
  char body[512];
  benchy_request *short_req = NULL;
  assert_int_equal(benchy_request_new(&short_req, c.session, BENCHY_ENDPOINT_CHAT,
                                      chat_body(2, body, sizeof body)),
                   BENCHY_OK);
  benchy_request_set_on_done(short_req, cancel_other_in_done, &k);
  assert_int_equal(benchy_request_start(short_req, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(k.done_calls, 1);
  assert_false(k.victim_done_before_return);
  assert_int_equal(long_watch.done_calls, 1);
  assert_int_equal(long_watch.status, BENCHY_ERR_CANCELLED);
  assert_int_equal(benchy_loop_in_flight(c.loop), 0);
  benchy_session_free(c.session);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

/* Outside the loop the caller is already at the top: on_done runs before
 * cancel returns, and a loop run afterwards has nothing left to deliver. */
static void test_cancel_outside_the_loop(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "50", "overhead-ms", "0", NULL);
  open_client(&c);
  watch w = {0};
  benchy_request *r = start_watched(&c, 200, &w);
  run_until_streaming(&c, &w, 1);
  benchy_request_cancel(r);
  assert_int_equal(w.done_calls, 1);
  assert_int_equal(w.status, BENCHY_ERR_CANCELLED);
  assert_false(benchy_request_in_flight(r));
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(w.done_calls, 1);
  benchy_request_free(r);
  benchy_session_free(c.session);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

typedef struct fetch_from_chunk {
  benchy_session *session;
  int started;
  int start_status;
  fetch_seen slow, tokenize, missing;
} fetch_from_chunk;

static void start_fetches_on_first_chunk(benchy_request *r, const benchy_chunk_event *ev,
                                         const char *text, size_t len, void *ud) {
  fetch_from_chunk *f = ud;
  watch_chunk(r, ev, text, len, benchy_request_userdata(r));
  if (f->started++) return;
  /* A non-streamed completion answers only when all of it is generated:
   * it lasts long enough for the streams to be seen moving meanwhile. */
  f->slow.chunks_at_start = *f->slow.chunks_total;
  f->start_status = benchy_session_fetch_start(
      f->session, "POST", "chat/completions",
      "{\"model\":\"sim\",\"max_tokens\":20,\"stream\":false,"
      "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
      on_fetched, &f->slow);
  if (f->start_status == BENCHY_OK)
    f->start_status = benchy_session_fetch_start(f->session, "POST", "/tokenize",
                                                 "{\"content\":\"Hello there\"}", on_fetched, &f->tokenize);
  if (f->start_status == BENCHY_OK)
    f->start_status = benchy_session_fetch_start(f->session, "GET", "/nope", NULL, on_fetched, &f->missing);
}

/* A fetch started from a callback runs beside the streams: their chunks
 * keep arriving until its callback, which comes from the loop. */
static void test_fetch_from_a_callback_does_not_stall_streams(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "100", "overhead-ms", "0", "slots", "8", NULL);
  open_client(&c);
  enum { N = 4 };
  int chunks_total = 0;
  watch ws[N] = {{0}};
  benchy_request *rs[N];
  fetch_from_chunk f = {0};
  f.session = c.session;
  f.slow.chunks_total = &chunks_total;
  for (int i = 0; i < N; i++) {
    ws[i].chunks_total = &chunks_total;
    rs[i] = start_watched(&c, 60, &ws[i]);
    benchy_request_set_userdata(rs[i], &ws[i]);
  }
  benchy_request_set_on_chunk(rs[0], start_fetches_on_first_chunk, &f);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(f.start_status, BENCHY_OK);
  for (int i = 0; i < N; i++) {
    assert_int_equal(ws[i].done_calls, 1);
    assert_int_equal(ws[i].status, BENCHY_OK);
  }
  assert_int_equal(f.slow.calls, 1);
  assert_int_equal(f.slow.status, BENCHY_OK);
  assert_int_equal(f.slow.http_status, 200);
  assert_non_null(strstr(f.slow.body, "\"choices\""));
  /* 20 tokens at 100/s is ~200 ms, during which the streams send ~80. */
  assert_true(f.slow.chunks_during > 0);
  assert_int_equal(f.tokenize.calls, 1);
  assert_int_equal(f.tokenize.status, BENCHY_OK);
  assert_non_null(strstr(f.tokenize.body, "\"tokens\""));
  assert_int_equal(f.missing.calls, 1);
  assert_int_equal(f.missing.status, BENCHY_ERR_HTTP);
  assert_int_equal(f.missing.http_status, 404);
  assert_non_null(strstr(f.missing.error, "HTTP 404"));
  assert_int_equal(benchy_loop_in_flight(c.loop), 0);
  for (int i = 0; i < N; i++) benchy_request_free(rs[i]);
  /* Outside a callback too; it waits for the loop to be run. */
  fetch_seen models = {0};
  assert_int_equal(benchy_session_fetch_start(c.session, "GET", "models", NULL, on_fetched, &models),
                   BENCHY_OK);
  assert_int_equal(models.calls, 0);
  assert_int_equal(benchy_loop_in_flight(c.loop), 1);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(models.calls, 1);
  assert_non_null(strstr(models.body, "\"sim\""));
  assert_int_equal(benchy_session_fetch_start(c.session, "GET", "models", NULL, NULL, NULL),
                   BENCHY_ERR_INVALID);
  benchy_session_free(c.session);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

/* A stalled stream: the request's own timeout ends it whatever the
 * session's says, in either direction. */
static void test_request_timeout_overrides_the_session(void **state) {
  client c = {0};
  c.sim = test_sim_start("decode-tps", "2000", "overhead-ms", "0", "fault-stall", "1", "stall-ms",
                         "1500", NULL);
  open_client(&c);
  assert_int_equal(benchy_session_set_timeout_ms(c.session, 300), BENCHY_OK);
  watch quick = {0}, patient = {0};
  char body[512];
  benchy_request *rq = NULL, *rp = NULL;
  assert_int_equal(benchy_request_new(&rq, c.session, BENCHY_ENDPOINT_CHAT, chat_body(16, body, sizeof body)),
                   BENCHY_OK);
  assert_int_equal(benchy_request_new(&rp, c.session, BENCHY_ENDPOINT_CHAT, chat_body(16, body, sizeof body)),
                   BENCHY_OK);
  assert_int_equal(benchy_request_set_timeout_ms(rq, -1), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_request_set_timeout_ms(rp, 20000), BENCHY_OK);
  benchy_request_set_on_done(rq, watch_done, &quick);
  benchy_request_set_on_done(rp, watch_done, &patient);
  assert_int_equal(benchy_request_start(rq, 0), BENCHY_OK);
  assert_int_equal(benchy_request_start(rp, 0), BENCHY_OK);
  assert_int_equal(benchy_request_set_timeout_ms(rp, 1), BENCHY_ERR_STATE);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(quick.status, BENCHY_ERR_TIMEOUT);
  assert_int_equal(patient.status, BENCHY_OK);
  /* Ended by its 300 ms, long before the 1.5 s stall was over. */
  assert_true(benchy_record_e2e_ns(benchy_request_record(rq)) < 1400 * 1000000LL);
  assert_true(benchy_record_e2e_ns(benchy_request_record(rp)) >= 1400 * 1000000LL);
  /* The other way round: a timeout of its own under a session without one. */
  assert_int_equal(benchy_session_set_timeout_ms(c.session, 0), BENCHY_OK);
  benchy_request *rs = NULL;
  watch own = {0};
  assert_int_equal(benchy_request_new(&rs, c.session, BENCHY_ENDPOINT_CHAT, chat_body(16, body, sizeof body)),
                   BENCHY_OK);
  assert_int_equal(benchy_request_set_timeout_ms(rs, 300), BENCHY_OK);
  benchy_request_set_on_done(rs, watch_done, &own);
  assert_int_equal(benchy_request_start(rs, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(c.loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(own.status, BENCHY_ERR_TIMEOUT);
  benchy_session_free(c.session);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

static void test_userdata(void **state) {
  client c = {0};
  c.sim = test_sim_start(NULL);
  open_client(&c);
  int a, b, d;
  assert_null(benchy_loop_userdata(c.loop));
  assert_null(benchy_session_userdata(c.session));
  assert_null(benchy_sim_userdata(c.sim));
  benchy_loop_set_userdata(c.loop, &a);
  benchy_session_set_userdata(c.session, &b);
  benchy_sim_set_userdata(c.sim, &d);
  assert_ptr_equal(benchy_loop_userdata(c.loop), &a);
  assert_ptr_equal(benchy_session_userdata(c.session), &b);
  assert_ptr_equal(benchy_sim_userdata(c.sim), &d);
  assert_ptr_equal(benchy_session_loop(c.session), c.loop);
  assert_null(benchy_loop_userdata(NULL));
  assert_null(benchy_session_userdata(NULL));
  assert_null(benchy_sim_userdata(NULL));
  benchy_session_free(c.session);
  benchy_loop_free(c.loop);
  test_sim_stop(c.sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loop_free_cancels_everything),
      cmocka_unit_test(test_session_free_cancels_its_requests),
      cmocka_unit_test(test_cancel_in_own_on_chunk),
      cmocka_unit_test(test_cancel_as_the_stream_ends),
      cmocka_unit_test(test_cancel_in_another_on_done),
      cmocka_unit_test(test_cancel_outside_the_loop),
      cmocka_unit_test(test_fetch_from_a_callback_does_not_stall_streams),
      cmocka_unit_test(test_request_timeout_overrides_the_session),
      cmocka_unit_test(test_userdata),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
