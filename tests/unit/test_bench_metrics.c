/*
 * test_bench_metrics.c — bench's per-request and per-run figures
 * (workload/bench_metrics.c) from synthetic records, without a server: the
 * rates and checks bench_metrics_compute derives, and the journal form
 * that --resume reads back, which must give back every field it was given.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "workload/bench_metrics.h"

#define MS 1000000LL
#define T0 (1000 * MS) /* times are of a monotonic clock: 0 is "never" */

/* A streamed request: dispatched at T0, and from there: first byte at 10 ms, first token at
 * 110 ms, last at 1110 ms, 101 tokens in 101 chunks, usage reported. */
static benchy_record ok_record(void) {
  benchy_record r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.status = BENCHY_OK;
  r.http_status = 200;
  r.t_scheduled = r.t_dispatched = T0;
  r.t_sent = T0 + 2 * MS;
  r.t_first_byte = T0 + 10 * MS;
  r.t_first_chunk = r.t_first_content = r.t_first_token = T0 + 110 * MS;
  r.t_last_token = T0 + 1110 * MS;
  r.t_done = T0 + 1111 * MS;
  r.usage_prompt_tokens = 612;
  r.usage_completion_tokens = 101;
  r.usage_cached_tokens = 500;
  r.usage_reasoning_tokens = -1;
  r.token_chunks = 101;
  r.output_tokens = 101;
  r.count_method = BENCHY_COUNT_USAGE;
  r.finish_reason = "length";
  return r;
}

static prompt_text prompt_of(int64_t target) {
  prompt_text pt;
  memset(&pt, 0, sizeof pt);
  pt.target = pt.tokens = target;
  pt.verified = pt.exact = 1;
  return pt;
}

static void test_rates_from_a_record(void **state) {
  (void)state;
  benchy_record rec = ok_record();
  prompt_text pt = prompt_of(612);
  bench_req_shape s = {112, 101, 500, 1, 10.0}; /* pp 112 on 500 cached, 10 ms latency */
  req_m m;
  memset(&m, 0, sizeof m);
  bench_metrics_compute(&m, &s, &rec, &pt);
  assert_int_equal(m.filled, 1);
  /* 612 - 500 cached = 112 timed tokens over 110 - 10 ms of prefill. */
  assert_int_equal(m.timed_tokens, 112);
  assert_true(fabs(m.pp_tps - 112 / 0.100) < 1e-6);
  /* 100 tokens after the first over the 1 s from first to last. */
  assert_true(fabs(m.tg_tps - 100.0) < 1e-9);
  assert_true(fabs(m.ttft_ms - 110.0) < 1e-9);
  assert_true(fabs(m.ttfb_ms - 8.0) < 1e-9);
  assert_int_equal(m.prompt_exact, 1);
  assert_int_equal(m.output_exact, 1);
  assert_int_equal(m.early_stop, 0);
  assert_int_equal(m.cache, CACHE_HIT);
  assert_int_equal(m.cache_extra, 0);
  assert_string_equal(m.finish_reason, "length");
  bench_metrics_clear(&m);
}

static void test_checks_flag_what_went_wrong(void **state) {
  (void)state;
  benchy_record rec = ok_record();
  rec.usage_cached_tokens = 10; /* the depth context was not in the cache */
  rec.output_tokens = rec.usage_completion_tokens = 50;
  rec.token_chunks = 50;
  prompt_text pt = prompt_of(612);
  bench_req_shape s = {112, 101, 500, 1, 0};
  req_m m;
  memset(&m, 0, sizeof m);
  bench_metrics_compute(&m, &s, &rec, &pt);
  assert_int_equal(m.cache, CACHE_MISS);
  assert_int_equal(m.early_stop, 1);
  assert_int_equal(m.output_exact, 0);
  bench_metrics_clear(&m);

  /* A failed request keeps its error and has no rates. */
  rec = ok_record();
  rec.status = BENCHY_ERR_HTTP;
  rec.http_status = 503;
  rec.error = "overloaded";
  memset(&m, 0, sizeof m);
  bench_metrics_compute(&m, &s, &rec, &pt);
  assert_int_equal(m.status, BENCHY_ERR_HTTP);
  assert_string_equal(m.error, "overloaded");
  assert_true(isnan(m.pp_tps) && isnan(m.tg_tps));
  assert_int_equal(m.timed_tokens, -1);
  bench_metrics_clear(&m);
}

