/*
 * load_level.c — runs one level of `benchy load` (load_level.h): its
 * warm-up, its schedule, the runner's hooks that send the prebuilt bodies
 * and take in each record, the merge of the threads' figures, and the
 * level's part of the result document.
 */
#include <cJSON.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "load_level.h"
#include "sampling.h"
#include "dispatch_lag.h"
#include "load_journal.h"
#include "../report/record_json.h"
#include "arrivals.h"
#include "runner.h"

/* Requests a --duration schedule may hold; more is a typo, not a test. */
#define LOAD_MAX_SCHEDULE ((uint64_t)10 * 1000 * 1000)
/* Exact ITL samples kept per kind before falling back to histograms. */
#define LOAD_RAW_ITL_BUDGET ((size_t)4 * 1000 * 1000)
/* Requests per level whose latencies are kept exactly (~72 bytes each)
 * before percentiles come from the histograms: past it, a level's memory
 * no longer grows with its length. */
#define LOAD_RAW_REQUEST_BUDGET ((size_t)250 * 1000)
/* Open-loop levels start this long after their setup, so that the first
 * arrivals are not late because threads were still starting. */
#define LOAD_START_LEAD_NS ((int64_t)20 * 1000 * 1000)
/* A count that a closed --duration run never reaches. */
#define LOAD_UNBOUNDED ((uint64_t)1 << 62)

/* A long --duration run must not grow without bound: per-request JSON
 * (1-3 KB each) is kept for the result document up to --max-records per
 * level; later records are written to --jsonl only, and the level says how
 * many. The per-request figures behind the percentiles (a few doubles each)
 * are always kept, so the statistics stay exact. */

/* A warning reaches the user even with --quiet (it is not progress), and
 * goes into the level's "warnings" when level_obj is given. */
static void level_warn(const load_plan *p, const load_level *lv, cJSON *level_obj,
                       const char *msg) {
  run_warning("level %zu/%zu (%s): %s", lv->number + 1, p->n_levels, lv->label, msg);
  if (!level_obj) return;
  cJSON *list = cJSON_GetObjectItemCaseSensitive(level_obj, "warnings");
  if (!list) list = cJSON_AddArrayToObject(level_obj, "warnings");
  if (list) cJSON_AddItemToArray(list, cJSON_CreateString(msg));
}

static void level_run_free(level_run *r, dataset *synth) {
  load_requests_free(&r->rq);
  free(r->offsets);
  free(r->index_map);
  if (r->ts) {
    for (int t = 0; t < r->n_threads; t++) {
      thread_state *s = &r->ts[t];
      benchy_collector_free(s->coll);
      for (size_t i = 0; i < s->n; i++) cJSON_Delete(s->records[i].rec);
      free(s->records);
    }
  }
  free(r->ts);
  dataset_free(synth);
}

/* Tokens the dataset means the server to have cached for a request: the
 * shared prefix, nothing, or -1 (repeats asked for: anything). */
static int64_t expected_cached(const load_plan *p) {
  if (p->repeats == LOAD_REPEATS_PREFIX) return p->prefix_len;
  return p->repeats == LOAD_REPEATS_NONE ? 0 : -1;
}

/* The level's own numbering of the runner's j-th request. */
static uint64_t level_index(const level_run *r, uint64_t j) {
  return r->index_map ? r->index_map[j] : r->index_base + j;
}

static int hook_next(void *ud, uint64_t j, runner_request *out) {
  level_run *r = ud;
  if (j >= (r->index_map ? r->n_map : r->count)) return 1;
  uint64_t index = level_index(r, j);
  if (index >= r->rq.n_bodies && !r->cycle) {
    /* Sending a prompt twice would measure the server's cache. */
    atomic_store(&r->ran_out, 1);
    return 1;
  }
  out->endpoint = r->plan->api;
  out->body = r->rq.bodies[index % r->rq.n_bodies];
  out->tag = NULL;
  if (r->offsets)
    out->send_at_ns = r->t0_level + r->offsets[index];
  else if (r->all_at_t0)
    out->send_at_ns = r->t0;
  else
    out->send_at_ns = 0;
  return 0;
}

static int hook_should_stop(void *ud) {
  level_run *r = ud;
  int64_t max = r->plan->max_errors;
  if (r->warmup || max <= 0) return 0;
  if (atomic_load(&r->failures) >= max) {
    atomic_store(&r->stopped_by_errors, 1);
    return 1;
  }
  return 0;
}

