/*
 * lua_host.h — the state of one `benchy run SCRIPT.lua`, shared by the
 * host's files: lua_host.c (load the script, run, tear down), lua_users.c
 * (users as coroutines: resume, budget, sleep, arrivals), lua_request.c
 * (session:chat/complete and the response table), lua_scenario.c
 * (scenarios, checks, metrics, thresholds), lua_result.c (the result
 * document), lua_module.c (the `benchy` table), lua_json.c (cJSON <-> Lua).
 *
 * Everything runs on the run's thread: one Lua state, one event loop. Every
 * timestamp is taken in C by the engine; Lua only sees finished figures.
 */
#ifndef BENCHY_LUA_HOST_H
#define BENCHY_LUA_HOST_H

#include <cJSON.h>
#include <lua.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "benchy/collector.h"
#include "benchy/stats.h"
#include "core/loop_internal.h"
#include "util.h"

/* VM instructions one resume of a user may run before it is stopped as a
 * runaway (a few tenths of a second of CPU): enough for any honest amount
 * of work between two requests, short enough that the others go on. */
#define LH_INSTRUCTION_BUDGET 50000000LL
#define LH_HOOK_STEP 10000
/* Bytes the script's Lua state may hold, all users together. */
#define LH_MEMORY_LIMIT ((size_t)512 << 20)
/* Script errors printed as warnings; later ones are only recorded. */
#define LH_ERRORS_SHOWN 5
/* Records kept in the result document; later ones only in --jsonl. */
#define LH_MAX_RECORDS 100000

typedef struct lh_check {
  char *name;
  uint64_t passed, failed;
} lh_check;

typedef struct lh_metric {
  char *name;
  benchy_moments m;
  benchy_hist *hist; /* value * 1000, clamped at 0: percentiles to 0.001 */
} lh_metric;

typedef struct lh_turns lh_turns; /* lua_turns.c */

typedef struct lh_scenario {
  char *name;
  int fn_ref; /* registry reference of the scenario function */
  double weight;
  double turn_credit; /* lh_pick_scenario's running share: weight added per pick, total taken when picked */
  benchy_collector *coll;
  uint64_t iterations, iterations_failed;
  lh_check *checks;
  size_t n_checks;
  lh_metric *metrics;
  size_t n_metrics;
  char **declared; /* metric names thresholds may name */
  size_t n_declared;
  lh_turns *turns; /* time to first sentence, tool-result TTFT, tool grades */
} lh_scenario;

typedef struct lh_threshold {
  char *key;       /* "greeting.ttft.p99" */
  char *expr;      /* "< 300" */
  size_t scenario; /* index */
  char *metric;    /* "ttft" or a declared custom metric */
  char *stat;      /* "p99", "mean", ... or "" for a count */
  int op;          /* '<', 'l' (<=), '>', 'g' (>=), '=' */
  double limit;
  double value;    /* after the run */
  int ok;
} lh_threshold;

/* benchy.option{...}: an option the script declares (lua_options.c). */
typedef struct lh_script_option {
  char *name, *help, *default_value;
  char **choices; /* NULL-terminated, or NULL: any value */
} lh_script_option;

/* benchy.target{...}: a server besides --base-url (lua_target.c). */
typedef struct lh_target {
  char *name;
  char *base_url;   /* as given; sessions and the probe use it */
  char *shown_url;  /* without credentials: what records and results say */
  char *model;      /* given, or the first the server serves */
  char *api_key_env;
  benchy_session *sess;
  benchy_collector **by_scenario; /* one per scenario, created as requests finish */
} lh_target;

struct lh_host;

typedef struct lh_user {
  struct lh_host *host;
  uint64_t index;      /* user number, from 0 */
  int session_ref;     /* the userdata scripts get as `session` / `s` */
  int thread_ref;      /* the running iteration's coroutine, LUA_NOREF */
  lua_State *co;
  lh_scenario *sc;     /* the running iteration's scenario */
  uint64_t iteration;  /* iterations this user started */
  uint64_t turn;       /* requests in the running iteration */
  int64_t instructions;/* this resume */
  int64_t arrival_ns;  /* open loop: the iteration's scheduled start; 0 closed */
  benchy_request *req; /* in flight, or NULL */
  int chunk_ref;       /* the request's on_chunk function, LUA_NOREF */
  int chunk_failed;    /* on_chunk raised: its message is in chunk_error_ref */
  int chunk_error_ref;
  uint64_t timer;      /* benchy.sleep pending, or 0 */
  int waiting;         /* yielded to a request or a timer */
  int finished;
  struct lh_tool_req *tool_req; /* lua_grade.c: what the request in flight offered */
  lh_target *target;   /* the request's server; NULL: --base-url */
  loop_deferred next_iteration; /* the next iteration, started from the loop's top */
} lh_user;

