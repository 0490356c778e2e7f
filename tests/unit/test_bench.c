/*
 * test_bench.c — benchy_bench_run() against the in-process simulator,
 * through the public API only: rates against the sim's timing model (with
 * generous bounds), exact prompt and output lengths, cached and resent
 * depth, several tokens per chunk, concurrency, every bench flag, the
 * errors a user meets, the table's shape, and --resume after an interrupted
 * or torn --jsonl file.
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include <cjson/cJSON.h>

#include "benchy/benchy.h"



static benchy_options *bench_opts_v(const char *base_url, const char *first, va_list ap) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_BENCH), BENCHY_OK);
  if (base_url) assert_int_equal(benchy_options_set(o, "base-url", base_url), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "quiet", NULL), BENCHY_OK);
  for (const char *name = first; name; name = va_arg(ap, const char *)) {
    const char *value = va_arg(ap, const char *);
    if (benchy_options_set(o, name, value) != BENCHY_OK) fail_msg("%s", benchy_options_error(o));
  }
  return o;
}

/* Runs a bench with these options ("name", "value"|NULL, ..., NULL); the
 * status must be `expect`. Returns the result (NULL when none). */
static benchy_result *run_bench(const char *base_url, int expect, char *err, size_t errlen,
                                const char *first, ...) {
  va_list ap;
  va_start(ap, first);
  benchy_options *o = bench_opts_v(base_url, first, ap);
  va_end(ap);
  benchy_result *res = NULL;
  char local[1024];
  if (!err) {
    err = local;
    errlen = sizeof local;
  }
  err[0] = 0;
  int st = benchy_bench_run(o, &res, err, errlen);
  benchy_options_free(o);
  if (st != expect) fail_msg("benchy_bench_run: %s (%d), want %s: %s", benchy_status_name(st), st,
                             benchy_status_name(expect), err);
  return res;
}

static cJSON *doc_of(const benchy_result *res) {
  assert_non_null(res);
  char *text = benchy_result_to_json(res, 0);
  assert_non_null(text);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  assert_non_null(doc);
  return doc;
}

static const cJSON *row_of(const cJSON *doc, const char *test) {
  const cJSON *row;
  cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(doc, "aggregates")) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(row, "test");
    if (cJSON_IsString(t) && !strcmp(t->valuestring, test)) return row;
  }
  fail_msg("no row '%s'", test);
  return NULL;
}

static const cJSON *at(const cJSON *o, const char *path) {
  /* "a.b.c" */
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = o;
  for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
    cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
  return cur;
}

static double num(const cJSON *o, const char *path) {
  const cJSON *cur = at(o, path);
  if (!cJSON_IsNumber(cur)) fail_msg("%s is not a number", path);
  return cur->valuedouble;
}

/* A measured figure can be missing for a reason of timing alone: when a
 * stall lets every token chunk of a request pile up and arrive in one read,
 * its first and last token share a receive time and no decode rate exists.
 * So a missing one is a timing miss (testutil.h), returned as NaN; a client
 * that never computes it still fails, in every attempt. */
static double timing_num(const cJSON *o, const char *path) {
  const cJSON *cur = at(o, path);
  if (!cJSON_IsNumber(cur)) {
    test_timing_miss("%s is not a number", path);
    return NAN;
  }
  return cur->valuedouble;
}

static const char *str(const cJSON *o, const char *path) {
  char buf[128];
  snprintf(buf, sizeof buf, "%s", path);
  const cJSON *cur = o;
  for (char *tok = strtok(buf, "."); tok && cur; tok = strtok(NULL, "."))
    cur = cJSON_GetObjectItemCaseSensitive(cur, tok);
  if (!cJSON_IsString(cur)) fail_msg("%s is not a string", path);
  return cur->valuestring;
}

static int near(double got, double want, double rel) {
  /* |want|: a difference such as est_ppt = ttfr - latency may be negative
   * on a slow run, and the relation must still hold. */
  return fabs(got - want) <= rel * fabs(want) + 1e-9;
}

/* For relations that hold by construction, whatever the timing. */
static void assert_near(double got, double want, double rel, const char *what) {
  if (!near(got, want, rel)) fail_msg("%s: %.2f, want %.2f ± %.0f%%", what, got, want, rel * 100);
}

/* For a measurement against the simulator's model: a stall of the machine
 * moves it, so a miss goes through the timing attempt (testutil.h). */
static void timing_near(double got, double want, double rel, const char *what) {
  if (!near(got, want, rel)) test_timing_miss("%s: %.2f, want %.2f ± %.0f%%", what, got, want, rel * 100);
}

static int count_flags(const cJSON *row, const char *needle) {
  int n = 0;
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(row, "flags")) {
    if (cJSON_IsString(f) && strstr(f->valuestring, needle)) n++;
  }
  return n;
}

static char *render(const benchy_result *res, const char *format) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(benchy_result_write(res, format, f), BENCHY_OK);
  fclose(f);
  return buf;
}

/* Every record's bench figures must show exact prompt and output lengths. */
static void assert_exact_lengths(const cJSON *doc, int64_t prompt, int64_t output) {
  const cJSON *rec;
  int n = 0;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
    assert_string_equal(str(rec, "status"), "OK");
    assert_int_equal((int64_t)num(rec, "bench.prompt_tokens"), prompt);
    assert_int_equal((int64_t)num(rec, "bench.prompt_target"), prompt);
    assert_int_equal((int64_t)num(rec, "bench.output_tokens"), output);
    assert_int_equal((int64_t)num(rec, "completion_tokens"), output);
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "bench"), "prompt_exact")));
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "bench"), "output_exact")));
    n++;
  }
  assert_true(n > 0);
}

