/*
 * lua_host.c — `benchy run SCRIPT.lua` (script_execute, workload_entry.h):
 * loads the script into a capped Lua state, reads its scenarios and
 * thresholds, refuses whatever is wrong before the server is asked
 * anything (syntax errors with file and line, bad thresholds, a --jsonl
 * file that would be overwritten), then runs the users on one event loop
 * and builds the result document (kind "run").
 */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_host.h"
#include "meta/meta.h"
#include "report/run_metadata.h"
#include "options_json.h"
#include "report/jsonl.h"
#include "report/result_internal.h"
#include "report/run_render.h"
#include "workload/interrupt.h"
#include "workload/run_progress.h"
#include "workload/sampling.h"
#include "workload/target.h"
#include "workload/workload_entry.h"

/* Every allocation of the state goes through here, so one script cannot
 * take the machine's memory: past the cap Lua gets NULL and raises "not
 * enough memory" in whichever user asked. */
static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  lh_host *h = ud;
  size_t old = ptr ? osize : 0;
  if (nsize == 0) {
    free(ptr);
    h->mem_used -= old;
    return NULL;
  }
  if (nsize > old && h->mem_used - old + nsize > h->mem_limit) return NULL;
  void *p = realloc(ptr, nsize);
  if (p) h->mem_used = h->mem_used - old + nsize;
  return p;
}

static int traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
  return 1;
}

static int open_module(lua_State *L) { return lh_open_module(L); }

/* Loads and runs the script's top level: it defines scenarios and
 * thresholds; nothing is sent yet. */
void lh_host_init(lh_host *h, const benchy_options *opts) {
  memset(h, 0, sizeof *h);
  h->opts = opts;
  h->watch = -1;
  h->mem_limit = LH_MEMORY_LIMIT;
  h->script = benchy_options_str(opts, "script");
}

int lh_load_script(lh_host *h, char *err, size_t errlen) {
  h->L = lua_newstate(capped_alloc, h);
  if (!h->L) {
    snprintf(err, errlen, "out of memory starting Lua");
    return BENCHY_ERR_NOMEM;
  }
  lua_State *L = h->L;
  lh_set_user(L, NULL);
  lua_pushlightuserdata(L, h);
  lua_setfield(L, LUA_REGISTRYINDEX, "benchy.host");
  lua_pushcfunction(L, open_module);
  if (lua_pcall(L, 0, 0, 0) != LUA_OK) {
    snprintf(err, errlen, "could not set up Lua: %s", lua_tostring(L, -1));
    return BENCHY_ERR_NOMEM;
  }
  lua_sethook(L, lh_count_hook, LUA_MASKCOUNT, LH_HOOK_STEP);
  lua_pushcfunction(L, traceback);
  /* Text only: precompiled bytecode is not verified and can crash the VM. */
  int st = luaL_loadfilex(L, h->script, "t");
  if (st != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (st == LUA_ERRFILE)
      snprintf(err, errlen, "%s (benchy run FILE.lua: the path of a Lua script)", msg ? msg : h->script);
    else if (msg && strstr(msg, "attempt to load a binary chunk"))
      snprintf(err, errlen, "%s is precompiled Lua bytecode, which benchy refuses (it can crash the "
                            "VM): run the .lua source instead", h->script);
    else
      snprintf(err, errlen, "syntax error in %s", msg ? msg : h->script);
    return BENCHY_ERR_SCRIPT;
  }
  st = lua_pcall(L, 0, 0, -2);
  if (st != LUA_OK) {
    snprintf(err, errlen, "error in %s before the run started: %s", h->script, lua_tostring(L, -1));
    return BENCHY_ERR_SCRIPT;
  }
  lua_pop(L, 1);
  lua_sethook(L, NULL, 0, 0); /* users get their own budget per resume */
  return BENCHY_OK;
}

