/*
 * load_render.c — see load_render.h. The console block follows the layout
 * of `vllm bench serve` (40-column labels, 50-column rules, ms with two
 * decimals) so that people can read the two side by side; the rows that
 * vLLM does not have (from-schedule latencies, failures by kind, notes) are
 * ours. Field names are those of docs/load.md.
 */
#include "csv.h"
#include "load_render.h"
#include "sampling_render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "benchy/collector.h" /* the key names the writer uses */

#define RULE_WIDTH 50

static void rule(FILE *f, const char *title, char fill) {
  /* Centred as Python's format(s, fill + '^50') centres: the odd fill
   * character goes to the right. */
  size_t len = title ? strlen(title) : 0;
  size_t left = len < RULE_WIDTH ? (RULE_WIDTH - len) / 2 : 0;
  size_t right = len < RULE_WIDTH ? RULE_WIDTH - len - left : 0;
  for (size_t i = 0; i < left; i++) fputc(fill, f);
  if (title && *title) fputs(title, f);
  for (size_t i = 0; i < right; i++) fputc(fill, f);
  fputc('\n', f);
}

static const cJSON *get(const cJSON *o, const char *key) {
  return o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
}

static double num(const cJSON *o, const char *key) {
  const cJSON *v = get(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void row_text(FILE *f, const char *label, const char *value) {
  fprintf(f, "%-40s %-10s\n", label, value);
}

static void row_int(FILE *f, const char *label, double v) {
  char buf[48];
  if (isfinite(v))
    snprintf(buf, sizeof buf, "%.0f", v);
  else
    snprintf(buf, sizeof buf, "n/a");
  row_text(f, label, buf);
}

static void row_num(FILE *f, const char *label, double v) {
  char buf[48];
  if (isfinite(v))
    snprintf(buf, sizeof buf, "%.2f", v);
  else
    snprintf(buf, sizeof buf, "n/a");
  row_text(f, label, buf);
}

static void pct_label(char *buf, size_t len, double p) {
  if (p == floor(p))
    snprintf(buf, len, "P%lld", (long long)p);
  else
    snprintf(buf, len, "P%g", p);
}

static const cJSON *percentiles_of(const cJSON *doc, const cJSON *lv) {
  const cJSON *p = get(lv, "percentiles");
  if (cJSON_IsArray(p)) return p;
  return get(get(doc, "metadata"), "percentiles");
}

/* Mean, median and each percentile of one metric. */
static void metric_rows(FILE *f, const cJSON *lv, const cJSON *pcts, const char *name,
                        const char *shown) {
  char label[96], key[96];
  snprintf(label, sizeof label, "Mean %s (ms):", shown);
  snprintf(key, sizeof key, "mean_%s_ms", name);
  row_num(f, label, num(lv, key));
  snprintf(label, sizeof label, "Median %s (ms):", shown);
  snprintf(key, sizeof key, "median_%s_ms", name);
  row_num(f, label, num(lv, key));
  const cJSON *p;
  cJSON_ArrayForEach(p, pcts) {
    if (!cJSON_IsNumber(p) || p->valuedouble == 50) continue;
    char pl[32];
    pct_label(pl, sizeof pl, p->valuedouble);
    snprintf(label, sizeof label, "%s %s (ms):", pl, shown);
    benchy_percentile_key(key, sizeof key, p->valuedouble, name, "ms");
    row_num(f, label, num(lv, key));
  }
}

/* The highest percentile asked for (99 by default), for the short rows. */
static double top_percentile(const cJSON *pcts) {
  double top = NAN;
  const cJSON *p;
  cJSON_ArrayForEach(p, pcts) {
    if (cJSON_IsNumber(p) && (isnan(top) || p->valuedouble > top)) top = p->valuedouble;
  }
  return top;
}

static void short_rows(FILE *f, const cJSON *lv, const cJSON *pcts, const char *name,
                       const char *shown) {
  char label[96], key[96];
  snprintf(label, sizeof label, "Mean %s (ms):", shown);
  snprintf(key, sizeof key, "mean_%s_ms", name);
  row_num(f, label, num(lv, key));
  double top = top_percentile(pcts);
  if (isnan(top)) return;
  char pl[32];
  pct_label(pl, sizeof pl, top);
  snprintf(label, sizeof label, "%s %s (ms):", pl, shown);
  benchy_percentile_key(key, sizeof key, top, name, "ms");
  row_num(f, label, num(lv, key));
}

/* --percentile-metrics: the latency sections the table shows, as vLLM
 * prints only the metrics selected. A document without the list (older
 * results) shows them all. */
static int metric_shown(const cJSON *doc, const char *metric) {
  const cJSON *list = get(get(doc, "metadata"), "percentile_metrics");
  if (!cJSON_IsArray(list)) return 1;
  const cJSON *m;
  cJSON_ArrayForEach(m, list) {
    if (cJSON_IsString(m) && !strcmp(m->valuestring, metric)) return 1;
  }
  return 0;
}

/* What the server served from its prompt cache: a TTFT that did no
 * prefill reads like a fast server. */
static void cached_row(FILE *f, const cJSON *lv) {
  const cJSON *pc = get(lv, "prompt_cache");
  if (!pc) return;
  double share = num(pc, "cached_share");
  char buf[64];
  if (isfinite(share))
    snprintf(buf, sizeof buf, "%.0f (%.1f%%)", num(pc, "cached_tokens"), 100.0 * share);
  else
    snprintf(buf, sizeof buf, "n/a (the server did not say)");
  row_text(f, "Cached prompt tokens:", buf);
}

/* vLLM's counts and throughputs, in its order and wording. */
static void level_totals(FILE *f, const cJSON *lv) {
  rule(f, " Serving Benchmark Result ", '=');
  const cJSON *label = get(lv, "label");
  if (cJSON_IsString(label)) row_text(f, "Level:", label->valuestring);
  row_int(f, "Successful requests:", num(lv, "completed"));
  row_int(f, "Failed requests:", num(lv, "failed"));
  const cJSON *kinds = get(lv, "failed_by_kind");
  const cJSON *k;
  cJSON_ArrayForEach(k, kinds) {
    if (!cJSON_IsNumber(k) || k->valuedouble <= 0) continue;
    char lab[64];
    snprintf(lab, sizeof lab, "  %s:", k->string);
    row_int(f, lab, k->valuedouble);
  }
  if (num(lv, "cancelled") > 0) row_int(f, "Cancelled (interrupted) requests:", num(lv, "cancelled"));
  if (num(lv, "not_started") > 0) row_int(f, "Requests not sent:", num(lv, "not_started"));
  if (cJSON_IsNumber(get(lv, "max_concurrency")))
    row_int(f, "Maximum request concurrency:", num(lv, "max_concurrency"));
  const cJSON *rate = get(lv, "request_rate");
  if (cJSON_IsString(rate))
    row_text(f, "Request rate configured (RPS):", rate->valuestring);
  else if (cJSON_IsNumber(rate))
    row_num(f, "Request rate configured (RPS):", rate->valuedouble);
  row_num(f, "Benchmark duration (s):", num(lv, "duration"));
  row_int(f, "Total input tokens:", num(lv, "total_input_tokens"));
  cached_row(f, lv);
  row_int(f, "Total generated tokens:", num(lv, "total_output_tokens"));
  row_num(f, "Request throughput (req/s):", num(lv, "request_throughput"));
  if (get(lv, "request_goodput")) {
    row_num(f, "Request goodput (req/s):", num(lv, "request_goodput"));
    row_num(f, "Request goodput from schedule (req/s):", num(lv, "request_goodput_from_schedule"));
  }
  row_num(f, "Output token throughput (tok/s):", num(lv, "output_throughput"));
  row_num(f, "Peak output token throughput (tok/s):", num(lv, "max_output_tokens_per_s"));
  row_int(f, "Peak concurrent requests:", num(lv, "max_concurrent_requests"));
  row_num(f, "Total Token throughput (tok/s):", num(lv, "total_token_throughput"));
}

/* The latency sections --percentile-metrics asks for, then the ones from
 * the intended send time. */
static void level_latencies(FILE *f, const cJSON *doc, const cJSON *lv) {
  const cJSON *pcts = percentiles_of(doc, lv);
  if (metric_shown(doc, "ttft")) {
    rule(f, "Time to First Token", '-');
    metric_rows(f, lv, pcts, "ttft", "TTFT");
    short_rows(f, lv, pcts, "ttfr", "TTFR (first chunk)");
  }
  if (metric_shown(doc, "tpot")) {
    rule(f, "Time per Output Token (excl. 1st token)", '-');
    metric_rows(f, lv, pcts, "tpot", "TPOT");
  }
  if (metric_shown(doc, "itl")) {
    rule(f, "Inter-token Latency", '-');
    metric_rows(f, lv, pcts, "itl", "ITL");
    short_rows(f, lv, pcts, "itl_per_token", "ITL per token");
  }
  if (metric_shown(doc, "e2el")) {
    rule(f, "End-to-end Latency", '-');
    metric_rows(f, lv, pcts, "e2el", "E2EL");
  }
  rule(f, "From Intended Send Time", '-');
  short_rows(f, lv, pcts, "queue", "Client queue wait");
  short_rows(f, lv, pcts, "ttft_from_schedule", "TTFT from schedule");
  short_rows(f, lv, pcts, "e2el_from_schedule", "E2EL from schedule");
  rule(f, NULL, '=');
}

/* How a resumed level was put together, and what that means for it. */
static void resumed_note(FILE *f, const cJSON *lv) {
  const cJSON *res = get(lv, "resumed");
  if (!res) return;
  const cJSON *res_from = get(res, "from");
  int complete = cJSON_IsString(res_from) && !strcmp(res_from->valuestring, "complete");
  fprintf(f, "note: resumed from --jsonl: %.0f requests restored from the earlier run, %.0f sent "
             "now (%s); the pause between the runs is left out of the level's timeline",
          num(res, "restored_requests"), num(res, "sent_now"),
          complete ? "its failed requests, retried" : "the rest of the level");
  const cJSON *mode = get(lv, "mode");
  if (cJSON_IsString(mode) && !strcmp(mode->valuestring, "open"))
    fputs(complete ? "; retried requests went at their own schedule times, under a lighter load "
                     "than the level's"
                   : "; the schedule went on from its first unsent arrival, so the load around "
                     "the restart differs from an uninterrupted level's",
          f);
  if (!cJSON_IsTrue(get(res, "itl_includes_restored")))
    fputs("; ITL covers the requests sent now only (the earlier run had no --raw)", f);
  fputc('\n', f);
}

/* Notes: what a reader would otherwise have to dig out of the JSON. */
static void level_notes(FILE *f, const cJSON *lv) {
  double failed = num(lv, "failed");
  if (failed > 0)
    fprintf(f, "note: %.0f failed request%s excluded from the latency and throughput figures\n",
            failed, failed == 1 ? " is" : "s are");
  double dis = num(lv, "output_tokens_disagreements");
  if (dis > 0)
    fprintf(f, "note: usage.completion_tokens and the chunk count disagree on %.0f request%s "
            "(usage total %.0f, chunks %.0f); output tokens are taken from usage\n",
            dis, dis == 1 ? "" : "s", num(lv, "output_tokens_from_usage"),
            num(lv, "output_tokens_from_chunks"));
  double miss = num(lv, "output_tokens_usage_missing");
  if (miss > 0)
    fprintf(f, "note: %.0f request%s had no usage; their output tokens are counted from chunks\n",
            miss, miss == 1 ? "" : "s");
  double mism = num(lv, "input_length_mismatches");
  if (mism > 0)
    fprintf(f, "note: %.0f prompt%s did not have the intended length per usage.prompt_tokens\n",
            mism, mism == 1 ? "" : "s");
  const cJSON *from = get(lv, "itl_percentiles_from");
  if (cJSON_IsString(from) && !strcmp(from->valuestring, "histogram"))
    fprintf(f, "note: ITL percentiles from a histogram (within %.2f%%)\n",
            100.0 * num(lv, "itl_percentiles_relative_error"));
  const cJSON *stopped = get(lv, "stopped_by");
  if (cJSON_IsString(stopped) && strcmp(stopped->valuestring, "duration"))
    fprintf(f, "note: the level was stopped by %s\n", stopped->valuestring);
  resumed_note(f, lv);
  if (cJSON_IsTrue(get(lv, "restored_from_jsonl")))
    fprintf(f, "note: restored from the --jsonl file of an earlier run\n");
  const cJSON *pc = get(lv, "prompt_cache");
  const cJSON *expected = get(pc, "expected");
  if (num(pc, "cached_tokens") > 0 && cJSON_IsString(expected) && num(pc, "unexpected_requests") <= 0)
    fprintf(f, "note: cache hits expected here (%s)\n", expected->valuestring);
  sampling_render_md(f, lv, "");
  const cJSON *w;
  cJSON_ArrayForEach(w, get(lv, "warnings")) {
    if (cJSON_IsString(w)) fprintf(f, "warning: %s\n", w->valuestring);
  }
  const cJSON *err = get(lv, "error");
  if (cJSON_IsString(err)) fprintf(f, "error: %s\n", err->valuestring);
}

static void level_block(FILE *f, const cJSON *doc, const cJSON *lv) {
  level_totals(f, lv);
  level_latencies(f, doc, lv);
  level_notes(f, lv);
}

static void cell(FILE *f, double v, int decimals) {
  if (isfinite(v))
    fprintf(f, " %.*f |", decimals, v);
  else
    fprintf(f, " n/a |");
}

static void sweep_table(FILE *f, const cJSON *doc, const cJSON *levels) {
  const cJSON *first = cJSON_GetArrayItem(levels, 0);
  const cJSON *pcts = percentiles_of(doc, first);
  double top = top_percentile(pcts);
  if (isnan(top)) top = 99;
  char tl[32];
  pct_label(tl, sizeof tl, top);
  tl[0] = 'p';
  int goodput = get(first, "request_goodput") != NULL;
  const char *names[] = {"ttft", "tpot", "itl", "e2el"};
  const char *shown[] = {"TTFT", "TPOT", "ITL", "E2EL"};
  fprintf(f, "\n| level | completed | failed | req/s | out tok/s | peak tok/s |");
  for (size_t i = 0; i < 4; i++)
    if (metric_shown(doc, names[i])) fprintf(f, " %s p50 | %s %s |", shown[i], shown[i], tl);
  fprintf(f, " TTFT %s sched | cached %% |%s\n", tl, goodput ? " goodput |" : "");
  fprintf(f, "|---|--:|--:|--:|--:|--:|");
  for (size_t i = 0; i < 4; i++)
    if (metric_shown(doc, names[i])) fprintf(f, "--:|--:|");
  fprintf(f, "--:|--:|%s\n", goodput ? "--:|" : "");
  const cJSON *lv;
  cJSON_ArrayForEach(lv, levels) {
    const cJSON *label = get(lv, "label");
    fprintf(f, "| %s |", cJSON_IsString(label) ? label->valuestring : "?");
    cell(f, num(lv, "completed"), 0);
    cell(f, num(lv, "failed"), 0);
    cell(f, num(lv, "request_throughput"), 2);
    cell(f, num(lv, "output_throughput"), 1);
    cell(f, num(lv, "max_output_tokens_per_s"), 0);
    for (size_t i = 0; i < 4; i++) {
      if (!metric_shown(doc, names[i])) continue;
      char key[96];
      snprintf(key, sizeof key, "median_%s_ms", names[i]);
      cell(f, num(lv, key), 2);
      benchy_percentile_key(key, sizeof key, top, names[i], "ms");
      cell(f, num(lv, key), 2);
    }
    char key[96];
    benchy_percentile_key(key, sizeof key, top, "ttft_from_schedule", "ms");
    cell(f, num(lv, key), 2);
    /* A "!" marks a level served from cache unexpectedly (its warning
     * is in the level's block above). */
    double share = num(get(lv, "prompt_cache"), "cached_share");
    if (isfinite(share))
      fprintf(f, " %.1f%s |", 100.0 * share,
              num(get(lv, "prompt_cache"), "unexpected_requests") > 0 ? " !" : "");
    else
      fprintf(f, " n/a |");
    if (goodput) cell(f, num(lv, "request_goodput"), 2);
    fputc('\n', f);
  }
  fprintf(f, "\nLatencies in ms. TTFT %s sched: measured from the intended send time, so "
             "client-side queueing is included.\n", tl);
}

int load_render_md(const cJSON *doc, FILE *f) {
  const cJSON *levels = get(doc, "aggregates");
  const cJSON *meta = get(doc, "metadata");
  const cJSON *model = get(meta, "model");
  if (cJSON_IsString(model)) fprintf(f, "model: %s\n", model->valuestring);
  const cJSON *lv;
  cJSON_ArrayForEach(lv, levels) {
    level_block(f, doc, lv);
    fputc('\n', f);
  }
  if (cJSON_GetArraySize(levels) > 1) sweep_table(f, doc, levels);
  const cJSON *status = get(doc, "status");
  if (cJSON_IsString(status) && strcmp(status->valuestring, "OK"))
    fprintf(f, "status: %s\n", status->valuestring);
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}

/* ------------------------------------------------------------ CSV */

typedef struct column {
  char name[128];
} column;

typedef struct columns {
  column *c;
  size_t n, cap;
} columns;

static int has_column(const columns *cols, const char *name) {
  for (size_t i = 0; i < cols->n; i++)
    if (!strcmp(cols->c[i].name, name)) return 1;
  return 0;
}

static int add_column(columns *cols, const char *name) {
  if (has_column(cols, name)) return 0;
  column *room = benchy_grow(cols->c, &cols->cap, cols->n + 1, sizeof *room);
  if (!room) return -1;
  cols->c = room;
  snprintf(cols->c[cols->n++].name, sizeof cols->c[0].name, "%s", name);
  return 0;
}

/* Scalars become columns; objects one level deep become "parent.child";
 * arrays (timeline, percentiles) and the collector (histograms, kept for
 * merging results, not for reading) stay in the JSON. */
static int collect_columns(columns *cols, const cJSON *lv) {
  const cJSON *item;
  cJSON_ArrayForEach(item, lv) {
    if (cJSON_IsArray(item) || !strcmp(item->string, "collector")) continue;
    if (cJSON_IsObject(item)) {
      const cJSON *sub;
      cJSON_ArrayForEach(sub, item) {
        if (cJSON_IsArray(sub) || cJSON_IsObject(sub)) continue;
        char name[128];
        snprintf(name, sizeof name, "%s.%s", item->string, sub->string);
        if (add_column(cols, name) != 0) return -1;
      }
      continue;
    }
    if (add_column(cols, item->string) != 0) return -1;
  }
  return 0;
}

static const cJSON *lookup_column(const cJSON *lv, const char *name) {
  const char *dot = strchr(name, '.');
  if (!dot) return get(lv, name);
  char parent[128];
  size_t n = (size_t)(dot - name);
  if (n >= sizeof parent) return NULL;
  memcpy(parent, name, n);
  parent[n] = 0;
  return get(get(lv, parent), dot + 1);
}


int load_render_csv(const cJSON *doc, FILE *f) {
  const cJSON *levels = get(doc, "aggregates");
  columns cols = {0};
  const cJSON *lv;
  cJSON_ArrayForEach(lv, levels) {
    if (collect_columns(&cols, lv) != 0) {
      free(cols.c);
      return BENCHY_ERR_NOMEM;
    }
  }
  const cJSON *model = get(get(doc, "metadata"), "model");
  fputs("model", f);
  for (size_t i = 0; i < cols.n; i++) {
    fputc(',', f);
    csv_field(f, cols.c[i].name);
  }
  fputc('\n', f);
  cJSON_ArrayForEach(lv, levels) {
    csv_field(f, cJSON_IsString(model) ? model->valuestring : "");
    for (size_t i = 0; i < cols.n; i++) {
      fputc(',', f);
      const cJSON *v = lookup_column(lv, cols.c[i].name);
      if (cJSON_IsNumber(v)) {
        if (v->valuedouble == floor(v->valuedouble) && fabs(v->valuedouble) < 1e15)
          fprintf(f, "%.0f", v->valuedouble);
        else
          fprintf(f, "%.6f", v->valuedouble);
      } else if (cJSON_IsString(v)) {
        csv_field(f, v->valuestring);
      } else if (cJSON_IsBool(v)) {
        fputs(cJSON_IsTrue(v) ? "true" : "false", f);
      }
    }
    fputc('\n', f);
  }
  free(cols.c);
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}
