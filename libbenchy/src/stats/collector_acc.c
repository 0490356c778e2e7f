/*
 * collector_acc.c — the accumulator of one level: each finished request (a
 * benchy_record with its chunk events) becomes a load_sample streamed into
 * latency distributions with their budgets of exact values, the per-second
 * timeline and counts; tokens per chunk where the server did not say; and
 * the exact merge of two accumulators (collector_internal.h).
 */
#include "collector_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int dist_init(load_dist *d) {
  memset(d, 0, sizeof *d);
  benchy_moments_init(&d->m);
  return benchy_hist_new(&d->hist, LOAD_HIST_BITS) == BENCHY_OK ? 0 : -1;
}

static void dist_free(load_dist *d) {
  benchy_hist_free(d->hist);
  free(d->raw_ms);
}

static void dist_drop_raw(load_dist *d) {
  free(d->raw_ms);
  d->raw_ms = NULL;
  d->n_raw = d->cap_raw = 0;
}

/* Room for need values; a first allocation holds at least first. */
static int dist_reserve(load_dist *d, size_t need, size_t first) {
  double *room = benchy_grow(d->raw_ms, &d->cap_raw, need < first ? first : need, sizeof *room);
  if (!room) return -1;
  d->raw_ms = room;
  return 0;
}

/* count copies of ms: a k-token chunk is k equal per-token gaps. ITL comes
 * through here once per chunk: the room is checked before calling out, and
 * the stores go through a local pointer because, through d, the compiler
 * reloads d's fields at every one. */
static int dist_push_raw(load_dist *d, double ms, uint64_t count, size_t first) {
  size_t need = d->n_raw + count;
  if (need > d->cap_raw && dist_reserve(d, need, first) != 0) return -1;
  double *at = d->raw_ms + d->n_raw;
  for (uint64_t i = 0; i < count; i++) at[i] = ms;
  d->n_raw = need;
  return 0;
}

static int dist_append_raw(load_dist *into, const load_dist *from) {
  if (!from->n_raw) return 0;
  size_t need = into->n_raw + from->n_raw;
  if (need > into->cap_raw && dist_reserve(into, need, 0) != 0) return -1;
  memcpy(into->raw_ms + into->n_raw, from->raw_ms, from->n_raw * sizeof *from->raw_ms);
  into->n_raw += from->n_raw;
  return 0;
}

/* The histogram and moments only: which kept values survive a merge is
 * the accumulator's budget to decide. */
static int dist_merge(load_dist *into, const load_dist *from) {
  benchy_moments_merge(&into->m, &from->m);
  return benchy_hist_merge(into->hist, from->hist) == BENCHY_OK ? 0 : -1;
}

int load_acc_init(load_acc *a, int64_t t0, size_t itl_budget) {
  memset(a, 0, sizeof *a);
  a->t0 = t0;
  a->itl_budget = itl_budget;
  a->max_in_flight = -1;
  int bad = 0;
  for (int k = 0; k < LOAD_ITL_COUNT; k++) bad |= dist_init(&a->itl[k]) != 0;
  for (int m = 0; m < LOAD_M_COUNT; m++) bad |= dist_init(&a->dist[m]) != 0;
  a->http_counts = calloc(LOAD_HTTP_CODES, sizeof *a->http_counts);
  if (bad || !a->http_counts) {
    load_acc_free(a);
    return -1;
  }
  return 0;
}

void load_acc_limit_requests(load_acc *a, size_t budget) { a->req_budget = budget; }

void load_acc_share_request_budget(load_acc *a, atomic_size_t *claims) { a->req_claims = claims; }

void load_acc_set_slo(load_acc *a, const load_slo *slo) { a->slo = *slo; }

void load_acc_free(load_acc *a) {
  if (!a) return;
  for (int k = 0; k < LOAD_ITL_COUNT; k++) dist_free(&a->itl[k]);
  free(a->buckets);
  free(a->scratch);
  for (int m = 0; m < LOAD_M_COUNT; m++) dist_free(&a->dist[m]);
  free(a->http_counts);
  free(a->spans);
  memset(a, 0, sizeof *a);
}

