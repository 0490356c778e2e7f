/*
 * lua_target.c — benchy.target{base_url=..., model=..., api_key_env=...}:
 * servers besides --base-url, so one script can measure two servers (one
 * model per GPU) alone and together. Each target is checked at startup by
 * the same code as --base-url (workload/target.c: URL check, probe, model
 * check) and gets a session on the run's one loop. Records name their
 * target; each scenario's row says which it used, and splits its figures
 * by target when it used more than one.
 *
 * The key is only ever named (an environment variable), never written in
 * the script, and a target sends none of --base-url's --header lines: they
 * may be credentials for the other server.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_host.h"
#include "workload/target.h"

#define TARGET_META "benchy.target"

static const char *field_string(lua_State *L, const char *key) {
  lua_getfield(L, 1, key);
  const char *v = NULL;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "benchy.target: %s must be a string", key);
    v = lua_tostring(L, -1);
  }
  lua_pop(L, 1); /* the table still holds the string */
  return v;
}

static lh_target *target_at(lua_State *L, int idx) {
  size_t *i = luaL_checkudata(L, idx, TARGET_META);
  return &lh_host_of(L)->targets[*i];
}

static int target_index(lua_State *L) {
  const lh_target *t = target_at(L, 1);
  const char *key = luaL_checkstring(L, 2);
  if (!strcmp(key, "name"))
    lua_pushstring(L, t->name);
  else if (!strcmp(key, "base_url"))
    lua_pushstring(L, t->shown_url);
  else if (!strcmp(key, "model") && t->model)
    lua_pushstring(L, t->model);
  else
    lua_pushnil(L);
  return 1;
}

static int target_tostring(lua_State *L) {
  const lh_target *t = target_at(L, 1);
  lua_pushfstring(L, "benchy target %s (%s)", t->name, t->shown_url);
  return 1;
}

const char *lh_target_name(const lh_target *t) { return t ? t->name : "default"; }

int lh_target_declare(lua_State *L) {
  lh_host *h = lh_host_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lh_user_of(L)) return luaL_error(L, "benchy.target: declare targets at the top of the script");
  lua_getfield(L, 1, "api_key");
  int has_key = !lua_isnil(L, -1);
  lua_pop(L, 1);
  if (has_key)
    return luaL_error(L, "benchy.target: a key never goes in a script; name the environment "
                         "variable that holds it: api_key_env = \"VAR\"");
  const char *base_url = field_string(L, "base_url");
  if (!base_url || !*base_url)
    return luaL_error(L, "benchy.target: base_url is required (e.g. \"http://127.0.0.1:8080/v1\")");
  const char *model = field_string(L, "model");
  const char *key_env = field_string(L, "api_key_env");
  const char *name = field_string(L, "name");
  char *shown = target_redact_url(base_url);
  if (!shown) return luaL_error(L, "out of memory");
  if (!name) name = shown;
  if (!strcmp(name, "default")) {
    free(shown);
    return luaL_error(L, "benchy.target: 'default' names --base-url; give this target another name");
  }
  for (size_t i = 0; i < h->n_targets; i++)
    if (!strcmp(h->targets[i].name, name)) {
      free(shown);
      return luaL_error(L, "benchy.target: two targets are named '%s'; give each a name = \"...\"", name);
    }
  lh_target *grown = realloc(h->targets, (h->n_targets + 1) * sizeof *grown);
  if (!grown) {
    free(shown);
    return luaL_error(L, "out of memory");
  }
  h->targets = grown;
  lh_target *t = &h->targets[h->n_targets];
  memset(t, 0, sizeof *t);
  t->shown_url = shown;
  t->name = benchy_strdup(name);
  t->base_url = benchy_strdup(base_url);
  t->model = model ? benchy_strdup(model) : NULL;
  t->api_key_env = key_env ? benchy_strdup(key_env) : NULL;
  h->n_targets++;
  if (!t->name || !t->base_url || (model && !t->model) || (key_env && !t->api_key_env))
    return luaL_error(L, "out of memory");
  size_t *box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = h->n_targets - 1;
  if (luaL_newmetatable(L, TARGET_META)) {
    lua_pushcfunction(L, target_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, target_tostring);
    lua_setfield(L, -2, "__tostring");
  }
  lua_setmetatable(L, -2);
  return 1;
}

lh_target *lh_target_arg(lua_State *L, int idx) {
  lua_getfield(L, idx, "target");
  lh_target *t = NULL;
  if (!lua_isnil(L, -1)) {
    if (!luaL_testudata(L, -1, TARGET_META))
      luaL_error(L, "target must be a value benchy.target{...} returned (got a %s)", luaL_typename(L, -1));
    t = target_at(L, lua_gettop(L));
  }
  lua_pop(L, 1);
  return t;
}

/* The target's own options: its URL, model and key, the client's timeouts;
 * nothing else of the command line (its --header lines belong to
 * --base-url). */