/* The fields the journal carries, as a test sees them. */
static void assert_same_figures(const req_m *a, const req_m *b) {
#define SAME_NUM(f) assert_true((isnan(a->f) && isnan(b->f)) || a->f == b->f)
  assert_int_equal(a->prompt_target, b->prompt_target);
  assert_int_equal(a->context_target, b->context_target);
  assert_int_equal(a->output_target, b->output_target);
  assert_int_equal(a->prompt_tokens, b->prompt_tokens);
  assert_int_equal(a->cached_tokens, b->cached_tokens);
  assert_int_equal(a->timed_tokens, b->timed_tokens);
  assert_int_equal(a->output_tokens, b->output_tokens);
  SAME_NUM(first_chunk_tokens);
  SAME_NUM(ttfr_ms);
  SAME_NUM(ttft_ms);
  SAME_NUM(est_ppt_ms);
  SAME_NUM(e2e_ms);
  SAME_NUM(ttfb_ms);
  SAME_NUM(pp_tps);
  SAME_NUM(tg_tps);
  SAME_NUM(srv_pp_tps);
  SAME_NUM(srv_tg_tps);
  assert_int_equal(a->prompt_exact, b->prompt_exact);
  assert_int_equal(a->prompt_counted, b->prompt_counted);
  assert_int_equal(a->output_exact, b->output_exact);
  assert_int_equal(a->early_stop, b->early_stop);
  assert_int_equal(a->cache, b->cache);
  assert_int_equal(a->cache_extra, b->cache_extra);
#undef SAME_NUM
}

/* The record line as bench journals it: the record with "bench". */
static cJSON *journal_record(const req_m *m) {
  cJSON *rec = cJSON_CreateObject();
  cJSON_AddStringToObject(rec, "status", benchy_status_name(m->status));
  cJSON_AddNumberToObject(rec, "http_status", m->http_status);
  if (m->error) cJSON_AddStringToObject(rec, "error", m->error);
  if (m->finish_reason) cJSON_AddStringToObject(rec, "finish_reason", m->finish_reason);
  cJSON_AddItemToObject(rec, "bench", bench_metrics_to_json(m));
  return rec;
}

static void round_trip(const req_m *m) {
  cJSON *rec = journal_record(m);
  req_m back;
  memset(&back, 0, sizeof back);
  assert_int_equal(bench_metrics_from_json(&back, rec), 0);
  assert_same_figures(m, &back);
  assert_int_equal(back.status, m->status);
  assert_int_equal(back.http_status, m->http_status);
  /* And written again, it is the same text: nothing was lost or added. */
  cJSON *again = bench_metrics_to_json(&back);
  assert_true(cJSON_Compare(cJSON_GetObjectItemCaseSensitive(rec, "bench"), again, 1));
  cJSON_Delete(again);
  cJSON_Delete(rec);
  bench_metrics_clear(&back);
}

static void test_journal_gives_back_every_field(void **state) {
  (void)state;
  /* Every field a value unlike its zero default, so one the table left out
   * would come back different. */
  req_m m;
  memset(&m, 0, sizeof m);
  m.filled = 1;
  m.status = BENCHY_OK;
  m.http_status = 200;
  m.prompt_target = 11, m.context_target = 12, m.output_target = 13;
  m.prompt_tokens = 14, m.cached_tokens = 15, m.timed_tokens = 16, m.output_tokens = 17;
  m.first_chunk_tokens = 1.5, m.ttfr_ms = 2.5, m.ttft_ms = 3.5, m.est_ppt_ms = 4.5, m.e2e_ms = 5.5;
  m.ttfb_ms = 6.5, m.pp_tps = 7.5, m.tg_tps = 8.5, m.srv_pp_tps = 9.5, m.srv_tg_tps = 10.5;
  m.prompt_exact = 1, m.prompt_counted = 1, m.output_exact = 0, m.early_stop = 1;
  m.cache = CACHE_PARTIAL, m.cache_extra = 1;
  round_trip(&m);
  /* The unknowns: null in the journal, unknown again when read. */
  m.prompt_tokens = m.cached_tokens = m.timed_tokens = m.output_tokens = -1;
  m.first_chunk_tokens = m.ttfr_ms = m.ttft_ms = m.est_ppt_ms = m.e2e_ms = NAN;
  m.ttfb_ms = m.pp_tps = m.tg_tps = m.srv_pp_tps = m.srv_tg_tps = NAN;
  m.prompt_exact = m.output_exact = -1;
  m.prompt_counted = m.early_stop = m.cache_extra = 0;
  m.cache = CACHE_NA;
  round_trip(&m);
  for (int c = CACHE_HIT; c <= CACHE_UNKNOWN; c++) {
    m.cache = c;
    round_trip(&m);
  }
  /* Each kind of failure comes back as itself: a timeout read back as an
   * HTTP error would be counted under the wrong kind. */
  const int failures[] = {BENCHY_ERR_HTTP, BENCHY_ERR_TIMEOUT, BENCHY_ERR_DISCONNECT, BENCHY_ERR_CANCELLED};
  for (size_t i = 0; i < sizeof failures / sizeof *failures; i++) {
    m.status = failures[i];
    round_trip(&m);
  }
}

