/*
 * test_load.c — `benchy load` (benchy_load_run) against the in-process
 * simulator, whose timing model is known (benchy_sim_model_text()):
 *   t_first = slot start + overhead + prompt / prefill-tps,
 *   then one token every 1 / decode-tps (batch-slowdown 0 here).
 * The reported TTFT, TPOT, ITL, E2EL and throughput must match that model
 * (generous bounds: the client, the sim and the kernel all add a little);
 * from-schedule latencies must grow when the client holds requests back,
 * while from-send latencies stay flat; every injected fault must be counted.
 *
 * The metric code itself (percentiles, goodput, per-token ITL) is also
 * tested on synthetic records with hand-computed answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <cJSON.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchy/benchy.h"
#include "stats/collector_internal.h"

/* ---- helpers ------------------------------------------------------------ */

/* A simulator with a timing model simple enough to compute by hand; kv
 * pairs (NULL-terminated) override. */
static benchy_sim *start_sim(const char *const *kv) {
  static const char *const base[] = {"prefill-tps", "10000", "decode-tps", "200", "overhead-ms", "5",
                                     "slots", "8", "batch-slowdown", "0", "no-prefix-cache", "true", NULL};
  return test_sim_start_lists(base, kv);
}

typedef struct load_out {
  int status;
  benchy_result *result;
  cJSON *doc;
  char err[512];
} load_out;

static load_out run_load(benchy_sim *sim, const char *const *kv) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  if (sim) assert_int_equal(benchy_options_set(o, "base-url", benchy_sim_base_url(sim)), BENCHY_OK);
  const char *const base[] = {"quiet", "true", "input-len", "50", "output-len", "10", "warmup", "0",
                              NULL};
  /* Defaults for the tests, unless kv names the option ("" leaves it unset). */
  for (const char *const *p = base; *p; p += 2) {
    int given = 0;
    for (const char *const *q = kv; q && *q; q += 2) given |= !strcmp(q[0], p[0]);
    if (!given) assert_int_equal(benchy_options_set(o, p[0], p[1]), BENCHY_OK);
  }
  for (const char *const *p = kv; p && *p; p += 2) {
    if (!p[1][0]) continue;
    if (benchy_options_set(o, p[0], p[1]) != BENCHY_OK)
      fail_msg("load option %s: %s", p[0], benchy_options_error(o));
  }
  load_out out = {0};
  out.status = benchy_load_run(o, &out.result, out.err, sizeof out.err);
  if (out.result) {
    char *text = benchy_result_to_json(out.result, 0);
    assert_non_null(text);
    out.doc = cJSON_Parse(text);
    free(text);
    assert_non_null(out.doc);
  }
  benchy_options_free(o);
  return out;
}

static void load_out_free(load_out *o) {
  cJSON_Delete(o->doc);
  benchy_result_free(o->result);
}

static const cJSON *level_of(const load_out *o, int i) {
  const cJSON *lv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o->doc, "aggregates"), i);
  assert_non_null(lv);
  return lv;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v)) fail_msg("field %s is not a number", key);
  return v->valuedouble;
}

static double sub_num(const cJSON *o, const char *obj, const char *key) {
  return num(cJSON_GetObjectItemCaseSensitive(o, obj), key);
}

/* Outside a timing attempt a miss fails at once; inside one it may be run
 * again (testutil.h says when). */
static void assert_range(double v, double lo, double hi, const char *what) {
  if (!(v >= lo && v <= hi)) test_timing_miss("%s = %.4f, want [%.4f, %.4f]", what, v, lo, hi);
}

/* Under valgrind everything runs many times slower: the timing bounds
 * widen, the exact counts do not. */
static double slack(void) { return test_timing_unreliable() ? 5.0 : 1.0; }

/* A latency: the model's value is the floor; time only ever adds. */
static void assert_latency(double v, double lo, double hi, const char *what) {
  assert_range(v, lo, lo + (hi - lo) * slack(), what);
}

/* A throughput: slowness only ever takes away. */
static void assert_rate(double v, double lo, double hi, const char *what) {
  assert_range(v, lo / slack(), hi, what);
}

static char *render(const benchy_result *r, const char *format) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  assert_non_null(f);
  assert_int_equal(benchy_result_write(r, format, f), BENCHY_OK);
  fclose(f);
  return buf;
}

static benchy_sim_stats sim_stats(benchy_sim *sim) {
  benchy_sim_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = sizeof st;
  benchy_sim_get_stats(sim, &st);
  return st;
}

static const cJSON *records_of(const load_out *o) {
  return cJSON_GetObjectItemCaseSensitive(o->doc, "records");
}

/* ---- against the simulator --------------------------------------------- */

static void test_matches_timing_model(void **state) {
  (void)state;
  /* decode 100 tok/s: 10 ms per token; prefill 10000 tok/s: 50 ms for 500
   * prompt tokens, + 5 ms overhead. TTFT 55 ms, TPOT 10 ms, E2EL 55 + 49 x
   * 10 = 545 ms; 4 in flight: 4 / 0.545 = 7.3 req/s, 367 tok/s. */
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = start_sim((const char *const[]){"decode-tps", "100", NULL});
    load_out o = run_load(sim, (const char *const[]){"input-len", "500", "output-len", "50",
                                                    "concurrency", "4", "num-prompts", "16",
                                                    "warmup", "2", NULL});
    if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
    const cJSON *lv = level_of(&o, 0);
    assert_int_equal((int)num(lv, "completed"), 16);
    assert_int_equal((int)num(lv, "failed"), 0);
    assert_latency(num(lv, "median_ttft_ms"), 54, 75, "median TTFT");
    assert_latency(num(lv, "p99_ttft_ms"), 54, 90, "p99 TTFT");
    assert_latency(num(lv, "median_tpot_ms"), 9.8, 10.8, "median TPOT");
    assert_latency(num(lv, "median_itl_ms"), 9.5, 10.8, "median ITL");
    assert_latency(num(lv, "mean_itl_per_token_ms"), 9.5, 10.8, "mean ITL per token");
    assert_latency(num(lv, "median_e2el_ms"), 540, 600, "median E2EL");
    assert_rate(num(lv, "request_throughput"), 6.3, 7.4, "request throughput");
    assert_rate(num(lv, "output_throughput"), 315, 370, "output throughput");
    /* Exact prompt lengths through the sim's tokenizer. */
    assert_int_equal((int)num(lv, "total_input_tokens"), 16 * 500);
    assert_int_equal((int)num(lv, "input_length_mismatches"), 0);
    assert_int_equal((int)num(lv, "total_output_tokens"), 16 * 50);
    assert_int_equal((int)num(lv, "output_tokens_disagreements"), 0);
    assert_int_equal((int)num(lv, "max_concurrent_requests"), 4);
    assert_int_equal((int)num(lv, "itl_count"), 16 * 49);
    assert_rate(num(lv, "max_output_tokens_per_s"), 300, 420, "peak output tok/s");
    /* Closed loop: nothing waits on the client, so from-schedule = from-send. */
    assert_latency(num(lv, "p99_queue_ms"), 0, 1, "client queue wait");
    /* The result says which clock dated the chunks, and every read had one. */
    const cJSON *client = cJSON_GetObjectItemCaseSensitive(lv, "client");
    const cJSON *clock = cJSON_GetObjectItemCaseSensitive(client, "rx_clock");
    assert_true(cJSON_IsString(clock));
    assert_string_equal(clock->valuestring, test_expected_rx_clock());
    assert_true(sub_num(lv, "client", "data_reads") >= 16);
    /* Warm-up went to the server but not into the results. */
    assert_int_equal((int)sub_num(lv, "warmup", "requests"), 2);
    assert_int_equal(cJSON_GetArraySize(records_of(&o)), 16);
    benchy_sim_stats st = sim_stats(sim);
    assert_true(st.streams >= 18);
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(lv, "timeline");
    double tl_tokens = 0, tl_done = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, tl) {
      tl_tokens += num(row, "output_tokens");
      tl_done += num(row, "completed");
    }
    assert_true(tl_tokens == 800 && tl_done == 16);
    load_out_free(&o);
    test_sim_stop(sim);
  }
}

