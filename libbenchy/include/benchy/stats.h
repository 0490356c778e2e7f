/*
 * Statistics that merge exactly: per-thread, per-run and per-shard results
 * combine without raw samples.
 *
 *  - benchy_moments: count, mean, variance (Welford; Chan et al. to merge),
 *    min, max. A plain value type.
 *  - benchy_hist: a log-linear histogram of non-negative integers (ns,
 *    tokens) with bounded relative error; percentiles from it are within
 *    that error of the exact value.
 *  - benchy_percentile(): exact percentiles of a sorted sample with linear
 *    interpolation, numpy's default, for when samples are kept.
 */
#ifndef BENCHY_STATS_H
#define BENCHY_STATS_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef struct benchy_moments {
  uint64_t n;
  double mean;
  double m2; /* sum of squared deviations from the mean */
  double min;
  double max;
} benchy_moments;

#define BENCHY_MOMENTS_INIT {0, 0.0, 0.0, 0.0, 0.0}

BENCHY_API void benchy_moments_init(benchy_moments *m);
BENCHY_API void benchy_moments_add(benchy_moments *m, double x);
/* into += from, exactly as if every sample of from had been added to into. */
BENCHY_API void benchy_moments_merge(benchy_moments *into, const benchy_moments *from);
/* NaN when n == 0. */
BENCHY_API double benchy_moments_mean(const benchy_moments *m);
/* ddof 1: sample stddev (llama-bench); ddof 0: population (numpy default,
 * vLLM, llama-benchy). NaN when n <= ddof. */
BENCHY_API double benchy_moments_stddev(const benchy_moments *m, int ddof);

typedef struct benchy_hist benchy_hist;

/* precision_bits sub-buckets per power of two: relative error of any
 * reported value is at most 2^-precision_bits (7 → 0.78%). Valid: 1..12. */
BENCHY_API int benchy_hist_new(benchy_hist **out, int precision_bits);
BENCHY_API void benchy_hist_free(benchy_hist *h);
/* Negative values are recorded as 0. */
BENCHY_API void benchy_hist_add(benchy_hist *h, int64_t value);
BENCHY_API void benchy_hist_add_n(benchy_hist *h, int64_t value, uint64_t count);
/* Both must share precision_bits, else BENCHY_ERR_INVALID. */
BENCHY_API int benchy_hist_merge(benchy_hist *into, const benchy_hist *from);
BENCHY_API void benchy_hist_reset(benchy_hist *h);
BENCHY_API uint64_t benchy_hist_count(const benchy_hist *h);
BENCHY_API int64_t benchy_hist_min(const benchy_hist *h); /* exact */
BENCHY_API int64_t benchy_hist_max(const benchy_hist *h); /* exact */
BENCHY_API double benchy_hist_mean(const benchy_hist *h); /* exact; NaN when empty */
/* p in [0, 100]; the value at nearest rank ceil(p/100 * count) (p = 0 is
 * min, p = 100 is max, both exact), within the relative error, clamped to
 * [min, max]. 0 when empty. */
BENCHY_API int64_t benchy_hist_percentile(const benchy_hist *h, double p);
/* n percentiles at once into a caller-owned array; one pass when ps is
 * ascending (any order gives the right answers). */
BENCHY_API void benchy_hist_percentiles(const benchy_hist *h, const double *ps, size_t n,
                                        int64_t *out);
/* Largest relative error this histogram's buckets allow: 2^-precision_bits. */
BENCHY_API double benchy_hist_relative_error(const benchy_hist *h);
/* The precision_bits it was created with (0 for NULL). */
BENCHY_API int benchy_hist_precision_bits(const benchy_hist *h);

/* Iterate non-empty buckets in ascending order: *it starts at 0; each call
 * gives one bucket's inclusive range [low, high] and its count; returns 0
 * when done. Allocates nothing. */
BENCHY_API int benchy_hist_next_bucket(const benchy_hist *h, size_t *it, int64_t *low,
                                       int64_t *high, uint64_t *count);

/* Exact percentile of sorted[0..n) with linear interpolation between closest
 * ranks (numpy.percentile's default "linear" method). p in [0, 100]. NaN when
 * n == 0. */
BENCHY_API double benchy_percentile_sorted(const double *sorted, size_t n, double p);
/* Sorts values in place, then as above for each p. */
BENCHY_API void benchy_percentiles(double *values, size_t n, const double *ps, size_t np,
                                   double *out);

#ifdef __cplusplus
}
#endif
#endif
