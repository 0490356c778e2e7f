/*
 * test_result.c — results as data: a bench and a load run against the
 * in-process simulator are saved, read back with benchy_result_load and
 * must render exactly as the run's own result did; broken, foreign and
 * newer files are refused naming the file and the problem; rendering to a
 * string is the FILE* output byte for byte; a record's public JSON is the
 * journal's line; the vLLM export carries the load result's own numbers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchy/benchy.h"
#include "benchy/collector.h"
#include "report/jsonl.h"
#include "report/record_json.h"

static void path_in_tmp(char *buf, size_t len, const char *name) { snprintf(buf, len, "%s/%s", test_tmpdir(), name); }

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  assert_true(fputs(text, f) >= 0);
  assert_int_equal(fclose(f), 0);
}

static benchy_sim *start_sim(void) {
  return test_sim_start("prefill-tps", "20000", "decode-tps", "1000", "overhead-ms", "1", "slots", "8", NULL);
}

/* Runs a command's options (NULL-terminated name/value pairs) to its result. */
static benchy_result *run(int command, benchy_sim *sim, const char *const *kv) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, command), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "base-url", benchy_sim_base_url(sim)), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "quiet", NULL), BENCHY_OK);
  for (const char *const *p = kv; p && *p; p += 2)
    if (benchy_options_set(o, p[0], p[1]) != BENCHY_OK) fail_msg("option %s: %s", p[0], benchy_options_error(o));
  benchy_result *res = NULL;
  char err[1024] = "";
  int st = command == BENCHY_CMD_BENCH ? benchy_bench_run(o, &res, err, sizeof err)
                                       : benchy_load_run(o, &res, err, sizeof err);
  benchy_options_free(o);
  if (st != BENCHY_OK) fail_msg("run: %s: %s", benchy_status_name(st), err);
  assert_non_null(res);
  return res;
}

static benchy_result *small_bench(benchy_sim *sim) {
  return run(BENCHY_CMD_BENCH, sim, (const char *const[]){"pp", "32", "tg", "4", "runs", "2", NULL});
}

static benchy_result *small_load(benchy_sim *sim, const char *const *extra) {
  const char *kv[32] = {"input-len", "30", "output-len", "6", "num-prompts", "6", "concurrency", "2",
                        "warmup", "0", "raw", "true"};
  size_t n = 12;
  for (const char *const *p = extra; p && *p && n < 30; p++) kv[n++] = *p;
  kv[n] = NULL;
  return run(BENCHY_CMD_LOAD, sim, kv);
}

