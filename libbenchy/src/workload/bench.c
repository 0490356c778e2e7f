/*
 * bench.c — bench_execute() (benchy_bench_run, through a run handle): the llama-bench-style pp × tg × depth ×
 * concurrency matrix over the OpenAI API (`benchy bench`).
 *
 * Each (pp, tg, depth, concurrency) combination is one request shape: its
 * requests give a prefill rate (from the time to first token, latency
 * subtracted) and a decode rate (between the first and the last token).
 * Per run, `concurrency` requests start together. The table has one row
 * per distinct test, pooling the shapes that measured it (bench_plan.h).
 *
 * Before anything is timed the server is checked (reachable, serves the
 * model, has the context for the largest shape), prompts are sized to exact
 * token counts by prompt.c, network latency is measured and warm-up requests
 * are sent. With --depth-mode cached each request's context is sent first,
 * untimed, and the cache hit is verified from what the server reports.
 *
 * Records go to --jsonl as they complete, with a "run" line once every
 * request of a run is in; --resume reloads complete runs and redoes the rest.
 * Uses runner.h (requests on threads), prompt.h and the report/ writers;
 * bench_state.h says which file does what.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../meta/meta.h"
#include "../options_json.h"
#include "../report/bench_render.h"
#include "../report/jsonl.h"
#include "../report/record_json.h"
#include "../report/result_internal.h"
#include "bench_state.h"
#include "run_progress.h"
#include "workload_entry.h"
#include "failure_rule.h"
#include "interrupt.h"
#include "sampling.h"
#include "runner.h"
#include "startup.h"

enum { PHASE_TIMED = 0, PHASE_FILL, PHASE_WARMUP, PHASE_LATENCY };

/* Key domains, so that warm-up and latency prompts never share text (or a
 * cached prefix) with measured ones. */
#define KEY_WARMUP 0x5741524d00000000ull
#define KEY_LATENCY 0x4c41540000000000ull

typedef struct run_ctx {
  bench *b;
  test_t *t;
  int run, phase;
  size_t n;
  char **bodies;
  prompt_text *prompts;
  req_m *reqs;         /* PHASE_TIMED */
  int *status;         /* other phases: per index */
  double *ttfr_ms;     /* PHASE_LATENCY */
  char first_err[256]; /* other phases: the first failure */
} run_ctx;

/* ---- small helpers ---- */


/* The configuration as written into results (options_config_json: nothing
 * secret), with the values bench resolved in place of those given. */
static cJSON *config_json(const bench *b) {
  cJSON *c = options_config_json(b->opts, BENCHY_OPTIONS_JSON_ALL);
  if (!c) return NULL;
  cJSON_ReplaceItemInObject(c, "model", b->model ? cJSON_CreateString(b->model) : cJSON_CreateNull());
  cJSON_ReplaceItemInObject(c, "depth-mode", cJSON_CreateString(b->cached_mode ? "cached" : "resend"));
  cJSON *extra = request_body_extra_shown(b->rbody);
  if (extra) cJSON_ReplaceItemInObject(c, "extra-body", extra);
  return c;
}

/* ---- server checks ---- */

/* The context one request may use (target_read_context), checked against
 * the largest shape before anything is sent. */
static int check_context(bench *b, char *err, size_t errlen) {
  int64_t need = 0;
  const test_t *worst = NULL;
  for (size_t i = 0; i < b->n_tests; i++) {
    const test_t *t = &b->tests[i];
    if (t->depth + t->pp + t->tg > need) {
      need = t->depth + t->pp + t->tg;
      worst = t;
    }
  }
  int64_t n_ctx;
  const char *source;
  int st = target_read_context(&b->tgt, b->opts, b->server, b->rbody, &n_ctx, &source, err, errlen);
  if (st != BENCHY_OK) return st;
  if (n_ctx < 0) {
    cJSON_AddNullToObject(b->server, "n_ctx");
    cJSON_AddStringToObject(b->server, "n_ctx_source", "unknown: the context size was not checked");
    return BENCHY_OK;
  }
  cJSON_AddNumberToObject(b->server, "n_ctx", (double)n_ctx);
  cJSON_AddStringToObject(b->server, "n_ctx_source", source);
  if (worst && need > n_ctx) {
    benchy_set_error(err, errlen, "the server's context is too small: a request may use %lld tokens (%s), but "
           "depth %lld + pp %lld + tg %lld needs %lld. Lower --depth/--pp/--tg, or give the server "
           "more context (llama-server: -c, which is divided among -np slots unless -kvu; vLLM: "
           "--max-model-len).", (long long)n_ctx, source, (long long)worst->depth,
           (long long)worst->pp, (long long)worst->tg, (long long)need);
    return BENCHY_ERR_LIMIT;
  }
  return BENCHY_OK;
}