/* Past the budget (or out of memory): the exact values go, for good, so
 * that percentiles come consistently from the histograms. */
static void drop_request_values(load_acc *a) {
  a->req_overflow = 1;
  for (int m = 0; m < LOAD_M_COUNT; m++) dist_drop_raw(&a->dist[m]);
  free(a->spans);
  a->spans = NULL;
  a->n_spans = a->cap_spans = 0;
}

static int push_span(load_acc *a, int64_t from, int64_t to) {
  load_span *room = benchy_grow(a->spans, &a->cap_spans, a->n_spans + 1, sizeof *room);
  if (!room) return -1;
  a->spans = room;
  a->spans[a->n_spans++] = (load_span){from, to};
  return 0;
}

static int64_t metric_of(const load_sample *s, int m) {
  switch (m) {
  case LOAD_M_TTFT:
    return s->ttft_ns;
  case LOAD_M_TTFR:
    return s->ttfr_ns;
  case LOAD_M_TPOT:
    return s->tpot_ns;
  case LOAD_M_E2EL:
    return s->e2el_ns;
  case LOAD_M_QUEUE:
    return s->queue_ns;
  case LOAD_M_TTFT_SCHED:
    return s->ttft_ns >= 0 && s->queue_ns >= 0 ? s->ttft_ns + s->queue_ns : -1;
  default:
    return s->e2el_ns >= 0 && s->queue_ns >= 0 ? s->e2el_ns + s->queue_ns : -1;
  }
}

int load_acc_add_sample(load_acc *a, const load_sample *x) {
  a->n_requests++;
  int keep = !a->req_overflow;
  if (keep && a->req_budget) {
    size_t claimed = a->req_claims ? atomic_fetch_add(a->req_claims, 1) : a->req_kept;
    keep = claimed < a->req_budget;
  }
  if (!keep && !a->req_overflow) drop_request_values(a);
  int rc = 0;
  if (keep) {
    a->req_kept++;
    if (x->t_dispatched && x->t_done && push_span(a, x->t_dispatched, x->t_done) != 0) {
      drop_request_values(a);
      keep = 0;
      rc = -1;
    }
  }
  if (x->status == BENCHY_ERR_CANCELLED) {
    a->cancelled++;
    return rc;
  }
  if (x->t_scheduled && (!a->start || x->t_scheduled < a->start)) a->start = x->t_scheduled;
  if (x->t_done > a->end) a->end = x->t_done;
  if (x->status != BENCHY_OK) {
    a->failed++;
    a->kind_counts[load_failure_kind_index(x->status)]++;
    if (x->http_status >= 400 && x->http_status < LOAD_HTTP_CODES) a->http_counts[x->http_status]++;
    return rc;
  }
  a->completed++;
  a->out_tokens += x->output_tokens > 0 ? x->output_tokens : 0;
  if (x->input_tokens >= 0)
    a->in_tokens += x->input_tokens;
  else
    a->input_unknown++;
  if (x->cached_tokens > 0) a->cached += x->cached_tokens;
  if (x->cached_tokens >= 0 && x->status == BENCHY_OK) a->cached_reported++;
  a->chunk_tokens += x->chunk_output_tokens;
  if (x->usage_output_tokens >= 0) {
    a->usage_tokens += x->usage_output_tokens;
    if (x->usage_output_tokens != x->chunk_output_tokens) a->disagreements++;
  } else {
    a->usage_missing++;
  }
  if (load_slo_any(&a->slo)) {
    a->good += load_sample_meets(x, &a->slo, 0);
    a->good_sched += load_sample_meets(x, &a->slo, 1);
  }
  for (int m = 0; m < LOAD_M_COUNT; m++) {
    int64_t v = metric_of(x, m);
    if (v < 0) continue;
    benchy_hist_add(a->dist[m].hist, v);
    benchy_moments_add(&a->dist[m].m, (double)v);
    if (keep && dist_push_raw(&a->dist[m], (double)v / 1e6, 1, 0) != 0) {
      drop_request_values(a);
      keep = 0;
      rc = -1;
    }
  }
  return rc;
}

