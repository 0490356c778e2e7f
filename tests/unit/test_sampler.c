/*
 * test_sampler.c — sampling during a run (meta/sampler.c, meta/prometheus.c,
 * workload/sampling.c): GPU figures per level through the fake
 * libnvidia-ml (tests/unit/fake_nvml.c) whose memory a test changes as the
 * run goes, the idle figure, no GPU at all, sampling off, the client's
 * saturation warning (through BENCHY_TEST_SATURATION_PCT: no real
 * saturation is needed), and the Prometheus text parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "benchy/benchy.h"
#include "meta/prometheus.h"
#include "meta/sampler.h"
#include "testutil.h"

#define GiB (1024.0 * 1024.0 * 1024.0)

static const cJSON *at(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!v) fail_msg("missing \"%s\"", key);
  return v;
}
static double num(const cJSON *o, const char *key) {
  const cJSON *v = at(o, key);
  if (!cJSON_IsNumber(v)) fail_msg("\"%s\" is not a number", key);
  return v->valuedouble;
}
static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = at(o, key);
  assert_true(cJSON_IsString(v));
  return v->valuestring;
}

static char memory_file[512];

static void set_memory(double gpu0, double gpu1) {
  char tmp[600];
  snprintf(tmp, sizeof tmp, "%s.tmp", memory_file);
  FILE *f = fopen(tmp, "w");
  assert_non_null(f);
  fprintf(f, "%.0f %.0f\n", gpu0, gpu1);
  fclose(f);
  /* Whole or not at all, for the sampler's thread reading it. */
  assert_int_equal(rename(tmp, memory_file), 0);
}

static int setup_fake_gpu(void **state) {
  int rc = test_tmpdir_setup(state);
  snprintf(memory_file, sizeof memory_file, "%s/gpu-memory", test_tmpdir());
  setenv("FAKE_NVML_MEMORY_FILE", memory_file, 1);
  setenv("BENCHY_NVML_LIBRARY", FAKE_NVML_LIBRARY, 1);
  unsetenv("BENCHY_TEST_SATURATION_PCT");
  return rc;
}

static int teardown_fake_gpu(void **state) {
  unsetenv("FAKE_NVML_MEMORY_FILE");
  unsetenv("BENCHY_NVML_LIBRARY");
  unsetenv("BENCHY_TEST_SATURATION_PCT");
  return test_tmpdir_teardown(state);
}

/* Memory per level, written when the level is announced (after its first
 * reading, which still sees the one before). */
typedef struct level_memory {
  double gpu0[4], gpu1[4];
  int warnings;
  char warning[512];
} level_memory;

static void on_progress(const benchy_progress *p, void *ud) {
  level_memory *m = ud;
  if (p->kind == BENCHY_PROGRESS_PHASE && !strcmp(p->phase, "level") && p->index < 4)
    set_memory(m->gpu0[p->index], m->gpu1[p->index]);
  if (p->kind == BENCHY_PROGRESS_WARNING) {
    m->warnings++;
    snprintf(m->warning, sizeof m->warning, "%s", p->message);
  }
}

/* A two-level load sweep against the in-process simulator; the result's
 * document (cJSON_Delete it). */
static cJSON *run_sweep(benchy_sim *sim, const char *interval, level_memory *m) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  const char *const kv[] = {"base-url", benchy_sim_base_url(sim), "quiet", "true", "input-len", "32",
                            "output-len", "16", "warmup", "0", "num-prompts", "6", "concurrency", "1,3",
                            "sample-interval", interval, NULL};
  for (const char *const *p = kv; *p; p += 2)
    if (benchy_options_set(o, p[0], p[1]) != BENCHY_OK) fail_msg("%s: %s", p[0], benchy_options_error(o));
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  assert_int_equal(benchy_run_set_progress(run, on_progress, m), BENCHY_OK);
  int st = benchy_run_execute(run);
  if (st != BENCHY_OK) fail_msg("load: %s", benchy_run_error(run));
  char *text = benchy_result_to_json(benchy_run_result(run), 0);
  assert_non_null(text);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  benchy_run_free(run);
  benchy_options_free(o);
  assert_non_null(doc);
  return doc;
}

static const cJSON *level_gpu(const cJSON *doc, int level, int gpu) {
  const cJSON *lv = cJSON_GetArrayItem(at(doc, "aggregates"), level);
  assert_non_null(lv);
  const cJSON *g = cJSON_GetArrayItem(at(lv, "gpu"), gpu);
  assert_non_null(g);
  assert_int_equal((int)num(g, "gpu"), gpu);
  return g;
}

