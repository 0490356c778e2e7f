/*
 * bench_doc.c — the result of `benchy bench` (bench_state.h): one table
 * row per distinct test, pooling every request and run of the shapes that
 * measured it (bench_plan.h), with the run's metadata and its records.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/collector.h"
#include "../report/result_internal.h"
#include "../report/run_metadata.h"
#include "../report/stat_key.h"
#include "bench_state.h"
#include "sampling.h"
#include "server_facts.h"

typedef struct series {
  double *v;
  size_t n, cap;
} series;

static void series_add(series *s, double x) {
  if (!isfinite(x)) return;
  double *room = benchy_grow(s->v, &s->cap, s->n + 1, sizeof *room);
  if (!room) return;
  s->v = room;
  s->v[s->n++] = x;
}

/* mean_<name>, std_<name>, n_<name>, min_<name>, max_<name> and
 * p<P>_<name> for each percentile: the flat shape load's levels use
 * (docs/results.md, "Percentile keys"); every one null but n_ (0) when
 * the statistic has no samples. */
static void add_stat(const bench *b, cJSON *row, const char *name, series *s) {
  benchy_moments m;
  benchy_moments_init(&m);
  for (size_t i = 0; i < s->n; i++) benchy_moments_add(&m, s->v[i]);
  int any = s->n > 0;
  char key[96];
  stat_key(key, sizeof key, "mean", name);
  bench_add_num(row, key, any ? benchy_moments_mean(&m) : NAN);
  stat_key(key, sizeof key, "std", name);
  bench_add_num(row, key, any ? benchy_moments_stddev(&m, b->ddof) : NAN);
  stat_key(key, sizeof key, "n", name);
  cJSON_AddNumberToObject(row, key, (double)m.n);
  stat_key(key, sizeof key, "min", name);
  bench_add_num(row, key, any ? m.min : NAN);
  stat_key(key, sizeof key, "max", name);
  bench_add_num(row, key, any ? m.max : NAN);
  double *out = calloc(b->n_pcts ? b->n_pcts : 1, sizeof *out);
  if (out && any) benchy_percentiles(s->v, s->n, b->pcts, b->n_pcts, out);
  for (size_t i = 0; out && i < b->n_pcts; i++) {
    benchy_percentile_key(key, sizeof key, b->pcts[i], name, NULL);
    bench_add_num(row, key, any ? out[i] : NAN);
  }
  free(out);
  free(s->v);
  *s = (series){0};
}

