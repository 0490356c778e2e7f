/* run_render.c — see run_render.h. */
#include "run_render.h"
#include "csv.h"
#include "sampling_render.h"

#include <math.h>
#include <string.h>

#include "benchy/benchy.h"
#include "benchy/collector.h"

static double num(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *str(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : "";
}

/* The highest percentile the result holds (99 by default). */
static double top_percentile(const cJSON *doc) {
  const cJSON *pcts = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "metadata"), "percentiles");
  double top = 99;
  const cJSON *p;
  int any = 0;
  cJSON_ArrayForEach(p, pcts) {
    if (!cJSON_IsNumber(p) || p->valuedouble > 99.99) continue;
    if (!any || p->valuedouble > top) top = p->valuedouble;
    any = 1;
  }
  return top;
}

static void cell(FILE *f, double v, int decimals, const char *sep) {
  if (isnan(v))
    fprintf(f, "%s-", sep);
  else
    fprintf(f, "%s%.*f", sep, decimals, v);
}

static double metric(const cJSON *sc, const char *stat, double p, const char *name) {
  char key[96];
  if (stat)
    snprintf(key, sizeof key, "%s_%s_ms", stat, name);
  else
    benchy_percentile_key(key, sizeof key, p, name, "ms");
  return num(sc, key);
}

static void row(const cJSON *sc, double top, FILE *f, const char *sep, int md) {
  double checks_failed = num(sc, "checks_failed");
  cell(f, num(sc, "completed"), 0, sep);
  cell(f, num(sc, "failed"), 0, sep);
  cell(f, num(sc, "iterations"), 0, sep);
  cell(f, num(sc, "script_errors"), 0, sep);
  cell(f, metric(sc, "median", 0, "ttft"), 1, sep);
  cell(f, metric(sc, NULL, top, "ttft"), 1, sep);
  cell(f, metric(sc, "median", 0, "ttfs"), 1, sep);
  cell(f, metric(sc, "median", 0, "tpot"), 2, sep);
  cell(f, metric(sc, "median", 0, "itl"), 2, sep);
  cell(f, metric(sc, "median", 0, "e2el"), 1, sep);
  cell(f, metric(sc, NULL, top, "e2el"), 1, sep);
  double completed = num(sc, "completed");
  cell(f, completed > 0 ? num(sc, "total_output_tokens") / completed : NAN, 1, sep);
  cell(f, num(sc, "output_throughput"), 1, sep);
  cell(f, checks_failed, 0, sep);
  fprintf(f, "%s\n", md ? " |" : "");
}