/* Idle before the first level, then each level's peak and mean as the fake
 * GPU's memory changes between them; the other figures as the fake reports
 * them; the timeline and the levels' times on the run's clock. */
static void test_load_levels_gpu_memory(void **state) {
  (void)state;
  set_memory(1 * GiB, 0.5 * GiB);
  level_memory m = {{2 * GiB, 5 * GiB}, {0.75 * GiB, 0.25 * GiB}, 0, ""};
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  cJSON *doc = run_sweep(sim, "5", &m);
  test_sim_stop(sim);

  const cJSON *s = at(doc, "sampling");
  assert_string_equal(str(s, "source"), "nvml");
  assert_null(cJSON_GetObjectItemCaseSensitive(s, "why"));
  assert_int_equal((int)num(s, "interval_ms"), 5);
  assert_int_equal(cJSON_GetArraySize(at(s, "gpus")), 2);
  assert_string_equal(str(cJSON_GetArrayItem(at(s, "gpus"), 1), "name"), "NVIDIA H200 fake 1");
  assert_string_equal(str(cJSON_GetArrayItem(at(s, "gpus"), 0), "uuid"),
                      "GPU-00000000-fake-0000-0000-000000000000");
  const cJSON *idle = at(s, "idle");
  assert_true(num(cJSON_GetArrayItem(idle, 0), "mem_used_bytes") == 1 * GiB);
  assert_true(num(cJSON_GetArrayItem(idle, 1), "mem_used_bytes") == 0.5 * GiB);

  /* Level 0 starts with a reading of the idle memory, ends with one of its own. */
  const cJSON *g0 = level_gpu(doc, 0, 0);
  assert_true(num(at(g0, "mem_used_bytes"), "peak") == 2 * GiB);
  double mean0 = num(at(g0, "mem_used_bytes"), "mean");
  assert_true(mean0 > 1 * GiB && mean0 <= 2 * GiB);
  /* The second GPU went down: its peak is the reading before the change. */
  assert_true(num(at(level_gpu(doc, 0, 1), "mem_used_bytes"), "peak") == 0.75 * GiB);
  assert_true(num(at(level_gpu(doc, 1, 0), "mem_used_bytes"), "peak") == 5 * GiB);
  double mean1 = num(at(level_gpu(doc, 1, 0), "mem_used_bytes"), "mean");
  assert_true(mean1 > 2 * GiB && mean1 <= 5 * GiB);
  assert_true(num(at(level_gpu(doc, 1, 1), "mem_used_bytes"), "peak") == 0.75 * GiB);
  /* The fake's constant figures come through exactly. */
  assert_true(num(at(g0, "util_pct"), "mean") == 40 && num(at(g0, "util_pct"), "max") == 40);
  assert_true(num(at(level_gpu(doc, 0, 1), "util_pct"), "mean") == 50);
  assert_true(num(at(g0, "sm_mhz"), "min") == 1755 && num(at(g0, "sm_mhz"), "max") == 1755);
  assert_true(num(at(g0, "power_w"), "mean") == 350.5 && num(at(g0, "power_w"), "max") == 350.5);
  assert_true(num(at(g0, "temp_c"), "max") == 50);
  assert_true(num(at(level_gpu(doc, 0, 1), "temp_c"), "max") == 51);

  const cJSON *lv0 = cJSON_GetArrayItem(at(doc, "aggregates"), 0);
  const cJSON *cpu = at(lv0, "client_cpu");
  assert_true(num(cpu, "busy_pct") >= 0);
  assert_false(cJSON_IsTrue(at(cpu, "saturated")));
  assert_int_equal(m.warnings, 0);

  /* The levels, labelled as the table shows them, in order on one clock. */
  const cJSON *levels = at(s, "levels");
  assert_int_equal(cJSON_GetArraySize(levels), 2);
  const cJSON *l0 = cJSON_GetArrayItem(levels, 0), *l1 = cJSON_GetArrayItem(levels, 1);
  assert_string_equal(str(l0, "label"), str(lv0, "label"));
  assert_true(num(l0, "t_start_s") <= num(l0, "t_end_s"));
  assert_true(num(l0, "t_end_s") <= num(l1, "t_start_s"));
  /* Every reading of both GPUs is in the timeline, in time order; the peak
   * of the second level is among them. */
  const cJSON *tl = at(s, "timeline");
  assert_true(cJSON_GetArraySize(tl) >= 2 * 5);
  double last = -1, peak0 = 0;
  const cJSON *pt;
  cJSON_ArrayForEach(pt, tl) {
    assert_true(num(pt, "t_s") >= last);
    last = num(pt, "t_s");
    if (num(pt, "gpu") == 0 && num(pt, "mem_used_bytes") > peak0) peak0 = num(pt, "mem_used_bytes");
  }
  assert_true(peak0 == 5 * GiB);
  const cJSON *c = at(s, "client_cpu");
  assert_true(num(c, "cores") >= 1);
  assert_true(num(c, "busy_pct_max") >= 0 && num(c, "busy_pct_mean") >= 0);
  cJSON_Delete(doc);
}

