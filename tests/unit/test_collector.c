/*
 * test_collector.c — benchy/collector.h through its public API: known
 * answers for each metric from hand-built records, merge equal to one
 * collector over both, the JSON round trip, and two saved `benchy load`
 * results merged through their stored collectors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "benchy/collector.h"
#include "testutil.h"

#define MS(x) ((int64_t)((x) * 1e6))

static benchy_chunk_event ev(double t_ms, int tokens, unsigned kinds, uint32_t bytes) {
  benchy_chunk_event e = {MS(t_ms), 0, tokens, kinds, bytes, 0};
  return e;
}

/* A successful request scheduled at sched, sent at sent, first token at
 * first, done at done (ms); tokens as the server counted them. */
static benchy_record ok_record(double sched, double sent, double first, double done,
                               int64_t out_tokens, benchy_chunk_event *evs, size_t n) {
  benchy_record r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.status = BENCHY_OK;
  r.http_status = 200;
  r.t_scheduled = MS(sched);
  r.t_dispatched = MS(sent);
  r.t_first_chunk = r.t_first_token = MS(first);
  r.t_done = MS(done);
  r.output_tokens = r.usage_completion_tokens = r.server_chunk_tokens = out_tokens;
  r.usage_prompt_tokens = 20;
  r.usage_cached_tokens = -1;
  r.token_chunks = (int64_t)n;
  r.chunk_events = evs;
  r.n_chunk_events = n;
  return r;
}

static benchy_record failed_record(int status, int http, double sched, double done) {
  benchy_record r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.status = status;
  r.http_status = http;
  r.t_scheduled = r.t_dispatched = MS(sched);
  r.t_done = MS(done);
  r.usage_prompt_tokens = r.usage_completion_tokens = r.usage_cached_tokens = -1;
  return r;
}

static cJSON *aggregate(benchy_collector *c) {
  char *text = benchy_collector_aggregate(c, 0);
  assert_non_null(text);
  cJSON *o = cJSON_Parse(text);
  free(text);
  assert_non_null(o);
  return o;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v)) fail_msg("field %s is not a number", key);
  return v->valuedouble;
}

static void assert_near(double got, double want, double tol, const char *what) {
  if (!(fabs(got - want) <= tol)) fail_msg("%s: got %.9g, want %.9g (+-%g)", what, got, want, tol);
}