static char port_url[4][128];
static const char *base_of(benchy_sim *sim) {
  static int k;
  char *u = port_url[k++ & 3];
  snprintf(u, 128, "%s", benchy_sim_base_url(sim));
  return u;
}

/* ---- rates and lengths ---- */

static void test_rates_and_exact_lengths(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "4000", "decode-tps", "100", "overhead-ms", "1", NULL);
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "model", "sim", "pp", "512", "tg",
                                   "32", "runs", "3", NULL);
    assert_int_equal(benchy_result_status(res), BENCHY_OK);
    assert_string_equal(benchy_result_kind(res), "bench");
    cJSON *doc = doc_of(res);
    const cJSON *pp = row_of(doc, "pp512"), *tg = row_of(doc, "tg32");
    /* Model: TTFT = 1 ms + 512/4000 s; decode 100 t/s. */
    double pp_req = timing_num(pp, "mean_t_s_req"), tg_req = timing_num(tg, "mean_t_s_req");
    double peak = timing_num(tg, "mean_peak_t_s");
    timing_near(pp_req, 4000, 0.20, "pp t/s");
    timing_near(timing_num(pp, "mean_t_s_total"), 4000, 0.20, "pp t/s total");
    timing_near(tg_req, 100, 0.20, "tg t/s");
    timing_near(peak, 100, 0.20, "peak t/s");
    /* The server's own figure comes from its model, not from a clock. */
    assert_near(num(pp, "mean_server_t_s"), 4000, 0.01, "server-side pp");
    assert_int_equal((int)num(pp, "requests"), 3);
    assert_int_equal((int)num(pp, "errors"), 0);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pp, "flags")), 0);
    assert_true(num(pp, "mean_ttfr_ms") >= num(pp, "mean_est_ppt_ms"));
    double p50 = timing_num(pp, "p50_t_s_req");
    if (!isnan(p50)) assert_true(p50 > 0);
    assert_exact_lengths(doc, 512, 32);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "records")), 3);
    assert_string_equal(str(doc, "metadata.prompt_lengths.method"), "llama-tokenize");
    assert_string_equal(str(doc, "metadata.depth_mode"), "cached");
    assert_string_equal(str(doc, "metadata.stddev"), "sample");
    print_message("      sim 4000/100: pp %.1f t/s (server %.1f), tg %.2f t/s, peak %.2f\n", pp_req,
                  num(pp, "mean_server_t_s"), tg_req, peak);
    cJSON_Delete(doc);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

static void test_tokens_per_chunk(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "4000", "decode-tps", "100", "overhead-ms", "1",
                                     "tokens-per-chunk", "4", NULL);
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "128", "tg", "64", "runs", "2",
                                   "no-warmup", NULL, NULL);
    cJSON *doc = doc_of(res);
    const cJSON *tg = row_of(doc, "tg64");
    /* Counting chunks would give ~17 tokens; (N-1)/span would be 5% high. */
    double tg_req = timing_num(tg, "mean_t_s_req");
    timing_near(tg_req, 100, 0.08, "tg t/s at 4 tokens per chunk");
    assert_exact_lengths(doc, 128, 64);
    const cJSON *rec;
    cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
      assert_true(num(rec, "token_chunks") < 64 / 2); /* several tokens did share chunks */
    }
    print_message("      4 tokens/chunk: tg %.2f t/s (model 100)\n", tg_req);
    cJSON_Delete(doc);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

/* The peak 1-second window cannot hold more than the streams produce: at
 * 20 t/s, counting both ends of the window read 21 (a fencepost, 5%). */
static void test_peak_within_stream_rate(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "4000", "decode-tps", "20", "overhead-ms", "1",
                                     "batch-slowdown", "0", NULL);
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "16", "tg", "30", "concurrency",
                                   "1,2", "runs", "1", "no-warmup", NULL, NULL);
    cJSON *doc = doc_of(res);
    static const char *const rows[] = {"tg30 (c1)", "tg30 (c2)"};
    for (int c = 1; c <= 2; c++) {
      double peak = timing_num(row_of(doc, rows[c - 1]), "max_peak_t_s");
      /* Above the model only by what stalls can squeeze into a window. */
      if (!(peak <= 20.0 * c * 1.02)) test_timing_miss("%s: peak %.3f t/s above %d x 20", rows[c - 1], peak, c);
      timing_near(peak, 20.0 * c, 0.1, "peak t/s");
      print_message("      peak at c%d: %.3f t/s (model %d)\n", c, peak, 20 * c);
    }
    cJSON_Delete(doc);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

static void test_depth_cached(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "4000", "decode-tps", "1000", "overhead-ms", "1", NULL);
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "256", "tg", "8", "depth",
                                   "0,1024", "runs", "2", NULL);
    cJSON *doc = doc_of(res);
    const cJSON *pp = row_of(doc, "pp256 @ d1024");
    row_of(doc, "tg8 @ d1024");
    assert_int_equal((int)num(pp, "cache.hit"), 2);
    assert_int_equal((int)num(pp, "cache.miss"), 0);
    assert_int_equal((int)num(pp, "mean_prompt_tokens"), 1280);
    /* Only the new tokens are timed (the sim caches 16-token blocks). */
    assert_true(num(pp, "max_timed_prompt_tokens") <= 256 + 16);
    assert_true(num(pp, "min_timed_prompt_tokens") >= 256);
    double pp_req = timing_num(pp, "mean_t_s_req");
    timing_near(pp_req, 4000, 0.20, "cached-depth pp t/s");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(pp, "flags")), 0);
    const cJSON *rec;
    cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
      if (num(rec, "bench.context_target") == 1024) {
        assert_string_equal(str(rec, "bench.cache"), "hit");
        assert_true(num(rec, "bench.cached_tokens") >= 1024 - 16);
      }
    }
    print_message("      pp256 @ d1024 cached: %.1f t/s over %.0f timed tokens\n", pp_req,
                  num(pp, "mean_timed_prompt_tokens"));
    cJSON_Delete(doc);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

