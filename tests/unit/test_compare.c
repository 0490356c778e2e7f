/*
 * test_compare.c — benchy compare on samples whose answers are known: the
 * t and normal distributions against closed forms and table values,
 * Welch's test against a hand computation, a clear regression and a clear
 * improvement, pure noise at several sample sizes (the share of false
 * alarms stays near alpha), too few samples said rather than hidden,
 * configurations that differ refused unless ignored, an invalid baseline
 * refused, and the table across results.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "stats/compare_stats.h"

static const double PI = 3.14159265358979323846;

/* ---------- distributions ---------- */

static void test_normal_cdf_known_values(void **state) {
  (void)state;
  assert_float_equal(cmp_normal_cdf(0), 0.5, 1e-15);
  assert_float_equal(cmp_normal_cdf(1.959963984540054), 0.975, 1e-12);
  assert_float_equal(cmp_normal_cdf(-1), 0.15865525393145707, 1e-12);
  assert_float_equal(cmp_normal_cdf(-3), 0.0013498980316301, 1e-13);
}

static void test_incomplete_beta_closed_forms(void **state) {
  (void)state;
  for (double x = 0.05; x < 1; x += 0.1) {
    assert_float_equal(cmp_incomplete_beta(1, 1, x), x, 1e-12);
    assert_float_equal(cmp_incomplete_beta(3, 1, x), x * x * x, 1e-12);
    assert_float_equal(cmp_incomplete_beta(1, 4, x), 1 - pow(1 - x, 4), 1e-12);
  }
  assert_float_equal(cmp_incomplete_beta(7.5, 7.5, 0.5), 0.5, 1e-12);
  assert_true(isnan(cmp_incomplete_beta(-1, 1, 0.5)));
}

static void test_t_cdf_closed_forms_and_table(void **state) {
  (void)state;
  for (double t = -6; t <= 6; t += 0.75) {
    /* df 1 is Cauchy; df 2 and 3 have closed forms too. */
    assert_float_equal(cmp_t_cdf(t, 1), 0.5 + atan(t) / PI, 1e-11);
    assert_float_equal(cmp_t_cdf(t, 2), 0.5 + t / (2 * sqrt(2 + t * t)), 1e-11);
    double u = t / sqrt(3);
    assert_float_equal(cmp_t_cdf(t, 3), 0.5 + (u / (1 + u * u) + atan(u)) / PI, 1e-11);
  }
  /* Printed tables: t(0.975; 10) = 2.228139, t(0.995; 30) = 2.749996. */
  assert_float_equal(cmp_t_cdf(2.228138851986274, 10), 0.975, 1e-10);
  assert_float_equal(cmp_t_cdf(2.749995653567046, 30), 0.995, 1e-10);
  assert_float_equal(cmp_t_quantile(0.975, 10), 2.228138851986274, 1e-8);
  /* A huge df is the normal. */
  assert_float_equal(cmp_t_cdf(1.959963984540054, 1e9), 0.975, 1e-9);
  assert_float_equal(cmp_t_cdf(1.959963984540054, 1e6), 0.975, 1e-6);
}

static void test_welch_matches_a_hand_computation(void **state) {
  (void)state;
  cmp_test t;
  /* se = sqrt(1/10 + 1/10); t = 1/se; df = 18 exactly (equal variances
   * and counts); two-sided p(2.2361, 18) = 0.0382 from tables. */
  assert_int_equal(cmp_welch(10, 1, 10, 11, 1, 10, 0.05, &t), 0);
  assert_float_equal(t.statistic, 1 / sqrt(0.2), 1e-12);
  assert_float_equal(t.df, 18, 1e-9);
  assert_true(t.p > 0.037 && t.p < 0.0395);
  double half = cmp_t_quantile(0.975, 18) * sqrt(0.2);
  assert_float_equal(t.ci_low, 1 - half, 1e-9);
  assert_float_equal(t.ci_high, 1 + half, 1e-9);
  /* Unequal variances: Welch–Satterthwaite df, by hand. */
  assert_int_equal(cmp_welch(0, 2, 5, 1, 1, 20, 0.05, &t), 0);
  double vb = 4.0 / 5, vn = 1.0 / 20;
  assert_float_equal(t.df, (vb + vn) * (vb + vn) / (vb * vb / 4 + vn * vn / 19), 1e-9);
  assert_int_equal(cmp_welch(1, 1, 1, 2, 1, 5, 0.05, &t), -1); /* one run: no variance */
}