int lh_read_plan(lh_host *h, char *err, size_t errlen) {
  const benchy_options *o = h->opts;
  h->n_users = (uint64_t)benchy_options_int(o, "users");
  h->rate = benchy_options_is_set(o, "rate") ? benchy_options_double(o, "rate") : 0;
  double duration = benchy_options_is_set(o, "duration") ? benchy_options_double(o, "duration") : 0;
  h->deadline_ns = (int64_t)(duration * 1e9);
  h->ramp_ns = (int64_t)(benchy_options_double(o, "ramp-up") * 1e9);
  h->iterations = benchy_options_is_set(o, "iterations") ? (uint64_t)benchy_options_int(o, "iterations") : 0;
  if (!h->iterations && !h->deadline_ns) h->iterations = 1;
  if (h->rate > 0 && h->rate * duration > 1e7 && !h->iterations) {
    snprintf(err, errlen, "--rate %g for --duration %g would start more than ten million "
                          "conversations; shorten one of them", h->rate, duration);
    return BENCHY_ERR_INVALID;
  }
  if (benchy_options_flag(o, "resume") && !benchy_options_is_set(o, "jsonl")) {
    snprintf(err, errlen, "--resume continues the run a --jsonl FILE holds: give that --jsonl FILE");
    return BENCHY_ERR_INVALID;
  }
  h->rng = (uint64_t)benchy_options_int(o, "seed") * 0x9E3779B97F4A7C15ULL + 1;
  return BENCHY_OK;
}

int lh_open_session(lh_host *h, const benchy_options *opts, benchy_session **out, char **model,
                    char *err, size_t errlen) {
  target t;
  int st = target_init(&t, opts, err, errlen);
  if (st == BENCHY_OK) st = target_connect(&t, err, errlen);
  if (st == BENCHY_OK) st = target_check_model(&t, opts, model, NULL, err, errlen);
  if (st == BENCHY_OK && !h->loop) st = benchy_loop_new(&h->loop);
  if (st == BENCHY_OK) st = benchy_session_new_err(out, h->loop, t.base_url, err, errlen);
  if (st == BENCHY_OK && t.api_key) st = benchy_session_set_api_key(*out, t.api_key);
  for (size_t i = 0; st == BENCHY_OK && i < t.n_headers; i++)
    st = benchy_session_add_header(*out, t.headers[i]);
  if (st == BENCHY_OK)
    st = benchy_session_set_timeout_ms(*out, (int64_t)(benchy_options_double(opts, "timeout") * 1000));
  if (st != BENCHY_OK && !err[0]) snprintf(err, errlen, "%s", benchy_status_message(st));
  target_free(&t);
  return st;
}

/* The servers: each checked (and its model found) by the same startup as
 * load. A script that names its targets needs --base-url only when given. */
static int connect_server(lh_host *h, char *err, size_t errlen) {
  const char *model = benchy_options_str(h->opts, "model");
  h->model = model ? benchy_strdup(model) : NULL;
  const char *api = benchy_options_str(h->opts, "api");
  h->api = api && !strcmp(api, "completions") ? BENCHY_ENDPOINT_COMPLETIONS : BENCHY_ENDPOINT_CHAT;
  int st = BENCHY_OK;
  if (!h->n_targets || benchy_options_is_set(h->opts, "base-url"))
    st = lh_open_session(h, h->opts, &h->sess, &h->model, err, errlen);
  if (st == BENCHY_OK) st = lh_targets_connect(h, err, errlen);
  /* Asked now, while the server is known to answer (docs/metadata.md). */
  if (st == BENCHY_OK && h->sess && !interrupt_pending())
    h->server_reported = meta_server_reported(h->opts, h->sess);
  if (st == BENCHY_OK && !h->loop) st = benchy_loop_new(&h->loop);
  if (st == BENCHY_OK) h->watch = interrupt_watch(h->loop);
  return st;
}

static int open_journal(lh_host *h, cJSON *config, char *err, size_t errlen) {
  const char *path = benchy_options_str(h->opts, "jsonl");
  if (!path) return BENCHY_OK;
  cJSON *head = cJSON_CreateObject();
  if (!head) return BENCHY_ERR_NOMEM;
  cJSON_AddStringToObject(head, "type", "config");
  cJSON_AddStringToObject(head, "kind", "run");
  cJSON_AddNumberToObject(head, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddItemToObject(head, "config", cJSON_Duplicate(config, 1));
  jsonl_writer *w = NULL;
  int st = jsonl_open(&w, path, benchy_options_flag(h->opts, "resume"), head, NULL, err, errlen);
  cJSON_Delete(head);
  h->jsonl = w;
  return st;
}

static void add_thresholds(lh_host *h, cJSON *doc) {
  cJSON *arr = cJSON_AddArrayToObject(doc, "thresholds");
  for (size_t i = 0; arr && i < h->n_th; i++) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", h->th[i].key);
    cJSON_AddStringToObject(t, "condition", h->th[i].expr);
    if (isnan(h->th[i].value))
      cJSON_AddNullToObject(t, "value");
    else
      cJSON_AddNumberToObject(t, "value", h->th[i].value);
    cJSON_AddBoolToObject(t, "ok", h->th[i].ok);
    cJSON_AddItemToArray(arr, t);
  }
}