/* Writes through the FILE* API into a temporary file and returns its bytes. */
static char *written(const benchy_result *r, const char *format, int *status) {
  FILE *f = tmpfile();
  assert_non_null(f);
  *status = benchy_result_write(r, format, f);
  long len = ftell(f);
  assert_true(len >= 0);
  rewind(f);
  char *buf = calloc(1, (size_t)len + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  return buf;
}

/* Saves r as JSON, reads it back, and checks that every format renders the
 * same bytes from the loaded result as from the run's own. */
static void check_round_trip(const benchy_result *r, const char *file, const char *const *formats) {
  char path[512], err[512] = "";
  path_in_tmp(path, sizeof path, file);
  assert_int_equal(benchy_result_save(r, path, err, sizeof err), BENCHY_OK);
  benchy_result *back = NULL;
  int st = benchy_result_load(&back, path, err, sizeof err);
  if (st != BENCHY_OK) fail_msg("benchy_result_load: %s", err);
  assert_string_equal(benchy_result_kind(back), benchy_result_kind(r));
  assert_int_equal(benchy_result_status(back), benchy_result_status(r));
  for (int pretty = 0; pretty < 2; pretty++) {
    char *a = benchy_result_to_json(r, pretty), *b = benchy_result_to_json(back, pretty);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(a, b);
    free(a);
    free(b);
  }
  for (const char *const *fmt = formats; *fmt; fmt++) {
    char *a = benchy_result_render(r, *fmt), *b = benchy_result_render(back, *fmt);
    if (!a || !b) fail_msg("render %s: %s / %s", *fmt, a ? "ok" : "NULL", b ? "ok" : "NULL");
    assert_true(strlen(a) > 10);
    assert_string_equal(a, b);
    free(a);
    free(b);
  }
  benchy_result_free(back);
}

static void check_render_equals_write(const benchy_result *r, const char *format) {
  int st;
  char *file = written(r, format, &st);
  assert_int_equal(st, BENCHY_OK);
  char *text = benchy_result_render(r, format);
  assert_non_null(text);
  assert_string_equal(text, file);
  free(text);
  free(file);
}

static void test_bench_saved_and_loaded(void **state) {
  (void)state;
  benchy_sim *sim = start_sim();
  benchy_result *r = small_bench(sim);
  test_sim_stop(sim);
  assert_string_equal(benchy_result_kind(r), "bench");
  check_round_trip(r, "bench.json", (const char *const[]){"md", "csv", "json", NULL});
  for (const char *const *fmt = (const char *const[]){"md", "csv", "json", NULL}; *fmt; fmt++)
    check_render_equals_write(r, *fmt);
  /* A bench result has no vLLM shape: refused, with the reason. */
  int st;
  char *file = written(r, "vllm", &st);
  assert_int_equal(st, BENCHY_ERR_UNSUPPORTED);
  assert_string_equal(file, "");
  free(file);
  assert_null(benchy_result_render(r, "vllm"));
  const char *why = benchy_result_format_error(r, "vllm");
  assert_non_null(why);
  assert_non_null(strstr(why, "load"));
  assert_null(benchy_result_format_error(r, "md"));
  assert_non_null(benchy_result_format_error(r, "xml"));
  benchy_result_free(r);
}

static void test_load_saved_and_loaded(void **state) {
  (void)state;
  benchy_sim *sim = start_sim();
  benchy_result *r = small_load(sim, NULL);
  test_sim_stop(sim);
  assert_string_equal(benchy_result_kind(r), "load");
  check_round_trip(r, "load.json", (const char *const[]){"md", "csv", "json", "vllm", NULL});
  for (const char *const *fmt = (const char *const[]){"md", "csv", "json", "vllm", NULL}; *fmt; fmt++)
    check_render_equals_write(r, *fmt);
  assert_null(benchy_result_format_error(r, "vllm"));

  /* From a string too; the status comes from the document. */
  char *text = benchy_result_to_json(r, 1);
  assert_non_null(text);
  cJSON *doc = cJSON_Parse(text);
  assert_non_null(doc);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(doc, "status")->valuestring, "OK");
  cJSON_ReplaceItemInObjectCaseSensitive(doc, "status", cJSON_CreateString("ERR_CANCELLED"));
  char *edited = cJSON_PrintUnformatted(doc);
  cJSON_Delete(doc);
  assert_non_null(edited);
  benchy_result *back = NULL;
  char err[512] = "";
  assert_int_equal(benchy_result_parse(&back, edited, err, sizeof err), BENCHY_OK);
  assert_int_equal(benchy_result_status(back), BENCHY_ERR_CANCELLED);
  assert_string_equal(benchy_result_kind(back), "load");
  benchy_result_free(back);
  free(edited);
  free(text);
  benchy_result_free(r);
}

static void expect_load_error(const char *path, int want, const char *const *needles) {
  benchy_result *r = (benchy_result *)&r; /* must be reset to NULL on failure */
  char err[512] = "";
  int st = benchy_result_load(&r, path, err, sizeof err);
  if (st != want) fail_msg("%s: got %s, want %s (%s)", path, benchy_status_name(st), benchy_status_name(want), err);
  assert_null(r);
  assert_non_null(strstr(err, path));
  for (const char *const *n = needles; *n; n++)
    if (!strstr(err, *n)) fail_msg("error for %s lacks \"%s\": %s", path, *n, err);
}

