/*
 * test_runner.c — the runner: closed and open loop, the concurrency limit,
 * client-side queueing kept visible, threads, interruption that loses
 * nothing. Against the in-process simulator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#include "testutil.h"
#include "workload/runner.h"

#define MAX_REQ 64

typedef struct ctx {
  const char *body;
  int64_t send_at[MAX_REQ];
  pthread_mutex_t mu;
  int seen[MAX_REQ];
  int thread_of[MAX_REQ];
  benchy_record recs[MAX_REQ];
  int records;
  int interrupt_after;
} ctx;

static int next_req(void *ud, uint64_t index, runner_request *out) {
  ctx *c = ud;
  out->endpoint = BENCHY_ENDPOINT_CHAT;
  out->body = c->body;
  out->send_at_ns = c->send_at[index];
  return 0;
}

static void on_record(void *ud, int thread, uint64_t index, const benchy_record *rec) {
  ctx *c = ud;
  pthread_mutex_lock(&c->mu);
  c->seen[index]++;
  c->thread_of[index] = thread;
  c->recs[index] = *rec;
  c->records++;
  if (c->interrupt_after && c->records == c->interrupt_after) runner_interrupt();
  pthread_mutex_unlock(&c->mu);
}

static benchy_sim *start_sim(const char *decode_tps, const char *slots) {
  return test_sim_start("decode-tps", decode_tps, "slots", slots, "overhead-ms", "0", NULL);
}

static const char *BODY =
    "{\"model\":\"sim\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

/* Largest number of requests in flight at once, from the records. */
static int max_overlap(const ctx *c, int n) {
  int best = 0;
  for (int i = 0; i < n; i++) {
    int64_t t = c->recs[i].t_dispatched;
    int k = 0;
    for (int j = 0; j < n; j++)
      if (c->recs[j].t_dispatched <= t && c->recs[j].t_done > t) k++;
    if (k > best) best = k;
  }
  return best;
}

static void test_closed_loop_respects_limit(void **state) {
  benchy_sim *sim = start_sim("400", "16");
  ctx c = {.body = BODY};
  pthread_mutex_init(&c.mu, NULL);
  runner_config cfg = {.base_url = benchy_sim_base_url(sim), .threads = 1, .count = 20,
                       .max_concurrency = 3};
  runner_hooks hooks = {.userdata = &c, .next = next_req, .on_record = on_record};
  runner_summary sum;
  assert_int_equal(runner_run(&cfg, &hooks, &sum, NULL, 0), BENCHY_OK);
  assert_int_equal(sum.started, 20);
  assert_int_equal(sum.completed, 20);
  assert_int_equal(sum.failed, 0);
  for (int i = 0; i < 20; i++) assert_int_equal(c.seen[i], 1);
  assert_int_equal(max_overlap(&c, 20), 3);
  /* Closed loop: no client-side wait is invented. */
  for (int i = 0; i < 20; i++) assert_int_equal(c.recs[i].t_scheduled, c.recs[i].t_dispatched);
  pthread_mutex_destroy(&c.mu);
  test_sim_stop(sim);
}

/* Open loop: everything is due at once but only 2 may fly; the wait of the
 * later requests shows as t_dispatched - t_scheduled, growing. */
static void test_open_loop_queueing_is_visible(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = start_sim("200", "16");
    ctx c = {.body = BODY};
    pthread_mutex_init(&c.mu, NULL);
    int64_t t0 = benchy_now_ns() + 20 * 1000000;
    for (int i = 0; i < 8; i++) c.send_at[i] = t0;
    runner_config cfg = {.base_url = benchy_sim_base_url(sim), .threads = 1, .count = 8,
                         .max_concurrency = 2};
    runner_hooks hooks = {.userdata = &c, .next = next_req, .on_record = on_record};
    runner_summary sum;
    assert_int_equal(runner_run(&cfg, &hooks, &sum, NULL, 0), BENCHY_OK);
    assert_int_equal(sum.completed, 8);
    for (int i = 0; i < 8; i++) assert_int_equal(c.recs[i].t_scheduled, t0);
    /* The first two go on time (within a generous bound); the last waits at
     * least three request lifetimes (10 tokens at 200 tok/s ~ 50 ms each). */
    double first_ms = benchy_record_queue_ns(&c.recs[0]) / 1e6;
    double last_ms = benchy_record_queue_ns(&c.recs[7]) / 1e6;
    if (!(first_ms < 100)) test_timing_miss("first request waited %.1f ms, want < 100 ms", first_ms);
    if (!(last_ms > 3 * 40)) test_timing_miss("last request waited %.1f ms, want > 120 ms", last_ms);
    /* Dispatched in order, so this one holds however slow the machine. */
    assert_true(benchy_record_queue_ns(&c.recs[7]) > benchy_record_queue_ns(&c.recs[2]));
    assert_int_equal(max_overlap(&c, 8), 2);
    /* The runner's own peak agrees: the limit, reached. */
    assert_int_equal(sum.max_in_flight, 2);
    pthread_mutex_destroy(&c.mu);
    test_sim_stop(sim);
  }
}