/* The run's status and, when not OK, the sentence that says why. */
static int judge(lh_host *h, int run_st, cJSON *aggregates, char *err, size_t errlen) {
  int failed_th = lh_thresholds_judge(h, aggregates);
  if (run_st != BENCHY_OK) return run_st;
  if (failed_th) {
    size_t used = (size_t)snprintf(err, errlen, "%d threshold%s failed:", failed_th, failed_th > 1 ? "s" : "");
    for (size_t i = 0; i < h->n_th && used < errlen; i++)
      if (!h->th[i].ok)
        used += (size_t)snprintf(err + used, errlen - used, "%s %s = %.6g (wanted %s)",
                                 used && err[used - 1] == ')' ? ";" : "", h->th[i].key,
                                 h->th[i].value, h->th[i].expr);
    return BENCHY_ERR_LIMIT;
  }
  if (h->script_errors) {
    snprintf(err, errlen, "%llu script error%s (each is in the result's records); the first: %s",
             (unsigned long long)h->script_errors, h->script_errors > 1 ? "s" : "", h->first_error);
    return BENCHY_ERR_SCRIPT;
  }
  double max_rate = benchy_options_double(h->opts, "max-failure-rate");
  if (h->done && (double)h->failed / (double)h->done > max_rate) {
    snprintf(err, errlen, "%llu of %llu requests failed, more than --max-failure-rate %g allows",
             (unsigned long long)h->failed, (unsigned long long)h->done, max_rate);
    return BENCHY_ERR_FAILURE_RATE;
  }
  return BENCHY_OK;
}

void lh_teardown(lh_host *h) {
  h->stopping = 1;
  /* Requests still in flight end cancelled here; on_done drops them. */
  if (h->sess) benchy_session_free(h->sess);
  h->sess = NULL;
  cJSON_Delete(h->server_reported);
  h->server_reported = NULL;
  for (size_t i = 0; i < h->n_targets; i++) {
    if (h->targets[i].sess) benchy_session_free(h->targets[i].sess);
    h->targets[i].sess = NULL;
  }
  if (h->loop) {
    if (h->watch >= 0) interrupt_unwatch(h->watch);
    benchy_loop_free(h->loop);
  }
  h->loop = NULL;
  h->watch = -1;
  if (h->jsonl) jsonl_close(h->jsonl);
  h->jsonl = NULL;
  free(h->model);
  h->model = NULL;
  lh_resume_free(h);
  /* require "benchy" in a plain lua5.4: the state and what the script
   * declared are the caller's, and outlive the run. */
  if (h->module) lh_module_end_run(h);
  lh_users_free(h);
  if (h->module) return;
  if (h->L) lua_close(h->L);
  h->L = NULL;
  lh_targets_free(h);
  lh_options_free(h);
  lh_scenarios_free(h);
}

int script_execute(const benchy_options *opts, benchy_result **out, char *err, size_t errlen) {
  if (!out || !opts) return BENCHY_ERR_INVALID;
  *out = NULL;
  lh_host h;
  lh_host_init(&h, opts);
  if (!h.script) {
    snprintf(err, errlen, "no script given: benchy run FILE.lua [OPTIONS]");
    return BENCHY_ERR_INVALID;
  }
  cJSON *config = options_config_json(opts, BENCHY_OPTIONS_JSON_ALL);
  run_phase("check", 0, 0, "loading %s", h.script);
  int st = config ? BENCHY_OK : BENCHY_ERR_NOMEM;
  if (st == BENCHY_OK) st = lh_read_plan(&h, err, errlen);
  const char *jsonl_path = benchy_options_str(opts, "jsonl");
  if (st == BENCHY_OK && jsonl_path)
    st = jsonl_check(jsonl_path, "run", benchy_options_flag(opts, "resume"), NULL, err, errlen);
  if (st == BENCHY_OK) st = lh_load_script(&h, err, errlen);
  if (st == BENCHY_OK) st = lh_options_check(&h, err, errlen);
  if (st != BENCHY_OK) {
    cJSON_Delete(config);
    lh_teardown(&h);
    interrupt_clear();
    return st;
  }
  return lh_execute(&h, config, out, err, errlen);
}

