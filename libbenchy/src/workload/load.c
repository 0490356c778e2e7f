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
 * that was interrupted is run again from its start, because the latencies of
 * an open-loop level depend on its whole schedule — half a schedule sent
 * twice is a different load.
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
#include "../report/load_render.h"
#include "../report/record_json.h"
#include "../report/result_internal.h"
#include "arrivals.h"
#include "dataset.h"
#include "interrupt.h"
#include "load_metrics.h"
#include "prompt.h"
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
  benchy_loop *setup_loop;
  benchy_session *setup_session; /* probes and prompt sizing: --probe-timeout */
  int setup_watch;               /* interrupt_watch slot of setup_loop, -1 none */
  prompt_gen *pgen;
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
  int all_at_t0;            /* open loop without a rate: every request due at t0 */
  thread_state *ts;
  int n_threads;
  atomic_llong failures;
  atomic_int stopped_by_errors;
  int synthetic;
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
  if (p->quiet) return;
  va_list ap;
  va_start(ap, fmt);
  fputs("benchy load: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
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
  p->raw = benchy_options_flag(o, "raw");
  p->max_records = benchy_options_int(o, "max-records");
  p->no_cache = benchy_options_flag(o, "no-cache");
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
  if (p->resume && !p->jsonl_path) {
    benchy_set_error(err, errlen, "--resume continues the run recorded in --jsonl FILE; give --jsonl");
    return BENCHY_ERR_INVALID;
  }
  return parse_levels(p, err, errlen);
}