static void test_known_answers(void **state) {
  (void)state;
  const double ps[] = {50, 100};
  benchy_collector_config cfg = {.percentiles = ps, .n_percentiles = 2, .slo_ttft_ms = 150,
                                 .ddof = 0, .t0_ns = MS(900)};
  benchy_collector *c = NULL;
  assert_int_equal(benchy_collector_new(&c, &cfg), BENCHY_OK);

  const unsigned C = BENCHY_CHUNK_CONTENT;
  /* Request 1: scheduled 900, sent 910, first token 1000, done 1061 ms,
   * 7 tokens in chunks of 1, 1, 2, 3 at 1000, 1010, 1030, 1060 ms. */
  benchy_chunk_event e1[] = {ev(1000, 1, C, 4), ev(1010, 1, C, 4), ev(1030, 2, C, 8),
                             ev(1060, 3, C, 12)};
  benchy_record r1 = ok_record(900, 910, 1000, 1061, 7, e1, 4);
  r1.usage_cached_tokens = 5;
  /* Request 2: sent on time at 1200, first token 1400, done 1500, 2 tokens. */
  benchy_chunk_event e2[] = {ev(1400, 1, C, 4), ev(1500, 1, C, 4)};
  benchy_record r2 = ok_record(1200, 1200, 1400, 1500, 2, e2, 2);
  benchy_record f1 = failed_record(BENCHY_ERR_HTTP, 429, 1300, 1310);
  benchy_record f2 = failed_record(BENCHY_ERR_TIMEOUT, 0, 2300, 2400);
  assert_int_equal(benchy_collector_add(c, &r1), BENCHY_OK);
  assert_int_equal(benchy_collector_add(c, &r2), BENCHY_OK);
  assert_int_equal(benchy_collector_add(c, &f1), BENCHY_OK);
  assert_int_equal(benchy_collector_add(c, &f2), BENCHY_OK);

  cJSON *o = aggregate(c);
  assert_int_equal((int)num(o, "num_requests"), 4);
  assert_int_equal((int)num(o, "completed"), 2);
  assert_int_equal((int)num(o, "failed"), 2);
  const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(o, "failed_by_kind");
  assert_int_equal((int)num(kinds, "rate_limited") + (int)num(kinds, "http_error"), 1);
  assert_int_equal((int)num(kinds, "timeout"), 1);
  assert_int_equal((int)num(cJSON_GetObjectItemCaseSensitive(o, "failed_by_http_status"), "429"), 1);
  /* TTFT from dispatch: 90 and 200 ms; from schedule: 100 and 200 ms. */
  assert_near(num(o, "mean_ttft_ms"), 145, 1e-9, "mean ttft");
  assert_near(num(o, "p50_ttft_ms"), 145, 1e-9, "p50 ttft (linear)");
  assert_near(num(o, "p100_ttft_ms"), 200, 1e-9, "p100 ttft");
  assert_near(num(o, "std_ttft_ms"), 55, 1e-9, "population std ttft");
  assert_near(num(o, "mean_ttft_from_schedule_ms"), 150, 1e-9, "ttft from schedule");
  assert_near(num(o, "mean_ttfr_ms"), 145, 1e-9, "ttfr");
  /* TPOT: (1061-1000)/6 and (1500-1400)/1. */
  assert_near(num(o, "min_tpot_ms"), 61.0 / 6, 1e-6, "tpot min");
  assert_near(num(o, "max_tpot_ms"), 100, 1e-9, "tpot max");
  assert_near(num(o, "mean_e2el_ms"), (151 + 300) / 2.0, 1e-9, "e2el");
  assert_near(num(o, "max_queue_ms"), 10, 1e-9, "queue");
  /* ITL per chunk: 10, 20, 30 and 100; per token: 10 x 6 and 100. */
  assert_int_equal((int)num(o, "itl_count"), 4);
  assert_int_equal((int)num(o, "itl_per_token_count"), 7);
  assert_near(num(o, "mean_itl_ms"), 40, 1e-9, "itl per chunk");
  assert_near(num(o, "p100_itl_per_token_ms"), 100, 1e-9, "itl per token");
  assert_int_equal((int)num(o, "total_input_tokens"), 40);
  assert_int_equal((int)num(o, "total_output_tokens"), 9);
  assert_int_equal((int)num(o, "total_cached_tokens"), 5);
  assert_int_equal((int)num(o, "cached_tokens_reported_by"), 1);
  /* Goodput against TTFT <= 150 ms: request 1 only (request 2 took 200). */
  assert_int_equal((int)num(o, "good_requests"), 1);
  /* Duration 900 .. 2400 ms. */
  assert_near(num(o, "duration"), 1.5, 1e-9, "duration");
  assert_near(num(o, "request_throughput"), 2 / 1.5, 1e-9, "request throughput");
  /* Timeline from 900 ms: second 0 has three starts and 7 + 2 tokens... */
  const cJSON *tl = cJSON_GetObjectItemCaseSensitive(o, "timeline");
  assert_int_equal(cJSON_GetArraySize(tl), 2);
  assert_int_equal((int)num(cJSON_GetArrayItem(tl, 0), "started"), 3);
  assert_int_equal((int)num(cJSON_GetArrayItem(tl, 0), "output_tokens"), 9);
  assert_int_equal((int)num(cJSON_GetArrayItem(tl, 1), "failed"), 1);
  cJSON_Delete(o);
  benchy_collector_free(c);
}