/* Scenarios whose tool calls were graded: validity beside the failure buckets. */
static void tool_table(const cJSON *aggs, FILE *f) {
  static const char *const buckets[] = {"no_call", "wrong_tool", "unparsed_arguments",
                                        "missing_required", "wrong_type", "bad_value"};
  int header = 0;
  const cJSON *sc;
  cJSON_ArrayForEach(sc, aggs) {
    if (!(num(sc, "tool_graded") > 0)) continue;
    if (!header) {
      fprintf(f, "\n| scenario | tool turns | valid %% | unparsed %% | no_call | wrong_tool | "
                 "unparsed_arguments | missing_required | wrong_type | bad_value | tool-result TTFT p50 (ms) |\n"
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
      header = 1;
    }
    fprintf(f, "| %s | %.0f", str(sc, "scenario"), num(sc, "tool_graded"));
    cell(f, 100 * num(sc, "tool_valid_rate"), 1, " | ");
    cell(f, 100 * num(sc, "tool_unparsed_rate"), 1, " | ");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(sc, "tool_buckets");
    for (size_t i = 0; i < sizeof buckets / sizeof *buckets; i++) cell(f, num(b, buckets[i]), 0, " | ");
    cell(f, metric(sc, "median", 0, "tool_result_ttft"), 1, " | ");
    fprintf(f, " |\n");
  }
}

int run_render_md(const cJSON *doc, FILE *f) {
  const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  const cJSON *meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
  double top = top_percentile(doc);
  char pl[16];
  snprintf(pl, sizeof pl, "p%g", top);
  fprintf(f, "## %s — %s (%s)\n\n", str(meta, "script"), str(meta, "model"), str(meta, "base_url"));
  fprintf(f, "| scenario | ok | failed | iterations | errors | TTFT p50 (ms) | TTFT %s (ms) | "
             "TTFS p50 (ms) | TPOT p50 (ms) | ITL p50 (ms) | E2EL p50 (ms) | E2EL %s (ms) | out tokens | "
             "out tok/s | checks failed |\n",
          pl, pl);
  fprintf(f, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | "
             "---: | ---: |\n");
  const cJSON *sc;
  cJSON_ArrayForEach(sc, aggs) {
    fprintf(f, "| %s", str(sc, "scenario"));
    row(sc, top, f, " | ", 1);
  }
  int header = 0;
  cJSON_ArrayForEach(sc, aggs) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(sc, "checks")) {
      if (!header) {
        fprintf(f, "\n| scenario | check | passed | failed |\n| --- | --- | ---: | ---: |\n");
        header = 1;
      }
      fprintf(f, "| %s | %s | %.0f | %.0f |\n", str(sc, "scenario"), c->string, num(c, "passed"),
              num(c, "failed"));
    }
  }
  header = 0;
  cJSON_ArrayForEach(sc, aggs) {
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(sc, "metrics")) {
      char key[32];
      snprintf(key, sizeof key, "p%g", top);
      if (!header) {
        fprintf(f, "\n| scenario | metric | count | mean | p50 | %s | max |\n"
                   "| --- | --- | ---: | ---: | ---: | ---: | ---: |\n", pl);
        header = 1;
      }
      fprintf(f, "| %s | %s | %.0f | %.3g | %.3g | %.3g | %.3g |\n", str(sc, "scenario"), m->string,
              num(m, "count"), num(m, "mean"), num(m, "p50"), num(m, key), num(m, "max"));
    }
  }
  tool_table(aggs, f);
  const cJSON *th = cJSON_GetObjectItemCaseSensitive(doc, "thresholds");
  if (cJSON_GetArraySize(th) > 0) {
    fprintf(f, "\n| threshold | condition | value | result |\n| --- | --- | ---: | --- |\n");
    const cJSON *t;
    cJSON_ArrayForEach(t, th) {
      fprintf(f, "| %s | %s |", str(t, "name"), str(t, "condition"));
      cell(f, num(t, "value"), 3, " ");
      fprintf(f, " | %s |\n", cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "ok")) ? "pass" : "FAIL");
    }
  }
  double errors = num(doc, "script_errors");
  if (errors > 0) fprintf(f, "\n%.0f script error(s): see the records of type script_error.\n", errors);
  const cJSON *whole = cJSON_GetObjectItemCaseSensitive(doc, "whole_run");
  if (cJSON_GetObjectItemCaseSensitive(whole, "client_cpu")) fprintf(f, "\n");
  sampling_render_md(f, whole, "whole run: ");
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}

int run_render_csv(const cJSON *doc, FILE *f) {
  const cJSON *aggs = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  double top = top_percentile(doc);
  fprintf(f, "scenario,completed,failed,iterations,errors,ttft_p50_ms,ttft_p%g_ms,ttfs_p50_ms,tpot_p50_ms,"
             "itl_p50_ms,e2el_p50_ms,e2el_p%g_ms,output_tokens_mean,output_tok_s,checks_failed\n", top, top);
  const cJSON *sc;
  cJSON_ArrayForEach(sc, aggs) {
    csv_field(f, str(sc, "scenario"));
    row(sc, top, f, ",", 0);
  }
  return ferror(f) ? BENCHY_ERR_IO : BENCHY_OK;
}