/* ---------- seeded normal samples ---------- */

static uint64_t rng_state;
static double uniform01(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return ((rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static double normal(double mean, double sd) {
  return mean + sd * sqrt(-2 * log(uniform01())) * cos(2 * PI * uniform01());
}
static void summary(const double *v, int n, double *mean, double *sd) {
  double m = 0, ss = 0;
  for (int i = 0; i < n; i++) m += v[i];
  m /= n;
  for (int i = 0; i < n; i++) ss += (v[i] - m) * (v[i] - m);
  *mean = m;
  *sd = sqrt(ss / (n - 1));
}

static void test_noise_false_alarms_stay_near_alpha(void **state) {
  (void)state;
  static const int sizes[] = {3, 5, 10, 30};
  rng_state = 42;
  for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int n = sizes[s], trials = 4000, alarms = 0;
    double a[30], b[30];
    for (int k = 0; k < trials; k++) {
      for (int i = 0; i < n; i++) {
        a[i] = normal(100, 5);
        b[i] = normal(100, 5);
      }
      double ma, sa, mb, sb;
      summary(a, n, &ma, &sa);
      summary(b, n, &mb, &sb);
      cmp_test t;
      assert_int_equal(cmp_welch(ma, sa, n, mb, sb, n, 0.05, &t), 0);
      if (t.p < 0.05) alarms++;
    }
    double rate = (double)alarms / trials;
    /* 4000 trials at 5%: sd 0.34 points; Welch is slightly conservative. */
    if (rate < 0.03 || rate > 0.065) fail_msg("n=%d: false-alarm rate %.4f, want about 0.05", n, rate);
  }
}

static void test_bootstrap_noise_and_shift(void **state) {
  (void)state;
  rng_state = 7;
  enum { N = 200 };
  double a[N], b[N];
  int alarms = 0, trials = 200;
  for (int k = 0; k < trials; k++) {
    for (int i = 0; i < N; i++) {
      a[i] = normal(10, 1);
      b[i] = normal(10, 1);
    }
    cmp_test t;
    assert_int_equal(cmp_bootstrap_percentile(a, N, b, N, 50, 0.05, 500, (uint64_t)k + 1, &t), 0);
    if (t.p < 0.05) alarms++;
  }
  /* Expected 10 of 200; generous. */
  if (alarms > 25) fail_msg("bootstrap: %d false alarms in %d noise trials", alarms, trials);
  for (int i = 0; i < N; i++) {
    a[i] = normal(10, 1);
    b[i] = normal(11, 1);
  }
  cmp_test t;
  assert_int_equal(cmp_bootstrap_percentile(a, N, b, N, 50, 0.05, 1000, 3, &t), 0);
  assert_true(t.p < 0.01);
  assert_true(t.ci_low < 1 && t.ci_high > 1 && t.ci_low > 0.5);
  /* The same seed, the same answer. */
  cmp_test again;
  assert_int_equal(cmp_bootstrap_percentile(a, N, b, N, 50, 0.05, 1000, 3, &again), 0);
  assert_true(again.ci_low == t.ci_low && again.p == t.p);
}

static void test_percentile_is_numpy_linear(void **state) {
  (void)state;
  double v[] = {5, 1, 4, 2, 3};
  assert_float_equal(cmp_percentile(v, 5, 50), 3, 0);
  double w[] = {40, 10, 30, 20};
  assert_float_equal(cmp_percentile(w, 4, 90), 37, 1e-12); /* numpy: 37.0 */
  double x[] = {40, 10, 30, 20};
  assert_float_equal(cmp_percentile(x, 4, 25), 17.5, 1e-12);
}

/* ---------- through the public API ---------- */

static char *bench_doc(double mean, double sd, int n, const char *extra_config,
                       const char *extra_meta) {
  char *doc = malloc(4096);
  snprintf(doc, 4096,
           "{\"result_version\":1,\"kind\":\"bench\",\"status\":\"OK\","
           "\"config\":{\"base-url\":\"http://a/v1\",\"model\":\"m\",\"pp\":[512],\"tg\":[32]%s},"
           "\"metadata\":{\"name\":null,\"stddev\":\"sample\"%s},"
           "\"aggregates\":[{\"test\":\"tg32\",\"kind\":\"tg\",\"depth\":0,\"concurrency\":1,"
           "\"t_s_total\":{\"mean\":%.17g,\"stddev\":%.17g,\"n\":%d},"
           "\"ttfr_ms\":null}],\"records\":[]}",
           extra_config, extra_meta, mean, sd, n);
  return doc;
}

static benchy_result *parsed(char *text) {
  benchy_result *r = NULL;
  char err[256];
  int st = benchy_result_parse(&r, text, err, sizeof err);
  if (st != BENCHY_OK) fail_msg("parse: %s", err);
  free(text);
  return r;
}

static benchy_options *compare_opts(const char *name, const char *value) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_COMPARE), BENCHY_OK);
  if (name) assert_int_equal(benchy_options_set(o, name, value), BENCHY_OK);
  return o;
}