static void test_load_refuses_what_is_not_a_result(void **state) {
  (void)state;
  char path[512];
  path_in_tmp(path, sizeof path, "missing.json");
  expect_load_error(path, BENCHY_ERR_NOT_FOUND, (const char *const[]){"cannot read", NULL});

  path_in_tmp(path, sizeof path, "broken.json");
  write_file(path, "{\"result_version\": 1,\n \"kind\": \"load\",\n \"status\": }\n");
  expect_load_error(path, BENCHY_ERR_MALFORMED, (const char *const[]){"not valid JSON", "line 3", NULL});

  path_in_tmp(path, sizeof path, "trailing.json");
  write_file(path, "{\"result_version\": 1, \"kind\": \"bench\", \"status\": \"OK\"} x");
  expect_load_error(path, BENCHY_ERR_MALFORMED, (const char *const[]){"not valid JSON", NULL});

  path_in_tmp(path, sizeof path, "journal.jsonl");
  write_file(path, "{\"type\": \"config\", \"kind\": \"load\", \"result_version\": 1, \"config\": {}}\n"
                   "{\"type\": \"level_start\", \"level\": 0, \"label\": \"c1\"}\n");
  expect_load_error(path, BENCHY_ERR_INVALID, (const char *const[]){"--jsonl journal", NULL});

  path_in_tmp(path, sizeof path, "empty.json");
  write_file(path, "");
  expect_load_error(path, BENCHY_ERR_MALFORMED, (const char *const[]){"empty", NULL});

  path_in_tmp(path, sizeof path, "foreign.json");
  write_file(path, "{\"completed\": 10, \"mean_ttft_ms\": 3.5}");
  expect_load_error(path, BENCHY_ERR_INVALID, (const char *const[]){"not a benchy result", NULL});

  path_in_tmp(path, sizeof path, "array.json");
  write_file(path, "[1, 2]");
  expect_load_error(path, BENCHY_ERR_INVALID, (const char *const[]){"not a benchy result", NULL});

  path_in_tmp(path, sizeof path, "newer.json");
  write_file(path, "{\"result_version\": 99, \"kind\": \"load\", \"status\": \"OK\", \"aggregates\": []}");
  expect_load_error(path, BENCHY_ERR_UNSUPPORTED, (const char *const[]){"newer", "99", NULL});

  path_in_tmp(path, sizeof path, "newer_records.json");
  write_file(path, "{\"result_version\": 1, \"record_version\": 7, \"kind\": \"load\", \"status\": \"OK\"}");
  expect_load_error(path, BENCHY_ERR_UNSUPPORTED, (const char *const[]){"record_version 7", NULL});

  path_in_tmp(path, sizeof path, "kind.json");
  write_file(path, "{\"result_version\": 1, \"kind\": \"juggle\", \"status\": \"OK\"}");
  expect_load_error(path, BENCHY_ERR_UNSUPPORTED, (const char *const[]){"juggle", NULL});

  path_in_tmp(path, sizeof path, "status.json");
  write_file(path, "{\"result_version\": 1, \"kind\": \"bench\", \"status\": \"FINE\"}");
  expect_load_error(path, BENCHY_ERR_INVALID, (const char *const[]){"status", NULL});

  benchy_result *r = NULL;
  char err[256] = "";
  assert_int_equal(benchy_result_parse(&r, "nope", err, sizeof err), BENCHY_ERR_MALFORMED);
  assert_non_null(strstr(err, "not valid JSON"));
  assert_int_equal(benchy_result_load(NULL, "x", err, sizeof err), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_result_parse(&r, NULL, err, sizeof err), BENCHY_ERR_INVALID);
  assert_null(r);
}

