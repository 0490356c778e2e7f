/*
 * test_report.c — benchy_report_write / _save (report.h) through the public
 * API: the embedded data reads back as what the page plots (CDFs that are
 * CDFs, ending at the level's extremes), no text from a result can end the
 * data early, errors name the problem, an existing file is never replaced
 * without overwrite. The page drawn in a browser is tests/python/test_report.py.
 */
#include "testutil.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "benchy/collector.h"
#include "report/html_report.h"

static benchy_result *sweep;

static int setup(void **state) {
  benchy_sim *sim = test_sim_start("decode-tps", "4000", "prefill-tps", "100000", "jitter", "0.2", NULL);
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  const char *const kv[] = {"base-url", benchy_sim_base_url(sim), "quiet", "true", "concurrency", "1,4",
                            "num-prompts", "24", "input-len", "32", "output-len", "12", NULL};
  for (const char *const *p = kv; *p; p += 2) assert_int_equal(benchy_options_set(o, p[0], p[1]), BENCHY_OK);
  char err[512];
  int st = benchy_load_run(o, &sweep, err, sizeof err);
  benchy_options_free(o);
  test_sim_stop(sim);
  if (st != BENCHY_OK) fail_msg("load: %s", err);
  return 0;
}

static int teardown(void **state) {
  benchy_result_free(sweep);
  return 0;
}

static char *page_of(const benchy_result *const *rs, const char *const *labels, size_t n,
                     const benchy_options *opts, int *status, char *err, size_t errlen) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  *status = benchy_report_write(rs, labels, n, opts, f, err, errlen);
  fclose(f);
  return text;
}

/* The JSON between <script id="benchy-data"> and its </script>. */
static cJSON *page_data(const char *page) {
  const char *open = strstr(page, "id=\"benchy-data\">");
  assert_non_null(open);
  open += strlen("id=\"benchy-data\">");
  const char *close = strstr(open, "</script>");
  assert_non_null(close);
  char *json = strndup(open, (size_t)(close - open));
  cJSON *doc = cJSON_Parse(json);
  free(json);
  assert_non_null(doc);
  return doc;
}

static double level_figure(int level, const char *key) {
  char *text = benchy_result_to_json(sweep, 0);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  const cJSON *v = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "aggregates"), level), key);
  double out = cJSON_IsNumber(v) ? v->valuedouble : -1;
  cJSON_Delete(doc);
  return out;
}

static void test_page_holds_cdfs_of_every_level(void **state) {
  int st;
  char err[512] = "";
  const benchy_result *rs[] = {sweep};
  char *page = page_of(rs, NULL, 1, NULL, &st, err, sizeof err);
  assert_int_equal(st, BENCHY_OK);
  assert_non_null(strstr(page, "<!DOCTYPE html>"));
  assert_non_null(strstr(page, "Chart.js v3.9.1"));
  assert_non_null(strstr(page, "Permission is hereby granted"));
  cJSON *data = page_data(page);
  const cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(data, "runs"), 0);
  assert_string_equal(cJSON_GetObjectItem(run, "label")->valuestring, "result 1");
  assert_string_equal(cJSON_GetObjectItem(run, "kind")->valuestring, "load");
  const cJSON *levels = cJSON_GetObjectItem(cJSON_GetObjectItem(run, "load"), "levels");
  assert_int_equal(cJSON_GetArraySize(levels), 2);
  for (int l = 0; l < 2; l++) {
    const cJSON *cdf = cJSON_GetObjectItem(cJSON_GetArrayItem(levels, l), "cdf");
    static const char *const metrics[] = {"ttft", "tpot", "itl", "e2el"};
    for (int m = 0; m < 4; m++) {
      const cJSON *pts = cJSON_GetObjectItem(cdf, metrics[m]);
      int n = cJSON_GetArraySize(pts);
      assert_true(n >= 2);
      double prev_x = -1, prev_y = -1;
      for (int i = 0; i < n; i++) {
        double x = cJSON_GetArrayItem(cJSON_GetArrayItem(pts, i), 0)->valuedouble;
        double y = cJSON_GetArrayItem(cJSON_GetArrayItem(pts, i), 1)->valuedouble;
        assert_true(x >= prev_x); /* a CDF: latency never falls as the percent rises */
        assert_true(y > prev_y);
        prev_x = x;
        prev_y = y;
      }
      assert_true(cJSON_GetArrayItem(cJSON_GetArrayItem(pts, 0), 1)->valuedouble == 0);
      assert_true(prev_y == 100);
      /* Its ends are the level's extremes, within the histograms' error. */
      char key[64];
      snprintf(key, sizeof key, "max_%s_ms", metrics[m]);
      double max = level_figure(l, key);
      assert_true(prev_x <= max * (1 + 2 * BENCHY_COLLECTOR_RELATIVE_ERROR) + 1e-9);
      assert_true(prev_x >= max * (1 - 2 * BENCHY_COLLECTOR_RELATIVE_ERROR) - 1e-9);
    }
    /* The timeline, in rows the page sums into wider buckets when long. */
    assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetArrayItem(levels, l), "timeline")) >= 1);
  }
  /* The page holds no per-request records. */
  assert_null(cJSON_GetObjectItem(run, "records"));
  cJSON_Delete(data);
  free(page);
}