static void test_depth_resend(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "4000", "decode-tps", "1000", "overhead-ms", "1", NULL);
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "256", "tg", "8", "depth",
                                   "1024", "depth-mode", "resend", "runs", "2", NULL);
    cJSON *doc = doc_of(res);
    const cJSON *pp = row_of(doc, "pp256 @ d1024");
    assert_null(cJSON_GetObjectItemCaseSensitive(pp, "cache"));
    assert_string_equal(str(pp, "depth_mode"), "resend");
    assert_string_equal(str(doc, "metadata.depth_mode"), "resend");
    /* Everything re-sent and timed: 1280 tokens, nothing served from cache. */
    assert_int_equal((int)num(pp, "min_timed_prompt_tokens"), 1280);
    timing_near(timing_num(pp, "mean_t_s_req"), 4000, 0.20, "resend pp t/s");
    assert_exact_lengths(doc, 1280, 8);
    const cJSON *rec;
    cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
      assert_true(num(rec, "bench.cached_tokens") < 64);
    }
    char *md = render(res, "md");
    assert_non_null(strstr(md, "depth: resend"));
    free(md);
    cJSON_Delete(doc);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

static void test_concurrency(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "4000", "decode-tps", "100", "overhead-ms", "1", "slots",
                                     "8", "batch-slowdown", "0.05", NULL);
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "128", "tg", "32",
                                   "concurrency", "1,2", "runs", "2", "threads", "2", NULL);
    cJSON *doc = doc_of(res);
    const cJSON *tg1 = row_of(doc, "tg32 (c1)"), *tg2 = row_of(doc, "tg32 (c2)");
    const cJSON *pp2 = row_of(doc, "pp128 (c2)");
    assert_int_equal((int)num(tg2, "requests"), 4);
    assert_int_equal((int)num(tg2, "runs_completed"), 2);
    assert_int_equal((int)num(tg2, "n_t_s_total"), 2);
    assert_int_equal((int)num(tg2, "n_t_s_req"), 4);
    /* Two sequences at 100/(1+0.05) t/s each. */
    double tg2_req = timing_num(tg2, "mean_t_s_req"), tg2_total = timing_num(tg2, "mean_t_s_total");
    timing_near(tg2_req, 100 / 1.05, 0.20, "per-request tg at c2");
    timing_near(tg2_total, 2 * 100 / 1.05, 0.20, "total tg at c2");
    /* At c1 the two are one figure computed twice, whenever it exists. */
    double tg1_total = timing_num(tg1, "mean_t_s_total"), tg1_req = timing_num(tg1, "mean_t_s_req");
    if (!isnan(tg1_total) && !isnan(tg1_req)) assert_near(tg1_total, tg1_req, 0.001, "c1 total == req");
    if (!test_timing_unreliable()) {
      double pp2_total = timing_num(pp2, "mean_t_s_total"), pp2_req = timing_num(pp2, "mean_t_s_req");
      if (!(pp2_total > 1.5 * pp2_req * 0.9))
        test_timing_miss("pp t/s at c2: total %.1f, want > 1.35 x per request %.1f", pp2_total, pp2_req);
    }
    print_message("      c2: tg total %.1f t/s, per request %.1f t/s (model 190.5 / 95.2)\n", tg2_total,
                  tg2_req);
    cJSON_Delete(doc);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

static void test_completions_api(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "api", "completions", "pp", "300",
                                 "tg", "16", "depth", "0,200", "runs", "2", NULL);
  cJSON *doc = doc_of(res);
  assert_string_equal(str(doc, "metadata.api"), "completions");
  const cJSON *pp = row_of(doc, "pp300 @ d200");
  assert_int_equal((int)num(pp, "cache.hit"), 2);
  const cJSON *rec;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rec, "bench"), "prompt_exact")));
    assert_int_equal((int64_t)num(rec, "bench.output_tokens"), 16);
  }
  cJSON_Delete(doc);
  benchy_result_free(res);
  test_sim_stop(sim);
}

/* A prompt shorter than the chat template cannot be exact: it is flagged. */
static void test_short_prompt_flagged(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "2,37", "tg", "4", "runs", "1",
                                 "no-warmup", NULL, NULL);
  cJSON *doc = doc_of(res);
  assert_int_equal(count_flags(row_of(doc, "pp2"), "prompt length off"), 1);
  assert_int_equal(count_flags(row_of(doc, "pp37"), "prompt length off"), 0);
  char *md = render(res, "md");
  assert_non_null(strstr(md, "flag: pp2: prompt length off"));
  free(md);
  cJSON_Delete(doc);
  benchy_result_free(res);
  test_sim_stop(sim);
}

/* ---- output formats ---- */