static void test_userdata(void **state) {
  (void)state;
  benchy_result *r = NULL;
  char err[256] = "";
  assert_int_equal(benchy_result_parse(&r, "{\"result_version\": 1, \"kind\": \"bench\", \"status\": \"OK\", "
                                           "\"aggregates\": []}", err, sizeof err), BENCHY_OK);
  assert_null(benchy_result_get_userdata(r));
  int mine;
  benchy_result_set_userdata(r, &mine);
  assert_ptr_equal(benchy_result_get_userdata(r), &mine);
  benchy_result_set_userdata(NULL, &mine); /* harmless */
  assert_null(benchy_result_get_userdata(NULL));
  benchy_result_free(r);
}

typedef struct done_box {
  int calls;
} done_box;

static void on_done(benchy_request *req, const benchy_record *rec, void *ud) {
  (void)req;
  (void)rec;
  ((done_box *)ud)->calls++;
}

/* The public serialisation is the line the journal (--jsonl) writes for the
 * same record, chunks and all. */
static void test_record_json_is_the_journal_line(void **state) {
  (void)state;
  benchy_sim *sim = start_sim();
  benchy_loop *loop = NULL;
  benchy_session *sess = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&sess, loop, benchy_sim_base_url(sim)), BENCHY_OK);
  benchy_request *req = NULL;
  int64_t t0 = benchy_now_ns();
  assert_int_equal(benchy_request_new(&req, sess, BENCHY_ENDPOINT_CHAT,
                                      "{\"model\":\"sim\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\","
                                      "\"content\":\"Hello \\\"there\\\"\"}]}"),
                   BENCHY_OK);
  assert_int_equal(benchy_request_set_flags(req, BENCHY_KEEP_CHUNKS | BENCHY_KEEP_TEXT), BENCHY_OK);
  done_box box = {0};
  benchy_request_set_on_done(req, on_done, &box);
  assert_int_equal(benchy_request_start(req, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  assert_int_equal(box.calls, 1);
  const benchy_record *rec = benchy_request_record(req);
  assert_int_equal(rec->status, BENCHY_OK);

  char path[512];
  path_in_tmp(path, sizeof path, "record_line.jsonl");
  jsonl_writer *w = NULL;
  char err[256] = "";
  /* A journal's first line is its head; the record is the line after it. */
  cJSON *head = cJSON_Parse("{\"type\":\"config\",\"kind\":\"load\",\"result_version\":1}");
  assert_non_null(head);
  int opened = jsonl_open(&w, path, 0, head, NULL, err, sizeof err);
  if (opened != BENCHY_OK) fail_msg("jsonl_open: %s", err);
  cJSON_Delete(head);
  assert_int_equal(jsonl_append(w, record_to_json(rec, t0, 1)), BENCHY_OK);
  jsonl_close(w);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  char line[65536];
  assert_non_null(fgets(line, sizeof line, f));
  assert_non_null(fgets(line, sizeof line, f));
  fclose(f);
  line[strcspn(line, "\n")] = 0;

  char *text = benchy_record_to_json(rec, t0, 1, 0);
  assert_non_null(text);
  assert_string_equal(text, line);
  assert_non_null(strstr(text, "\"chunks_raw\""));
  assert_non_null(strstr(text, "\"content\""));
  char *pretty = benchy_record_to_json(rec, t0, 0, 1);
  assert_non_null(pretty);
  assert_non_null(strchr(pretty, '\n'));
  assert_null(strstr(pretty, "chunks_raw"));
  cJSON *a = cJSON_Parse(pretty), *b = cJSON_Parse(text);
  assert_non_null(a);
  assert_non_null(b);
  cJSON_DeleteItemFromObjectCaseSensitive(b, "chunks_raw");
  assert_true(cJSON_Compare(a, b, 1));
  cJSON_Delete(a);
  cJSON_Delete(b);
  free(pretty);
  free(text);
  assert_null(benchy_record_to_json(NULL, 0, 0, 0));
  benchy_request_free(req);
  benchy_session_free(sess);
  benchy_loop_free(loop);
  test_sim_stop(sim);
}

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static double mean_of(const cJSON *list, double scale) {
  double sum = 0;
  int n = 0;
  const cJSON *v;
  cJSON_ArrayForEach(v, list) {
    sum += v->valuedouble * scale;
    n++;
  }
  return n ? sum / n : NAN;
}

static void assert_close(double got, double want, const char *what) {
  if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want)))) fail_msg("%s: %.17g, want %.17g", what, got, want);
}