static cJSON *first_row(const benchy_comparison *c) {
  char *text = benchy_comparison_to_json(c, 0);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  return doc;
}

static const char *row_text(const cJSON *doc, const char *key) {
  const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "rows"), 0);
  const cJSON *v = cJSON_GetObjectItem(row, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_clear_regression_fails_the_gate(void **state) {
  (void)state;
  benchy_result *base = parsed(bench_doc(100, 1, 5, "", ""));
  benchy_result *fresh = parsed(bench_doc(90, 1, 5, "", ""));
  benchy_options *o = compare_opts("fail-if-slower", "3%");
  benchy_comparison *c = NULL;
  char err[512];
  assert_int_equal(benchy_compare(&c, base, fresh, o, err, sizeof err), BENCHY_OK);
  cJSON *doc = first_row(c);
  assert_string_equal(row_text(doc, "verdict"), "slower");
  assert_int_equal(benchy_comparison_regression_count(c), 1);
  assert_non_null(strstr(benchy_comparison_regression(c, 0), "tg32 t/s total"));
  assert_null(benchy_comparison_regression(c, 1));
  cJSON_Delete(doc);
  benchy_comparison_free(c);
  /* Without a threshold the same slowdown is reported, and fails nothing. */
  assert_int_equal(benchy_compare(&c, base, fresh, NULL, err, sizeof err), BENCHY_OK);
  assert_int_equal(benchy_comparison_regression_count(c), 0);
  benchy_comparison_free(c);
  benchy_options_free(o);
  /* Significant but within the threshold: -2% against 3%. */
  benchy_result *slight = parsed(bench_doc(98, 0.1, 5, "", ""));
  benchy_result *tight = parsed(bench_doc(100, 0.1, 5, "", ""));
  o = compare_opts("fail-if-slower", "3");
  assert_int_equal(benchy_compare(&c, tight, slight, o, err, sizeof err), BENCHY_OK);
  doc = first_row(c);
  assert_string_equal(row_text(doc, "verdict"), "slower");
  assert_int_equal(benchy_comparison_regression_count(c), 0);
  cJSON_Delete(doc);
  benchy_comparison_free(c);
  benchy_options_free(o);
  benchy_result_free(slight);
  benchy_result_free(tight);
  benchy_result_free(base);
  benchy_result_free(fresh);
}

static void test_clear_improvement_and_noise(void **state) {
  (void)state;
  benchy_result *base = parsed(bench_doc(100, 1, 5, "", ""));
  benchy_result *better = parsed(bench_doc(110, 1, 5, "", ""));
  benchy_result *same = parsed(bench_doc(100.3, 1, 5, "", ""));
  benchy_options *o = compare_opts("fail-if-slower", "3%");
  benchy_comparison *c = NULL;
  char err[512];
  assert_int_equal(benchy_compare(&c, base, better, o, err, sizeof err), BENCHY_OK);
  cJSON *doc = first_row(c);
  assert_string_equal(row_text(doc, "verdict"), "faster");
  assert_int_equal(benchy_comparison_regression_count(c), 0);
  cJSON_Delete(doc);
  benchy_comparison_free(c);
  assert_int_equal(benchy_compare(&c, base, same, o, err, sizeof err), BENCHY_OK);
  doc = first_row(c);
  assert_string_equal(row_text(doc, "verdict"), "no significant change");
  cJSON_Delete(doc);
  benchy_comparison_free(c);
  benchy_options_free(o);
  benchy_result_free(base);
  benchy_result_free(better);
  benchy_result_free(same);
}

static void test_too_few_runs_is_said(void **state) {
  (void)state;
  benchy_result *base = parsed(bench_doc(100, 0, 1, "", ""));
  benchy_result *fresh = parsed(bench_doc(50, 0, 1, "", ""));
  benchy_options *o = compare_opts("fail-if-slower", "3%");
  benchy_comparison *c = NULL;
  char err[512];
  assert_int_equal(benchy_compare(&c, base, fresh, o, err, sizeof err), BENCHY_OK);
  cJSON *doc = first_row(c);
  assert_string_equal(row_text(doc, "verdict"), "not tested");
  assert_non_null(strstr(row_text(doc, "note"), "too few"));
  assert_non_null(strstr(row_text(doc, "note"), "--runs"));
  /* Untested is never a regression, however large the drop. */
  assert_int_equal(benchy_comparison_regression_count(c), 0);
  char *md = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&md, &len);
  assert_int_equal(benchy_comparison_write(c, "md", f), BENCHY_OK);
  fclose(f);
  assert_non_null(strstr(md, "too few for a t-test"));
  free(md);
  cJSON_Delete(doc);
  benchy_comparison_free(c);
  benchy_options_free(o);
  benchy_result_free(base);
  benchy_result_free(fresh);
}

