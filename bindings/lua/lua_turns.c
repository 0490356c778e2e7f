/*
 * lua_turns.c — per-scenario figures of each response beyond what the
 * collector keeps: time to first sentence (ttfs), the TTFT of answers to a
 * tool result (tool_result_ttft), and how the scenario's tool calls
 * graded. They join the scenario's aggregate under keys shaped like the
 * collector's (mean_ttfs_ms, p99_ttfs_ms, ...), so thresholds and the
 * table read them as they read TTFT. Memory stays flat: a histogram and
 * exact moments, not the values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/schema.h"
#include "lua_host.h"

/* The collector's relative error, so these percentiles are as good as TTFT's. */
#define TURN_HIST_BITS 8
#define N_GRADES (BENCHY_TOOL_BAD_VALUE + 1)

typedef struct turn_dist {
  benchy_moments m; /* ns */
  benchy_hist *hist;
} turn_dist;

struct lh_turns {
  turn_dist ttfs, tool_result_ttft;
  uint64_t graded, by_grade[N_GRADES];
};

static int dist_init(turn_dist *d) {
  benchy_moments_init(&d->m);
  return benchy_hist_new(&d->hist, TURN_HIST_BITS);
}

static void dist_add(turn_dist *d, int64_t ns) {
  if (ns < 0) return;
  benchy_moments_add(&d->m, (double)ns);
  benchy_hist_add(d->hist, ns);
}

static lh_turns *turns_of(lh_scenario *s) {
  if (s->turns) return s->turns;
  lh_turns *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  if (dist_init(&t->ttfs) != BENCHY_OK || dist_init(&t->tool_result_ttft) != BENCHY_OK) {
    benchy_hist_free(t->ttfs.hist);
    free(t);
    return NULL;
  }
  return s->turns = t;
}

void lh_turns_add(lh_scenario *s, const benchy_record *rec, int after_tool_result, int grade) {
  lh_turns *t = turns_of(s);
  if (!t) return; /* out of memory: these figures only, the record is kept */
  if (rec->status == BENCHY_OK) {
    dist_add(&t->ttfs, benchy_record_ttfs_ns(rec));
    if (after_tool_result) dist_add(&t->tool_result_ttft, benchy_record_ttft_ns(rec));
  }
  if (grade >= 0 && grade < N_GRADES) {
    t->graded++;
    t->by_grade[grade]++;
  }
}

static void add_num_or_null(cJSON *o, const char *key, double v) {
  if (isnan(v))
    cJSON_AddNullToObject(o, key);
  else
    cJSON_AddNumberToObject(o, key, v);
}

static void add_stat(cJSON *o, const char *stat, const char *name, double v) {
  char key[96];
  snprintf(key, sizeof key, "%s_%s_ms", stat, name);
  add_num_or_null(o, key, v);
}

/* The collector's key shape: mean_X_ms, median_X_ms, std_X_ms, min_X_ms,
 * max_X_ms, pN_X_ms, and X_count. */
static void summarize(cJSON *o, const char *name, const turn_dist *d, const lh_host *h) {
  uint64_t n = d ? d->m.n : 0;
  add_stat(o, "mean", name, n ? benchy_moments_mean(&d->m) / 1e6 : NAN);
  add_stat(o, "median", name, n ? (double)benchy_hist_percentile(d->hist, 50) / 1e6 : NAN);
  add_stat(o, "std", name, n ? benchy_moments_stddev(&d->m, 0) / 1e6 : NAN);
  add_stat(o, "min", name, n ? d->m.min / 1e6 : NAN);
  add_stat(o, "max", name, n ? d->m.max / 1e6 : NAN);
  for (size_t i = 0; i < h->n_percentiles; i++) {
    char key[96];
    benchy_percentile_key(key, sizeof key, h->percentiles[i], name, "ms");
    add_num_or_null(o, key, n ? (double)benchy_hist_percentile(d->hist, h->percentiles[i]) / 1e6 : NAN);
  }
  char key[96];
  snprintf(key, sizeof key, "%s_count", name);
  cJSON_AddNumberToObject(o, key, (double)n);
}

void lh_turns_aggregate(const lh_host *h, const lh_scenario *s, cJSON *o) {
  const lh_turns *t = s->turns;
  summarize(o, "ttfs", t ? &t->ttfs : NULL, h);
  summarize(o, "tool_result_ttft", t ? &t->tool_result_ttft : NULL, h);
  uint64_t graded = t ? t->graded : 0;
  cJSON_AddNumberToObject(o, "tool_graded", (double)graded);
  cJSON_AddNumberToObject(o, "tool_valid", graded ? (double)t->by_grade[BENCHY_TOOL_OK] : 0);
  add_num_or_null(o, "tool_valid_rate", graded ? (double)t->by_grade[BENCHY_TOOL_OK] / (double)graded : NAN);
  add_num_or_null(o, "tool_unparsed_rate",
                  graded ? (double)t->by_grade[BENCHY_TOOL_UNPARSED_ARGUMENTS] / (double)graded : NAN);
  cJSON *b = cJSON_AddObjectToObject(o, "tool_buckets");
  for (int g = BENCHY_TOOL_NO_CALL; b && g < N_GRADES; g++)
    cJSON_AddNumberToObject(b, benchy_tool_grade_name(g), t ? (double)t->by_grade[g] : 0);
}

void lh_turns_free(lh_turns *t) {
  if (!t) return;
  benchy_hist_free(t->ttfs.hist);
  benchy_hist_free(t->tool_result_ttft.hist);
  free(t);
}