/* A long model id (vLLM serves paths) is shown whole, in both tables. */
static void test_long_model_name_not_cut(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  char name[200];
  memset(name, 'm', 150);
  memcpy(name, "/models/", 8);
  name[150] = '\0';
  benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "runs", "1",
                                 "served-model-name", name, NULL);
  char *md = render(res, "md");
  int rows_with_name = 0;
  for (const char *p = md; (p = strstr(p, name)); p += strlen(name)) rows_with_name++;
  /* pp and tg rows of the main table and of the server-timings table. */
  assert_int_equal(rows_with_name, 4);
  free(md);
  benchy_result_free(res);
  test_sim_stop(sim);
}

static void test_markdown_and_csv(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "512", "tg", "32", "depth",
                                   "0,4096", "concurrency", "1,2", "runs", "2", "served-model-name",
                                   "openai/gpt-oss-120b", NULL);
    char *md = render(res, "md");
    /* The header of llama-benchy's table, column for column, with
     * llama-bench's model columns, which the simulator states. */
    const char *want[] = {"model",     "size",      "params",       "backend",      "test",         "t/s (total)",
                          "t/s (req)", "peak t/s", "ttfr (ms)",    "est_ppt (ms)", "e2e_ttft (ms)"};
    char *save = NULL;
    char *line = strtok_r(md, "\n", &save);
    assert_non_null(line);
    assert_true(line[0] == '|');
    char *cell_save = NULL;
    int col = 0;
    char header[1024];
    snprintf(header, sizeof header, "%s", line);
    for (char *cell = strtok_r(header, "|", &cell_save); cell; cell = strtok_r(NULL, "|", &cell_save)) {
      while (*cell == ' ') cell++;
      size_t n = strlen(cell);
      while (n && cell[n - 1] == ' ') cell[--n] = 0;
      assert_true(col < 11);
      assert_string_equal(cell, want[col]);
      col++;
    }
    assert_int_equal(col, 11);
    size_t width = strlen(line);
    line = strtok_r(NULL, "\n", &save);
    assert_non_null(line);
    assert_true(!strncmp(line, "|:-", 3));
    assert_int_equal(strlen(line), width);
    const char *labels[] = {"pp512 (c1)",         "tg32 (c1)",         "pp512 (c2)",         "tg32 (c2)",
                            "pp512 @ d4096 (c1)", "tg32 @ d4096 (c1)", "pp512 @ d4096 (c2)", "tg32 @ d4096 (c2)"};
    for (int r = 0; r < 8; r++) {
      line = strtok_r(NULL, "\n", &save);
      assert_non_null(line);
      int bars = 0;
      for (const char *p = line; *p; p++) bars += *p == '|';
      assert_int_equal(bars, 12);
      assert_true(!strncmp(line, "| openai/gpt-oss-120b |", 23));
      char label[64];
      snprintf(label, sizeof label, " %s |", labels[r]);
      assert_non_null(strstr(line, label));
      /* pp rows have no peak; tg rows have no ttfr/est_ppt/e2e_ttft. The
       * rate cells are measured and can be empty for timing alone (a tg
       * row's, when stalls swallowed each of its 31 ms decodes whole), so a
       * blank one is a timing miss; the row's shape is not. */
      int is_tg = labels[r][0] == 't';
      if (!strstr(line, " ± ")) {
        if (!is_tg) fail_msg("%s: no 'mean ± stddev' cell: %s", labels[r], line);
        test_timing_miss("%s: no 'mean ± stddev' cell: %s", labels[r], line);
      }
      char copy[1024];
      snprintf(copy, sizeof copy, "%s", line);
      char *cs = NULL;
      int c = 0;
      for (char *cell = strtok_r(copy, "|", &cs); cell; cell = strtok_r(NULL, "|", &cs), c++) {
        int blank = strspn(cell, " ") == strlen(cell);
        if (c == 7 && !is_tg) assert_true(blank);
        if (c >= 8) assert_int_equal(blank, is_tg);
        if ((c == 5 || c == 6 || (c == 7 && is_tg)) && blank)
          test_timing_miss("%s: rate column %d is blank: %s", labels[r], c, line);
      }
    }
    line = strtok_r(NULL, "\n", &save);
    assert_non_null(line);
    assert_non_null(strstr(line, "depth: cached"));
    free(md);

    char *csv = render(res, "csv");
    int lines = 0;
    for (const char *p = csv; *p; p++) lines += *p == '\n';
    assert_int_equal(lines, 9);
    assert_true(!strncmp(csv, "model,model_size,model_n_params,backend,test,kind,pp,tg,depth,concurrency,depth_mode",
                         84));
    /* A tg row pools every pp it was measured with: its pp is empty. */
    assert_non_null(strstr(csv, "openai/gpt-oss-120b,4920739840,8030261248,benchy-sim,tg32 @ d4096 (c2),tg,,32,4096,2,cached"));
    free(csv);

    char *json = render(res, "json");
    cJSON *doc = cJSON_Parse(json);
    assert_non_null(doc);
    assert_int_equal((int)num(doc, "result_version"), BENCHY_RESULT_VERSION);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(doc, "config"));
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "records")), 2 * (1 + 2) * 2);
    cJSON_Delete(doc);
    free(json);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

/* ---- flags ---- */