static void test_multi_token_chunks(void **state) {
  (void)state;
  for (test_timing t = {0}; test_timing_next(&t);) {
    /* 4 tokens per chunk at 5 ms per token: a chunk every 20 ms (vLLM's
     * per-chunk ITL), 5 ms per token. */
    benchy_sim *sim = start_sim((const char *const[]){"tokens-per-chunk", "4", NULL});
    load_out o = run_load(sim, (const char *const[]){"output-len", "21", "concurrency", "3",
                                                    "num-prompts", "6", NULL});
    if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
    const cJSON *lv = level_of(&o, 0);
    assert_latency(num(lv, "median_itl_ms"), 19, 22, "per-chunk ITL");
    assert_latency(num(lv, "median_itl_per_token_ms"), 4.7, 5.6, "per-token ITL");
    assert_latency(num(lv, "median_tpot_ms"), 4.7, 5.6, "TPOT");
    assert_int_equal((int)num(lv, "output_tokens_disagreements"), 0);
    assert_int_equal((int)num(lv, "itl_tokens_spread_from_usage"), 0);
    load_out_free(&o);
    test_sim_stop(sim);

    /* Without per-chunk counts from the server: usage (21) and the chunk
     * count (6) disagree, reported; tokens are spread from usage, so the
     * per-token ITL is still right. */
    sim = start_sim((const char *const[]){"tokens-per-chunk", "4", "no-stamp", "true", NULL});
    o = run_load(sim, (const char *const[]){"output-len", "21", "concurrency", "3", "num-prompts",
                                            "6", NULL});
    if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
    lv = level_of(&o, 0);
    assert_int_equal((int)num(lv, "output_tokens_disagreements"), 6);
    assert_int_equal((int)num(lv, "output_tokens_from_usage"), 6 * 21);
    assert_int_equal((int)num(lv, "output_tokens_from_chunks"), 6 * 6);
    assert_int_equal((int)num(lv, "total_output_tokens"), 6 * 21);
    assert_int_equal((int)num(lv, "itl_tokens_spread_from_usage"), 6);
    assert_latency(num(lv, "median_itl_per_token_ms"), 4.7, 5.6, "per-token ITL, spread");
    char *md = render(o.result, "md");
    assert_non_null(strstr(md, "disagree on 6 requests"));
    free(md);
    load_out_free(&o);
    test_sim_stop(sim);
  }
}

static void test_coordinated_omission_visible(void **state) {
  (void)state;
  /* The sim has 2 slots; the client allows 1 in flight and is asked for
   * 60 req/s. Each request takes ~55 ms (10 tokens at 5 ms + 5 ms
   * overhead), so the client can send ~18/s: requests wait longer and
   * longer on the client. From-send latency stays ~55 ms; from-schedule
   * latency grows by ~38 ms per request. */
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = start_sim((const char *const[]){"slots", "2", NULL});
    load_out o = run_load(sim, (const char *const[]){"request-rate", "60", "arrival", "constant",
                                                    "max-concurrency", "1", "num-prompts", "30",
                                                    NULL});
    if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
    const cJSON *recs = records_of(&o);
    assert_int_equal(cJSON_GetArraySize(recs), 30);
    double send_first = 0, send_last = 0, sched_first = 0, sched_last = 0;
    double send_min = 1e9, send_max = 0;
    for (int i = 0; i < 30; i++) {
      const cJSON *r = cJSON_GetArrayItem(recs, i);
      assert_int_equal((int)num(r, "index"), i);
      double e2el = num(r, "e2el_ms"), queue = num(r, "queue_ms");
      if (e2el < send_min) send_min = e2el;
      if (e2el > send_max) send_max = e2el;
      if (i < 5) {
        send_first += e2el / 5;
        sched_first += (e2el + queue) / 5;
      }
      if (i >= 25) {
        send_last += e2el / 5;
        sched_last += (e2el + queue) / 5;
      }
    }
    assert_range(send_last / send_first, 0.8 / slack(), 1.25 * slack(), "from-send E2EL, last vs first requests");
    /* Max over min of 30 requests: one stall of the shared VM (tens of ms on
     * ~55 ms requests) must not fail it; queueing would give 20x. */
    assert_range(send_max / send_min, 1.0, 3.0 * slack(), "from-send E2EL spread");
    assert_true(sched_last - sched_first > 600); /* ~25 x 38 ms = 950 ms */
    const cJSON *lv = level_of(&o, 0);
    assert_true(num(lv, "p99_e2el_from_schedule_ms") > 5 * num(lv, "p99_e2el_ms"));
    assert_true(num(lv, "mean_queue_ms") > 300);
    assert_int_equal((int)num(lv, "max_concurrent_requests"), 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(lv, "mode")->valuestring, "open");
    load_out_free(&o);
    test_sim_stop(sim);
  }
}

static void test_every_fault_counted(void **state) {
  (void)state;
  struct {
    const char *const *sim;
    const char *const *load;
    const char *kind;
  } cases[] = {
      {(const char *const[]){"fault-429", "1", NULL}, NULL, "rate_limited"},
      {(const char *const[]){"fault-500", "1", NULL}, NULL, "http_error"},
      {(const char *const[]){"fault-disconnect", "1", NULL}, NULL, "disconnect"},
      {(const char *const[]){"fault-malformed", "1", NULL}, NULL, "malformed"},
      {(const char *const[]){"fault-error-chunk", "1", NULL}, NULL, "server_error"},
      {(const char *const[]){"fault-stall", "1", "stall-ms", "3000", NULL},
       (const char *const[]){"timeout", "0.4", NULL}, "timeout"},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    benchy_sim *sim = start_sim(cases[c].sim);
    const char *kv[16] = {"concurrency", "3", "num-prompts", "3", "output-len", "20"};
    size_t k = 6;
    for (const char *const *p = cases[c].load; p && *p; p++) kv[k++] = *p;
    kv[k] = NULL;
    load_out o = run_load(sim, kv);
    /* Every request failed: the run is failed (--max-failure-rate), and says so. */
    if (o.status != BENCHY_ERR_FAILURE_RATE) fail_msg("%s: load: %s", cases[c].kind, o.err);
    if (!strstr(o.err, cases[c].kind)) fail_msg("%s: the error does not count it: %s", cases[c].kind, o.err);
    const cJSON *lv = level_of(&o, 0);
    assert_int_equal((int)num(lv, "completed"), 0);
    assert_int_equal((int)num(lv, "failed"), 3);
    if ((int)sub_num(lv, "failed_by_kind", cases[c].kind) != 3)
      fail_msg("%s: failed_by_kind = %s", cases[c].kind,
               cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(lv, "failed_by_kind")));
    /* Excluded from latencies, not silently. */
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(lv, "mean_ttft_ms")));
    char *md = render(o.result, "md");
    char want[64];
    snprintf(want, sizeof want, "  %s:", cases[c].kind);
    if (!strstr(md, want)) fail_msg("%s: summary lacks '%s':\n%s", cases[c].kind, want, md);
    assert_non_null(strstr(md, "3 failed requests are excluded"));
    free(md);
    if (!strcmp(cases[c].kind, "http_error"))
      assert_int_equal((int)sub_num(lv, "failed_by_http_status", "500"), 3);
    load_out_free(&o);
    test_sim_stop(sim);
  }

  /* Mixed: some fail, the rest are measured; failures stay out of the
   * percentiles. */
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = start_sim((const char *const[]){"fault-429", "0.5", "seed", "3", NULL});
    load_out o = run_load(sim, (const char *const[]){"concurrency", "4", "num-prompts", "40",
                                                    "max-failure-rate", "1", NULL});
    if (o.status != BENCHY_OK) fail_msg("mixed: %s", o.err);
    const cJSON *lv = level_of(&o, 0);
    int done = (int)num(lv, "completed"), failed = (int)num(lv, "failed");
    assert_int_equal(done + failed, 40);
    assert_true(done > 5 && failed > 5);
    assert_int_equal((int)sub_num(lv, "failed_by_kind", "rate_limited"), failed);
    assert_int_equal((int)num(lv, "total_output_tokens"), done * 10);
    assert_latency(num(lv, "median_tpot_ms"), 4.7, 5.6, "TPOT of the successful ones");
    load_out_free(&o);
    test_sim_stop(sim);
  }
}

