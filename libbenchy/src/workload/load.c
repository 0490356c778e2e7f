/*
 * load.c — benchy_load_run(): `benchy load`, a serving load test.
 *
 * Provides: benchy_load_run (workload.h).
 * Uses: arrivals.h (intended send times), dataset.h (prompts and output
 * lengths; prompt.h makes synthetic prompts of exact length), runner.h
 * (sends them on N loop threads), load_metrics.h (per-request figures and
 * per-level aggregates), record_json.h / jsonl.h (records, --jsonl),
 * load_render.h (md and csv of the result).
 *
 * A run is a list of levels (one, or a sweep over --concurrency or
 * --request-rate). Each level: warm-up requests (closed loop, within the
 * level's concurrency limit, excluded from everything), then the measured
 * requests. Everything a level sends is built before its clock starts, so
 * nothing slow happens on the worker threads while requests are timed:
 * request bodies are plain strings, looked up by index.
 *
 * Open or closed loop. With a finite --request-rate, request i is due at
 * t0 + arrival offset i; with --request-rate inf every request is due at t0
 * (all at once), and the concurrency limit decides when each actually goes,
 * its wait showing in the from-schedule figures. --concurrency N is a closed
 * loop: a request is due when a slot frees, so there is no client-side wait
 * by construction. --duration with no rate is closed too (an unbounded
 * number of requests cannot all be due at t0).
 *
 * --resume works a level at a time: a level whose end is in the --jsonl file
 * is restored from it (records and aggregates) and not run again; a level
 * that was interrupted continues where it stopped, sending only what it
 * still owes, with fresh prompts (load_resume.h). Running it again from its
 * start would send the same prompts twice (cached, so measuring the cache)
 * and throw away what was measured. An open-loop level's latencies depend on
 * its whole schedule, so its restart is not the load an uninterrupted level
 * had: the level says it was resumed ("resumed"), and docs/load.md says how
 * to read it. --retry-failed sends a level's failed requests again.
 */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchy/benchy.h"
#include "../report/jsonl.h"
#include "failure_rule.h"
#include "server_check.h"
#include "../report/load_render.h"
#include "../report/record_json.h"
#include "../report/run_metadata.h"
#include "../report/result_internal.h"
#include "arrivals.h"
#include "dataset.h"
#include "load_freshness.h"
#include "interrupt.h"
#include "run_progress.h"
#include "workload_entry.h"
#include "load_metrics.h"
#include "load_resume.h"
#include "prompt.h"
#include "request_body.h"
#include "runner.h"
#include "startup.h"

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
  prompt_gen *pgen;
  request_body *rbody;
  jsonl_writer *jsonl;
  int64_t run_t0;
} load_plan;

/* A record kept for the result document, and where it goes in it. */
typedef struct kept_record {
  uint64_t index;
  cJSON *rec;
} kept_record;

typedef struct thread_state {
  load_acc acc;
  load_cache_tally cache;
  kept_record *records; /* at most --max-records over all threads */
  size_t n, cap;
  int64_t input_mismatches;
} thread_state;

typedef struct level_run {
  load_plan *plan;
  const load_level *lv;
  int warmup;               /* warm-up pass: nothing is recorded */
  char **bodies;            /* pool; request i sends bodies[i % n_bodies] */
  const dataset_item **items;
  size_t n_bodies;
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
  int synthetic;
  int cycle;                /* request i may reuse bodies[i % n_bodies] */
  atomic_int ran_out;       /* a --duration level used every prompt it had */
  atomic_llong records_kept;    /* in memory for the result document */
  atomic_size_t request_claims; /* against LOAD_RAW_REQUEST_BUDGET, by every thread */
  atomic_llong records_omitted; /* past LOAD_RECORDS_IN_MEMORY: in --jsonl only */
  atomic_llong jsonl_errors;    /* record lines that could not be written */
} level_run;

/* A long --duration run must not grow without bound: per-request JSON
 * (1-3 KB each) is kept for the result document up to --max-records per
 * level; later records are written to --jsonl only, and the level says how
 * many. The per-request figures behind the percentiles (a few doubles each)
 * are always kept, so the statistics stay exact. */

/* ------------------------------------------------------------ helpers */


static void progress(const load_plan *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress(const load_plan *p, const char *fmt, ...) {
  (void)p;
  va_list ap;
  va_start(ap, fmt);
  run_vmessage(fmt, ap);
  va_end(ap);
}

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

/* The base URL without any user:password@ part: results never carry secrets. */
static char *redact_url(const char *url) {
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  const char *slash = strchr(host, '/');
  const char *at = strchr(host, '@');
  if (!at || (slash && at > slash)) return benchy_strdup(url);
  benchy_buf b = {0};
  benchy_buf_append(&b, url, (size_t)(host - url));
  benchy_buf_append_str(&b, at + 1);
  if (benchy_buf_terminate(&b) != 0) {
    benchy_buf_free(&b);
    return NULL;
  }
  return b.data;
}

/* The options as given, for the result: every load option, header values
 * left out (names only), nothing secret. */
static cJSON *config_json(const benchy_options *opts) {
  cJSON *c = cJSON_CreateObject();
  if (!c) return NULL;
  for (size_t i = 0; i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if (!(info->commands & BENCHY_CMD_LOAD)) continue;
    if (info->flags & (BENCHY_OPTF_ALIAS | BENCHY_OPTF_SECRET)) continue;
    const char *name = info->name;
    const char *text = benchy_options_str(opts, name);
    switch (info->type) {
    case BENCHY_OPT_FLAG:
      cJSON_AddBoolToObject(c, name, benchy_options_flag(opts, name));
      break;
    case BENCHY_OPT_INT:
    case BENCHY_OPT_DOUBLE:
      if (text)
        cJSON_AddNumberToObject(c, name, benchy_options_double(opts, name));
      else
        cJSON_AddNullToObject(c, name);
      break;
    case BENCHY_OPT_INT_LIST:
    case BENCHY_OPT_DOUBLE_LIST: {
      cJSON *arr = cJSON_AddArrayToObject(c, name);
      for (size_t k = 0; arr && k < benchy_options_list_len(opts, name); k++)
        cJSON_AddItemToArray(arr, cJSON_CreateNumber(benchy_options_list_double(opts, name, k)));
      break;
    }
    case BENCHY_OPT_STRING_LIST: {
      cJSON *arr = cJSON_AddArrayToObject(c, name);
      int header = !strcmp(name, "header");
      for (size_t k = 0; arr && k < benchy_options_list_len(opts, name); k++) {
        const char *s = benchy_options_list_str(opts, name, k);
        if (!s) continue;
        if (header) {
          const char *colon = strchr(s, ':');
          size_t n = colon ? (size_t)(colon - s) : strlen(s);
          char *hn = benchy_strndup(s, n);
          if (hn) cJSON_AddItemToArray(arr, cJSON_CreateString(hn));
          free(hn);
        } else {
          cJSON_AddItemToArray(arr, cJSON_CreateString(s));
        }
      }
      break;
    }
    default:
      if (!text) {
        cJSON_AddNullToObject(c, name);
      } else if (!strcmp(name, "base-url")) {
        char *r = redact_url(text);
        cJSON_AddStringToObject(c, name, r ? r : "");
        free(r);
      } else {
        cJSON_AddStringToObject(c, name, text);
      }
      break;
    }
  }
  return c;
}

/* ------------------------------------------------------------ plan */

static int parse_levels(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
  const char *rate_text = benchy_options_str(o, "request-rate");
  double rates[256];
  size_t n_rates = 0;
  char *copy = benchy_strdup(rate_text ? rate_text : "inf");
  if (!copy) return BENCHY_ERR_NOMEM;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    if (n_rates == sizeof rates / sizeof rates[0]) {
      free(copy);
      benchy_set_error(err, errlen, "--request-rate: more than %zu levels", sizeof rates / sizeof rates[0]);
      return BENCHY_ERR_INVALID;
    }
    if (arrivals_parse_rate(tok, &rates[n_rates]) != 0) {
      benchy_set_error(err, errlen, "--request-rate: '%s' is not a rate; give requests per second (> 0) "
              "or inf, or a comma-separated list of them", tok);
      free(copy);
      return BENCHY_ERR_INVALID;
    }
    n_rates++;
  }
  free(copy);
  if (!n_rates) {
    benchy_set_error(err, errlen, "--request-rate is empty; give requests per second or inf");
    return BENCHY_ERR_INVALID;
  }
  int conc_set = benchy_options_is_set(o, "concurrency");
  size_t n_conc = conc_set ? benchy_options_list_len(o, "concurrency") : 0;
  if (conc_set && benchy_options_is_set(o, "max-concurrency")) {
    benchy_set_error(err, errlen, "give --concurrency (closed loop, a list sweeps) or --max-concurrency "
            "(a limit on an open-loop rate), not both");
    return BENCHY_ERR_INVALID;
  }
  if (n_rates > 1 && n_conc > 1) {
    benchy_set_error(err, errlen, "sweep one of --concurrency or --request-rate, not both (%zu and %zu "
            "values given)", n_conc, n_rates);
    return BENCHY_ERR_INVALID;
  }
  size_t n = n_rates > n_conc ? n_rates : n_conc;
  p->levels = calloc(n, sizeof *p->levels);
  if (!p->levels) return BENCHY_ERR_NOMEM;
  p->n_levels = n;
  uint64_t max_conc = benchy_options_is_set(o, "max-concurrency")
                          ? (uint64_t)benchy_options_int(o, "max-concurrency")
                          : 0;
  for (size_t i = 0; i < n; i++) {
    load_level *lv = &p->levels[i];
    lv->number = i;
    lv->rate = rates[n_rates > 1 ? i : 0];
    lv->max_concurrency =
        conc_set ? (uint64_t)benchy_options_list_int(o, "concurrency", n_conc > 1 ? i : 0) : max_conc;
    int inf = isinf(lv->rate);
    lv->closed = inf && (conc_set || p->duration_s > 0);
    if (lv->closed && !lv->max_concurrency) {
      /* A closed loop with no limit would start requests without end. */
      benchy_set_error(err, errlen, "--duration without a request rate is a closed loop: give "
              "--concurrency N (or --max-concurrency N, or a finite --request-rate)");
      return BENCHY_ERR_INVALID;
    }
    if (lv->closed && lv->max_concurrency)
      snprintf(lv->label, sizeof lv->label, "c=%llu", (unsigned long long)lv->max_concurrency);
    else if (inf)
      snprintf(lv->label, sizeof lv->label, "rate=inf");
    else
      snprintf(lv->label, sizeof lv->label, "rate=%g", lv->rate);
    if (!lv->closed && lv->max_concurrency) {
      size_t len = strlen(lv->label);
      snprintf(lv->label + len, sizeof lv->label - len, ", max=%llu",
               (unsigned long long)lv->max_concurrency);
    }
  }
  return BENCHY_OK;
}

