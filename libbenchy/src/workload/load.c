/*
 * load.c — load_execute() (benchy_load_run, through a run handle): `benchy load`, a serving load test.
 *
 * Provides: load_execute (workload_entry.h): the setup against the server
 * (model check, server defaults, prompt sizing), the loop over levels and
 * the result document (config, metadata, --max-failure-rate).
 * Uses: load_plan.c (options into a plan of levels), load_requests.c (what
 * a level sends: dataset.h, prompt.h), load_level.c (running a level on
 * runner.h, its figures from benchy/collector.h), load_journal.c (--jsonl and
 * --resume), load_render.h (md and csv of the result).
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
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchy/benchy.h"
#include "failure_rule.h"
#include "target.h"
#include "../options_json.h"
#include "../report/load_render.h"
#include "../meta/meta.h"
#include "../report/run_metadata.h"
#include "../report/result_internal.h"
#include "arrivals.h"
#include "interrupt.h"
#include "load_journal.h"
#include "load_level.h"
#include "startup.h"
#include "workload_entry.h"

/* ------------------------------------------------------------ setup */

/* The server through target.h; the plan keeps its probe session (and the
 * loop it blocks on, watched for interrupts) for the later setup steps. */
static int setup_server(load_plan *p, char *err, size_t errlen) {
  target t;
  int st = target_init(&t, p->opts, err, errlen);
  if (st == BENCHY_OK) st = target_connect(&t, err, errlen);
  /* The model is checked against the server's list before anything is
   * sent: a wrong name would otherwise fail every request of the run. */
  const char *given = benchy_options_str(p->opts, "model");
  if (st == BENCHY_OK && given && *given && !(p->model = benchy_strdup(given))) st = BENCHY_ERR_NOMEM;
  if (st == BENCHY_OK) st = target_check_model(&t, p->opts, &p->model, NULL, err, errlen);
  /* Asked now, while the server is known to answer: a result written
   * after it died must not wait on it. */
  if (st == BENCHY_OK && !interrupt_pending()) p->server_reported = meta_server_reported(p->opts, t.sess);
  p->setup_loop = t.loop;
  p->setup_session = t.sess;
  p->setup_watch = t.watch;
  t.loop = NULL;
  t.sess = NULL;
  t.watch = -1;
  target_free(&t);
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

/* ------------------------------------------------------------ result */

/* The common block (run_metadata.h) and what only a load test has. */
static cJSON *metadata_json(const load_plan *p) {
  char *url = target_redact_url(p->base_url);
  run_metadata_common c = {
      .opts = p->opts,
      .model = p->model,
      .served_model_name = benchy_options_str(p->opts, "served-model-name"),
      .shown_url = url,
      .chat = p->api == BENCHY_ENDPOINT_CHAT,
      .ddof = p->ddof,
      .percentiles = p->percentiles,
      .n_percentiles = p->n_percentiles,
      .started_at = time(NULL),
      .prompt_lengths = p->pgen ? prompt_gen_describe(p->pgen) : NULL,
      .request_body = request_body_describe(p->rbody),
      .server_reported = p->server_reported,
  };
  cJSON *m = run_metadata_new(&c);
  free(url);
  if (!m) return NULL;
  /* Only an open-loop level with a finite rate draws arrival times: a
   * closed loop sends when a slot frees, rate inf sends everything at t0. */
  const char *arrival = load_level_arrival(p, &p->levels[0]);
  for (size_t i = 1; i < p->n_levels; i++)
    if (strcmp(arrival, load_level_arrival(p, &p->levels[i]))) arrival = "mixed";
  cJSON_AddStringToObject(m, "arrival", arrival);
  if (p->arrival_kind == ARRIVAL_GAMMA && !strcmp(arrival, "gamma"))
    cJSON_AddNumberToObject(m, "burstiness", p->shape);
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

/* ------------------------------------------------------------ run */

/* The steps before the first level: options, the journal's check, the
 * dataset file, the server (model, defaults, prompt sizing), the config and
 * the journal. They block on p->setup_loop, which an interrupt stops; phase
 * names the step for the message. *config_out: the config for the result. */
static int start_run(load_plan *p, resume_state *rs, cJSON **config_out, char *err, size_t errlen) {
  cJSON *config = NULL;
  const char *phase = "starting";
  int st = load_plan_options(p, err, errlen);
  /* A --jsonl file that would be refused is refused before the server is asked anything. */
  if (st == BENCHY_OK && p->jsonl_path)
    st = jsonl_check(p->jsonl_path, "load", p->resume, NULL, err, errlen);
  if (st == BENCHY_OK) st = setup_file_dataset(p, err, errlen);
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "checking the server (GET /v1/models)";
    st = setup_server(p, err, errlen);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "reading the server's default sampler (GET /props)";
    request_body_fetch_server_defaults(p->rbody, p->setup_session);
  }
  if (st == BENCHY_OK && !interrupt_pending()) {
    phase = "sizing prompts with the server's tokenizer (/tokenize, /apply-template)";
    st = setup_prompt_gen(p, err, errlen);
  }
  if (st == BENCHY_OK && !(config = options_config_json(p->opts, BENCHY_OPTIONS_JSON_ALL))) st = BENCHY_ERR_NOMEM;
  cJSON *extra = st == BENCHY_OK ? request_body_extra_shown(p->rbody) : NULL;
  if (extra) cJSON_ReplaceItemInObject(config, "extra-body", extra);
  if (st == BENCHY_OK) st = load_journal_open(p, config, rs, err, errlen);
  if (st != BENCHY_OK || interrupt_pending()) {
    if (interrupt_pending() || st == BENCHY_ERR_CANCELLED) {
      st = BENCHY_ERR_CANCELLED;
      startup_interrupted(err, errlen, phase, p->jsonl ? p->jsonl_path : NULL);
      interrupt_clear(); /* consumed: a later run in this process proceeds */
    }
    cJSON_Delete(config);
    return st;
  }
  *config_out = config;
  return BENCHY_OK;
}

/* A level restored from --jsonl: the file's aggregates and records stand
 * for it. */
static void restore_level(load_plan *p, resume_state *rs, size_t i, cJSON *levels, cJSON *records) {
  const load_level *lv = &p->levels[i];
  resumed_level *prior = &rs->levels[i];
  cJSON *lobj = rs->levels[i].aggregates;
  rs->levels[i].aggregates = NULL;
  cJSON_DeleteItemFromObjectCaseSensitive(lobj, "restored_from_jsonl");
  cJSON_AddBoolToObject(lobj, "restored_from_jsonl", 1);
  cJSON_AddItemToArray(levels, lobj);
  for (size_t k = 0; k < prior->n; k++) {
    if (!prior->reqs[k].json) continue;
    cJSON_AddItemToArray(records, prior->reqs[k].json);
    prior->reqs[k].json = NULL;
  }
  size_t failed = resumed_level_failed(prior);
  progress(p, "level %zu/%zu (%s): restored from %s (%zu requests, %zu failed%s)", i + 1,
           p->n_levels, lv->label, p->jsonl_path, prior->n, failed,
           failed && !p->retry_failed ? "; --retry-failed sends them again" : "");
}

/* What a level is, ahead of what it measures. */
static void add_level_head(const load_plan *p, const load_level *lv, size_t i, cJSON *lobj) {
  cJSON_AddNumberToObject(lobj, "level", (double)i);
  cJSON_AddStringToObject(lobj, "label", lv->label);
  cJSON_AddStringToObject(lobj, "mode", lv->closed ? "closed" : "open");
  cJSON_AddStringToObject(lobj, "arrival", load_level_arrival(p, lv));
  if (isinf(lv->rate))
    cJSON_AddStringToObject(lobj, "request_rate", "inf");
  else
    cJSON_AddNumberToObject(lobj, "request_rate", lv->rate);
  if (lv->max_concurrency)
    cJSON_AddNumberToObject(lobj, "max_concurrency", (double)lv->max_concurrency);
  else
    cJSON_AddNullToObject(lobj, "max_concurrency");
  cJSON *pct = cJSON_AddArrayToObject(lobj, "percentiles");
  for (size_t k = 0; pct && k < p->n_percentiles; k++)
    cJSON_AddItemToArray(pct, cJSON_CreateNumber(p->percentiles[k]));
}

/* Levels --resume restored, continued and retried. */
typedef struct resume_counts {
  size_t restored, continued, retried;
} resume_counts;

/* Every level in turn, into levels and records; stops at the first that
 * fails or is interrupted, keeping what earlier levels measured. Returns
 * the run's status. */
static int run_levels(load_plan *p, resume_state *rs, cJSON *levels, cJSON *records, resume_counts *n,
                      char *err, size_t errlen) {
  for (size_t i = 0; i < p->n_levels; i++) {
    const load_level *lv = &p->levels[i];
    if (interrupt_pending()) {
      benchy_set_error(err, errlen, "interrupted before level %zu/%zu (%s)", i + 1, p->n_levels, lv->label);
      return BENCHY_ERR_CANCELLED;
    }
    cJSON *lobj = cJSON_CreateObject();
    if (!lobj) return BENCHY_ERR_NOMEM;
    resumed_level *prior = rs->levels ? &rs->levels[i] : NULL;
    /* A closed --duration level's failures are part of its time window and
     * are not sent again (docs/load.md). */
    int retry = prior && prior->done && p->retry_failed && resumed_level_failed(prior) &&
                !(lv->closed && p->duration_s > 0);
    if (prior && prior->done && p->retry_failed && resumed_level_failed(prior) && !retry)
      progress(p, "level %zu/%zu (%s): --retry-failed does not apply to a --duration level "
               "(its failures are part of its time window); restored as it was", i + 1,
               p->n_levels, lv->label);
    if (prior && prior->done && !retry) {
      cJSON_Delete(lobj);
      restore_level(p, rs, i, levels, records);
      n->restored++;
      continue;
    }
    /* A level with nothing in the file runs from its start. */
    if (prior && !prior->n && !prior->done) prior = NULL;
    if (prior) {
      if (retry)
        n->retried++;
      else
        n->continued++;
    }
    add_level_head(p, lv, i, lobj);
    cJSON_AddItemToArray(levels, lobj);
    int st = load_run_level(p, lv, lobj, records, prior, err, errlen);
    /* A probe sizing the level's prompts may fail with its own status when
     * the interrupt cut it short. */
    if (interrupt_pending()) st = BENCHY_ERR_CANCELLED;
    if (st == BENCHY_ERR_CANCELLED) {
      /* Interrupted before its measured requests: the level measured nothing. */
      int measured = cJSON_GetObjectItemCaseSensitive(lobj, "completed") != NULL;
      benchy_set_error(err, errlen, "interrupted in level %zu/%zu (%s), %s", i + 1, p->n_levels, lv->label,
                       measured ? "during its measured requests" : "before its measured requests");
      if (!measured) cJSON_Delete(cJSON_DetachItemFromArray(levels, cJSON_GetArraySize(levels) - 1));
      return BENCHY_ERR_CANCELLED;
    }
    if (st != BENCHY_OK) {
      /* A level that could not run (out of memory, a prompt the server
       * refused to count): keep what earlier levels measured. */
      cJSON_AddStringToObject(lobj, "error", err && err[0] ? err : benchy_status_message(st));
      return st;
    }
  }
  return BENCHY_OK;
}

/* What --resume did, for the reader of the result and of stderr. */
static void report_resume(const load_plan *p, const resume_counts *n, cJSON *meta) {
  cJSON *rj = cJSON_CreateObject();
  if (rj) {
    cJSON_AddNumberToObject(rj, "levels_restored", (double)n->restored);
    cJSON_AddNumberToObject(rj, "levels_continued", (double)n->continued);
    cJSON_AddNumberToObject(rj, "levels_retried", (double)n->retried);
    cJSON_AddBoolToObject(rj, "retry_failed", p->retry_failed);
    if (meta) cJSON_AddItemToObject(meta, "resume", rj); else cJSON_Delete(rj);
  }
  progress(p, "--resume: %zu level%s restored as recorded, %zu continued where %s stopped, "
           "%zu with failed requests sent again", n->restored, n->restored == 1 ? "" : "s",
           n->continued, n->continued == 1 ? "it" : "they", n->retried);
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
  cJSON *config = NULL;
  int st = start_run(&p, &rs, &config, err, errlen);
  cJSON *doc = st == BENCHY_OK ? cJSON_CreateObject() : NULL;
  cJSON *levels = doc ? cJSON_CreateArray() : NULL, *records = levels ? cJSON_CreateArray() : NULL;
  if (st == BENCHY_OK && !records) st = BENCHY_ERR_NOMEM;
  if (st != BENCHY_OK) {
    cJSON_Delete(doc);
    cJSON_Delete(levels);
    cJSON_Delete(config);
    load_journal_free(&rs);
    load_plan_free(&p);
    return st;
  }
  result_doc_head(doc, "load");
  cJSON_AddItemToObject(doc, "config", config);
  cJSON *meta = metadata_json(&p);
  if (meta) cJSON_AddItemToObject(doc, "metadata", meta);

  resume_counts n = {0};
  int run_status = run_levels(&p, &rs, levels, records, &n, err, errlen);
  if (p.resume) report_resume(&p, &n, meta);
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
  load_journal_free(&rs);
  load_plan_free(&p);
  benchy_result *res = result_new("load", doc, load_render_md, load_render_csv);
  if (!res) return BENCHY_ERR_NOMEM;
  res->status = run_status;
  *out = res;
  return run_status;
}
