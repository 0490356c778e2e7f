/*
 * bench.c — benchy_bench_run(): the llama-bench-style pp × tg × depth ×
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
 * Uses runner.h (requests on threads), prompt.h and the report/ writers.
 */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../proto/openai.h"
#include "../report/bench_render.h"
#include "../report/jsonl.h"
#include "failure_rule.h"
#include "server_check.h"
#include "../report/record_json.h"
#include "../report/run_metadata.h"
#include "../report/result_internal.h"
#include "bench_peak.h"
#include "bench_plan.h"
#include "interrupt.h"
#include "run_progress.h"
#include "workload_entry.h"
#include "prompt.h"
#include "request_body.h"
#include "runner.h"
#include "server_facts.h"
#include "startup.h"

enum { LAT_API = 0, LAT_GENERATION = 1, LAT_NONE = 2 };
enum { CACHE_NA = 0, CACHE_HIT, CACHE_PARTIAL, CACHE_MISS, CACHE_UNKNOWN };
enum { PHASE_TIMED = 0, PHASE_FILL, PHASE_WARMUP, PHASE_LATENCY };

/* Key domains, so that warm-up and latency prompts never share text (or a
 * cached prefix) with measured ones. */
#define KEY_WARMUP 0x5741524d00000000ull
#define KEY_LATENCY 0x4c41540000000000ull

typedef struct req_m {
  int filled; /* holds a result, measured now or reloaded */
  int status, http_status;
  char *error, *finish_reason;
  int64_t prompt_target, context_target, output_target;
  int64_t prompt_tokens, cached_tokens, timed_tokens, output_tokens, token_chunks;
  int count_method;
  double first_chunk_tokens; /* tokens carried by the first token chunk */
  double ttfr_ms, ttft_ms, est_ppt_ms, e2e_ms, pp_tps, tg_tps, srv_pp_tps, srv_tg_tps;
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

typedef struct run_m {
  int done;
  double pp_total, tg_total, peak;
} run_m;

typedef struct test_t {
  int64_t pp, tg, depth, conc;
  char key[96];
  req_m *reqs; /* runs * conc */
  run_m *runs;
} test_t;

typedef struct bench {
  const benchy_options *opts;
  char base_url[1024];
  char shown_url[1024]; /* base_url without user:password@ */
  char *model;
  const char *served, *name, *jsonl_path;
  char *api_key;
  const char **headers;
  size_t n_headers;
  benchy_endpoint api;
  int64_t timeout_ms;
  int64_t probe_timeout_ms; /* requests that check the server or size prompts */
  int cached_mode, mode_implied, no_cache, latency_mode, ddof, raw, threads, runs, warmup, resume;
  double *pcts;
  size_t n_pcts;
  uint64_t seed;        /* --seed */
  uint64_t text_seed;   /* what prompt texts are drawn with */
  int seed_given;
  test_t *tests;
  size_t n_tests;
  bench_row_plan *rows; /* the table: one row per distinct test */
  size_t n_rows;

  benchy_loop *loop;
  benchy_session *sess;
  prompt_gen *pg;
  double latency_ms;
  int64_t t0;
  jsonl_writer *jl;
  char attempt[48];
  char fingerprint[1024];
  cJSON *server; /* what was learnt of the server */
  request_body *rbody;
  int fingerprint_mismatch;

  pthread_mutex_t mu;
  long fills_failed;
  char fill_error[256];
} bench;

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


static double ns_ms(int64_t ns) { return ns < 0 ? NAN : (double)ns / 1e6; }

static uint64_t fnv1a(const char *s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
  return h;
}

/* The URL as it may be shown and saved: user:password@ removed. */
static void redact_url(const char *url, char *out, size_t outlen) {
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  const char *at = strchr(host, '@');
  const char *slash = strchr(host, '/');
  if (at && (!slash || at < slash))
    snprintf(out, outlen, "%.*s%s", (int)(host - url), url, at + 1);
  else
    snprintf(out, outlen, "%s", url);
}


/* ---- options ---- */

static int read_int_list(const benchy_options *o, const char *name, int64_t **out, size_t *n) {
  *n = benchy_options_list_len(o, name);
  *out = calloc(*n ? *n : 1, sizeof **out);
  if (!*out) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < *n; i++) (*out)[i] = benchy_options_list_int(o, name, i);
  return BENCHY_OK;
}