/* One level of the export against the level object it came from. */
static void check_vllm_level(const cJSON *v, const cJSON *lv, const cJSON *doc) {
  static const char *const copied[] = {"duration", "completed", "failed", "total_input_tokens",
                                       "total_output_tokens", "request_throughput", "output_throughput",
                                       "total_token_throughput", "max_concurrency", "request_rate",
                                       "mean_ttft_ms", "median_ttft_ms", "std_ttft_ms", "p99_ttft_ms",
                                       "p50_ttft_ms", "p99.9_ttft_ms", "mean_tpot_ms", "median_tpot_ms",
                                       "std_tpot_ms", "p99_tpot_ms", "mean_itl_ms", "median_itl_ms",
                                       "std_itl_ms", "p99_itl_ms", "mean_e2el_ms", "median_e2el_ms",
                                       "std_e2el_ms", "p99_e2el_ms", "p99.9_e2el_ms"};
  for (size_t i = 0; i < sizeof copied / sizeof *copied; i++) {
    const cJSON *a = get(v, copied[i]), *b = get(lv, copied[i]);
    if (!a || !b || !cJSON_Compare(a, b, 1)) fail_msg("vllm key %s differs from the level's", copied[i]);
  }
  assert_int_equal(get(v, "num_prompts")->valuedouble, get(lv, "num_requests")->valuedouble);
  static const char *const lists[] = {"input_lens", "output_lens", "ttfts", "itls", "generated_texts", "errors"};
  int completed = get(lv, "completed")->valueint;
  for (size_t i = 0; i < sizeof lists / sizeof *lists; i++) {
    if (!cJSON_IsArray(get(v, lists[i]))) fail_msg("%s is not a list", lists[i]);
    assert_int_equal(cJSON_GetArraySize(get(v, lists[i])), completed);
  }
  /* Seconds in the list, ms in the aggregate: the same figures. */
  assert_close(mean_of(get(v, "ttfts"), 1e3), get(lv, "mean_ttft_ms")->valuedouble, "mean of ttfts");
  double itl_sum = 0, out_sum = 0, in_sum = 0;
  int itl_n = 0;
  const cJSON *one, *x;
  cJSON_ArrayForEach(one, get(v, "itls")) cJSON_ArrayForEach(x, one) {
    itl_sum += x->valuedouble * 1e3;
    itl_n++;
  }
  assert_int_equal(itl_n, (int)get(lv, "itl_count")->valuedouble);
  assert_close(itl_sum / itl_n, get(lv, "mean_itl_ms")->valuedouble, "mean of itls");
  cJSON_ArrayForEach(x, get(v, "output_lens")) out_sum += x->valuedouble;
  cJSON_ArrayForEach(x, get(v, "input_lens")) in_sum += x->valuedouble;
  assert_close(out_sum, get(lv, "total_output_tokens")->valuedouble, "sum of output_lens");
  assert_close(in_sum, get(lv, "total_input_tokens")->valuedouble, "sum of input_lens");
  cJSON_ArrayForEach(x, get(v, "errors")) assert_string_equal(x->valuestring, "");
  cJSON_ArrayForEach(x, get(v, "generated_texts")) assert_true(cJSON_IsString(x));
  assert_string_equal(get(v, "model_id")->valuestring, get(get(doc, "metadata"), "model")->valuestring);
  assert_string_equal(get(v, "backend")->valuestring, "openai-chat");
  assert_int_equal(get(v, "burstiness")->valuedouble, 1);
}