typedef struct lh_host {
  const benchy_options *opts;
  lua_State *L;
  size_t mem_used, mem_limit;
  int64_t main_instructions;
  const char *script;
  /* target */
  char *model;
  benchy_endpoint api;
  benchy_loop *loop;
  benchy_session *sess;
  int watch;
  /* plan */
  uint64_t n_users;
  uint64_t iterations; /* per user (closed) or in all (open); 0: until the deadline */
  double rate;         /* > 0: open loop */
  int64_t t0, deadline_ns, ramp_ns;
  uint64_t rng;
  uint64_t arrivals;   /* open loop: iterations started */
  uint64_t arrival_timer;
  int64_t arrival_next;
  lh_user *users;
  size_t n_user_slots;
  int stopping;
  /* scenarios */
  lh_scenario *sc;
  size_t n_sc;
  double total_weight;
  lh_threshold *th;
  size_t n_th;
  double *percentiles;
  size_t n_percentiles;
  /* output */
  void *jsonl; /* jsonl_writer */
  cJSON *records;
  cJSON *server_reported; /* the --base-url server as it described itself at startup */
  uint64_t records_kept; /* in records: counting a cJSON array walks it */
  uint64_t records_omitted;
  uint64_t done, failed, script_errors;
  char first_error[512];
  /* script-declared options and extra servers */
  lh_script_option *script_opts;
  size_t n_script_opts;
  lh_target *targets;
  size_t n_targets;
  benchy_collector **base_by_scenario; /* --base-url's share, with targets */
  int module; /* require "benchy" in a plain lua5.4: L is the caller's (lua_standalone.c) */
  struct lh_resume *resume; /* --resume: what the journal restored (lua_resume.c) */
} lh_host;

/* lua_module.c */
BENCHY_INTERNAL int lh_open_module(lua_State *L);
BENCHY_INTERNAL lh_host *lh_host_of(lua_State *L);
BENCHY_INTERNAL lh_user *lh_user_of(lua_State *L);
BENCHY_INTERNAL void lh_set_user(lua_State *co, lh_user *u);

/* lua_options.c: benchy.option, benchy.target and benchy.now_ms join the
 * module table at the top of the stack. */
BENCHY_INTERNAL void lh_api_register(lua_State *L);
/* After the top level: every --define names a declared option (when the
 * script declares any). */
BENCHY_INTERNAL int lh_options_check(lh_host *h, char *err, size_t errlen);
BENCHY_INTERNAL void lh_options_free(lh_host *h);

/* lua_target.c */
BENCHY_INTERNAL int lh_target_declare(lua_State *L);
/* The target named by the request table at idx (field "target"), NULL for
 * --base-url; raises on a value that is not a target. */
BENCHY_INTERNAL lh_target *lh_target_arg(lua_State *L, int idx);
BENCHY_INTERNAL int lh_targets_connect(lh_host *h, char *err, size_t errlen);
BENCHY_INTERNAL void lh_target_record(lh_host *h, lh_user *u, const benchy_record *rec);
BENCHY_INTERNAL const char *lh_target_name(const lh_target *t);
/* Adds "target"/"by_target" to scenario i's aggregate. */
BENCHY_INTERNAL void lh_target_aggregate(lh_host *h, size_t i, cJSON *o);
BENCHY_INTERNAL cJSON *lh_targets_metadata(lh_host *h);
BENCHY_INTERNAL void lh_targets_free(lh_host *h);

/* lua_host.c: a host for opts' script, nothing loaded yet (its h->script
 * NULL when no script was given); the script's top level in a fresh capped
 * state (nothing is sent), and everything it holds released. */
BENCHY_INTERNAL void lh_host_init(lh_host *h, const benchy_options *opts);
BENCHY_INTERNAL int lh_load_script(lh_host *h, char *err, size_t errlen);
BENCHY_INTERNAL void lh_teardown(lh_host *h);
/* h->opts' --users/--rate/--duration/--iterations into the plan. */
BENCHY_INTERNAL int lh_read_plan(lh_host *h, char *err, size_t errlen);
/* The run of a loaded script: thresholds, servers, users, the result
 * (*out, kind "run"); takes config and tears h down. */
BENCHY_INTERNAL int lh_execute(lh_host *h, cJSON *config, benchy_result **out, char *err, size_t errlen);

/* lua_resume.c: --resume reads the journal (after the scenarios' collectors
 * and h->records exist): finished iterations' records restored, the plan
 * shortened; then each user goes on from its count (lh_resume_users, after
 * the users exist). Journal lines: "resume" first, "iteration" as each
 * ends; every line of a resumed run carries its "segment". */
BENCHY_INTERNAL int lh_resume_load(lh_host *h, const cJSON *config, char *err, size_t errlen);
BENCHY_INTERNAL void lh_resume_users(lh_host *h);
BENCHY_INTERNAL void lh_resume_begin(lh_host *h);
BENCHY_INTERNAL void lh_resume_mark(lh_host *h, cJSON *line);
BENCHY_INTERNAL void lh_journal_iteration(lh_user *u, int failed);
BENCHY_INTERNAL cJSON *lh_resume_metadata(const lh_host *h);
BENCHY_INTERNAL void lh_resume_free(lh_host *h);