/* ---- requests ---- */

static char *make_body(const bench *b, const prompt_text *pt, int64_t max_tokens) {
  cJSON *body = cJSON_CreateObject();
  if (!body) return NULL;
  int ok = cJSON_AddStringToObject(body, "model", b->model) && prompt_to_body(pt, b->api, body) == 0 &&
           request_body_force_length(body, max_tokens) == 0 && cJSON_AddBoolToObject(body, "stream", 1);
  cJSON *so = ok ? cJSON_AddObjectToObject(body, "stream_options") : NULL;
  ok = ok && so && cJSON_AddBoolToObject(so, "include_usage", 1);
  if (ok && b->no_cache) ok = cJSON_AddBoolToObject(body, "cache_prompt", 0) != NULL;
  if (ok) ok = request_body_apply(b->rbody, body) == 0;
  char *text = ok ? cJSON_PrintUnformatted(body) : NULL;
  cJSON_Delete(body);
  return text;
}

static int hook_next(void *ud, uint64_t index, runner_request *out) {
  run_ctx *rc = ud;
  if (index >= rc->n) return 1;
  out->endpoint = rc->b->api;
  out->body = rc->bodies[index];
  out->tag = rc->phase == PHASE_TIMED ? rc->t->key : NULL;
  out->send_at_ns = 0;
  return 0;
}

static void hook_chunk(void *ud, int thread, uint64_t index, const benchy_chunk_event *ev) {
  run_ctx *rc = ud;
  if (rc->phase != PHASE_TIMED || !(ev->kinds & BENCHY_CHUNK_TOKENS) || index >= rc->n) return;
  bench_metrics_add_chunk(&rc->reqs[index], ev->t_ns, ev->tokens);
}

static void hook_record(void *ud, int thread, uint64_t index, const benchy_record *rec) {
  run_ctx *rc = ud;
  bench *b = rc->b;
  if (index >= rc->n) return;
  if (rc->phase != PHASE_TIMED) {
    rc->status[index] = rec->status;
    if (rc->ttfr_ms) rc->ttfr_ms[index] = bench_ns_ms(benchy_record_ttfr_ns(rec));
    if (rec->status != BENCHY_OK && rec->status != BENCHY_ERR_CANCELLED) {
      pthread_mutex_lock(&b->mu);
      if (!rc->first_err[0])
        snprintf(rc->first_err, sizeof rc->first_err, "%s", rec->error ? rec->error : benchy_status_message(rec->status));
      pthread_mutex_unlock(&b->mu);
    }
    return;
  }
  if (rec->status == BENCHY_ERR_CANCELLED) return; /* interrupted: not a result */
  req_m *m = &rc->reqs[index];
  bench_req_shape shape = {rc->t->pp, rc->t->tg, rc->t->depth, b->cached_mode, b->latency_ms};
  bench_metrics_compute(m, &shape, rec, &rc->prompts[index]);
  cJSON *rj = record_to_json(rec, b->t0, b->raw);
  if (rj) {
    cJSON_AddStringToObject(rj, "test", rc->t->key);
    cJSON_AddNumberToObject(rj, "run", rc->run);
    cJSON_AddNumberToObject(rj, "req", (double)index);
    cJSON *bm = bench_metrics_to_json(m);
    if (bm) cJSON_AddItemToObject(rj, "bench", bm);
  }
  m->rec = rj;
  bench_journal_record(b, rc->t, rc->run, index, rj);
  /* --raw: the chunk times are in the file now; the copy kept for the
   * result does without them (as load does). */
  if (b->jl && rj && b->raw) cJSON_DeleteItemFromObjectCaseSensitive(rj, "chunks_raw");
}