static void test_max_errors_stops_level(void **state) {
  (void)state;
  benchy_sim *sim = start_sim((const char *const[]){"fault-500", "1", NULL});
  load_out o = run_load(sim, (const char *const[]){"concurrency", "1", "num-prompts", "40",
                                                  "max-errors", "5", NULL});
  if (o.status != BENCHY_ERR_FAILURE_RATE) fail_msg("load: %s", o.err);
  const cJSON *lv = level_of(&o, 0);
  assert_int_equal((int)num(lv, "failed"), 5);
  assert_int_equal((int)num(lv, "not_started"), 35);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(lv, "stopped_by")->valuestring, "max-errors");
  char *md = render(o.result, "md");
  assert_non_null(strstr(md, "stopped by max-errors"));
  free(md);
  load_out_free(&o);
  test_sim_stop(sim);
}

static long count_lines(const char *path, const char *type) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  char line[1 << 16];
  long n = 0;
  char want[64];
  snprintf(want, sizeof want, "\"type\":\"%s\"", type);
  while (fgets(line, sizeof line, f))
    if (strstr(line, want)) n++;
  fclose(f);
  return n;
}

/* Keeps the lines of src up to (not including) the n-th line containing
 * stop, in dst. */
static void truncate_before(const char *src, const char *dst, const char *stop, int nth) {
  FILE *in = fopen(src, "r"), *out = fopen(dst, "w");
  assert_non_null(in);
  assert_non_null(out);
  char line[1 << 16];
  int seen = 0;
  while (fgets(line, sizeof line, in)) {
    if (strstr(line, stop) && ++seen == nth) break;
    fputs(line, out);
  }
  fclose(in);
  fclose(out);
}

/* Past --max-records the result document stops growing, the JSONL file
 * still gets every record, and the statistics still count every request. */
static void test_max_records_bounds_memory(void **state) {
  (void)state;
  benchy_sim *sim = start_sim(NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/bounded.jsonl", test_tmpdir());
  const char *kv[] = {"concurrency", "2", "num-prompts", "10", "max-records", "3", "jsonl", path, NULL};
  load_out o = run_load(sim, kv);
  if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
  assert_int_equal(cJSON_GetArraySize(records_of(&o)), 3);
  assert_int_equal((int)num(level_of(&o, 0), "records_omitted"), 7);
  assert_int_equal((int)num(level_of(&o, 0), "completed"), 10);
  assert_int_equal(count_lines(path, "record"), 10);
  load_out_free(&o);
  /* Restored from the file, the level holds no more than a fresh one. */
  const char *resume[] = {"concurrency", "2", "num-prompts", "10", "max-records", "3", "jsonl", path,
                          "resume", "true", NULL};
  o = run_load(sim, resume);
  if (o.status != BENCHY_OK) fail_msg("resume: %s", o.err);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(level_of(&o, 0), "restored_from_jsonl")));
  assert_int_equal(cJSON_GetArraySize(records_of(&o)), 3);
  load_out_free(&o);
  test_sim_stop(sim);
}

/* --raw: every chunk's timestamp goes out with its record. With --jsonl
 * they are in the file, written as requests complete, and the records held
 * for the result leave them out; without it they are in those records. */
static long count_raw_rows(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char line[1 << 20];
  long rows = 0;
  while (fgets(line, sizeof line, f)) {
    cJSON *doc = cJSON_Parse(line);
    cJSON *raw = cJSON_GetObjectItemCaseSensitive(doc, "chunks_raw");
    if (cJSON_IsArray(raw)) rows += cJSON_GetArraySize(raw);
    cJSON_Delete(doc);
  }
  fclose(f);
  return rows;
}

/* --threads beyond what a level can use: the level runs on as many threads
 * as it has room for, and says so. (How the exact-value budgets are shared
 * between threads is tested on accumulators, where a budget can be small:
 * test_request_budget_bounds_memory.) */
static void test_threads_capped_by_the_level(void **state) {
  (void)state;
  benchy_sim *sim = start_sim(NULL);
  const char *kv[] = {"concurrency", "1,3", "num-prompts", "6", "threads", "8", NULL};
  load_out o = run_load(sim, kv);
  if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
  assert_int_equal((int)sub_num(level_of(&o, 0), "client", "threads"), 1);
  assert_int_equal((int)sub_num(level_of(&o, 1), "client", "threads"), 3);
  for (int i = 0; i < 2; i++) {
    const cJSON *lv = level_of(&o, i);
    assert_int_equal((int)num(lv, "completed"), 6);
  }
  load_out_free(&o);
  test_sim_stop(sim);
}

static void test_raw_goes_to_jsonl_not_memory(void **state) {
  (void)state;
  benchy_sim *sim = start_sim(NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/raw.jsonl", test_tmpdir());
  const char *kv[] = {"concurrency", "2", "num-prompts", "4", "raw", "true", "jsonl", path, NULL};
  load_out o = run_load(sim, kv);
  if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
  const cJSON *recs = records_of(&o);
  assert_int_equal(cJSON_GetArraySize(recs), 4);
  long chunks = 0;
  for (int i = 0; i < 4; i++) {
    const cJSON *rec = cJSON_GetArrayItem(recs, i);
    assert_null(cJSON_GetObjectItemCaseSensitive(rec, "chunks_raw"));
    chunks += (long)num(rec, "chunks");
  }
  /* One row per chunk of every request, in the file. */
  assert_int_equal(count_raw_rows(path), chunks);
  load_out_free(&o);

  const char *in_memory[] = {"concurrency", "2", "num-prompts", "2", "raw", "true", NULL};
  o = run_load(sim, in_memory);
  if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
  recs = records_of(&o);
  for (int i = 0; i < 2; i++) {
    const cJSON *rec = cJSON_GetArrayItem(recs, i);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(rec, "chunks_raw");
    assert_true(cJSON_IsArray(raw));
    assert_int_equal(cJSON_GetArraySize(raw), (int)num(rec, "chunks"));
  }
  load_out_free(&o);
  test_sim_stop(sim);
}

static void test_jsonl_and_resume(void **state) {
  (void)state;
  benchy_sim *sim = start_sim(NULL);
  char path[512], cut[512];
  snprintf(path, sizeof path, "%s/run.jsonl", test_tmpdir());
  snprintf(cut, sizeof cut, "%s/cut.jsonl", test_tmpdir());
  const char *kv[] = {"concurrency", "1,2", "num-prompts", "6", "jsonl", path, NULL};
  load_out o = run_load(sim, kv);
  if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
  assert_int_equal(count_lines(path, "config"), 1);
  assert_int_equal(count_lines(path, "record"), 12);
  assert_int_equal(count_lines(path, "level_end"), 2);
  double tput0 = num(level_of(&o, 0), "request_throughput");
  load_out_free(&o);

  /* Everything is in the file: nothing is sent again. */
  benchy_sim_stats before = sim_stats(sim), after;
  const char *resume[] = {"concurrency", "1,2", "num-prompts", "6", "jsonl", path, "resume", "true",
                          NULL};
  o = run_load(sim, resume);
  if (o.status != BENCHY_OK) fail_msg("resume: %s", o.err);
  after = sim_stats(sim);
  assert_int_equal(after.streams, before.streams);
  assert_int_equal(cJSON_GetArraySize(records_of(&o)), 12);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(level_of(&o, 1), "restored_from_jsonl")));
  assert_true(num(level_of(&o, 0), "request_throughput") == tput0);
  load_out_free(&o);

  /* Interrupted in level 2 after 4 of its 6 records (its end never
   * written, a torn last line): level 1 is restored, level 2 continues where
   * it stopped: its two missing requests are sent, once. */
  truncate_before(path, cut, "\"type\":\"record\"", 6 + 5);
  FILE *f = fopen(cut, "a");
  fputs("{\"type\":\"record\",\"level\":1,\"ind", f); /* torn */
  fclose(f);
  const char *resume_cut[] = {"concurrency", "1,2", "num-prompts", "6", "jsonl", cut, "resume",
                              "true", NULL};
  before = sim_stats(sim);
  o = run_load(sim, resume_cut);
  if (o.status != BENCHY_OK) fail_msg("resume after cut: %s", o.err);
  after = sim_stats(sim);
  assert_int_equal(after.streams - before.streams, 2);
  assert_int_equal(cJSON_GetArraySize(records_of(&o)), 12);
  assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(level_of(&o, 0), "restored_from_jsonl")));
  assert_null(cJSON_GetObjectItemCaseSensitive(level_of(&o, 1), "restored_from_jsonl"));
  assert_int_equal((int)num(level_of(&o, 1), "completed"), 6);
  assert_int_equal((int)num(level_of(&o, 1), "not_started"), 0);
  {
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(level_of(&o, 1), "resumed");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(res, "from")->valuestring, "interrupted");
    assert_int_equal((int)num(res, "restored_requests"), 4);
    assert_int_equal((int)num(res, "sent_now"), 2);
    /* Each index once, in order: the two sent now are the two missing. */
    const cJSON *rec;
    int want = 0;
    cJSON_ArrayForEach(rec, records_of(&o)) {
      if ((int)num(rec, "level") != 1) continue;
      assert_int_equal((int)num(rec, "index"), want++);
    }
    assert_int_equal(want, 6);
  }
  load_out_free(&o);
  /* The torn fragment was cut off, not kept as a line of its own: every
   * line of the file is a JSON object again. */
  FILE *check = fopen(cut, "r");
  assert_non_null(check);
  static char line[1 << 16];
  while (fgets(line, sizeof line, check)) {
    cJSON *doc = cJSON_Parse(line);
    if (!cJSON_IsObject(doc)) fail_msg("unreadable line left in %s: %.60s", cut, line);
    cJSON_Delete(doc);
  }
  fclose(check);
  /* And now the cut file is whole again: a further resume sends nothing. */
  before = sim_stats(sim);
  o = run_load(sim, resume_cut);
  after = sim_stats(sim);
  assert_int_equal(o.status, BENCHY_OK);
  assert_int_equal(after.streams, before.streams);
  assert_int_equal(cJSON_GetArraySize(records_of(&o)), 12);
  load_out_free(&o);

  /* A different configuration is refused, with the option named. */
  const char *other[] = {"concurrency", "1,2", "num-prompts", "7", "jsonl", path, "resume", "true",
                         NULL};
  o = run_load(sim, other);
  assert_int_equal(o.status, BENCHY_ERR_INVALID);
  assert_null(o.result);
  assert_non_null(strstr(o.err, "num-prompts"));
  load_out_free(&o);
  test_sim_stop(sim);
}