static void test_bad_config(void **state) {
  (void)state;
  benchy_collector *c = (void *)1;
  const double bad[] = {101};
  benchy_collector_config cfg = {.percentiles = bad, .n_percentiles = 1};
  assert_int_equal(benchy_collector_new(&c, &cfg), BENCHY_ERR_INVALID);
  assert_null(c);
  benchy_collector_config ddof = {.ddof = 2};
  assert_int_equal(benchy_collector_new(&c, &ddof), BENCHY_ERR_INVALID);
  char err[256] = "";
  assert_int_equal(benchy_collector_from_json(&c, "{\"x\":1}", err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "collector_version"));
  assert_int_equal(benchy_collector_from_json(&c, "nope", err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "not JSON"));
  /* Goodput against different objectives does not add up. */
  benchy_collector *x, *y;
  benchy_collector_config sx = {.slo_ttft_ms = 100}, sy = {.slo_ttft_ms = 200};
  assert_int_equal(benchy_collector_new(&x, &sx), BENCHY_OK);
  assert_int_equal(benchy_collector_new(&y, &sy), BENCHY_OK);
  assert_int_equal(benchy_collector_merge(x, y), BENCHY_ERR_INVALID);
  benchy_collector_free(x);
  benchy_collector_free(y);
}

/* n requests with spread-out latencies, deterministic. */
static benchy_record varied(int i, benchy_chunk_event *evs) {
  double sched = 1000 + 37.0 * i, sent = sched + (i % 5);
  double first = sent + 20 + (i * 7919 % 300);
  double gap = 3 + (i * 104729 % 40);
  for (int k = 0; k < 4; k++) evs[k] = ev(first + k * gap, 1 + (k == 3), BENCHY_CHUNK_CONTENT, 4);
  benchy_record r = ok_record(sched, sent, first, first + 3 * gap + 1, 5, evs, 4);
  return r;
}

#define N_VARIED 500

static void test_merge_equals_one_over_both(void **state) {
  (void)state;
  benchy_collector_config cfg = {.t0_ns = MS(1000)};
  benchy_collector *all, *a, *b;
  assert_int_equal(benchy_collector_new(&all, &cfg), BENCHY_OK);
  assert_int_equal(benchy_collector_new(&a, &cfg), BENCHY_OK);
  assert_int_equal(benchy_collector_new(&b, &cfg), BENCHY_OK);
  benchy_chunk_event evs[4];
  for (int i = 0; i < N_VARIED; i++) {
    benchy_record r = varied(i, evs);
    if (i % 7 == 3) r = failed_record(BENCHY_ERR_HTTP, 503, 1000 + 37.0 * i, 1010 + 37.0 * i);
    benchy_collector_add(all, &r);
    benchy_collector_add(i % 3 ? a : b, &r);
  }
  assert_int_equal(benchy_collector_merge(a, b), BENCHY_OK);
  /* Into itself: refused (it would read what it writes, without end). */
  assert_int_equal(benchy_collector_merge(a, a), BENCHY_ERR_INVALID);
  char *want = benchy_collector_aggregate(all, 0), *got = benchy_collector_aggregate(a, 0);
  cJSON *w = cJSON_Parse(want), *g = cJSON_Parse(got);
  /* Every key, exactly, but the moments, which depend on summation order. */
  const cJSON *item;
  cJSON_ArrayForEach(item, w) {
    const cJSON *other = cJSON_GetObjectItemCaseSensitive(g, item->string);
    assert_non_null(other);
    if (cJSON_IsNumber(item) && (!strncmp(item->string, "mean_", 5) || !strncmp(item->string, "std_", 4)))
      assert_near(other->valuedouble, item->valuedouble, 1e-9 * fabs(item->valuedouble), item->string);
    else if (!cJSON_Compare(item, other, 1))
      fail_msg("%s differs after merge", item->string);
  }
  cJSON_Delete(w);
  cJSON_Delete(g);
  free(want);
  free(got);
  benchy_collector_free(all);
  benchy_collector_free(a);
  benchy_collector_free(b);
}

/* Histogram percentiles against exact ones: within the stated error of the
 * nearest-rank value, which lies between the linear-interpolated
 * neighbours, so compare against the exact p's bracket. */