/* GET /v1/models: the first model's id, when --model is not given. */
static int discover_model(load_plan *p, char *err, size_t errlen) {
  const char *given = benchy_options_str(p->opts, "model");
  int http = 0;
  char *body = NULL;
  int st = benchy_session_fetch(p->setup_session, "GET", "models", NULL, &http, &body);
  if (st == BENCHY_ERR_CANCELLED) {
    free(body);
    return st;
  }
  if (given && *given) {
    /* The server was asked anyway: a run against a dead server should fail
     * here, before any level starts. */
    free(body);
    if (st == BENCHY_ERR_CONNECT || st == BENCHY_ERR_TIMEOUT || st == BENCHY_ERR_TRANSPORT) {
      benchy_set_error(err, errlen, "cannot reach the server at %s: %s", p->base_url,
              benchy_session_error(p->setup_session));
      startup_explain_timeout(err, errlen, st, p->opts);
      return st;
    }
    return (p->model = benchy_strdup(given)) ? BENCHY_OK : BENCHY_ERR_NOMEM;
  }
  if (st != BENCHY_OK) {
    benchy_set_error(err, errlen, "cannot list the server's models (%s); is the server "
            "running? Give --model NAME to skip this",
            benchy_session_error(p->setup_session));
    startup_explain_timeout(err, errlen, st, p->opts);
    free(body);
    return st;
  }
  cJSON *doc = cJSON_Parse(body ? body : "");
  free(body);
  const cJSON *data = doc ? cJSON_GetObjectItemCaseSensitive(doc, "data") : NULL;
  const cJSON *first = cJSON_IsArray(data) ? cJSON_GetArrayItem(data, 0) : NULL;
  const cJSON *id = first ? cJSON_GetObjectItemCaseSensitive(first, "id") : NULL;
  if (!cJSON_IsString(id)) {
    cJSON_Delete(doc);
    benchy_set_error(err, errlen, "the server's /models list names no model; give --model NAME");
    return BENCHY_ERR_NOT_FOUND;
  }
  p->model = benchy_strdup(id->valuestring);
  cJSON_Delete(doc);
  return p->model ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

static int setup_server(load_plan *p, char *err, size_t errlen) {
  int st = benchy_loop_new(&p->setup_loop);
  if (st != BENCHY_OK) return st;
  p->setup_watch = interrupt_watch(p->setup_loop);
  st = benchy_session_new(&p->setup_session, p->setup_loop, p->base_url);
  if (st != BENCHY_OK) {
    benchy_set_error(err, errlen, "invalid --base-url '%s': it must start with http:// or https://",
            p->base_url);
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
  return discover_model(p, err, errlen);
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
  prompt_config pc = {p->setup_session, p->model, p->api, p->seed, PROMPT_METHOD_AUTO, 1,
                      p->no_cache};
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
  if (it->output_len > 0) {
    cJSON_AddNumberToObject(b, "max_tokens", (double)it->output_len);
    /* Synthetic lengths are the point of the test: ask the server to
     * produce them whatever the text (vLLM, SGLang, llama.cpp read this). */
    if (synthetic) cJSON_AddBoolToObject(b, "ignore_eos", 1);
  }
  if (p->no_cache) cJSON_AddBoolToObject(b, "cache_prompt", 0);
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

static int hook_next(void *ud, uint64_t index, runner_request *out) {
  level_run *r = ud;
  if (index >= r->count) return 1;
  out->endpoint = r->plan->api;
  out->body = r->bodies[index % r->n_bodies];
  out->tag = NULL;
  if (r->offsets)
    out->send_at_ns = r->t0 + r->offsets[index];
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

static void hook_on_record(void *ud, int thread, uint64_t index, const benchy_record *rec) {
  level_run *r = ud;
  thread_state *s = &r->ts[thread];
  int failed = rec->status != BENCHY_OK && rec->status != BENCHY_ERR_CANCELLED;
  if (failed) atomic_fetch_add(&r->failures, 1);
  if (r->warmup) return;
  const dataset_item *it = r->items[index % r->n_bodies];
  load_ingest(&s->acc, rec, it->input_tokens, NULL);
  if (r->synthetic && rec->status == BENCHY_OK && rec->usage_prompt_tokens >= 0 &&
      rec->usage_prompt_tokens != it->input_tokens)
    s->input_mismatches++;
  /* Cancelled requests are not results: a resumed run sends them again. */
  int to_file = r->plan->jsonl && rec->status != BENCHY_ERR_CANCELLED;
  int keep = atomic_fetch_add(&r->records_kept, 1) < r->plan->max_records;
  if (!keep) atomic_fetch_add(&r->records_omitted, 1);
  if (!keep && !to_file) return; /* no JSON built for nobody, on the loop's thread */
  cJSON *o = record_to_json(rec, r->t0, r->plan->raw);
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
  rc.count = r->count;
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

/* Runs one level: warm-up, measured requests, aggregates into level_obj,
 * records appended to records (in index order). */
static int run_level(load_plan *p, const load_level *lv, cJSON *level_obj, cJSON *records,
                     char *err, size_t errlen) {
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
  /* Open loop: the schedule starts a little ahead, so that its first
   * arrivals are not late while the threads start. Closed loop: requests go
   * as soon as the threads are up, and t0 is now. */
  int open_loop = r.offsets || r.all_at_t0;
  r.t0 = benchy_now_ns() + (open_loop ? LOAD_START_LEAD_NS : 0);
  /* The exact-ITL budget is split between the threads (the merge target
   * gets all of it), so memory stays bounded however many threads run;
   * the request budget is claimed by all of them through one counter. */
  int64_t run_duration = r.offsets ? 0 : duration_ns;
  runner_config planned = level_runner_config(p, &r, run_duration);
  /* Split between the threads that will actually run, not by --threads: a
   * level limited to fewer would otherwise get a fraction of its budget. */
  size_t threads = (size_t)runner_thread_count(&planned);
  size_t itl_budget = LOAD_RAW_ITL_BUDGET / threads;
  for (int t = 0; t < p->threads && st == BENCHY_OK; t++) {
    if (load_acc_init(&r.ts[t].acc, r.t0, itl_budget) != 0) {
      st = BENCHY_ERR_NOMEM;
      break;
    }
    load_acc_set_slo(&r.ts[t].acc, &p->slo);
    load_acc_limit_requests(&r.ts[t].acc, LOAD_RAW_REQUEST_BUDGET);
    load_acc_share_request_budget(&r.ts[t].acc, &r.request_claims);
  }
  if (st != BENCHY_OK) {
    level_run_free(&r, &synth);
    return st;
  }
  if (p->jsonl) {
    cJSON *line = cJSON_CreateObject();
    if (line) {
      cJSON_AddStringToObject(line, "type", "level_start");
      cJSON_AddNumberToObject(line, "level", (double)lv->number);
      cJSON_AddStringToObject(line, "label", lv->label);
      jsonl_append(p->jsonl, line);
    }
  }
  progress(p, "level %zu/%zu (%s): %s requests", lv->number + 1, p->n_levels, lv->label,
           r.count == LOAD_UNBOUNDED ? "closed loop for the duration," : "sending");
  runner_summary sum = {0};
  /* An open-loop schedule already ends at the duration; requests it holds
   * back past the end are still part of it and go late, visibly. */
  int run_st = runner_for(p, &r, run_duration, &sum, err, errlen);
  if (run_st != BENCHY_OK && run_st != BENCHY_ERR_CANCELLED) {
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
  r.ts[0].acc.itl_budget = LOAD_RAW_ITL_BUDGET;
  for (int t = 0; t < p->threads; t++) {
    thread_state *s = &r.ts[t];
    for (size_t i = 0; i < s->n; i++) all[k++] = s->records[i];
    s->n = 0; /* the records move to all[] */
    mismatches += s->input_mismatches;
    if (t > 0) load_acc_merge(&r.ts[0].acc, &s->acc);
  }
  qsort(all, total, sizeof *all, cmp_kept_record);
  for (size_t i = 0; i < total; i++) cJSON_AddItemToArray(records, all[i].rec);
  free(all);

  load_agg_config ac = {p->percentiles, p->n_percentiles, p->ddof};
  r.ts[0].acc.max_in_flight = (int64_t)sum.max_in_flight;
  if (load_aggregate(&r.ts[0].acc, &ac, level_obj) != 0) st = BENCHY_ERR_NOMEM;
  cJSON_AddNumberToObject(level_obj, "input_length_mismatches", (double)mismatches);
  cJSON_AddNumberToObject(level_obj, "records_omitted", (double)atomic_load(&r.records_omitted));
  if (r.count != LOAD_UNBOUNDED) {
    cJSON_AddNumberToObject(level_obj, "planned", (double)r.count);
    cJSON_AddNumberToObject(level_obj, "not_started", (double)(r.count - sum.started));
  } else {
    cJSON_AddNullToObject(level_obj, "planned");
  }
  const char *stopped = NULL;
  if (run_st == BENCHY_ERR_CANCELLED)
    stopped = "interrupt";
  else if (atomic_load(&r.stopped_by_errors))
    stopped = "max-errors";
  else if (duration_ns > 0)
    stopped = "duration";
  if (stopped)
    cJSON_AddStringToObject(level_obj, "stopped_by", stopped);
  else
    cJSON_AddNullToObject(level_obj, "stopped_by");
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

typedef struct resume_level {
  int done;
  int64_t n_records;
  cJSON *aggregates;
  cJSON *records; /* array */
} resume_level;

typedef struct resume_state {
  cJSON *config;
  resume_level *levels;
  size_t n_levels;
  int bad_level; /* a line named a level this run does not have */
  int64_t max_records; /* held per level, as a fresh level holds them */
} resume_state;

static void resume_free(resume_state *rs) {
  cJSON_Delete(rs->config);
  for (size_t i = 0; rs->levels && i < rs->n_levels; i++) {
    cJSON_Delete(rs->levels[i].aggregates);
    cJSON_Delete(rs->levels[i].records);
  }
  free(rs->levels);
  memset(rs, 0, sizeof *rs);
}

static resume_level *resume_level_of(resume_state *rs, const cJSON *obj) {
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
  resume_level *lv = resume_level_of(rs, obj);
  if (!lv) return;
  if (!strcmp(t, "level_start")) {
    /* A level begun again: what an earlier attempt wrote is void. */
    cJSON_Delete(lv->records);
    lv->records = cJSON_CreateArray();
    lv->n_records = 0;
    cJSON_Delete(lv->aggregates);
    lv->aggregates = NULL;
    lv->done = 0;
  } else if (!strcmp(t, "record")) {
    /* Held like a fresh level's: at most --max-records, without the
     * per-chunk rows (they stay in the file). */
    if (lv->n_records++ >= rs->max_records) return;
    if (!lv->records) lv->records = cJSON_CreateArray();
    cJSON *dup = cJSON_Duplicate(obj, 1);
    if (dup && lv->records) {
      cJSON_DeleteItemFromObjectCaseSensitive(dup, "type");
      cJSON_DeleteItemFromObjectCaseSensitive(dup, "chunks_raw");
      cJSON_AddItemToArray(lv->records, dup);
    } else {
      cJSON_Delete(dup);
    }
  } else if (!strcmp(t, "level_end")) {
    cJSON_Delete(lv->aggregates);
    lv->aggregates = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "aggregates"), 1);
    lv->done = lv->aggregates != NULL;
  }
}

/* Options that change only where output goes, not what is measured. */
static const char *const output_only[] = {"resume", "jsonl",   "save-result", "format",     "quiet",
                                          "name",   "threads", "raw",         "max-records"};

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
  int have = 0;
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
                "differs); run with the same options, or without --resume to start afresh",
                p->jsonl_path, name[0] ? name : "levels");
        return BENCHY_ERR_INVALID;
      }
      have = 1; /* jsonl_open cuts a torn last line off before appending */
    }
  }
  int st = jsonl_open(&p->jsonl, p->jsonl_path, have, err, errlen);
  if (st != BENCHY_OK) return st;
  if (!have) {
    cJSON *line = cJSON_CreateObject();
    if (!line) return BENCHY_ERR_NOMEM;
    cJSON_AddStringToObject(line, "type", "config");
    cJSON_AddStringToObject(line, "kind", "load");
    cJSON_AddNumberToObject(line, "result_version", BENCHY_RESULT_VERSION);
    cJSON_AddItemToObject(line, "config", cJSON_Duplicate(config, 1));
    st = jsonl_append(p->jsonl, line);
    if (st != BENCHY_OK) benchy_set_error(err, errlen, "cannot write %s", p->jsonl_path);
  }
  return st;
}