static void test_sweep_and_renderers(void **state) {
  (void)state;
  benchy_sim *sim = start_sim(NULL);
  load_out o = run_load(sim, (const char *const[]){"request-rate", "40,80", "num-prompts", "8",
                                                  "goodput", "ttft:500 e2el:2000",
                                                  "percentiles", "50,99.9", NULL});
  if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o.doc, "aggregates")), 2);
  const cJSON *lv = level_of(&o, 1);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(lv, "label")->valuestring, "rate=80");
  assert_true(num(lv, "request_rate") == 80);
  assert_int_equal((int)num(lv, "good_requests"), 8);
  assert_true(num(lv, "request_goodput") > 0);
  num(lv, "p99.9_ttft_ms");
  assert_null(cJSON_GetObjectItemCaseSensitive(lv, "p99_ttft_ms"));
  char *md = render(o.result, "md");
  assert_non_null(strstr(md, "============ Serving Benchmark Result ============"));
  assert_non_null(strstr(md, "---------------Time to First Token----------------"));
  assert_non_null(strstr(md, "P99.9 TTFT (ms):"));
  assert_non_null(strstr(md, "| level |"));
  assert_non_null(strstr(md, "| rate=40 |"));
  assert_non_null(strstr(md, "Request goodput (req/s):"));
  free(md);
  char *csv = render(o.result, "csv");
  int lines = 0;
  for (char *p = csv; *p; p++) lines += *p == '\n';
  assert_int_equal(lines, 3);
  assert_non_null(strstr(csv, "request_throughput"));
  assert_non_null(strstr(csv, "failed_by_kind.timeout"));
  free(csv);
  load_out_free(&o);
  test_sim_stop(sim);
}

/* Interrupts once the simulator has started its fourth stream: with two in
 * flight, two have then completed and two are running. Waits on the
 * simulator's counter (bounded), not on time. */
static void *interrupt_at_fourth_stream(void *arg) {
  benchy_sim *sim = arg;
  int64_t deadline = benchy_now_ns() + (int64_t)120 * 1000000000;
  benchy_sim_stats st = {.struct_size = sizeof st};
  do {
    benchy_sim_get_stats(sim, &st);
    struct timespec poll = {0, 2 * 1000 * 1000};
    nanosleep(&poll, NULL);
  } while (st.streams < 4 && benchy_now_ns() < deadline);
  benchy_interrupt();
  return NULL;
}

static void test_interrupt_keeps_completed(void **state) {
  (void)state;
  /* Each request takes ~0.55 s. */
  benchy_sim *sim = start_sim((const char *const[]){"decode-tps", "100", NULL});
  pthread_t t;
  pthread_create(&t, NULL, interrupt_at_fourth_stream, sim);
  load_out o = run_load(sim, (const char *const[]){"concurrency", "2,4", "num-prompts", "40",
                                                  "output-len", "50", NULL});
  pthread_join(t, NULL);
  assert_int_equal(o.status, BENCHY_ERR_CANCELLED);
  assert_non_null(o.result);
  assert_int_equal(benchy_result_status(o.result), BENCHY_ERR_CANCELLED);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o.doc, "status")->valuestring, "ERR_CANCELLED");
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o.doc, "aggregates")), 1);
  const cJSON *lv = level_of(&o, 0);
  assert_range(num(lv, "completed"), 2, 6, "completed before the interrupt");
  assert_range(num(lv, "cancelled"), 1, 2, "cancelled in flight");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(lv, "stopped_by")->valuestring, "interrupt");
  load_out_free(&o);
  benchy_clear_interrupt();
  test_sim_stop(sim);
}

static void test_no_secrets_in_results(void **state) {
  (void)state;
  benchy_sim *sim = start_sim(NULL);
  setenv("BENCHY_TEST_LOAD_KEY", "sk-test-very-secret", 1);
  load_out o = run_load(sim, (const char *const[]){"num-prompts", "2", "header",
                                                  "X-Secret: hunter2", "api-key-env",
                                                  "BENCHY_TEST_LOAD_KEY", NULL});
  if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
  char *text = benchy_result_to_json(o.result, 1);
  assert_null(strstr(text, "hunter2"));
  assert_null(strstr(text, "sk-test-very-secret"));
  assert_non_null(strstr(text, "X-Secret"));
  free(text);
  unsetenv("BENCHY_TEST_LOAD_KEY");
  load_out_free(&o);
  test_sim_stop(sim);
}

static void test_duration(void **state) {
  (void)state;
  for (test_timing t = {0}; test_timing_next(&t);) {
    benchy_sim *sim = start_sim(NULL);
    /* Open loop: 40/s constant for 0.5 s is 20 requests. */
    load_out o = run_load(sim, (const char *const[]){"request-rate", "40", "arrival", "constant",
                                                    "duration", "0.5", NULL});
    if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
    assert_int_equal((int)num(level_of(&o, 0), "planned"), 20);
    assert_int_equal((int)num(level_of(&o, 0), "completed"), 20);
    load_out_free(&o);
    /* Closed loop: 2 in flight, ~55 ms each, for 0.6 s: about 22, five
     * prompts cycled when asked to repeat them. */
    o = run_load(sim, (const char *const[]){"concurrency", "2", "duration", "0.6", "num-prompts",
                                            "5", "repeat-prompts", "1", NULL});
    if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
    const cJSON *lv = level_of(&o, 0);
    assert_range(num(lv, "completed"), 12 / slack(), 26, "closed-loop requests in 0.6 s");
    assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(lv, "planned")));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(lv, "stopped_by")->valuestring, "duration");
    load_out_free(&o);
    /* Not asked to: the five go once each, and the level says why it
     * stopped early. */
    o = run_load(sim, (const char *const[]){"concurrency", "2", "duration", "0.6", "num-prompts",
                                            "5", NULL});
    if (o.status != BENCHY_OK) fail_msg("load: %s", o.err);
    lv = level_of(&o, 0);
    assert_int_equal((int)num(lv, "completed"), 5);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(lv, "stopped_by")->valuestring, "prompts");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(lv, "warnings")), 1);
    load_out_free(&o);
    test_sim_stop(sim);
  }
}

