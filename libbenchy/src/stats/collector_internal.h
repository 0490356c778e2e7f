/*
 * collector_internal.h — the figures of `benchy load`, from per-request
 * records to per-level aggregates (docs/load.md defines each one), behind
 * the public benchy/collector.h: a benchy_collector is one load_acc with
 * its aggregate configuration.
 *
 * Kept apart from load.c so that they can be tested with synthetic records:
 * nothing here talks to a server.
 *
 * Flow. Each runner thread owns a load_acc. For every finished request,
 * load_ingest() turns the benchy_record (with its chunk events) into a
 * load_sample (a few numbers) and streams it into the accumulator: counts,
 * token totals and goodput as running sums; each per-request latency, and
 * each inter-token gap, into a load_dist: a histogram and exact moments,
 * and the exact value while the level is within its budget (requests for
 * the per-request latencies, gaps per kind for ITL); tokens into the
 * per-second timeline. Nothing is kept per request beyond the budgets, so
 * memory does not grow with the length of a run: past a budget,
 * percentiles come from the histograms (0.4% relative error) and the
 * result says so; means and standard deviations always come from the
 * exact moments. After the level, the accumulators are merged (exactly)
 * and load_aggregate() writes the level's JSON object.
 *
 * Tokens per chunk. ITL per token needs each chunk's token count: taken
 * from benchy_chunk_event.tokens when the server said (benchy sim,
 * llama-server timings); otherwise the tokens the chunks do not account for
 * (usage.completion_tokens minus the known ones) are spread over the
 * unknown chunks in proportion to their text bytes, each at least one,
 * rounded cumulatively so the counts add up exactly.
 */
#ifndef BENCHY_STATS_COLLECTOR_INTERNAL_H
#define BENCHY_STATS_COLLECTOR_INTERNAL_H

#include <cJSON.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"
#include "benchy/collector.h"

/* What one request contributes to the per-request statistics. Times are
 * monotonic ns (0: did not happen); spans are ns, -1 when not defined. */
typedef struct load_sample {
  int status;               /* benchy_status */
  int http_status;
  int64_t t_scheduled, t_dispatched, t_done;
  int64_t ttft_ns;          /* first token - dispatch */
  int64_t ttfr_ns;          /* first chunk of any kind - dispatch */
  int64_t tpot_ns;          /* (e2el - ttft) / (output_tokens - 1) */
  int64_t e2el_ns;          /* done - dispatch */
  int64_t queue_ns;         /* dispatch - schedule: client-side wait */
  int64_t output_tokens;    /* best count (usage, else server chunks, else chunks) */
  int64_t usage_output_tokens; /* -1 when the server sent no usage */
  int64_t chunk_output_tokens; /* server per-chunk counts, else token-carrying chunks */
  int64_t input_tokens;     /* usage.prompt_tokens, else the dataset's expectation; -1 */
  int64_t cached_tokens;    /* prompt tokens served from the server's cache; -1 */
} load_sample;

/* Service-level objectives in ms; <= 0 means not set. */
typedef struct load_slo {
  double ttft_ms, tpot_ms, e2el_ms;
} load_slo;

/* Parses --goodput items: each "metric:ms", several allowed per item
 * separated by spaces or commas. BENCHY_ERR_INVALID with err filled. */
BENCHY_INTERNAL int load_slo_parse(const char *const *items, size_t n, load_slo *out, char *err,
                                   size_t errlen);
BENCHY_INTERNAL int load_slo_any(const load_slo *slo);
/* 1 when a successful request meets every set objective; from_schedule
 * measures TTFT and E2EL from the intended send time instead of dispatch.
 * A one-token answer has no TPOT and meets a TPOT objective. */
BENCHY_INTERNAL int load_sample_meets(const load_sample *s, const load_slo *slo, int from_schedule);

/* Per-second activity, second i covering [t0 + i s, t0 + (i+1) s). */
typedef struct load_bucket {
  int64_t started, completed, failed, output_tokens;
} load_bucket;

