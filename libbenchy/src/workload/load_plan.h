/*
 * load_plan.h — what a `benchy load` run is, decoded once from its options
 * (load_plan.c): the target, the levels of a sweep, the dataset, the
 * statistics asked for, and the --jsonl journal; plus what the run holds
 * while it goes (setup session, prompt generator, request body rules,
 * journal writer). Shared by the files of `benchy load`: load.c (setup and
 * the result document), load_requests.c (what a level sends), load_level.c
 * (running a level) and load_journal.c (--jsonl and --resume).
 */
#ifndef BENCHY_WORKLOAD_LOAD_PLAN_H
#define BENCHY_WORKLOAD_LOAD_PLAN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "benchy/benchy.h"
#include "../report/jsonl.h"
#include "../util.h"
#include "dataset.h"
#include "load_freshness.h"
#include "../stats/collector_internal.h"
#include "prompt.h"
#include "request_body.h"
#include "run_progress.h"

typedef struct load_level {
  size_t number;
  char label[80];
  double rate;              /* INFINITY: no rate limit */
  uint64_t max_concurrency; /* 0: unlimited */
  int closed;
} load_level;

typedef struct load_plan {
  const benchy_options *opts;
  long long max_records; /* per level, in the result document */
  char *base_url;
  char *model;
  benchy_endpoint api;
  const char *api_key;
  const char **headers;
  size_t n_headers;
  int64_t timeout_ms;
  int threads;
  load_level *levels;
  size_t n_levels;
  int arrival_kind;
  double shape, ramp_up_s, duration_s;
  uint64_t num_prompts;
  int64_t warmup;
  uint64_t seed;
  uint64_t nonce;     /* mixed into synthetic texts (load_freshness.h); 0: the seed's own */
  int repeat_prompts; /* --repeat-prompts: the seed's texts, cycled when --duration needs more */
  load_repeats repeats;
  int raw, no_cache, quiet;
  int dataset_kind;
  dataset file_data;
  int64_t input_len, output_len, prefix_len, num_groups;
  double range_ratio;
  double *percentiles;
  size_t n_percentiles;
  int ddof;
  load_slo slo;
  int64_t max_errors; /* 0: no limit */
  const char *jsonl_path;
  int resume;
  int retry_failed;
  benchy_loop *setup_loop;
  benchy_session *setup_session; /* probes and prompt sizing: --probe-timeout */
  int setup_watch;               /* interrupt_watch slot of setup_loop, -1 none */
  cJSON *server_reported;        /* the server as it described itself at startup (meta_server_reported) */
  prompt_gen *pgen;
  request_body *rbody;
  jsonl_writer *jsonl;
  int64_t run_t0;
} load_plan;

/* Options into p (p->opts set by the caller): every check that needs no
 * server, with an error naming the option and what to give instead. */
BENCHY_INTERNAL int load_plan_options(load_plan *p, char *err, size_t errlen);
/* Everything the plan holds (setup session, journal, generator, ...). */
BENCHY_INTERNAL void load_plan_free(load_plan *p);
/* How a level's requests are due: "closed_loop", "all_at_once" (open loop,
 * rate inf), or the arrival process of a finite rate. */
BENCHY_INTERNAL const char *load_level_arrival(const load_plan *p, const load_level *lv);

/* What `benchy load` says as it goes, as run messages (run_progress.h): the
 * caller's progress callback decides whether a person sees it (the CLI
 * prints it unless --quiet). Static inline so that each file of load keeps
 * its progress() calls. */
static inline void progress(const load_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void progress(const load_plan *p, const char *fmt, ...) {
  (void)p;
  va_list ap;
  va_start(ap, fmt);
  run_vmessage(fmt, ap);
  va_end(ap);
}

#endif