static int plan_options(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
  const char *url = benchy_options_str(o, "base-url");
  if (!url || !*url) {
    benchy_set_error(err, errlen, "--base-url is empty; give the server's OpenAI API URL, e.g. "
            "http://127.0.0.1:8090/v1");
    return BENCHY_ERR_INVALID;
  }
  size_t ulen = strlen(url);
  while (ulen > 1 && url[ulen - 1] == '/') ulen--;
  if (!(p->base_url = benchy_strndup(url, ulen))) return BENCHY_ERR_NOMEM;
  const char *api = benchy_options_str(o, "api");
  p->api = api && !strcmp(api, "completions") ? BENCHY_ENDPOINT_COMPLETIONS : BENCHY_ENDPOINT_CHAT;
  const char *key_env = benchy_options_str(o, "api-key-env");
  p->api_key = key_env && *key_env ? getenv(key_env) : NULL;
  size_t nh = benchy_options_list_len(o, "header");
  if (nh) {
    p->headers = calloc(nh, sizeof *p->headers);
    if (!p->headers) return BENCHY_ERR_NOMEM;
    for (size_t i = 0; i < nh; i++) p->headers[i] = benchy_options_list_str(o, "header", i);
    p->n_headers = nh;
  }
  p->timeout_ms = (int64_t)llround(benchy_options_double(o, "timeout") * 1000.0);
  p->threads = (int)benchy_options_int(o, "threads");
  if (p->threads < 1) p->threads = 1;
  p->duration_s = benchy_options_is_set(o, "duration") ? benchy_options_double(o, "duration") : 0;
  if (benchy_options_is_set(o, "duration") && !(p->duration_s > 0)) {
    benchy_set_error(err, errlen, "--duration must be more than 0 seconds");
    return BENCHY_ERR_INVALID;
  }
  p->num_prompts = (uint64_t)benchy_options_int(o, "num-prompts");
  if (!p->num_prompts) p->num_prompts = 100;
  p->warmup = benchy_options_flag(o, "no-warmup") ? 0 : benchy_options_int(o, "warmup");
  p->seed = (uint64_t)benchy_options_int(o, "seed");
  p->repeat_prompts = benchy_options_flag(o, "repeat-prompts");
  if (benchy_options_is_set(o, "prompt-nonce"))
    p->nonce = (uint64_t)benchy_options_int(o, "prompt-nonce");
  else
    p->nonce = p->repeat_prompts ? 0 : load_fresh_nonce();
  p->raw = benchy_options_flag(o, "raw");
  p->max_records = benchy_options_int(o, "max-records");
  p->no_cache = benchy_options_flag(o, "no-cache");
  int body_st = request_body_new(&p->rbody, o, err, errlen);
  if (body_st != BENCHY_OK) return body_st;
  p->quiet = benchy_options_flag(o, "quiet");
  p->ramp_up_s = benchy_options_double(o, "ramp-up");
  p->shape = benchy_options_double(o, "burstiness");
  const char *arrival = benchy_options_str(o, "arrival");
  p->arrival_kind = arrivals_kind_from_name(arrival ? arrival : "poisson");
  if (benchy_options_is_set(o, "burstiness")) {
    if (benchy_options_is_set(o, "arrival") && p->arrival_kind != ARRIVAL_GAMMA) {
      benchy_set_error(err, errlen, "--burstiness is the shape of gamma arrivals; it does not apply to "
              "--arrival %s", arrival);
      return BENCHY_ERR_INVALID;
    }
    p->arrival_kind = ARRIVAL_GAMMA;
  }
  if (p->arrival_kind < 0) p->arrival_kind = ARRIVAL_POISSON;
  const char *ds = benchy_options_str(o, "dataset");
  p->dataset_kind = dataset_kind_from_name(ds ? ds : "random");
  if (p->dataset_kind < 0) p->dataset_kind = DATASET_RANDOM;
  if (p->repeat_prompts)
    p->repeats = LOAD_REPEATS_ASKED;
  else if (p->dataset_kind == DATASET_SHAREGPT || p->dataset_kind == DATASET_JSONL)
    p->repeats = LOAD_REPEATS_FILE;
  else if (p->dataset_kind == DATASET_PREFIX)
    p->repeats = LOAD_REPEATS_PREFIX;
  else
    p->repeats = LOAD_REPEATS_NONE;
  p->input_len = benchy_options_int(o, "input-len");
  p->output_len = benchy_options_int(o, "output-len");
  p->prefix_len = benchy_options_int(o, "prefix-len");
  p->num_groups = benchy_options_int(o, "num-groups");
  p->range_ratio = benchy_options_double(o, "range-ratio");
  size_t np = benchy_options_list_len(o, "percentiles");
  p->percentiles = calloc(np ? np : 1, sizeof *p->percentiles);
  if (!p->percentiles) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < np; i++) p->percentiles[i] = benchy_options_list_double(o, "percentiles", i);
  p->n_percentiles = np;
  const char *sd = benchy_options_str(o, "stddev");
  /* vLLM and SGLang report population stddev; load follows them unless asked. */
  p->ddof = sd && !strcmp(sd, "sample") ? 1 : 0;
  size_t ng = benchy_options_list_len(o, "goodput");
  if (ng) {
    const char **items = calloc(ng, sizeof *items);
    if (!items) return BENCHY_ERR_NOMEM;
    for (size_t i = 0; i < ng; i++) items[i] = benchy_options_list_str(o, "goodput", i);
    int st = load_slo_parse(items, ng, &p->slo, err, errlen);
    free(items);
    if (st != BENCHY_OK) return st;
  }
  p->max_errors = benchy_options_is_set(o, "max-errors") ? benchy_options_int(o, "max-errors") : 0;
  p->jsonl_path = benchy_options_str(o, "jsonl");
  p->resume = benchy_options_flag(o, "resume");
  p->retry_failed = benchy_options_flag(o, "retry-failed");
  if (p->retry_failed && !p->resume) {
    benchy_set_error(err, errlen, "--retry-failed re-sends the failed requests of a run recorded in "
                     "--jsonl FILE; give --resume --jsonl FILE");
    return BENCHY_ERR_INVALID;
  }
  if (p->resume && !p->jsonl_path) {
    benchy_set_error(err, errlen, "--resume continues the run recorded in --jsonl FILE; give --jsonl");
    return BENCHY_ERR_INVALID;
  }
  return parse_levels(p, err, errlen);
}

