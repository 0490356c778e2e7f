/*
 * collector_aggregate.c — a level's aggregate JSON object from its
 * accumulator (docs/load.md defines each figure), and the percentile key
 * names every result uses. Uses benchy/stats.h for moments, histograms and
 * numpy-linear percentiles.
 */
#include "collector_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void benchy_percentile_key(char *buf, size_t len, double p, const char *metric,
                           const char *unit) {
  const char *sep = unit && *unit ? "_" : "";
  if (!unit) unit = "";
  if (p == floor(p))
    snprintf(buf, len, "p%lld_%s%s%s", (long long)p, metric, sep, unit);
  else
    snprintf(buf, len, "p%g_%s%s%s", p, metric, sep, unit);
}

static void add_num_or_null(cJSON *o, const char *key, double v) {
  if (isfinite(v))
    cJSON_AddNumberToObject(o, key, v);
  else
    cJSON_AddNullToObject(o, key);
}

static void add_stat(cJSON *o, const char *stat, const char *name, double v) {
  char key[96];
  snprintf(key, sizeof key, "%s_%s_ms", stat, name);
  add_num_or_null(o, key, v);
}

/* mean, median, std, min, max and the percentiles of one latency (ns in,
 * ms out). Moments come from d->m, which holds every value exactly, so the
 * kept values serve only the percentiles: sorted in place, they give exact
 * ones; without them (past a budget) the histogram gives them within its
 * relative error. */
static void summarize_dist(cJSON *obj, const char *name, load_dist *d, int exact,
                           const load_agg_config *cfg) {
  uint64_t n = d->m.n;
  double median = NAN;
  if (exact) {
    /* Sorts, for the percentiles below, and gives the median. */
    static const double fifty = 50.0;
    benchy_percentiles(d->raw_ms, d->n_raw, &fifty, 1, &median);
  } else if (n) {
    median = (double)benchy_hist_percentile(d->hist, 50) / 1e6;
  }
  add_stat(obj, "mean", name, benchy_moments_mean(&d->m) / 1e6);
  add_stat(obj, "median", name, median);
  add_stat(obj, "std", name, benchy_moments_stddev(&d->m, cfg->ddof) / 1e6);
  add_stat(obj, "min", name, n ? d->m.min / 1e6 : NAN);
  add_stat(obj, "max", name, n ? d->m.max / 1e6 : NAN);
  for (size_t i = 0; i < cfg->n_percentiles; i++) {
    double p = cfg->percentiles[i], v = NAN;
    if (exact)
      v = benchy_percentile_sorted(d->raw_ms, d->n_raw, p);
    else if (n)
      v = (double)benchy_hist_percentile(d->hist, p) / 1e6;
    char key[96];
    benchy_percentile_key(key, sizeof key, p, name, "ms");
    add_num_or_null(obj, key, v);
  }
}

typedef struct conc_event {
  int64_t t;
  int delta;
} conc_event;

static int cmp_conc(const void *pa, const void *pb) {
  const conc_event *a = pa, *b = pb;
  if (a->t != b->t) return a->t < b->t ? -1 : 1;
  return a->delta - b->delta; /* a finish before a start at the same instant */
}

static int64_t max_concurrency_of(const load_span *spans, size_t n) {
  conc_event *ev = malloc((2 * n + 1) * sizeof *ev);
  if (!ev) return -1;
  size_t m = 0;
  for (size_t i = 0; i < n; i++) {
    ev[m++] = (conc_event){spans[i].from, +1};
    ev[m++] = (conc_event){spans[i].to, -1};
  }
  qsort(ev, m, sizeof *ev, cmp_conc);
  int64_t cur = 0, best = 0;
  for (size_t i = 0; i < m; i++) {
    cur += ev[i].delta;
    if (cur > best) best = cur;
  }
  free(ev);
  return best;
}

int64_t collector_max_concurrency(const load_acc *a) {
  return a->req_overflow ? a->max_in_flight : max_concurrency_of(a->spans, a->n_spans);
}