static void test_timeline_buckets_keep_their_sums(void **state) {
  cJSON *timeline = cJSON_CreateArray();
  for (int s = 0; s < 10; s++) {
    cJSON *sec = cJSON_CreateObject();
    cJSON_AddNumberToObject(sec, "t_s", s);
    cJSON_AddNumberToObject(sec, "started", 3);
    cJSON_AddNumberToObject(sec, "completed", 2);
    cJSON_AddNumberToObject(sec, "failed", s == 9);
    cJSON_AddNumberToObject(sec, "output_tokens", 100 + s);
    cJSON_AddItemToArray(timeline, sec);
  }
  int width = 0;
  cJSON *rows = html_timeline_rows(timeline, 3, &width);
  assert_int_equal(width, 4);
  assert_int_equal(cJSON_GetArraySize(rows), 3);
  double tokens = 0, failed = 0;
  for (int i = 0; i < 3; i++) {
    const cJSON *row = cJSON_GetArrayItem(rows, i);
    assert_true(cJSON_GetArrayItem(row, 0)->valuedouble == i * 4); /* each bucket starts where it does */
    failed += cJSON_GetArrayItem(row, 3)->valuedouble;
    tokens += cJSON_GetArrayItem(row, 4)->valuedouble;
  }
  assert_true(tokens == 10 * 100 + 45 && failed == 1);
  cJSON_Delete(rows);
  rows = html_timeline_rows(timeline, 2000, &width);
  assert_int_equal(width, 1);
  assert_int_equal(cJSON_GetArraySize(rows), 10);
  cJSON_Delete(rows);
  cJSON_Delete(timeline);
}

/* Two GPUs' samples interleaved, 5000 each: both thinned alike. */
static void test_gpu_samples_thin_per_gpu(void **state) {
  char *text = benchy_result_to_json(sweep, 0);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  /* The run's own (no GPU here) gives way to two GPUs' worth. */
  cJSON_DeleteItemFromObjectCaseSensitive(doc, "sampling");
  cJSON *sampling = cJSON_AddObjectToObject(doc, "sampling");
  cJSON_AddStringToObject(sampling, "source", "nvml");
  cJSON *timeline = cJSON_AddArrayToObject(sampling, "timeline");
  for (int i = 0; i < 10000; i++) {
    cJSON *s = cJSON_CreateObject();
    cJSON_AddNumberToObject(s, "t_s", (i / 2) * 0.25);
    cJSON_AddNumberToObject(s, "gpu", i % 2);
    cJSON_AddNumberToObject(s, "mem_used_bytes", 1e9 + i);
    cJSON_AddItemToArray(timeline, s);
  }
  text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  benchy_result *r = NULL;
  char err[512];
  assert_int_equal(benchy_result_parse(&r, text, err, sizeof err), BENCHY_OK);
  free(text);
  cJSON *page = html_data_for_result(r, "gpus", 100);
  const cJSON *kept = cJSON_GetObjectItem(cJSON_GetObjectItem(page, "sampling"), "timeline");
  int per_gpu[2] = {0, 0};
  const cJSON *s;
  cJSON_ArrayForEach(s, kept) per_gpu[(int)cJSON_GetObjectItem(s, "gpu")->valuedouble]++;
  assert_int_equal(per_gpu[0], 100);
  assert_int_equal(per_gpu[1], 100);
  /* The run's first sample is still there. */
  assert_true(cJSON_GetObjectItem(cJSON_GetArrayItem(kept, 0), "t_s")->valuedouble == 0);
  cJSON_Delete(page);
  benchy_result_free(r);
}

