/*
 * collector_json.c — benchy_collector_to_json / _from_json: a collector as
 * data, so that saved results merge exactly (docs/statistics.md).
 *
 * What is written is everything aggregate reads except the kept values:
 * every count, the exact moments and the histograms (non-empty buckets
 * only, as flat [low, count, ...] pairs) of each latency, and the
 * timeline. A collector read back therefore gives the same counts, means,
 * standard deviations, minima and maxima, and percentiles from its
 * histograms. Doubles round-trip exactly (cJSON prints 17 digits when 15
 * do not); the histograms' 128-bit sums travel as hex text.
 */
#include "collector_internal.h"
#include "hist_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLLECTOR_JSON_VERSION 1

/* The int64 counters of load_acc, written and read by the same list. */
#define COLLECTOR_COUNTERS(X)                                                           \
  X(n_requests) X(completed) X(failed) X(cancelled) X(start) X(end) X(in_tokens)        \
  X(out_tokens) X(usage_tokens) X(chunk_tokens) X(disagreements) X(usage_missing)       \
  X(input_unknown) X(cached) X(cached_reported) X(good) X(good_sched)

static const char *const metric_names[LOAD_M_COUNT] = {
    "ttft", "ttfr", "tpot", "e2el", "queue", "ttft_from_schedule", "e2el_from_schedule"};
static const char *const itl_names[LOAD_ITL_COUNT] = {"itl", "itl_per_token"};

static cJSON *dist_to_json(const load_dist *d) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "n", (double)d->m.n);
  cJSON_AddNumberToObject(o, "mean", d->m.mean);
  cJSON_AddNumberToObject(o, "m2", d->m.m2);
  cJSON_AddNumberToObject(o, "min", d->m.min);
  cJSON_AddNumberToObject(o, "max", d->m.max);
  uint64_t lo, hi;
  hist_exact_state(d->hist, &lo, &hi);
  char sum[40];
  snprintf(sum, sizeof sum, "%016" PRIx64 "%016" PRIx64, hi, lo);
  cJSON_AddStringToObject(o, "hist_sum", sum);
  cJSON_AddNumberToObject(o, "hist_min", (double)benchy_hist_min(d->hist));
  cJSON_AddNumberToObject(o, "hist_max", (double)benchy_hist_max(d->hist));
  cJSON *b = cJSON_AddArrayToObject(o, "buckets");
  size_t it = 0;
  int64_t low, high;
  uint64_t count;
  while (b && benchy_hist_next_bucket(d->hist, &it, &low, &high, &count)) {
    cJSON_AddItemToArray(b, cJSON_CreateNumber((double)low));
    cJSON_AddItemToArray(b, cJSON_CreateNumber((double)count));
  }
  return o;
}

cJSON *collector_to_cjson(const benchy_collector *c) {
  if (!c) return NULL;
  const load_acc *a = &c->acc;
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "collector_version", COLLECTOR_JSON_VERSION);
  cJSON_AddNumberToObject(o, "precision_bits", LOAD_HIST_BITS);
  cJSON *ps = cJSON_CreateDoubleArray(c->agg.percentiles, (int)c->agg.n_percentiles);
  if (ps) cJSON_AddItemToObject(o, "percentiles", ps);
  cJSON_AddNumberToObject(o, "ddof", c->agg.ddof);
  cJSON *slo = cJSON_AddObjectToObject(o, "slo_ms");
  if (slo) {
    cJSON_AddNumberToObject(slo, "ttft", a->slo.ttft_ms);
    cJSON_AddNumberToObject(slo, "tpot", a->slo.tpot_ms);
    cJSON_AddNumberToObject(slo, "e2el", a->slo.e2el_ms);
  }
  cJSON *counts = cJSON_AddObjectToObject(o, "counts");
#define WRITE_COUNTER(f) if (counts) cJSON_AddNumberToObject(counts, #f, (double)a->f);
  COLLECTOR_COUNTERS(WRITE_COUNTER)