static int ts_keep_record(thread_state *s, uint64_t index, cJSON *rec) {
  kept_record *room = benchy_grow(s->records, &s->cap, s->n + 1, sizeof *room);
  if (!room) return -1;
  s->records = room;
  s->records[s->n++] = (kept_record){index, rec};
  return 0;
}

static void hook_on_record(void *ud, int thread, uint64_t j, const benchy_record *rec) {
  level_run *r = ud;
  uint64_t index = r->warmup ? j : level_index(r, j);
  thread_state *s = &r->ts[thread];
  int failed = rec->status != BENCHY_OK && rec->status != BENCHY_ERR_CANCELLED;
  if (failed) atomic_fetch_add(&r->failures, 1);
  if (r->warmup) return;
  const dataset_item *it = r->rq.items[index % r->rq.n_bodies];
  benchy_collector_add_expected(s->coll, rec, it->input_tokens);
  if (rec->status == BENCHY_OK)
    load_cache_count(&s->cache, load_record_cached_tokens(rec),
                     rec->usage_prompt_tokens >= 0 ? rec->usage_prompt_tokens : it->input_tokens,
                     expected_cached(r->plan));
  if (r->rq.synthetic && rec->status == BENCHY_OK && rec->usage_prompt_tokens >= 0 &&
      rec->usage_prompt_tokens != it->input_tokens)
    s->input_mismatches++;
  /* Cancelled requests are not results: a resumed run sends them again. */
  int to_file = r->plan->jsonl && rec->status != BENCHY_ERR_CANCELLED;
  int keep = atomic_fetch_add(&r->records_kept, 1) < r->plan->max_records;
  if (!keep) atomic_fetch_add(&r->records_omitted, 1);
  if (!keep && !to_file) return; /* no JSON built for nobody, on the loop's thread */
  cJSON *o = record_to_json(rec, r->t0_level, r->plan->raw);
  if (o) {
    cJSON_AddNumberToObject(o, "level", (double)r->lv->number);
    cJSON_AddNumberToObject(o, "index", (double)index);
    if (it->input_tokens >= 0)
      cJSON_AddNumberToObject(o, "input_tokens_expected", (double)it->input_tokens);
    if (it->output_len > 0) cJSON_AddNumberToObject(o, "max_tokens", (double)it->output_len);
    if (it->line) cJSON_AddNumberToObject(o, "dataset_line", (double)it->line);
    if (it->group >= 0) cJSON_AddNumberToObject(o, "prefix_group", (double)it->group);
  }
  if (!o) return;
  if (to_file) {
    /* The line is the record plus its type; written, then the type goes. */
    cJSON_AddStringToObject(o, "type", "record");
    if (jsonl_write(r->plan->jsonl, o) != BENCHY_OK) atomic_fetch_add(&r->jsonl_errors, 1);
    cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
  }
  if (!keep) {
    cJSON_Delete(o);
    return;
  }
  /* --raw: per-chunk timestamps went to --jsonl as the request completed;
   * the copy held for the result document does without them. */
  if (r->plan->raw && r->plan->jsonl) cJSON_DeleteItemFromObjectCaseSensitive(o, "chunks_raw");
  if (ts_keep_record(s, index, o) != 0) cJSON_Delete(o);
}

static runner_config level_runner_config(const load_plan *p, const level_run *r, int64_t duration_ns) {
  runner_config rc = {0};
  rc.base_url = p->base_url;
  rc.api_key = p->api_key;
  rc.headers = p->headers;
  rc.n_headers = p->n_headers;
  rc.timeout_ms = p->timeout_ms;
  rc.threads = p->threads;
  rc.request_flags = BENCHY_KEEP_CHUNKS;
  rc.count = r->index_map ? r->n_map : r->count;
  rc.duration_ns = duration_ns;
  rc.max_concurrency = r->lv->max_concurrency;
  return rc;
}

static int runner_for(load_plan *p, level_run *r, int64_t duration_ns, runner_summary *sum,
                      char *err, size_t errlen) {
  runner_config rc = level_runner_config(p, r, duration_ns);
  runner_hooks h = {r, hook_next, NULL, hook_on_record, hook_should_stop};
  return runner_run(&rc, &h, sum, err, errlen);
}