static int run_requests(bench *b, run_ctx *rc, uint64_t concurrency, char *err, size_t errlen) {
  runner_config cfg = {0};
  cfg.base_url = b->tgt.base_url;
  cfg.api_key = b->tgt.api_key;
  cfg.headers = b->tgt.headers;
  cfg.n_headers = b->tgt.n_headers;
  /* The one-token latency probe is auxiliary: a stall must not cost --timeout. */
  cfg.timeout_ms = rc->phase == PHASE_LATENCY ? b->tgt.probe_timeout_ms : b->timeout_ms;
  cfg.threads = b->threads;
  cfg.request_flags = rc->phase == PHASE_TIMED && b->raw ? BENCHY_KEEP_CHUNKS : 0;
  cfg.count = rc->n;
  cfg.max_concurrency = concurrency;
  runner_hooks hooks = {rc, hook_next, hook_chunk, hook_record, NULL};
  runner_summary sum;
  return runner_run(&cfg, &hooks, &sum, err, errlen);
}

static void free_bodies(run_ctx *rc) {
  for (size_t i = 0; rc->bodies && i < rc->n; i++) free(rc->bodies[i]);
  free(rc->bodies);
  for (size_t i = 0; rc->prompts && i < rc->n; i++) prompt_text_free(&rc->prompts[i]);
  free(rc->prompts);
  free(rc->status);
  free(rc->ttfr_ms);
  rc->bodies = NULL;
  rc->prompts = NULL;
  rc->status = NULL;
  rc->ttfr_ms = NULL;
}