static void test_file_and_prefix_datasets(void **state) {
  (void)state;
  char jl[512], sg[512];
  snprintf(jl, sizeof jl, "%s/p.jsonl", test_tmpdir());
  snprintf(sg, sizeof sg, "%s/s.json", test_tmpdir());
  FILE *f = fopen(jl, "w");
  fputs("{\"prompt\": \"Say hello.\", \"output_len\": 7}\n"
        "{\"messages\": [{\"role\": \"user\", \"content\": \"Say bye.\"}], \"max_tokens\": 9}\n"
        "{\"prompt\": \"Default length.\"}\n", f);
  fclose(f);
  f = fopen(sg, "w");
  fputs("[{\"conversations\": [{\"from\": \"human\", \"value\": \"Why is the sky blue?\"},"
        "{\"from\": \"gpt\", \"value\": \"Rayleigh scattering of sunlight.\"}]}]", f);
  fclose(f);
  benchy_sim *sim = start_sim(NULL);
  load_out o = run_load(sim, (const char *const[]){"dataset", "jsonl", "dataset-path", jl,
                                                  "num-prompts", "6", "concurrency", "3",
                                                  "output-len", "", NULL});
  if (o.status != BENCHY_OK) fail_msg("jsonl: %s", o.err);
  /* The sim answers max_tokens exactly: two passes over 7 + 9 + 128 (the
   * --output-len default for a line without a length). */
  assert_int_equal((int)num(level_of(&o, 0), "total_output_tokens"), 2 * (7 + 9 + 128));
  load_out_free(&o);
  /* A given --output-len is every request's length. */
  o = run_load(sim, (const char *const[]){"dataset", "jsonl", "dataset-path", jl,
                                          "num-prompts", "3", "output-len", "5", NULL});
  if (o.status != BENCHY_OK) fail_msg("jsonl: %s", o.err);
  assert_int_equal((int)num(level_of(&o, 0), "total_output_tokens"), 3 * 5);
  load_out_free(&o);
  o = run_load(sim, (const char *const[]){"dataset", "sharegpt", "dataset-path", sg,
                                          "num-prompts", "2", "output-len", "", NULL});
  if (o.status != BENCHY_OK) fail_msg("sharegpt: %s", o.err);
  /* "Rayleigh scattering of sunlight." is 32 bytes: 8 tokens estimated. */
  assert_int_equal((int)num(level_of(&o, 0), "total_output_tokens"), 2 * 8);
  load_out_free(&o);
  /* A bad file fails before anything is sent, naming path and line. */
  f = fopen(jl, "w");
  fputs("{\"prompt\": \"ok\"}\n{\"prompt\": 3}\n", f);
  fclose(f);
  o = run_load(sim, (const char *const[]){"dataset", "jsonl", "dataset-path", jl, NULL});
  assert_int_equal(o.status, BENCHY_ERR_INVALID);
  assert_null(o.result);
  assert_non_null(strstr(o.err, ":2:"));
  load_out_free(&o);
  test_sim_stop(sim);

  /* Shared prefixes hit the sim's prefix cache. */
  sim = start_sim((const char *const[]){"no-prefix-cache", "false", NULL});
  o = run_load(sim, (const char *const[]){"dataset", "prefix", "num-groups", "2", "prefix-len",
                                          "256", "input-len", "32", "num-prompts", "8",
                                          "concurrency", "1", NULL});
  if (o.status != BENCHY_OK) fail_msg("prefix: %s", o.err);
  const cJSON *lv = level_of(&o, 0);
  assert_int_equal((int)num(lv, "total_input_tokens"), 8 * (256 + 32));
  assert_true(num(lv, "total_cached_tokens") >= 4 * 200);
  load_out_free(&o);
  test_sim_stop(sim);
}