static int run_warmup(load_plan *p, const load_level *lv, cJSON *level_obj, char *err,
                      size_t errlen) {
  if (p->warmup <= 0) return BENCHY_OK;
  run_phase("warmup", lv->number, p->n_levels, NULL);
  level_run r = {0};
  dataset synth = {0};
  r.plan = p;
  r.lv = lv;
  r.warmup = 1;
  r.count = (uint64_t)p->warmup;
  r.n_threads = p->threads;
  r.ts = calloc((size_t)p->threads, sizeof *r.ts);
  int st = r.ts ? load_prepare_requests(p, lv->number, (size_t)p->warmup, 1, &synth, &r.rq, err, errlen)
                : BENCHY_ERR_NOMEM;
  runner_summary sum = {0};
  if (st == BENCHY_OK) st = runner_for(p, &r, 0, &sum, err, errlen);
  if (st == BENCHY_OK || st == BENCHY_ERR_CANCELLED) {
    cJSON *w = cJSON_AddObjectToObject(level_obj, "warmup");
    if (w) {
      cJSON_AddNumberToObject(w, "requests", (double)sum.started);
      cJSON_AddNumberToObject(w, "failed", (double)sum.failed);
    }
  }
  level_run_free(&r, &synth);
  return st;
}

static int cmp_kept_record(const void *a, const void *b) {
  const kept_record *x = a, *y = b;
  return (x->index > y->index) - (x->index < y->index);
}

/* A continued level's requests from the file: into the level's figures on
 * its timeline (r->t0_level), their records into the result. */
static int restore_prior(load_plan *p, level_run *r, resumed_level *prior, const resume_plan *rp,
                         load_cache_tally *cache, cJSON *records) {
  benchy_chunk_event *ev = NULL;
  size_t ev_cap = 0;
  for (size_t i = 0; i < prior->n; i++) {
    resumed_request *q = &prior->reqs[i];
    if (!rp->keep[i]) continue;
    size_t n = q->rec.n_chunk_events;
    if (n > ev_cap) {
      benchy_chunk_event *grown = realloc(ev, n * sizeof *grown);
      if (!grown) {
        free(ev);
        return -1;
      }
      ev = grown;
      ev_cap = n;
    }
    benchy_record rec;
    resumed_request_rebase(q, r->t0_level, &rec, ev);
    benchy_collector_add_expected(r->ts[0].coll, &rec, q->input_expected);
    if (rec.status == BENCHY_OK)
      load_cache_count(cache, load_record_cached_tokens(&rec),
                       rec.usage_prompt_tokens >= 0 ? rec.usage_prompt_tokens : q->input_expected,
                       expected_cached(p));
    if (q->json) {
      cJSON_AddItemToArray(records, q->json);
      q->json = NULL;
    }
  }
  free(ev);
  return 0;
}

/* The level's requests: an open-loop schedule of intended offsets (a fixed
 * count, or as many as fit the duration), or a count for a closed loop or
 * rate inf. *pool: how many distinct bodies to build. On failure r->offsets
 * is left for level_run_free. */
static int plan_schedule(const load_plan *p, const load_level *lv, level_run *r, int64_t duration_ns,
                         size_t *pool, char *err, size_t errlen) {
  if (!lv->closed && !isinf(lv->rate)) {
    /* An open-loop schedule: fixed count, or as many as fit the duration. */
    arrival_config ac = {p->arrival_kind, lv->rate, p->shape, p->ramp_up_s, p->seed};
    arrival_gen g;
    int st = arrivals_init(&g, &ac, err, errlen);
    if (st != BENCHY_OK) return st;
    uint64_t cap = duration_ns > 0 ? LOAD_MAX_SCHEDULE : p->num_prompts;
    size_t alloc = duration_ns > 0 ? 1024 : (size_t)cap;
    r->offsets = malloc(alloc * sizeof *r->offsets);
    if (!r->offsets) return BENCHY_ERR_NOMEM;
    uint64_t n = 0;
    for (;;) {
      if (n == cap) break;
      int64_t off = arrivals_next(&g);
      if (duration_ns > 0 && off >= duration_ns) break;
      if (n == alloc) {
        int64_t *grown = realloc(r->offsets, alloc * 2 * sizeof *grown);
        if (!grown) return BENCHY_ERR_NOMEM;
        r->offsets = grown;
        alloc *= 2;
      }
      r->offsets[n++] = off;
    }
    if (duration_ns > 0 && n == cap) {
      benchy_set_error(err, errlen, "--request-rate %g for --duration %g s is more than %llu requests; "
              "lower one of them", lv->rate, p->duration_s, (unsigned long long)LOAD_MAX_SCHEDULE);
      return BENCHY_ERR_INVALID;
    }
    r->count = n;
    *pool = (size_t)n;
  } else if (duration_ns > 0) {
    /* Closed loop for a duration: the count is open, prompts are cycled. */
    r->count = LOAD_UNBOUNDED;
    *pool = (size_t)p->num_prompts;
  } else {
    r->count = p->num_prompts;
    *pool = (size_t)p->num_prompts;
    r->all_at_t0 = !lv->closed;
  }
  if (*pool == 0) *pool = 1;
  return BENCHY_OK;
}