int lh_execute(lh_host *h, cJSON *config, benchy_result **out, char *err, size_t errlen) {
  const char *jsonl_path = benchy_options_str(h->opts, "jsonl");
  int st = lh_thresholds_parse(h, err, errlen);
  if (st == BENCHY_OK) st = lh_scenarios_ready(h, err, errlen);
  if (st == BENCHY_OK) {
    h->records = cJSON_CreateArray();
    if (!h->records) st = BENCHY_ERR_NOMEM;
  }
  if (st == BENCHY_OK) st = lh_resume_load(h, config, err, errlen);
  if (st == BENCHY_OK) st = connect_server(h, err, errlen);
  if (st == BENCHY_OK) st = open_journal(h, config, err, errlen);
  if (st == BENCHY_OK) lh_resume_begin(h);
  if (st != BENCHY_OK) {
    if (st == BENCHY_ERR_CANCELLED && !err[0]) snprintf(err, errlen, "interrupted before the run started");
    cJSON_Delete(config);
    cJSON_Delete(h->records);
    lh_teardown(h);
    interrupt_clear();
    return st;
  }
  run_phase("run", 0, 1, "%s: %s against %s", h->script,
            h->rate > 0 ? "open loop" : "closed loop", h->model ? h->model : "its targets");
  /* Scenarios interleave on one loop: the whole run is one sampled level. */
  sampling_level_begin("run");
  int run_st = lh_users_start(h, err, errlen);
  if (run_st == BENCHY_OK && !interrupt_pending()) run_st = benchy_loop_run(h->loop, BENCHY_RUN_DEFAULT);
  if (interrupt_pending()) run_st = BENCHY_ERR_CANCELLED;
  cJSON *whole_run = cJSON_CreateObject();
  if (whole_run) cJSON_AddStringToObject(whole_run, "label", "run");
  sampling_level_end(whole_run, "the run");
  run_progress_requests(h->done, h->failed, 0, 1);

  cJSON *doc = cJSON_CreateObject();
  cJSON *aggregates = lh_aggregates(h);
  if (!doc || !aggregates) {
    cJSON_Delete(whole_run);
    cJSON_Delete(doc);
    cJSON_Delete(aggregates);
    cJSON_Delete(config);
    cJSON_Delete(h->records);
    lh_teardown(h);
    interrupt_clear();
    return BENCHY_ERR_NOMEM;
  }
  if (run_st != BENCHY_OK && run_st != BENCHY_ERR_CANCELLED && !err[0])
    snprintf(err, errlen, "%s", benchy_status_message(run_st));
  int status = judge(h, run_st, aggregates, err, errlen);
  if (status == BENCHY_ERR_CANCELLED)
    snprintf(err, errlen, "interrupted: the result holds every request that completed%s%s%s",
             h->jsonl ? " (each also in " : "", h->jsonl ? jsonl_path : "", h->jsonl ? ")" : "");
  result_doc_head(doc, "run");
  cJSON_AddItemToObject(doc, "config", config);
  cJSON *meta = lh_metadata(h);
  if (meta) cJSON_AddItemToObject(doc, "metadata", meta);
  cJSON_AddStringToObject(doc, "status", benchy_status_name(status));
  if (status != BENCHY_OK && err[0]) cJSON_AddStringToObject(doc, "error", err);
  cJSON_AddNumberToObject(doc, "script_errors", (double)h->script_errors);
  add_thresholds(h, doc);
  if (status != BENCHY_ERR_CANCELLED) lh_warn_unrun_scenarios(h, doc);
  cJSON_AddItemToObject(doc, "aggregates", aggregates);
  if (whole_run) cJSON_AddItemToObject(doc, "whole_run", whole_run);
  cJSON_AddNumberToObject(doc, "records_omitted", (double)h->records_omitted);
  cJSON_AddItemToObject(doc, "records", h->records);
  h->records = NULL;
  lh_teardown(h);
  interrupt_clear();
  benchy_result *res = result_new("run", doc, run_render_md, run_render_csv);
  if (!res) return BENCHY_ERR_NOMEM;
  res->status = status;
  *out = res;
  return status;
}