static void test_flags_identity_and_secrets(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  setenv("BENCHY_TEST_KEY", "sk-very-secret-key", 1);
  benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "runs", "2",
                                 "served-model-name", "My/Model", "name", "nightly-q4", "api-key-env",
                                 "BENCHY_TEST_KEY", "header", "X-Secret-Token: hunter2", "header",
                                 "X-Other: also-secret", "raw", NULL, "timeout", "30", "threads", "2",
                                 "seed", "42", NULL);
  char *json = benchy_result_to_json(res, 1);
  assert_null(strstr(json, "sk-very-secret-key"));
  assert_null(strstr(json, "hunter2"));
  assert_null(strstr(json, "also-secret"));
  cJSON *doc = cJSON_Parse(json);
  free(json);
  /* No --model: the first model the server lists. */
  assert_string_equal(str(doc, "metadata.model"), "sim");
  assert_string_equal(str(doc, "metadata.served_model_name"), "My/Model");
  assert_string_equal(str(doc, "metadata.name"), "nightly-q4");
  assert_string_equal(str(doc, "config.api-key-env"), "BENCHY_TEST_KEY");
  const cJSON *hdr = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "config"), "header");
  assert_int_equal(cJSON_GetArraySize(hdr), 2);
  assert_string_equal(cJSON_GetArrayItem(hdr, 0)->valuestring, "X-Secret-Token");
  assert_int_equal((int)num(doc, "config.timeout"), 30);
  assert_int_equal((int)num(doc, "config.threads"), 2);
  assert_string_equal(str(row_of(doc, "pp64"), "model"), "My/Model");
  const cJSON *rec = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "records"), 0);
  assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(rec, "chunks_raw"))); /* --raw */
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), "repeatable_prompts")));
  char *md = render(res, "md");
  assert_non_null(strstr(md, "| My/Model |"));
  free(md);
  cJSON_Delete(doc);
  benchy_result_free(res);
  unsetenv("BENCHY_TEST_KEY");
  test_sim_stop(sim);
}

static double sd(const double *v, int n, int ddof) {
  double m = 0, s = 0;
  for (int i = 0; i < n; i++) m += v[i];
  m /= n;
  for (int i = 0; i < n; i++) s += (v[i] - m) * (v[i] - m);
  return sqrt(s / (n - ddof));
}

static void test_flags_stats_and_latency(void **state) {
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", "jitter", "0.3", NULL);
    const char *kinds[] = {"sample", "population"};
    for (int k = 0; k < 2; k++) {
      benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "16", "runs", "4",
                                     "stddev", kinds[k], "percentiles", "50,99", "latency-mode",
                                     k ? "none" : "generation", "warmup", "2", NULL);
      cJSON *doc = doc_of(res);
      const cJSON *tg = row_of(doc, "tg16");
      double v[4];
      int n = 0, rated = 0;
      const cJSON *rec;
      cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
        assert_true(n < 4);
        /* 16 tokens at 1000 t/s span 15 ms, which a stall can swallow whole. */
        v[n] = timing_num(rec, "bench.tg_tps");
        rated += !isnan(v[n++]);
      }
      assert_int_equal(n, 4);
      /* Without all four rates the row holds fewer, and the attempt has
       * missed already. */
      if (rated == 4) assert_near(num(tg, "std_t_s_req"), sd(v, 4, k ? 0 : 1), 1e-9, "stddev kind");
      if (rated) {
        /* One key per --percentiles value, in benchy_percentile_key's shape. */
        assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(tg, "p50_t_s_req")));
        assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(tg, "p99_t_s_req")));
        assert_null(cJSON_GetObjectItemCaseSensitive(tg, "p99.9_t_s_req"));
      }
      assert_string_equal(str(doc, "metadata.stddev"), kinds[k]);
      assert_int_equal((int)num(doc, "metadata.warmup"), 2);
      double lat = num(doc, "metadata.latency_ms");
      const cJSON *pp = row_of(doc, "pp64");
      if (k) {
        assert_string_equal(str(doc, "metadata.latency_mode"), "none");
        assert_true(lat == 0);
      } else {
        assert_string_equal(str(doc, "metadata.latency_mode"), "generation");
        assert_true(lat > 0);
      }
      assert_near(num(pp, "mean_est_ppt_ms"), num(pp, "mean_ttfr_ms") - lat, 1e-6, "est_ppt = ttfr - latency");
      cJSON_Delete(doc);
      benchy_result_free(res);
    }
    /* api latency mode and --no-warmup. */
    benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "runs", "1",
                                   "latency-mode", "api", "no-warmup", NULL, NULL);
    cJSON *doc = doc_of(res);
    assert_string_equal(str(doc, "metadata.latency_mode"), "api");
    assert_true(num(doc, "metadata.latency_ms") > 0);
    assert_int_equal((int)num(doc, "metadata.warmup"), 0);
    cJSON_Delete(doc);
    benchy_result_free(res);
    test_sim_stop(sim);
  }
}

static void test_flags_aliases(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  char root[160];
  snprintf(root, sizeof root, "http://127.0.0.1:%d", benchy_sim_port(sim));
  benchy_result *res = run_bench(NULL, BENCHY_OK, NULL, 0, "endpoint", root, "prompt-length", "48",
                                 "output-lengths", "4,6", "num-requests", "2", "no-warmup", NULL, NULL);
  cJSON *doc = doc_of(res);
  assert_int_equal((int)num(row_of(doc, "tg4"), "requests"), 2);
  assert_int_equal((int)num(row_of(doc, "tg6"), "requests"), 2);
  assert_int_equal((int)num(row_of(doc, "pp48"), "mean_prompt_tokens"), 48);
  assert_non_null(strstr(str(doc, "metadata.base_url"), "/v1"));
  cJSON_Delete(doc);
  benchy_result_free(res);
  test_sim_stop(sim);
}

