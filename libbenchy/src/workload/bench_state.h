/*
 * bench_state.h — the state of one `benchy bench` run, shared by the
 * files that carry it out:
 *   bench.c          the run: startup steps, requests, the matrix, the result
 *   bench_options.c  the options decoded into the matrix of tests
 *   bench_journal.c  the --jsonl journal: written as requests complete, read by --resume
 *   bench_doc.c      the table rows and the result document
 * with bench_metrics.h (per request and per run figures), bench_plan.h (the
 * rows) and target.h (the server).
 */
#ifndef BENCHY_WORKLOAD_BENCH_STATE_H
#define BENCHY_WORKLOAD_BENCH_STATE_H

#include <cJSON.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "benchy/benchy.h"
#include "../report/jsonl.h"
#include "../util.h"
#include "bench_metrics.h"
#include "bench_plan.h"
#include "prompt.h"
#include "request_body.h"
#include "target.h"

enum { LAT_API = 0, LAT_GENERATION = 1, LAT_NONE = 2 };

/* One (pp, tg, depth, concurrency) shape and what its runs measured. */
typedef struct test_t {
  int64_t pp, tg, depth, conc;
  char key[96];
  req_m *reqs; /* runs * conc */
  run_m *runs;
  cJSON *sampled; /* its runs' GPU, client CPU and /metrics figures (sampling.h); NULL: none */
} test_t;

/* The lists the matrix was built from, as given. */
typedef struct bench_matrix {
  int64_t *pp, *tg, *depth, *conc;
  size_t npp, ntg, nd, nc;
} bench_matrix;

typedef struct bench {
  const benchy_options *opts;
  target tgt;
  char *model;
  const char *served, *name, *jsonl_path;
  benchy_endpoint api;
  int64_t timeout_ms;
  int cached_mode, mode_implied, no_cache, latency_mode, ddof, raw, threads, runs, warmup, resume;
  double *pcts;
  size_t n_pcts;
  time_t started_at; /* wall clock at the start: the metadata's started_at */
  uint64_t seed;        /* --seed */
  uint64_t text_seed;   /* what prompt texts are drawn with */
  int seed_given;
  test_t *tests;
  size_t n_tests;
  bench_row_plan *rows; /* the table: one row per distinct test */
  size_t n_rows;

  prompt_gen *pg;
  double latency_ms;
  int64_t t0;
  jsonl_writer *jl;
  char attempt[48];
  char fingerprint[1024];
  cJSON *server; /* what was learnt of the server */
  cJSON *server_reported; /* the server as it described itself at startup (meta_server_reported) */
  request_body *rbody;
  int fingerprint_mismatch;

  pthread_mutex_t mu;
  long fills_failed;
  char fill_error[256];
} bench;

/* bench_options.c: the options into b (matrix, rows, fingerprint). */
BENCHY_INTERNAL int bench_parse_options(bench *b, char *err, size_t errlen);

/* bench_journal.c */
/* What must match for --resume to continue a file, less the model. */
BENCHY_INTERNAL int bench_journal_fingerprint(bench *b, const bench_matrix *mx);
/* Adds the model, once the server has named it. */
BENCHY_INTERNAL int bench_journal_add_model(bench *b, char *err, size_t errlen);
/* --resume: reloads the complete runs of b->jsonl_path into b's tests. */
BENCHY_INTERNAL int bench_journal_resume(bench *b, char *err, size_t errlen);
/* Opens --jsonl (when given) with a header line holding config (kept by the caller). */
BENCHY_INTERNAL int bench_journal_open(bench *b, const cJSON *config, char *err, size_t errlen);
/* A completed request's record line (rj stays the caller's). */
BENCHY_INTERNAL void bench_journal_record(bench *b, const test_t *t, int run, uint64_t index, cJSON *rj);
/* The line that vouches for a complete run. */
BENCHY_INTERNAL void bench_journal_run(bench *b, const test_t *t, int run, const run_m *r);

/* bench_doc.c: the result document (takes config); moves the records out of b. */
BENCHY_INTERNAL cJSON *bench_doc_build(bench *b, int status, cJSON *config);

#endif