static void assert_percentiles_close(const cJSON *exact, const cJSON *hist, const char *metric) {
  const double ps[] = {50, 90, 95, 99};
  for (int i = 0; i < 4; i++) {
    char key[64];
    benchy_percentile_key(key, sizeof key, ps[i], metric, "ms");
    double want = num(exact, key), got = num(hist, key);
    /* Linear interpolation and nearest rank differ by at most one gap
     * between neighbours; the data here are dense enough that 2% covers it. */
    assert_near(got, want, 0.02 * want + 1e-6, key);
  }
}

static void test_json_round_trip_and_merge(void **state) {
  (void)state;
  benchy_collector_config cfg = {.t0_ns = MS(1000), .slo_e2el_ms = 200};
  benchy_collector *all, *a, *b;
  assert_int_equal(benchy_collector_new(&all, &cfg), BENCHY_OK);
  assert_int_equal(benchy_collector_new(&a, &cfg), BENCHY_OK);
  assert_int_equal(benchy_collector_new(&b, &cfg), BENCHY_OK);
  benchy_chunk_event evs[4];
  for (int i = 0; i < N_VARIED; i++) {
    benchy_record r = varied(i, evs);
    benchy_collector_add(all, &r);
    benchy_collector_add(i < N_VARIED / 2 ? a : b, &r);
  }
  char *ja = benchy_collector_to_json(a), *jb = benchy_collector_to_json(b);
  assert_non_null(ja);
  assert_non_null(jb);
  benchy_collector *ra, *rb;
  char err[256];
  assert_int_equal(benchy_collector_from_json(&ra, ja, err, sizeof err), BENCHY_OK);
  assert_int_equal(benchy_collector_from_json(&rb, jb, err, sizeof err), BENCHY_OK);
  /* What is read back writes the same text. */
  char *again = benchy_collector_to_json(ra);
  assert_string_equal(again, ja);
  free(again);
  assert_int_equal(benchy_collector_merge(ra, rb), BENCHY_OK);
  cJSON *exact = aggregate(all), *merged = aggregate(ra);
  const char *counts[] = {"num_requests", "completed", "failed", "total_output_tokens",
                          "total_input_tokens", "itl_count", "itl_per_token_count",
                          "good_requests", "max_output_tokens_per_s"};
  for (size_t i = 0; i < sizeof counts / sizeof *counts; i++)
    assert_true(num(exact, counts[i]) == num(merged, counts[i]));
  const char *metrics[] = {"ttft", "tpot", "itl", "itl_per_token", "e2el"};
  for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++) {
    char key[64];
    snprintf(key, sizeof key, "mean_%s_ms", metrics[i]);
    assert_near(num(merged, key), num(exact, key), 1e-9 * num(exact, key), key);
    snprintf(key, sizeof key, "max_%s_ms", metrics[i]);
    assert_true(num(merged, key) == num(exact, key));
    assert_percentiles_close(exact, merged, metrics[i]);
  }
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(merged, "request_percentiles_from")->valuestring,
                      "histogram");
  assert_near(num(merged, "request_percentiles_relative_error"), BENCHY_COLLECTOR_RELATIVE_ERROR, 0,
              "stated error");
  cJSON_Delete(exact);
  cJSON_Delete(merged);
  free(ja);
  free(jb);
  benchy_collector_free(ra);
  benchy_collector_free(rb);
  benchy_collector_free(all);
  benchy_collector_free(a);
  benchy_collector_free(b);
}

static void test_percentile_key_shape(void **state) {
  (void)state;
  char key[64];
  benchy_percentile_key(key, sizeof key, 99, "ttft", "ms");
  assert_string_equal(key, "p99_ttft_ms");
  benchy_percentile_key(key, sizeof key, 99.9, "itl", "ms");
  assert_string_equal(key, "p99.9_itl_ms");
  benchy_percentile_key(key, sizeof key, 50, "t_s_total", NULL);
  assert_string_equal(key, "p50_t_s_total");
}