/* --resume: what the file holds stands; the rest goes now, with this
 * run's prompts (new texts: a new nonce). Returns 0, -1 out of memory. */
static int continue_from_prior(const load_plan *p, level_run *r, const resumed_level *prior,
                               resume_plan *rp) {
  if (resume_plan_make(prior, r->count == LOAD_UNBOUNDED ? 0 : r->count, r->offsets,
                       p->retry_failed, rp) != 0)
    return -1;
  r->index_base = rp->index_base;
  r->index_map = rp->index_map;
  r->n_map = rp->n_map;
  rp->index_map = NULL; /* r owns it now */
  return 0;
}

/* Starts the level's clock (r->t0, r->t0_level) and says how long it runs:
 * *run_duration, 0 for no time limit. Returns 1 when nothing is left to send. */
static int start_clock(level_run *r, const resume_plan *rp, int continued, int64_t duration_ns,
                       int64_t *run_duration) {
  /* Open loop: the schedule starts a little ahead, so that its first
   * arrivals are not late while the threads start. Closed loop: requests go
   * as soon as the threads are up, and t0 is now. */
  int open_loop = r->offsets || r->all_at_t0;
  r->t0 = benchy_now_ns() + (open_loop ? LOAD_START_LEAD_NS : 0);
  r->t0_level = r->t0 - rp->shift_ns;
  /* An open-loop schedule already ends at the duration; requests it holds
   * back past the end are still part of it and go late, visibly. */
  *run_duration = r->offsets ? 0 : duration_ns;
  int nothing_to_send = r->index_map && !r->n_map;
  if (continued && *run_duration > 0) {
    /* A continued --duration level has what the first run left of it. */
    *run_duration -= rp->shift_ns;
    if (*run_duration <= 0) nothing_to_send = 1;
  }
  return nothing_to_send;
}

/* The threads that will actually run the level, not --threads: a level
 * limited to fewer would otherwise get a fraction of its budgets. */
static size_t level_threads(const load_plan *p, const level_run *r, int64_t run_duration) {
  runner_config planned = level_runner_config(p, r, run_duration);
  size_t threads = (size_t)runner_thread_count(&planned);
  return threads < 1 ? 1 : threads;
}

static void announce_level(const load_plan *p, const load_level *lv, const level_run *r,
                           const resumed_level *prior, const resume_plan *rp) {
  if (prior && rp->from_complete)
    run_phase("level", lv->number, p->n_levels, "level %zu/%zu (%s): %zu requests restored from %s; retrying its %zu failed "
             "requests with fresh prompts", lv->number + 1, p->n_levels, lv->label, rp->restored,
             p->jsonl_path, rp->resent);
  else if (prior)
    run_phase("level", lv->number, p->n_levels, "level %zu/%zu (%s): %zu requests restored from %s (%zu failed ones to send "
             "again); continuing %s with fresh prompts", lv->number + 1, p->n_levels, lv->label,
             rp->restored, p->jsonl_path, rp->resent,
             r->count == LOAD_UNBOUNDED ? "for the rest of the duration" : "where it stopped");
  else
    run_phase("level", lv->number, p->n_levels, "level %zu/%zu (%s): %s requests", lv->number + 1, p->n_levels, lv->label,
             r->count == LOAD_UNBOUNDED ? "closed loop for the duration," : "sending");
}