/* into's kept values += from's, within into's budget. */
static int merge_request_values(load_acc *into, const load_acc *from) {
  if (into->req_overflow) return 0;
  if (from->req_overflow || (into->req_budget && into->req_kept + from->req_kept > into->req_budget)) {
    drop_request_values(into);
    return 0;
  }
  for (size_t i = 0; i < from->n_spans; i++)
    if (push_span(into, from->spans[i].from, from->spans[i].to) != 0) goto nomem;
  for (int m = 0; m < LOAD_M_COUNT; m++)
    if (dist_append_raw(&into->dist[m], &from->dist[m]) != 0) goto nomem;
  into->req_kept += from->req_kept;
  return 0;
nomem:
  drop_request_values(into);
  return -1;
}

/* ITL gaps come by the hundred per request: starting at benchy_grow's 256
 * would only add two reallocations to the hot path. */
#define LOAD_ITL_FIRST_CAP ((size_t)1024)

/* Both kinds' kept ITL values go at once: a partial sample would bias
 * percentiles, and memory held for nothing would defeat the budget. */
static void drop_itl_values(load_acc *a) {
  a->itl_overflow = 1;
  for (int k = 0; k < LOAD_ITL_COUNT; k++) dist_drop_raw(&a->itl[k]);
}

/* Keeps count copies of one gap, unless that spends the budget. The
 * caller checks itl_overflow first, so that past the budget the hot path
 * does not even convert the gap to ms. */
static int keep_itl_value(load_acc *a, int kind, double ms, uint64_t count) {
  load_dist *d = &a->itl[kind];
  if (a->itl_budget && d->n_raw + count > a->itl_budget) {
    drop_itl_values(a);
    return 0;
  }
  if (dist_push_raw(d, ms, count, LOAD_ITL_FIRST_CAP) != 0) {
    drop_itl_values(a); /* the histograms still hold everything */
    return -1;
  }
  return 0;
}

/* into's kept ITL values += from's, within into's budget. */
static int merge_itl_values(load_acc *into, const load_acc *from) {
  if (into->itl_overflow) return 0;
  int fits = !from->itl_overflow;
  for (int k = 0; k < LOAD_ITL_COUNT; k++)
    if (into->itl_budget && into->itl[k].n_raw + from->itl[k].n_raw > into->itl_budget) fits = 0;
  if (!fits) {
    drop_itl_values(into);
    return 0;
  }
  for (int k = 0; k < LOAD_ITL_COUNT; k++)
    if (dist_append_raw(&into->itl[k], &from->itl[k]) != 0) {
      drop_itl_values(into);
      return -1;
    }
  return 0;
}

static load_bucket *bucket_at(load_acc *a, int64_t t) {
  if (!t) return NULL;
  int64_t rel = t - a->t0;
  size_t i = rel <= 0 ? 0 : (size_t)(rel / 1000000000);
  if (i > (size_t)10 * 1000 * 1000) return NULL; /* a clock far off: not worth 10M buckets */
  if (i >= a->n_buckets) {
    size_t ncap = i + 1 < 2 * a->n_buckets ? 2 * a->n_buckets : i + 1;
    load_bucket *grown = realloc(a->buckets, ncap * sizeof *grown);
    if (!grown) return NULL;
    memset(grown + a->n_buckets, 0, (ncap - a->n_buckets) * sizeof *grown);
    a->buckets = grown;
    a->n_buckets = ncap;
  }
  return &a->buckets[i];
}

