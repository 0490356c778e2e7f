/*
 * results_table.c — benchy table: one table across saved results, a row
 * per result and a column per bench test or load level figure, the table
 * users otherwise keep by hand after each run of their matrix.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "stat_key.h"
#include "compare_internal.h"
#include "json_print.h"
#include "result_internal.h"

typedef struct column {
  char name[192];
  int bench;            /* 1: a bench row's t/s total; 0: a load level's TTFT percentile */
  char row[160];        /* the bench row's or the load level's label */
  const char *pct_key;  /* load: "p50_ttft_ms" */
} column;

static int find_column(const column *cols, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(cols[i].name, name)) return (int)i;
  return -1;
}

/* Columns in the order the results first show them. */
static size_t collect_columns(const benchy_result *const *results, size_t n, column **out) {
  size_t count = 0, cap = 0;
  column *cols = NULL;
  for (size_t r = 0; r < n; r++) {
    const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(results[r]->doc, "aggregates");
    int bench = !strcmp(results[r]->kind, "bench");
    for (const cJSON *a = aggs ? aggs->child : NULL; a; a = a->next) {
      for (int k = 0; k < (bench ? 1 : 2); k++) {
        column c;
        memset(&c, 0, sizeof c);
        c.bench = bench;
        if (bench) {
          compare_bench_row_label(a, c.row, sizeof c.row);
          snprintf(c.name, sizeof c.name, "%s t/s", c.row);
        } else {
          compare_load_level_label(a, c.row, sizeof c.row);
          c.pct_key = k ? "p99_ttft_ms" : "p50_ttft_ms";
          snprintf(c.name, sizeof c.name, "%s TTFT %s ms", c.row, k ? "p99" : "p50");
        }
        if (find_column(cols, count, c.name) >= 0) continue;
        if (count == cap) {
          cap = cap ? 2 * cap : 8;
          column *grown = realloc(cols, cap * sizeof *cols);
          if (!grown) {
            free(cols);
            *out = NULL;
            return 0;
          }
          cols = grown;
        }
        cols[count++] = c;
      }
    }
  }
  *out = cols;
  return count;
}

/* The cell of one result under one column: {"value", "stddev"} or NULL. */
static cJSON *cell(const benchy_result *r, const column *c) {
  const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(r->doc, "aggregates");
  if (c->bench != !strcmp(r->kind, "bench")) return NULL;
  for (const cJSON *a = aggs ? aggs->child : NULL; a; a = a->next) {
    char label[160];
    if (c->bench) compare_bench_row_label(a, label, sizeof label);
    else compare_load_level_label(a, label, sizeof label);
    if (strcmp(label, c->row)) continue;
    char kmean[64], ksd[64];
    stat_key(kmean, sizeof kmean, "mean", "t_s_total");
    stat_key(ksd, sizeof ksd, "std", "t_s_total");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, c->bench ? kmean : c->pct_key);
    if (!cJSON_IsNumber(v)) return NULL;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "value", v->valuedouble);
    const cJSON *sd = c->bench ? cJSON_GetObjectItemCaseSensitive(a, ksd) : NULL;
    if (cJSON_IsNumber(sd)) cJSON_AddNumberToObject(o, "stddev", sd->valuedouble);
    return o;
  }
  return NULL;
}

static const char *validity(const benchy_result *r) {
  if (compare_marked_invalid(r->doc)) return "INVALID";
  return r->status == BENCHY_OK ? "valid" : benchy_status_name(r->status);
}

/* The result's peak GPU memory: the largest of its rows' (compare_memory.c,
 * the figure --fail-if-memory-grows reads); NAN when it has none. */
static double result_peak_memory(const benchy_result *r) {
  double peak = NAN;
  const cJSON *a;
  cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(r->doc, "aggregates")) {
    double p = compare_peak_memory(a);
    if (!isnan(p) && (isnan(peak) || p > peak)) peak = p;
  }
  return peak;
}

