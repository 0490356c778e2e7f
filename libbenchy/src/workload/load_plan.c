/*
 * load_plan.c — a `benchy load` run's options decoded into its plan
 * (load_plan.h): the levels of a sweep, the target, the dataset, the
 * statistics, the journal. Everything here is checked before the server is
 * asked anything, so a mistyped option costs nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "load_plan.h"
#include "arrivals.h"
#include "interrupt.h"
#include "target.h"

static int parse_levels(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
  /* The table checks each rate (> 0, or inf: BENCHY_OPTF_INF). */
  size_t n_rates = benchy_options_list_len(o, "request-rate");
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
    lv->rate = benchy_options_list_double(o, "request-rate", n_rates > 1 ? i : 0);
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

/* Where requests go and how: URL, API, key, headers, timeout, threads. */
static int plan_target(load_plan *p, char *err, size_t errlen) {
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
  p->api_key = target_api_key(o);
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
  return BENCHY_OK;
}

/* How many requests a level sends: a count, or a duration; and the warm-up. */
static int plan_counts(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
  p->duration_s = benchy_options_is_set(o, "duration") ? benchy_options_double(o, "duration") : 0;
  if (benchy_options_is_set(o, "duration") && !(p->duration_s > 0)) {
    benchy_set_error(err, errlen, "--duration must be more than 0 seconds");
    return BENCHY_ERR_INVALID;
  }
  p->num_prompts = (uint64_t)benchy_options_int(o, "num-prompts");
  if (!p->num_prompts) p->num_prompts = 100;
  p->warmup = benchy_options_flag(o, "no-warmup") ? 0 : benchy_options_int(o, "warmup");
  return BENCHY_OK;
}

/* What is sent: the dataset, its texts (seed, nonce), lengths and the
 * request body rules. */
static int plan_prompts(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
  p->seed = (uint64_t)benchy_options_int(o, "seed");
  p->repeat_prompts = benchy_options_flag(o, "repeat-prompts");
  if (benchy_options_is_set(o, "prompt-nonce"))
    p->nonce = (uint64_t)benchy_options_int(o, "prompt-nonce");
  else
    p->nonce = p->repeat_prompts ? 0 : load_fresh_nonce();
  p->no_cache = benchy_options_flag(o, "no-cache");
  int body_st = request_body_new(&p->rbody, o, err, errlen);
  if (body_st != BENCHY_OK) return body_st;
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
  return BENCHY_OK;
}

/* When an open-loop level's requests are due. */
static int plan_arrivals(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
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
  return BENCHY_OK;
}

/* What the result holds: percentiles, stddev, goodput, records, errors. */
static int plan_statistics(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
  p->raw = benchy_options_flag(o, "raw");
  p->max_records = benchy_options_int(o, "max-records");
  p->quiet = benchy_options_flag(o, "quiet");
  size_t np = benchy_options_list_len(o, "percentiles");
  p->percentiles = calloc(np ? np : 1, sizeof *p->percentiles);
  if (!p->percentiles) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < np; i++) p->percentiles[i] = benchy_options_list_double(o, "percentiles", i);
  p->n_percentiles = np;
  const char *sd = benchy_options_str(o, "stddev");
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
  return BENCHY_OK;
}

/* --jsonl, --resume, --retry-failed. */
static int plan_journal(load_plan *p, char *err, size_t errlen) {
  const benchy_options *o = p->opts;
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
  return BENCHY_OK;
}

/* The steps in the order their errors are reported; the levels last, as
 * they depend on --duration. */
int load_plan_options(load_plan *p, char *err, size_t errlen) {
  int (*const steps[])(load_plan *, char *, size_t) = {plan_target, plan_counts, plan_prompts,
                                                        plan_arrivals, plan_statistics, plan_journal};
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
    int st = steps[i](p, err, errlen);
    if (st != BENCHY_OK) return st;
  }
  return parse_levels(p, err, errlen);
}

void load_plan_free(load_plan *p) {
  jsonl_close(p->jsonl);
  prompt_gen_free(p->pgen);
  request_body_free(p->rbody);
  interrupt_unwatch(p->setup_watch);
  benchy_session_free(p->setup_session);
  benchy_loop_free(p->setup_loop);
  cJSON_Delete(p->server_reported);
  dataset_free(&p->file_data);
  free(p->base_url);
  free(p->model);
  free(p->headers);
  free(p->levels);
  free(p->percentiles);
}

const char *load_level_arrival(const load_plan *p, const load_level *lv) {
  if (lv->closed) return "closed_loop";
  if (isinf(lv->rate)) return "all_at_once";
  return arrivals_kind_name(p->arrival_kind);
}