static int setup_server(load_plan *p, char *err, size_t errlen) {
  int st = benchy_loop_new(&p->setup_loop);
  if (st != BENCHY_OK) return st;
  char url_problem[512];
  p->setup_watch = interrupt_watch(p->setup_loop);
  st = benchy_session_new_err(&p->setup_session, p->setup_loop, p->base_url, url_problem, sizeof url_problem);
  if (st != BENCHY_OK) {
    benchy_set_error(err, errlen, "--base-url: %s", url_problem);
    return st;
  }
  if (p->api_key) benchy_session_set_api_key(p->setup_session, p->api_key);
  for (size_t i = 0; i < p->n_headers; i++) {
    if ((st = benchy_session_add_header(p->setup_session, p->headers[i])) != BENCHY_OK) {
      benchy_set_error(err, errlen, "--header: %s", benchy_session_error(p->setup_session));
      return st;
    }
  }
  benchy_session_set_timeout_ms(p->setup_session, startup_probe_timeout_ms(p->opts));
  /* The model is checked against the server's list before anything is
   * sent: a wrong name would otherwise fail every request of the run. */
  const char *given = benchy_options_str(p->opts, "model");
  if (given && *given && !(p->model = benchy_strdup(given))) return BENCHY_ERR_NOMEM;
  char *shown = redact_url(p->base_url);
  if (!shown) return BENCHY_ERR_NOMEM;
  st = server_check_model(p->setup_session, shown, &p->model, NULL, err, errlen);
  free(shown);
  startup_explain_timeout(err, errlen, st, p->opts);
  return st;
}

/* File datasets are read before the server is asked anything, so a bad
 * file is reported as such even when the server is down. */
static int setup_file_dataset(load_plan *p, char *err, size_t errlen) {
  if (p->dataset_kind != DATASET_SHAREGPT && p->dataset_kind != DATASET_JSONL) return BENCHY_OK;
  dataset_file_config fc = {p->dataset_kind, benchy_options_str(p->opts, "dataset-path"),
                            benchy_options_is_set(p->opts, "output-len") ? p->output_len : 0,
                            p->output_len};
  int st = dataset_load_file(&p->file_data, &fc, err, errlen);
  if (st != BENCHY_OK) return st;
  if (p->api == BENCHY_ENDPOINT_COMPLETIONS) {
    for (size_t i = 0; i < p->file_data.n; i++) {
      if (p->file_data.items[i].messages_json) {
        benchy_set_error(err, errlen, "%s:%llu: has \"messages\", but --api completions sends a "
                "\"prompt\"; use --api chat or give {\"prompt\": ...} lines",
                fc.path, (unsigned long long)p->file_data.items[i].line);
        return BENCHY_ERR_INVALID;
      }
    }
  }
  return BENCHY_OK;
}

/* Synthetic datasets size their prompts with the server's tokenizer. */
static int setup_prompt_gen(load_plan *p, char *err, size_t errlen) {
  if (p->dataset_kind != DATASET_RANDOM && p->dataset_kind != DATASET_PREFIX) return BENCHY_OK;
  /* The nonce changes the words, never the lengths: those come from the
   * dataset's own seed (prepare_requests). */
  prompt_config pc = {p->setup_session, p->model, p->api, load_text_seed(p->seed, p->nonce),
                      PROMPT_METHOD_AUTO, 1, p->no_cache};
  int st = prompt_gen_new(&p->pgen, &pc, err, errlen);
  if (st == BENCHY_ERR_TIMEOUT || st == BENCHY_ERR_CANCELLED) {
    /* No answer is not a failed generation: without probes the tokenizer
     * would be asked again, and wait again. */
    if (st == BENCHY_ERR_TIMEOUT && err && errlen) {
      char why[512];
      snprintf(why, sizeof why, "%s", err);
      benchy_set_error(err, errlen, "a probe request sizing prompts failed, so nothing was measured: %s",
                       why);
      startup_explain_timeout(err, errlen, st, p->opts);
    }
    return st;
  }
  if (st != BENCHY_OK && st != BENCHY_ERR_NOMEM) {
    /* A probe generation failed (a server that rate limits or errs under
     * test is what load tests are for): size prompts without probes, and
     * let the run itself show the failures. */
    progress(p, "warning: prompt length probe failed (%s); continuing without probes",
             err && err[0] ? err : benchy_status_message(st));
    pc.allow_probes = 0;
    st = prompt_gen_new(&p->pgen, &pc, err, errlen);
  }
  if (st != BENCHY_OK) return st;
  if (prompt_gen_method(p->pgen) == PROMPT_METHOD_ESTIMATE)
    progress(p, "warning: %s", prompt_gen_notes(p->pgen));
  return BENCHY_OK;
}

/* dataset_textgen over prompt.h. */
static int make_text(void *ud, uint64_t context_key, int64_t context_tokens, uint64_t key,
                     int64_t n, dataset_item *item, char *err, size_t errlen) {
  prompt_gen *g = ud;
  prompt_text pt;
  int st = prompt_make_pair(g, context_key, context_tokens, key, n, &pt, err, errlen);
  if (st != BENCHY_OK) return st;
  item->system = pt.system;
  item->prompt = pt.user;
  pt.system = pt.user = NULL;
  item->input_tokens = pt.target;
  item->input_exact = pt.exact;
  prompt_text_free(&pt);
  return BENCHY_OK;
}

/* The request body for one dataset item. */
static char *build_body(const load_plan *p, const dataset_item *it, int synthetic) {
  cJSON *b = cJSON_CreateObject();
  if (!b) return NULL;
  cJSON_AddStringToObject(b, "model", p->model);
  if (p->api == BENCHY_ENDPOINT_CHAT) {
    cJSON *msgs = NULL;
    if (it->messages_json) {
      msgs = cJSON_Parse(it->messages_json);
    } else {
      msgs = cJSON_CreateArray();
      if (msgs && it->system) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "system");
        cJSON_AddStringToObject(m, "content", it->system);
        cJSON_AddItemToArray(msgs, m);
      }
      if (msgs) {
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "role", "user");
        cJSON_AddStringToObject(m, "content", it->prompt ? it->prompt : "");
        cJSON_AddItemToArray(msgs, m);
      }
    }
    if (!msgs) {
      cJSON_Delete(b);
      return NULL;
    }
    cJSON_AddItemToObject(b, "messages", msgs);
  } else {
    cJSON_AddStringToObject(b, "prompt", it->prompt ? it->prompt : "");
  }
  if (it->output_len > 0 && request_body_ignore_eos(p->rbody)) {
    if (request_body_force_length(b, it->output_len) != 0) {
      cJSON_Delete(b);
      return NULL;
    }
  } else if (it->output_len > 0) {
    cJSON_AddNumberToObject(b, "max_tokens", (double)it->output_len);
    /* Synthetic lengths are the point of the test: ask the server to
     * produce them whatever the text (vLLM, SGLang, llama.cpp read this). */
    if (synthetic) cJSON_AddBoolToObject(b, "ignore_eos", 1);
  }
  if (p->no_cache) cJSON_AddBoolToObject(b, "cache_prompt", 0);
  if (request_body_apply(p->rbody, b) != 0) {
    cJSON_Delete(b);
    return NULL;
  }
  char *text = cJSON_PrintUnformatted(b);
  cJSON_Delete(b);
  return text;
}