/* One saved `benchy load` result against the in-process simulator. */
static char *load_result(benchy_sim *sim, const char *seed) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  const char *kv[] = {"base-url", benchy_sim_base_url(sim), "quiet", "true", "input-len", "30",
                      "output-len", "12", "warmup", "0", "num-prompts", "24", "concurrency", "4",
                      "seed", seed, NULL};
  for (const char **p = kv; *p; p += 2)
    if (benchy_options_set(o, p[0], p[1]) != BENCHY_OK)
      fail_msg("option %s: %s", p[0], benchy_options_error(o));
  benchy_result *res = NULL;
  char err[512] = "";
  if (benchy_load_run(o, &res, err, sizeof err) != BENCHY_OK) fail_msg("load: %s", err);
  char *text = benchy_result_to_json(res, 0);
  assert_non_null(text);
  benchy_result_free(res);
  benchy_options_free(o);
  return text;
}

static void pooled_values(const char *doc_text, const char *key, double *out, size_t *n) {
  cJSON *doc = cJSON_Parse(doc_text);
  const cJSON *rec;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);
    if (cJSON_IsNumber(v)) out[(*n)++] = v->valuedouble;
  }
  cJSON_Delete(doc);
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static void test_two_saved_load_results_merge(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "2000", "prefill-tps", "50000", NULL);
  char *r1 = load_result(sim, "1"), *r2 = load_result(sim, "2");
  test_sim_stop(sim);

  benchy_collector *c1, *c2;
  char err[256];
  assert_int_equal(benchy_collector_from_result(&c1, r1, 0, err, sizeof err), BENCHY_OK);
  assert_int_equal(benchy_collector_from_result(&c2, r2, 0, err, sizeof err), BENCHY_OK);
  assert_int_equal(benchy_collector_merge(c1, c2), BENCHY_OK);
  cJSON *m = aggregate(c1);
  assert_int_equal((int)num(m, "num_requests"), 48);
  assert_int_equal((int)num(m, "completed"), 48);
  cJSON *d1 = cJSON_Parse(r1), *d2 = cJSON_Parse(r2);
  const cJSON *l1 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d1, "aggregates"), 0);
  const cJSON *l2 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d2, "aggregates"), 0);
  assert_true(num(m, "total_output_tokens") == num(l1, "total_output_tokens") + num(l2, "total_output_tokens"));
  assert_true(num(m, "itl_count") == num(l1, "itl_count") + num(l2, "itl_count"));
  assert_near(num(m, "mean_ttft_ms"), (num(l1, "mean_ttft_ms") + num(l2, "mean_ttft_ms")) / 2,
              1e-9 * num(m, "mean_ttft_ms"), "pooled mean of equal-sized levels");
  /* Percentiles within the stated error of the pooled records' own values
   * at the same nearest rank. */
  const char *keys[] = {"ttft", "e2el"};
  for (int k = 0; k < 2; k++) {
    double v[64];
    size_t n = 0;
    char rk[32];
    snprintf(rk, sizeof rk, "%s_ms", keys[k]);
    pooled_values(r1, rk, v, &n);
    pooled_values(r2, rk, v, &n);
    assert_int_equal(n, 48);
    qsort(v, n, sizeof *v, cmp_double);
    const double ps[] = {50, 90, 99};
    for (int i = 0; i < 3; i++) {
      size_t rank = (size_t)ceil(ps[i] / 100 * (double)n);
      char key[64];
      benchy_percentile_key(key, sizeof key, ps[i], keys[k], "ms");
      /* The record's ms value is rounded to the µs it prints. */
      assert_near(num(m, key), v[rank - 1], BENCHY_COLLECTOR_RELATIVE_ERROR * v[rank - 1] + 1e-3, key);
    }
  }
  /* A level that is not there, and a result without collectors. */
  benchy_collector *none = NULL;
  assert_int_equal(benchy_collector_from_result(&none, r1, 3, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "no level 3"));
  cJSON_Delete(d1);
  cJSON_Delete(d2);
  cJSON_Delete(m);
  benchy_collector_free(c1);
  benchy_collector_free(c2);
  free(r1);
  free(r2);
}