#undef WRITE_COUNTER
  if (counts) cJSON_AddNumberToObject(counts, "chunk_count_spread", (double)a->chunk_count_spread);
  cJSON_AddNumberToObject(o, "max_concurrent_requests", (double)collector_max_concurrency(a));
  cJSON *kinds = cJSON_AddArrayToObject(o, "failed_by_kind");
  for (int k = 0; kinds && k < LOAD_FAILURE_KINDS; k++)
    cJSON_AddItemToArray(kinds, cJSON_CreateNumber((double)a->kind_counts[k]));
  cJSON *http = cJSON_AddObjectToObject(o, "failed_by_http_status");
  for (int s = 0; http && s < LOAD_HTTP_CODES; s++) {
    if (!a->http_counts[s]) continue;
    char code[16];
    snprintf(code, sizeof code, "%d", s);
    cJSON_AddNumberToObject(http, code, (double)a->http_counts[s]);
  }
  cJSON *tl = cJSON_AddArrayToObject(o, "timeline");
  size_t last = a->n_buckets;
  while (last > 0 && !a->buckets[last - 1].started && !a->buckets[last - 1].completed &&
         !a->buckets[last - 1].failed && !a->buckets[last - 1].output_tokens)
    last--;
  for (size_t i = 0; tl && i < last; i++) {
    const load_bucket *b = &a->buckets[i];
    double row[4] = {(double)b->started, (double)b->completed, (double)b->failed,
                     (double)b->output_tokens};
    cJSON_AddItemToArray(tl, cJSON_CreateDoubleArray(row, 4));
  }
  cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
  for (int m = 0; metrics && m < LOAD_M_COUNT; m++)
    cJSON_AddItemToObject(metrics, metric_names[m], dist_to_json(&a->dist[m]));
  for (int k = 0; metrics && k < LOAD_ITL_COUNT; k++)
    cJSON_AddItemToObject(metrics, itl_names[k], dist_to_json(&a->itl[k]));
  return o;
}

char *benchy_collector_to_json(const benchy_collector *c) {
  cJSON *o = collector_to_cjson(c);
  if (!o) return NULL;
  char *text = cJSON_PrintUnformatted(o);
  cJSON_Delete(o);
  return text;
}

static int fail(char *err, size_t errlen, const char *what) {
  if (err && errlen)
    snprintf(err, errlen, "not a saved benchy collector: %s (write it with benchy_collector_to_json)",
             what);
  return BENCHY_ERR_INVALID;
}

static int num(const cJSON *o, const char *key, double *out) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  if (!cJSON_IsNumber(v)) return -1;
  *out = v->valuedouble;
  return 0;
}

static int dist_from_json(const cJSON *o, load_dist *d) {
  double n, mean, m2, mn, mx, hmin, hmax;
  if (num(o, "n", &n) || num(o, "mean", &mean) || num(o, "m2", &m2) || num(o, "min", &mn) ||
      num(o, "max", &mx) || num(o, "hist_min", &hmin) || num(o, "hist_max", &hmax))
    return -1;
  d->m = (benchy_moments){(uint64_t)n, mean, m2, mn, mx};
  const cJSON *sum = cJSON_GetObjectItemCaseSensitive(o, "hist_sum");
  const cJSON *b = cJSON_GetObjectItemCaseSensitive(o, "buckets");
  if (!cJSON_IsString(sum) || strlen(sum->valuestring) != 32 || !cJSON_IsArray(b)) return -1;
  char half[17] = {0};
  memcpy(half, sum->valuestring, 16);
  uint64_t hi = strtoull(half, NULL, 16);
  uint64_t lo = strtoull(sum->valuestring + 16, NULL, 16);
  int nb = cJSON_GetArraySize(b);
  if (nb % 2) return -1;
  for (int i = 0; i < nb; i += 2) {
    const cJSON *low = cJSON_GetArrayItem(b, i), *count = cJSON_GetArrayItem(b, i + 1);
    if (!cJSON_IsNumber(low) || !cJSON_IsNumber(count) || low->valuedouble < 0 ||
        count->valuedouble < 1)
      return -1;
    benchy_hist_add_n(d->hist, (int64_t)low->valuedouble, (uint64_t)count->valuedouble);
  }
  if (benchy_hist_count(d->hist)) hist_restore_exact(d->hist, (int64_t)hmin, (int64_t)hmax, lo, hi);
  return 0;
}