int load_aggregate(load_acc *acc, const load_agg_config *cfg, cJSON *obj) {
  int64_t completed = acc->completed, failed = acc->failed, cancelled = acc->cancelled;
  int64_t start = acc->start, end = acc->end;
  int64_t in_tokens = acc->in_tokens, out_tokens = acc->out_tokens, usage_tokens = acc->usage_tokens;
  int64_t chunk_tokens = acc->chunk_tokens, disagreements = acc->disagreements;
  int64_t usage_missing = acc->usage_missing, input_unknown = acc->input_unknown, cached = acc->cached;
  int64_t good = acc->good, good_sched = acc->good_sched;
  cJSON *http_counts = cJSON_CreateObject();
  if (!http_counts) return -1;
  for (int c = 0; c < LOAD_HTTP_CODES; c++) {
    if (!acc->http_counts[c]) continue;
    char code[16];
    snprintf(code, sizeof code, "%d", c);
    cJSON_AddNumberToObject(http_counts, code, (double)acc->http_counts[c]);
  }
  double duration = end > start && start ? (double)(end - start) / 1e9 : 0.0;
  cJSON_AddNumberToObject(obj, "num_requests", (double)acc->n_requests);
  cJSON_AddNumberToObject(obj, "completed", (double)completed);
  cJSON_AddNumberToObject(obj, "failed", (double)failed);
  cJSON_AddNumberToObject(obj, "cancelled", (double)cancelled);
  cJSON *kinds = cJSON_AddObjectToObject(obj, "failed_by_kind");
  const char *const *kind_names = collector_failure_kinds();
  for (size_t k = 0; kinds && k < LOAD_FAILURE_KINDS; k++)
    cJSON_AddNumberToObject(kinds, kind_names[k], (double)acc->kind_counts[k]);
  cJSON_AddItemToObject(obj, "failed_by_http_status", http_counts);
  add_num_or_null(obj, "duration", duration > 0 ? duration : NAN);
  cJSON_AddNumberToObject(obj, "total_input_tokens", (double)in_tokens);
  cJSON_AddNumberToObject(obj, "input_tokens_unknown", (double)input_unknown);
  cJSON_AddNumberToObject(obj, "total_cached_tokens", (double)cached);
  cJSON_AddNumberToObject(obj, "cached_tokens_reported_by", (double)acc->cached_reported);
  cJSON_AddNumberToObject(obj, "total_output_tokens", (double)out_tokens);
  cJSON_AddNumberToObject(obj, "output_tokens_from_usage", (double)usage_tokens);
  cJSON_AddNumberToObject(obj, "output_tokens_from_chunks", (double)chunk_tokens);
  cJSON_AddNumberToObject(obj, "output_tokens_disagreements", (double)disagreements);
  cJSON_AddNumberToObject(obj, "output_tokens_usage_missing", (double)usage_missing);
  double inv = duration > 0 ? 1.0 / duration : NAN;
  add_num_or_null(obj, "request_throughput", (double)completed * inv);
  add_num_or_null(obj, "output_throughput", (double)out_tokens * inv);
  add_num_or_null(obj, "total_token_throughput", (double)(in_tokens + out_tokens) * inv);
  /* The SLO the requests were counted against, as they were counted. */
  if (load_slo_any(&acc->slo)) {
    cJSON *slo = cJSON_AddObjectToObject(obj, "goodput_slo_ms");
    if (slo) {
      if (acc->slo.ttft_ms > 0) cJSON_AddNumberToObject(slo, "ttft", acc->slo.ttft_ms);
      if (acc->slo.tpot_ms > 0) cJSON_AddNumberToObject(slo, "tpot", acc->slo.tpot_ms);
      if (acc->slo.e2el_ms > 0) cJSON_AddNumberToObject(slo, "e2el", acc->slo.e2el_ms);
    }
    cJSON_AddNumberToObject(obj, "good_requests", (double)good);
    cJSON_AddNumberToObject(obj, "good_requests_from_schedule", (double)good_sched);
    add_num_or_null(obj, "request_goodput", (double)good * inv);
    add_num_or_null(obj, "request_goodput_from_schedule", (double)good_sched * inv);
  }
  int64_t peak = 0;
  for (size_t i = 0; i < acc->n_buckets; i++)
    if (acc->buckets[i].output_tokens > peak) peak = acc->buckets[i].output_tokens;
  cJSON_AddNumberToObject(obj, "max_output_tokens_per_s", (double)peak);
  /* Exact from every request's dispatch..done while they were kept, else
   * the runner's own peak of requests in flight. */
  int64_t conc = collector_max_concurrency(acc);
  add_num_or_null(obj, "max_concurrent_requests", conc >= 0 ? (double)conc : NAN);
  cJSON_AddStringToObject(obj, "max_concurrent_requests_from", acc->req_overflow ? "runner" : "requests");
  cJSON_AddStringToObject(obj, "request_percentiles_from", acc->req_overflow ? "histogram" : "samples");
  cJSON_AddNumberToObject(obj, "request_percentiles_relative_error",
                          acc->req_overflow ? benchy_hist_relative_error(acc->dist[0].hist) : 0.0);

  int req_exact = !acc->req_overflow;
  summarize_dist(obj, "ttft", &acc->dist[LOAD_M_TTFT], req_exact, cfg);
  summarize_dist(obj, "ttfr", &acc->dist[LOAD_M_TTFR], req_exact, cfg);
  summarize_dist(obj, "tpot", &acc->dist[LOAD_M_TPOT], req_exact, cfg);
  {
    int exact = !acc->itl_overflow;
    load_dist *per_chunk = &acc->itl[LOAD_ITL_CHUNK], *per_token = &acc->itl[LOAD_ITL_TOKEN];
    summarize_dist(obj, "itl", per_chunk, exact, cfg);
    summarize_dist(obj, "itl_per_token", per_token, exact, cfg);
    cJSON_AddNumberToObject(obj, "itl_count", (double)benchy_hist_count(per_chunk->hist));
    cJSON_AddNumberToObject(obj, "itl_per_token_count", (double)benchy_hist_count(per_token->hist));
    cJSON_AddStringToObject(obj, "itl_percentiles_from", exact ? "samples" : "histogram");
    cJSON_AddNumberToObject(obj, "itl_percentiles_relative_error",
                            exact ? 0.0 : benchy_hist_relative_error(per_chunk->hist));
    cJSON_AddNumberToObject(obj, "itl_tokens_spread_from_usage", (double)acc->chunk_count_spread);
  }
  summarize_dist(obj, "e2el", &acc->dist[LOAD_M_E2EL], req_exact, cfg);
  summarize_dist(obj, "queue", &acc->dist[LOAD_M_QUEUE], req_exact, cfg);
  summarize_dist(obj, "ttft_from_schedule", &acc->dist[LOAD_M_TTFT_SCHED], req_exact, cfg);
  summarize_dist(obj, "e2el_from_schedule", &acc->dist[LOAD_M_E2EL_SCHED], req_exact, cfg);

  {
    cJSON *tl = cJSON_AddArrayToObject(obj, "timeline");
    /* Trailing empty buckets are capacity, not seconds that happened. */
    size_t last = acc->n_buckets;
    while (last > 0) {
      const load_bucket *b = &acc->buckets[last - 1];
      if (b->started || b->completed || b->failed || b->output_tokens) break;
      last--;
    }
    for (size_t i = 0; tl && i < last; i++) {
      const load_bucket *b = &acc->buckets[i];
      cJSON *row = cJSON_CreateObject();
      if (!row) break;
      cJSON_AddNumberToObject(row, "t_s", (double)i);
      cJSON_AddNumberToObject(row, "started", (double)b->started);
      cJSON_AddNumberToObject(row, "completed", (double)b->completed);
      cJSON_AddNumberToObject(row, "failed", (double)b->failed);
      cJSON_AddNumberToObject(row, "output_tokens", (double)b->output_tokens);
      cJSON_AddItemToArray(tl, row);
    }
  }
  return 0;
}