static int parse_options(bench *b, char *err, size_t errlen) {
  const benchy_options *o = b->opts;
  const char *url = benchy_options_str(o, "base-url");
  if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
    benchy_set_error(err, errlen, "--base-url '%s' is not an http:// or https:// URL (it includes /v1, e.g. "
           "http://127.0.0.1:8090/v1)", url ? url : "");
    return BENCHY_ERR_INVALID;
  }
  snprintf(b->base_url, sizeof b->base_url, "%s", url);
  size_t ul = strlen(b->base_url);
  while (ul > 0 && b->base_url[ul - 1] == '/') b->base_url[--ul] = 0; /* "…/v1/" works too */
  redact_url(b->base_url, b->shown_url, sizeof b->shown_url);
  const char *model = benchy_options_str(o, "model");
  if (model && !(b->model = benchy_strdup(model))) return BENCHY_ERR_NOMEM;
  b->served = benchy_options_str(o, "served-model-name");
  b->name = benchy_options_str(o, "name");
  b->jsonl_path = benchy_options_str(o, "jsonl");
  b->resume = benchy_options_flag(o, "resume");
  if (b->resume && !b->jsonl_path) {
    benchy_set_error(err, errlen, "--resume needs --jsonl FILE: the file of the run to continue");
    return BENCHY_ERR_INVALID;
  }
  const char *env = benchy_options_str(o, "api-key-env");
  const char *key = env && env[0] ? getenv(env) : NULL;
  if (key && key[0] && !(b->api_key = benchy_strdup(key))) return BENCHY_ERR_NOMEM;
  b->n_headers = benchy_options_list_len(o, "header");
  if (b->n_headers) {
    b->headers = calloc(b->n_headers, sizeof *b->headers);
    if (!b->headers) return BENCHY_ERR_NOMEM;
    for (size_t i = 0; i < b->n_headers; i++) {
      b->headers[i] = benchy_options_list_str(o, "header", i);
      if (!b->headers[i] || !strchr(b->headers[i], ':')) {
        benchy_set_error(err, errlen, "--header '%s' is not of the form 'Name: value'",
               b->headers[i] ? b->headers[i] : "");
        return BENCHY_ERR_INVALID;
      }
    }
  }
  const char *api = benchy_options_str(o, "api");
  b->api = api && !strcmp(api, "completions") ? BENCHY_ENDPOINT_COMPLETIONS : BENCHY_ENDPOINT_CHAT;
  b->timeout_ms = (int64_t)(benchy_options_double(o, "timeout") * 1000.0);
  b->no_cache = benchy_options_flag(o, "no-cache");
  int body_st = request_body_new(&b->rbody, o, err, errlen);
  if (body_st != BENCHY_OK) return body_st;
  const char *mode = benchy_options_str(o, "depth-mode");
  b->cached_mode = !mode || strcmp(mode, "resend") != 0;
  const char *lat = benchy_options_str(o, "latency-mode");
  b->latency_mode = lat && !strcmp(lat, "generation") ? LAT_GENERATION
                    : lat && !strcmp(lat, "none")     ? LAT_NONE
                                                       : LAT_API;
  const char *sd = benchy_options_str(o, "stddev");
  b->ddof = sd && !strcmp(sd, "population") ? 0 : 1;
  b->raw = benchy_options_flag(o, "raw");
  b->threads = (int)benchy_options_int(o, "threads");
  if (b->threads < 1) b->threads = 1;
  b->runs = (int)benchy_options_int(o, "runs");
  if (b->runs < 1) b->runs = 1;
  b->warmup = benchy_options_flag(o, "no-warmup") ? 0 : (int)benchy_options_int(o, "warmup");
  b->seed = (uint64_t)benchy_options_int(o, "seed");
  b->seed_given = benchy_options_is_set(o, "seed");
  b->n_pcts = benchy_options_list_len(o, "percentiles");
  b->pcts = calloc(b->n_pcts ? b->n_pcts : 1, sizeof *b->pcts);
  if (!b->pcts) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < b->n_pcts; i++) b->pcts[i] = benchy_options_list_double(o, "percentiles", i);

  int64_t *pp = NULL, *tg = NULL, *depth = NULL, *conc = NULL;
  size_t npp, ntg, nd, nc;
  int st = read_int_list(o, "pp", &pp, &npp);
  if (st == BENCHY_OK) st = read_int_list(o, "tg", &tg, &ntg);
  if (st == BENCHY_OK) st = read_int_list(o, "depth", &depth, &nd);
  if (st == BENCHY_OK) st = read_int_list(o, "concurrency", &conc, &nc);
  if (st == BENCHY_OK && (!npp || !ntg || !nd || !nc)) {
    benchy_set_error(err, errlen, "--pp, --tg, --depth and --concurrency each need at least one value");
    st = BENCHY_ERR_INVALID;
  }
  int any_depth = 0;
  for (size_t i = 0; st == BENCHY_OK && i < nd; i++) any_depth |= depth[i] > 0;
  if (st == BENCHY_OK && b->no_cache && b->cached_mode && any_depth) {
    if (benchy_options_is_set(o, "depth-mode")) {
      benchy_set_error(err, errlen, "--no-cache contradicts --depth-mode cached: the depth context cannot be "
             "served from a cache that is off. Use --depth-mode resend (llama-benchy's meaning), or "
             "drop --no-cache");
      st = BENCHY_ERR_INVALID;
    } else {
      /* llama-benchy's --no-cache with depth re-sends everything; say so. */
      b->cached_mode = 0;
      b->mode_implied = 1;
    }
  }
  if (st == BENCHY_OK) {
    b->tests = calloc(npp * ntg * nd * nc, sizeof *b->tests);
    if (!b->tests) st = BENCHY_ERR_NOMEM;
  }
  size_t k = 0;
  for (size_t di = 0; st == BENCHY_OK && di < nd; di++)
    for (size_t pi = 0; pi < npp; pi++)
      for (size_t ti = 0; ti < ntg; ti++)
        for (size_t ci = 0; ci < nc && st == BENCHY_OK; ci++) {
          if (pp[pi] == 0 && tg[ti] == 0) continue; /* neither test: nothing to send */
          test_t *t = &b->tests[k++];
          b->n_tests = k;
          t->pp = pp[pi];
          t->tg = tg[ti];
          t->depth = depth[di];
          t->conc = conc[ci];
          snprintf(t->key, sizeof t->key, "pp%lld-tg%lld-d%lld-c%lld", (long long)t->pp,
                   (long long)t->tg, (long long)t->depth, (long long)t->conc);
          t->reqs = calloc((size_t)(b->runs * t->conc), sizeof *t->reqs);
          t->runs = calloc((size_t)b->runs, sizeof *t->runs);
          if (!t->reqs || !t->runs) st = BENCHY_ERR_NOMEM;
        }
  if (st == BENCHY_OK && !b->n_tests) {
    benchy_set_error(err, errlen, "--pp 0 with --tg 0 leaves nothing to measure: --pp 0 runs tg tests only "
                     "and --tg 0 pp tests only; give a non-zero length for the tests you want");
    st = BENCHY_ERR_INVALID;
  }
  if (st == BENCHY_OK) {
    bench_shape *shapes = calloc(b->n_tests, sizeof *shapes);
    if (!shapes) st = BENCHY_ERR_NOMEM;
    for (size_t i = 0; shapes && i < b->n_tests; i++)
      shapes[i] = (bench_shape){b->tests[i].pp, b->tests[i].tg, b->tests[i].depth, b->tests[i].conc};
    if (shapes)
      st = bench_plan_rows(shapes, b->n_tests, bench_plan_shows_concurrency(conc, nc), &b->rows, &b->n_rows);
    free(shapes);
  }
  if (st == BENCHY_OK) {
    /* What must match for --resume to continue a file (the model is added
     * once the server has named it: see add_model_to_fingerprint). */
    benchy_buf fp = {0};
    benchy_buf_printf(&fp, "api=%s;mode=%s;runs=%d;seed=%llu;pp=",
                      b->api == BENCHY_ENDPOINT_CHAT ? "chat" : "completions",
                      b->cached_mode ? "cached" : "resend", b->runs, (unsigned long long)b->seed);
    for (size_t i = 0; i < npp; i++) benchy_buf_printf(&fp, "%s%lld", i ? "," : "", (long long)pp[i]);
    benchy_buf_append_str(&fp, ";tg=");
    for (size_t i = 0; i < ntg; i++) benchy_buf_printf(&fp, "%s%lld", i ? "," : "", (long long)tg[i]);
    benchy_buf_append_str(&fp, ";depth=");
    for (size_t i = 0; i < nd; i++) benchy_buf_printf(&fp, "%s%lld", i ? "," : "", (long long)depth[i]);
    benchy_buf_append_str(&fp, ";c=");
    for (size_t i = 0; i < nc; i++) benchy_buf_printf(&fp, "%s%lld", i ? "," : "", (long long)conc[i]);
    /* Runs sampled differently must not be mixed in one result. */
    char *sent = request_body_fingerprint(b->rbody);
    if (sent) benchy_buf_printf(&fp, ";body=%s", sent);
    cJSON_free(sent);
    if (benchy_buf_terminate(&fp))
      st = BENCHY_ERR_NOMEM;
    else
      snprintf(b->fingerprint, sizeof b->fingerprint, "%s", fp.data);
    benchy_buf_free(&fp);
  }
  free(pp);
  free(tg);
  free(depth);
  free(conc);
  return st;
}

/* The configuration as written into results: every bench option, header
 * names without their values, no API key (only the variable's name). */
static cJSON *config_json(const bench *b) {
  cJSON *c = cJSON_CreateObject();
  if (!c) return NULL;
  for (size_t i = 0; i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if (!(info->commands & BENCHY_CMD_BENCH) || (info->flags & (BENCHY_OPTF_ALIAS | BENCHY_OPTF_SECRET)))
      continue;
    const char *name = info->name;
    if (!strcmp(name, "base-url")) {
      cJSON_AddStringToObject(c, name, b->shown_url);
      continue;
    }
    if (!strcmp(name, "header")) {
      cJSON *arr = cJSON_AddArrayToObject(c, name);
      for (size_t h = 0; arr && h < b->n_headers; h++) {
        const char *colon = strchr(b->headers[h], ':');
        char hn[128];
        snprintf(hn, sizeof hn, "%.*s", (int)(colon - b->headers[h]), b->headers[h]);
        cJSON_AddItemToArray(arr, cJSON_CreateString(hn));
      }
      continue;
    }
    switch (info->type) {
    case BENCHY_OPT_FLAG:
      cJSON_AddBoolToObject(c, name, benchy_options_flag(b->opts, name));
      break;
    case BENCHY_OPT_INT:
    case BENCHY_OPT_DOUBLE:
      /* Unset (a sampling option left to the server) is not 0. */
      if (!benchy_options_str(b->opts, name))
        cJSON_AddNullToObject(c, name);
      else if (info->type == BENCHY_OPT_INT)
        cJSON_AddNumberToObject(c, name, (double)benchy_options_int(b->opts, name));
      else
        cJSON_AddNumberToObject(c, name, benchy_options_double(b->opts, name));
      break;
    case BENCHY_OPT_INT_LIST:
    case BENCHY_OPT_DOUBLE_LIST:
    case BENCHY_OPT_STRING_LIST: {
      cJSON *arr = cJSON_AddArrayToObject(c, name);
      size_t n = benchy_options_list_len(b->opts, name);
      for (size_t k = 0; arr && k < n; k++) {
        if (info->type == BENCHY_OPT_STRING_LIST)
          cJSON_AddItemToArray(arr, cJSON_CreateString(benchy_options_list_str(b->opts, name, k)));
        else
          cJSON_AddItemToArray(arr, cJSON_CreateNumber(benchy_options_list_double(b->opts, name, k)));
      }
      break;
    }
    default: {
      const char *v = benchy_options_str(b->opts, name);
      if (v)
        cJSON_AddStringToObject(c, name, v);
      else
        cJSON_AddNullToObject(c, name);
    }
    }
  }
  /* Resolved values (the model asked of the server, the depth mode --no-cache implied). */
  cJSON_ReplaceItemInObject(c, "model", b->model ? cJSON_CreateString(b->model) : cJSON_CreateNull());
  cJSON_ReplaceItemInObject(c, "depth-mode", cJSON_CreateString(b->cached_mode ? "cached" : "resend"));
  const cJSON *extra = request_body_extra(b->rbody);
  if (extra) cJSON_ReplaceItemInObject(c, "extra-body", cJSON_Duplicate(extra, 1));
  return c;
}