static void test_vllm_export_carries_the_load_numbers(void **state) {
  (void)state;
  benchy_sim *sim = start_sim();
  benchy_result *single = small_load(sim, (const char *const[]){"percentiles", "50,99,99.9", NULL});
  benchy_result *sweep =
      small_load(sim, (const char *const[]){"percentiles", "50,99,99.9", "concurrency", "1,3", NULL});
  test_sim_stop(sim);

  char *text = benchy_result_render(single, "vllm");
  char *json = benchy_result_to_json(single, 0);
  cJSON *v = cJSON_Parse(text), *doc = cJSON_Parse(json);
  assert_non_null(v);
  assert_non_null(doc);
  assert_true(cJSON_IsObject(v));
  check_vllm_level(v, cJSON_GetArrayItem(get(doc, "aggregates"), 0), doc);
  cJSON_Delete(v);
  cJSON_Delete(doc);
  free(text);
  free(json);

  /* A sweep: one object per level, in level order, each with its own records. */
  text = benchy_result_render(sweep, "vllm");
  json = benchy_result_to_json(sweep, 0);
  v = cJSON_Parse(text);
  doc = cJSON_Parse(json);
  assert_true(cJSON_IsArray(v));
  assert_int_equal(cJSON_GetArraySize(v), 2);
  for (int i = 0; i < 2; i++)
    check_vllm_level(cJSON_GetArrayItem(v, i), cJSON_GetArrayItem(get(doc, "aggregates"), i), doc);
  assert_int_equal(get(cJSON_GetArrayItem(v, 1), "max_concurrency")->valueint, 3);
  cJSON_Delete(v);
  cJSON_Delete(doc);
  free(text);
  free(json);
  benchy_result_free(single);
  benchy_result_free(sweep);
}

/* --- one metadata block, one key shape, old versions readable ---------- */

/* A number that must be there: a clear failure, not a crash, when it is not. */
static int int_at(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v)) fail_msg("\"%s\" is missing or not a number", key);
  return v->valueint;
}

static cJSON *doc_of(const benchy_result *r) {
  char *text = benchy_result_to_json(r, 0);
  assert_non_null(text);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  assert_non_null(doc);
  return doc;
}

/* What docs/results.md ("metadata") promises every kind writes. */
static const char *const common_metadata[] = {
    "benchy_version", "build", "started_at", "name", "model", "served_model_name", "base_url",
    "api", "stddev", "percentiles", "request_body", "prompt_lengths", NULL};

/* The same options mean the same values: these must be equal in both. */
static const char *const common_values[] = {"benchy_version", "build", "name", "model", "served_model_name",
                                            "base_url", "api", "stddev", "percentiles", NULL};

static time_t parse_utc(const char *stamp) {
  struct tm tm;
  memset(&tm, 0, sizeof tm);
  const char *end = strptime(stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end) fail_msg("started_at \"%s\" is not ISO 8601 UTC", stamp);
  return timegm(&tm);
}

static void test_bench_and_load_share_one_metadata_block(void **state) {
  (void)state;
  benchy_sim *sim = start_sim();
  time_t before = time(NULL);
  benchy_result *b = run(BENCHY_CMD_BENCH, sim,
                         (const char *const[]){"pp", "32", "tg", "4", "runs", "1", "percentiles", "50,99",
                                               "stddev", "sample", "name", "same-run", NULL});
  benchy_result *l = small_load(sim, (const char *const[]){"percentiles", "50,99", "stddev", "sample", "name",
                                                           "same-run", NULL});
  time_t after = time(NULL);
  test_sim_stop(sim);
  cJSON *docs[2] = {doc_of(b), doc_of(l)};
  for (int k = 0; k < 2; k++) {
    assert_int_equal(int_at(docs[k], "result_version"), BENCHY_RESULT_VERSION);
    assert_int_equal(int_at(docs[k], "record_version"), BENCHY_RECORD_VERSION);
    const cJSON *md = get(docs[k], "metadata");
    for (const char *const *key = common_metadata; *key; key++)
      if (!cJSON_HasObjectItem(md, *key)) fail_msg("%s metadata lacks \"%s\"", k ? "load" : "bench", *key);
    if (!cJSON_IsString(get(md, "started_at"))) fail_msg("started_at is not a string");
    time_t started = parse_utc(get(md, "started_at")->valuestring);
    assert_true(started >= before && started <= after);
    assert_true(cJSON_IsBool(get(get(md, "build"), "optimized")));
  }
  const cJSON *mb = get(docs[0], "metadata"), *ml = get(docs[1], "metadata");
  for (const char *const *key = common_values; *key; key++)
    if (!cJSON_Compare(get(mb, *key), get(ml, *key), 1)) {
      char *x = cJSON_PrintUnformatted(get(mb, *key)), *y = cJSON_PrintUnformatted(get(ml, *key));
      fail_msg("metadata \"%s\" differs: bench %s, load %s", *key, x, y);
    }
  /* One name for the prompt sizing: bench's own old "prompt" is gone. */
  assert_false(cJSON_HasObjectItem(mb, "prompt"));
  cJSON_Delete(docs[0]);
  cJSON_Delete(docs[1]);
  benchy_result_free(b);
  benchy_result_free(l);
}