/* ------------------------------------------------------------ levels */

static void level_run_free(level_run *r, dataset *synth) {
  if (r->bodies)
    for (size_t i = 0; i < r->n_bodies; i++) cJSON_free(r->bodies[i]);
  free(r->bodies);
  free(r->items);
  free(r->offsets);
  free(r->index_map);
  if (r->ts) {
    for (int t = 0; t < r->n_threads; t++) {
      thread_state *s = &r->ts[t];
      load_acc_free(&s->acc);
      for (size_t i = 0; i < s->n; i++) cJSON_Delete(s->records[i].rec);
      free(s->records);
    }
  }
  free(r->ts);
  dataset_free(synth);
}

/* Prompts and bodies for n requests of a level (or of its warm-up). */
static int prepare_requests(load_plan *p, level_run *r, size_t n, int warmup, dataset *synth,
                            char *err, size_t errlen) {
  uint64_t lvl = (uint64_t)r->lv->number;
  r->items = calloc(n ? n : 1, sizeof *r->items);
  r->bodies = calloc(n ? n : 1, sizeof *r->bodies);
  if (!r->items || !r->bodies) return BENCHY_ERR_NOMEM;
  r->n_bodies = n;
  memset(synth, 0, sizeof *synth);
  if (p->dataset_kind == DATASET_RANDOM || p->dataset_kind == DATASET_PREFIX) {
    r->synthetic = 1;
    /* Every level and its warm-up get texts of their own: a later level
     * must not find an earlier one's prompts in the server's cache. */
    dataset_synth_config sc = {p->dataset_kind, n, p->input_len, p->output_len, p->range_ratio,
                               p->prefix_len, p->num_groups,
                               p->seed ^ (lvl * 0x9E3779B97F4A7C15ull) ^ (warmup ? 0xABCDull : 0),
                               (lvl << 41) | (warmup ? 1ull << 40 : 0)};
    dataset_textgen tg = {p->pgen, make_text};
    int st = dataset_synthesize(synth, &sc, &tg, err, errlen);
    if (st != BENCHY_OK) return st;
    for (size_t i = 0; i < n; i++) r->items[i] = &synth->items[i];
  } else {
    dataset_pick(&p->file_data, p->seed + lvl * 7919 + (warmup ? 104729 : 0), n, r->items);
  }
  for (size_t i = 0; i < n; i++) {
    if (!(r->bodies[i] = build_body(p, r->items[i], r->synthetic))) return BENCHY_ERR_NOMEM;
  }
  return BENCHY_OK;
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
  if (index >= r->n_bodies && !r->cycle) {
    /* Sending a prompt twice would measure the server's cache. */
    atomic_store(&r->ran_out, 1);
    return 1;
  }
  out->endpoint = r->plan->api;
  out->body = r->bodies[index % r->n_bodies];
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
  const dataset_item *it = r->items[index % r->n_bodies];
  load_ingest(&s->acc, rec, it->input_tokens, NULL);
  if (rec->status == BENCHY_OK)
    load_cache_count(&s->cache, load_record_cached_tokens(rec),
                     rec->usage_prompt_tokens >= 0 ? rec->usage_prompt_tokens : it->input_tokens,
                     expected_cached(r->plan));
  if (r->synthetic && rec->status == BENCHY_OK && rec->usage_prompt_tokens >= 0 &&
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
  int st = r.ts ? prepare_requests(p, &r, (size_t)p->warmup, 1, &synth, err, errlen)
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
    load_ingest(&r->ts[0].acc, &rec, q->input_expected, NULL);
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

/* Runs one level: warm-up, measured requests, aggregates into level_obj,
 * records appended to records (in index order). */
static int run_level(load_plan *p, const load_level *lv, cJSON *level_obj, cJSON *records,
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
  size_t pool;
  if (!lv->closed && !isinf(lv->rate)) {
    /* An open-loop schedule: fixed count, or as many as fit the duration. */
    arrival_config ac = {p->arrival_kind, lv->rate, p->shape, p->ramp_up_s, p->seed};
    arrival_gen g;
    if ((st = arrivals_init(&g, &ac, err, errlen)) != BENCHY_OK) return st;
    uint64_t cap = duration_ns > 0 ? LOAD_MAX_SCHEDULE : p->num_prompts;
    size_t alloc = duration_ns > 0 ? 1024 : (size_t)cap;
    r.offsets = malloc(alloc * sizeof *r.offsets);
    if (!r.offsets) return BENCHY_ERR_NOMEM;
    uint64_t n = 0;
    for (;;) {
      if (n == cap) break;
      int64_t off = arrivals_next(&g);
      if (duration_ns > 0 && off >= duration_ns) break;
      if (n == alloc) {
        int64_t *grown = realloc(r.offsets, alloc * 2 * sizeof *grown);
        if (!grown) {
          free(r.offsets);
          return BENCHY_ERR_NOMEM;
        }
        r.offsets = grown;
        alloc *= 2;
      }
      r.offsets[n++] = off;
    }
    if (duration_ns > 0 && n == cap) {
      free(r.offsets);
      benchy_set_error(err, errlen, "--request-rate %g for --duration %g s is more than %llu requests; "
              "lower one of them", lv->rate, p->duration_s, (unsigned long long)LOAD_MAX_SCHEDULE);
      return BENCHY_ERR_INVALID;
    }
    r.count = n;
    pool = (size_t)n;
  } else if (duration_ns > 0) {
    /* Closed loop for a duration: the count is open, prompts are cycled. */
    r.count = LOAD_UNBOUNDED;
    pool = (size_t)p->num_prompts;
  } else {
    r.count = p->num_prompts;
    pool = (size_t)p->num_prompts;
    r.all_at_t0 = !lv->closed;
  }
  if (pool == 0) pool = 1;
  r.ts = calloc((size_t)p->threads, sizeof *r.ts);
  if (!r.ts) {
    level_run_free(&r, &synth);
    return BENCHY_ERR_NOMEM;
  }
  st = prepare_requests(p, &r, pool, 0, &synth, err, errlen);
  if (st != BENCHY_OK) {
    level_run_free(&r, &synth);
    return st;
  }
  /* Only a closed --duration level can want more requests than its pool; a
   * file's entries and --repeat-prompts may come round again. */
  r.cycle = p->repeat_prompts || !r.synthetic;
  atomic_init(&r.ran_out, 0);
  /* --resume: what the file holds stands; the rest goes now, with this
   * run's prompts (new texts: a new nonce). */
  resume_plan rp = {0};
  if (prior) {
    if (resume_plan_make(prior, r.count == LOAD_UNBOUNDED ? 0 : r.count, r.offsets,
                         p->retry_failed, &rp) != 0) {
      resume_plan_free(&rp);
      level_run_free(&r, &synth);
      return BENCHY_ERR_NOMEM;
    }
    r.index_base = rp.index_base;
    r.index_map = rp.index_map;
    r.n_map = rp.n_map;
    rp.index_map = NULL; /* r owns it now */
  }
  /* Open loop: the schedule starts a little ahead, so that its first
   * arrivals are not late while the threads start. Closed loop: requests go
   * as soon as the threads are up, and t0 is now. */
  int open_loop = r.offsets || r.all_at_t0;
  r.t0 = benchy_now_ns() + (open_loop ? LOAD_START_LEAD_NS : 0);
  r.t0_level = r.t0 - rp.shift_ns;
  /* The exact-ITL budget is split between the threads (the merge target
   * gets all of it), so memory stays bounded however many threads run;
   * the request budget is claimed by all of them through one counter. */
  int64_t run_duration = r.offsets ? 0 : duration_ns;
  int nothing_to_send = r.index_map && !r.n_map;
  if (prior && run_duration > 0) {
    /* A continued --duration level has what the first run left of it. */
    run_duration -= rp.shift_ns;
    if (run_duration <= 0) nothing_to_send = 1;
  }
  runner_config planned = level_runner_config(p, &r, run_duration);
  /* Split between the threads that will actually run, not by --threads: a
   * level limited to fewer would otherwise get a fraction of its budget. */
  size_t threads = (size_t)runner_thread_count(&planned);
  if (threads < 1) threads = 1;
  size_t itl_budget = LOAD_RAW_ITL_BUDGET / threads;
  for (int t = 0; t < p->threads && st == BENCHY_OK; t++) {
    if (load_acc_init(&r.ts[t].acc, r.t0_level, itl_budget) != 0) {
      st = BENCHY_ERR_NOMEM;
      break;
    }
    load_acc_set_slo(&r.ts[t].acc, &p->slo);
    load_acc_limit_requests(&r.ts[t].acc, LOAD_RAW_REQUEST_BUDGET);
    load_acc_share_request_budget(&r.ts[t].acc, &r.request_claims);
  }
  if (st != BENCHY_OK) {
    resume_plan_free(&rp);
    level_run_free(&r, &synth);
    return st;
  }
  if (p->jsonl) {
    cJSON *line = cJSON_CreateObject();
    if (line) {
      /* level_continue keeps the records before it (load_resume.h). */
      cJSON_AddStringToObject(line, "type", prior ? "level_continue" : "level_start");
      cJSON_AddNumberToObject(line, "level", (double)lv->number);
      cJSON_AddStringToObject(line, "label", lv->label);
      jsonl_append(p->jsonl, line);
    }
  }
  if (prior && rp.from_complete)
    run_phase("level", lv->number, p->n_levels, "level %zu/%zu (%s): %zu requests restored from %s; retrying its %zu failed "
             "requests with fresh prompts", lv->number + 1, p->n_levels, lv->label, rp.restored,
             p->jsonl_path, rp.resent);
  else if (prior)
    run_phase("level", lv->number, p->n_levels, "level %zu/%zu (%s): %zu requests restored from %s (%zu failed ones to send "
             "again); continuing %s with fresh prompts", lv->number + 1, p->n_levels, lv->label,
             rp.restored, p->jsonl_path, rp.resent,
             r.count == LOAD_UNBOUNDED ? "for the rest of the duration" : "where it stopped");
  else
    run_phase("level", lv->number, p->n_levels, "level %zu/%zu (%s): %s requests", lv->number + 1, p->n_levels, lv->label,
             r.count == LOAD_UNBOUNDED ? "closed loop for the duration," : "sending");
  runner_summary sum = {0};
  /* An open-loop schedule already ends at the duration; requests it holds
   * back past the end are still part of it and go late, visibly. */
  int run_st = nothing_to_send ? BENCHY_OK : runner_for(p, &r, run_duration, &sum, err, errlen);
  if (run_st != BENCHY_OK && run_st != BENCHY_ERR_CANCELLED) {
    resume_plan_free(&rp);
    level_run_free(&r, &synth);
    return run_st;
  }

  /* Merge the threads: records in index order, accumulators into the
   * first (which gets the whole exact-ITL budget). */
  size_t total = 0;
  int64_t mismatches = 0;
  for (int t = 0; t < p->threads; t++) total += r.ts[t].n;
  kept_record *all = malloc((total ? total : 1) * sizeof *all);
  if (!all) {
    level_run_free(&r, &synth);
    return BENCHY_ERR_NOMEM;
  }
  size_t k = 0;
  load_cache_tally cache = {0};
  r.ts[0].acc.itl_budget = LOAD_RAW_ITL_BUDGET;
  for (int t = 0; t < p->threads; t++) {
    thread_state *s = &r.ts[t];
    load_cache_merge(&cache, &s->cache);
    for (size_t i = 0; i < s->n; i++) all[k++] = s->records[i];
    s->n = 0; /* the records move to all[] */
    mismatches += s->input_mismatches;
    if (t > 0) load_acc_merge(&r.ts[0].acc, &s->acc);
  }
  qsort(all, total, sizeof *all, cmp_kept_record);
  if (prior && restore_prior(p, &r, prior, &rp, &cache, records) != 0) st = BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < total; i++) cJSON_AddItemToArray(records, all[i].rec);
  free(all);

  load_agg_config ac = {p->percentiles, p->n_percentiles, p->ddof};
  r.ts[0].acc.max_in_flight = (int64_t)sum.max_in_flight;
  if (load_aggregate(&r.ts[0].acc, &ac, level_obj) != 0) st = BENCHY_ERR_NOMEM;
  cJSON_AddNumberToObject(level_obj, "input_length_mismatches", (double)mismatches);
  cJSON_AddNumberToObject(level_obj, "records_omitted", (double)atomic_load(&r.records_omitted));
  if (r.count != LOAD_UNBOUNDED) {
    cJSON_AddNumberToObject(level_obj, "planned", (double)r.count);
    uint64_t owed = r.index_map ? r.n_map : r.count;
    cJSON_AddNumberToObject(level_obj, "not_started", (double)(owed - sum.started));
  } else {
    cJSON_AddNullToObject(level_obj, "planned");
  }
  if (prior) {
    cJSON *res = cJSON_AddObjectToObject(level_obj, "resumed");
    if (res) {
      cJSON_AddStringToObject(res, "from", rp.from_complete ? "complete" : "interrupted");
      cJSON_AddNumberToObject(res, "restored_requests", (double)rp.restored);
      cJSON_AddNumberToObject(res, "sent_now", (double)sum.started);
      cJSON_AddNumberToObject(res, "retried_failed", (double)rp.resent);
      cJSON_AddNumberToObject(res, "timeline_offset_ms", (double)rp.shift_ns / 1e6);
      cJSON_AddBoolToObject(res, "itl_includes_restored", p->raw);
    }
  }
  resume_plan_free(&rp);
  const char *stopped = NULL;
  if (run_st == BENCHY_ERR_CANCELLED)
    stopped = "interrupt";
  else if (atomic_load(&r.stopped_by_errors))
    stopped = "max-errors";
  else if (atomic_load(&r.ran_out))
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
             r.n_bodies, p->duration_s);
    level_warn(p, lv, level_obj, msg);
  }
  const char *cache_warning = load_cache_report(&cache, p->repeats, level_obj);
  if (cache_warning) level_warn(p, lv, NULL, cache_warning);
  cJSON *client = cJSON_AddObjectToObject(level_obj, "client");
  if (client) {
    cJSON_AddNumberToObject(client, "threads", (double)threads);
    cJSON_AddNumberToObject(client, "socket_reads", (double)sum.counters.socket_reads);
    cJSON_AddNumberToObject(client, "sse_events", (double)sum.counters.sse_events);
    cJSON_AddNumberToObject(client, "retries", (double)sum.counters.retries);
    /* Which clock dated the chunks: "kernel" when every read carried the
     * kernel's receive stamp (docs/metrics.md, Clock). */
    cJSON_AddNumberToObject(client, "data_reads", (double)sum.counters.data_reads);
    cJSON_AddNumberToObject(client, "kernel_stamped_reads", (double)sum.counters.kernel_stamped_reads);
    cJSON_AddStringToObject(
        client, "rx_clock",
        benchy_rx_clock_name(benchy_rx_clock_of(sum.counters.data_reads, sum.counters.kernel_stamped_reads)));
  }
  const cJSON *comp = cJSON_GetObjectItemCaseSensitive(level_obj, "completed");
  const cJSON *fail = cJSON_GetObjectItemCaseSensitive(level_obj, "failed");
  progress(p, "level %zu/%zu (%s): %.0f completed, %.0f failed%s%s", lv->number + 1, p->n_levels,
           lv->label, comp ? comp->valuedouble : 0, fail ? fail->valuedouble : 0,
           stopped && strcmp(stopped, "duration") ? ", stopped by " : "",
           stopped && strcmp(stopped, "duration") ? stopped : "");
  int64_t jsonl_errors = atomic_load(&r.jsonl_errors);
  if (p->jsonl) cJSON_AddNumberToObject(level_obj, "jsonl_write_errors", (double)jsonl_errors);
  if (jsonl_errors)
    progress(p, "level %zu/%zu (%s): %lld records could not be written to %s (disk full?); the level "
             "is not marked complete there, so --resume runs it again", lv->number + 1, p->n_levels,
             lv->label, (long long)jsonl_errors, p->jsonl_path);
  /* A level whose records did not all reach the file must not be restored
   * from it as complete. */
  if (p->jsonl && run_st == BENCHY_OK && st == BENCHY_OK && !jsonl_errors) {
    cJSON *line = cJSON_CreateObject();
    cJSON *agg = cJSON_Duplicate(level_obj, 1);
    if (line && agg) {
      cJSON_AddStringToObject(line, "type", "level_end");
      cJSON_AddNumberToObject(line, "level", (double)lv->number);
      cJSON_AddItemToObject(line, "aggregates", agg);
      jsonl_append(p->jsonl, line);
    } else {
      cJSON_Delete(line);
      cJSON_Delete(agg);
    }
  }
  level_run_free(&r, &synth);
  return st != BENCHY_OK ? st : run_st;
}