/* ---- server checks ---- */

static int fetch_json(bench *b, const char *path, int *http, cJSON **doc, char *msg, size_t msglen) {
  char *body = NULL;
  *doc = NULL;
  int st = benchy_session_fetch(b->sess, "GET", path, NULL, http, &body);
  if (st == BENCHY_OK) {
    *doc = cJSON_Parse(body ? body : "");
  } else if (*http >= 400) {
    oai_error_message(body, msg, msglen);
  } else {
    snprintf(msg, msglen, "%s", benchy_session_error(b->sess));
  }
  free(body);
  return st;
}

/* The context one request may use: llama-server's per-slot n_ctx from
 * /props, or vLLM's max_model_len from /v1/models. Checked against the
 * largest shape before anything is sent. */
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
  int64_t n_ctx = -1;
  const char *source = NULL;
  int http = 0;
  cJSON *doc = NULL;
  char msg[256];
  int st = fetch_json(b, "/props", &http, &doc, msg, sizeof msg);
  if (st == BENCHY_ERR_CANCELLED) return st;
  if (st == BENCHY_ERR_TIMEOUT) {
    /* Optional as /props is (vLLM has none), a server that holds it open
     * would hold every later probe too. */
    benchy_set_error(err, errlen, "the server did not answer its /props (%s)", msg);
    startup_explain_timeout(err, errlen, st, b->opts);
    return st;
  }
  if (st == BENCHY_OK && doc) {
    const cJSON *dgs = cJSON_GetObjectItemCaseSensitive(doc, "default_generation_settings");
    const cJSON *nc = cJSON_IsObject(dgs) ? cJSON_GetObjectItemCaseSensitive(dgs, "n_ctx") : NULL;
    if (!cJSON_IsNumber(nc)) nc = cJSON_GetObjectItemCaseSensitive(doc, "n_ctx");
    if (cJSON_IsNumber(nc) && nc->valuedouble > 0) {
      n_ctx = (int64_t)nc->valuedouble;
      source = "/props n_ctx (context per slot)";
    }
    const cJSON *slots = cJSON_GetObjectItemCaseSensitive(doc, "total_slots");
    if (cJSON_IsNumber(slots)) cJSON_AddNumberToObject(b->server, "total_slots", slots->valuedouble);
    const cJSON *build = cJSON_GetObjectItemCaseSensitive(doc, "build_info");
    if (cJSON_IsString(build)) cJSON_AddStringToObject(b->server, "build_info", build->valuestring);
    request_body_note_server_defaults(b->rbody, doc);
  }
  cJSON_Delete(doc);
  const cJSON *mml = cJSON_GetObjectItemCaseSensitive(b->server, "max_model_len");
  if (n_ctx < 0 && cJSON_IsNumber(mml)) {
    n_ctx = (int64_t)mml->valuedouble;
    source = "/v1/models max_model_len";
  }
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
  req_m *m = &rc->reqs[index];
  if (m->nc == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    int64_t *ct = realloc(m->ct, cap * sizeof *ct);
    if (!ct) return;
    m->ct = ct;
    int32_t *tok = realloc(m->ctok, cap * sizeof *tok);
    if (!tok) return;
    m->ctok = tok;
    m->cap = cap;
  }
  m->ct[m->nc] = ev->t_ns;
  m->ctok[m->nc] = ev->tokens;
  m->nc++;
}

static const char *cache_name(int c) {
  switch (c) {
  case CACHE_HIT: return "hit";
  case CACHE_PARTIAL: return "partial";
  case CACHE_MISS: return "miss";
  case CACHE_UNKNOWN: return "unknown";
  default: return NULL;
  }
}

static int cache_from_name(const char *s) {
  if (!s) return CACHE_NA;
  if (!strcmp(s, "hit")) return CACHE_HIT;
  if (!strcmp(s, "partial")) return CACHE_PARTIAL;
  if (!strcmp(s, "miss")) return CACHE_MISS;
  if (!strcmp(s, "unknown")) return CACHE_UNKNOWN;
  return CACHE_NA;
}

static void add_num(cJSON *o, const char *name, double v) {
  if (isfinite(v))
    cJSON_AddNumberToObject(o, name, v);
  else
    cJSON_AddNullToObject(o, name);
}

static void add_tri(cJSON *o, const char *name, int v) {
  if (v < 0)
    cJSON_AddNullToObject(o, name);
  else
    cJSON_AddBoolToObject(o, name, v);
}

/* The bench's view of one request, stored with its record as "bench". */
static cJSON *metrics_json(const req_m *m) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddNumberToObject(o, "prompt_target", (double)m->prompt_target);
  cJSON_AddNumberToObject(o, "context_target", (double)m->context_target);
  cJSON_AddNumberToObject(o, "output_target", (double)m->output_target);
  add_num(o, "prompt_tokens", m->prompt_tokens >= 0 ? (double)m->prompt_tokens : NAN);
  add_num(o, "cached_tokens", m->cached_tokens >= 0 ? (double)m->cached_tokens : NAN);
  add_num(o, "timed_prompt_tokens", m->timed_tokens >= 0 ? (double)m->timed_tokens : NAN);
  add_num(o, "output_tokens", m->output_tokens >= 0 ? (double)m->output_tokens : NAN);
  add_num(o, "first_chunk_tokens", m->first_chunk_tokens);
  add_num(o, "ttfr_ms", m->ttfr_ms);
  add_num(o, "e2e_ttft_ms", m->ttft_ms);
  add_num(o, "est_ppt_ms", m->est_ppt_ms);
  add_num(o, "e2e_ms", m->e2e_ms);
  add_num(o, "ttfb_ms", m->ttfb_ms);
  add_num(o, "pp_tps", m->pp_tps);
  add_num(o, "tg_tps", m->tg_tps);
  add_num(o, "server_pp_tps", m->srv_pp_tps);
  add_num(o, "server_tg_tps", m->srv_tg_tps);
  add_tri(o, "prompt_exact", m->prompt_exact);
  cJSON_AddBoolToObject(o, "prompt_counted", m->prompt_counted);
  add_tri(o, "output_exact", m->output_exact);
  cJSON_AddBoolToObject(o, "early_stop", m->early_stop);
  cJSON_AddBoolToObject(o, "unexpected_cache_hit", m->cache_extra);
  const char *cn = cache_name(m->cache);
  if (cn)
    cJSON_AddStringToObject(o, "cache", cn);
  else
    cJSON_AddNullToObject(o, "cache");
  return o;
}

