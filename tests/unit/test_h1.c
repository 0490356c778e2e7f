/*
 * test_h1.c — the plain-HTTP/1.1 transport: its response parser fed at every
 * split point, and keep-alive reuse through the public API against the
 * in-process simulator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#include "core/h1.h"
#include "testutil.h"

typedef struct seen {
  int status;
  int n_status;
  benchy_buf body;
} seen;

static void on_status(void *ud, int status) {
  seen *s = ud;
  s->status = status;
  s->n_status++;
}

static void on_body(void *ud, const char *data, size_t len) {
  seen *s = ud;
  assert_int_equal(benchy_buf_append(&s->body, data, len), 0);
}

/* Feeds text in the given pieces (cuts are offsets); returns the last
 * status, with *used_total the bytes consumed. */
static int feed_pieces(h1_parser *p, seen *s, const char *text, size_t len, const size_t *cuts,
                       int n_cuts, size_t *used_total) {
  h1_sink sink = {on_status, on_body, s};
  size_t at = 0;
  int st = H1_MORE;
  *used_total = 0;
  for (int i = 0; i <= n_cuts && st == H1_MORE; i++) {
    size_t end = i < n_cuts ? cuts[i] : len;
    size_t used = 0;
    st = h1_parser_feed(p, text + at, end - at, &used, &sink);
    *used_total += used;
    if (st == H1_MORE) assert_int_equal(used, end - at);
    at = end;
  }
  return st;
}

/* Every split into two pieces, then byte by byte: same outcome. */
static void check_all_splits(const char *text, int want_st, int want_status, const char *want_body,
                             size_t want_used, int want_keep) {
  size_t len = strlen(text);
  for (size_t cut = 0; cut <= len + 1; cut++) {
    h1_parser p;
    h1_parser_init(&p);
    seen s = {0};
    size_t used = 0;
    int st;
    if (cut <= len) {
      st = feed_pieces(&p, &s, text, len, &cut, 1, &used);
    } else {
      size_t cuts[4096];
      assert_true(len < 4096);
      for (size_t i = 0; i < len; i++) cuts[i] = i + 1;
      st = feed_pieces(&p, &s, text, len, cuts, (int)len - 1, &used);
    }
    assert_int_equal(st, want_st);
    if (want_st != H1_ERROR) {
      assert_int_equal(s.status, want_status);
      assert_int_equal(s.body.len, strlen(want_body));
      assert_memory_equal(s.body.data ? s.body.data : "", want_body, strlen(want_body));
      if (want_st == H1_DONE) {
        assert_int_equal(used, want_used);
        assert_int_equal(h1_parser_keep_alive(&p), want_keep);
      }
    } else {
      assert_true(p.error[0] != '\0');
    }
    benchy_buf_free(&s.body);
    h1_parser_free(&p);
  }
}

static void test_chunked_extensions_trailers(void **state) {
  const char *text = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                     "Transfer-Encoding: gzip, Chunked\r\nConnection: keep-alive\r\n\r\n"
                     "5;name=value;x\r\nhello\r\n6 \r\n world\r\n1A\r\n"
                     "abcdefghijklmnopqrstuvwxyz\r\n0;last\r\nX-Trailer: yes\r\nOther: 1\r\n\r\n";
  check_all_splits(text, H1_DONE, 200, "hello worldabcdefghijklmnopqrstuvwxyz", strlen(text), 1);
}

static void test_interim_response_and_bare_lf(void **state) {
  const char *text = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many\nContent-Length: 4\n\nslow";
  check_all_splits(text, H1_DONE, 429, "slow", strlen(text), 1);
}