/* ------------------------------------------------------------ run */

static void plan_free(load_plan *p) {
  jsonl_close(p->jsonl);
  prompt_gen_free(p->pgen);
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
  cJSON_AddStringToObject(m, "arrival", arrivals_kind_name(p->arrival_kind));
  if (p->arrival_kind == ARRIVAL_GAMMA) cJSON_AddNumberToObject(m, "burstiness", p->shape);
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
  if (p->pgen) {
    cJSON *d = prompt_gen_describe(p->pgen);
    if (d) cJSON_AddItemToObject(m, "prompt_lengths", d);
  }
  return m;
}

int benchy_load_run(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
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
  if (st == BENCHY_OK) st = setup_file_dataset(&p, err, errlen);
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "discovering the model (GET /v1/models)";
    st = setup_server(&p, err, errlen);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "sizing prompts with the server's tokenizer (/tokenize, /apply-template)";
    st = setup_prompt_gen(&p, err, errlen);
  }
  if (st == BENCHY_OK && !(config = config_json(opts))) st = BENCHY_ERR_NOMEM;
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
    if (rs.levels && rs.levels[i].done) {
      /* Restored: the file's aggregates and records stand for this level. */
      cJSON_Delete(lobj);
      lobj = rs.levels[i].aggregates;
      rs.levels[i].aggregates = NULL;
      cJSON_DeleteItemFromObjectCaseSensitive(lobj, "restored_from_jsonl");
      cJSON_AddBoolToObject(lobj, "restored_from_jsonl", 1);
      cJSON_AddItemToArray(levels, lobj);
      cJSON *rec;
      cJSON *src = rs.levels[i].records;
      while (src && (rec = cJSON_DetachItemFromArray(src, 0)) != NULL)
        cJSON_AddItemToArray(records, rec);
      progress(&p, "level %zu/%zu (%s): restored from %s", i + 1, p.n_levels, lv->label,
               p.jsonl_path);
      continue;
    }
    cJSON_AddNumberToObject(lobj, "level", (double)i);
    cJSON_AddStringToObject(lobj, "label", lv->label);
    cJSON_AddStringToObject(lobj, "mode", lv->closed ? "closed" : "open");
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
    st = run_level(&p, lv, lobj, records, err, errlen);
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