/* No NVML and no nvidia-smi: the source says none and why; the levels keep
 * the client's CPU and have no GPU figures. */
static void test_no_gpu_says_why(void **state) {
  (void)state;
  setenv("BENCHY_NVML_LIBRARY", "/nonexistent/libnvidia-ml.so.1", 1);
  char *old_path = strdup(getenv("PATH"));
  setenv("PATH", test_tmpdir(), 1); /* no nvidia-smi there */
  level_memory m = {{0}, {0}, 0, ""};
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  cJSON *doc = run_sweep(sim, "5", &m);
  test_sim_stop(sim);
  setenv("PATH", old_path, 1);
  free(old_path);
  const cJSON *s = at(doc, "sampling");
  assert_string_equal(str(s, "source"), "none");
  const char *why = str(s, "why");
  assert_non_null(strstr(why, "/nonexistent/libnvidia-ml.so.1"));
  assert_non_null(strstr(why, "nvidia-smi: not found"));
  assert_int_equal(cJSON_GetArraySize(at(s, "gpus")), 0);
  assert_int_equal(cJSON_GetArraySize(at(s, "timeline")), 0);
  assert_int_equal(cJSON_GetArraySize(at(s, "levels")), 2);
  const cJSON *lv = cJSON_GetArrayItem(at(doc, "aggregates"), 1);
  assert_int_equal(cJSON_GetArraySize(at(lv, "gpu")), 0);
  assert_true(cJSON_IsBool(at(at(lv, "client_cpu"), "saturated")));
  /* Nothing else changed: the level measured as always. */
  assert_true(num(lv, "completed") == 6);
  cJSON_Delete(doc);
}

static void test_interval_zero_is_off(void **state) {
  (void)state;
  level_memory m = {{0}, {0}, 0, ""};
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  cJSON *doc = run_sweep(sim, "0", &m);
  test_sim_stop(sim);
  const cJSON *s = at(doc, "sampling");
  assert_string_equal(str(s, "source"), "none");
  assert_non_null(strstr(str(s, "why"), "--sample-interval 0"));
  const cJSON *lv = cJSON_GetArrayItem(at(doc, "aggregates"), 0);
  assert_null(cJSON_GetObjectItemCaseSensitive(lv, "gpu"));
  assert_null(cJSON_GetObjectItemCaseSensitive(lv, "client_cpu"));
  cJSON_Delete(doc);
}

/* The threshold lowered to 0% through the test seam: any level's CPU is
 * over it, so each level says so in its result and on screen. */
static void test_saturation_warning(void **state) {
  (void)state;
  setenv("BENCHY_TEST_SATURATION_PCT", "0", 1);
  set_memory(1 * GiB, 0);
  level_memory m = {{1 * GiB, 1 * GiB}, {0, 0}, 0, ""};
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  cJSON *doc = run_sweep(sim, "5", &m);
  test_sim_stop(sim);
  unsetenv("BENCHY_TEST_SATURATION_PCT");
  const cJSON *lv;
  cJSON_ArrayForEach(lv, at(doc, "aggregates")) {
    const cJSON *cpu = at(lv, "client_cpu");
    assert_true(num(cpu, "busy_pct") > 0);
    assert_true(cJSON_IsTrue(at(cpu, "saturated")));
    const cJSON *w = cJSON_GetArrayItem(at(lv, "warnings"), 0);
    assert_non_null(w);
    assert_non_null(strstr(w->valuestring, "the client itself was busy"));
  }
  assert_int_equal(m.warnings, 2);
  assert_non_null(strstr(m.warning, "level 2/2 (c=3): the client itself was busy"));
  cJSON_Delete(doc);
}