static void test_flags_cache_and_seed(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  /* --no-cache: cache_prompt false; with depth it implies llama-benchy's resend, and says so. */
  benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "depth", "256",
                                 "runs", "2", "no-cache", NULL, NULL);
  cJSON *doc = doc_of(res);
  assert_string_equal(str(doc, "metadata.depth_mode"), "resend");
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), "depth_mode_implied_by_no_cache")));
  const cJSON *rec;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
    assert_int_equal((int)num(rec, "bench.cached_tokens"), 0);
  }
  char *md = render(res, "md");
  assert_non_null(strstr(md, "implied by --no-cache"));
  free(md);
  cJSON_Delete(doc);
  benchy_result_free(res);
  char err[1024];
  res = run_bench(base_of(sim), BENCHY_ERR_INVALID, err, sizeof err, "pp", "64", "tg", "4", "depth", "256",
                  "depth-mode", "cached", "no-cache", NULL, NULL);
  assert_null(res);
  assert_non_null(strstr(err, "--depth-mode resend"));

  /* Without --seed the texts are new each time; with the same --seed twice
   * the server has them cached, and the rows say so. */
  for (int pass = 0; pass < 2; pass++) {
    res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "256", "tg", "4", "runs", "1", "no-warmup",
                    NULL, pass ? "seed" : NULL, "9", NULL);
    doc = doc_of(res);
    assert_int_equal(count_flags(row_of(doc, "pp256"), "had seen these prompts"), 0);
    cJSON_Delete(doc);
    benchy_result_free(res);
  }
  res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "256", "tg", "4", "runs", "1", "no-warmup", NULL,
                  "seed", "9", NULL);
  doc = doc_of(res);
  assert_int_equal(count_flags(row_of(doc, "pp256"), "had seen these prompts"), 1);
  cJSON_Delete(doc);
  benchy_result_free(res);
  test_sim_stop(sim);
}

/* ---- errors ---- */

static void test_error_server_down(void **state) {
  benchy_sim *sim = test_sim_start(NULL);
  char url[160];
  snprintf(url, sizeof url, "%s", benchy_sim_base_url(sim));
  test_sim_stop(sim); /* nothing listens there now */
  char err[1024];
  benchy_result *res = run_bench(url, BENCHY_ERR_CONNECT, err, sizeof err, "pp", "64", "tg", "4", NULL);
  assert_null(res);
  assert_non_null(strstr(err, url));
  assert_non_null(strstr(err, "/health"));
  assert_non_null(strstr(err, "cannot reach"));
}

static void test_error_wrong_model(void **state) {
  benchy_sim *sim = test_sim_start("model", "qwen-7b", NULL);
  char err[1024];
  benchy_result *res = run_bench(base_of(sim), BENCHY_ERR_NOT_FOUND, err, sizeof err, "model", "llama-70b",
                                 "pp", "64", "tg", "4", NULL);
  assert_null(res);
  assert_non_null(strstr(err, "'llama-70b'"));
  assert_non_null(strstr(err, "qwen-7b"));
  assert_non_null(strstr(err, "--model"));
  test_sim_stop(sim);
}

static void test_error_http(void **state) {
  benchy_sim *sim = test_sim_start("fault-500", "1", NULL);
  char err[1024];
  benchy_result *res = run_bench(base_of(sim), BENCHY_ERR_HTTP, err, sizeof err, "pp", "64", "tg", "4", NULL);
  assert_null(res);
  assert_non_null(strstr(err, "HTTP 500"));
  assert_non_null(strstr(err, "simulated internal server error")); /* the server's own message */
  test_sim_stop(sim);
}

/* Failures during the run: kept in the result, flagged on the rows, and the
 * call says so; the table still holds what succeeded. */
static void test_error_http_midrun(void **state) {
  benchy_sim *sim = test_sim_start("fault-500", "0.4", "seed", "1", "decode-tps", "1000", NULL);
  char err[1024];
  /* Complete, but more failed than the default --max-failure-rate allows. */
  benchy_result *res = run_bench(base_of(sim), BENCHY_ERR_FAILURE_RATE, err, sizeof err, "pp", "64", "tg",
                                 "4", "runs", "6", "no-warmup", NULL, NULL);
  assert_non_null(res);
  assert_int_equal(benchy_result_status(res), BENCHY_ERR_FAILURE_RATE);
  assert_non_null(strstr(err, "HTTP 500"));
  assert_non_null(strstr(err, "test pp64/tg4 (c1)"));
  cJSON *doc = doc_of(res);
  const cJSON *rule = cJSON_GetObjectItemCaseSensitive(doc, "failure_rule");
  assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(rule, "passed")));
  const cJSON *pp = row_of(doc, "pp64");
  int errors = (int)num(pp, "errors");
  assert_true(errors > 0 && errors < 6);
  assert_int_equal(count_flags(pp, "simulated internal server error"), 1);
  assert_int_equal((int)num(pp, "n_t_s_req"), 6 - errors);
  char *md = render(res, "md");
  assert_non_null(strstr(md, "requests failed: HTTP 500"));
  free(md);
  cJSON_Delete(doc);
  benchy_result_free(res);
  test_sim_stop(sim);
}

static void test_error_context_too_small(void **state) {
  benchy_sim *sim = test_sim_start("ctx-size", "2048", NULL);
  char err[1024];
  benchy_result *res = run_bench(base_of(sim), BENCHY_ERR_LIMIT, err, sizeof err, "pp", "512", "tg", "64",
                                 "depth", "0,2048", NULL);
  assert_null(res);
  assert_non_null(strstr(err, "context is too small"));
  assert_non_null(strstr(err, "2048 tokens"));
  assert_non_null(strstr(err, "needs 2624"));
  test_sim_stop(sim);
}

