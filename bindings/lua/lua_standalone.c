/*
 * lua_standalone.c — `require "benchy"` from a plain lua5.4 (benchy.so,
 * luaopen_benchy): the same module table as inside `benchy run`, plus
 *
 *   local result = benchy.run{base_url = "...", users = 10, iterations = 2}
 *
 * which runs the scenarios this state has defined, on the calling thread,
 * and returns the result document (docs/results.md, kind "run") as a table.
 * Its keys are the options of `benchy run` (names with '_' or '-'), read
 * through the one option table; a bad one is an error naming it. Outside
 * `benchy run` there is no host loop, so benchy.run is where the users'
 * coroutines run: on an event loop of its own that lives for the call.
 *
 * Everything a run starts afresh (collectors, counts, checks, metrics,
 * thresholds) is reset after it; what the script declared (scenarios,
 * targets, options) stays, so a script can run, look at the figures and
 * run again (e.g. one server alone, then two).
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_host.h"
#include "options_json.h"
#include "report/jsonl.h"
#include "workload/interrupt.h"

#define MODULE_KEY "benchy.module"

typedef struct module_host {
  lh_host h;
  benchy_options *declared; /* empty run options: benchy.options, benchy.plan */
  char *script;             /* arg[0], or "lua": what metadata.script says */
  int running;
} module_host;

static module_host *module_of(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, MODULE_KEY);
  module_host *m = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return m;
}

static void free_per_run(lh_host *h) {
  lh_scenarios_reset_run(h);
  for (size_t t = 0; t <= h->n_targets; t++) {
    benchy_collector ***slots = t < h->n_targets ? &h->targets[t].by_scenario : &h->base_by_scenario;
    for (size_t i = 0; *slots && i < h->n_sc; i++) benchy_collector_free((*slots)[i]);
    free(*slots);
    *slots = NULL;
  }
}

void lh_module_end_run(lh_host *h) {
  /* The users' sessions and coroutines were the registry's; release them
   * so that a script running many runs does not grow. */
  for (size_t i = 0; h->users && i < h->n_user_slots; i++) {
    lh_user *u = &h->users[i];
    if (u->thread_ref != LUA_NOREF) luaL_unref(h->L, LUA_REGISTRYINDEX, u->thread_ref);
    if (u->session_ref != LUA_NOREF) luaL_unref(h->L, LUA_REGISTRYINDEX, u->session_ref);
    if (u->chunk_ref != LUA_NOREF) luaL_unref(h->L, LUA_REGISTRYINDEX, u->chunk_ref);
    if (u->chunk_error_ref != LUA_NOREF) luaL_unref(h->L, LUA_REGISTRYINDEX, u->chunk_error_ref);
  }
  free_per_run(h);
  lh_host keep = *h;
  memset(h, 0, sizeof *h);
  h->L = keep.L;
  h->module = 1;
  h->watch = -1;
  h->script = keep.script;
  h->sc = keep.sc;
  h->n_sc = keep.n_sc;
  h->total_weight = keep.total_weight;
  h->targets = keep.targets;
  h->n_targets = keep.n_targets;
  h->script_opts = keep.script_opts;
  h->n_script_opts = keep.n_script_opts;
  h->users = keep.users; /* lh_users_free frees it next */
  h->n_user_slots = keep.n_user_slots;
}

/* One key of benchy.run's table into the options: the table says its type. */
static int set_option(lua_State *L, benchy_options *o, const char *key) {
  int t = lua_type(L, -1);
  char num[64];
  if (t == LUA_TBOOLEAN) {
    if (!lua_toboolean(L, -1)) return BENCHY_OK; /* a flag left off */
    return benchy_options_set(o, key, NULL);
  }
  if (t == LUA_TNUMBER) {
    if (lua_isinteger(L, -1))
      snprintf(num, sizeof num, "%lld", (long long)lua_tointeger(L, -1));
    else
      snprintf(num, sizeof num, "%.17g", lua_tonumber(L, -1));
    return benchy_options_set(o, key, num);
  }
  if (t == LUA_TSTRING) return benchy_options_set(o, key, lua_tostring(L, -1));
  if (t == LUA_TTABLE) { /* a list option: each item in turn */
    int st = BENCHY_OK;
    size_t n = (size_t)lua_rawlen(L, -1);
    for (size_t i = 1; st == BENCHY_OK && i <= n; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i);
      st = set_option(L, o, key);
      lua_pop(L, 1);
    }
    return st;
  }
  return -1;
}

static int options_from_table(lua_State *L, benchy_options *o, char *err, size_t errlen) {
  lua_pushnil(L);
  while (lua_next(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) {
      lua_pop(L, 2);
      snprintf(err, errlen, "option names are strings (users = 10, base_url = \"...\")");
      return BENCHY_ERR_INVALID;
    }
    const char *key = lua_tostring(L, -2);
    int st = set_option(L, o, key);
    lua_pop(L, 1);
    if (st != BENCHY_OK) {
      if (st < 0)
        snprintf(err, errlen, "%s takes a string, number, boolean or list", key);
      else
        snprintf(err, errlen, "%s", benchy_options_error(o));
      lua_pop(L, 1);
      return st < 0 ? BENCHY_ERR_INVALID : st;
    }
  }
  return BENCHY_OK;
}

