/* dispatch_lag.c — see dispatch_lag.h. */
#include "dispatch_lag.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sampling.h"

static double number(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void dispatch_lag_judge(const kept_record *all, size_t n, cJSON *level_obj, const char *where) {
  /* Halves by schedule position: the records are in index order. */
  double sum[2] = {0, 0}, count[2] = {0, 0}, max = NAN;
  for (size_t i = 0; i < n; i++) {
    double lag = number(all[i].rec, "queue_ms");
    if (isnan(lag)) continue;
    int half = i >= n / 2;
    sum[half] += lag;
    count[half]++;
    if (isnan(max) || lag > max) max = lag;
  }
  if (!count[0] || !count[1]) return;
  double first = sum[0] / count[0], second = sum[1] / count[1];
  cJSON *o = cJSON_AddObjectToObject(level_obj, "dispatch_lag_ms");
  if (o) {
    cJSON_AddNumberToObject(o, "first_half_mean", first);
    cJSON_AddNumberToObject(o, "second_half_mean", second);
    cJSON_AddNumberToObject(o, "max", max);
  }
  double growth_ms = DISPATCH_LAG_GROWTH_MS;
  const char *test = getenv("BENCHY_TEST_DISPATCH_LAG_MS");
  if (test && *test) growth_ms = strtod(test, NULL);
  if (second - first > growth_ms) {
    char msg[512];
    snprintf(msg, sizeof msg,
             "the client fell behind its schedule: requests went out %.1f ms late on average in the "
             "level's second half against %.1f ms in its first (max %.1f ms), so the server saw fewer "
             "arrivals than --request-rate asked; give more --threads, a lower rate, or a faster "
             "client machine",
             second, first, max);
    sampling_level_warn(level_obj, where, msg);
  }
}
