/*
 * dispatch_lag.h — whether an open-loop load level's client kept to its
 * schedule. With a finite --request-rate and no --max-concurrency, a
 * request's queue time (dispatched - scheduled) is the client's own
 * lateness: nothing else holds it back. When the level's second half went
 * later than its first by more than DISPATCH_LAG_GROWTH_MS on average, the
 * client fell behind the arrivals it was asked for, and the level says so
 * (docs/load.md; docs/metadata.md, "Sampling during the run").
 */
#ifndef BENCHY_WORKLOAD_DISPATCH_LAG_H
#define BENCHY_WORKLOAD_DISPATCH_LAG_H

#include <cJSON.h>
#include <stddef.h>

#include "load_level.h"

/* BENCHY_TEST_DISPATCH_LAG_MS replaces it in tests. */
#define DISPATCH_LAG_GROWTH_MS 10.0

/* Adds "dispatch_lag_ms" {"first_half_mean", "second_half_mean", "max"} to
 * level_obj from the kept records (their "index" and "queue_ms"), and a
 * warning (sampling.h) when the lag grew; where names the level. */
BENCHY_INTERNAL void dispatch_lag_judge(const kept_record *all, size_t n, cJSON *level_obj,
                                        const char *where);

#endif