static int push_result(lua_State *L, benchy_result *res) {
  char *text = benchy_result_to_json(res, 0);
  cJSON *doc = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (!doc) return 0;
  lh_push_json(L, doc);
  cJSON_Delete(doc);
  return 1;
}

/* benchy.run{options} -> result table; raises when the run cannot start. */
static int module_run(lua_State *L) {
  module_host *m = module_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  if (!m || lh_user_of(L))
    return luaL_error(L, "benchy.run: call it from the script's own code, not from a scenario");
  if (m->running) return luaL_error(L, "benchy.run: a run is already going on in this state");
  benchy_options *o = NULL;
  char err[1024] = "";
  int st = benchy_options_new(&o, BENCHY_CMD_RUN);
  if (st == BENCHY_OK) st = benchy_options_set(o, "script", m->script);
  if (st == BENCHY_OK) st = options_from_table(L, o, err, sizeof err);
  lh_host *h = &m->h;
  h->opts = o;
  h->L = L; /* the running thread: the users' coroutines are resumed from it */
  h->script = m->script;
  cJSON *config = st == BENCHY_OK ? options_config_json(o, BENCHY_OPTIONS_JSON_ALL) : NULL;
  if (st == BENCHY_OK && !config) st = BENCHY_ERR_NOMEM;
  if (st == BENCHY_OK) st = lh_read_plan(h, err, sizeof err);
  const char *jsonl_path = benchy_options_str(o, "jsonl");
  if (st == BENCHY_OK && jsonl_path) st = jsonl_check(jsonl_path, "run", 0, NULL, err, sizeof err);
  benchy_result *res = NULL;
  if (st == BENCHY_OK) {
    m->running = 1;
    st = lh_execute(h, config, &res, err, sizeof err);
    m->running = 0;
  } else {
    cJSON_Delete(config);
    lh_teardown(h);
    interrupt_clear();
  }
  h->opts = m->declared;
  benchy_options_free(o);
  if (!res) {
    return luaL_error(L, "benchy.run: %s", err[0] ? err : benchy_status_message(st));
  }
  int pushed = push_result(L, res);
  benchy_result_free(res);
  if (!pushed) return luaL_error(L, "benchy.run: out of memory");
  return 1;
}

static int module_gc(lua_State *L) {
  module_host *m = lua_touserdata(L, 1);
  if (!m->declared) return 0;
  lh_host *h = &m->h;
  lh_targets_free(h);
  lh_options_free(h);
  lh_scenarios_free(h);
  benchy_options_free(m->declared);
  m->declared = NULL;
  free(m->script);
  m->script = NULL;
  return 0;
}

#if defined(__GNUC__)
#define LUA_MODULE_EXPORT __attribute__((visibility("default")))
#else
#define LUA_MODULE_EXPORT
#endif

LUA_MODULE_EXPORT int luaopen_benchy(lua_State *L);

int luaopen_benchy(lua_State *L) {
  module_host *m = lua_newuserdatauv(L, sizeof *m, 0);
  memset(m, 0, sizeof *m);
  lua_newtable(L);
  lua_pushcfunction(L, module_gc);
  lua_setfield(L, -2, "__gc");
  lua_setmetatable(L, -2);
  lua_setfield(L, LUA_REGISTRYINDEX, MODULE_KEY);
  if (benchy_options_new(&m->declared, BENCHY_CMD_RUN) != BENCHY_OK) return luaL_error(L, "out of memory");
  lua_getglobal(L, "arg"); /* lua5.4 script.lua: arg[0] is the script */
  const char *name = NULL;
  if (lua_istable(L, -1)) {
    lua_rawgeti(L, -1, 0);
    name = lua_tostring(L, -1);
    m->script = benchy_strdup(name ? name : "lua");
    lua_pop(L, 1);
  } else {
    m->script = benchy_strdup("lua");
  }
  lua_pop(L, 1);
  if (!m->script) return luaL_error(L, "out of memory");
  lh_host *h = &m->h;
  h->module = 1;
  h->watch = -1;
  h->opts = m->declared;
  h->script = m->script;
  h->L = L;
  lua_pushlightuserdata(L, h);
  lua_setfield(L, LUA_REGISTRYINDEX, "benchy.host");
  /* Coroutines copy the main thread's extra space: "no user" there. */
  lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_MAINTHREAD);
  lh_set_user(lua_tothread(L, -1), NULL);
  lua_pop(L, 1);
  lh_set_user(L, NULL);
  lua_pushcfunction(L, lh_open_module);
  lua_call(L, 0, 0);
  lua_getglobal(L, "benchy");
  lua_pushcfunction(L, module_run);
  lua_setfield(L, -2, "run");
  return 1;
}