static cJSON *table_doc(const benchy_result *const *results, const char *const *labels, size_t n) {
  column *cols = NULL;
  size_t ncols = collect_columns(results, n, &cols);
  cJSON *doc = cJSON_CreateObject();
  int any_memory = 0;
  for (size_t r = 0; r < n; r++) any_memory |= !isnan(result_peak_memory(results[r]));
  /* Shown only when some result sampled a GPU. */
  cJSON_AddBoolToObject(doc, "peak_gpu_memory_shown", any_memory);
  cJSON *names = cJSON_AddArrayToObject(doc, "columns");
  for (size_t c = 0; c < ncols; c++) cJSON_AddItemToArray(names, cJSON_CreateString(cols[c].name));
  cJSON *rows = cJSON_AddArrayToObject(doc, "rows");
  for (size_t r = 0; r < n; r++) {
    cJSON *row = cJSON_CreateObject();
    const cJSON *meta_name = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(results[r]->doc, "metadata"), "name");
    char fallback[32];
    snprintf(fallback, sizeof fallback, "result %zu", r + 1);
    const char *name = labels && labels[r] ? labels[r]
                       : cJSON_IsString(meta_name) ? meta_name->valuestring
                                                   : fallback;
    cJSON_AddStringToObject(row, "name", name);
    cJSON_AddStringToObject(row, "kind", results[r]->kind);
    cJSON_AddStringToObject(row, "validity", validity(results[r]));
    double peak = result_peak_memory(results[r]);
    if (isnan(peak))
      cJSON_AddNullToObject(row, "peak_gpu_memory_bytes");
    else
      cJSON_AddNumberToObject(row, "peak_gpu_memory_bytes", peak);
    cJSON *cells = cJSON_AddArrayToObject(row, "cells");
    for (size_t c = 0; c < ncols; c++) {
      cJSON *v = cell(results[r], &cols[c]);
      cJSON_AddItemToArray(cells, v ? v : cJSON_CreateNull());
    }
    cJSON_AddItemToArray(rows, row);
  }
  free(cols);
  return doc;
}

static void write_md(const cJSON *doc, FILE *f) {
  const cJSON *cols = cJSON_GetObjectItemCaseSensitive(doc, "columns");
  fprintf(f, "| result |");
  int memory = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(doc, "peak_gpu_memory_shown"));
  for (const cJSON *c = cols->child; c; c = c->next) fprintf(f, " %s |", c->valuestring);
  fprintf(f, "%s validity |\n|---|", memory ? " peak GPU memory GiB |" : "");
  for (const cJSON *c = cols->child; c; c = c->next) fprintf(f, "---:|");
  fprintf(f, "%s---|\n", memory ? "---:|" : "");
  for (const cJSON *r = cJSON_GetObjectItemCaseSensitive(doc, "rows")->child; r; r = r->next) {
    fprintf(f, "| %s |", cJSON_GetObjectItemCaseSensitive(r, "name")->valuestring);
    for (const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "cells")->child; v; v = v->next) {
      const cJSON *value = cJSON_GetObjectItemCaseSensitive(v, "value");
      const cJSON *sd = cJSON_GetObjectItemCaseSensitive(v, "stddev");
      if (!cJSON_IsNumber(value)) fprintf(f, " — |");
      else if (cJSON_IsNumber(sd)) fprintf(f, " %.2f ± %.2f |", value->valuedouble, sd->valuedouble);
      else fprintf(f, " %.2f |", value->valuedouble);
    }
    const cJSON *peak = cJSON_GetObjectItemCaseSensitive(r, "peak_gpu_memory_bytes");
    if (memory && cJSON_IsNumber(peak)) fprintf(f, " %.2f |", peak->valuedouble / (1024.0 * 1024.0 * 1024.0));
    else if (memory) fprintf(f, " — |");
    fprintf(f, " %s |\n", cJSON_GetObjectItemCaseSensitive(r, "validity")->valuestring);
  }
}

int benchy_results_table_write(const benchy_result *const *results, const char *const *labels,
                               size_t n, const char *format, FILE *f) {
  if (!results || !n || !format || !f) return BENCHY_ERR_INVALID;
  for (size_t i = 0; i < n; i++)
    if (!results[i]) return BENCHY_ERR_INVALID;
  if (strcmp(format, "md") && strcmp(format, "json")) return BENCHY_ERR_UNSUPPORTED;
  cJSON *doc = table_doc(results, labels, n);
  if (!doc) return BENCHY_ERR_NOMEM;
  if (!strcmp(format, "md")) {
    write_md(doc, f);
  } else {
    char *text = json_print_exact(doc, 1);
    if (text) fprintf(f, "%s\n", text);
    free(text);
  }
  cJSON_Delete(doc);
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}