/* ------------------------------------------------------------ resume */

typedef struct resume_state {
  cJSON *config;
  resumed_level *levels;
  size_t n_levels;
  int bad_level; /* a line named a level this run does not have */
  int64_t bad_records; /* record lines that could not be read back */
  int64_t max_records; /* held per level, as a fresh level holds them */
} resume_state;

static void resume_free(resume_state *rs) {
  cJSON_Delete(rs->config);
  for (size_t i = 0; rs->levels && i < rs->n_levels; i++) resumed_level_free(&rs->levels[i]);
  free(rs->levels);
  memset(rs, 0, sizeof *rs);
}

static resumed_level *resume_level_of(resume_state *rs, const cJSON *obj) {
  const cJSON *lv = cJSON_GetObjectItemCaseSensitive(obj, "level");
  if (!cJSON_IsNumber(lv) || lv->valuedouble < 0) return NULL;
  size_t i = (size_t)lv->valuedouble;
  if (i >= rs->n_levels) {
    rs->bad_level = 1;
    return NULL;
  }
  return &rs->levels[i];
}

static void resume_line(void *ud, const cJSON *obj) {
  resume_state *rs = ud;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
  if (!cJSON_IsString(type)) return;
  const char *t = type->valuestring;
  if (!strcmp(t, "config")) {
    if (!rs->config) rs->config = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "config"), 1);
    return;
  }
  resumed_level *lv = resume_level_of(rs, obj);
  if (!lv) return;
  if (!strcmp(t, "level_start") || !strcmp(t, "level_continue")) {
    /* A level begun again: what an earlier attempt wrote is void. A level
     * continued (--resume) or retried keeps its records; either way its old
     * aggregates no longer describe it. */
    if (!strcmp(t, "level_start")) resumed_level_reset(lv);
    cJSON_Delete(lv->aggregates);
    lv->aggregates = NULL;
    lv->done = 0;
  } else if (!strcmp(t, "record")) {
    /* Held like a fresh level's: at most --max-records as JSON, without the
     * per-chunk rows (they stay in the file); every one as figures. */
    if (resumed_level_add(lv, obj, rs->max_records) != 0) rs->bad_records++;
  } else if (!strcmp(t, "level_end")) {
    cJSON_Delete(lv->aggregates);
    lv->aggregates = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "aggregates"), 1);
    lv->done = lv->aggregates != NULL;
  }
}

