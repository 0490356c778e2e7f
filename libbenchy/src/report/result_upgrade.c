/*
 * result_upgrade.c — see result_upgrade.h. Version 1 → 2 (docs/results.md,
 * "Version rules"): bench rows' nested statistics {"mean", "stddev", "n",
 * "min", "max", "percentiles": {"p50"}} become flat keys (mean_<s>, std_<s>,
 * n_<s>, min_<s>, max_<s>, p50_<s>); bench metadata "prompt" becomes
 * "prompt_lengths"; the common metadata keys an old file lacks are added as
 * null (not known), served_model_name as the model.
 */
#include "result_upgrade.h"

#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "benchy/collector.h"
#include "benchy/record.h"
#include "benchy/result.h"
#include "stat_key.h"

/* The statistics of a version 1 bench row: objects, or null when the row
 * had no samples of one. */
static const char *const bench_v1_stats[] = {
    "t_s_total",    "t_s_req",   "peak_t_s",      "ttfr_ms",
    "est_ppt_ms",   "e2e_ttft_ms", "e2e_ms",      "server_t_s",
    "ttfb_ms",      "prompt_tokens", "timed_prompt_tokens", "output_tokens"};

static int is_bench_v1_stat(const char *name) {
  for (size_t i = 0; i < sizeof bench_v1_stats / sizeof *bench_v1_stats; i++)
    if (!strcmp(name, bench_v1_stats[i])) return 1;
  return 0;
}

static int add_copy(cJSON *to, const char *key, const cJSON *v) {
  cJSON *c = v ? cJSON_Duplicate(v, 1) : cJSON_CreateNull();
  return c && cJSON_AddItemToObject(to, key, c);
}

/* A v1 statistic (object or null) as flat keys of `to`; `pcts` is the
 * run's --percentiles, which name the null statistic's percentile keys. */
static int flatten_stat(cJSON *to, const char *name, const cJSON *stat, const cJSON *pcts) {
  static const char *const figure_v1[] = {"mean", "stddev", "n", "min", "max"};
  static const char *const figure_v2[] = {"mean", "std", "n", "min", "max"};
  char key[128];
  int is_obj = cJSON_IsObject(stat);
  for (int i = 0; i < 5; i++) {
    stat_key(key, sizeof key, figure_v2[i], name);
    const cJSON *v = is_obj ? cJSON_GetObjectItemCaseSensitive(stat, figure_v1[i]) : NULL;
    if (!is_obj && i == 2) {
      if (!cJSON_AddNumberToObject(to, key, 0)) return 0;
    } else if (!add_copy(to, key, v)) {
      return 0;
    }
  }
  const cJSON *p;
  if (is_obj) {
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(stat, "percentiles")) {
      if (!p->string || p->string[0] != 'p') continue;
      benchy_percentile_key(key, sizeof key, strtod(p->string + 1, NULL), name, NULL);
      if (!add_copy(to, key, p)) return 0;
    }
  } else {
    cJSON_ArrayForEach(p, pcts) {
      if (!cJSON_IsNumber(p)) continue;
      benchy_percentile_key(key, sizeof key, p->valuedouble, name, NULL);
      if (!cJSON_AddNullToObject(to, key)) return 0;
    }
  }
  return 1;
}

/* The row rebuilt with its keys in their order, statistics flattened in place. */
static cJSON *bench_row_v2(const cJSON *row, const cJSON *pcts) {
  cJSON *out = cJSON_CreateObject();
  const cJSON *item;
  cJSON_ArrayForEach(item, row) {
    if (!out) return NULL;
    int ok = item->string && is_bench_v1_stat(item->string) && (cJSON_IsObject(item) || cJSON_IsNull(item))
                 ? flatten_stat(out, item->string, item, pcts)
                 : add_copy(out, item->string, item);
    if (!ok) {
      cJSON_Delete(out);
      return NULL;
    }
  }
  return out;
}

static int upgrade_bench_rows(cJSON *doc) {
  const cJSON *pcts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "config"), "percentiles");
  cJSON *aggs = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  int n = cJSON_GetArraySize(aggs);
  for (int i = 0; i < n; i++) {
    cJSON *row = cJSON_GetArrayItem(aggs, i);
    if (!cJSON_IsObject(row)) continue;
    cJSON *flat = bench_row_v2(row, pcts);
    if (!flat || !cJSON_ReplaceItemInArray(aggs, i, flat)) {
      cJSON_Delete(flat);
      return 0;
    }
  }
  return 1;
}

static int add_null_if_missing(cJSON *o, const char *key) {
  return cJSON_HasObjectItem(o, key) || cJSON_AddNullToObject(o, key);
}

/* The common keys (run_metadata.h) a version 1 file may lack. */
static int upgrade_metadata(cJSON *doc, int bench) {
  cJSON *md = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
  if (!cJSON_IsObject(md)) return 1;
  cJSON *prompt = bench ? cJSON_DetachItemFromObjectCaseSensitive(md, "prompt") : NULL;
  if (prompt && !cJSON_AddItemToObject(md, "prompt_lengths", prompt)) {
    cJSON_Delete(prompt);
    return 0;
  }
  if (!cJSON_HasObjectItem(md, "served_model_name")) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(md, "model");
    if (!add_copy(md, "served_model_name", model)) return 0;
  }
  static const char *const maybe_missing[] = {"build", "started_at", "name"};
  for (size_t i = 0; i < sizeof maybe_missing / sizeof *maybe_missing; i++)
    if (!add_null_if_missing(md, maybe_missing[i])) return 0;
  if (!cJSON_HasObjectItem(md, "percentiles")) {
    const cJSON *pcts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "config"), "percentiles");
    if (!add_copy(md, "percentiles", cJSON_IsArray(pcts) ? pcts : NULL)) return 0;
  }
  return 1;
}

int result_upgrade(cJSON *doc, int from) {
  if (from >= BENCHY_RESULT_VERSION) return BENCHY_OK;
  const cJSON *kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  int bench = cJSON_IsString(kind) && !strcmp(kind->valuestring, "bench");
  if (bench && !upgrade_bench_rows(doc)) return BENCHY_ERR_NOMEM;
  if (!upgrade_metadata(doc, bench)) return BENCHY_ERR_NOMEM;
  /* Version 1 bench files had no record_version; their records are version 1. */
  if (!cJSON_HasObjectItem(doc, "record_version") && !cJSON_AddNumberToObject(doc, "record_version", 1))
    return BENCHY_ERR_NOMEM;
  cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(doc, "result_version"), BENCHY_RESULT_VERSION);
  if (!cJSON_AddNumberToObject(doc, "upgraded_from_result_version", from)) return BENCHY_ERR_NOMEM;
  return BENCHY_OK;
}