static void test_computed_figures_survive_the_journal(void **state) {
  (void)state;
  benchy_record rec = ok_record();
  prompt_text pt = prompt_of(612);
  bench_req_shape s = {112, 101, 500, 1, 10.0};
  req_m m;
  memset(&m, 0, sizeof m);
  bench_metrics_compute(&m, &s, &rec, &pt);
  round_trip(&m);
  bench_metrics_clear(&m);
}

static void test_old_journal_lacks_ttfb(void **state) {
  (void)state;
  cJSON *rec = cJSON_Parse("{\"status\":\"OK\",\"http_status\":200,\"bench\":{\"prompt_target\":5,"
                           "\"e2e_ms\":12.5,\"cache\":\"hit\"}}");
  req_m m;
  memset(&m, 0, sizeof m);
  assert_int_equal(bench_metrics_from_json(&m, rec), 0);
  assert_true(isnan(m.ttfb_ms));
  assert_true(m.e2e_ms == 12.5);
  assert_int_equal(m.cache, CACHE_HIT);
  assert_int_equal(m.prompt_target, 5);
  assert_int_equal(m.output_tokens, -1);
  bench_metrics_clear(&m);
  cJSON_Delete(rec);
  /* A record without bench figures is not one bench can resume. */
  rec = cJSON_Parse("{\"status\":\"OK\"}");
  assert_int_equal(bench_metrics_from_json(&m, rec), -1);
  cJSON_Delete(rec);
}

static void test_run_totals(void **state) {
  (void)state;
  /* Two requests together: dispatched at 0, first tokens at 100 and 200 ms,
   * last at 1100 and 1200 ms; 50 timed prompt tokens and 101 output
   * tokens (one in the first chunk) each, from T0. */
  req_m reqs[2];
  memset(reqs, 0, sizeof reqs);
  for (int i = 0; i < 2; i++) {
    reqs[i].status = BENCHY_OK;
    reqs[i].t_dispatched = T0;
    reqs[i].t_first_token = T0 + (100 + 100 * i) * MS;
    reqs[i].t_last_token = T0 + (1100 + 100 * i) * MS;
    reqs[i].timed_tokens = 50;
    reqs[i].output_tokens = 101;
    reqs[i].token_chunks = 101;
    reqs[i].first_chunk_tokens = 1;
    for (int k = 0; k <= 100; k++) bench_metrics_add_chunk(&reqs[i], reqs[i].t_first_token + k * 10 * MS, 1);
  }
  run_m r = {0};
  bench_run_totals(reqs, 2, 0, &r);
  assert_true(fabs(r.pp_total - 100 / 0.2) < 1e-3);  /* 100 tokens by the last first token */
  assert_true(fabs(r.tg_total - 200 / 1.1) < 1e-3);  /* 200 tokens, first first to last last */
  /* Peak: both streams at 100 t/s overlap for a second. */
  assert_true(r.peak > 150 && r.peak <= 202);
  for (int i = 0; i < 2; i++) bench_metrics_clear(&reqs[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rates_from_a_record),
      cmocka_unit_test(test_checks_flag_what_went_wrong),
      cmocka_unit_test(test_journal_gives_back_every_field),
      cmocka_unit_test(test_computed_figures_survive_the_journal),
      cmocka_unit_test(test_old_journal_lacks_ttfb),
      cmocka_unit_test(test_run_totals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