/* The sampler alone: a level whose memory never changes has that memory as
 * its mean exactly; readings go on between levels. */
static void test_constant_level_mean_exact(void **state) {
  (void)state;
  set_memory(3 * GiB, 1 * GiB);
  sampler_config cfg = {2, FAKE_NVML_LIBRARY, 5};
  sampler *s = sampler_start(&cfg);
  assert_non_null(s);
  assert_string_equal(sampler_source(s), "nvml");
  assert_int_equal(sampler_level_begin(s, "steady"), BENCHY_OK);
  uint64_t start = sampler_readings(s);
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += 10;
  for (;;) {
    if (sampler_readings(s) >= start + 5) break;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec) fail_msg("the sampler took no readings in 10 s");
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
  sampler_level lv;
  assert_int_equal(sampler_level_end(s, &lv), 0);
  assert_int_equal(sampler_level_end(s, &lv), -1); /* none open now */
  assert_int_equal(lv.n_gpus, 2);
  assert_true(lv.gpu[0].samples >= 6);
  assert_true(lv.gpu[0].mem_mean == 3 * GiB);
  assert_true(lv.gpu[0].mem_peak == (uint64_t)(3 * GiB));
  assert_true(lv.gpu[1].mem_mean == 1 * GiB);
  cJSON *j = sampler_finish(s);
  assert_non_null(j);
  assert_int_equal(cJSON_GetArraySize(at(j, "levels")), 1);
  cJSON_Delete(j);
}

/* Waits (bounded) until the sampler has taken at least n readings. */
static void wait_readings(sampler *s, uint64_t n, int seconds) {
  struct timespec deadline;
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += seconds;
  while (sampler_readings(s) < n) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline.tv_sec)
      fail_msg("the sampler took %llu of %llu readings in %d s", (unsigned long long)sampler_readings(s),
               (unsigned long long)n, seconds);
    struct timespec pause = {0, 1000000};
    nanosleep(&pause, NULL);
  }
}

/* More readings than the timeline holds: it stays bounded (at most 2,000
 * points per GPU in the result) and a short spike survives the merging. */
static void test_long_timeline_keeps_its_peak(void **state) {
  (void)state;
  set_memory(1 * GiB, 1 * GiB);
  sampler_config cfg = {1, FAKE_NVML_LIBRARY, 5};
  sampler *s = sampler_start(&cfg);
  assert_non_null(s);
  wait_readings(s, 100, 60);
  set_memory(7 * GiB, 1 * GiB);
  /* One or two readings see the spike: merged away unless peaks are kept. */
  wait_readings(s, sampler_readings(s) + 1, 60);
  set_memory(1 * GiB, 1 * GiB);
  wait_readings(s, 3 * 4096, 120);
  uint64_t readings = sampler_readings(s);
  cJSON *j = sampler_finish(s);
  assert_non_null(j);
  int points[2] = {0, 0};
  double peak = 0, last = -1;
  const cJSON *pt;
  cJSON_ArrayForEach(pt, at(j, "timeline")) {
    int g = (int)num(pt, "gpu");
    points[g]++;
    if (g == 0 && num(pt, "mem_used_bytes") > peak) peak = num(pt, "mem_used_bytes");
    assert_true(num(pt, "t_s") >= last);
    last = num(pt, "t_s");
  }
  assert_true(readings > 4096);
  assert_true(points[0] > 0 && points[0] <= 2000);
  assert_int_equal(points[0], points[1]);
  assert_true(peak == 7 * GiB);
  cJSON_Delete(j);
}

static const char vllm_before[] =
    "# HELP vllm:num_preemptions_total Cumulative number of preemption.\n"
    "# TYPE vllm:num_preemptions_total counter\n"
    "vllm:num_preemptions_total{engine=\"0\",model_name=\"m\"} 2.0\n"
    "vllm:num_preemptions_total{engine=\"1\",model_name=\"m\"} 1.0\n"
    "# TYPE vllm:prompt_tokens_total counter\n"
    "vllm:prompt_tokens_total{model_name=\"a {b} \\\"c\\\"\"} 1000\n"
    "# TYPE vllm:num_requests_waiting gauge\n"
    "vllm:num_requests_waiting{model_name=\"m\"} 0.0\n"
    "# TYPE vllm:e2e_request_latency_seconds histogram\n"
    "vllm:e2e_request_latency_seconds_bucket{le=\"1.0\",model_name=\"m\"} 4.0\n"
    "vllm:e2e_request_latency_seconds_sum{model_name=\"m\"} 2.5\n"
    "vllm:e2e_request_latency_seconds_count{model_name=\"m\"} 4.0\n"
    "# TYPE process_cpu_seconds_total counter\n"
    "process_cpu_seconds_total 12.5\n";