/* Merges the threads: their records, sorted into index order (returned,
 * *total of them; NULL out of memory), cache tallies and input mismatches;
 * accumulators into the first (which gets the whole exact-ITL budget). */
static kept_record *merge_threads(const load_plan *p, level_run *r, load_cache_tally *cache,
                                  int64_t *mismatches, size_t *total_out) {
  size_t total = 0;
  for (int t = 0; t < p->threads; t++) total += r->ts[t].n;
  kept_record *all = malloc((total ? total : 1) * sizeof *all);
  if (!all) return NULL;
  size_t k = 0;
  collector_set_itl_budget(r->ts[0].coll, LOAD_RAW_ITL_BUDGET);
  for (int t = 0; t < p->threads; t++) {
    thread_state *s = &r->ts[t];
    load_cache_merge(cache, &s->cache);
    for (size_t i = 0; i < s->n; i++) all[k++] = s->records[i];
    s->n = 0; /* the records move to all[] */
    *mismatches += s->input_mismatches;
    if (t > 0) benchy_collector_merge(r->ts[0].coll, s->coll);
  }
  qsort(all, total, sizeof *all, cmp_kept_record);
  *total_out = total;
  return all;
}

/* The level's figures (benchy/collector.h) and what it planned, sent and left. */
static int add_level_figures(const load_plan *p, level_run *r, const runner_summary *sum,
                             int64_t mismatches, cJSON *level_obj) {
  int st = BENCHY_OK;
  collector_set_max_in_flight(r->ts[0].coll, (int64_t)sum->max_in_flight);
  if (collector_aggregate_into(r->ts[0].coll, level_obj) != 0) st = BENCHY_ERR_NOMEM;
  /* The histograms and exact moments, so that saved results merge exactly. */
  cJSON *coll_obj = collector_to_cjson(r->ts[0].coll);
  if (!coll_obj || !cJSON_AddItemToObject(level_obj, "collector", coll_obj)) st = BENCHY_ERR_NOMEM;
  cJSON_AddNumberToObject(level_obj, "input_length_mismatches", (double)mismatches);
  cJSON_AddNumberToObject(level_obj, "records_omitted", (double)atomic_load(&r->records_omitted));
  if (r->count != LOAD_UNBOUNDED) {
    cJSON_AddNumberToObject(level_obj, "planned", (double)r->count);
    uint64_t owed = r->index_map ? r->n_map : r->count;
    cJSON_AddNumberToObject(level_obj, "not_started", (double)(owed - sum->started));
  } else {
    cJSON_AddNullToObject(level_obj, "planned");
  }
  return st;
}

/* What --resume did to a continued level. */
static void add_resumed(const load_plan *p, const resume_plan *rp, const runner_summary *sum,
                        cJSON *level_obj) {
  cJSON *res = cJSON_AddObjectToObject(level_obj, "resumed");
  if (res) {
    cJSON_AddStringToObject(res, "from", rp->from_complete ? "complete" : "interrupted");
    cJSON_AddNumberToObject(res, "restored_requests", (double)rp->restored);
    cJSON_AddNumberToObject(res, "sent_now", (double)sum->started);
    cJSON_AddNumberToObject(res, "retried_failed", (double)rp->resent);
    cJSON_AddNumberToObject(res, "timeline_offset_ms", (double)rp->shift_ns / 1e6);
    cJSON_AddBoolToObject(res, "itl_includes_restored", p->raw);
  }
}

/* Why the level ended before its plan ("interrupt", "max-errors",
 * "prompts"), at its --duration ("duration"), or NULL: it sent its plan.
 * Set as "stopped_by", with a warning when it ran out of prompts. */
static const char *add_stopped_by(const load_plan *p, const load_level *lv, level_run *r, int run_st,
                                  int64_t duration_ns, cJSON *level_obj) {
  const char *stopped = NULL;
  if (run_st == BENCHY_ERR_CANCELLED)
    stopped = "interrupt";
  else if (atomic_load(&r->stopped_by_errors))
    stopped = "max-errors";
  else if (atomic_load(&r->ran_out))
    stopped = "prompts";
  else if (duration_ns > 0)
    stopped = "duration";
  if (stopped)
    cJSON_AddStringToObject(level_obj, "stopped_by", stopped);
  else
    cJSON_AddNullToObject(level_obj, "stopped_by");
  if (stopped && !strcmp(stopped, "prompts")) {
    char msg[512];
    snprintf(msg, sizeof msg,
             "the level sent all %zu of its prompts before --duration %g s ended and stopped "
             "there rather than send one twice (a repeated prompt measures the server's cache); "
             "give a larger --num-prompts (a --duration level's prompts are made before it "
             "starts), or --repeat-prompts to cycle them",
             r->rq.n_bodies, p->duration_s);
    level_warn(p, lv, level_obj, msg);
  }
  return stopped;
}