static void test_bad_options(void **state) {
  (void)state;
  struct {
    const char *const *kv;
    const char *fragment;
  } cases[] = {
      {(const char *const[]){"concurrency", "2", "max-concurrency", "4", NULL}, "not both"},
      {(const char *const[]){"request-rate", "1,2", "concurrency", "1,2", NULL}, "sweep one"},
      {(const char *const[]){"resume", "true", NULL}, "--jsonl"},
      {(const char *const[]){"arrival", "constant", "burstiness", "0.5", NULL}, "--burstiness"},
      {(const char *const[]){"goodput", "ttft=200", NULL}, "--goodput"},
      {(const char *const[]){"dataset", "sharegpt", NULL}, "--dataset-path"},
      {(const char *const[]){"duration", "5", NULL}, "closed loop"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    load_out o = run_load(NULL, cases[i].kv);
    assert_int_not_equal(o.status, BENCHY_OK);
    assert_null(o.result);
    if (!strstr(o.err, cases[i].fragment)) fail_msg("case %zu: '%s' lacks '%s'", i, o.err, cases[i].fragment);
  }
  /* A server that is not there: a clear error before anything runs. */
  load_out o = run_load(NULL, (const char *const[]){"base-url", "http://127.0.0.1:9/v1", NULL});
  assert_int_not_equal(o.status, BENCHY_OK);
  assert_null(o.result);
  assert_non_null(strstr(o.err, "127.0.0.1:9"));
}

/* ---- metrics on synthetic records --------------------------------------- */

static load_sample synth(int status, double ttft_ms, double tpot_ms, double e2el_ms, double queue_ms) {
  load_sample s;
  memset(&s, 0, sizeof s);
  s.status = status;
  s.t_scheduled = 1000000000;
  s.queue_ns = (int64_t)(queue_ms * 1e6);
  s.t_dispatched = s.t_scheduled + s.queue_ns;
  s.ttft_ns = (int64_t)(ttft_ms * 1e6);
  s.tpot_ns = tpot_ms < 0 ? -1 : (int64_t)(tpot_ms * 1e6);
  s.e2el_ns = (int64_t)(e2el_ms * 1e6);
  s.t_done = s.t_dispatched + s.e2el_ns;
  s.ttfr_ns = s.ttft_ns;
  s.output_tokens = 10;
  s.usage_output_tokens = 10;
  s.chunk_output_tokens = 10;
  s.input_tokens = 100;
  s.cached_tokens = -1;
  return s;
}

/* Streams samples into a fresh accumulator, as load.c does per thread, and
 * aggregates it. budget: requests kept exactly (0: all). */
/* slo: NULL for none. */
static int aggregate_samples(const load_sample *s, size_t n, size_t budget, const load_slo *slo,
                             const load_agg_config *cfg, cJSON *o) {
  load_acc acc;
  assert_int_equal(load_acc_init(&acc, 0, 0), 0);
  if (slo) load_acc_set_slo(&acc, slo);
  load_acc_limit_requests(&acc, budget);
  for (size_t i = 0; i < n; i++) assert_int_equal(load_acc_add_sample(&acc, &s[i]), 0);
  int rc = load_aggregate(&acc, cfg, o);
  load_acc_free(&acc);
  return rc;
}

static void test_percentiles_hand_computed(void **state) {
  (void)state;
  /* TTFTs 10..50 ms (the failure's 999 must not count). numpy:
   * percentile([10,20,30,40,50], [50,90,99]) = 30, 46, 49.6;
   * std ddof=1 15.8113883, ddof=0 14.1421356. */
  load_sample s[6] = {synth(BENCHY_OK, 30, 5, 100, 0), synth(BENCHY_OK, 10, 5, 100, 0),
                      synth(BENCHY_ERR_HTTP, 999, 5, 100, 0), synth(BENCHY_OK, 50, 5, 100, 0),
                      synth(BENCHY_OK, 20, 5, 100, 0), synth(BENCHY_OK, 40, 5, 100, 0)};
  s[2].http_status = 503;
  const double ps[] = {50, 90, 99};
  load_agg_config cfg = {ps, 3, 1};
  cJSON *o = cJSON_CreateObject();
  assert_int_equal(aggregate_samples(s, 6, 0, NULL, &cfg, o), 0);
  assert_true(fabs(num(o, "mean_ttft_ms") - 30) < 1e-9);
  assert_true(fabs(num(o, "median_ttft_ms") - 30) < 1e-9);
  assert_true(fabs(num(o, "p90_ttft_ms") - 46) < 1e-9);
  assert_true(fabs(num(o, "p99_ttft_ms") - 49.6) < 1e-9);
  assert_true(fabs(num(o, "std_ttft_ms") - sqrt(1000.0 / 4)) < 1e-9); /* sum of squares 1000, n-1 = 4 */
  assert_true(fabs(num(o, "min_ttft_ms") - 10) < 1e-9);
  assert_true(fabs(num(o, "max_ttft_ms") - 50) < 1e-9);
  assert_int_equal((int)num(o, "completed"), 5);
  assert_int_equal((int)num(o, "failed"), 1);
  assert_int_equal((int)sub_num(o, "failed_by_kind", "http_error"), 1);
  assert_int_equal((int)sub_num(o, "failed_by_http_status", "503"), 1);
  /* Duration: from the earliest schedule to the last completion (all 100 ms). */
  assert_true(fabs(num(o, "duration") - 0.1) < 1e-9);
  assert_true(fabs(num(o, "request_throughput") - 50) < 1e-6);
  assert_true(fabs(num(o, "output_throughput") - 500) < 1e-6);
  assert_true(fabs(num(o, "total_token_throughput") - 5500) < 1e-6);
  cJSON_Delete(o);

  cfg.ddof = 0;
  o = cJSON_CreateObject();
  aggregate_samples(s, 6, 0, NULL, &cfg, o);
  assert_true(fabs(num(o, "std_ttft_ms") - sqrt(1000.0 / 5)) < 1e-9);
  cJSON_Delete(o);

  char key[64];
  benchy_percentile_key(key, sizeof key, 99.9, "itl", "ms");
  assert_string_equal(key, "p99.9_itl_ms");
  benchy_percentile_key(key, sizeof key, 50, "e2el", "ms");
  assert_string_equal(key, "p50_e2el_ms");
}

/* Past the request budget the exact values go and percentiles come from
 * the histograms: memory stops growing, counts and means stay exact. */
static void test_request_budget_bounds_memory(void **state) {
  (void)state;
  enum { N = 1000 };
  static load_sample s[N + 10];
  for (int i = 0; i < N; i++) s[i] = synth(BENCHY_OK, i + 1, 5, 2000 + i, 0);
  for (int i = N; i < N + 10; i++) {
    s[i] = synth(BENCHY_ERR_HTTP, 1, 5, 10, 0);
    s[i].http_status = 503;
  }
  const double ps[] = {90, 99};
  load_agg_config cfg = {ps, 2, 1};
  /* numpy.percentile(range(1, 1001), [90, 99]) = 900.1, 990.01 */
  cJSON *exact = cJSON_CreateObject();
  assert_int_equal(aggregate_samples(s, N + 10, 0, NULL, &cfg, exact), 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(exact, "request_percentiles_from")->valuestring, "samples");
  assert_true(fabs(num(exact, "p99_ttft_ms") - 990.01) < 1e-9);
  assert_true(fabs(num(exact, "p90_ttft_ms") - 900.1) < 1e-9);

  load_acc acc;
  assert_int_equal(load_acc_init(&acc, 0, 0), 0);
  load_acc_limit_requests(&acc, 100);
  for (int i = 0; i < N + 10; i++) load_acc_add_sample(&acc, &s[i]);
  /* Nothing per request is held any more. */
  assert_true(acc.req_overflow);
  assert_null(acc.dist[LOAD_M_TTFT].raw_ms);
  assert_null(acc.spans);
  assert_int_equal(acc.req_kept, 100);
  acc.max_in_flight = 7;
  cJSON *o = cJSON_CreateObject();
  assert_int_equal(load_aggregate(&acc, &cfg, o), 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "request_percentiles_from")->valuestring, "histogram");
  assert_true(num(o, "request_percentiles_relative_error") > 0 && num(o, "request_percentiles_relative_error") < 0.005);
  assert_true(fabs(num(o, "p99_ttft_ms") - 990.01) < 990.01 * 0.004);
  assert_true(fabs(num(o, "p90_e2el_ms") - num(exact, "p90_e2el_ms")) < num(exact, "p90_e2el_ms") * 0.004);
  assert_true(fabs(num(o, "mean_ttft_ms") - 500.5) < 1e-9);
  assert_true(fabs(num(o, "std_ttft_ms") - num(exact, "std_ttft_ms")) < 1e-6);
  assert_int_equal((int)num(o, "completed"), N);
  assert_int_equal((int)num(o, "failed"), 10);
  assert_int_equal((int)sub_num(o, "failed_by_http_status", "503"), 10);
  assert_true(fabs(num(o, "output_throughput") - num(exact, "output_throughput")) < 1e-9);
  assert_int_equal((int)num(o, "max_concurrent_requests"), 7);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "max_concurrent_requests_from")->valuestring, "runner");
  cJSON_Delete(o);
  load_acc_free(&acc);

  /* Two threads' halves merged: exact when they fit the target's budget,
   * histograms when they do not; counts add up either way. */
  for (int b = 0; b < 2; b++) {
    load_acc t0, t1;
    assert_int_equal(load_acc_init(&t0, 0, 0), 0);
    assert_int_equal(load_acc_init(&t1, 0, 0), 0);
    for (int i = 0; i < N + 10; i++) load_acc_add_sample(i % 2 ? &t1 : &t0, &s[i]);
    load_acc_limit_requests(&t0, b ? 600 : 0);
    assert_int_equal(load_acc_merge(&t0, &t1), 0);
    o = cJSON_CreateObject();
    load_aggregate(&t0, &cfg, o);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "request_percentiles_from")->valuestring,
                        b ? "histogram" : "samples");
    assert_int_equal((int)num(o, "completed"), N);
    assert_int_equal((int)num(o, "num_requests"), N + 10);
    if (!b) assert_true(fabs(num(o, "p99_ttft_ms") - 990.01) < 1e-9);
    cJSON_Delete(o);
    load_acc_free(&t0);
    load_acc_free(&t1);
  }

  /* A level's budget is claimed by its threads together: one thread may
   * keep most of it when the requests fall unevenly (a per-thread share
   * of 10 / 2 would have lost the exact values at 6), and one request past
   * it in total, on whichever thread, ends them. */
  for (int extra = 0; extra < 2; extra++) {
    atomic_size_t claims = 0;
    load_acc t0, t1;
    assert_int_equal(load_acc_init(&t0, 0, 0), 0);
    assert_int_equal(load_acc_init(&t1, 0, 0), 0);
    load_acc *both[] = {&t0, &t1};
    for (int t = 0; t < 2; t++) {
      load_acc_limit_requests(both[t], 10);
      load_acc_share_request_budget(both[t], &claims);
    }
    for (int i = 0; i < 8; i++) load_acc_add_sample(&t0, &s[i]);
    for (int i = 8; i < 10 + extra; i++) load_acc_add_sample(&t1, &s[i]);
    /* Past the level's budget, the thread that found it holds nothing. */
    assert_int_equal(t1.req_overflow, extra);
    assert_int_equal(t0.req_overflow, 0);
    assert_int_equal(load_acc_merge(&t0, &t1), 0);
    o = cJSON_CreateObject();
    load_aggregate(&t0, &cfg, o);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "request_percentiles_from")->valuestring,
                        extra ? "histogram" : "samples");
    assert_int_equal((int)num(o, "num_requests"), 10 + extra);
    cJSON_Delete(o);
    load_acc_free(&t0);
    load_acc_free(&t1);
  }
  cJSON_Delete(exact);
}