int load_acc_merge(load_acc *into, const load_acc *from) {
  int rc = merge_request_values(into, from);
  into->n_requests += from->n_requests;
  into->completed += from->completed;
  into->failed += from->failed;
  into->cancelled += from->cancelled;
  for (int k = 0; k < LOAD_FAILURE_KINDS; k++) into->kind_counts[k] += from->kind_counts[k];
  for (int c = 0; c < LOAD_HTTP_CODES; c++) into->http_counts[c] += from->http_counts[c];
  if (from->start && (!into->start || from->start < into->start)) into->start = from->start;
  if (from->end > into->end) into->end = from->end;
  into->in_tokens += from->in_tokens;
  into->out_tokens += from->out_tokens;
  into->usage_tokens += from->usage_tokens;
  into->chunk_tokens += from->chunk_tokens;
  into->disagreements += from->disagreements;
  into->usage_missing += from->usage_missing;
  into->input_unknown += from->input_unknown;
  into->cached += from->cached;
  into->cached_reported += from->cached_reported;
  into->good += from->good;
  into->good_sched += from->good_sched;
  for (int m = 0; m < LOAD_M_COUNT; m++)
    if (dist_merge(&into->dist[m], &from->dist[m]) != 0) rc = -1;
  for (int k = 0; k < LOAD_ITL_COUNT; k++)
    if (dist_merge(&into->itl[k], &from->itl[k]) != 0) rc = -1;
  if (merge_itl_values(into, from) != 0) rc = -1;
  /* Buckets are aligned on the same t0 (one per level). */
  for (size_t i = from->n_buckets; i-- > 0;) {
    const load_bucket *b = &from->buckets[i];
    if (!b->started && !b->completed && !b->failed && !b->output_tokens) continue;
    load_bucket *d = bucket_at(into, into->t0 + (int64_t)i * 1000000000);
    if (!d) {
      rc = -1;
      continue;
    }
    d->started += b->started;
    d->completed += b->completed;
    d->failed += b->failed;
    d->output_tokens += b->output_tokens;
  }
  into->chunk_count_spread += from->chunk_count_spread;
  return rc;
}

/* ------------------------------------------------------------ per request */

int load_chunk_tokens(const benchy_chunk_event *ev, size_t n, int64_t total, int64_t *k) {
  int64_t known = 0, unknown = 0, unknown_bytes = 0;
  for (size_t i = 0; i < n; i++) {
    k[i] = 0;
    if (!(ev[i].kinds & BENCHY_CHUNK_TOKENS)) continue;
    if (ev[i].tokens >= 0) {
      k[i] = ev[i].tokens;
      known += ev[i].tokens;
    } else {
      unknown++;
      unknown_bytes += ev[i].text_bytes;
    }
  }
  if (!unknown) return 0;
  /* Every unknown chunk carried at least one token; the rest of the total
   * goes by text bytes, largest remainders first, so the sum is exact. */
  int64_t extra = total > 0 ? total - known - unknown : 0;
  for (size_t i = 0; i < n; i++)
    if ((ev[i].kinds & BENCHY_CHUNK_TOKENS) && ev[i].tokens < 0) k[i] = 1;
  /* Usage matched the chunks (or fell short): one token each, nothing
   * was spread. */
  if (extra <= 0) return 0;
  /* Shares by cumulative rounding: chunk i gets floor(C_i) - floor(C_i-1)
   * where C_i is the extra owed to chunks 0..i. One pass, the shares add
   * up to extra exactly, and no chunk is off by more than one token. */
  int64_t cum_bytes = 0, seen = 0, given = 0;
  for (size_t i = 0; i < n; i++) {
    if (!(ev[i].kinds & BENCHY_CHUNK_TOKENS) || ev[i].tokens >= 0) continue;
    seen++;
    cum_bytes += ev[i].text_bytes;
    int64_t owed;
    if (seen == unknown)
      owed = extra;
    else if (unknown_bytes > 0)
      owed = (int64_t)floor((double)extra * (double)cum_bytes / (double)unknown_bytes);
    else
      owed = extra * seen / unknown;
    if (owed > extra) owed = extra;
    if (owed < given) owed = given;
    k[i] += owed - given;
    given = owed;
  }
  return 1;
}

int64_t load_record_cached_tokens(const benchy_record *r) {
  /* llama.cpp's cache_n is what it reused; usage's cached_tokens is the
   * OpenAI field vLLM and SGLang fill. A server sends one or the other. */
  if (r->timings.present && r->timings.cache_n >= 0) return r->timings.cache_n;
  return r->usage_cached_tokens;
}