static void test_content_length_and_leftover(void **state) {
  const char *text = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\nConnection: close\r\n\r\nhello worldEXTRA";
  /* The five bytes after the body are left unconsumed. */
  check_all_splits(text, H1_DONE, 200, "hello world", strlen(text) - 5, 0);
  check_all_splits("HTTP/1.1 204 No Content\r\n\r\n", H1_DONE, 204, "",
                   strlen("HTTP/1.1 204 No Content\r\n\r\n"), 1);
  check_all_splits("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", H1_DONE, 200, "",
                   strlen("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), 0);
}

static void test_close_delimited(void **state) {
  const char *text = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: {}\n\ndata: [DONE]\n\n";
  check_all_splits(text, H1_MORE, 200, "data: {}\n\ndata: [DONE]\n\n", 0, 0);
  h1_parser p;
  h1_parser_init(&p);
  seen s = {0};
  h1_sink sink = {on_status, on_body, &s};
  size_t used;
  assert_int_equal(h1_parser_feed(&p, text, strlen(text), &used, &sink), H1_MORE);
  assert_int_equal(h1_parser_eof(&p), H1_DONE);
  assert_false(h1_parser_keep_alive(&p));
  benchy_buf_free(&s.body);
  h1_parser_free(&p);
}

static void test_truncated_is_error_on_eof(void **state) {
  const char *cuts[] = {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
                        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "HTTP/1.1 200 O", ""};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    h1_parser p;
    h1_parser_init(&p);
    seen s = {0};
    h1_sink sink = {on_status, on_body, &s};
    size_t used;
    assert_int_equal(h1_parser_feed(&p, cuts[i], strlen(cuts[i]), &used, &sink), H1_MORE);
    assert_int_equal(h1_parser_eof(&p), H1_ERROR);
    assert_true(p.error[0] != '\0');
    benchy_buf_free(&s.body);
    h1_parser_free(&p);
  }
}

static void test_bad_input_is_an_error(void **state) {
  const char *bad[] = {
      "FOO/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/2 200 OK\r\n\r\n",
      "HTTP/1.1 200OK\r\n\r\n",
      "HTTP/1.1 099 Low\r\n\r\n",
      "\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) check_all_splits(bad[i], H1_ERROR, 0, "", 0, 0);
  /* An endless header line is refused, not buffered forever. */
  h1_parser p;
  h1_parser_init(&p);
  seen s = {0};
  h1_sink sink = {on_status, on_body, &s};
  char junk[4096];
  memset(junk, 'a', sizeof junk);
  size_t used;
  int st = h1_parser_feed(&p, "HTTP/1.1 200 OK\r\nX: ", 21, &used, &sink);
  for (int i = 0; i < 64 && st == H1_MORE; i++) st = h1_parser_feed(&p, junk, sizeof junk, &used, &sink);
  assert_int_equal(st, H1_ERROR);
  h1_parser_free(&p);
}

/* ------------------------------------------------------------ through the API */

static benchy_sim *start_sim(const char *close_after_stream) {
  return test_sim_start("flavour", "llama", "close-after-stream", close_after_stream, "decode-tps", "5000",
                        "overhead-ms", "0", NULL);
}

/* n sequential requests on one session; returns the loop's counters. */
static benchy_loop_counters run_sequential(benchy_sim *sim, int n, int *retried) {
  benchy_loop *loop = NULL;
  benchy_session *session = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&session, loop, benchy_sim_base_url(sim)), BENCHY_OK);
  const char *body = "{\"model\":\"sim\",\"max_tokens\":3,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
  *retried = 0;
  for (int i = 0; i < n; i++) {
    benchy_request *r = NULL;
    assert_int_equal(benchy_request_new(&r, session, BENCHY_ENDPOINT_CHAT, body), BENCHY_OK);
    assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
    assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
    const benchy_record *rec = benchy_request_record(r);
    if (rec->status != BENCHY_OK) fprintf(stderr, "request %d: %s\n", i, rec->error);
    assert_int_equal(rec->status, BENCHY_OK);
    assert_int_equal(rec->output_tokens, 3);
    assert_true(rec->t_dispatched <= rec->t_sent && rec->t_sent <= rec->t_first_byte);
    assert_true(rec->retries <= 1);
    *retried += rec->retries;
    benchy_request_free(r);
  }
  benchy_loop_counters c = {.struct_size = sizeof c};
  benchy_loop_get_counters(loop, &c);
  benchy_session_free(session);
  benchy_loop_free(loop);
  return c;
}

/* A keep-alive server gets its connections reused: the second request
 * opens one more (the first connection is not reused until the server has
 * had a chance to show it would close it: another response since), then
 * the first is reused, which proves the server keeps them. */
static void test_keep_alive_reuses_connections(void **state) {
  benchy_sim *sim = start_sim("no");
  int retried = 0;
  benchy_loop_counters c = run_sequential(sim, 20, &retried);
  assert_int_equal(c.requests_done, 20);
  assert_int_equal(retried, 0);
  assert_int_equal(c.retries, 0);
  assert_int_equal(c.connections, 2);
  benchy_sim_stop(sim);
}

/* A server that closes after each stream, silently (llama-server) or saying
 * Connection: close: no request is written on the closed connection, so
 * none is retried, and every request has a connection of its own. */
static void test_close_after_stream_opens_fresh(void **state) {
  static const char *const modes[] = {"yes", "announced"};
  for (size_t m = 0; m < 2; m++) {
    benchy_sim *sim = start_sim(modes[m]);
    int retried = 0;
    benchy_loop_counters c = run_sequential(sim, 20, &retried);
    assert_int_equal(c.requests_done, 20);
    assert_int_equal(retried, 0);
    assert_int_equal(c.retries, 0);
    assert_int_equal(c.connections, 20);
    benchy_sim_stop(sim);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chunked_extensions_trailers),
      cmocka_unit_test(test_interim_response_and_bare_lf),
      cmocka_unit_test(test_content_length_and_leftover),
      cmocka_unit_test(test_close_delimited),
      cmocka_unit_test(test_truncated_is_error_on_eof),
      cmocka_unit_test(test_bad_input_is_an_error),
      cmocka_unit_test(test_keep_alive_reuses_connections),
      cmocka_unit_test(test_close_after_stream_opens_fresh),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
