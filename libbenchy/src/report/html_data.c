/*
 * html_data.c — from a result document, what the report page plots and
 * nothing more: the figures of each load level, bench row and Lua scenario,
 * CDFs rebuilt from stored collectors, timelines summed into wider buckets
 * when long, GPU samples thinned to the page's point budget. The page never
 * holds per-request records, so its size does not grow with the run.
 */
#include "html_report.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"
#include "result_internal.h"

static const cJSON *get(const cJSON *o, const char *key) {
  return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* Copies o[key] into out when present (null included: "not known"). */
static void copy_key(cJSON *out, const cJSON *o, const char *key) {
  const cJSON *v = get(o, key);
  if (v) cJSON_AddItemToObject(out, key, cJSON_Duplicate(v, 1));
}

/* Every key of o whose name matches pattern (the figures of a statistic). */
static void copy_matching(cJSON *out, const cJSON *o, const regex_t *pattern) {
  const cJSON *item;
  cJSON_ArrayForEach(item, o) {
    if (item->string && (cJSON_IsNumber(item) || cJSON_IsNull(item)) &&
        regexec(pattern, item->string, 0, NULL, 0) == 0)
      cJSON_AddItemToObject(out, item->string, cJSON_Duplicate(item, 0));
  }
}

cJSON *html_timeline_rows(const cJSON *timeline, int max_points, int *bucket_s) {
  int n = cJSON_GetArraySize(timeline);
  int width = 1;
  if (max_points > 0 && n > max_points) width = (n + max_points - 1) / max_points;
  *bucket_s = width;
  cJSON *rows = cJSON_CreateArray();
  double acc[5] = {0};
  int in_bucket = 0;
  for (int i = 0; rows && i < n; i++) {
    const cJSON *sec = cJSON_GetArrayItem(timeline, i);
    static const char *const fields[] = {"started", "completed", "failed", "output_tokens"};
    if (in_bucket == 0) {
      const cJSON *t = get(sec, "t_s");
      acc[0] = cJSON_IsNumber(t) ? t->valuedouble : i;
    }
    for (int f = 0; f < 4; f++) {
      const cJSON *v = get(sec, fields[f]);
      if (cJSON_IsNumber(v)) acc[f + 1] += v->valuedouble;
    }
    if (++in_bucket == width || i + 1 == n) {
      cJSON_AddItemToArray(rows, cJSON_CreateDoubleArray(acc, 5));
      memset(acc, 0, sizeof acc);
      in_bucket = 0;
    }
  }
  return rows;
}

/* The GPU a sample is of, as a slot of a small table (256 and beyond share
 * the last). */
static int gpu_slot(const cJSON *sample) {
  const cJSON *g = get(sample, "gpu");
  int i = cJSON_IsNumber(g) ? (int)g->valuedouble : 0;
  return i < 0 ? 0 : i > 255 ? 255 : i;
}

/* The samples of every GPU are interleaved in one array: thinned GPU by GPU
 * (every k-th sample of each), so that no GPU loses more than another. */
static cJSON *thin_per_gpu(const cJSON *timeline, int max_points) {
  int count[256] = {0}, seen[256] = {0};
  const cJSON *sample;
  int most = 0;
  cJSON_ArrayForEach(sample, timeline) {
    int n = ++count[gpu_slot(sample)];
    if (n > most) most = n;
  }
  int step = max_points > 0 && most > max_points ? (most + max_points - 1) / max_points : 1;
  cJSON *out = cJSON_CreateArray();
  cJSON_ArrayForEach(sample, timeline) {
    int slot = gpu_slot(sample);
    if (out && seen[slot]++ % step == 0)
      cJSON_AddItemToArray(out, cJSON_Duplicate(sample, 1));
  }
  return out;
}

/* GPU samples as the sampler writes them (docs/results.md): kept whole but
 * for the timeline, thinned per GPU. */
static cJSON *sampling_for_page(const cJSON *sampling, int max_points) {
  if (!cJSON_IsObject(sampling)) return NULL;
  cJSON *out = cJSON_Duplicate(sampling, 1);
  const cJSON *timeline = get(sampling, "timeline");
  if (!out || !cJSON_IsArray(timeline)) return out;
  cJSON_ReplaceItemInObjectCaseSensitive(out, "timeline", thin_per_gpu(timeline, max_points));
  return out;
}

static const char *const load_level_keys[] = {
    "level", "label", "mode", "arrival", "request_rate", "max_concurrency", "warmup",
    "num_requests", "completed", "failed", "cancelled", "failed_by_kind", "failed_by_http_status",
    "duration", "request_throughput", "output_throughput", "total_token_throughput",
    "max_output_tokens_per_s", "max_concurrent_requests", "request_percentiles_from",
    "itl_percentiles_from", "gpu", "warnings"};

static cJSON *load_part(const cJSON *doc, int max_points, const regex_t *stat) {
  cJSON *levels = cJSON_CreateArray();
  const cJSON *level;
  cJSON_ArrayForEach(level, get(doc, "aggregates")) {
    cJSON *l = cJSON_CreateObject();
    if (!l) break;
    for (size_t k = 0; k < sizeof load_level_keys / sizeof load_level_keys[0]; k++)
      copy_key(l, level, load_level_keys[k]);
    if (!get(l, "label")) {
      char label[128];
      compare_load_level_label(level, label, sizeof label);
      cJSON_AddStringToObject(l, "label", label);
    }
    cJSON *stats = cJSON_AddObjectToObject(l, "stats");
    if (stats) copy_matching(stats, level, stat);
    cJSON *cdf = html_cdf_from_collector(get(level, "collector"));
    if (cdf) cJSON_AddItemToObject(l, "cdf", cdf);
    const cJSON *timeline = get(level, "timeline");
    if (cJSON_IsArray(timeline)) {
      int bucket_s = 1;
      cJSON *rows = html_timeline_rows(timeline, max_points, &bucket_s);
      if (rows) cJSON_AddItemToObject(l, "timeline", rows);
      cJSON_AddNumberToObject(l, "timeline_bucket_s", bucket_s);
    }
    cJSON_AddItemToArray(levels, l);
  }
  cJSON *out = cJSON_CreateObject();
  if (out) cJSON_AddItemToObject(out, "levels", levels);
  else cJSON_Delete(levels);
  return out;
}

static const char *const bench_row_keys[] = {"test", "kind", "pp", "tg", "depth", "concurrency",
                                             "runs_completed", "requests", "errors", "flags",
                                             "gpu"};

static cJSON *bench_part(const cJSON *doc, const regex_t *stat) {
  cJSON *rows = cJSON_CreateArray();
  const cJSON *row;
  cJSON_ArrayForEach(row, get(doc, "aggregates")) {
    cJSON *r = cJSON_CreateObject();
    if (!r) break;
    for (size_t k = 0; k < sizeof bench_row_keys / sizeof bench_row_keys[0]; k++)
      copy_key(r, row, bench_row_keys[k]);
    /* The row's test name is llama-bench's, depth and concurrency in it
     * ("pp512 @ d4096 (c2)"). */
    const cJSON *test = get(row, "test");
    char label[128];
    if (cJSON_IsString(test)) snprintf(label, sizeof label, "%s", test->valuestring);
    else compare_bench_row_label(row, label, sizeof label);
    cJSON_AddStringToObject(r, "label", label);
    cJSON *stats = cJSON_AddObjectToObject(r, "stats");
    if (stats) copy_matching(stats, row, stat);
    cJSON_AddItemToArray(rows, r);
  }
  cJSON *out = cJSON_CreateObject();
  if (out) cJSON_AddItemToObject(out, "rows", rows);
  else cJSON_Delete(rows);
  return out;
}

static const char *const run_scenario_keys[] = {
    "scenario", "weight", "iterations", "num_requests", "completed", "failed", "failed_by_kind",
    "script_errors", "checks", "checks_failed", "metrics", "duration", "request_throughput",
    "output_throughput", "gpu"};

static cJSON *run_part(const cJSON *doc, const regex_t *stat) {
  cJSON *scenarios = cJSON_CreateArray();
  const cJSON *agg;
  cJSON_ArrayForEach(agg, get(doc, "aggregates")) {
    cJSON *s = cJSON_CreateObject();
    if (!s) break;
    for (size_t k = 0; k < sizeof run_scenario_keys / sizeof run_scenario_keys[0]; k++)
      copy_key(s, agg, run_scenario_keys[k]);
    cJSON *stats = cJSON_AddObjectToObject(s, "stats");
    if (stats) copy_matching(stats, agg, stat);
    cJSON *cdf = html_cdf_from_collector(get(agg, "collector"));
    if (cdf) cJSON_AddItemToObject(s, "cdf", cdf);
    cJSON_AddItemToArray(scenarios, s);
  }
  cJSON *out = cJSON_CreateObject();
  if (!out) {
    cJSON_Delete(scenarios);
    return NULL;
  }
  cJSON_AddItemToObject(out, "scenarios", scenarios);
  copy_key(out, doc, "thresholds");
  copy_key(out, doc, "script_errors");
  return out;
}

/* Why a result is marked invalid, as the metadata says it (a reason, the
 * log lines), or NULL. */
static cJSON *invalid_reason(const cJSON *doc) {
  const cJSON *meta = get(doc, "metadata");
  const cJSON *inv = get(meta, "invalid");
  if (inv && !cJSON_IsFalse(inv) && !cJSON_IsNull(inv)) return cJSON_Duplicate(inv, 1);
  const cJSON *validity = get(meta, "validity");
  if (validity) return cJSON_Duplicate(validity, 1);
  inv = get(doc, "invalid");
  if (inv && !cJSON_IsFalse(inv) && !cJSON_IsNull(inv)) return cJSON_Duplicate(inv, 1);
  return cJSON_CreateString("metadata.valid is false");
}

cJSON *html_data_for_result(const benchy_result *r, const char *label, int max_points) {
  const cJSON *doc = r->doc;
  /* The figures of a statistic: mean_ttft_ms, p99_e2el_ms, std_t_s_total. */
  regex_t stat;
  if (regcomp(&stat, "^(mean|median|std|min|max|n|p[0-9.]+)_", REG_EXTENDED | REG_NOSUB) != 0)
    return NULL;
  cJSON *out = cJSON_CreateObject();
  if (!out) {
    regfree(&stat);
    return NULL;
  }
  cJSON_AddStringToObject(out, "label", label);
  cJSON_AddStringToObject(out, "kind", r->kind);
  cJSON_AddStringToObject(out, "status", benchy_status_name(r->status));
  int invalid = compare_marked_invalid(doc) || cJSON_IsTrue(get(doc, "invalid"));
  cJSON_AddBoolToObject(out, "invalid", invalid);
  if (invalid) cJSON_AddItemToObject(out, "invalid_reason", invalid_reason(doc));
  copy_key(out, doc, "metadata");
  copy_key(out, doc, "failure_rule");
  cJSON *part = NULL;
  if (!strcmp(r->kind, "load")) part = load_part(doc, max_points, &stat);
  else if (!strcmp(r->kind, "bench")) part = bench_part(doc, &stat);
  else if (!strcmp(r->kind, "run")) part = run_part(doc, &stat);
  if (part) cJSON_AddItemToObject(out, r->kind, part);
  cJSON *sampling = sampling_for_page(get(doc, "sampling"), max_points);
  if (sampling) cJSON_AddItemToObject(out, "sampling", sampling);
  regfree(&stat);
  return out;
}