/* One latency (per request, or ITL): a histogram (ns) and exact moments
 * (ns) of every value, and the values themselves while the accumulator
 * keeps them, in ms because that is what percentiles are interpolated in. */
typedef struct load_dist {
  benchy_hist *hist;
  benchy_moments m;
  double *raw_ms;
  size_t n_raw, cap_raw;
} load_dist;

enum {
  LOAD_M_TTFT,
  LOAD_M_TTFR,
  LOAD_M_TPOT,
  LOAD_M_E2EL,
  LOAD_M_QUEUE,
  LOAD_M_TTFT_SCHED,
  LOAD_M_E2EL_SCHED,
  LOAD_M_COUNT
};

enum {
  LOAD_ITL_CHUNK, /* one per gap between token-carrying chunks */
  LOAD_ITL_TOKEN, /* k per gap of a k-token chunk, each gap/k */
  LOAD_ITL_COUNT
};

#define LOAD_FAILURE_KINDS 9
#define LOAD_HTTP_CODES 1000

typedef struct load_span {
  int64_t from, to; /* dispatched, done */
} load_span;

typedef struct load_acc {
  load_dist itl[LOAD_ITL_COUNT];
  size_t itl_budget;       /* ITL values kept per kind; 0 = unlimited */
  int itl_overflow;        /* some ITL value was not kept: use the histograms */
  load_bucket *buckets;
  size_t n_buckets;
  int64_t t0;              /* timeline origin */
  uint64_t chunk_count_spread; /* requests whose chunk token counts were spread from usage */
  int64_t *scratch;        /* per-chunk token counts of the request being ingested */
  size_t scratch_cap;

  /* Per-request statistics, streamed by load_acc_add_sample. */
  load_slo slo;            /* for goodput, counted as requests arrive */
  size_t req_budget;       /* requests whose values are kept exactly; 0 = all */
  size_t req_kept;
  /* Requests claimed against req_budget by every accumulator of a level,
   * so that the budget holds per level however requests fall on threads;
   * NULL: this accumulator counts alone. */
  atomic_size_t *req_claims;
  int req_overflow;        /* some were not: percentiles from the histograms */
  int64_t n_requests, completed, failed, cancelled;
  int64_t kind_counts[LOAD_FAILURE_KINDS];
  int64_t *http_counts;    /* [LOAD_HTTP_CODES], failed requests by HTTP status */
  int64_t start, end;      /* earliest schedule, latest completion */
  int64_t in_tokens, out_tokens, usage_tokens, chunk_tokens;
  int64_t disagreements, usage_missing, input_unknown, cached;
  int64_t cached_reported; /* successful requests whose server said what it cached */
  int64_t good, good_sched;
  load_dist dist[LOAD_M_COUNT];
  load_span *spans;        /* while kept: for the exact peak of concurrency */
  size_t n_spans, cap_spans;
  int64_t max_in_flight;   /* the runner's peak, used once spans are dropped; -1 */
} load_acc;

#define LOAD_HIST_BITS 8 /* 0.4% relative error for histogram percentiles */

BENCHY_INTERNAL int load_acc_init(load_acc *a, int64_t t0, size_t itl_budget);
/* Keep the exact values of at most budget requests (0: all; the default). */
BENCHY_INTERNAL void load_acc_limit_requests(load_acc *a, size_t budget);
/* Claims requests against the budget through a counter shared with the
 * level's other accumulators (zeroed before the level starts). */
BENCHY_INTERNAL void load_acc_share_request_budget(load_acc *a, atomic_size_t *claims);
BENCHY_INTERNAL void load_acc_set_slo(load_acc *a, const load_slo *slo);
/* Streams one request's figures into a (load_ingest does it). Returns 0,
 * or -1 out of memory (then the exact values are dropped, as past the
 * budget; counts and histograms stay complete). */
BENCHY_INTERNAL int load_acc_add_sample(load_acc *a, const load_sample *s);
BENCHY_INTERNAL void load_acc_free(load_acc *a);
/* into += from, as if from's requests had been ingested into into. */
BENCHY_INTERNAL int load_acc_merge(load_acc *into, const load_acc *from);