static void test_no_text_can_end_the_data(void **state) {
  char *text = benchy_result_to_json(sweep, 0);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  const char *evil = "</script><script>alert(1)</script><!-- &amp; \xe2\x80\xa8";
  cJSON_ReplaceItemInObject(cJSON_GetObjectItem(doc, "metadata"), "model", cJSON_CreateString(evil));
  text = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  benchy_result *r = NULL;
  char err[512];
  assert_int_equal(benchy_result_parse(&r, text, err, sizeof err), BENCHY_OK);
  free(text);
  int st;
  const benchy_result *rs[] = {r};
  const char *labels[] = {"</script>label"};
  char *page = page_of(rs, labels, 1, NULL, &st, err, sizeof err);
  assert_int_equal(st, BENCHY_OK);
  assert_null(strstr(page, "<script>alert(1)"));
  assert_null(strstr(page, "</script>label"));
  assert_null(strstr(page, "<!-- &amp;"));
  /* Three scripts (data, ours, Chart.js), each closed once. */
  int closes = 0;
  for (const char *p = page; (p = strstr(p, "</script>")); p++) closes++;
  assert_int_equal(closes, 3);
  cJSON *data = page_data(page);
  const cJSON *run = cJSON_GetArrayItem(cJSON_GetObjectItem(data, "runs"), 0);
  assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(run, "metadata"), "model")->valuestring, evil);
  assert_string_equal(cJSON_GetObjectItem(run, "label")->valuestring, "</script>label");
  cJSON_Delete(data);
  free(page);
  benchy_result_free(r);
}

static void test_errors_name_the_problem(void **state) {
  int st;
  char err[512] = "";
  const benchy_result *rs[] = {sweep};
  char *page = page_of(rs, NULL, 0, NULL, &st, err, sizeof err);
  assert_int_equal(st, BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "no results"));
  free(page);

  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_REPORT), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "compare", NULL), BENCHY_OK);
  page = page_of(rs, NULL, 1, o, &st, err, sizeof err);
  assert_int_equal(st, BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--compare takes exactly two results"));
  free(page);
  benchy_options_free(o);

  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  page = page_of(rs, NULL, 1, o, &st, err, sizeof err);
  assert_int_equal(st, BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "BENCHY_CMD_REPORT"));
  free(page);
  benchy_options_free(o);
}

static void test_compare_adds_the_table_with_the_reports_alpha(void **state) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_REPORT), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "compare", NULL), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "alpha", "0.01"), BENCHY_OK);
  int st;
  char err[512] = "";
  const benchy_result *rs[] = {sweep, sweep};
  char *page = page_of(rs, NULL, 2, o, &st, err, sizeof err);
  assert_int_equal(st, BENCHY_OK);
  cJSON *data = page_data(page);
  const cJSON *cmp = cJSON_GetObjectItem(data, "comparison");
  assert_non_null(cmp);
  assert_true(cJSON_GetObjectItem(cmp, "alpha")->valuedouble == 0.01);
  assert_true(cJSON_GetArraySize(cJSON_GetObjectItem(cmp, "rows")) > 0);
  cJSON_Delete(data);
  free(page);
  benchy_options_free(o);
}

static void test_save_never_replaces_without_overwrite(void **state) {
  char dir[] = "/tmp/benchy-report-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/r.html", dir);
  FILE *f = fopen(path, "w");
  fputs("keep", f);
  fclose(f);
  const benchy_result *rs[] = {sweep};
  char err[512] = "";
  assert_int_equal(benchy_report_save(rs, NULL, 1, NULL, path, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "--overwrite"));
  char buf[16] = "";
  f = fopen(path, "r");
  assert_non_null(fgets(buf, sizeof buf, f));
  fclose(f);
  assert_string_equal(buf, "keep");

  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_REPORT), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "overwrite", NULL), BENCHY_OK);
  assert_int_equal(benchy_report_save(rs, NULL, 1, o, path, err, sizeof err), BENCHY_OK);
  struct stat sb;
  assert_int_equal(stat(path, &sb), 0);
  assert_true(sb.st_size > 100000); /* Chart.js alone is 200 KB */
  benchy_options_free(o);

  /* A folder that does not exist: the error names the file; nothing left. */
  char missing[300];
  snprintf(missing, sizeof missing, "%s/no/such/dir/r.html", dir);
  assert_int_equal(benchy_report_save(rs, NULL, 1, NULL, missing, err, sizeof err), BENCHY_ERR_IO);
  assert_non_null(strstr(err, missing));
  unlink(path);
  assert_int_equal(rmdir(dir), 0); /* no temporary file left beside it */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_page_holds_cdfs_of_every_level),
      cmocka_unit_test(test_timeline_buckets_keep_their_sums),
      cmocka_unit_test(test_gpu_samples_thin_per_gpu),
      cmocka_unit_test(test_no_text_can_end_the_data),
      cmocka_unit_test(test_errors_name_the_problem),
      cmocka_unit_test(test_compare_adds_the_table_with_the_reports_alpha),
      cmocka_unit_test(test_save_never_replaces_without_overwrite),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