static void test_threads_split_by_index(void **state) {
  benchy_sim *sim = start_sim("1000", "32");
  ctx c = {.body = BODY};
  pthread_mutex_init(&c.mu, NULL);
  runner_config cfg = {.base_url = benchy_sim_base_url(sim), .threads = 3, .count = 30,
                       .max_concurrency = 6};
  runner_hooks hooks = {.userdata = &c, .next = next_req, .on_record = on_record};
  runner_summary sum;
  assert_int_equal(runner_run(&cfg, &hooks, &sum, NULL, 0), BENCHY_OK);
  assert_int_equal(sum.completed, 30);
  for (int i = 0; i < 30; i++) {
    assert_int_equal(c.seen[i], 1);
    assert_int_equal(c.thread_of[i], i % 3);
  }
  assert_true(max_overlap(&c, 30) <= 6);
  /* Counted over all three threads together: never above the shared limit,
   * and at least one thread's share (2, started at once). */
  assert_true(sum.max_in_flight <= 6 && sum.max_in_flight >= 2);
  assert_int_equal(sum.counters.requests_done, 30);
  pthread_mutex_destroy(&c.mu);
  test_sim_stop(sim);
}

/* Interrupted after 5 records: everything started is reported exactly once,
 * as completed or cancelled, and the run says it was interrupted. */
static void test_interrupt_loses_nothing(void **state) {
  benchy_sim *sim = start_sim("50", "16");
  ctx c = {.body = BODY, .interrupt_after = 5};
  pthread_mutex_init(&c.mu, NULL);
  runner_config cfg = {.base_url = benchy_sim_base_url(sim), .threads = 1, .count = 40,
                       .max_concurrency = 4};
  runner_hooks hooks = {.userdata = &c, .next = next_req, .on_record = on_record};
  runner_summary sum;
  assert_int_equal(runner_run(&cfg, &hooks, &sum, NULL, 0), BENCHY_ERR_CANCELLED);
  assert_true(sum.interrupted);
  assert_true(sum.completed >= 5);
  assert_true(sum.started < 40);
  assert_int_equal(sum.completed + sum.cancelled + sum.failed, sum.started);
  assert_int_equal((uint64_t)c.records, sum.started);
  runner_clear_interrupt();
  assert_false(runner_interrupted());
  pthread_mutex_destroy(&c.mu);
  test_sim_stop(sim);
}

/* Open loop with arrivals spread out: each request is built ahead of its
 * time, and the one sent at a time is the one meant for it. An interrupt
 * while the next one waits for its time returns at once and frees it
 * (valgrind checks that nothing leaks). */
static void test_open_loop_sends_each_at_its_time(void **state) {
  benchy_sim *sim = start_sim("2000", "16");
  ctx c = {.body = BODY, .interrupt_after = 12};
  pthread_mutex_init(&c.mu, NULL);
  int64_t t0 = benchy_now_ns() + 20 * 1000000;
  for (int i = 0; i < 12; i++) c.send_at[i] = t0 + (int64_t)i * 3 * 1000000;
  /* The 13th is an hour away: the interrupt after the 12th record must not
   * wait for it. */
  c.send_at[12] = t0 + (int64_t)3600 * 1000000000;
  runner_config cfg = {.base_url = benchy_sim_base_url(sim), .threads = 1, .count = 13};
  runner_hooks hooks = {.userdata = &c, .next = next_req, .on_record = on_record};
  runner_summary sum;
  int64_t started = benchy_now_ns();
  assert_int_equal(runner_run(&cfg, &hooks, &sum, NULL, 0), BENCHY_ERR_CANCELLED);
  /* Not the hour: 12 requests 3 ms apart take well under a second; 60 s
   * leaves room for valgrind and still fails a run that waited. */
  assert_true(benchy_now_ns() - started < (int64_t)60 * 1000000000);
  assert_int_equal(sum.started, 12);
  assert_int_equal(sum.completed, 12);
  for (int i = 0; i < 12; i++) {
    assert_int_equal(c.seen[i], 1);
    assert_int_equal(c.recs[i].t_scheduled, c.send_at[i]);
    assert_true(c.recs[i].t_dispatched >= c.send_at[i]); /* never early */
  }
  assert_int_equal(c.seen[12], 0);
  runner_clear_interrupt();
  pthread_mutex_destroy(&c.mu);
  test_sim_stop(sim);
}

static void test_bad_config(void **state) {
  ctx c = {.body = BODY};
  char err[128] = "";
  runner_hooks hooks = {.userdata = &c, .next = next_req, .on_record = on_record};
  runner_config cfg = {.base_url = "nonsense", .threads = 1, .count = 1};
  assert_int_equal(runner_run(&cfg, &hooks, NULL, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "nonsense"));
  cfg.threads = 0;
  assert_int_equal(runner_run(&cfg, &hooks, NULL, err, sizeof err), BENCHY_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_closed_loop_respects_limit),
      cmocka_unit_test(test_open_loop_queueing_is_visible),
      cmocka_unit_test(test_threads_split_by_index),
      cmocka_unit_test(test_interrupt_loses_nothing),
      cmocka_unit_test(test_open_loop_sends_each_at_its_time),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
