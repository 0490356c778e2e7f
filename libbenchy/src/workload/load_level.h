/*
 * load_level.h — running one level of a `benchy load` run (load_level.c):
 * warm-up, the runner's hooks, merging the threads' figures, the level's
 * part of the result. What it sends comes from load_requests.h.
 */
#ifndef BENCHY_WORKLOAD_LOAD_LEVEL_H
#define BENCHY_WORKLOAD_LOAD_LEVEL_H

#include <cJSON.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "load_plan.h"
#include "load_requests.h"
#include "load_resume.h"

/* A record kept for the result document, and where it goes in it. */
typedef struct kept_record {
  uint64_t index;
  cJSON *rec;
} kept_record;

typedef struct thread_state {
  benchy_collector *coll;
  load_cache_tally cache;
  kept_record *records; /* at most --max-records over all threads */
  size_t n, cap;
  int64_t input_mismatches;
} thread_state;

typedef struct level_run {
  load_plan *plan;
  const load_level *lv;
  int warmup;               /* warm-up pass: nothing is recorded */
  level_requests rq;        /* what it sends, built before its clock starts */
  int64_t *offsets;         /* open loop with a rate: intended offsets; else NULL */
  uint64_t count;
  int64_t t0;
  /* The level's clock origin: t0, or for a level continued from --jsonl the
   * moment the earlier run's part would have started on this run's clock,
   * so that both parts are one timeline without the pause between. */
  int64_t t0_level;
  uint64_t *index_map;      /* continued level: runner index j sends level index index_map[j] */
  uint64_t n_map;
  uint64_t index_base;      /* continued --duration level: level index = index_base + j */
  int all_at_t0;            /* open loop without a rate: every request due at t0 */
  thread_state *ts;
  int n_threads;
  atomic_llong failures;
  atomic_int stopped_by_errors;
  int cycle;                /* request i may reuse rq.bodies[i % rq.n_bodies] */
  atomic_int ran_out;       /* a --duration level used every prompt it had */
  atomic_llong records_kept;    /* in memory for the result document */
  atomic_size_t request_claims; /* against LOAD_RAW_REQUEST_BUDGET, by every thread */
  atomic_llong records_omitted; /* past LOAD_RECORDS_IN_MEMORY: in --jsonl only */
  atomic_llong jsonl_errors;    /* record lines that could not be written */
} level_run;

/* Runs one level: warm-up, measured requests, aggregates into level_obj,
 * records appended to records (in index order). prior: what --resume found
 * of the level in --jsonl, or NULL. */
BENCHY_INTERNAL int load_run_level(load_plan *p, const load_level *lv, cJSON *level_obj,
                                   cJSON *records, resumed_level *prior, char *err, size_t errlen);

#endif