static void add_flag(cJSON *flags, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_flag(cJSON *flags, const char *fmt, ...) {
  char text[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  cJSON_AddItemToArray(flags, cJSON_CreateString(text));
}

/* What the requests of one row add up to. */
typedef struct row_tally {
  series total, req, peak, ttfr, ppt, ttft, e2e, srv, ptok, timed, otok, ttfb;
  int runs_done;
  long n, ok, prompt_off, prompt_unknown, short_out, out_unknown;
  long hit, partial, miss, cache_unknown, extra;
  int64_t off_example_got, short_example;
  double cached_min;
  const char *first_error, *short_reason;
} row_tally;

static void tally_pp(row_tally *y, const req_m *m) {
  series_add(&y->req, m->pp_tps);
  series_add(&y->ttfr, m->ttfr_ms);
  series_add(&y->ppt, m->est_ppt_ms);
  series_add(&y->ttft, m->ttft_ms);
  series_add(&y->srv, m->srv_pp_tps);
  series_add(&y->ttfb, m->ttfb_ms);
  series_add(&y->ptok, m->prompt_tokens >= 0 ? (double)m->prompt_tokens : NAN);
  series_add(&y->timed, m->timed_tokens >= 0 ? (double)m->timed_tokens : NAN);
  if (m->prompt_exact == 0) {
    if (!y->prompt_off) y->off_example_got = m->prompt_tokens;
    y->prompt_off++;
  } else if (m->prompt_exact < 0) {
    y->prompt_unknown++;
  }
  y->extra += m->cache_extra;
  switch (m->cache) {
  case CACHE_HIT: y->hit++; break;
  case CACHE_PARTIAL: y->partial++; break;
  case CACHE_MISS: y->miss++; break;
  case CACHE_UNKNOWN: y->cache_unknown++; break;
  default: break;
  }
  if (m->cache != CACHE_NA && m->cached_tokens >= 0 && !((double)m->cached_tokens >= y->cached_min))
    y->cached_min = (double)m->cached_tokens;
}

static void tally_tg(row_tally *y, const req_m *m) {
  series_add(&y->req, m->tg_tps);
  series_add(&y->srv, m->srv_tg_tps);
  series_add(&y->otok, m->output_tokens >= 0 ? (double)m->output_tokens : NAN);
  if (m->early_stop) {
    if (!y->short_out) {
      y->short_example = m->output_tokens;
      y->short_reason = m->finish_reason;
    }
    y->short_out++;
  }
  if (m->output_exact < 0) y->out_unknown++;
}

static void tally_row(const bench *b, const bench_row_plan *rp, row_tally *y) {
  for (size_t si = 0; si < rp->n_shapes; si++) {
    const test_t *t = &b->tests[rp->shapes[si]];
    for (int r = 0; r < b->runs; r++) {
      const run_m *rm = &t->runs[r];
      if (rm->done) {
        y->runs_done++;
        series_add(&y->total, rp->is_pp ? rm->pp_total : rm->tg_total);
        if (!rp->is_pp) series_add(&y->peak, rm->peak);
      }
      for (int64_t i = 0; i < t->conc; i++) {
        const req_m *m = &t->reqs[(size_t)r * (size_t)t->conc + (size_t)i];
        if (!m->filled) continue;
        y->n++;
        if (m->status != BENCHY_OK) {
          if (!y->first_error) y->first_error = m->error ? m->error : benchy_status_message(m->status);
          continue;
        }
        y->ok++;
        if (rp->is_pp)
          tally_pp(y, m);
        else
          tally_tg(y, m);
        series_add(&y->e2e, m->e2e_ms);
      }
    }
  }
}

/* The row's identity: test, lengths, the shapes it pools. */
static void row_head(const bench *b, const bench_row_plan *rp, cJSON *row) {
  int is_pp = rp->is_pp;
  cJSON_AddStringToObject(row, "model", b->served ? b->served : b->model);
  server_facts_to_row(b->server, row);
  cJSON_AddStringToObject(row, "test", rp->name);
  cJSON_AddStringToObject(row, "kind", is_pp ? "pp" : "tg");
  /* The other length varies over the pooled shapes: null here, listed in "keys". */
  if (is_pp) {
    cJSON_AddNumberToObject(row, "pp", (double)rp->size);
    cJSON_AddNullToObject(row, "tg");
  } else {
    cJSON_AddNullToObject(row, "pp");
    cJSON_AddNumberToObject(row, "tg", (double)rp->size);
  }
  cJSON_AddNumberToObject(row, "depth", (double)rp->depth);
  cJSON_AddNumberToObject(row, "concurrency", (double)rp->conc);
  cJSON_AddStringToObject(row, "depth_mode", b->cached_mode ? "cached" : "resend");
  cJSON *keys = cJSON_AddArrayToObject(row, "keys");
  for (size_t si = 0; keys && si < rp->n_shapes; si++)
    cJSON_AddItemToArray(keys, cJSON_CreateString(b->tests[rp->shapes[si]].key));
}

/* The row's statistics; frees every series of y. */
static void row_stats(const bench *b, const bench_row_plan *rp, row_tally *y, cJSON *row) {
  int is_pp = rp->is_pp;
  cJSON_AddNumberToObject(row, "runs_completed", y->runs_done);
  cJSON_AddNumberToObject(row, "requests", (double)y->n);
  cJSON_AddNumberToObject(row, "errors", (double)(y->n - y->ok));
  add_stat(b, row, "t_s_total", &y->total);
  add_stat(b, row, "t_s_req", &y->req);
  add_stat(b, row, "peak_t_s", &y->peak);
  add_stat(b, row, "ttfr_ms", &y->ttfr);
  add_stat(b, row, "est_ppt_ms", &y->ppt);
  add_stat(b, row, "e2e_ttft_ms", &y->ttft);
  add_stat(b, row, "e2e_ms", &y->e2e);
  add_stat(b, row, "server_t_s", &y->srv);
  if (is_pp) add_stat(b, row, "ttfb_ms", &y->ttfb);
  free(y->ttfb.v);
  if (is_pp) {
    add_stat(b, row, "prompt_tokens", &y->ptok);
    add_stat(b, row, "timed_prompt_tokens", &y->timed);
    if (b->cached_mode && rp->depth > 0) {
      cJSON *c = cJSON_AddObjectToObject(row, "cache");
      if (c) {
        cJSON_AddNumberToObject(c, "hit", (double)y->hit);
        cJSON_AddNumberToObject(c, "partial", (double)y->partial);
        cJSON_AddNumberToObject(c, "miss", (double)y->miss);
        cJSON_AddNumberToObject(c, "unknown", (double)y->cache_unknown);
        bench_add_num(c, "cached_tokens_min", y->cached_min);
      }
    }
  } else {
    add_stat(b, row, "output_tokens", &y->otok);
  }
  free(y->ptok.v);
  free(y->timed.v);
  free(y->otok.v);
}

/* What a reader of the row must know about how far to trust it. */
static void row_flags(const bench *b, const bench_row_plan *rp, const row_tally *y, cJSON *flags) {
  long n = y->n, ok = y->ok;
  if (n - ok > 0) add_flag(flags, "%ld of %ld requests failed: %s", n - ok, n, y->first_error ? y->first_error : "");
  int runs_planned = b->runs * (int)rp->n_shapes;
  if (y->runs_done < runs_planned)
    add_flag(flags, "%d of %d runs completed", y->runs_done, runs_planned);
  if (rp->is_pp) {
    if (y->prompt_off)
      add_flag(flags, "prompt length off in %ld of %ld requests (the server counted %lld, asked for %lld)",
               y->prompt_off, ok, (long long)y->off_example_got, (long long)(rp->depth + rp->size));
    if (y->prompt_unknown)
      add_flag(flags, "prompt length not verified in %ld requests: the server reported no usage", y->prompt_unknown);
    if (y->miss || y->partial)
      add_flag(flags, "depth cache missed in %ld and partly hit in %ld of %ld requests (fewest cached: %.0f of %lld)",
               y->miss, y->partial, ok, y->cached_min, (long long)rp->depth);
    if (y->extra)
      add_flag(flags, "%ld of %ld requests found more of their prompt in the server's cache than the "
               "depth context: the server had seen these prompts (the same --seed as an earlier run?), "
               "so their pp t/s is not a prefill rate", y->extra, ok);
    if (y->cache_unknown)
      add_flag(flags, "depth cache hit unverified in %ld requests: the server reports neither timings.cache_n "
               "nor usage.prompt_tokens_details.cached_tokens", y->cache_unknown);
  } else {
    if (y->short_out)
      add_flag(flags, "output stopped early in %ld of %ld requests (%lld of %lld tokens, finish_reason %s)",
               y->short_out, ok, (long long)y->short_example, (long long)rp->size,
               y->short_reason ? y->short_reason : "none");
    if (y->out_unknown)
      add_flag(flags, "output length from chunk counts in %ld requests (no usage): a lower bound", y->out_unknown);
  }
}

/* One table row: every request of the shapes that measured this test. */
static cJSON *make_row(const bench *b, const bench_row_plan *rp) {
  cJSON *row = cJSON_CreateObject();
  if (!row) return NULL;
  row_head(b, rp, row);
  row_tally y = {0};
  y.cached_min = NAN;
  tally_row(b, rp, &y);
  row_stats(b, rp, &y, row);
  cJSON *flags = cJSON_AddArrayToObject(row, "flags");
  if (flags) row_flags(b, rp, &y, flags);
  /* Sampled per shape; the row pools its shapes' figures as it pools their requests. */
  const cJSON **parts = rp->n_shapes ? malloc(rp->n_shapes * sizeof *parts) : NULL;
  size_t n = 0;
  for (size_t k = 0; parts && k < rp->n_shapes; k++)
    if (b->tests[rp->shapes[k]].sampled) parts[n++] = b->tests[rp->shapes[k]].sampled;
  if (n) sampling_merge_into(row, parts, n);
  free(parts);
  return row;
}

/* The common block (run_metadata.h) and what only a pp/tg table has. */
static cJSON *bench_metadata(const bench *b) {
  run_metadata_common c = {
      .opts = b->opts,
      .model = b->model,
      .served_model_name = b->served,
      .shown_url = b->tgt.shown_url,
      .chat = b->api == BENCHY_ENDPOINT_CHAT,
      .ddof = b->ddof,
      .percentiles = b->pcts,
      .n_percentiles = b->n_pcts,
      .started_at = b->started_at,
      .prompt_lengths = b->pg ? prompt_gen_describe(b->pg) : NULL,
      .request_body = request_body_describe(b->rbody),
      .server_reported = b->server_reported,
  };
  cJSON *md = run_metadata_new(&c);
  if (!md) return NULL;
  cJSON_AddStringToObject(md, "depth_mode", b->cached_mode ? "cached" : "resend");
  cJSON_AddBoolToObject(md, "depth_mode_implied_by_no_cache", b->mode_implied);
  cJSON_AddBoolToObject(md, "no_cache", b->no_cache);
  cJSON_AddStringToObject(md, "latency_mode", b->latency_mode == LAT_API ? "api"
                                              : b->latency_mode == LAT_GENERATION ? "generation"
                                                                                   : "none");
  cJSON_AddNumberToObject(md, "latency_ms", b->latency_ms);
  cJSON_AddNumberToObject(md, "runs", b->runs);
  cJSON_AddNumberToObject(md, "warmup", b->warmup);
  cJSON_AddBoolToObject(md, "resumed", b->resume == 2);
  cJSON_AddBoolToObject(md, "repeatable_prompts", b->seed_given);
  if (b->server) cJSON_AddItemToObject(md, "server", cJSON_Duplicate(b->server, 1));
  if (b->fills_failed) {
    char text[400];
    snprintf(text, sizeof text, "%ld depth-fill requests failed: %s", b->fills_failed, b->fill_error);
    cJSON_AddStringToObject(md, "fill_errors", text);
  }
  return md;
}

cJSON *bench_doc_build(bench *b, int status, cJSON *cfg) {
  cJSON *doc = cJSON_CreateObject();
  if (!doc) {
    cJSON_Delete(cfg);
    return NULL;
  }
  result_doc_head(doc, "bench");
  cJSON_AddStringToObject(doc, "status", benchy_status_name(status));
  if (cfg) cJSON_AddItemToObject(doc, "config", cfg);
  cJSON *md = bench_metadata(b);
  if (md) cJSON_AddItemToObject(doc, "metadata", md);
  cJSON *aggs = cJSON_AddArrayToObject(doc, "aggregates");
  for (size_t i = 0; aggs && i < b->n_rows; i++) cJSON_AddItemToArray(aggs, make_row(b, &b->rows[i]));
  cJSON *recs = cJSON_AddArrayToObject(doc, "records");
  for (size_t i = 0; recs && i < b->n_tests; i++) {
    test_t *t = &b->tests[i];
    for (size_t k = 0; k < (size_t)b->runs * (size_t)t->conc; k++)
      if (t->reqs[k].rec) {
        cJSON_AddItemToArray(recs, t->reqs[k].rec);
        t->reqs[k].rec = NULL;
      }
  }
  return doc;
}