/* Options that change only where output goes, not what is measured. */
static const char *const output_only[] = {"resume", "jsonl",   "save-result", "format",     "quiet",
                                          "name",   "threads", "raw",         "max-records",
                                          "result-dir", "result-filename", "overwrite-result",
                                          "metadata", "tokenizer", "percentile-metrics", "max-failure-rate",
                                          "prompt-nonce", "retry-failed"};

static cJSON *comparable_config(const cJSON *c) {
  cJSON *d = cJSON_Duplicate(c, 1);
  for (size_t i = 0; d && i < sizeof output_only / sizeof output_only[0]; i++)
    cJSON_DeleteItemFromObjectCaseSensitive(d, output_only[i]);
  return d;
}

/* Names the first option whose value differs, for the error message. */
static const char *first_difference(const cJSON *a, const cJSON *b) {
  const cJSON *item;
  cJSON_ArrayForEach(item, a) {
    const cJSON *other = cJSON_GetObjectItemCaseSensitive(b, item->string);
    if (!other || !cJSON_Compare(item, other, 1)) return item->string;
  }
  cJSON_ArrayForEach(item, b) {
    if (!cJSON_GetObjectItemCaseSensitive(a, item->string)) return item->string;
  }
  return NULL;
}

static int open_jsonl(load_plan *p, const cJSON *config, resume_state *rs, char *err,
                      size_t errlen) {
  if (!p->jsonl_path) return BENCHY_OK;
  if (p->resume) {
    rs->n_levels = p->n_levels;
    rs->max_records = p->max_records;
    rs->levels = calloc(p->n_levels, sizeof *rs->levels);
    if (!rs->levels) return BENCHY_ERR_NOMEM;
    char rerr[256] = "";
    if (jsonl_read(p->jsonl_path, resume_line, rs, rerr, sizeof rerr) < 0) {
      benchy_set_error(err, errlen, "--resume: %s", rerr);
      return BENCHY_ERR_IO;
    }
    for (size_t i = 0; i < rs->n_levels; i++) resumed_level_settle(&rs->levels[i]);
    if (rs->config) {
      cJSON *a = comparable_config(rs->config), *b = comparable_config(config);
      const char *diff = a && b ? first_difference(a, b) : NULL;
      int same = a && b && !diff;
      char name[96] = "";
      if (diff) snprintf(name, sizeof name, "%s", diff);
      cJSON_Delete(a);
      cJSON_Delete(b);
      if (!same || rs->bad_level) {
        benchy_set_error(err, errlen, "--resume: %s was written by a different configuration (--%s "
                "differs); run with the same options, or give another --jsonl path to start afresh",
                p->jsonl_path, name[0] ? name : "levels");
        return BENCHY_ERR_INVALID;
      }
    }
  }
  cJSON *head = cJSON_CreateObject();
  if (!head) return BENCHY_ERR_NOMEM;
  cJSON_AddStringToObject(head, "type", "config");
  cJSON_AddStringToObject(head, "kind", "load");
  cJSON_AddNumberToObject(head, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddItemToObject(head, "config", cJSON_Duplicate(config, 1));
  int st = jsonl_open(&p->jsonl, p->jsonl_path, p->resume, head, NULL, err, errlen);
  cJSON_Delete(head);
  return st;
}

/* ------------------------------------------------------------ run */

static void plan_free(load_plan *p) {
  jsonl_close(p->jsonl);
  prompt_gen_free(p->pgen);
  request_body_free(p->rbody);
  interrupt_unwatch(p->setup_watch);
  benchy_session_free(p->setup_session);
  benchy_loop_free(p->setup_loop);
  dataset_free(&p->file_data);
  free(p->base_url);
  free(p->model);
  free(p->headers);
  free(p->levels);
  free(p->percentiles);
}

/* How a level's requests are due: "closed_loop", "all_at_once" (open loop,
 * rate inf), or the arrival process of a finite rate. */
static const char *level_arrival(const load_plan *p, const load_level *lv) {
  if (lv->closed) return "closed_loop";
  if (isinf(lv->rate)) return "all_at_once";
  return arrivals_kind_name(p->arrival_kind);
}

static cJSON *metadata_json(const load_plan *p) {
  cJSON *m = cJSON_CreateObject();
  if (!m) return NULL;
  cJSON_AddStringToObject(m, "benchy_version", benchy_version_string());
  const char *name = benchy_options_str(p->opts, "name");
  if (name) cJSON_AddStringToObject(m, "name", name);
  cJSON_AddStringToObject(m, "model", p->model ? p->model : "");
  const char *served = benchy_options_str(p->opts, "served-model-name");
  if (served) cJSON_AddStringToObject(m, "served_model_name", served);
  char *url = redact_url(p->base_url);
  cJSON_AddStringToObject(m, "base_url", url ? url : "");
  free(url);
  cJSON_AddStringToObject(m, "api", p->api == BENCHY_ENDPOINT_CHAT ? "chat" : "completions");
  time_t now = time(NULL);
  struct tm tm;
  char stamp[32];
  if (gmtime_r(&now, &tm) && strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm))
    cJSON_AddStringToObject(m, "started_at", stamp);
  /* Only an open-loop level with a finite rate draws arrival times: a
   * closed loop sends when a slot frees, rate inf sends everything at t0. */
  const char *arrival = level_arrival(p, &p->levels[0]);
  for (size_t i = 1; i < p->n_levels; i++)
    if (strcmp(arrival, level_arrival(p, &p->levels[i]))) arrival = "mixed";
  cJSON_AddStringToObject(m, "arrival", arrival);
  if (p->arrival_kind == ARRIVAL_GAMMA && !strcmp(arrival, "gamma"))
    cJSON_AddNumberToObject(m, "burstiness", p->shape);
  cJSON_AddStringToObject(m, "stddev", p->ddof ? "sample" : "population");
  cJSON *pct = cJSON_AddArrayToObject(m, "percentiles");
  for (size_t i = 0; pct && i < p->n_percentiles; i++)
    cJSON_AddItemToArray(pct, cJSON_CreateNumber(p->percentiles[i]));
  cJSON *ds = cJSON_AddObjectToObject(m, "dataset");
  if (ds) {
    cJSON_AddStringToObject(ds, "kind", dataset_kind_name(p->dataset_kind));
    const char *path = benchy_options_str(p->opts, "dataset-path");
    if (path && (p->dataset_kind == DATASET_SHAREGPT || p->dataset_kind == DATASET_JSONL)) {
      cJSON_AddStringToObject(ds, "path", path);
      cJSON_AddNumberToObject(ds, "entries", (double)p->file_data.n);
      cJSON_AddNumberToObject(ds, "skipped", (double)p->file_data.skipped);
    }
  }
  /* What makes the texts again: --seed with this nonce (--prompt-nonce). */
  cJSON *pr = cJSON_AddObjectToObject(m, "prompts");
  if (pr) {
    cJSON_AddBoolToObject(pr, "synthetic", p->pgen != NULL);
    if (p->pgen)
      cJSON_AddNumberToObject(pr, "nonce", (double)p->nonce);
    else
      cJSON_AddNullToObject(pr, "nonce");
    cJSON_AddBoolToObject(pr, "repeat_prompts", p->repeat_prompts);
    cJSON_AddStringToObject(pr, "cache_hits_expected", load_repeats_name(p->repeats));
  }
  if (p->pgen) {
    cJSON *d = prompt_gen_describe(p->pgen);
    if (d) cJSON_AddItemToObject(m, "prompt_lengths", d);
  }
  run_metadata_add(m, p->opts);
  cJSON *sent = request_body_describe(p->rbody);
  if (sent) cJSON_AddItemToObject(m, "request_body", sent);
  return m;
}