static void add_client_counters(cJSON *level_obj, size_t threads, const runner_summary *sum) {
  cJSON *client = cJSON_AddObjectToObject(level_obj, "client");
  if (client) {
    cJSON_AddNumberToObject(client, "threads", (double)threads);
    cJSON_AddNumberToObject(client, "socket_reads", (double)sum->counters.socket_reads);
    cJSON_AddNumberToObject(client, "sse_events", (double)sum->counters.sse_events);
    cJSON_AddNumberToObject(client, "retries", (double)sum->counters.retries);
    /* Which clock dated the chunks: "kernel" when every read carried the
     * kernel's receive stamp (docs/metrics.md, Clock). */
    cJSON_AddNumberToObject(client, "data_reads", (double)sum->counters.data_reads);
    cJSON_AddNumberToObject(client, "kernel_stamped_reads", (double)sum->counters.kernel_stamped_reads);
    cJSON_AddStringToObject(
        client, "rx_clock",
        benchy_rx_clock_name(benchy_rx_clock_of(sum->counters.data_reads, sum->counters.kernel_stamped_reads)));
  }
}

/* The level's last progress line, and how many records missed --jsonl
 * (returned: such a level is not marked complete there). */
static int64_t report_level_end(const load_plan *p, const load_level *lv, level_run *r,
                                const char *stopped, cJSON *level_obj) {
  const cJSON *comp = cJSON_GetObjectItemCaseSensitive(level_obj, "completed");
  const cJSON *fail = cJSON_GetObjectItemCaseSensitive(level_obj, "failed");
  progress(p, "level %zu/%zu (%s): %.0f completed, %.0f failed%s%s", lv->number + 1, p->n_levels,
           lv->label, comp ? comp->valuedouble : 0, fail ? fail->valuedouble : 0,
           stopped && strcmp(stopped, "duration") ? ", stopped by " : "",
           stopped && strcmp(stopped, "duration") ? stopped : "");
  int64_t jsonl_errors = atomic_load(&r->jsonl_errors);
  if (p->jsonl) cJSON_AddNumberToObject(level_obj, "jsonl_write_errors", (double)jsonl_errors);
  if (jsonl_errors)
    progress(p, "level %zu/%zu (%s): %lld records could not be written to %s (disk full?); the level "
             "is not marked complete there, so --resume runs it again", lv->number + 1, p->n_levels,
             lv->label, (long long)jsonl_errors, p->jsonl_path);
  return jsonl_errors;
}

/* The steps of a level, in order, each named above. The accumulators'
 * set-up stays here, with the level's state it shares (r, rp, synth), which
 * every failure frees. */
