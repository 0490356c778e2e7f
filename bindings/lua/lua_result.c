/*
 * lua_result.c — what a script run keeps: each finished request into its
 * scenario's collector, --jsonl (as it completes) and the result's
 * records, each naming scenario, user, iteration and turn; script errors
 * with their traceback; and the per-scenario aggregates of the result.
 */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lua_host.h"
#include "report/jsonl.h"
#include "report/record_json.h"
#include "report/run_metadata.h"
#include "workload/run_progress.h"
#include "workload/target.h"

static void name_record(cJSON *o, const lh_user *u) {
  cJSON_AddStringToObject(o, "scenario", u->sc ? u->sc->name : "");
  cJSON_AddNumberToObject(o, "user", (double)u->index + 1);
  cJSON_AddNumberToObject(o, "iteration", (double)u->iteration);
  cJSON_AddNumberToObject(o, "turn", (double)u->turn);
  if (u->host->n_targets) cJSON_AddStringToObject(o, "target", lh_target_name(u->target));
  lh_resume_mark(u->host, o);
}

static void keep(lh_host *h, cJSON *o) {
  if (h->jsonl) {
    /* Every journal line has a type (docs/results.md); requests are "record". */
    int typed = cJSON_HasObjectItem(o, "type");
    if (!typed) cJSON_AddStringToObject(o, "type", "record");
    jsonl_write(h->jsonl, o);
    if (!typed) cJSON_DeleteItemFromObjectCaseSensitive(o, "type");
  }
  if (h->records_kept < LH_MAX_RECORDS) {
    cJSON_AddItemToArray(h->records, o);
    h->records_kept++;
  } else {
    h->records_omitted++;
    cJSON_Delete(o);
  }
}

void lh_record(lh_host *h, lh_user *u, const benchy_record *rec) {
  benchy_collector_add(u->sc->coll, rec);
  lh_target_record(h, u, rec);
  h->done++;
  if (rec->status != BENCHY_OK) h->failed++;
  run_progress_requests(h->done, h->failed, benchy_loop_in_flight(h->loop), 0);
  cJSON *o = record_to_json(rec, h->t0, 0);
  if (!o) return;
  name_record(o, u);
  lh_tool_grade_json(u, o);
  keep(h, o);
}

void lh_script_error(lh_host *h, lh_user *u, const char *traceback) {
  h->script_errors++;
  if (!h->first_error[0])
    snprintf(h->first_error, sizeof h->first_error, "user %llu, %s: %s",
             (unsigned long long)u->index + 1, u->sc ? u->sc->name : "?", traceback);
  /* A script that fails at once fails in every iteration of every user:
   * the first few say what happened, the records keep every one. */
  if (h->script_errors <= LH_ERRORS_SHOWN)
    run_warning("script error in user %llu (%s, iteration %llu): %s%s", (unsigned long long)u->index + 1,
                u->sc ? u->sc->name : "?", (unsigned long long)u->iteration, traceback,
                h->script_errors == LH_ERRORS_SHOWN
                    ? "\n(further script errors are counted in the result, not shown here)"
                    : "");
  cJSON *o = cJSON_CreateObject();
  if (!o) return;
  cJSON_AddStringToObject(o, "type", "script_error");
  name_record(o, u);
  cJSON_AddStringToObject(o, "error", traceback);
  keep(h, o);
}

static cJSON *scenario_object(lh_host *h, lh_scenario *s) {
  char *text = benchy_collector_aggregate(s->coll, 0);
  cJSON *o = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "scenario", s->name);
  cJSON_AddNumberToObject(o, "weight", s->weight);
  cJSON_AddNumberToObject(o, "iterations", (double)s->iterations);
  cJSON_AddNumberToObject(o, "script_errors", (double)s->iterations_failed);
  cJSON *checks = cJSON_AddObjectToObject(o, "checks");
  uint64_t checks_failed = 0;
  for (size_t i = 0; checks && i < s->n_checks; i++) {
    cJSON *c = cJSON_AddObjectToObject(checks, s->checks[i].name);
    cJSON_AddNumberToObject(c, "passed", (double)s->checks[i].passed);
    cJSON_AddNumberToObject(c, "failed", (double)s->checks[i].failed);
    checks_failed += s->checks[i].failed;
  }
  cJSON_AddNumberToObject(o, "checks_failed", (double)checks_failed);
  cJSON *metrics = cJSON_AddObjectToObject(o, "metrics");
  for (size_t i = 0; metrics && i < s->n_metrics; i++) {
    const lh_metric *m = &s->metrics[i];
    cJSON *mo = cJSON_AddObjectToObject(metrics, m->name);
    cJSON_AddNumberToObject(mo, "count", (double)m->m.n);
    cJSON_AddNumberToObject(mo, "mean", benchy_moments_mean(&m->m));
    cJSON_AddNumberToObject(mo, "min", m->m.min);
    cJSON_AddNumberToObject(mo, "max", m->m.max);
    for (size_t p = 0; p < h->n_percentiles; p++) {
      char key[32];
      snprintf(key, sizeof key, "p%g", h->percentiles[p]);
      cJSON_AddNumberToObject(mo, key, (double)benchy_hist_percentile(m->hist, h->percentiles[p]) / 1000.0);
    }
  }
  lh_turns_aggregate(h, s, o);
  char *coll = benchy_collector_to_json(s->coll);
  cJSON *cj = coll ? cJSON_Parse(coll) : NULL;
  free(coll);
  if (cj) cJSON_AddItemToObject(o, "collector", cj);
  return o;
}

cJSON *lh_aggregates(lh_host *h) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < h->n_sc; i++) {
    cJSON *o = scenario_object(h, &h->sc[i]);
    if (!o) {
      cJSON_Delete(arr);
      return NULL;
    }
    lh_target_aggregate(h, i, o);
    cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

cJSON *lh_metadata(lh_host *h) {
  char *url = target_redact_url(benchy_options_str(h->opts, "base-url"));
  /* The run's start on the wall clock: now, less the time it has run
   * (t0 is on the monotonic clock every timestamp uses). */
  time_t started = time(NULL);
  if (h->t0 > 0) started -= (time_t)((benchy_now_ns() - h->t0) / 1000000000);
  run_metadata_common c = {
      .opts = h->opts,
      .model = h->model,
      .served_model_name = benchy_options_str(h->opts, "served-model-name"),
      .shown_url = url ? url : "",
      .chat = 1, /* the script picks per request: session:chat or session:complete */
      .ddof = 0, /* the scenarios' collectors report population stddev, as load's do */
      .percentiles = h->percentiles,
      .n_percentiles = h->n_percentiles,
      .started_at = started,
      .server_reported = h->server_reported,
  };
  cJSON *m = run_metadata_new(&c);
  free(url);
  if (!m) return NULL;
  cJSON_AddStringToObject(m, "script", h->script);
  cJSON_AddStringToObject(m, "arrival", h->rate > 0 ? "poisson" : "closed");
  if (h->rate > 0)
    cJSON_AddNumberToObject(m, "rate", h->rate);
  else
    cJSON_AddNumberToObject(m, "users", (double)h->n_users);
  if (h->n_targets) cJSON_AddItemToObject(m, "targets", lh_targets_metadata(h));
  cJSON *resumed = lh_resume_metadata(h);
  if (resumed) cJSON_AddItemToObject(m, "resume", resumed);
  return m;
}