/* 600 requests of every kind (failures by kind and HTTP status,
 * cancellations, missing usage, spread chunk counts, cached tokens), built
 * exactly as a one-off program fed them to the old load_metrics.c at
 * the branch point (5eec5d7) to write the two fixtures. */
static benchy_chunk_event old_evs[600][5];
static benchy_record old_path_record(int i) {
  benchy_record r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  double sched = 1000 + 13.0 * i, sent = sched + (i % 9), first = sent + 20 + (i * 7919 % 300);
  double gap = 1 + (i * 104729 % 40);
  benchy_chunk_event *e = old_evs[i];
  for (int k = 0; k < 5; k++)
    e[k] = (benchy_chunk_event){MS(first + k * gap), 0, (i % 4 == 0) ? -1 : 1 + (k == 3),
                                BENCHY_CHUNK_CONTENT, (uint32_t)(4 + k), 0};
  r.status = (i % 11 == 5)   ? BENCHY_ERR_HTTP
             : (i % 17 == 3) ? BENCHY_ERR_TIMEOUT
             : (i % 23 == 1) ? BENCHY_ERR_CANCELLED
                             : BENCHY_OK;
  r.http_status = r.status == BENCHY_ERR_HTTP ? (i % 2 ? 429 : 503) : 200;
  r.t_scheduled = MS(sched);
  r.t_dispatched = MS(sent);
  r.t_first_chunk = MS(first - 1);
  r.t_first_token = MS(first);
  r.t_done = MS(first + 4 * gap + 2);
  r.output_tokens = r.usage_completion_tokens = 6 + (i % 3 == 0);
  r.server_chunk_tokens = 6;
  if (i % 5 == 0) r.usage_completion_tokens = -1;
  r.usage_prompt_tokens = i % 7 ? 20 + i % 13 : -1;
  r.usage_cached_tokens = i % 3 ? 8 : -1;
  r.token_chunks = 5;
  r.chunk_events = e;
  r.n_chunk_events = 5;
  return r;
}

static char *read_fixture(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", BENCHY_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  char *buf = calloc(1, 1 << 16);
  size_t n = fread(buf, 1, (1 << 16) - 1, f);
  fclose(f);
  while (n > 0 && (buf[n - 1] == '\n')) buf[--n] = 0;
  return buf;
}

/* The aggregate, byte for byte, that load_metrics.c gave before it became
 * the collector: with every value kept, and past a budget of 100 (so
 * percentiles from the histograms), over two per-thread collectors merged
 * as load merges its threads'. */
static void test_aggregate_same_as_before(void **state) {
  (void)state;
  const char *fixtures[] = {"collector_load_metrics_exact.json",
                            "collector_load_metrics_histogram.json"};
  const size_t budgets[] = {0, 100};
  for (int f = 0; f < 2; f++) {
    const double ps[] = {50, 90, 99, 99.9};
    benchy_collector_config cfg = {ps, 4, 150, 10, 0, 1, budgets[f], budgets[f], MS(1000)};
    benchy_collector *a, *b;
    assert_int_equal(benchy_collector_new(&a, &cfg), BENCHY_OK);
    assert_int_equal(benchy_collector_new(&b, &cfg), BENCHY_OK);
    for (int i = 0; i < 600; i++) {
      benchy_record r = old_path_record(i);
      benchy_collector_add_expected(i % 3 ? a : b, &r, 25);
    }
    assert_int_equal(benchy_collector_merge(a, b), BENCHY_OK);
    char *got = benchy_collector_aggregate(a, 0), *want = read_fixture(fixtures[f]);
    assert_string_equal(got, want);
    free(got);
    free(want);
    benchy_collector_free(a);
    benchy_collector_free(b);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_known_answers),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_merge_equals_one_over_both),
      cmocka_unit_test(test_json_round_trip_and_merge),
      cmocka_unit_test(test_percentile_key_shape),
      cmocka_unit_test(test_two_saved_load_results_merge),
      cmocka_unit_test(test_aggregate_same_as_before),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
