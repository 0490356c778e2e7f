/*
 * compare_memory.c — peak GPU memory in benchy compare and benchy table: a
 * row's (load level's) peak is the largest gpu[].mem_used_bytes.peak over
 * its GPUs (docs/results.md, "sampling"). One figure per row and side, with
 * nothing to test it on: --fail-if-memory-grows gates on the growth alone.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "compare_internal.h"

#define GIB (1024.0 * 1024.0 * 1024.0)

double compare_peak_memory(const cJSON *row) {
  double peak = NAN;
  const cJSON *g;
  cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(row, "gpu")) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(g, "mem_used_bytes"), "peak");
    if (cJSON_IsNumber(v) && (isnan(peak) || v->valuedouble > peak)) peak = v->valuedouble;
  }
  return peak;
}

static void put(cJSON *o, const char *key, double v) {
  if (isfinite(v))
    cJSON_AddNumberToObject(o, key, v);
  else
    cJSON_AddNullToObject(o, key);
}

static const cJSON *matching(const cJSON *aggs, const char *label, int bench) {
  char other[160];
  const cJSON *a;
  cJSON_ArrayForEach(a, aggs) {
    if (bench)
      compare_bench_row_label(a, other, sizeof other);
    else
      compare_load_level_label(a, other, sizeof other);
    if (!strcmp(other, label)) return a;
  }
  return NULL;
}

void compare_memory_rows(const cJSON *base_doc, const cJSON *new_doc, int bench, double threshold_bytes,
                         cJSON *doc, cJSON *rows, cJSON *regressions) {
  const cJSON *na = cJSON_GetObjectItemCaseSensitive(new_doc, "aggregates");
  const cJSON *b;
  size_t compared = 0, grew_past = 0;
  double worst = NAN;
  cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(base_doc, "aggregates")) {
    char label[160];
    if (bench)
      compare_bench_row_label(b, label, sizeof label);
    else
      compare_load_level_label(b, label, sizeof label);
    const cJSON *n = matching(na, label, bench);
    double pb = compare_peak_memory(b), pn = n ? compare_peak_memory(n) : NAN;
    if (!n || (isnan(pb) && isnan(pn))) continue;
    cJSON *row = cJSON_CreateObject();
    if (!row) return;
    cJSON_AddItemToArray(rows, row);
    cJSON_AddStringToObject(row, "row", label);
    cJSON_AddStringToObject(row, "metric", "peak GPU memory GiB");
    cJSON_AddStringToObject(row, "better", "lower");
    put(row, "base", pb / GIB);
    put(row, "new", pn / GIB);
    put(row, "diff_pct", pb > 0 ? (pn - pb) * 100.0 / pb : NAN);
    cJSON_AddNullToObject(row, "ci_pct");
    cJSON_AddNullToObject(row, "p");
    cJSON_AddStringToObject(row, "test", "none");
    if (isnan(pb) || isnan(pn)) {
      cJSON_AddStringToObject(row, "verdict", "not tested");
      cJSON_AddStringToObject(row, "note", isnan(pb) ? "BASE has no GPU memory figures for this row"
                                                     : "NEW has no GPU memory figures for this row");
      cJSON_AddBoolToObject(row, "regression", 0);
      continue;
    }
    compared++;
    double grew = pn - pb;
    if (isnan(worst) || grew > worst) worst = grew;
    cJSON_AddStringToObject(row, "verdict", grew > 0 ? "more memory" : grew < 0 ? "less memory" : "same");
    cJSON_AddStringToObject(row, "note", "one peak per row: compared with --fail-if-memory-grows, not tested");
    int regression = threshold_bytes >= 0 && grew > threshold_bytes;
    cJSON_AddBoolToObject(row, "regression", regression);
    if (regression) {
      grew_past++;
      char text[320];
      snprintf(text, sizeof text, "%s peak GPU memory: %.2f GiB -> %.2f GiB (+%.0f bytes), past "
               "--fail-if-memory-grows %.0f bytes", label, pb / GIB, pn / GIB, grew, threshold_bytes);
      cJSON_AddItemToArray(regressions, cJSON_CreateString(text));
    }
  }
  char text[320];
  if (threshold_bytes < 0) {
    cJSON_AddNullToObject(doc, "memory");
  } else if (!compared) {
    cJSON_AddStringToObject(doc, "memory", "no memory figures in these results (sampling.source none on a "
                                           "side, or saved before sampling): --fail-if-memory-grows checked "
                                           "nothing");
  } else {
    snprintf(text, sizeof text, "%zu row%s compared; largest growth %+.2f GiB; %zu past %.2f GiB", compared,
             compared == 1 ? "" : "s", worst / GIB, grew_past, threshold_bytes / GIB);
    cJSON_AddStringToObject(doc, "memory", text);
  }
}
