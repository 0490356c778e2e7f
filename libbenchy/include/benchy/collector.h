/*
 * collector.h — the statistics of `benchy load` for any front end: feed
 * finished requests' records, merge collectors, and get the same aggregate
 * object (TTFT, TTFR, TPOT, ITL, E2EL, queue percentiles; goodput;
 * throughput; failures by kind and HTTP status; per-second timeline) that
 * `benchy load` writes for a level. docs/statistics.md defines the figures
 * and how merging works; docs/c-api.md lists ownership.
 *
 * Memory stays bounded: each latency goes into a log-linear histogram
 * (BENCHY_COLLECTOR_RELATIVE_ERROR) and exact moments; the values
 * themselves are kept only while within the budgets, and percentiles are
 * exact while they are, from the histograms (within the stated error)
 * after. Means, standard deviations, minima, maxima and counts are always
 * exact.
 *
 * Include it by name: benchy.h does not, so that the library's lower
 * modules, which all include benchy.h, do not depend on the statistics.
 *
 * Threading: a collector is not synchronised. Use one per thread and merge
 * them into one after the threads are done (merge is exact); two threads
 * may read (aggregate excepted: it sorts kept values) only if nobody adds.
 */
#ifndef BENCHY_COLLECTOR_H
#define BENCHY_COLLECTOR_H

#include "benchy/export.h"
#include "benchy/record.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Relative error of histogram percentiles (2^-8). */
#define BENCHY_COLLECTOR_RELATIVE_ERROR 0.00390625

typedef struct benchy_collector benchy_collector;

typedef struct benchy_collector_config {
  /* Percentiles to report, each in [0, 100]; NULL/0: 50, 90, 95, 99 (load's
   * default --percentiles). Copied. */
  const double *percentiles;
  size_t n_percentiles;
  /* Goodput objectives in ms; <= 0: not set. With none set, no goodput
   * keys are written. */
  double slo_ttft_ms, slo_tpot_ms, slo_e2el_ms;
  /* Standard deviation: 0 population (the zero default), 1 sample (what
   * `benchy load` uses unless --stddev population). */
  int ddof;
  /* Requests whose values are kept for exact percentiles; 0: all. */
  size_t request_budget;
  /* Inter-token gaps kept per kind (per chunk, per token); 0: all. */
  size_t itl_budget;
  /* Monotonic ns origin of the per-second timeline; 0: the first
   * request's schedule (or dispatch) time. */
  int64_t t0_ns;
} benchy_collector_config;

/* cfg NULL: defaults (all zero). *out is the caller's; free it with
 * benchy_collector_free. BENCHY_ERR_INVALID, BENCHY_ERR_NOMEM. */
BENCHY_API int benchy_collector_new(benchy_collector **out, const benchy_collector_config *cfg);
BENCHY_API void benchy_collector_free(benchy_collector *c);
/* Adds one finished request (any status). Per-chunk figures (ITL, peak
 * tokens per second) need its chunk events (BENCHY_KEEP_CHUNKS). The record
 * stays the caller's. Allocates only while values are kept within the
 * budgets. BENCHY_ERR_NOMEM: exact values dropped, counts and histograms
 * still complete. */
BENCHY_API int benchy_collector_add(benchy_collector *c, const benchy_record *rec);
/* As add, with the prompt's expected token count for when the server
 * reports no usage (-1: unknown). */
BENCHY_API int benchy_collector_add_expected(benchy_collector *c, const benchy_record *rec,
                                             int64_t expected_input_tokens);
/* dst += src, exactly as if src's records had been added to dst. src
 * unchanged. Timelines add second by second, each from its own origin.
 * dst's percentiles and ddof are reported. Percentiles stay exact only if
 * dst can keep src's values within its budgets. BENCHY_ERR_INVALID when
 * their goodput objectives differ (the counts would not add up to one). */
BENCHY_API int benchy_collector_merge(benchy_collector *dst, const benchy_collector *src);
/* The aggregate object `benchy load` writes for a level, as JSON text
 * (malloc'd, the caller frees it with free()); NULL out of memory. Sorts
 * the kept values in place (their order carries nothing): the collector
 * can still be added to, merged and aggregated. */
BENCHY_API char *benchy_collector_aggregate(benchy_collector *c, int pretty);
/* The collector as JSON text (malloc'd; free()): its configuration, every
 * count, exact moments and the non-empty histogram buckets, no raw values.
 * NULL out of memory. */
BENCHY_API char *benchy_collector_to_json(const benchy_collector *c);
/* Reads what to_json wrote into a new collector (percentiles then come
 * from its histograms). BENCHY_ERR_INVALID with err filled when the text
 * is not a collector. */
BENCHY_API int benchy_collector_from_json(benchy_collector **out, const char *json, char *err,
                                          size_t errlen);

/* The collector a `benchy load` result keeps for one level (its
 * "aggregates"[level]."collector"), read back as from_json does: merge two
 * results' collectors and aggregate to combine them exactly. result_json:
 * the whole result document. BENCHY_ERR_INVALID with err filled when the
 * level or its collector is missing. */
BENCHY_API int benchy_collector_from_result(benchy_collector **out, const char *result_json,
                                            size_t level, char *err, size_t errlen);

/* The one place that names a percentile key in every result:
 * "p<percentile>_<metric>_<unit>", vLLM's flat shape ("p99_ttft_ms",
 * "p99.9_itl_ms"); unit NULL or "" when the metric's name already says it
 * ("p50_t_s_total"). Whole percentiles print without a point. */
BENCHY_API void benchy_percentile_key(char *buf, size_t len, double p, const char *metric,
                                      const char *unit);

#ifdef __cplusplus
}
#endif
#endif