void load_sample_from_record(const benchy_record *r, int64_t expected_input,
                             load_sample *s) {
  memset(s, 0, sizeof *s);
  s->status = r->status;
  s->http_status = r->http_status;
  s->t_scheduled = r->t_scheduled;
  s->t_dispatched = r->t_dispatched;
  s->t_done = r->t_done;
  s->ttft_ns = benchy_record_ttft_ns(r);
  s->ttfr_ns = benchy_record_ttfr_ns(r);
  s->tpot_ns = benchy_record_tpot_ns(r);
  s->e2el_ns = benchy_record_e2e_ns(r);
  s->queue_ns = benchy_record_queue_ns(r);
  s->output_tokens = r->output_tokens;
  s->usage_output_tokens = r->usage_completion_tokens;
  s->chunk_output_tokens = r->server_chunk_tokens >= 0 ? r->server_chunk_tokens : r->token_chunks;
  s->input_tokens = r->usage_prompt_tokens >= 0 ? r->usage_prompt_tokens : expected_input;
  s->cached_tokens = load_record_cached_tokens(r);
}

int load_ingest(load_acc *acc, const benchy_record *r, int64_t expected_input,
                load_sample *out) {
  load_sample local;
  if (!out) out = &local;
  load_sample_from_record(r, expected_input, out);
  if (!acc) return 0;
  int rc = load_acc_add_sample(acc, out);
  if (r->status == BENCHY_ERR_CANCELLED) return rc;
  load_bucket *b = bucket_at(acc, r->t_dispatched);
  if (b) b->started++;
  b = bucket_at(acc, r->t_done);
  if (b) {
    if (r->status == BENCHY_OK)
      b->completed++;
    else
      b->failed++;
  }
  /* Failed requests are left out of every latency figure (and counted). */
  if (r->status != BENCHY_OK || !r->chunk_events || !r->n_chunk_events) return rc;
  size_t n = r->n_chunk_events;
  if (n > acc->scratch_cap) {
    int64_t *grown = realloc(acc->scratch, n * sizeof *grown);
    if (!grown) return -1;
    acc->scratch = grown;
    acc->scratch_cap = n;
  }
  int64_t *k = acc->scratch;
  if (load_chunk_tokens(r->chunk_events, n, r->output_tokens, k)) acc->chunk_count_spread++;
  load_dist *per_chunk = &acc->itl[LOAD_ITL_CHUNK], *per_token = &acc->itl[LOAD_ITL_TOKEN];
  int64_t prev_chunk = 0, prev_token = 0;
  for (size_t i = 0; i < n; i++) {
    const benchy_chunk_event *e = &r->chunk_events[i];
    if (!(e->kinds & BENCHY_CHUNK_TOKENS)) continue;
    if (prev_chunk) {
      int64_t gap = e->t_ns - prev_chunk;
      benchy_hist_add(per_chunk->hist, gap);
      benchy_moments_add(&per_chunk->m, (double)gap);
      if (!acc->itl_overflow && keep_itl_value(acc, LOAD_ITL_CHUNK, (double)gap / 1e6, 1))
        rc = -1;
    }
    prev_chunk = e->t_ns;
    if (k[i] <= 0) continue;
    if (prev_token) {
      /* k tokens over one gap: k gaps of gap / k each. */
      double each = (double)(e->t_ns - prev_token) / (double)k[i];
      benchy_hist_add_n(per_token->hist, (int64_t)llround(each), (uint64_t)k[i]);
      for (int64_t j = 0; j < k[i]; j++) benchy_moments_add(&per_token->m, each);
      if (!acc->itl_overflow &&
          keep_itl_value(acc, LOAD_ITL_TOKEN, each / 1e6, (uint64_t)k[i]))
        rc = -1;
    }
    prev_token = e->t_ns;
    b = bucket_at(acc, e->t_ns);
    if (b) b->output_tokens += k[i];
  }
  return rc;
}