static int target_options(const lh_host *h, const lh_target *t, benchy_options **out) {
  benchy_options *o = NULL;
  int st = benchy_options_new(&o, BENCHY_CMD_RUN);
  char num[64];
  if (st == BENCHY_OK) st = benchy_options_set(o, "base-url", t->base_url);
  if (st == BENCHY_OK && t->model) st = benchy_options_set(o, "model", t->model);
  if (st == BENCHY_OK && t->api_key_env) st = benchy_options_set(o, "api-key-env", t->api_key_env);
  static const char *const copied[] = {"timeout", "probe-timeout"};
  for (size_t i = 0; st == BENCHY_OK && i < sizeof copied / sizeof copied[0]; i++) {
    snprintf(num, sizeof num, "%.17g", benchy_options_double(h->opts, copied[i]));
    st = benchy_options_set(o, copied[i], num);
  }
  *out = o;
  return st;
}

int lh_targets_connect(lh_host *h, char *err, size_t errlen) {
  for (size_t i = 0; i < h->n_targets; i++) {
    lh_target *t = &h->targets[i];
    benchy_options *o = NULL;
    char why[512] = "";
    int st = target_options(h, t, &o);
    if (st != BENCHY_OK && o) snprintf(why, sizeof why, "%s", benchy_options_error(o));
    if (st == BENCHY_OK) st = lh_open_session(h, o, &t->sess, &t->model, why, sizeof why);
    benchy_options_free(o);
    if (st != BENCHY_OK) {
      snprintf(err, errlen, "target '%s' (%s): %s", t->name, t->shown_url,
               why[0] ? why : benchy_status_message(st));
      return st;
    }
  }
  return BENCHY_OK;
}

static benchy_collector **slot_of(lh_host *h, lh_target *t) {
  return t ? t->by_scenario : h->base_by_scenario;
}

void lh_target_record(lh_host *h, lh_user *u, const benchy_record *rec) {
  if (!h->n_targets) return; /* one server: the scenario's collector says it all */
  benchy_collector **slots = slot_of(h, u->target);
  if (!slots) {
    slots = calloc(h->n_sc, sizeof *slots);
    if (!slots) return;
    if (u->target)
      u->target->by_scenario = slots;
    else
      h->base_by_scenario = slots;
  }
  size_t i = (size_t)(u->sc - h->sc);
  if (!slots[i]) {
    benchy_collector_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.percentiles = h->percentiles;
    cfg.n_percentiles = h->n_percentiles;
    if (benchy_collector_new(&slots[i], &cfg) != BENCHY_OK) return;
  }
  benchy_collector_add(slots[i], rec);
}

static void add_target_row(cJSON *by, const char *name, benchy_collector *c) {
  char *text = benchy_collector_aggregate(c, 0);
  cJSON *o = text ? cJSON_Parse(text) : NULL;
  free(text);
  if (o) cJSON_AddItemToObject(by, name, o);
}

void lh_target_aggregate(lh_host *h, size_t i, cJSON *o) {
  if (!h->n_targets) return;
  size_t used = 0;
  const char *only = NULL;
  cJSON *names = cJSON_CreateArray();
  cJSON *by = cJSON_CreateObject();
  for (size_t k = 0; k <= h->n_targets; k++) {
    lh_target *t = k < h->n_targets ? &h->targets[k] : NULL;
    benchy_collector **slots = slot_of(h, t);
    if (!slots || !slots[i]) continue;
    used++;
    only = lh_target_name(t);
    cJSON_AddItemToArray(names, cJSON_CreateString(only));
    add_target_row(by, only, slots[i]);
  }
  cJSON_AddItemToObject(o, "targets", names);
  if (used == 1) cJSON_AddStringToObject(o, "target", only);
  if (used > 1)
    cJSON_AddItemToObject(o, "by_target", by);
  else
    cJSON_Delete(by);
}

cJSON *lh_targets_metadata(lh_host *h) {
  cJSON *arr = cJSON_CreateArray();
  for (size_t i = 0; arr && i < h->n_targets; i++) {
    cJSON *t = cJSON_CreateObject();
    cJSON_AddStringToObject(t, "name", h->targets[i].name);
    cJSON_AddStringToObject(t, "base_url", h->targets[i].shown_url);
    if (h->targets[i].model) cJSON_AddStringToObject(t, "model", h->targets[i].model);
    if (h->targets[i].api_key_env) cJSON_AddStringToObject(t, "api_key_env", h->targets[i].api_key_env);
    cJSON_AddItemToArray(arr, t);
  }
  return arr;
}

static void free_slots(benchy_collector **slots, size_t n) {
  for (size_t i = 0; slots && i < n; i++) benchy_collector_free(slots[i]);
  free(slots);
}

/* After the sessions are gone (teardown frees them with the loop). */
void lh_targets_free(lh_host *h) {
  for (size_t i = 0; i < h->n_targets; i++) {
    lh_target *t = &h->targets[i];
    free(t->name);
    free(t->base_url);
    free(t->shown_url);
    free(t->model);
    free(t->api_key_env);
    free_slots(t->by_scenario, h->n_sc);
  }
  free(h->targets);
  h->targets = NULL;
  h->n_targets = 0;
  free_slots(h->base_by_scenario, h->n_sc);
  h->base_by_scenario = NULL;
}