/* lua_standalone.c: after a benchy.run, what the next one starts afresh
 * (collectors, counts, checks, metrics, thresholds); the scenarios,
 * targets and options the script declared stay. */
BENCHY_INTERNAL void lh_module_end_run(lh_host *h);
/* A session on the run's loop for the server opts names (--base-url,
 * key, headers, timeout), checked as bench and load check theirs; *model
 * (given or NULL) is checked or set to the first the server serves. */
BENCHY_INTERNAL int lh_open_session(lh_host *h, const benchy_options *opts, benchy_session **out,
                                    char **model, char *err, size_t errlen);

/* lua_json.c: cJSON from the value at idx (tables with 1..n keys are
 * arrays; an empty table is an object). NULL and a message in err when a
 * value cannot be JSON. */
BENCHY_INTERNAL cJSON *lh_to_json(lua_State *L, int idx, char *err, size_t errlen);
BENCHY_INTERNAL void lh_push_json(lua_State *L, const cJSON *j);
BENCHY_INTERNAL int lh_json_encode(lua_State *L);
BENCHY_INTERNAL int lh_json_decode(lua_State *L);

/* lua_users.c */
BENCHY_INTERNAL int lh_users_start(lh_host *h, char *err, size_t errlen);
BENCHY_INTERNAL void lh_resume(lh_user *u, int nargs);
BENCHY_INTERNAL int lh_sleep(lua_State *L);
BENCHY_INTERNAL void lh_count_hook(lua_State *L, lua_Debug *ar);
BENCHY_INTERNAL void lh_users_free(lh_host *h);

/* lua_request.c */
BENCHY_INTERNAL int lh_chat(lua_State *L);
BENCHY_INTERNAL int lh_complete(lua_State *L);

/* lua_scenario.c */
BENCHY_INTERNAL int lh_scenario_add(lua_State *L);
BENCHY_INTERNAL int lh_check_fn(lua_State *L);
BENCHY_INTERNAL int lh_metric_add(lua_State *L);
BENCHY_INTERNAL int lh_thresholds_parse(lh_host *h, char *err, size_t errlen);
BENCHY_INTERNAL int lh_scenarios_ready(lh_host *h, char *err, size_t errlen);
BENCHY_INTERNAL int lh_thresholds_judge(lh_host *h, cJSON *aggregates);
/* What one run gathered (collectors, checks, metrics, turn figures, the
 * scenario mix, thresholds), dropped; the scenarios themselves stay, for
 * the next benchy.run{} of a plain lua5.4. */
BENCHY_INTERNAL void lh_scenarios_reset_run(lh_host *h);
BENCHY_INTERNAL void lh_scenarios_free(lh_host *h);
BENCHY_INTERNAL lh_scenario *lh_pick_scenario(lh_host *h);
/* After a run that was not interrupted: a warning (stderr and the result's
 * "warnings") for each scenario that got no iteration. */
BENCHY_INTERNAL void lh_warn_unrun_scenarios(lh_host *h, cJSON *doc);

/* lua_validate.c: benchy.validate(args, schema) */
BENCHY_INTERNAL int lh_validate(lua_State *L);

/* lua_grade.c: tool turns graded in C (tools, expect_tool, tool results) */
BENCHY_INTERNAL int lh_tool_req_capture(lh_user *u, lua_State *L, int table, const cJSON *body, char *err,
                                        size_t errlen);
BENCHY_INTERNAL void lh_tool_done(lh_user *u, const benchy_record *rec);
BENCHY_INTERNAL void lh_tool_push(lua_State *L, const lh_user *u, const benchy_record *r);
BENCHY_INTERNAL void lh_tool_grade_json(const lh_user *u, cJSON *record);
BENCHY_INTERNAL void lh_tool_req_free(lh_user *u);

/* lua_turns.c: per-scenario ttfs, tool_result_ttft and tool-grade counts */
BENCHY_INTERNAL void lh_turns_add(lh_scenario *s, const benchy_record *rec, int after_tool_result, int grade);
BENCHY_INTERNAL void lh_turns_aggregate(const lh_host *h, const lh_scenario *s, cJSON *o);
BENCHY_INTERNAL void lh_turns_free(lh_turns *t);

/* lua_result.c */
BENCHY_INTERNAL void lh_record(lh_host *h, lh_user *u, const benchy_record *rec);
BENCHY_INTERNAL void lh_script_error(lh_host *h, lh_user *u, const char *traceback);
BENCHY_INTERNAL cJSON *lh_aggregates(lh_host *h);
BENCHY_INTERNAL cJSON *lh_metadata(lh_host *h);

#endif