/* ---- --jsonl and --resume ---- */

typedef struct jl_line {
  char *text;
  cJSON *obj;
} jl_line;

static int read_lines(const char *path, jl_line *out, int max) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char *line = NULL;
  size_t cap = 0;
  int n = 0;
  while (getline(&line, &cap, f) > 0 && n < max) {
    out[n].text = strdup(line);
    out[n].obj = cJSON_Parse(line);
    n++;
  }
  free(line);
  fclose(f);
  return n;
}

static void free_lines(jl_line *l, int n) {
  for (int i = 0; i < n; i++) {
    free(l[i].text);
    cJSON_Delete(l[i].obj);
  }
}

static const char *type_of(const jl_line *l) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(l->obj, "type");
  return cJSON_IsString(t) ? t->valuestring : "";
}

/* Every (test, run) of the result exactly once. */
static void assert_runs_once(const cJSON *doc, int runs) {
  int seen[16] = {0};
  const cJSON *rec;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
    int r = (int)num(rec, "run");
    assert_true(r >= 0 && r < runs);
    seen[r]++;
  }
  for (int r = 0; r < runs; r++)
    if (seen[r] != 1) fail_msg("run %d appears %d times", r, seen[r]);
}

/* Creates the file named by a mkstemp template, empty, for --jsonl. */
static void make_temp_file(char *path_template) {
  int fd = mkstemp(path_template);
  assert_true(fd >= 0);
  close(fd);
}

static uint64_t sim_streams(benchy_sim *sim) {
  benchy_sim_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  benchy_sim_get_stats(sim, &st);
  return st.streams;
}

/* --raw with --jsonl: every chunk's time goes to the file as each request
 * completes, and the records held for the result go without it. A file
 * that cannot be opened stops the run before anything is sent. */
static void test_raw_jsonl_and_unwritable_file(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  char path[] = "/tmp/benchy-test-bench-XXXXXX";
  make_temp_file(path);
  benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "6", "runs", "2",
                                 "raw", NULL, "jsonl", path, "no-warmup", NULL, NULL);
  cJSON *doc = doc_of(res);
  const cJSON *rec;
  int held = 0;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
    assert_null(cJSON_GetObjectItemCaseSensitive(rec, "chunks_raw"));
    held++;
  }
  assert_int_equal(held, 2);
  jl_line lines[16];
  int n = read_lines(path, lines, 16), in_file = 0;
  for (int i = 0; i < n; i++) {
    if (strcmp(type_of(&lines[i]), "record")) continue;
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(lines[i].obj, "record"),
                                                         "chunks_raw");
    assert_true(cJSON_IsArray(rows) && cJSON_GetArraySize(rows) >= 6);
    in_file++;
  }
  assert_int_equal(in_file, 2);
  free_lines(lines, n);
  cJSON_Delete(doc);
  benchy_result_free(res);
  unlink(path);

  uint64_t before = sim_streams(sim);
  char err[512];
  res = run_bench(base_of(sim), BENCHY_ERR_IO, err, sizeof err, "pp", "64", "tg", "4", "runs", "1", "jsonl",
                  "/nonexistent-benchy-dir/r.jsonl", NULL);
  assert_non_null(strstr(err, "/nonexistent-benchy-dir/r.jsonl"));
  assert_int_equal(sim_streams(sim), before); /* not even a warm-up went out */
  benchy_result_free(res);
  test_sim_stop(sim);
}

static void test_resume_torn_file(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "1000", NULL);
  char path[] = "/tmp/benchy-test-bench-XXXXXX";
  make_temp_file(path);
  benchy_result *res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "runs", "4",
                                 "jsonl", path, NULL);
  benchy_result_free(res);
  jl_line lines[64];
  int n = read_lines(path, lines, 64);
  assert_int_equal(n, 1 + 4 * 2); /* header, then a record and a run line per run */
  assert_string_equal(type_of(&lines[0]), "header");
  /* Keep runs 0-1 whole, run 2's record without its run line, drop run 3,
   * and end with a torn line: what a crash mid-run leaves. */
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (int i = 0; i < 6; i++) fputs(lines[i].text, f);
  fputs("{\"type\":\"record\",\"attem", f);
  fclose(f);
  free_lines(lines, n);

  benchy_sim_stats before, after;
  memset(&before, 0, sizeof before);
  memset(&after, 0, sizeof after);
  before.struct_size = after.struct_size = sizeof before;
  benchy_sim_get_stats(sim, &before);
  res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "runs", "4", "jsonl", path,
                  "resume", NULL, "no-warmup", NULL, NULL);
  benchy_sim_get_stats(sim, &after);
  cJSON *doc = doc_of(res);
  assert_runs_once(doc, 4);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), "resumed")));
  assert_int_equal((int)num(row_of(doc, "pp64"), "runs_completed"), 4);
  /* Runs 2 and 3 were redone: two streamed requests, nothing more. */
  assert_int_equal(after.streams - before.streams, 2);
  cJSON_Delete(doc);
  benchy_result_free(res);

  /* A complete file: nothing is sent, nothing is appended. */
  FILE *g = fopen(path, "r");
  fseek(g, 0, SEEK_END);
  long size = ftell(g);
  fclose(g);
  benchy_sim_get_stats(sim, &before);
  res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "runs", "4", "jsonl", path,
                  "resume", NULL, "no-warmup", NULL, NULL);
  benchy_sim_get_stats(sim, &after);
  assert_int_equal(after.streams - before.streams, 0);
  doc = doc_of(res);
  assert_runs_once(doc, 4);
  cJSON_Delete(doc);
  benchy_result_free(res);
  g = fopen(path, "r");
  fseek(g, 0, SEEK_END);
  assert_int_equal(ftell(g), size);
  fclose(g);

  /* The file was written without --model: naming the model the server
   * served is the same run (the fingerprint holds the served model). */
  benchy_sim_get_stats(sim, &before);
  res = run_bench(base_of(sim), BENCHY_OK, NULL, 0, "pp", "64", "tg", "4", "runs", "4", "jsonl", path,
                  "resume", NULL, "no-warmup", NULL, "model", "sim", NULL);
  benchy_sim_get_stats(sim, &after);
  assert_int_equal(after.streams - before.streams, 0);
  benchy_result_free(res);

  /* Another matrix cannot continue this file. */
  char err[1024];
  res = run_bench(base_of(sim), BENCHY_ERR_INVALID, err, sizeof err, "pp", "128", "tg", "4", "runs", "4",
                  "jsonl", path, "resume", NULL, NULL);
  assert_null(res);
  assert_non_null(strstr(err, "different run"));
  unlink(path);
  test_sim_stop(sim);
}

