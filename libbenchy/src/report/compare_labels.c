/*
 * compare_labels.c — the names of a result's rows as its own table shows
 * them, so compare, table, memory lines and the HTML report match rows by
 * the same words.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "compare_internal.h"

static double number_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Bench has always named a row with its depth and concurrency in it
 * ("pp512 @ d4096 (c2)"): the name is the label, as the bench table shows
 * it (adding them again read "pp512 @ d4096 @ d4096"). A row without a name
 * keeps its depth and concurrency, so two such rows stay apart. */
void compare_bench_row_label(const cJSON *agg, char *out, size_t cap) {
  const cJSON *test = cJSON_GetObjectItemCaseSensitive(agg, "test");
  if (cJSON_IsString(test) && test->valuestring[0]) {
    snprintf(out, cap, "%s", test->valuestring);
    return;
  }
  double depth = number_of(agg, "depth"), conc = number_of(agg, "concurrency");
  char at[48] = "", cn[40] = "";
  if (depth > 0) snprintf(at, sizeof at, " @ d%.0f", depth);
  if (conc > 1) snprintf(cn, sizeof cn, " (c%.0f)", conc);
  snprintf(out, cap, "?%s%s", at, cn);
}

void compare_load_level_label(const cJSON *level, char *out, size_t cap) {
  const cJSON *scenario = cJSON_GetObjectItemCaseSensitive(level, "scenario");
  if (cJSON_IsString(scenario)) { /* a benchy run result: one row per scenario */
    snprintf(out, cap, "%s", scenario->valuestring);
    return;
  }
  const cJSON *label = cJSON_GetObjectItemCaseSensitive(level, "label");
  char *rate = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(level, "request_rate"));
  char *conc = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(level, "max_concurrency"));
  /* The label says what the user swept; rate and concurrency make levels
   * with equal labels (or none) distinct. */
  if (cJSON_IsString(label) && label->valuestring[0])
    snprintf(out, cap, "%s", label->valuestring);
  else
    snprintf(out, cap, "rate=%s c=%s", rate ? rate : "?", conc ? conc : "?");
  free(rate);
  free(conc);
}