static int acc_from_json(const cJSON *o, load_acc *a, char *err, size_t errlen) {
  const cJSON *counts = cJSON_GetObjectItemCaseSensitive(o, "counts");
  double v;
#define READ_COUNTER(f)                                                   \
  if (num(counts, #f, &v)) return fail(err, errlen, "counts." #f " missing"); \
  a->f = (int64_t)v;
  COLLECTOR_COUNTERS(READ_COUNTER)
#undef READ_COUNTER
  if (num(counts, "chunk_count_spread", &v)) return fail(err, errlen, "counts incomplete");
  a->chunk_count_spread = (uint64_t)v;
  if (num(o, "max_concurrent_requests", &v)) return fail(err, errlen, "no max_concurrent_requests");
  a->max_in_flight = (int64_t)v;
  const cJSON *slo = cJSON_GetObjectItemCaseSensitive(o, "slo_ms");
  if (num(slo, "ttft", &a->slo.ttft_ms) || num(slo, "tpot", &a->slo.tpot_ms) ||
      num(slo, "e2el", &a->slo.e2el_ms))
    return fail(err, errlen, "slo_ms incomplete");
  const cJSON *kinds = cJSON_GetObjectItemCaseSensitive(o, "failed_by_kind");
  if (cJSON_GetArraySize(kinds) != LOAD_FAILURE_KINDS) return fail(err, errlen, "failed_by_kind");
  for (int k = 0; k < LOAD_FAILURE_KINDS; k++) {
    const cJSON *n = cJSON_GetArrayItem(kinds, k);
    if (!cJSON_IsNumber(n)) return fail(err, errlen, "failed_by_kind holds a non-number");
    a->kind_counts[k] = (int64_t)n->valuedouble;
  }
  const cJSON *http = cJSON_GetObjectItemCaseSensitive(o, "failed_by_http_status"), *h;
  cJSON_ArrayForEach(h, http) {
    int code = atoi(h->string);
    if (code < 0 || code >= LOAD_HTTP_CODES || !cJSON_IsNumber(h))
      return fail(err, errlen, "failed_by_http_status");
    a->http_counts[code] = (int64_t)h->valuedouble;
  }
  const cJSON *tl = cJSON_GetObjectItemCaseSensitive(o, "timeline");
  int nt = cJSON_GetArraySize(tl);
  if (nt > 0) {
    a->buckets = calloc((size_t)nt, sizeof *a->buckets);
    if (!a->buckets) return BENCHY_ERR_NOMEM;
    a->n_buckets = (size_t)nt;
    for (int i = 0; i < nt; i++) {
      const cJSON *row = cJSON_GetArrayItem(tl, i);
      if (cJSON_GetArraySize(row) != 4) return fail(err, errlen, "timeline row");
      a->buckets[i] = (load_bucket){(int64_t)cJSON_GetArrayItem(row, 0)->valuedouble,
                                    (int64_t)cJSON_GetArrayItem(row, 1)->valuedouble,
                                    (int64_t)cJSON_GetArrayItem(row, 2)->valuedouble,
                                    (int64_t)cJSON_GetArrayItem(row, 3)->valuedouble};
    }
  }
  const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(o, "metrics");
  for (int m = 0; m < LOAD_M_COUNT; m++) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(metrics, metric_names[m]);
    if (!d || dist_from_json(d, &a->dist[m])) return fail(err, errlen, metric_names[m]);
  }
  for (int k = 0; k < LOAD_ITL_COUNT; k++) {
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(metrics, itl_names[k]);
    if (!d || dist_from_json(d, &a->itl[k])) return fail(err, errlen, itl_names[k]);
  }
  /* No values travel: percentiles come from the histograms from now on. */
  a->req_overflow = 1;
  a->itl_overflow = 1;
  return BENCHY_OK;
}

static int collector_from_cjson(benchy_collector **out, const cJSON *o, char *err, size_t errlen);

int benchy_collector_from_json(benchy_collector **out, const char *json, char *err,
                               size_t errlen) {
  if (!out || !json) return BENCHY_ERR_INVALID;
  *out = NULL;
  cJSON *o = cJSON_Parse(json);
  if (!o) return fail(err, errlen, "the text is not JSON");
  int st = collector_from_cjson(out, o, err, errlen);
  cJSON_Delete(o);
  return st;
}

static int collector_from_cjson(benchy_collector **out, const cJSON *o, char *err, size_t errlen) {
  double version, bits, ddof = 1;
  int st = BENCHY_OK;
  const cJSON *ps = cJSON_GetObjectItemCaseSensitive(o, "percentiles");
  if (num(o, "collector_version", &version) || version != COLLECTOR_JSON_VERSION)
    st = fail(err, errlen, "collector_version is missing or not 1");
  else if (num(o, "precision_bits", &bits) || bits != LOAD_HIST_BITS)
    st = fail(err, errlen, "precision_bits is not 8");
  else if (num(o, "ddof", &ddof) || !cJSON_IsArray(ps) || cJSON_GetArraySize(ps) < 1)
    st = fail(err, errlen, "ddof or percentiles missing");
  else if (cJSON_GetArraySize(ps) > 64)
    st = fail(err, errlen, "more than 64 percentiles");
  double pv[64];
  size_t np = 0;
  const cJSON *p;
  if (st == BENCHY_OK)
    cJSON_ArrayForEach(p, ps) if (np < 64 && cJSON_IsNumber(p)) pv[np++] = p->valuedouble;
  benchy_collector_config cfg = {.percentiles = pv, .n_percentiles = np, .ddof = (int)ddof,
                                 .t0_ns = 1};
  benchy_collector *c = NULL;
  if (st == BENCHY_OK) {
    st = benchy_collector_new(&c, &cfg);
    if (st == BENCHY_ERR_INVALID) st = fail(err, errlen, "percentiles or ddof out of range");
  }
  if (st == BENCHY_OK) {
    /* Timeline buckets are relative to their own origin: t0 1 (0 would
     * read as "no time") keeps bucket i at index i. */
    st = acc_from_json(o, &c->acc, err, errlen);
  }
  if (st != BENCHY_OK) {
    benchy_collector_free(c);
    return st;
  }
  *out = c;
  return BENCHY_OK;
}

int benchy_collector_from_result(benchy_collector **out, const char *result_json, size_t level,
                                 char *err, size_t errlen) {
  if (!out || !result_json) return BENCHY_ERR_INVALID;
  *out = NULL;
  cJSON *doc = cJSON_Parse(result_json);
  if (!doc) {
    if (err && errlen) snprintf(err, errlen, "the result is not JSON");
    return BENCHY_ERR_INVALID;
  }
  const cJSON *levels = cJSON_GetObjectItemCaseSensitive(doc, "aggregates");
  const cJSON *lv = cJSON_IsArray(levels) ? cJSON_GetArrayItem(levels, (int)level) : NULL;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(lv, "collector");
  int st;
  if (!lv) {
    if (err && errlen)
      snprintf(err, errlen, "the result has no level %zu in \"aggregates\" (%d levels)", level,
               cJSON_GetArraySize(levels));
    st = BENCHY_ERR_INVALID;
  } else if (!c) {
    if (err && errlen)
      snprintf(err, errlen,
               "level %zu has no \"collector\": the result was written before benchy kept "
               "histograms in results; run it again to merge it",
               level);
    st = BENCHY_ERR_INVALID;
  } else {
    st = collector_from_cjson(out, c, err, errlen);
  }
  cJSON_Delete(doc);
  return st;
}