typedef struct poller {
  const char *path;
  int want_runs;
  int fired;
} poller;

/* Interrupts the bench once the file holds want_runs run lines: waits on
 * the file's content, not on time. */
static void *poll_and_interrupt(void *arg) {
  poller *p = arg;
  int64_t deadline = benchy_now_ns() + 60LL * 1000000000LL;
  while (benchy_now_ns() < deadline) {
    FILE *f = fopen(p->path, "r");
    int runs = 0;
    if (f) {
      char buf[65536];
      size_t n;
      while ((n = fread(buf, 1, sizeof buf - 1, f)) > 0) {
        buf[n] = 0;
        for (char *q = buf; (q = strstr(q, "\"type\":\"run\"")); q++) runs++;
      }
      fclose(f);
    }
    if (runs >= p->want_runs) {
      benchy_interrupt();
      p->fired = 1;
      return NULL;
    }
    struct timespec ts = {0, 2000000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

static void test_interrupt_then_resume(void **state) {
  benchy_sim *sim = test_sim_start("prefill-tps", "20000", "decode-tps", "200", NULL);
  char path[] = "/tmp/benchy-test-bench-XXXXXX";
  make_temp_file(path);
  poller p = {path, 2, 0};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, poll_and_interrupt, &p), 0);
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_BENCH), BENCHY_OK);
  benchy_options_set(o, "base-url", benchy_sim_base_url(sim));
  benchy_options_set(o, "quiet", NULL);
  benchy_options_set(o, "pp", "64");
  benchy_options_set(o, "tg", "32");
  benchy_options_set(o, "runs", "8");
  benchy_options_set(o, "jsonl", path);
  benchy_result *res = NULL;
  char err[1024];
  int st = benchy_bench_run(o, &res, err, sizeof err);
  pthread_join(th, NULL);
  assert_true(p.fired);
  assert_int_equal(st, BENCHY_ERR_CANCELLED);
  assert_non_null(res);
  assert_int_equal(benchy_result_status(res), BENCHY_ERR_CANCELLED);
  assert_non_null(strstr(err, "--resume"));
  cJSON *doc = doc_of(res);
  int kept = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "records"));
  assert_true(kept >= 2 && kept < 8);
  assert_string_equal(str(doc, "status"), "ERR_CANCELLED");
  char *md = render(res, "md");
  assert_non_null(strstr(md, "status: ERR_CANCELLED"));
  free(md);
  cJSON_Delete(doc);
  benchy_result_free(res);

  benchy_options_set(o, "resume", NULL);
  res = NULL;
  st = benchy_bench_run(o, &res, err, sizeof err);
  assert_int_equal(st, BENCHY_OK);
  doc = doc_of(res);
  assert_runs_once(doc, 8);
  assert_int_equal((int)num(row_of(doc, "tg32"), "runs_completed"), 8);
  cJSON_Delete(doc);
  benchy_result_free(res);
  benchy_options_free(o);
  unlink(path);
  test_sim_stop(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rates_and_exact_lengths),
      cmocka_unit_test(test_tokens_per_chunk),
      cmocka_unit_test(test_depth_cached),
      cmocka_unit_test(test_depth_resend),
      cmocka_unit_test(test_concurrency),
      cmocka_unit_test(test_peak_within_stream_rate),
      cmocka_unit_test(test_completions_api),
      cmocka_unit_test(test_short_prompt_flagged),
      cmocka_unit_test(test_markdown_and_csv),
      cmocka_unit_test(test_long_model_name_not_cut),
      cmocka_unit_test(test_flags_identity_and_secrets),
      cmocka_unit_test(test_flags_stats_and_latency),
      cmocka_unit_test(test_flags_aliases),
      cmocka_unit_test(test_flags_cache_and_seed),
      cmocka_unit_test(test_error_server_down),
      cmocka_unit_test(test_error_wrong_model),
      cmocka_unit_test(test_error_http),
      cmocka_unit_test(test_error_http_midrun),
      cmocka_unit_test(test_error_context_too_small),
      cmocka_unit_test(test_raw_jsonl_and_unwritable_file),
      cmocka_unit_test(test_resume_torn_file),
      cmocka_unit_test(test_interrupt_then_resume),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
