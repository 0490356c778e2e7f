/*
 * sampling_merge.c — one result row's sampled figures from the parts that
 * measured it (sampling.h): a bench row pools the request shapes that
 * measured its test, and each shape was one sampled level.
 */
#include "sampling.h"

#include <math.h>
#include <string.h>

static double field(const cJSON *o, const char *a, const char *b) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void put(cJSON *o, const char *key, double v) {
  if (isnan(v))
    cJSON_AddNullToObject(o, key);
  else
    cJSON_AddNumberToObject(o, key, v);
}

typedef struct gpu_pool {
  double samples, peak, mem_w, util_w, util_max, sm_w, sm_min, sm_max, power_w, power_max, temp_max;
  double n_mem, n_util, n_sm, n_power;
} gpu_pool;

static void fold_max(double *to, double v) {
  if (!isnan(v) && (isnan(*to) || v > *to)) *to = v;
}
static void fold_min(double *to, double v) {
  if (!isnan(v) && (isnan(*to) || v < *to)) *to = v;
}
/* A mean weighted by the readings behind it. */
static void fold_mean(double *sum, double *n, double mean, double samples) {
  if (!isnan(mean) && samples > 0) {
    *sum += mean * samples;
    *n += samples;
  }
}

static cJSON *merge_gpus(const cJSON *const *parts, size_t n) {
  int n_gpus = 0;
  for (size_t i = 0; i < n; i++) {
    int k = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(parts[i], "gpu"));
    if (k > n_gpus) n_gpus = k;
  }
  cJSON *arr = cJSON_CreateArray();
  for (int g = 0; arr && g < n_gpus; g++) {
    gpu_pool p = {0};
    p.peak = p.util_max = p.sm_min = p.sm_max = p.power_max = p.temp_max = NAN;
    for (size_t i = 0; i < n; i++) {
      const cJSON *x = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(parts[i], "gpu"), g);
      if (!x) continue;
      const cJSON *s = cJSON_GetObjectItemCaseSensitive(x, "samples");
      double samples = cJSON_IsNumber(s) ? s->valuedouble : 1;
      p.samples += samples;
      fold_max(&p.peak, field(x, "mem_used_bytes", "peak"));
      fold_mean(&p.mem_w, &p.n_mem, field(x, "mem_used_bytes", "mean"), samples);
      fold_mean(&p.util_w, &p.n_util, field(x, "util_pct", "mean"), samples);
      fold_max(&p.util_max, field(x, "util_pct", "max"));
      fold_mean(&p.sm_w, &p.n_sm, field(x, "sm_mhz", "mean"), samples);
      fold_min(&p.sm_min, field(x, "sm_mhz", "min"));
      fold_max(&p.sm_max, field(x, "sm_mhz", "max"));
      fold_mean(&p.power_w, &p.n_power, field(x, "power_w", "mean"), samples);
      fold_max(&p.power_max, field(x, "power_w", "max"));
      fold_max(&p.temp_max, field(x, "temp_c", "max"));
    }
    cJSON *o = cJSON_CreateObject();
    if (!o) break;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "gpu", g);
    cJSON *m = cJSON_AddObjectToObject(o, "mem_used_bytes");
    cJSON *u = cJSON_AddObjectToObject(o, "util_pct");
    cJSON *c = cJSON_AddObjectToObject(o, "sm_mhz");
    cJSON *w = cJSON_AddObjectToObject(o, "power_w");
    cJSON *t = cJSON_AddObjectToObject(o, "temp_c");
    if (!m || !u || !c || !w || !t) break;
    put(m, "peak", p.peak);
    put(m, "mean", p.n_mem ? p.mem_w / p.n_mem : NAN);
    put(u, "mean", p.n_util ? p.util_w / p.n_util : NAN);
    put(u, "max", p.util_max);
    put(c, "mean", p.n_sm ? p.sm_w / p.n_sm : NAN);
    put(c, "min", p.sm_min);
    put(c, "max", p.sm_max);
    put(w, "mean", p.n_power ? p.power_w / p.n_power : NAN);
    put(w, "max", p.power_max);
    put(t, "max", p.temp_max);
    cJSON_AddNumberToObject(o, "samples", p.samples);
  }
  return arr;
}

/* Counters' deltas add up over the parts; gauges are the last part's. */
static cJSON *merge_server_metrics(const cJSON *const *parts, size_t n) {
  cJSON *out = NULL;
  for (size_t i = 0; i < n; i++) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(parts[i], "server_metrics");
    if (!m) continue;
    if (!out) {
      out = cJSON_Duplicate(m, 1);
      continue;
    }
    cJSON *deltas = cJSON_GetObjectItemCaseSensitive(out, "deltas");
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(m, "deltas")) {
      cJSON *have = cJSON_GetObjectItemCaseSensitive(deltas, d->string);
      if (!have)
        cJSON_AddItemToObject(deltas, d->string, cJSON_Duplicate(d, 1));
      else if (cJSON_IsNumber(have) && cJSON_IsNumber(d))
        cJSON_SetNumberValue(have, have->valuedouble + d->valuedouble);
      else
        cJSON_ReplaceItemInObjectCaseSensitive(deltas, d->string, cJSON_CreateNull());
    }
    cJSON_ReplaceItemInObjectCaseSensitive(
        out, "gauges_after", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(m, "gauges_after"), 1));
  }
  return out;
}

void sampling_merge_into(cJSON *row, const cJSON *const *parts, size_t n) {
  int any_gpu = 0;
  const cJSON *busiest = NULL;
  for (size_t i = 0; i < n; i++) {
    if (!parts[i]) continue;
    any_gpu |= cJSON_GetObjectItemCaseSensitive(parts[i], "gpu") != NULL;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(parts[i], "client_cpu");
    if (c && (!busiest || field(parts[i], "client_cpu", "busy_pct") >
                              cJSON_GetObjectItemCaseSensitive(busiest, "busy_pct")->valuedouble))
      busiest = c;
    const cJSON *w;
    cJSON_ArrayForEach(w, cJSON_GetObjectItemCaseSensitive(parts[i], "warnings")) {
      cJSON *list = cJSON_GetObjectItemCaseSensitive(row, "warnings");
      if (!list) list = cJSON_AddArrayToObject(row, "warnings");
      if (list) cJSON_AddItemToArray(list, cJSON_Duplicate(w, 1));
    }
  }
  if (any_gpu) {
    cJSON *g = merge_gpus(parts, n);
    if (g) cJSON_AddItemToObject(row, "gpu", g);
  }
  /* The busiest part's: a row that saturated the client in one of its
   * shapes did so. */
  if (busiest) cJSON_AddItemToObject(row, "client_cpu", cJSON_Duplicate(busiest, 1));
  cJSON *m = merge_server_metrics(parts, n);
  if (m) cJSON_AddItemToObject(row, "server_metrics", m);
}