/* Tokens of each token-carrying chunk of events[0..n) (others get 0), as
 * described above; total is the request's output token count (<= 0: count
 * what the chunks say, unknown chunks as 1). Returns 1 when some count was
 * spread rather than reported. */
BENCHY_INTERNAL int load_chunk_tokens(const benchy_chunk_event *ev, size_t n, int64_t total,
                                      int64_t *k_out);

/* Turns a finished record into a sample, streams it into acc and, for a
 * successful request, adds its gaps and tokens to acc (chunk events are
 * needed for those: request them with BENCHY_KEEP_CHUNKS). expected_input: the dataset's
 * prompt length, used when the server reports no usage (-1 unknown).
 * Returns 0, or -1 out of memory (the sample is still filled). out may be
 * NULL when only acc wants the request. */
BENCHY_INTERNAL int load_ingest(load_acc *acc, const benchy_record *r,
                                int64_t expected_input, load_sample *out);
/* Prompt tokens the server served from its cache: llama.cpp's
 * timings.cache_n, else usage.prompt_tokens_details.cached_tokens; -1 when
 * the server said neither. */
BENCHY_INTERNAL int64_t load_record_cached_tokens(const benchy_record *r);

/* The sample alone (no accumulator). */
BENCHY_INTERNAL void load_sample_from_record(const benchy_record *r,
                                             int64_t expected_input, load_sample *out);

typedef struct load_agg_config {
  const double *percentiles;
  size_t n_percentiles;
  int ddof;             /* stddev: 1 sample, 0 population */
} load_agg_config;

/* Adds the level's aggregates to obj: counts, failures by kind, throughput,
 * goodput (by acc's SLO), per-metric mean/median/std/min/max/percentiles
 * (percentiles exact while acc kept every value, else from its histograms;
 * likewise ITL), the peak second and the timeline. Returns 0, or -1 out
 * of memory. Sorts acc's kept values in place: a copy would double the
 * level's largest allocations (32 MB per ITL kind at the budget), and their
 * order carries nothing, the moments being held apart, so acc can still be
 * merged or aggregated again with the same figures. */
BENCHY_INTERNAL int load_aggregate(load_acc *acc, const load_agg_config *cfg, cJSON *obj);

struct benchy_collector {
  load_acc acc;
  load_agg_config agg;
  double *percentiles; /* agg.percentiles points here */
  int t0_pending;      /* the timeline origin is the first request's time */
};

/* Adds the aggregate keys to obj (load.c writes them into its level). */
BENCHY_INTERNAL int collector_aggregate_into(benchy_collector *c, cJSON *obj);
/* Claims requests against a request budget shared by a level's
 * collectors, one per thread (see load_acc_share_request_budget). */
BENCHY_INTERNAL void collector_share_request_budget(benchy_collector *c, atomic_size_t *claims);
/* The runner's peak of requests in flight, used once spans are dropped. */
BENCHY_INTERNAL void collector_set_max_in_flight(benchy_collector *c, int64_t n);
BENCHY_INTERNAL void collector_set_itl_budget(benchy_collector *c, size_t budget);
BENCHY_INTERNAL const char *const *collector_failure_kinds(void);
BENCHY_INTERNAL int64_t collector_max_concurrency(const load_acc *a);
/* benchy_collector_to_json's object, for a result document to hold. */
BENCHY_INTERNAL cJSON *collector_to_cjson(const benchy_collector *c);

/* The failure kind of a status, as written in "failed_by_kind":
 * rate_limited, http_error, timeout, disconnect, malformed, server_error,
 * connect, transport, other. NULL for OK and CANCELLED. */
BENCHY_INTERNAL const char *load_failure_kind(int status);
/* Its index in collector_failure_kinds() (other for OK and CANCELLED too:
 * callers count failures only). */
BENCHY_INTERNAL int load_failure_kind_index(int status);

#endif