static const char *const bench_stats[] = {"t_s_total", "t_s_req", "peak_t_s", "ttfr_ms", "est_ppt_ms",
                                          "e2e_ttft_ms", "e2e_ms", "server_t_s", NULL};

static void test_bench_keys_follow_benchy_percentile_key(void **state) {
  (void)state;
  benchy_sim *sim = start_sim();
  benchy_result *r = run(BENCHY_CMD_BENCH, sim,
                         (const char *const[]){"pp", "32", "tg", "4", "runs", "2", "percentiles", "50,99.9", NULL});
  test_sim_stop(sim);
  cJSON *doc = doc_of(r);
  const cJSON *pcts = get(get(doc, "metadata"), "percentiles");
  assert_int_equal(cJSON_GetArraySize(pcts), 2);
  const cJSON *row;
  int rows = 0;
  cJSON_ArrayForEach(row, get(doc, "aggregates")) {
    rows++;
    const cJSON *item;
    cJSON_ArrayForEach(item, row) {
      /* Flat: no statistic is an object of its own any more (the sampled
       * figures are objects by design: docs/results.md, "sampling"). */
      if (cJSON_IsObject(item) && strcmp(item->string, "cache") && strcmp(item->string, "client_cpu") &&
          strcmp(item->string, "server_metrics"))
        fail_msg("row %s: \"%s\" is an object", get(row, "test")->valuestring, item->string);
    }
    for (const char *const *s = bench_stats; *s; s++) {
      char key[96];
      snprintf(key, sizeof key, "n_%s", *s);
      const cJSON *n = get(row, key);
      if (!cJSON_IsNumber(n)) fail_msg("row %s lacks %s", get(row, "test")->valuestring, key);
      const char *figures[] = {"mean", "std", "min", "max"};
      for (int f = 0; f < 4; f++) {
        snprintf(key, sizeof key, "%s_%s", figures[f], *s);
        assert_true(cJSON_HasObjectItem(row, key));
      }
      const cJSON *p;
      cJSON_ArrayForEach(p, pcts) {
        benchy_percentile_key(key, sizeof key, p->valuedouble, *s, NULL);
        const cJSON *v = get(row, key);
        if (!v) fail_msg("row %s lacks %s", get(row, "test")->valuestring, key);
        /* A statistic with samples has its percentiles; one without, null. */
        assert_true(n->valuedouble > 0 ? cJSON_IsNumber(v) : cJSON_IsNull(v));
      }
    }
    assert_non_null(get(row, "p99.9_t_s_req"));
  }
  assert_int_equal(rows, 2);
  cJSON_Delete(doc);
  benchy_result_free(r);
}

static char *read_fixture(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", BENCHY_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot read %s", path);
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  rewind(f);
  char *buf = calloc(1, (size_t)len + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
  fclose(f);
  return buf;
}

