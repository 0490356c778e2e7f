/*
 * bench_metrics.h — what `benchy bench` measures of one request (prefill and
 * decode rates, latency-corrected times, prompt/output length checks, the
 * depth cache hit) and of one run of `concurrency` requests together (total
 * and peak rates).
 *
 * A request's figures are computed once from its record and stored with it
 * in the journal as "bench"; --resume rebuilds them from there. Both
 * directions read one table of the fields (bench_metrics.c), so what is
 * written is exactly what is read back.
 */
#ifndef BENCHY_WORKLOAD_BENCH_METRICS_H
#define BENCHY_WORKLOAD_BENCH_METRICS_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"
#include "prompt.h"

enum { CACHE_NA = 0, CACHE_HIT, CACHE_PARTIAL, CACHE_MISS, CACHE_UNKNOWN };

typedef struct req_m {
  int filled; /* holds a result, measured now or reloaded */
  int status, http_status;
  char *error, *finish_reason;
  int64_t prompt_target, context_target, output_target;
  int64_t prompt_tokens, cached_tokens, timed_tokens, output_tokens, token_chunks; /* -1 unknown */
  int count_method;
  double first_chunk_tokens; /* tokens carried by the first token chunk */
  double ttfr_ms, ttft_ms, est_ppt_ms, e2e_ms, pp_tps, tg_tps, srv_pp_tps, srv_tg_tps; /* NaN unknown */
  double ttfb_ms; /* request written to first response byte */
  int prompt_exact;   /* 1, 0, -1 not reported */
  int prompt_counted; /* the length was counted by the server before sending */
  int output_exact;   /* 1, 0, -1 not reported */
  int early_stop;
  int cache;          /* CACHE_* */
  int cache_extra;    /* more of the prompt was cached than the depth context */
  int64_t t_dispatched, t_first_token, t_last_token;
  /* Token chunks of a live run (for peak t/s): times and tokens (-1 unknown). */
  int64_t *ct;
  int32_t *ctok;
  size_t nc, cap;
  cJSON *rec; /* the record as JSON, until it moves into the document */
} req_m;

/* One run: `concurrency` requests started together. */
typedef struct run_m {
  int done;
  double pp_total, tg_total, peak; /* t/s, NaN unknown */
} run_m;

/* What a request's figures depend on besides its record. */
typedef struct bench_req_shape {
  int64_t pp, tg, depth;
  int cached_mode;   /* --depth-mode cached: the depth context was sent first */
  double latency_ms; /* network latency, subtracted from prefill */
} bench_req_shape;

/* A figure into o: a number, or null when unknown (not finite). */
BENCHY_INTERNAL void bench_add_num(cJSON *o, const char *name, double v);

/* ns to ms; NaN for a negative (absent) duration. */
BENCHY_INTERNAL double bench_ns_ms(int64_t ns);

/* Records a token chunk of a live request (time, tokens or -1). Out of
 * memory drops the chunk: the peak rate is then computed without it. */
BENCHY_INTERNAL void bench_metrics_add_chunk(req_m *m, int64_t t_ns, int32_t tokens);

/* Fills m (cleared, or with chunks only) from a completed request: rec and
 * the prompt pt it was sent with. */
BENCHY_INTERNAL void bench_metrics_compute(req_m *m, const bench_req_shape *s, const benchy_record *rec,
                                           const prompt_text *pt);

/* The figures as the journal's and the result's "bench" object. NULL: out of memory. */
BENCHY_INTERNAL cJSON *bench_metrics_to_json(const req_m *m);

/* Rebuilds m from a record written by an earlier run (its "status",
 * "http_status", "error", "finish_reason" and "bench"); keeps a copy of rec.
 * 0, or -1 when rec has no "bench" object or memory ran out. */
BENCHY_INTERNAL int bench_metrics_from_json(req_m *m, const cJSON *rec);

/* Frees what m holds and zeroes it. */
BENCHY_INTERNAL void bench_metrics_clear(req_m *m);
/* Frees the chunk times once the run's totals are taken. */
BENCHY_INTERNAL void bench_metrics_drop_chunks(req_m *m);

/* Total prefill and decode rates of a run's n requests (their spans
 * together, latency subtracted from prefill) and its peak decode rate
 * (bench_peak.h), into r (done is left as it is). */
BENCHY_INTERNAL void bench_run_totals(const req_m *reqs, size_t n, double latency_ms, run_m *r);

#endif
