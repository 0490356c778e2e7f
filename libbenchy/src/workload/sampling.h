/*
 * sampling.h — what a run samples while it runs (docs/metadata.md,
 * "Sampling during the run"): GPUs and the client's CPU (meta/sampler.h) on
 * a thread of their own, and the server's Prometheus /metrics before and
 * after each level (meta/prometheus.h).
 *
 * run.c starts one per run and binds it to the run's thread; the workloads
 * mark their levels (a load level, a bench test, a script's whole run) with
 * sampling_level_begin/end, which do nothing on a thread with none bound.
 * Both are called outside the timed part of a level: begin before its clock
 * starts, end after its last request.
 */
#ifndef BENCHY_WORKLOAD_SAMPLING_H
#define BENCHY_WORKLOAD_SAMPLING_H

#include <cJSON.h>

#include "benchy/benchy.h"
#include "../util.h"

/* CPU over this share of the client's cores during a level: the client may
 * have been the limit. BENCHY_TEST_SATURATION_PCT replaces it in tests. */
#define SAMPLING_SATURATION_PCT 85.0

typedef struct sampling_run sampling_run;

/* Starts sampling for a run of opts (--sample-interval; 0: off, no thread)
 * and binds it to the calling thread. NULL when out of memory (the run
 * goes on without it). */
BENCHY_INTERNAL sampling_run *sampling_run_start(const benchy_options *opts);
/* Stops it, unbinds it, adds "sampling" to res's document (res may be
 * NULL: nothing is added) and frees r. */
BENCHY_INTERNAL void sampling_run_finish(sampling_run *r, benchy_result *res);

/* A level starts: label as the result's table shows it ("c8", "pp512"). */
BENCHY_INTERNAL void sampling_level_begin(const char *label);
/* The open level ends: adds "gpu", "client_cpu" and (when the server has
 * /metrics) "server_metrics" to obj, and a warning to obj's "warnings" and
 * the screen when the client saturated. where names the level in the
 * warning ("level 2/3 (c8)"). */
BENCHY_INTERNAL void sampling_level_end(cJSON *obj, const char *where);
/* A warning about the level, both in obj's "warnings" and on screen
 * (open-loop dispatch lag, found by the workload). */
BENCHY_INTERNAL void sampling_level_warn(cJSON *obj, const char *where, const char *msg);

/* Moves every item of src into dst and frees src (NULL: nothing); src's
 * "warnings" join dst's. Lets a workload take the figures when a level
 * ends and write them after the level's own. */
BENCHY_INTERNAL void sampling_move_into(cJSON *dst, cJSON *src);
/* Adds to row the figures of the parts that measured it (each an object
 * sampling_level_end filled; NULL ones skipped): GPU peaks and maxima the
 * largest, means weighted by their readings, the busiest part's client CPU,
 * server metric deltas summed and the last part's gauges, every warning. */
BENCHY_INTERNAL void sampling_merge_into(cJSON *row, const cJSON *const *parts, size_t n);

#endif