static void test_differing_config_refused_unless_ignored(void **state) {
  (void)state;
  benchy_result *base = parsed(bench_doc(100, 1, 5, ",\"depth\":[0]", ""));
  benchy_result *fresh = parsed(bench_doc(100, 1, 5, ",\"depth\":[4096]", ""));
  benchy_comparison *c = NULL;
  char err[512];
  assert_int_equal(benchy_compare(&c, base, fresh, NULL, err, sizeof err), BENCHY_ERR_INVALID);
  assert_null(c);
  assert_non_null(strstr(err, "depth"));
  assert_non_null(strstr(err, "--ignore-config"));
  benchy_options *o = compare_opts("ignore-config", "model, depth,dpeth");
  assert_int_equal(benchy_compare(&c, base, fresh, o, err, sizeof err), BENCHY_OK);
  char *json = benchy_comparison_to_json(c, 0);
  assert_non_null(strstr(json, "\"ignored_config\":[\"depth\"]"));
  assert_non_null(strstr(json, "--ignore-config dpeth: neither config has that key"));
  free(json);
  benchy_comparison_free(c);
  benchy_options_free(o);
  /* Where the servers are reached is not what they measured. */
  benchy_result *elsewhere = parsed(bench_doc(100, 1, 5, ",\"depth\":[0],\"base-url\":\"http://b/v1\"", ""));
  assert_int_equal(benchy_compare(&c, base, elsewhere, NULL, err, sizeof err), BENCHY_OK);
  benchy_comparison_free(c);
  benchy_result_free(elsewhere);
  benchy_result_free(base);
  benchy_result_free(fresh);
}