int load_run_level(load_plan *p, const load_level *lv, cJSON *level_obj, cJSON *records,
                   resumed_level *prior, char *err, size_t errlen) {
  int st = run_warmup(p, lv, level_obj, err, errlen);
  if (st != BENCHY_OK) return st;

  level_run r = {0};
  dataset synth = {0};
  r.plan = p;
  r.lv = lv;
  r.n_threads = p->threads;
  atomic_init(&r.failures, 0);
  atomic_init(&r.stopped_by_errors, 0);
  int64_t duration_ns = p->duration_s > 0 ? (int64_t)llround(p->duration_s * 1e9) : 0;
  size_t pool = 1;
  st = plan_schedule(p, lv, &r, duration_ns, &pool, err, errlen);
  if (st == BENCHY_OK && !(r.ts = calloc((size_t)p->threads, sizeof *r.ts))) st = BENCHY_ERR_NOMEM;
  if (st == BENCHY_OK) st = load_prepare_requests(p, lv->number, pool, 0, &synth, &r.rq, err, errlen);
  /* Only a closed --duration level can want more requests than its pool; a
   * file's entries and --repeat-prompts may come round again. */
  r.cycle = p->repeat_prompts || !r.rq.synthetic;
  atomic_init(&r.ran_out, 0);
  resume_plan rp = {0};
  if (st == BENCHY_OK && prior && continue_from_prior(p, &r, prior, &rp) != 0) st = BENCHY_ERR_NOMEM;
  int64_t run_duration = 0;
  /* Before the clock starts: the first /metrics scrape must not make
   * the first arrivals late. */
  sampling_level_begin(lv->label);
  int nothing_to_send = start_clock(&r, &rp, prior != NULL, duration_ns, &run_duration);
  /* The exact-ITL budget is split between the threads (the merge target
   * gets all of it), so memory stays bounded however many threads run;
   * the request budget is claimed by all of them through one counter. */
  size_t threads = level_threads(p, &r, run_duration);
  size_t itl_budget = LOAD_RAW_ITL_BUDGET / threads;
  for (int t = 0; t < p->threads && st == BENCHY_OK; t++) {
    benchy_collector_config cc = {p->percentiles, p->n_percentiles,   p->slo.ttft_ms,
                                  p->slo.tpot_ms, p->slo.e2el_ms,     p->ddof,
                                  LOAD_RAW_REQUEST_BUDGET, itl_budget, r.t0_level};
    if (benchy_collector_new(&r.ts[t].coll, &cc) != BENCHY_OK) {
      st = BENCHY_ERR_NOMEM;
      break;
    }
    collector_share_request_budget(r.ts[t].coll, &r.request_claims);
  }
  if (st != BENCHY_OK) {
    resume_plan_free(&rp);
    level_run_free(&r, &synth);
    return st;
  }
  load_journal_level_start(p, lv, prior != NULL);
  announce_level(p, lv, &r, prior, &rp);
  runner_summary sum = {0};
  int run_st = nothing_to_send ? BENCHY_OK : runner_for(p, &r, run_duration, &sum, err, errlen);
  char where[200];
  snprintf(where, sizeof where, "level %zu/%zu (%s)", lv->number + 1, p->n_levels, lv->label);
  /* Taken now, when the level's requests end; written after its figures. */
  cJSON *sampled = cJSON_CreateObject();
  sampling_level_end(sampled, where);
  load_cache_tally cache = {0};
  int64_t mismatches = 0;
  size_t total = 0;
  kept_record *all = NULL;
  if ((run_st == BENCHY_OK || run_st == BENCHY_ERR_CANCELLED) &&
      !(all = merge_threads(p, &r, &cache, &mismatches, &total)))
    run_st = BENCHY_ERR_NOMEM;
  if (run_st != BENCHY_OK && run_st != BENCHY_ERR_CANCELLED) {
    cJSON_Delete(sampled);
    resume_plan_free(&rp);
    level_run_free(&r, &synth);
    return run_st;
  }
  if (prior && restore_prior(p, &r, prior, &rp, &cache, records) != 0) st = BENCHY_ERR_NOMEM;
  /* Only with a finite rate and no cap is a request's queue time the client's own lateness. */
  if (r.offsets && !lv->max_concurrency) dispatch_lag_judge(all, total, sampled, where);
  for (size_t i = 0; i < total; i++) cJSON_AddItemToArray(records, all[i].rec);
  free(all);
  if (add_level_figures(p, &r, &sum, mismatches, level_obj) != BENCHY_OK) st = BENCHY_ERR_NOMEM;
  if (prior) add_resumed(p, &rp, &sum, level_obj);
  resume_plan_free(&rp);
  const char *stopped = add_stopped_by(p, lv, &r, run_st, duration_ns, level_obj);
  const char *cache_warning = load_cache_report(&cache, p->repeats, level_obj);
  if (cache_warning) level_warn(p, lv, NULL, cache_warning);
  add_client_counters(level_obj, threads, &sum);
  sampling_move_into(level_obj, sampled);
  int64_t jsonl_errors = report_level_end(p, lv, &r, stopped, level_obj);
  /* A level whose records did not all reach the file must not be restored
   * from it as complete. */
  if (run_st == BENCHY_OK && st == BENCHY_OK && !jsonl_errors) load_journal_level_end(p, lv, level_obj);
  level_run_free(&r, &synth);
  return st != BENCHY_OK ? st : run_st;
}