static benchy_result *load_fixture(const char *name) {
  char path[512], err[512] = "";
  snprintf(path, sizeof path, "%s/%s", BENCHY_FIXTURES, name);
  benchy_result *r = NULL;
  if (benchy_result_load(&r, path, err, sizeof err) != BENCHY_OK) fail_msg("%s: %s", name, err);
  return r;
}

/* The fixtures were written, and their markdown rendered, by the library
 * of result_version 1 (commit 40f8b7e); read back now they must render the
 * same table, and each nested statistic must reappear under its flat keys
 * with the very same numbers. */
static void test_version_1_results_still_load(void **state) {
  (void)state;
  benchy_result *r = load_fixture("result_v1_bench.json");
  char *md = benchy_result_render(r, "md"), *want = read_fixture("result_v1_bench.md");
  assert_string_equal(md, want);
  free(md);
  free(want);
  cJSON *doc = doc_of(r);
  assert_int_equal(int_at(doc, "result_version"), BENCHY_RESULT_VERSION);
  assert_int_equal(int_at(doc, "upgraded_from_result_version"), 1);
  assert_int_equal(int_at(doc, "record_version"), 1);
  char *text = read_fixture("result_v1_bench.json");
  cJSON *old = cJSON_Parse(text);
  free(text);
  assert_non_null(old);
  assert_true(cJSON_Compare(get(get(old, "metadata"), "prompt"), get(get(doc, "metadata"), "prompt_lengths"), 1));
  int checked = 0;
  for (int i = 0; i < cJSON_GetArraySize(get(old, "aggregates")); i++) {
    const cJSON *was = cJSON_GetArrayItem(get(old, "aggregates"), i), *now = cJSON_GetArrayItem(get(doc, "aggregates"), i);
    for (const char *const *s = bench_stats; *s; s++) {
      const cJSON *stat = get(was, *s);
      char key[96];
      snprintf(key, sizeof key, "n_%s", *s);
      if (cJSON_IsNull(stat)) {
        assert_int_equal(int_at(now, key), 0);
        continue;
      }
      assert_int_equal(int_at(stat, "n"), int_at(now, key));
      snprintf(key, sizeof key, "mean_%s", *s);
      assert_true(get(stat, "mean")->valuedouble == get(now, key)->valuedouble);
      snprintf(key, sizeof key, "std_%s", *s);
      assert_true(cJSON_Compare(get(stat, "stddev"), get(now, key), 1));
      benchy_percentile_key(key, sizeof key, 99.9, *s, NULL);
      assert_true(get(get(stat, "percentiles"), "p99.9")->valuedouble == get(now, key)->valuedouble);
      checked++;
    }
  }
  assert_true(checked >= 8);
  cJSON_Delete(old);
  cJSON_Delete(doc);
  benchy_result_free(r);

  r = load_fixture("result_v1_load.json");
  md = benchy_result_render(r, "md");
  want = read_fixture("result_v1_load.md");
  assert_string_equal(md, want);
  free(md);
  free(want);
  doc = doc_of(r);
  const cJSON *meta = get(doc, "metadata");
  for (const char *const *key = common_metadata; *key; key++)
    if (!cJSON_HasObjectItem(meta, *key) && strcmp(*key, "prompt_lengths") && strcmp(*key, "request_body"))
      fail_msg("upgraded load metadata lacks \"%s\"", *key);
  assert_string_equal(get(meta, "name")->valuestring, "v1-fixture");
  cJSON_Delete(doc);
  benchy_result_free(r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bench_saved_and_loaded),
      cmocka_unit_test(test_load_saved_and_loaded),
      cmocka_unit_test(test_load_refuses_what_is_not_a_result),
      cmocka_unit_test(test_userdata),
      cmocka_unit_test(test_record_json_is_the_journal_line),
      cmocka_unit_test(test_vllm_export_carries_the_load_numbers),
      cmocka_unit_test(test_bench_and_load_share_one_metadata_block),
      cmocka_unit_test(test_bench_keys_follow_benchy_percentile_key),
      cmocka_unit_test(test_version_1_results_still_load),
  };
  return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