static void test_invalid_baseline_and_bad_thresholds_refused(void **state) {
  (void)state;
  benchy_result *invalid = parsed(bench_doc(100, 1, 5, "", ",\"invalid\":{\"reason\":\"no marlin\"}"));
  benchy_result *valid = parsed(bench_doc(100, 1, 5, "", ""));
  benchy_comparison *c = NULL;
  char err[512];
  assert_int_equal(benchy_compare(&c, invalid, valid, NULL, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "invalid"));
  /* As NEW it is compared, and said. */
  assert_int_equal(benchy_compare(&c, valid, invalid, NULL, err, sizeof err), BENCHY_OK);
  char *json = benchy_comparison_to_json(c, 0);
  assert_non_null(strstr(json, "NEW is marked invalid"));
  free(json);
  benchy_comparison_free(c);
  benchy_options *o = compare_opts("fail-if-slower", "three");
  assert_int_equal(benchy_compare(&c, valid, valid, o, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--fail-if-slower 'three'"));
  benchy_options_free(o);
  o = compare_opts("fail-if-memory-grows", "1XB");
  assert_int_equal(benchy_compare(&c, valid, valid, o, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--fail-if-memory-grows '1XB'"));
  benchy_options_free(o);
  o = compare_opts("fail-if-memory-grows", "1GB");
  assert_int_equal(benchy_compare(&c, valid, valid, o, err, sizeof err), BENCHY_OK);
  json = benchy_comparison_to_json(c, 0);
  assert_non_null(strstr(json, "no memory figures in these results"));
  assert_non_null(strstr(json, "\"memory_grows_bytes\":1000000000"));
  free(json);
  assert_int_equal(benchy_comparison_regression_count(c), 0);
  benchy_comparison_free(c);
  benchy_options_free(o);
  benchy_result_free(invalid);
  benchy_result_free(valid);
}

/* A load level of n requests with TTFTs drawn around ttft_ms. */
static char *load_doc(int n, double ttft_ms) {
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddNumberToObject(doc, "result_version", 1);
  cJSON_AddStringToObject(doc, "kind", "load");
  cJSON_AddStringToObject(doc, "status", "OK");
  cJSON *config = cJSON_AddObjectToObject(doc, "config");
  cJSON_AddNumberToObject(config, "input-len", 512);
  cJSON *meta = cJSON_AddObjectToObject(doc, "metadata");
  cJSON_AddStringToObject(meta, "stddev", "population");
  cJSON *records = cJSON_AddArrayToObject(doc, "records");
  double *v = malloc((size_t)n * sizeof *v), m, sd;
  for (int i = 0; i < n; i++) {
    v[i] = normal(ttft_ms, ttft_ms / 10);
    cJSON *r = cJSON_CreateObject();
    cJSON_AddNumberToObject(r, "level", 0);
    cJSON_AddStringToObject(r, "status", "OK");
    cJSON_AddNumberToObject(r, "ttft_ms", v[i]);
    cJSON_AddItemToArray(records, r);
  }
  summary(v, n, &m, &sd);
  cJSON *level = cJSON_CreateObject();
  cJSON_AddNumberToObject(level, "level", 0);
  cJSON_AddStringToObject(level, "label", "c=4");
  cJSON_AddNumberToObject(level, "max_concurrency", 4);
  cJSON_AddStringToObject(level, "request_rate", "inf");
  cJSON_AddNumberToObject(level, "completed", n);
  cJSON_AddNumberToObject(level, "output_throughput", 1000);
  cJSON_AddNumberToObject(level, "mean_ttft_ms", m);
  cJSON_AddNumberToObject(level, "std_ttft_ms", sd * sqrt((n - 1.0) / n));
  cJSON_AddNumberToObject(level, "p50_ttft_ms", cmp_percentile(v, (size_t)n, 50));
  cJSON_AddNumberToObject(level, "p99_ttft_ms", cmp_percentile(v, (size_t)n, 99));
  cJSON_AddItemToArray(cJSON_AddArrayToObject(doc, "aggregates"), level);
  free(v);
  char *text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  return text;
}

static const cJSON *row_named(const cJSON *doc, const char *metric) {
  for (const cJSON *r = cJSON_GetObjectItem(doc, "rows")->child; r; r = r->next)
    if (!strcmp(cJSON_GetObjectItem(r, "metric")->valuestring, metric)) return r;
  fail_msg("no row %s", metric);
  return NULL;
}

static void test_load_levels_tested_from_records(void **state) {
  (void)state;
  rng_state = 99;
  benchy_result *base = parsed(load_doc(200, 100));
  benchy_result *fresh = parsed(load_doc(200, 120));
  benchy_options *o = compare_opts("fail-if-latency-grows", "5%");
  benchy_comparison *c = NULL;
  char err[512];
  assert_int_equal(benchy_compare(&c, base, fresh, o, err, sizeof err), BENCHY_OK);
  cJSON *doc = first_row(c);
  const cJSON *mean = row_named(doc, "TTFT mean ms");
  assert_string_equal(cJSON_GetObjectItem(mean, "verdict")->valuestring, "slower");
  assert_non_null(strstr(cJSON_GetObjectItem(mean, "test")->valuestring, "200 vs 200 requests"));
  const cJSON *p50 = row_named(doc, "TTFT p50 ms");
  assert_string_equal(cJSON_GetObjectItem(p50, "verdict")->valuestring, "slower");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItem(p50, "regression")));
  /* 200 requests cannot say much about a p99: 2 lie beyond it. */
  const cJSON *p99 = row_named(doc, "TTFT p99 ms");
  assert_string_equal(cJSON_GetObjectItem(p99, "verdict")->valuestring, "not tested");
  assert_non_null(strstr(cJSON_GetObjectItem(p99, "note")->valuestring, "--num-prompts >= 500"));
  /* p90 was not asked for: said, not dropped. */
  const cJSON *p90 = row_named(doc, "TTFT p90 ms");
  assert_non_null(strstr(cJSON_GetObjectItem(p90, "note")->valuestring, "--percentiles"));
  const cJSON *rate = row_named(doc, "output tok/s");
  assert_string_equal(cJSON_GetObjectItem(rate, "verdict")->valuestring, "not tested");
  assert_true(benchy_comparison_regression_count(c) >= 2);
  cJSON_Delete(doc);
  benchy_comparison_free(c);
  benchy_options_free(o);
  benchy_result_free(base);
  benchy_result_free(fresh);
}

static void test_table_across_results(void **state) {
  (void)state;
  rng_state = 5;
  const benchy_result *rs[3];
  benchy_result *a = parsed(bench_doc(100, 1, 5, "", ""));
  benchy_result *b = parsed(bench_doc(90, 2, 5, "", ",\"invalid\":true"));
  benchy_result *l = parsed(load_doc(50, 10));
  rs[0] = a;
  rs[1] = b;
  rs[2] = l;
  const char *labels[] = {"marlin", "gemm", NULL};
  char *md = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&md, &len);
  assert_int_equal(benchy_results_table_write(rs, labels, 3, "md", f), BENCHY_OK);
  fclose(f);
  assert_non_null(strstr(md, "| result | tg32 t/s | c=4 TTFT p50 ms | c=4 TTFT p99 ms | validity |"));
  assert_non_null(strstr(md, "| marlin | 100.00 ± 1.00 | — | — | valid |"));
  assert_non_null(strstr(md, "| gemm | 90.00 ± 2.00 | — | — | INVALID |"));
  assert_non_null(strstr(md, "| result 3 | — |"));
  free(md);
  assert_int_equal(benchy_results_table_write(rs, NULL, 3, "csv", stdout), BENCHY_ERR_UNSUPPORTED);
  benchy_result_free(a);
  benchy_result_free(b);
  benchy_result_free(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_normal_cdf_known_values),
      cmocka_unit_test(test_incomplete_beta_closed_forms),
      cmocka_unit_test(test_t_cdf_closed_forms_and_table),
      cmocka_unit_test(test_welch_matches_a_hand_computation),
      cmocka_unit_test(test_noise_false_alarms_stay_near_alpha),
      cmocka_unit_test(test_bootstrap_noise_and_shift),
      cmocka_unit_test(test_percentile_is_numpy_linear),
      cmocka_unit_test(test_clear_regression_fails_the_gate),
      cmocka_unit_test(test_clear_improvement_and_noise),
      cmocka_unit_test(test_too_few_runs_is_said),
      cmocka_unit_test(test_differing_config_refused_unless_ignored),
      cmocka_unit_test(test_invalid_baseline_and_bad_thresholds_refused),
      cmocka_unit_test(test_load_levels_tested_from_records),
      cmocka_unit_test(test_table_across_results),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