static void test_goodput_hand_computed(void **state) {
  (void)state;
  load_slo slo;
  char err[256];
  const char *items[] = {"ttft:200 tpot:50", "e2el:5000"};
  assert_int_equal(load_slo_parse(items, 2, &slo, err, sizeof err), BENCHY_OK);
  assert_true(slo.ttft_ms == 200 && slo.tpot_ms == 50 && slo.e2el_ms == 5000);
  /*            ttft  tpot  e2el  queue  meets (send)  meets (schedule) */
  load_sample s[] = {
      synth(BENCHY_OK, 150, 40, 4000, 0),    /* yes  yes */
      synth(BENCHY_OK, 200, 50, 5000, 0),    /* yes (bounds inclusive)  yes */
      synth(BENCHY_OK, 201, 40, 4000, 0),    /* no: ttft */
      synth(BENCHY_OK, 100, 51, 4000, 0),    /* no: tpot */
      synth(BENCHY_OK, 100, 40, 5001, 0),    /* no: e2el */
      synth(BENCHY_OK, 150, 40, 4000, 100),  /* yes  no: 250 ms from schedule */
      synth(BENCHY_OK, 150, -1, 4000, 0),    /* one token, no TPOT: yes yes */
      synth(BENCHY_ERR_TIMEOUT, 10, 1, 10, 0), /* failed: never good */
  };
  size_t n = sizeof s / sizeof s[0];
  int want_send[] = {1, 1, 0, 0, 0, 1, 1, 0}, want_sched[] = {1, 1, 0, 0, 0, 0, 1, 0};
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(load_sample_meets(&s[i], &slo, 0), want_send[i]);
    assert_int_equal(load_sample_meets(&s[i], &slo, 1), want_sched[i]);
  }
  load_agg_config cfg = {NULL, 0, 1};
  cJSON *o = cJSON_CreateObject();
  aggregate_samples(s, n, 0, &slo, &cfg, o);
  assert_int_equal((int)num(o, "good_requests"), 4);
  assert_int_equal((int)num(o, "good_requests_from_schedule"), 3);
  double dur = num(o, "duration");
  assert_true(fabs(num(o, "request_goodput") - 4 / dur) < 1e-9);
  cJSON_Delete(o);

  const char *bad[][1] = {{"ttft"}, {"ttfb:10"}, {"tpot:-1"}, {"e2el:abc"}};
  for (size_t i = 0; i < 4; i++)
    assert_int_equal(load_slo_parse(bad[i], 1, &slo, err, sizeof err), BENCHY_ERR_INVALID);
  const char *commas[] = {"ttft:1,tpot:2"};
  assert_int_equal(load_slo_parse(commas, 1, &slo, err, sizeof err), BENCHY_OK);
  assert_true(slo.ttft_ms == 1 && slo.tpot_ms == 2 && slo.e2el_ms == 0);
}

static benchy_chunk_event ev(double t_ms, int tokens, unsigned kinds, uint32_t bytes) {
  benchy_chunk_event e = {(int64_t)(t_ms * 1e6), 0, tokens, kinds, bytes, 0};
  return e;
}

/* A successful request scheduled and sent at 900 ms, first token at 1000
 * ms, done at 1061 ms, 20 prompt tokens, 4 token chunks (the events'). */
static benchy_record synthetic_record(benchy_chunk_event *evs, size_t n, int64_t output_tokens) {
  benchy_record r;
  memset(&r, 0, sizeof r);
  r.struct_size = sizeof r;
  r.status = BENCHY_OK;
  r.t_scheduled = r.t_dispatched = (int64_t)(900 * 1e6);
  r.t_first_chunk = r.t_first_token = (int64_t)(1000 * 1e6);
  r.t_done = (int64_t)(1061 * 1e6);
  r.output_tokens = r.usage_completion_tokens = r.server_chunk_tokens = output_tokens;
  r.usage_prompt_tokens = 20;
  r.usage_cached_tokens = -1;
  r.token_chunks = 4;
  r.chunk_events = evs;
  r.n_chunk_events = n;
  return r;
}

static void test_itl_per_chunk_and_per_token(void **state) {
  (void)state;
  /* Chunks at 0 (1 token), 10 (1), 30 (2), 60 (3) ms after a role chunk:
   * per chunk 10, 20, 30 ms; per token 10 x 6 (a k-token chunk's gap is k
   * gaps of gap/k). */
  const unsigned C = BENCHY_CHUNK_CONTENT;
  benchy_chunk_event evs[] = {ev(1000, -1, BENCHY_CHUNK_ROLE, 0), ev(1000, 1, C, 4),
                              ev(1010, 1, C, 4),  ev(1030, 2, C, 8),
                              ev(1060, 3, C, 12), ev(1061, -1, BENCHY_CHUNK_USAGE, 0)};
  benchy_record r = synthetic_record(evs, sizeof evs / sizeof evs[0], 7);

  load_acc acc;
  assert_int_equal(load_acc_init(&acc, (int64_t)(900 * 1e6), 0), 0);
  load_sample s;
  assert_int_equal(load_ingest(&acc, &r, -1, &s), 0);
  assert_int_equal(s.ttft_ns, 100000000);
  assert_int_equal(s.tpot_ns, 61000000 / 6);
  const double ps[] = {50, 100};
  load_agg_config cfg = {ps, 2, 0};
  cJSON *o = cJSON_CreateObject();
  load_aggregate(&acc, &cfg, o);
  assert_true(fabs(num(o, "mean_itl_ms") - 20) < 1e-9);
  assert_true(fabs(num(o, "p100_itl_ms") - 30) < 1e-9);
  assert_true(fabs(num(o, "mean_itl_per_token_ms") - 10) < 1e-9);
  assert_true(fabs(num(o, "p100_itl_per_token_ms") - 10) < 1e-9);
  assert_int_equal((int)num(o, "itl_count"), 3);
  assert_int_equal((int)num(o, "itl_per_token_count"), 6);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "itl_percentiles_from")->valuestring, "samples");
  /* All 7 tokens arrived in the first second after t0 + 0.1 s. */
  assert_int_equal((int)num(o, "max_output_tokens_per_s"), 7);
  cJSON_Delete(o);

  /* The same stream without per-chunk counts: 7 usage tokens spread by
   * bytes (4, 4, 8, 12; each chunk at least one) gives 1, 1, 2, 3 again. */
  for (size_t i = 0; i < r.n_chunk_events; i++) evs[i].tokens = -1;
  int64_t k[6];
  assert_int_equal(load_chunk_tokens(evs, 6, 7, k), 1);
  int64_t want[] = {0, 1, 1, 2, 3, 0};
  for (int i = 0; i < 6; i++) assert_int_equal(k[i], want[i]);
  /* Totals always add up, whatever the bytes. */
  benchy_chunk_event odd[] = {ev(0, -1, C, 1), ev(1, -1, C, 7), ev(2, -1, C, 3), ev(3, 2, C, 9)};
  assert_int_equal(load_chunk_tokens(odd, 4, 23, k), 1);
  assert_int_equal(k[0] + k[1] + k[2] + k[3], 23);
  assert_int_equal(k[3], 2);
  for (int i = 0; i < 3; i++) assert_true(k[i] >= 1);
  /* Usage below the chunk count (a broken server): one each, and nothing
   * was spread. */
  assert_int_equal(load_chunk_tokens(odd, 4, 2, k), 0);
  assert_true(k[0] == 1 && k[1] == 1 && k[2] == 1);
  /* Usage equal to what the chunks account for (the usual one token per
   * chunk): one each, nothing spread, and the level does not count it. */
  assert_int_equal(load_chunk_tokens(odd, 4, 5, k), 0);
  assert_true(k[0] == 1 && k[1] == 1 && k[2] == 1 && k[3] == 2);
  {
    load_acc spread;
    assert_int_equal(load_acc_init(&spread, 0, 0), 0);
    for (size_t i = 0; i < r.n_chunk_events; i++) evs[i].tokens = -1;
    r.output_tokens = 4; /* four token-carrying chunks, one token each */
    assert_int_equal(load_ingest(&spread, &r, -1, &s), 0);
    assert_int_equal((int)spread.chunk_count_spread, 0);
    r.output_tokens = 7; /* three more than the chunks: spread */
    assert_int_equal(load_ingest(&spread, &r, -1, &s), 0);
    assert_int_equal((int)spread.chunk_count_spread, 1);
    cJSON *so = cJSON_CreateObject();
    load_aggregate(&spread, &cfg, so);
    assert_int_equal((int)num(so, "itl_tokens_spread_from_usage"), 1);
    cJSON_Delete(so);
    load_acc_free(&spread);
  }

  /* Histogram fallback once the raw budget is spent: within 0.4%. */
  load_acc small;
  assert_int_equal(load_acc_init(&small, 0, 2), 0);
  for (size_t i = 0; i < r.n_chunk_events; i++) evs[i].tokens = i ? 1 : -1;
  r.output_tokens = 4;
  load_ingest(&small, &r, -1, &s);
  assert_true(small.itl_overflow);
  assert_null(small.itl[LOAD_ITL_CHUNK].raw_ms); /* nothing held for nothing */
  assert_null(small.itl[LOAD_ITL_TOKEN].raw_ms);
  o = cJSON_CreateObject();
  load_aggregate(&small, &cfg, o);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(o, "itl_percentiles_from")->valuestring, "histogram");
  assert_true(fabs(num(o, "mean_itl_ms") - 20) < 1e-9); /* mean stays exact */
  assert_true(fabs(num(o, "p100_itl_ms") - 30) < 30 * 0.004);
  cJSON_Delete(o);

  /* Merging per-thread accumulators is exact. */
  load_acc merged;
  assert_int_equal(load_acc_init(&merged, (int64_t)(900 * 1e6), 0), 0);
  assert_int_equal(load_acc_merge(&merged, &acc), 0);
  assert_int_equal(load_acc_merge(&merged, &acc), 0);
  assert_int_equal(merged.itl[LOAD_ITL_CHUNK].n_raw, 6);
  assert_int_equal(benchy_hist_count(merged.itl[LOAD_ITL_TOKEN].hist), 12);
  assert_true(merged.n_buckets >= 1 && merged.buckets[0].output_tokens == 14);
  load_acc_free(&merged);
  load_acc_free(&small);
  load_acc_free(&acc);
}