static int alloc_ctx(run_ctx *rc, size_t n) {
  rc->n = n;
  rc->bodies = calloc(n, sizeof *rc->bodies);
  rc->prompts = calloc(n, sizeof *rc->prompts);
  rc->status = calloc(n, sizeof *rc->status);
  rc->ttfr_ms = calloc(n, sizeof *rc->ttfr_ms);
  return rc->bodies && rc->prompts && rc->status && rc->ttfr_ms ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

/* Short requests (api: GET /v1/models; generation: one-token completions);
 * the median round trip is the network latency subtracted from prefill. */
static int measure_latency(bench *b, char *err, size_t errlen) {
  if (b->latency_mode == LAT_NONE) {
    b->latency_ms = 0;
    return BENCHY_OK;
  }
  double v[5];
  size_t n = 0;
  if (b->latency_mode == LAT_API) {
    for (int i = 0; i < 5; i++) {
      char *body = NULL;
      int http = 0;
      int64_t t = benchy_now_ns();
      int st = benchy_session_fetch(b->tgt.sess, "GET", "models", NULL, &http, &body);
      int64_t dt = benchy_now_ns() - t;
      free(body);
      if (st != BENCHY_OK) {
        benchy_set_error(err, errlen, "measuring latency (GET %s/models): %s", b->tgt.shown_url,
               benchy_session_error(b->tgt.sess));
        startup_explain_timeout(err, errlen, st, b->opts);
        return st;
      }
      v[n++] = bench_ns_ms(dt);
    }
  } else {
    run_ctx rc = {b, NULL, 0, PHASE_LATENCY, 0, NULL, NULL, NULL, NULL, NULL, ""};
    int st = alloc_ctx(&rc, 3);
    for (size_t i = 0; st == BENCHY_OK && i < rc.n; i++) {
      st = prompt_make(b->pg, KEY_LATENCY + i, 16, &rc.prompts[i], err, errlen);
      if (st == BENCHY_OK && !(rc.bodies[i] = make_body(b, &rc.prompts[i], 1))) st = BENCHY_ERR_NOMEM;
    }
    if (st == BENCHY_OK) st = run_requests(b, &rc, 1, err, errlen);
    for (size_t i = 0; st == BENCHY_OK && i < rc.n; i++) {
      if (rc.status[i] != BENCHY_OK) {
        st = rc.status[i];
        if (st == BENCHY_ERR_CANCELLED) break;
        benchy_set_error(err, errlen, "measuring latency with a one-token request failed: %s", rc.first_err);
        startup_explain_timeout(err, errlen, st, b->opts);
        break;
      }
      v[n++] = rc.ttfr_ms[i];
    }
    free_bodies(&rc);
    if (st != BENCHY_OK) return st;
  }
  /* The median: one slow round trip must not move every est_ppt. */
  static const double median = 50;
  benchy_percentiles(v, n, &median, 1, &b->latency_ms);
  return BENCHY_OK;
}

static int warm_up(bench *b, char *err, size_t errlen) {
  if (b->warmup <= 0) return BENCHY_OK;
  int remaining = 0;
  for (size_t i = 0; i < b->n_tests; i++)
    for (int r = 0; r < b->runs; r++) remaining += !b->tests[i].runs[r].done;
  if (!remaining) return BENCHY_OK; /* --resume of a finished file: nothing to warm up for */
  const test_t *t0 = &b->tests[0];
  int64_t conc = 1;
  for (size_t i = 0; i < b->n_tests; i++)
    if (b->tests[i].conc > conc) conc = b->tests[i].conc;
  if (conc > b->warmup) conc = b->warmup;
  run_ctx rc = {b, NULL, 0, PHASE_WARMUP, 0, NULL, NULL, NULL, NULL, NULL, ""};
  int st = alloc_ctx(&rc, (size_t)b->warmup);
  for (size_t i = 0; st == BENCHY_OK && i < rc.n; i++) {
    st = prompt_make(b->pg, KEY_WARMUP + i, t0->pp, &rc.prompts[i], err, errlen);
    if (st == BENCHY_OK && !(rc.bodies[i] = make_body(b, &rc.prompts[i], t0->tg > 0 && t0->tg < 16 ? t0->tg : 16)))
      st = BENCHY_ERR_NOMEM;
  }
  run_phase("warmup", 0, 0, "warm-up (%d requests)", b->warmup);
  if (st == BENCHY_OK) st = run_requests(b, &rc, (uint64_t)conc, err, errlen);
  if (st == BENCHY_OK) {
    size_t failed = 0;
    int first_status = BENCHY_OK;
    for (size_t i = 0; i < rc.n; i++)
      if (rc.status[i] != BENCHY_OK) {
        failed++;
        if (!first_status) first_status = rc.status[i];
      }
    if (failed == rc.n) {
      benchy_set_error(err, errlen, "every warm-up request failed, so nothing was measured: %s", rc.first_err);
      st = first_status ? first_status : BENCHY_ERR_HTTP;
    }
  }
  free_bodies(&rc);
  return st;
}

/* One run of one test: contexts filled (cached depth), then conc timed
 * requests together. */
static int run_test_once(bench *b, test_t *t, int run, char *err, size_t errlen) {
  size_t c = (size_t)t->conc;
  req_m *reqs = &t->reqs[(size_t)run * c];
  for (size_t i = 0; i < c; i++) bench_metrics_clear(&reqs[i]);
  run_ctx rc = {b, t, run, PHASE_TIMED, 0, NULL, NULL, reqs, NULL, NULL, ""};
  int st = alloc_ctx(&rc, c);
  uint64_t base = benchy_fnv1a(t->key) ^ ((uint64_t)run << 32);
  for (size_t i = 0; st == BENCHY_OK && i < c; i++) {
    uint64_t key = base + i;
    st = prompt_make_pair(b->pg, key, t->depth, key, t->pp, &rc.prompts[i], err, errlen);
    if (st != BENCHY_OK) break;
    if (!(rc.bodies[i] = make_body(b, &rc.prompts[i], bench_plan_max_tokens(t->tg)))) st = BENCHY_ERR_NOMEM;
  }
  if (st == BENCHY_OK && b->cached_mode && t->depth > 0) {
    /* llama-bench's depth: the context goes first, untimed. */
    run_ctx fill = {b, t, run, PHASE_FILL, 0, NULL, NULL, NULL, NULL, NULL, ""};
    st = alloc_ctx(&fill, c);
    for (size_t i = 0; st == BENCHY_OK && i < c; i++) {
      st = prompt_context_only(&rc.prompts[i], b->api, &fill.prompts[i]);
      if (st == BENCHY_OK && !(fill.bodies[i] = make_body(b, &fill.prompts[i], 1))) st = BENCHY_ERR_NOMEM;
    }
    if (st == BENCHY_OK) st = run_requests(b, &fill, c, err, errlen);
    for (size_t i = 0; st == BENCHY_OK && i < c; i++)
      if (fill.status[i] != BENCHY_OK) {
        b->fills_failed++;
        if (!b->fill_error[0]) snprintf(b->fill_error, sizeof b->fill_error, "%s", fill.first_err);
      }
    free_bodies(&fill);
  }
  if (st == BENCHY_OK) st = run_requests(b, &rc, c, err, errlen);
  int complete = st == BENCHY_OK;
  for (size_t i = 0; complete && i < c; i++) complete = reqs[i].filled;
  if (complete) {
    bench_run_totals(reqs, c, b->latency_ms, &t->runs[run]);
    t->runs[run].done = 1;
    bench_journal_run(b, t, run, &t->runs[run]);
  } else {
    /* An interrupted run is redone by --resume; its finished records stay in
     * the result (they happened) but no run line vouches for them. */
    t->runs[run].done = 0;
  }
  for (size_t i = 0; i < c; i++) bench_metrics_drop_chunks(&reqs[i]);
  free_bodies(&rc);
  return st;
}

static void bench_free(bench *b) {
  for (size_t i = 0; i < b->n_tests; i++) {
    test_t *t = &b->tests[i];
    for (size_t k = 0; t->reqs && k < (size_t)b->runs * (size_t)t->conc; k++) bench_metrics_clear(&t->reqs[k]);
    free(t->reqs);
    free(t->runs);
    cJSON_Delete(t->sampled);
  }
  free(b->tests);
  bench_plan_free(b->rows, b->n_rows);
  free(b->pcts);
  free(b->model);
  prompt_gen_free(b->pg);
  request_body_free(b->rbody);
  cJSON_Delete(b->server_reported);
  target_free(&b->tgt); /* unwatches its loop for interrupts first */
  jsonl_close(b->jl);
  pthread_mutex_destroy(&b->mu);
}

/* --max-failure-rate, test by test (a test's pp and tg rows share its
 * requests). err is NULL when the run already failed another way. */
static int judge_tests(const bench *b, cJSON *doc, char *err, size_t errlen) {
  failure_rule rule;
  int st = failure_rule_init(&rule, benchy_options_double(b->opts, "max-failure-rate"));
  for (size_t i = 0; st == BENCHY_OK && i < b->n_tests; i++) {
    const test_t *t = &b->tests[i];
    cJSON *by_kind = cJSON_CreateObject();
    if (!by_kind) {
      st = BENCHY_ERR_NOMEM;
      break;
    }
    int64_t requests = 0, failed = 0;
    const char *example = NULL;
    for (size_t k = 0; k < (size_t)b->runs * (size_t)t->conc; k++) {
      const req_m *m = &t->reqs[k];
      if (!m->filled || m->status == BENCHY_ERR_CANCELLED) continue;
      requests++;
      if (m->status == BENCHY_OK) continue;
      failed++;
      failure_rule_count(by_kind, m->status);
      if (!example) example = m->error ? m->error : benchy_status_message(m->status);
    }
    char label[160];
    snprintf(label, sizeof label, "test pp%lld/tg%lld%s%.0lld (c%lld)", (long long)t->pp, (long long)t->tg,
             t->depth ? " @ d" : "", (long long)t->depth, (long long)t->conc);
    failure_rule_judge(&rule, label, requests, failed, by_kind, example);
    cJSON_Delete(by_kind);
  }
  if (st == BENCHY_OK) st = failure_rule_finish(&rule, doc, err, errlen);
  failure_rule_free(&rule);
  return st;
}

/* Everything that can fail before a request is timed. Each step blocks on
 * the target's loop (fetches) or the runner's loops, which an interrupt
 * stops; *phase names the step for the message. */
static int start(bench *b, const char **phase, char *err, size_t errlen) {
  const benchy_options *opts = b->opts;
  int st = target_connect(&b->tgt, err, errlen);
  if (st == BENCHY_OK && !interrupt_pending()) {
    *phase = "checking the server (GET /v1/models)";
    run_phase("check", 0, 0, "checking %s", b->tgt.shown_url);
    st = target_check_model(&b->tgt, opts, &b->model, b->server, err, errlen);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    *phase = "reading the server's context size (GET /props)";
    st = check_context(b, err, errlen);
  }
  /* Asked now, while the server is known to answer: a result written after
   * it died must not wait on it. */
  if (st == BENCHY_OK && !interrupt_pending()) {
    *phase = "asking the server to describe itself";
    b->server_reported = meta_server_reported(opts, b->tgt.sess);
  }
  if (st == BENCHY_OK) st = bench_journal_add_model(b, err, errlen);
  if (st == BENCHY_OK && b->resume) st = bench_journal_resume(b, err, errlen);
  /* Before any request: a bad --jsonl path must not cost a probe or a warm-up. */
  if (st == BENCHY_OK && b->jsonl_path) {
    cJSON *cfg = config_json(b);
    st = bench_journal_open(b, cfg, err, errlen);
    cJSON_Delete(cfg);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    *phase = "sizing prompts with the server's tokenizer (/tokenize, /apply-template)";
    run_phase("probe", 0, 0, "sizing prompts with the server's tokenizer");
    prompt_config pc = {b->tgt.sess, b->model, b->api, b->text_seed, PROMPT_METHOD_AUTO, 1, b->no_cache};
    char why[512] = "";
    st = prompt_gen_new(&b->pg, &pc, why, sizeof why);
    if (st != BENCHY_OK) {
      benchy_set_error(err, errlen, "a probe request to %s failed, so nothing was measured: %s",
                       b->tgt.shown_url, why);
      startup_explain_timeout(err, errlen, st, opts);
    }
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    *phase = "measuring network latency";
    st = measure_latency(b, err, errlen);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    *phase = "warming up";
    st = warm_up(b, err, errlen);
  }
  return st;
}

/* Every run of every test not already in a resumed file; *where says how
 * far it got. */
static int run_matrix(bench *b, char *where, size_t wherelen, char *err, size_t errlen) {
  int run_status = BENCHY_OK;
  size_t total_runs = b->n_tests * (size_t)b->runs, done_runs = 0;
  for (size_t i = 0; i < b->n_tests && run_status == BENCHY_OK; i++) {
    test_t *t = &b->tests[i];
    /* One sampled level per shape, all its runs; rows pool them (bench_doc.c). */
    int to_run = 0;
    for (int r = 0; r < b->runs; r++) to_run |= !t->runs[r].done;
    char label[96];
    snprintf(label, sizeof label, "pp%lld tg%lld%s%.0lld (c%lld)", (long long)t->pp, (long long)t->tg,
             t->depth ? " @ d" : "", (long long)t->depth, (long long)t->conc);
    if (to_run) sampling_level_begin(label);
    for (int r = 0; r < b->runs && run_status == BENCHY_OK; r++, done_runs++) {
      if (t->runs[r].done) continue; /* --resume: already in the file */
      run_phase("row", done_runs, total_runs, "%zu/%zu  pp%lld tg%lld%s%.0lld (c%lld)  run %d/%d", done_runs + 1, total_runs,
               (long long)t->pp, (long long)t->tg, t->depth ? " @ d" : "", (long long)t->depth,
               (long long)t->conc, r + 1, b->runs);
      snprintf(where, wherelen, "run %zu of %zu", done_runs + 1, total_runs);
      run_status = run_test_once(b, t, r, err, errlen);
      if (interrupt_pending()) run_status = BENCHY_ERR_CANCELLED;
    }
    if (to_run && !t->sampled && (t->sampled = cJSON_CreateObject())) sampling_level_end(t->sampled, label);
  }
  return run_status;
}

/* The result of the matrix. run_status: OK, every run done (some requests
 * may have failed, as the rows say); CANCELLED: interrupted; anything else:
 * the matrix stopped on an error. */
static int finish(bench *b, int run_status, const char *where, benchy_result **out, char *err, size_t errlen) {
  cJSON *doc = bench_doc_build(b, run_status, config_json(b));
  int rule_st = doc ? judge_tests(b, doc, run_status == BENCHY_OK ? err : NULL, errlen) : BENCHY_OK;
  if (doc && run_status == BENCHY_OK && rule_st != BENCHY_OK)
    cJSON_ReplaceItemInObjectCaseSensitive(doc, "status", cJSON_CreateString(benchy_status_name(rule_st)));
  benchy_result *res = doc ? result_new("bench", doc, bench_render_md, bench_render_csv) : NULL;
  if (res) res->status = run_status == BENCHY_OK ? rule_st : run_status;
  int ret;
  if (!res) {
    ret = BENCHY_ERR_NOMEM;
    benchy_set_error(err, errlen, "out of memory building the result");
  } else if (run_status == BENCHY_ERR_CANCELLED) {
    ret = BENCHY_ERR_CANCELLED;
    benchy_set_error(err, errlen, "interrupted while measuring (%s): the result holds every request that "
           "completed%s%s", where, b->jl ? "; continue with --resume --jsonl " : "", b->jl ? b->jsonl_path : "");
  } else if (run_status != BENCHY_OK) {
    ret = run_status; /* err already says what (a prompt could not be sized, ...) */
    startup_explain_timeout(err, errlen, run_status, b->opts);
  } else {
    ret = rule_st; /* BENCHY_OK, or err says which tests failed too many requests */
  }
  *out = res;
  return ret;
}

int bench_execute(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
  if (out) *out = NULL;
  if (err && errlen) err[0] = 0;
  if (!opts || !out) {
    benchy_set_error(err, errlen, "benchy_bench_run: options and out are required");
    return BENCHY_ERR_INVALID;
  }
  if (!(benchy_options_command(opts) & BENCHY_CMD_BENCH)) {
    benchy_set_error(err, errlen, "benchy_bench_run: the options are not those of the bench command");
    return BENCHY_ERR_INVALID;
  }
  bench b;
  memset(&b, 0, sizeof b);
  b.tgt.watch = -1;
  pthread_mutex_init(&b.mu, NULL);
  b.opts = opts;
  b.t0 = benchy_now_ns();
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  b.started_at = wall.tv_sec;
  snprintf(b.attempt, sizeof b.attempt, "%lld.%09ld-%d", (long long)wall.tv_sec, wall.tv_nsec, (int)getpid());
  b.server = cJSON_CreateObject();
  int st = b.server ? bench_parse_options(&b, err, errlen) : BENCHY_ERR_NOMEM;
  /* A --jsonl file that would be refused is refused before the server is asked anything. */
  if (st == BENCHY_OK && b.jsonl_path)
    st = jsonl_check(b.jsonl_path, "bench", b.resume, NULL, err, errlen);
  /* Texts are new in every invocation unless --seed asks for repeatable
   * ones: a server keeps its prompt cache between our runs, and the same
   * prompts sent again would be served from it (a 10-50x pp "speed-up"). */
  b.text_seed = b.seed_given ? b.seed : b.seed ^ benchy_fnv1a(b.attempt);

  /* Everything that can fail before a request is timed fails here, with
   * *out left NULL. */
  const char *phase = "starting";
  if (st == BENCHY_OK) st = start(&b, &phase, err, errlen);
  if (st != BENCHY_OK || interrupt_pending()) {
    if (interrupt_pending() || st == BENCHY_ERR_CANCELLED) {
      st = BENCHY_ERR_CANCELLED;
      startup_interrupted(err, errlen, phase, b.jl ? b.jsonl_path : NULL);
      interrupt_clear(); /* consumed: a later run in this process proceeds */
    }
    if (err && errlen && !err[0]) benchy_set_error(err, errlen, "%s", benchy_status_message(st));
    target_unwatch(&b.tgt);
    cJSON_Delete(b.server);
    bench_free(&b);
    return st;
  }

  char where[64] = "";
  int run_status = run_matrix(&b, where, sizeof where, err, errlen);
  int ret = finish(&b, run_status, where, out, err, errlen);
  target_unwatch(&b.tgt);
  /* An interrupt that came during this run was this run's; one that came
   * after its last step changed nothing. Either way the next run proceeds. */
  interrupt_clear();
  cJSON_Delete(b.server);
  bench_free(&b);
  return ret;
}
