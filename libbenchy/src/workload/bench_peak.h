/*
 * bench_peak.h — peak t/s of a bench run: the most output tokens that the
 * run's streams together delivered within any window of one second (or of
 * the whole decode span when shorter), per second.
 */
#ifndef BENCHY_WORKLOAD_BENCH_PEAK_H
#define BENCHY_WORKLOAD_BENCH_PEAK_H

#include <stddef.h>
#include <stdint.h>

#include "../util.h"

/* One request's token chunks: arrival times (ns) and tokens per chunk. */
typedef struct peak_stream {
  const int64_t *t;
  const double *tokens;
  size_t n;
} peak_stream;

/* NaN when no stream has two chunks at different times (no decode span). */
BENCHY_INTERNAL double bench_peak_rate(const peak_stream *streams, size_t n_streams, int64_t max_window_ns);

#endif