/* --max-failure-rate, level by level (restored ones too: they are part of
 * the result). err is NULL when the run already failed another way. */
static int judge_levels(const load_plan *p, const cJSON *levels, cJSON *doc, char *err, size_t errlen) {
  failure_rule rule;
  if (failure_rule_init(&rule, benchy_options_double(p->opts, "max-failure-rate")) != BENCHY_OK) {
    failure_rule_free(&rule);
    return BENCHY_ERR_NOMEM;
  }
  const cJSON *lv;
  cJSON_ArrayForEach(lv, levels) {
    const cJSON *completed = cJSON_GetObjectItemCaseSensitive(lv, "completed");
    const cJSON *failed = cJSON_GetObjectItemCaseSensitive(lv, "failed");
    const cJSON *number = cJSON_GetObjectItemCaseSensitive(lv, "level");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(lv, "label");
    if (!cJSON_IsNumber(completed) || !cJSON_IsNumber(failed)) continue;
    char label[160];
    snprintf(label, sizeof label, "level %d/%zu (%s)", cJSON_IsNumber(number) ? number->valueint + 1 : 0,
             p->n_levels, cJSON_IsString(name) ? name->valuestring : "?");
    /* The HTTP statuses say more than "http_error" (401: the key; 404: the path). */
    char statuses[128] = "";
    size_t used = 0;
    const cJSON *code;
    cJSON_ArrayForEach(code, cJSON_GetObjectItemCaseSensitive(lv, "failed_by_http_status")) {
      int n = snprintf(statuses + used, sizeof statuses - used, "%sHTTP %s: %.0f", used ? ", " : "",
                       code->string, code->valuedouble);
      if (n < 0 || (size_t)n >= sizeof statuses - used) break;
      used += (size_t)n;
    }
    failure_rule_judge(&rule, label, (int64_t)(completed->valuedouble + failed->valuedouble),
                       (int64_t)failed->valuedouble, cJSON_GetObjectItemCaseSensitive(lv, "failed_by_kind"),
                       statuses);
  }
  int st = failure_rule_finish(&rule, doc, err, errlen);
  failure_rule_free(&rule);
  return st;
}