/* Means, standard deviations, minima and maxima come from the exact moments
 * whichever source the percentiles have, so they do not move by a bit when
 * a level passes its budget. */
static void test_moments_whatever_the_percentile_source(void **state) {
  (void)state;
  enum { N = 300 };
  static load_sample s[N];
  for (int i = 0; i < N; i++)
    s[i] = synth(BENCHY_OK, 1.123 + (i * 37) % 101, 5 + i % 3, 1000.7 + (i * 53) % 211, i % 7);
  const double ps[] = {50, 99};
  load_agg_config cfg = {ps, 2, 1};
  cJSON *exact = cJSON_CreateObject(), *hist = cJSON_CreateObject();
  assert_int_equal(aggregate_samples(s, N, 0, NULL, &cfg, exact), 0);
  assert_int_equal(aggregate_samples(s, N, 10, NULL, &cfg, hist), 0);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(exact, "request_percentiles_from")->valuestring, "samples");
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(hist, "request_percentiles_from")->valuestring, "histogram");
  const char *names[] = {"ttft", "tpot", "e2el", "queue", "ttft_from_schedule", "e2el_from_schedule"};
  const char *stats[] = {"mean", "std", "min", "max"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    for (size_t j = 0; j < sizeof stats / sizeof stats[0]; j++) {
      char key[64];
      snprintf(key, sizeof key, "%s_%s_ms", stats[j], names[i]);
      if (num(exact, key) != num(hist, key)) fail_msg("%s: %.17g vs %.17g", key, num(exact, key), num(hist, key));
    }
  cJSON_Delete(exact);
  cJSON_Delete(hist);
}

/* load_aggregate sorts the kept values in place. That must change no
 * figure: aggregating again, or merging the sorted accumulator into
 * another, gives what unsorted values give. */
static void test_aggregate_leaves_figures_unchanged(void **state) {
  (void)state;
  const unsigned C = BENCHY_CHUNK_CONTENT;
  /* Gaps of 30, 10 and 20 ms per chunk; 30, 10, 10 and 10 per token. */
  benchy_chunk_event evs[] = {ev(1000, 1, C, 4), ev(1030, 1, C, 4), ev(1040, 1, C, 4), ev(1060, 2, C, 8)};
  benchy_record r = synthetic_record(evs, sizeof evs / sizeof evs[0], 5);
  const double ps[] = {10, 50, 90};
  load_agg_config cfg = {ps, 3, 1};
  load_acc a, twice, fresh;
  load_sample s;
  assert_int_equal(load_acc_init(&a, (int64_t)(900 * 1e6), 0), 0);
  assert_int_equal(load_acc_init(&twice, (int64_t)(900 * 1e6), 0), 0);
  assert_int_equal(load_acc_init(&fresh, (int64_t)(900 * 1e6), 0), 0);
  assert_int_equal(load_ingest(&a, &r, -1, &s), 0);
  assert_int_equal(load_ingest(&twice, &r, -1, &s), 0);
  for (int i = 0; i < 2; i++) assert_int_equal(load_ingest(&fresh, &r, -1, &s), 0);
  cJSON *first = cJSON_CreateObject(), *again = cJSON_CreateObject();
  assert_int_equal(load_aggregate(&a, &cfg, first), 0);
  assert_int_equal(load_aggregate(&a, &cfg, again), 0);
  assert_true(cJSON_Compare(first, again, 1));
  assert_true(fabs(num(first, "p10_itl_ms") - 12) < 1e-9); /* numpy.percentile([30, 10, 20], 10) */
  assert_true(fabs(num(first, "median_itl_per_token_ms") - 10) < 1e-9);
  cJSON *merged = cJSON_CreateObject(), *unsorted = cJSON_CreateObject();
  assert_int_equal(load_acc_merge(&twice, &a), 0);
  assert_int_equal(load_aggregate(&twice, &cfg, merged), 0);
  assert_int_equal(load_aggregate(&fresh, &cfg, unsorted), 0);
  assert_true(cJSON_Compare(merged, unsorted, 1));
  cJSON_Delete(first);
  cJSON_Delete(again);
  cJSON_Delete(merged);
  cJSON_Delete(unsorted);
  load_acc_free(&a);
  load_acc_free(&twice);
  load_acc_free(&fresh);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_percentiles_hand_computed),
      cmocka_unit_test(test_goodput_hand_computed),
      cmocka_unit_test(test_request_budget_bounds_memory),
      cmocka_unit_test(test_itl_per_chunk_and_per_token),
      cmocka_unit_test(test_moments_whatever_the_percentile_source),
      cmocka_unit_test(test_aggregate_leaves_figures_unchanged),
      cmocka_unit_test(test_matches_timing_model),
      cmocka_unit_test(test_multi_token_chunks),
      cmocka_unit_test(test_coordinated_omission_visible),
      cmocka_unit_test(test_every_fault_counted),
      cmocka_unit_test(test_max_errors_stops_level),
      cmocka_unit_test(test_threads_capped_by_the_level),
      cmocka_unit_test(test_raw_goes_to_jsonl_not_memory),
      cmocka_unit_test(test_jsonl_and_resume),
      cmocka_unit_test(test_max_records_bounds_memory),
      cmocka_unit_test(test_sweep_and_renderers),
      cmocka_unit_test(test_interrupt_keeps_completed),
      cmocka_unit_test(test_no_secrets_in_results),
      cmocka_unit_test(test_duration),
      cmocka_unit_test(test_file_and_prefix_datasets),
      cmocka_unit_test(test_bad_options),
  };
  return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