static double get_num(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}
static int64_t get_count(const cJSON *o, const char *name) {
  double v = get_num(o, name);
  return isfinite(v) ? (int64_t)v : -1;
}
static int get_tri(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

static void req_clear(req_m *m) {
  free(m->error);
  free(m->finish_reason);
  free(m->ct);
  free(m->ctok);
  cJSON_Delete(m->rec);
  memset(m, 0, sizeof *m);
}

/* Rebuilds a request's figures from a record written by an earlier run. */
static int req_from_json(req_m *m, const cJSON *rec) {
  const cJSON *bm = cJSON_GetObjectItemCaseSensitive(rec, "bench");
  if (!cJSON_IsObject(bm)) return -1;
  req_clear(m);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec, "status");
  m->status = cJSON_IsString(st) && !strcmp(st->valuestring, "OK") ? BENCHY_OK : BENCHY_ERR_HTTP;
  m->http_status = (int)get_count(rec, "http_status");
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(rec, "error");
  if (cJSON_IsString(e)) m->error = benchy_strdup(e->valuestring);
  const cJSON *fr = cJSON_GetObjectItemCaseSensitive(rec, "finish_reason");
  if (cJSON_IsString(fr)) m->finish_reason = benchy_strdup(fr->valuestring);
  m->prompt_target = get_count(bm, "prompt_target");
  m->context_target = get_count(bm, "context_target");
  m->output_target = get_count(bm, "output_target");
  m->prompt_tokens = get_count(bm, "prompt_tokens");
  m->cached_tokens = get_count(bm, "cached_tokens");
  m->timed_tokens = get_count(bm, "timed_prompt_tokens");
  m->output_tokens = get_count(bm, "output_tokens");
  m->first_chunk_tokens = get_num(bm, "first_chunk_tokens");
  m->ttfr_ms = get_num(bm, "ttfr_ms");
  m->ttft_ms = get_num(bm, "e2e_ttft_ms");
  m->est_ppt_ms = get_num(bm, "est_ppt_ms");
  m->e2e_ms = get_num(bm, "e2e_ms");
  m->ttfb_ms = get_num(bm, "ttfb_ms"); /* NaN in journals older than this field */
  m->pp_tps = get_num(bm, "pp_tps");
  m->tg_tps = get_num(bm, "tg_tps");
  m->srv_pp_tps = get_num(bm, "server_pp_tps");
  m->srv_tg_tps = get_num(bm, "server_tg_tps");
  m->prompt_exact = get_tri(bm, "prompt_exact");
  m->prompt_counted = get_tri(bm, "prompt_counted") == 1;
  m->output_exact = get_tri(bm, "output_exact");
  m->early_stop = get_tri(bm, "early_stop") == 1;
  m->cache_extra = get_tri(bm, "unexpected_cache_hit") == 1;
  const cJSON *c = cJSON_GetObjectItemCaseSensitive(bm, "cache");
  m->cache = cache_from_name(cJSON_IsString(c) ? c->valuestring : NULL);
  m->rec = cJSON_Duplicate(rec, 1);
  m->filled = 1;
  return m->rec ? 0 : -1;
}

static void compute_metrics(bench *b, const test_t *t, req_m *m, const benchy_record *rec,
                            const prompt_text *pt) {
  m->filled = 1;
  m->status = rec->status;
  m->http_status = rec->http_status;
  m->error = rec->error ? benchy_strdup(rec->error) : NULL;
  m->finish_reason = rec->finish_reason ? benchy_strdup(rec->finish_reason) : NULL;
  m->prompt_target = pt->target;
  m->context_target = t->depth;
  m->output_target = bench_plan_max_tokens(t->tg);
  m->prompt_counted = pt->verified && pt->exact;
  m->prompt_tokens = rec->usage_prompt_tokens;
  m->cached_tokens = rec->timings.present && rec->timings.cache_n >= 0 ? rec->timings.cache_n
                                                                       : rec->usage_cached_tokens;
  m->output_tokens = rec->output_tokens;
  m->token_chunks = rec->token_chunks;
  m->count_method = rec->count_method;
  m->t_dispatched = rec->t_dispatched;
  m->t_first_token = rec->t_first_token;
  m->t_last_token = rec->t_last_token;
  m->ttfr_ms = ns_ms(benchy_record_ttfr_ns(rec));
  m->ttft_ms = ns_ms(benchy_record_ttft_ns(rec));
  m->e2e_ms = ns_ms(benchy_record_e2e_ns(rec));
  m->ttfb_ms = rec->t_sent > 0 && rec->t_first_byte >= rec->t_sent ? ns_ms(rec->t_first_byte - rec->t_sent) : NAN;
  m->est_ppt_ms = m->ttfr_ms - b->latency_ms;
  m->pp_tps = m->tg_tps = m->srv_pp_tps = m->srv_tg_tps = NAN;
  m->first_chunk_tokens = NAN;
  m->prompt_exact = m->output_exact = -1;
  m->cache = CACHE_NA;
  if (rec->status != BENCHY_OK) {
    m->timed_tokens = -1;
    return;
  }

  /* Prompt tokens the timed request made the server process. cached: what
   * the server did not find in its cache (its own prompt_n when it says);
   * resend: all of them, as llama-benchy divides them. */
  int64_t prompt = m->prompt_tokens >= 0 ? m->prompt_tokens : pt->target;
  if (!b->cached_mode)
    m->timed_tokens = prompt;
  else if (rec->timings.present && rec->timings.prompt_n >= 0)
    m->timed_tokens = rec->timings.prompt_n;
  else if (m->cached_tokens >= 0)
    m->timed_tokens = prompt - m->cached_tokens;
  else
    m->timed_tokens = prompt - t->depth;
  double prefill_ms = m->ttft_ms - b->latency_ms;
  if (prefill_ms > 0 && m->timed_tokens > 0) m->pp_tps = (double)m->timed_tokens / (prefill_ms / 1e3);

  /* Tokens after the first token chunk, over the time from it to the last:
   * (N - 1) / span at one token per chunk, and still right when chunks
   * carry several tokens (speculative decoding, or a server that batches). */
  if (m->nc > 0 && m->ctok[0] > 0)
    m->first_chunk_tokens = m->ctok[0];
  else if (rec->token_chunks > 0 && m->output_tokens > 0)
    m->first_chunk_tokens = (double)m->output_tokens / (double)rec->token_chunks;
  double span_s = (double)(rec->t_last_token - rec->t_first_token) / 1e9;
  if (m->output_tokens > 1 && span_s > 0 && isfinite(m->first_chunk_tokens) &&
      (double)m->output_tokens > m->first_chunk_tokens)
    m->tg_tps = ((double)m->output_tokens - m->first_chunk_tokens) / span_s;

  if (rec->timings.present) {
    if (rec->timings.prompt_per_second > 0) m->srv_pp_tps = rec->timings.prompt_per_second;
    if (rec->timings.predicted_per_second > 0) m->srv_tg_tps = rec->timings.predicted_per_second;
  }
  if (m->prompt_tokens >= 0) m->prompt_exact = prompt_check_usage(pt, m->prompt_tokens);
  if (m->count_method == BENCHY_COUNT_USAGE || m->count_method == BENCHY_COUNT_SERVER_CHUNKS)
    m->output_exact = m->output_tokens == t->tg;
  m->early_stop = m->output_tokens >= 0 && m->output_tokens < t->tg;
  {
    /* A prompt seen before (same --seed against a server that kept its
     * cache) is served from the cache and its "prefill" is not one. */
    int64_t expected = b->cached_mode ? t->depth : 0;
    m->cache_extra = m->cached_tokens > expected + 16 + (t->pp + (b->cached_mode ? 0 : t->depth)) / 8;
  }
  if (b->cached_mode && t->depth > 0) {
    int64_t slack = t->depth / 4 < 64 ? t->depth / 4 : 64; /* block-granular caches (vLLM: 16) */
    if (m->cached_tokens < 0)
      m->cache = CACHE_UNKNOWN;
    else if (m->cached_tokens >= t->depth - slack)
      m->cache = CACHE_HIT;
    else if (m->cached_tokens >= t->depth / 2)
      m->cache = CACHE_PARTIAL;
    else
      m->cache = CACHE_MISS;
  }
}