static const char vllm_after[] =
    "# TYPE vllm:num_preemptions_total counter\n"
    "vllm:num_preemptions_total{engine=\"0\",model_name=\"m\"} 5.0\n"
    "vllm:num_preemptions_total{engine=\"1\",model_name=\"m\"} 1.0\n"
    "# TYPE vllm:prompt_tokens_total counter\n"
    "vllm:prompt_tokens_total{model_name=\"a {b} \\\"c\\\"\"} 1640 1712345678000\n"
    "# TYPE vllm:num_requests_waiting gauge\n"
    "vllm:num_requests_waiting{model_name=\"m\"} 7\n"
    "# TYPE vllm:prefix_cache_hits_total counter\n"
    "vllm:prefix_cache_hits_total{model_name=\"m\"} 30\n"
    "# TYPE vllm:e2e_request_latency_seconds histogram\n"
    "vllm:e2e_request_latency_seconds_bucket{le=\"1.0\",model_name=\"m\"} 9.0\n"
    "# TYPE process_cpu_seconds_total counter\n"
    "process_cpu_seconds_total 13.5\n";

/* Labels folded (summed), quoted label values with braces, timestamps,
 * histograms left out, only the server's own series, a counter new in the
 * second scrape counted from 0. */
static void test_prometheus_deltas(void **state) {
  (void)state;
  prom_set b, a;
  assert_int_equal(prom_parse(vllm_before, &b), BENCHY_OK);
  assert_int_equal(prom_parse(vllm_after, &a), BENCHY_OK);
  assert_true(prom_find(&b, "vllm:num_preemptions_total")->value == 3);
  assert_null(prom_find(&b, "vllm:e2e_request_latency_seconds_bucket"));
  assert_null(prom_find(&b, "vllm:e2e_request_latency_seconds_count"));
  assert_string_equal(prom_source(&a), "vllm");
  cJSON *j = prom_level_json(&b, &a);
  assert_string_equal(str(j, "source"), "vllm");
  const cJSON *d = at(j, "deltas");
  assert_true(num(d, "vllm:num_preemptions_total") == 3);
  assert_true(num(d, "vllm:prompt_tokens_total") == 640);
  assert_true(num(d, "vllm:prefix_cache_hits_total") == 30);
  assert_null(cJSON_GetObjectItemCaseSensitive(d, "process_cpu_seconds_total"));
  assert_true(num(at(j, "gauges_after"), "vllm:num_requests_waiting") == 7);
  cJSON_Delete(j);
  /* A counter that went down: the server restarted; no delta is claimed. */
  j = prom_level_json(&a, &b);
  assert_true(cJSON_IsNull(at(at(j, "deltas"), "vllm:num_preemptions_total")));
  cJSON_Delete(j);
  prom_free(&a);
  prom_free(&b);
  prom_set g;
  assert_int_equal(prom_parse("# TYPE x_total counter\nx_total 4\nup 1\n", &g), BENCHY_OK);
  assert_string_equal(prom_source(&g), "prometheus");
  prom_free(&g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_load_levels_gpu_memory, setup_fake_gpu, teardown_fake_gpu),
      cmocka_unit_test_setup_teardown(test_no_gpu_says_why, setup_fake_gpu, teardown_fake_gpu),
      cmocka_unit_test_setup_teardown(test_interval_zero_is_off, setup_fake_gpu, teardown_fake_gpu),
      cmocka_unit_test_setup_teardown(test_saturation_warning, setup_fake_gpu, teardown_fake_gpu),
      cmocka_unit_test_setup_teardown(test_constant_level_mean_exact, setup_fake_gpu, teardown_fake_gpu),
      cmocka_unit_test_setup_teardown(test_long_timeline_keeps_its_peak, setup_fake_gpu, teardown_fake_gpu),
      cmocka_unit_test(test_prometheus_deltas),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
