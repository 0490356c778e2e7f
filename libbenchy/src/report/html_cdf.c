/*
 * html_cdf.c — latency distributions for the report from a load level's
 * stored collector: the collector's own percentile list is replaced by a
 * fine grid and the level aggregated again, so the curve comes from the
 * same histograms (and the same interpolation) as the level's percentiles.
 */
#include "html_report.h"

#include <stdlib.h>

#include "benchy/collector.h"

static const char *const cdf_metrics[] = {"ttft", "tpot", "itl", "e2el"};

/* Dense where latency tails live, within the 64 percentiles a collector
 * takes: every 2% to 80, every 1% to 99, then the extreme tail. */
static size_t cdf_grid(double *out, size_t cap) {
  size_t n = 0;
  for (int p = 0; p < 80 && n < cap; p += 2) out[n++] = p;
  for (int p = 80; p <= 99 && n < cap; p++) out[n++] = p;
  static const double tail[] = {99.5, 99.9, 100};
  for (size_t i = 0; i < sizeof tail / sizeof tail[0] && n < cap; i++) out[n++] = tail[i];
  return n;
}

cJSON *html_cdf_from_collector(const cJSON *collector) {
  if (!cJSON_IsObject(collector)) return NULL;
  double grid[64];
  size_t n = cdf_grid(grid, sizeof grid / sizeof grid[0]);
  cJSON *copy = cJSON_Duplicate(collector, 1);
  cJSON *ps = cJSON_CreateDoubleArray(grid, (int)n);
  if (!copy || !ps) {
    cJSON_Delete(copy);
    cJSON_Delete(ps);
    return NULL;
  }
  cJSON_ReplaceItemInObjectCaseSensitive(copy, "percentiles", ps);
  char *text = cJSON_PrintUnformatted(copy);
  cJSON_Delete(copy);
  benchy_collector *c = NULL;
  char err[256];
  int st = text ? benchy_collector_from_json(&c, text, err, sizeof err) : BENCHY_ERR_NOMEM;
  free(text);
  if (st != BENCHY_OK) return NULL;
  char *agg_text = benchy_collector_aggregate(c, 0);
  benchy_collector_free(c);
  cJSON *agg = agg_text ? cJSON_Parse(agg_text) : NULL;
  free(agg_text);
  if (!agg) return NULL;
  cJSON *out = cJSON_CreateObject();
  for (size_t m = 0; out && m < sizeof cdf_metrics / sizeof cdf_metrics[0]; m++) {
    cJSON *points = cJSON_CreateArray();
    double last = -1;
    for (size_t i = 0; points && i < n; i++) {
      char key[64];
      benchy_percentile_key(key, sizeof key, grid[i], cdf_metrics[m], "ms");
      const cJSON *v = cJSON_GetObjectItemCaseSensitive(agg, key);
      if (!cJSON_IsNumber(v)) continue;
      /* Equal values (a histogram bucket) are one vertical step: keep its
       * first and last point only. */
      int size = cJSON_GetArraySize(points);
      if (v->valuedouble == last && size >= 2) {
        cJSON *prev = cJSON_GetArrayItem(points, size - 2);
        if (cJSON_GetArrayItem(prev, 0)->valuedouble == last)
          cJSON_DeleteItemFromArray(points, size - 1);
      }
      last = v->valuedouble;
      double pt[2] = {v->valuedouble, grid[i]};
      cJSON_AddItemToArray(points, cJSON_CreateDoubleArray(pt, 2));
    }
    if (points && cJSON_GetArraySize(points) > 0)
      cJSON_AddItemToObject(out, cdf_metrics[m], points);
    else
      cJSON_Delete(points);
  }
  cJSON_Delete(agg);
  return out;
}