static void hook_record(void *ud, int thread, uint64_t index, const benchy_record *rec) {
  run_ctx *rc = ud;
  bench *b = rc->b;
  if (index >= rc->n) return;
  if (rc->phase != PHASE_TIMED) {
    rc->status[index] = rec->status;
    if (rc->ttfr_ms) rc->ttfr_ms[index] = ns_ms(benchy_record_ttfr_ns(rec));
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
  compute_metrics(b, rc->t, m, rec, &rc->prompts[index]);
  cJSON *rj = record_to_json(rec, b->t0, b->raw);
  if (rj) {
    cJSON_AddStringToObject(rj, "test", rc->t->key);
    cJSON_AddNumberToObject(rj, "run", rc->run);
    cJSON_AddNumberToObject(rj, "req", (double)index);
    cJSON *bm = metrics_json(m);
    if (bm) cJSON_AddItemToObject(rj, "bench", bm);
  }
  m->rec = rj;
  if (b->jl && rj) {
    cJSON *line = cJSON_CreateObject();
    char key[160];
    snprintf(key, sizeof key, "%s/r%d/i%llu", rc->t->key, rc->run, (unsigned long long)index);
    if (line) {
      cJSON_AddStringToObject(line, "type", "record");
      cJSON_AddStringToObject(line, "attempt", b->attempt);
      cJSON_AddStringToObject(line, "key", key);
      cJSON_AddItemReferenceToObject(line, "record", rj);
      jsonl_append(b->jl, line);
    }
    /* --raw: the chunk times are in the file now; the copy kept for the
     * result does without them (as load does). */
    if (b->raw) cJSON_DeleteItemFromObjectCaseSensitive(rj, "chunks_raw");
  }
}

static int run_requests(bench *b, run_ctx *rc, uint64_t concurrency, char *err, size_t errlen) {
  runner_config cfg = {0};
  cfg.base_url = b->base_url;
  cfg.api_key = b->api_key;
  cfg.headers = b->headers;
  cfg.n_headers = b->n_headers;
  /* The one-token latency probe is auxiliary: a stall must not cost --timeout. */
  cfg.timeout_ms = rc->phase == PHASE_LATENCY ? b->probe_timeout_ms : b->timeout_ms;
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
      int st = benchy_session_fetch(b->sess, "GET", "models", NULL, &http, &body);
      int64_t dt = benchy_now_ns() - t;
      free(body);
      if (st != BENCHY_OK) {
        benchy_set_error(err, errlen, "measuring latency (GET %s/models): %s", b->shown_url,
               benchy_session_error(b->sess));
        startup_explain_timeout(err, errlen, st, b->opts);
        return st;
      }
      v[n++] = ns_ms(dt);
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

/* Peak t/s of a run, over its requests together (bench_peak.h). */
static double run_peak(const test_t *t, const req_m *reqs) {
  size_t conc = t->conc > 0 ? (size_t)t->conc : 0;
  peak_stream *ps = calloc(conc + 1, sizeof *ps);
  double **tok = calloc(conc + 1, sizeof *tok);
  size_t n = 0;
  double peak = NAN;
  if (!ps || !tok) goto out;
  for (size_t i = 0; i < conc; i++) {
    const req_m *m = &reqs[i];
    if (m->status != BENCHY_OK || !m->nc) continue;
    /* A chunk that does not say its tokens carries the request's average. */
    double avg = m->token_chunks > 0 && m->output_tokens > 0 ? (double)m->output_tokens / (double)m->token_chunks : 1.0;
    if (!(tok[n] = malloc(m->nc * sizeof **tok))) goto out;
    for (size_t j = 0; j < m->nc; j++) tok[n][j] = m->ctok[j] > 0 ? m->ctok[j] : avg;
    ps[n] = (peak_stream){m->ct, tok[n], m->nc};
    n++;
  }
  peak = bench_peak_rate(ps, n, 1000000000);
out:
  for (size_t i = 0; tok && i < n; i++) free(tok[i]);
  free(tok);
  free(ps);
  return peak;
}

static void run_totals(const bench *b, const test_t *t, const req_m *reqs, run_m *r) {
  int64_t t_start = 0, t_first_max = 0, t_first_min = 0, t_last_max = 0;
  double pp_sum = 0, tg_sum = 0;
  int n = 0;
  for (int64_t i = 0; i < t->conc; i++) {
    const req_m *m = &reqs[i];
    if (m->status != BENCHY_OK || !m->t_first_token) continue;
    if (!n || m->t_dispatched < t_start) t_start = m->t_dispatched;
    if (!n || m->t_first_token > t_first_max) t_first_max = m->t_first_token;
    if (!n || m->t_first_token < t_first_min) t_first_min = m->t_first_token;
    if (!n || m->t_last_token > t_last_max) t_last_max = m->t_last_token;
    if (m->timed_tokens > 0) pp_sum += (double)m->timed_tokens;
    if (isfinite(m->first_chunk_tokens)) tg_sum += (double)m->output_tokens - m->first_chunk_tokens;
    n++;
  }
  r->pp_total = r->tg_total = NAN;
  if (n) {
    double pp_s = (double)(t_first_max - t_start) / 1e9 - b->latency_ms / 1e3;
    if (pp_s > 0 && pp_sum > 0) r->pp_total = pp_sum / pp_s;
    double tg_s = (double)(t_last_max - t_first_min) / 1e9;
    if (tg_s > 0 && tg_sum > 0) r->tg_total = tg_sum / tg_s;
  }
  r->peak = run_peak(t, reqs);
}

static void write_run_line(bench *b, const test_t *t, int run, const run_m *r) {
  if (!b->jl) return;
  cJSON *line = cJSON_CreateObject();
  if (!line) return;
  char key[128];
  snprintf(key, sizeof key, "%s/r%d", t->key, run);
  cJSON_AddStringToObject(line, "type", "run");
  cJSON_AddStringToObject(line, "attempt", b->attempt);
  cJSON_AddStringToObject(line, "key", key);
  cJSON_AddStringToObject(line, "test", t->key);
  cJSON_AddNumberToObject(line, "run", run);
  add_num(line, "pp_total_tps", r->pp_total);
  add_num(line, "tg_total_tps", r->tg_total);
  add_num(line, "peak_tps", r->peak);
  jsonl_append(b->jl, line);
}

/* One run of one test: contexts filled (cached depth), then conc timed
 * requests together. */
static int run_test_once(bench *b, test_t *t, int run, char *err, size_t errlen) {
  size_t c = (size_t)t->conc;
  req_m *reqs = &t->reqs[(size_t)run * c];
  for (size_t i = 0; i < c; i++) req_clear(&reqs[i]);
  run_ctx rc = {b, t, run, PHASE_TIMED, 0, NULL, NULL, reqs, NULL, NULL, ""};
  int st = alloc_ctx(&rc, c);
  uint64_t base = fnv1a(t->key) ^ ((uint64_t)run << 32);
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
    run_totals(b, t, reqs, &t->runs[run]);
    t->runs[run].done = 1;
    write_run_line(b, t, run, &t->runs[run]);
  } else {
    /* An interrupted run is redone by --resume; its finished records stay in
     * the result (they happened) but no run line vouches for them. */
    t->runs[run].done = 0;
  }
  for (size_t i = 0; i < c; i++) {
    free(reqs[i].ct);
    free(reqs[i].ctok);
    reqs[i].ct = NULL;
    reqs[i].ctok = NULL;
    reqs[i].nc = reqs[i].cap = 0;
  }
  free_bodies(&rc);
  return st;
}

/* ---- resume ---- */

typedef struct resume_ctx {
  bench *b;
  int pass;
  int saw_header;
  char (*attempts)[48]; /* per test*run: the attempt whose run line was seen */
  size_t *offsets;      /* index of each test's first run in attempts */
} resume_ctx;

static test_t *find_test(bench *b, const char *key, size_t *idx) {
  for (size_t i = 0; i < b->n_tests; i++)
    if (!strcmp(b->tests[i].key, key)) {
      *idx = i;
      return &b->tests[i];
    }
  return NULL;
}

static void resume_line(void *ud, const cJSON *obj) {
  resume_ctx *r = ud;
  bench *b = r->b;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
  const cJSON *attempt = cJSON_GetObjectItemCaseSensitive(obj, "attempt");
  if (!cJSON_IsString(type)) return;
  if (r->pass == 0 && !strcmp(type->valuestring, "header")) {
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(obj, "fingerprint");
    r->saw_header = 1;
    if (!cJSON_IsString(fp) || strcmp(fp->valuestring, b->fingerprint)) b->fingerprint_mismatch = 1;
    return;
  }
  if (r->pass == 0 && !strcmp(type->valuestring, "run") && cJSON_IsString(attempt)) {
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(obj, "test");
    double run = get_num(obj, "run");
    size_t ti;
    test_t *t = cJSON_IsString(test) ? find_test(b, test->valuestring, &ti) : NULL;
    if (!t || !(run >= 0 && run < b->runs)) return;
    int ri = (int)run;
    t->runs[ri].done = 1;
    t->runs[ri].pp_total = get_num(obj, "pp_total_tps");
    t->runs[ri].tg_total = get_num(obj, "tg_total_tps");
    t->runs[ri].peak = get_num(obj, "peak_tps");
    snprintf(r->attempts[r->offsets[ti] + (size_t)ri], 48, "%s", attempt->valuestring);
    return;
  }
  if (r->pass == 1 && !strcmp(type->valuestring, "record") && cJSON_IsString(attempt)) {
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(obj, "record");
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(rec, "test");
    double run = get_num(rec, "run"), req = get_num(rec, "req");
    size_t ti;
    test_t *t = cJSON_IsString(test) ? find_test(b, test->valuestring, &ti) : NULL;
    if (!t || !(run >= 0 && run < b->runs) || !(req >= 0 && req < (double)t->conc)) return;
    int ri = (int)run;
    /* Only the attempt that completed the run counts: records of an
     * interrupted attempt at the same run are left out, not duplicated. */
    if (!t->runs[ri].done || strcmp(r->attempts[r->offsets[ti] + (size_t)ri], attempt->valuestring))
      return;
    req_from_json(&t->reqs[(size_t)ri * (size_t)t->conc + (size_t)req], rec);
  }
}

static int load_resume(bench *b, char *err, size_t errlen) {
  resume_ctx r = {b, 0, 0, NULL, NULL};
  r.offsets = calloc(b->n_tests, sizeof *r.offsets);
  r.attempts = calloc(b->n_tests * (size_t)b->runs, sizeof *r.attempts);
  if (!r.offsets || !r.attempts) {
    free(r.offsets);
    free(r.attempts);
    return BENCHY_ERR_NOMEM;
  }
  for (size_t i = 0; i < b->n_tests; i++) r.offsets[i] = i * (size_t)b->runs;
  int st = BENCHY_OK;
  long lines = jsonl_read(b->jsonl_path, resume_line, &r, err, errlen);
  if (lines < 0) st = BENCHY_ERR_IO;
  if (st == BENCHY_OK && lines > 0 && (!r.saw_header || b->fingerprint_mismatch)) {
    benchy_set_error(err, errlen, "%s holds a different run (another matrix, model, API, depth mode or seed), "
           "so --resume cannot continue it. Run with the same options, or use another --jsonl file.",
           b->jsonl_path);
    st = BENCHY_ERR_INVALID;
  }
  if (st == BENCHY_OK && lines > 0) {
    r.pass = 1;
    if (jsonl_read(b->jsonl_path, resume_line, &r, err, errlen) < 0) st = BENCHY_ERR_IO;
  }
  /* A run line whose records did not all load is redone. */
  for (size_t i = 0; st == BENCHY_OK && i < b->n_tests; i++) {
    test_t *t = &b->tests[i];
    for (int run = 0; run < b->runs; run++) {
      if (!t->runs[run].done) continue;
      for (int64_t k = 0; k < t->conc; k++)
        if (!t->reqs[(size_t)run * (size_t)t->conc + (size_t)k].filled) t->runs[run].done = 0;
    }
  }
  if (st == BENCHY_OK && lines > 0) b->resume = 2; /* continued an existing file */
  free(r.offsets);
  free(r.attempts);
  return st;
}

/* ---- aggregation ---- */

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

/* {"mean","stddev","n","min","max","p50",...} or null when empty. */
static void add_stat(const bench *b, cJSON *row, const char *name, series *s) {
  if (!s->n) {
    cJSON_AddNullToObject(row, name);
    free(s->v);
    *s = (series){0};
    return;
  }
  benchy_moments m;
  benchy_moments_init(&m);
  for (size_t i = 0; i < s->n; i++) benchy_moments_add(&m, s->v[i]);
  cJSON *o = cJSON_AddObjectToObject(row, name);
  if (o) {
    cJSON_AddNumberToObject(o, "mean", benchy_moments_mean(&m));
    add_num(o, "stddev", benchy_moments_stddev(&m, b->ddof));
    cJSON_AddNumberToObject(o, "n", (double)m.n);
    cJSON_AddNumberToObject(o, "min", m.min);
    cJSON_AddNumberToObject(o, "max", m.max);
    double *out = calloc(b->n_pcts ? b->n_pcts : 1, sizeof *out);
    if (out) {
      benchy_percentiles(s->v, s->n, b->pcts, b->n_pcts, out);
      cJSON *p = cJSON_AddObjectToObject(o, "percentiles");
      for (size_t i = 0; p && i < b->n_pcts; i++) {
        char key[32];
        snprintf(key, sizeof key, "p%g", b->pcts[i]);
        add_num(p, key, out[i]);
      }
      free(out);
    }
  }
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

/* One table row: every request of the shapes that measured this test. */
static cJSON *make_row(const bench *b, const bench_row_plan *rp) {
  cJSON *row = cJSON_CreateObject();
  if (!row) return NULL;
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

  series total = {0}, req = {0}, peak = {0}, ttfr = {0}, ppt = {0}, ttft = {0}, e2e = {0}, srv = {0},
         ptok = {0}, timed = {0}, otok = {0}, ttfb = {0};
  int runs_done = 0;
  long n = 0, ok = 0, prompt_off = 0, prompt_unknown = 0, short_out = 0, out_unknown = 0;
  long hit = 0, partial = 0, miss = 0, cache_unknown = 0, extra = 0;
  int64_t off_example_got = 0, short_example = 0;
  double cached_min = NAN;
  const char *first_error = NULL, *short_reason = NULL;
  for (size_t si = 0; si < rp->n_shapes; si++) {
    const test_t *t = &b->tests[rp->shapes[si]];
    for (int r = 0; r < b->runs; r++) {
      const run_m *rm = &t->runs[r];
      if (rm->done) {
        runs_done++;
        series_add(&total, is_pp ? rm->pp_total : rm->tg_total);
        if (!is_pp) series_add(&peak, rm->peak);
      }
      for (int64_t i = 0; i < t->conc; i++) {
        const req_m *m = &t->reqs[(size_t)r * (size_t)t->conc + (size_t)i];
        if (!m->filled) continue;
        n++;
        if (m->status != BENCHY_OK) {
          if (!first_error) first_error = m->error ? m->error : benchy_status_message(m->status);
          continue;
        }
        ok++;
        if (is_pp) {
          series_add(&req, m->pp_tps);
          series_add(&ttfr, m->ttfr_ms);
          series_add(&ppt, m->est_ppt_ms);
          series_add(&ttft, m->ttft_ms);
          series_add(&srv, m->srv_pp_tps);
          series_add(&ttfb, m->ttfb_ms);
          series_add(&ptok, m->prompt_tokens >= 0 ? (double)m->prompt_tokens : NAN);
          series_add(&timed, m->timed_tokens >= 0 ? (double)m->timed_tokens : NAN);
          if (m->prompt_exact == 0) {
            if (!prompt_off) off_example_got = m->prompt_tokens;
            prompt_off++;
          } else if (m->prompt_exact < 0) {
            prompt_unknown++;
          }
          extra += m->cache_extra;
          switch (m->cache) {
          case CACHE_HIT: hit++; break;
          case CACHE_PARTIAL: partial++; break;
          case CACHE_MISS: miss++; break;
          case CACHE_UNKNOWN: cache_unknown++; break;
          default: break;
          }
          if (m->cache != CACHE_NA && m->cached_tokens >= 0 &&
              !((double)m->cached_tokens >= cached_min))
            cached_min = (double)m->cached_tokens;
        } else {
          series_add(&req, m->tg_tps);
          series_add(&srv, m->srv_tg_tps);
          series_add(&otok, m->output_tokens >= 0 ? (double)m->output_tokens : NAN);
          if (m->early_stop) {
            if (!short_out) {
              short_example = m->output_tokens;
              short_reason = m->finish_reason;
            }
            short_out++;
          }
          if (m->output_exact < 0) out_unknown++;
        }
        series_add(&e2e, m->e2e_ms);
      }
    }
  }
  cJSON_AddNumberToObject(row, "runs_completed", runs_done);
  cJSON_AddNumberToObject(row, "requests", (double)n);
  cJSON_AddNumberToObject(row, "errors", (double)(n - ok));
  add_stat(b, row, "t_s_total", &total);
  add_stat(b, row, "t_s_req", &req);
  add_stat(b, row, "peak_t_s", &peak);
  add_stat(b, row, "ttfr_ms", &ttfr);
  add_stat(b, row, "est_ppt_ms", &ppt);
  add_stat(b, row, "e2e_ttft_ms", &ttft);
  add_stat(b, row, "e2e_ms", &e2e);
  add_stat(b, row, "server_t_s", &srv);
  if (is_pp) add_stat(b, row, "ttfb_ms", &ttfb);
  free(ttfb.v);
  if (is_pp) {
    add_stat(b, row, "prompt_tokens", &ptok);
    add_stat(b, row, "timed_prompt_tokens", &timed);
    if (b->cached_mode && rp->depth > 0) {
      cJSON *c = cJSON_AddObjectToObject(row, "cache");
      if (c) {
        cJSON_AddNumberToObject(c, "hit", (double)hit);
        cJSON_AddNumberToObject(c, "partial", (double)partial);
        cJSON_AddNumberToObject(c, "miss", (double)miss);
        cJSON_AddNumberToObject(c, "unknown", (double)cache_unknown);
        add_num(c, "cached_tokens_min", cached_min);
      }
    }
  } else {
    add_stat(b, row, "output_tokens", &otok);
  }
  free(ptok.v);
  free(timed.v);
  free(otok.v);

  cJSON *flags = cJSON_AddArrayToObject(row, "flags");
  if (!flags) return row;
  if (n - ok > 0) add_flag(flags, "%ld of %ld requests failed: %s", n - ok, n, first_error ? first_error : "");
  int runs_planned = b->runs * (int)rp->n_shapes;
  if (runs_done < runs_planned)
    add_flag(flags, "%d of %d runs completed", runs_done, runs_planned);
  if (is_pp) {
    if (prompt_off)
      add_flag(flags, "prompt length off in %ld of %ld requests (the server counted %lld, asked for %lld)",
               prompt_off, ok, (long long)off_example_got, (long long)(rp->depth + rp->size));
    if (prompt_unknown)
      add_flag(flags, "prompt length not verified in %ld requests: the server reported no usage", prompt_unknown);
    if (miss || partial)
      add_flag(flags, "depth cache missed in %ld and partly hit in %ld of %ld requests (fewest cached: %.0f of %lld)",
               miss, partial, ok, cached_min, (long long)rp->depth);
    if (extra)
      add_flag(flags, "%ld of %ld requests found more of their prompt in the server's cache than the "
               "depth context: the server had seen these prompts (the same --seed as an earlier run?), "
               "so their pp t/s is not a prefill rate", extra, ok);
    if (cache_unknown)
      add_flag(flags, "depth cache hit unverified in %ld requests: the server reports neither timings.cache_n "
               "nor usage.prompt_tokens_details.cached_tokens", cache_unknown);
  } else {
    if (short_out)
      add_flag(flags, "output stopped early in %ld of %ld requests (%lld of %lld tokens, finish_reason %s)",
               short_out, ok, (long long)short_example, (long long)rp->size, short_reason ? short_reason : "none");
    if (out_unknown)
      add_flag(flags, "output length from chunk counts in %ld requests (no usage): a lower bound", out_unknown);
  }
  return row;
}

static cJSON *build_doc(bench *b, int status) {
  cJSON *doc = cJSON_CreateObject();
  if (!doc) return NULL;
  cJSON_AddNumberToObject(doc, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddStringToObject(doc, "kind", "bench");
  cJSON_AddStringToObject(doc, "status", benchy_status_name(status));
  cJSON *cfg = config_json(b);
  if (cfg) cJSON_AddItemToObject(doc, "config", cfg);
  cJSON *md = cJSON_AddObjectToObject(doc, "metadata");
  if (md) {
    cJSON_AddStringToObject(md, "benchy_version", benchy_version_string());
    if (b->name)
      cJSON_AddStringToObject(md, "name", b->name);
    else
      cJSON_AddNullToObject(md, "name");
    cJSON_AddStringToObject(md, "model", b->model ? b->model : "");
    cJSON_AddStringToObject(md, "served_model_name", b->served ? b->served : (b->model ? b->model : ""));
    cJSON_AddStringToObject(md, "base_url", b->shown_url);
    cJSON_AddStringToObject(md, "api", b->api == BENCHY_ENDPOINT_CHAT ? "chat" : "completions");
    cJSON_AddStringToObject(md, "depth_mode", b->cached_mode ? "cached" : "resend");
    cJSON_AddBoolToObject(md, "depth_mode_implied_by_no_cache", b->mode_implied);
    cJSON_AddBoolToObject(md, "no_cache", b->no_cache);
    cJSON_AddStringToObject(md, "latency_mode", b->latency_mode == LAT_API ? "api"
                                                : b->latency_mode == LAT_GENERATION ? "generation"
                                                                                     : "none");
    cJSON_AddNumberToObject(md, "latency_ms", b->latency_ms);
    cJSON_AddStringToObject(md, "stddev", b->ddof ? "sample" : "population");
    cJSON_AddNumberToObject(md, "runs", b->runs);
    cJSON_AddNumberToObject(md, "warmup", b->warmup);
    cJSON_AddBoolToObject(md, "resumed", b->resume == 2);
    cJSON_AddBoolToObject(md, "repeatable_prompts", b->seed_given);
    run_metadata_add(md, b->opts);
    if (b->pg) {
      cJSON *p = prompt_gen_describe(b->pg);
      if (p) cJSON_AddItemToObject(md, "prompt", p);
    }
    if (b->server) cJSON_AddItemToObject(md, "server", cJSON_Duplicate(b->server, 1));
    cJSON *sent = request_body_describe(b->rbody);
    if (sent) cJSON_AddItemToObject(md, "request_body", sent);
    if (b->fills_failed) {
      char text[400];
      snprintf(text, sizeof text, "%ld depth-fill requests failed: %s", b->fills_failed, b->fill_error);
      cJSON_AddStringToObject(md, "fill_errors", text);
    }
  }
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

static void bench_free(bench *b) {
  for (size_t i = 0; i < b->n_tests; i++) {
    test_t *t = &b->tests[i];
    for (size_t k = 0; t->reqs && k < (size_t)b->runs * (size_t)t->conc; k++) req_clear(&t->reqs[k]);
    free(t->reqs);
    free(t->runs);
  }
  free(b->tests);
  bench_plan_free(b->rows, b->n_rows);
  free(b->pcts);
  free(b->headers);
  free(b->model);
  if (b->api_key) {
    memset(b->api_key, 0, strlen(b->api_key));
    free(b->api_key);
  }
  prompt_gen_free(b->pg);
  request_body_free(b->rbody);
  benchy_session_free(b->sess);
  benchy_loop_free(b->loop);
  jsonl_close(b->jl);
  pthread_mutex_destroy(&b->mu);
}

/* Without --model the model is known only after server_check_model; a fingerprint
 * taken before would match any model, and refuse the same run given one. */
static int add_model_to_fingerprint(bench *b, char *err, size_t errlen) {
  size_t used = strlen(b->fingerprint);
  int n = snprintf(b->fingerprint + used, sizeof b->fingerprint - used, ";model=%s", b->model);
  if (n < 0 || (size_t)n >= sizeof b->fingerprint - used) {
    benchy_set_error(err, errlen, "the model name is too long to fingerprint a --jsonl file (%zu bytes)",
                     strlen(b->model));
    return BENCHY_ERR_INVALID;
  }
  return BENCHY_OK;
}

static int open_jsonl(bench *b, char *err, size_t errlen) {
  if (!b->jsonl_path) return BENCHY_OK;
  cJSON *head = cJSON_CreateObject();
  if (!head) return BENCHY_ERR_NOMEM;
  cJSON_AddStringToObject(head, "type", "header");
  cJSON_AddStringToObject(head, "kind", "bench");
  cJSON_AddNumberToObject(head, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddStringToObject(head, "fingerprint", b->fingerprint);
  cJSON *cfg = config_json(b);
  if (cfg) cJSON_AddItemToObject(head, "config", cfg);
  int st = jsonl_open(&b->jl, b->jsonl_path, b->resume != 0, head, NULL, err, errlen);
  cJSON_Delete(head);
  return st;
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
  pthread_mutex_init(&b.mu, NULL);
  b.opts = opts;
  b.t0 = benchy_now_ns();
  struct timespec wall;
  clock_gettime(CLOCK_REALTIME, &wall);
  snprintf(b.attempt, sizeof b.attempt, "%lld.%09ld-%d", (long long)wall.tv_sec, wall.tv_nsec, (int)getpid());
  b.server = cJSON_CreateObject();
  int st = b.server ? parse_options(&b, err, errlen) : BENCHY_ERR_NOMEM;
  /* A --jsonl file that would be refused is refused before the server is asked anything. */
  if (st == BENCHY_OK && b.jsonl_path)
    st = jsonl_check(b.jsonl_path, "bench", b.resume, NULL, err, errlen);
  /* Texts are new in every invocation unless --seed asks for repeatable
   * ones: a server keeps its prompt cache between our runs, and the same
   * prompts sent again would be served from it (a 10-50x pp "speed-up"). */
  b.text_seed = b.seed_given ? b.seed : b.seed ^ fnv1a(b.attempt);

  /* Everything that can fail before a request is timed fails here, with
   * *out left NULL. Each step blocks on b.loop (fetches) or the runner's
   * loops, which an interrupt stops; phase names the step for the message. */
  const char *phase = "starting";
  int watch = -1;
  if (st == BENCHY_OK) st = benchy_loop_new(&b.loop);
  if (st == BENCHY_OK) watch = interrupt_watch(b.loop);
  char url_problem[512];
  if (st == BENCHY_OK &&
      benchy_session_new_err(&b.sess, b.loop, b.base_url, url_problem, sizeof url_problem) != BENCHY_OK) {
    benchy_set_error(err, errlen, "--base-url: %s", url_problem);
    st = BENCHY_ERR_INVALID;
  }
  if (st == BENCHY_OK && b.api_key) st = benchy_session_set_api_key(b.sess, b.api_key);
  for (size_t i = 0; st == BENCHY_OK && i < b.n_headers; i++) {
    st = benchy_session_add_header(b.sess, b.headers[i]);
    if (st != BENCHY_OK) benchy_set_error(err, errlen, "%s", benchy_session_error(b.sess));
  }
  /* b.sess only ever fetches probes; measured requests run on the runner's sessions. */
  b.probe_timeout_ms = startup_probe_timeout_ms(opts);
  if (st == BENCHY_OK) benchy_session_set_timeout_ms(b.sess, b.probe_timeout_ms);
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "checking the server (GET /v1/models)";
    run_phase("check", 0, 0, "checking %s", b.shown_url);
    st = server_check_model(b.sess, b.shown_url, &b.model, b.server, err, errlen);
    startup_explain_timeout(err, errlen, st, opts);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "reading the server's context size (GET /props)";
    st = check_context(&b, err, errlen);
  }
  if (st == BENCHY_OK) st = add_model_to_fingerprint(&b, err, errlen);
  if (st == BENCHY_OK && b.resume) st = load_resume(&b, err, errlen);
  /* Before any request: a bad --jsonl path must not cost a probe or a warm-up. */
  if (st == BENCHY_OK) st = open_jsonl(&b, err, errlen);
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "sizing prompts with the server's tokenizer (/tokenize, /apply-template)";
    run_phase("probe", 0, 0, "sizing prompts with the server's tokenizer");
    prompt_config pc = {b.sess, b.model, b.api, b.text_seed, PROMPT_METHOD_AUTO, 1, b.no_cache};
    char why[512] = "";
    st = prompt_gen_new(&b.pg, &pc, why, sizeof why);
    if (st != BENCHY_OK) {
      benchy_set_error(err, errlen, "a probe request to %s failed, so nothing was measured: %s", b.shown_url, why);
      startup_explain_timeout(err, errlen, st, opts);
    }
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "measuring network latency";
    st = measure_latency(&b, err, errlen);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "warming up";
    st = warm_up(&b, err, errlen);
  }
  if (st != BENCHY_OK || interrupt_pending()) {
    if (interrupt_pending() || st == BENCHY_ERR_CANCELLED) {
      st = BENCHY_ERR_CANCELLED;
      startup_interrupted(err, errlen, phase, b.jl ? b.jsonl_path : NULL);
      interrupt_clear(); /* consumed: a later run in this process proceeds */
    }
    if (err && errlen && !err[0]) benchy_set_error(err, errlen, "%s", benchy_status_message(st));
    interrupt_unwatch(watch);
    cJSON_Delete(b.server);
    bench_free(&b);
    return st;
  }

  /* The matrix. */
  int run_status = BENCHY_OK;
  size_t total_runs = b.n_tests * (size_t)b.runs, done_runs = 0;
  char where[64] = "";
  for (size_t i = 0; i < b.n_tests && run_status == BENCHY_OK; i++) {
    test_t *t = &b.tests[i];
    for (int r = 0; r < b.runs && run_status == BENCHY_OK; r++, done_runs++) {
      if (t->runs[r].done) continue; /* --resume: already in the file */
      run_phase("row", done_runs, total_runs, "%zu/%zu  pp%lld tg%lld%s%.0lld (c%lld)  run %d/%d", done_runs + 1, total_runs,
               (long long)t->pp, (long long)t->tg, t->depth ? " @ d" : "", (long long)t->depth,
               (long long)t->conc, r + 1, b.runs);
      snprintf(where, sizeof where, "run %zu of %zu", done_runs + 1, total_runs);
      run_status = run_test_once(&b, t, r, err, errlen);
      if (interrupt_pending()) run_status = BENCHY_ERR_CANCELLED;
    }
  }

  /* OK: every run done (some requests may have failed, as the rows say);
   * CANCELLED: interrupted; anything else: the matrix stopped on an error. */
  cJSON *doc = build_doc(&b, run_status);
  int rule_st = doc ? judge_tests(&b, doc, run_status == BENCHY_OK ? err : NULL, errlen) : BENCHY_OK;
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
           "completed%s%s", where, b.jl ? "; continue with --resume --jsonl " : "", b.jl ? b.jsonl_path : "");
  } else if (run_status != BENCHY_OK) {
    ret = run_status; /* err already says what (a prompt could not be sized, ...) */
    startup_explain_timeout(err, errlen, run_status, opts);
  } else {
    ret = rule_st; /* BENCHY_OK, or err says which tests failed too many requests */
  }
  interrupt_unwatch(watch);
  /* An interrupt that came during this run was this run's; one that came
   * after its last step changed nothing. Either way the next run proceeds. */
  interrupt_clear();
  cJSON_Delete(b.server);
  bench_free(&b);
  *out = res;
  return ret;
}