int load_execute(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
  if (out) *out = NULL;
  if (err && errlen) err[0] = 0;
  if (!opts || !out) {
    benchy_set_error(err, errlen, "benchy_load_run: options and a result pointer are required");
    return BENCHY_ERR_INVALID;
  }
  if (!(benchy_options_command(opts) & BENCHY_CMD_LOAD)) {
    benchy_set_error(err, errlen, "benchy_load_run: the options are not for the load command");
    return BENCHY_ERR_INVALID;
  }
  load_plan p = {0};
  p.opts = opts;
  p.setup_watch = -1;
  resume_state rs = {0};
  cJSON *config = NULL, *doc = NULL;
  /* The setup steps block on p.setup_loop, which an interrupt stops; phase
   * names the step for the message. */
  const char *phase = "starting";
  int st = plan_options(&p, err, errlen);
  /* A --jsonl file that would be refused is refused before the server is asked anything. */
  if (st == BENCHY_OK && p.jsonl_path)
    st = jsonl_check(p.jsonl_path, "load", p.resume, NULL, err, errlen);
  if (st == BENCHY_OK) st = setup_file_dataset(&p, err, errlen);
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "checking the server (GET /v1/models)";
    st = setup_server(&p, err, errlen);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "reading the server's default sampler (GET /props)";
    request_body_fetch_server_defaults(p.rbody, p.setup_session);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "sizing prompts with the server's tokenizer (/tokenize, /apply-template)";
    st = setup_prompt_gen(&p, err, errlen);
  }
  if (st == BENCHY_OK && !(config = config_json(opts))) st = BENCHY_ERR_NOMEM;
  if (st == BENCHY_OK && request_body_extra(p.rbody))
    cJSON_ReplaceItemInObject(config, "extra-body", cJSON_Duplicate(request_body_extra(p.rbody), 1));
  if (st == BENCHY_OK) st = open_jsonl(&p, config, &rs, err, errlen);
  if (st != BENCHY_OK || interrupt_pending()) {
    if (interrupt_pending() || st == BENCHY_ERR_CANCELLED) {
      st = BENCHY_ERR_CANCELLED;
      startup_interrupted(err, errlen, phase, p.jsonl ? p.jsonl_path : NULL);
      interrupt_clear(); /* consumed: a later run in this process proceeds */
    }
    cJSON_Delete(config);
    resume_free(&rs);
    plan_free(&p);
    return st;
  }

  doc = cJSON_CreateObject();
  cJSON *levels = cJSON_CreateArray(), *records = cJSON_CreateArray();
  if (!doc || !levels || !records) {
    cJSON_Delete(doc);
    cJSON_Delete(levels);
    cJSON_Delete(records);
    cJSON_Delete(config);
    resume_free(&rs);
    plan_free(&p);
    return BENCHY_ERR_NOMEM;
  }
  cJSON_AddNumberToObject(doc, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddStringToObject(doc, "kind", "load");
  cJSON_AddNumberToObject(doc, "record_version", BENCHY_RECORD_VERSION);
  cJSON_AddItemToObject(doc, "config", config);
  cJSON *meta = metadata_json(&p);
  if (meta) cJSON_AddItemToObject(doc, "metadata", meta);

  int run_status = BENCHY_OK;
  size_t n_restored = 0, n_continued = 0, n_retried = 0;
  for (size_t i = 0; i < p.n_levels; i++) {
    const load_level *lv = &p.levels[i];
    if (interrupt_pending()) {
      run_status = BENCHY_ERR_CANCELLED;
      benchy_set_error(err, errlen, "interrupted before level %zu/%zu (%s)", i + 1, p.n_levels, lv->label);
      break;
    }
    cJSON *lobj = cJSON_CreateObject();
    if (!lobj) {
      run_status = BENCHY_ERR_NOMEM;
      break;
    }
    resumed_level *prior = rs.levels ? &rs.levels[i] : NULL;
    /* A closed --duration level's failures are part of its time window and
     * are not sent again (docs/load.md). */
    int retry = prior && prior->done && p.retry_failed && resumed_level_failed(prior) &&
                !(lv->closed && p.duration_s > 0);
    if (prior && prior->done && p.retry_failed && resumed_level_failed(prior) && !retry)
      progress(&p, "level %zu/%zu (%s): --retry-failed does not apply to a --duration level "
               "(its failures are part of its time window); restored as it was", i + 1,
               p.n_levels, lv->label);
    if (prior && prior->done && !retry) {
      /* Restored: the file's aggregates and records stand for this level. */
      cJSON_Delete(lobj);
      lobj = rs.levels[i].aggregates;
      rs.levels[i].aggregates = NULL;
      cJSON_DeleteItemFromObjectCaseSensitive(lobj, "restored_from_jsonl");
      cJSON_AddBoolToObject(lobj, "restored_from_jsonl", 1);
      cJSON_AddItemToArray(levels, lobj);
      for (size_t k = 0; k < prior->n; k++) {
        if (!prior->reqs[k].json) continue;
        cJSON_AddItemToArray(records, prior->reqs[k].json);
        prior->reqs[k].json = NULL;
      }
      size_t failed = resumed_level_failed(prior);
      progress(&p, "level %zu/%zu (%s): restored from %s (%zu requests, %zu failed%s)", i + 1,
               p.n_levels, lv->label, p.jsonl_path, prior->n, failed,
               failed && !p.retry_failed ? "; --retry-failed sends them again" : "");
      n_restored++;
      continue;
    }
    /* A level with nothing in the file runs from its start. */
    if (prior && !prior->n && !prior->done) prior = NULL;
    if (prior) {
      if (retry)
        n_retried++;
      else
        n_continued++;
    }
    cJSON_AddNumberToObject(lobj, "level", (double)i);
    cJSON_AddStringToObject(lobj, "label", lv->label);
    cJSON_AddStringToObject(lobj, "mode", lv->closed ? "closed" : "open");
    cJSON_AddStringToObject(lobj, "arrival", level_arrival(&p, lv));
    if (isinf(lv->rate))
      cJSON_AddStringToObject(lobj, "request_rate", "inf");
    else
      cJSON_AddNumberToObject(lobj, "request_rate", lv->rate);
    if (lv->max_concurrency)
      cJSON_AddNumberToObject(lobj, "max_concurrency", (double)lv->max_concurrency);
    else
      cJSON_AddNullToObject(lobj, "max_concurrency");
    cJSON *pct = cJSON_AddArrayToObject(lobj, "percentiles");
    for (size_t k = 0; pct && k < p.n_percentiles; k++)
      cJSON_AddItemToArray(pct, cJSON_CreateNumber(p.percentiles[k]));
    cJSON_AddItemToArray(levels, lobj);
    st = run_level(&p, lv, lobj, records, prior, err, errlen);
    /* A probe sizing the level's prompts may fail with its own status when
     * the interrupt cut it short. */
    if (interrupt_pending()) st = BENCHY_ERR_CANCELLED;
    if (st == BENCHY_ERR_CANCELLED) {
      /* Interrupted before its measured requests: the level measured nothing. */
      int measured = cJSON_GetObjectItemCaseSensitive(lobj, "completed") != NULL;
      benchy_set_error(err, errlen, "interrupted in level %zu/%zu (%s), %s", i + 1, p.n_levels, lv->label,
                       measured ? "during its measured requests" : "before its measured requests");
      if (!measured) cJSON_Delete(cJSON_DetachItemFromArray(levels, cJSON_GetArraySize(levels) - 1));
      run_status = BENCHY_ERR_CANCELLED;
      break;
    }
    if (st != BENCHY_OK) {
      /* A level that could not run (out of memory, a prompt the server
       * refused to count): keep what earlier levels measured. */
      cJSON_AddStringToObject(lobj, "error", err && err[0] ? err : benchy_status_message(st));
      run_status = st;
      break;
    }
  }
  if (p.resume) {
    /* What --resume did, for the reader of the result and of stderr. */
    cJSON *rj = cJSON_CreateObject();
    if (rj) {
      cJSON_AddNumberToObject(rj, "levels_restored", (double)n_restored);
      cJSON_AddNumberToObject(rj, "levels_continued", (double)n_continued);
      cJSON_AddNumberToObject(rj, "levels_retried", (double)n_retried);
      cJSON_AddBoolToObject(rj, "retry_failed", p.retry_failed);
      if (meta) cJSON_AddItemToObject(meta, "resume", rj); else cJSON_Delete(rj);
    }
    progress(&p, "--resume: %zu level%s restored as recorded, %zu continued where %s stopped, "
             "%zu with failed requests sent again", n_restored, n_restored == 1 ? "" : "s",
             n_continued, n_continued == 1 ? "it" : "they", n_retried);
  }
  int rule_st = judge_levels(&p, levels, doc, run_status == BENCHY_OK ? err : NULL, errlen);
  if (run_status == BENCHY_OK) run_status = rule_st;
  cJSON_AddStringToObject(doc, "status", benchy_status_name(run_status));
  cJSON_AddItemToObject(doc, "aggregates", levels);
  cJSON_AddItemToObject(doc, "records", records);
  if (run_status == BENCHY_ERR_CANCELLED) {
    size_t used = err ? strlen(err) : 0;
    if (err && used + 1 < errlen)
      snprintf(err + used, errlen - used, ": the result holds every request that completed%s%s%s",
               p.jsonl ? " (each also in " : "", p.jsonl ? p.jsonl_path : "", p.jsonl ? ")" : "");
  }
  /* An interrupt that came during this run was this run's; one that came
   * after its last step changed nothing. Either way the next run proceeds. */
  interrupt_clear();
  resume_free(&rs);
  plan_free(&p);
  benchy_result *res = result_new("load", doc, load_render_md, load_render_csv);
  if (!res) return BENCHY_ERR_NOMEM;
  res->status = run_status;
  *out = res;
  return run_status;
}
