/*
 * lua_options.c — the options a script declares for itself:
 *
 *   local thinking = benchy.option{name = "thinking", default = "off",
 *                                  choices = {"on", "off"}, help = "..."}
 *
 * returns the value `-e thinking=on` gave (else the default) and sets
 * benchy.options.thinking. Once a script declares options, every -e must
 * name one of them, so a typo is an error instead of a silently ignored
 * setting; a value outside `choices` is one too. `benchy run SCRIPT.lua
 * --help` lists them after the table's options (benchy_script_write_help).
 * benchy's own options (--users, --model, ...) come from the one option
 * table and are never redefined here.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/workload.h"
#include "lua_host.h"

/* The last --define NAME=VALUE for name, or NULL. */
static const char *defined_value(const benchy_options *o, const char *name) {
  const char *found = NULL;
  size_t n = benchy_options_list_len(o, "define"), len = strlen(name);
  for (size_t i = 0; i < n; i++) {
    const char *kv = benchy_options_list_str(o, "define", i);
    if (!strncmp(kv, name, len) && kv[len] == '=') found = kv + len + 1;
  }
  return found;
}

static char *string_field(lua_State *L, int idx, const char *key, const char *what) {
  lua_getfield(L, idx, key);
  char *v = NULL;
  int t = lua_type(L, -1);
  if (t == LUA_TSTRING || t == LUA_TNUMBER) {
    v = benchy_strdup(lua_tostring(L, -1));
    if (!v) luaL_error(L, "out of memory");
  } else if (t == LUA_TBOOLEAN) {
    v = benchy_strdup(lua_toboolean(L, -1) ? "true" : "false");
    if (!v) luaL_error(L, "out of memory");
  } else if (t != LUA_TNIL) {
    luaL_error(L, "%s: %s must be a string", what, key);
  }
  lua_pop(L, 1);
  return v;
}

static void free_option(lh_script_option *o) {
  free(o->name);
  free(o->help);
  free(o->default_value);
  for (char **c = o->choices; c && *c; c++) free(*c);
  free(o->choices);
}

static int valid_name(const char *s) {
  if (!*s) return 0;
  for (; *s; s++)
    if (!(*s == '_' || *s == '-' || (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
          (*s >= '0' && *s <= '9')))
      return 0;
  return 1;
}

/* "on|off" into buf. */
static void join_choices(char *const *choices, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (char *const *c = choices; c && *c && used < len; c++)
    used += (size_t)snprintf(buf + used, len - used, "%s%s", c == choices ? "" : "|", *c);
}

static int in_choices(char *const *choices, const char *v) {
  if (!choices) return 1;
  for (char *const *c = choices; *c; c++)
    if (!strcmp(*c, v)) return 1;
  return 0;
}

/* benchy.option{name=, default=, help=, choices={...}} -> value or nil */
static int option_declare(lua_State *L) {
  lh_host *h = lh_host_of(L);
  luaL_checktype(L, 1, LUA_TTABLE);
  if (lh_user_of(L)) return luaL_error(L, "benchy.option: declare options at the top of the script");
  lh_script_option o;
  memset(&o, 0, sizeof o);
  lua_getfield(L, 1, "name");
  const char *name = lua_tostring(L, -1);
  if (lua_type(L, -1) != LUA_TSTRING || !valid_name(name))
    return luaL_error(L, "benchy.option: name must be letters, digits, '_' or '-' (got %s)",
                      name ? name : luaL_typename(L, -1));
  const benchy_option_info *own = benchy_option_find_for(name, BENCHY_CMD_RUN, NULL);
  if (own)
    return luaL_error(L, "benchy.option: '%s' is benchy's own option --%s; scripts cannot redefine "
                         "it (pick another name)", name, own->name);
  for (size_t i = 0; i < h->n_script_opts; i++)
    if (!strcmp(h->script_opts[i].name, name))
      return luaL_error(L, "benchy.option: '%s' is declared twice", name);
  lua_pop(L, 1);
  lua_getfield(L, 1, "choices");
  size_t n_choices = lua_istable(L, -1) ? (size_t)lua_rawlen(L, -1) : 0;
  if (!lua_isnil(L, -1) && !n_choices)
    return luaL_error(L, "benchy.option '%s': choices must be a list of strings", name);
  lua_pop(L, 1);
  lh_script_option *grown = realloc(h->script_opts, (h->n_script_opts + 1) * sizeof *grown);
  if (!grown) return luaL_error(L, "out of memory");
  h->script_opts = grown;
  /* Registered before anything below may raise, so teardown frees it. */
  lh_script_option *slot = &h->script_opts[h->n_script_opts++];
  memset(slot, 0, sizeof *slot);
  slot->name = benchy_strdup(name);
  if (!slot->name) return luaL_error(L, "out of memory");
  slot->help = string_field(L, 1, "help", "benchy.option");
  slot->default_value = string_field(L, 1, "default", "benchy.option");
  if (n_choices) {
    slot->choices = calloc(n_choices + 1, sizeof *slot->choices);
    if (!slot->choices) return luaL_error(L, "out of memory");
    lua_getfield(L, 1, "choices");
    for (size_t i = 0; i < n_choices; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      if (!lua_isstring(L, -1)) return luaL_error(L, "benchy.option '%s': choices must be strings", name);
      slot->choices[i] = benchy_strdup(lua_tostring(L, -1));
      if (!slot->choices[i]) return luaL_error(L, "out of memory");
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  char list[512];
  join_choices(slot->choices, list, sizeof list);
  if (slot->default_value && !in_choices(slot->choices, slot->default_value))
    return luaL_error(L, "benchy.option '%s': the default '%s' is not one of its choices (%s)", name,
                      slot->default_value, list);
  const char *value = defined_value(h->opts, name);
  if (value && !in_choices(slot->choices, value))
    return luaL_error(L, "-e %s=%s: %s's option '%s' takes one of %s", name, value, h->script, name, list);
  if (!value) value = slot->default_value;
  /* benchy.options.NAME too, for scripts that read options there. */
  lua_getfield(L, lua_upvalueindex(1), "options");
  if (lua_istable(L, -1)) {
    if (value)
      lua_pushstring(L, value);
    else
      lua_pushnil(L);
    lua_setfield(L, -2, name);
  }
  lua_pop(L, 1);
  if (value)
    lua_pushstring(L, value);
  else
    lua_pushnil(L);
  return 1;
}

/* benchy.plan: how the run was asked to go, for scripts whose users work
 * together (interference.lua waits for every user to finish a phase). */
static void push_plan(lua_State *L, const benchy_options *o) {
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, (lua_Integer)benchy_options_int(o, "users"));
  lua_setfield(L, -2, "users");
  if (benchy_options_is_set(o, "iterations")) {
    lua_pushinteger(L, (lua_Integer)benchy_options_int(o, "iterations"));
    lua_setfield(L, -2, "iterations");
  }
  static const char *const doubles[] = {"duration", "rate"};
  for (size_t i = 0; i < 2; i++)
    if (benchy_options_is_set(o, doubles[i])) {
      lua_pushnumber(L, benchy_options_double(o, doubles[i]));
      lua_setfield(L, -2, doubles[i]);
    }
}

/* Under `benchy run` the command line runs the scenarios; benchy.run is
 * the plain lua5.4 module's (lua_standalone.c, which replaces this). */
static int run_refused(lua_State *L) {
  return luaL_error(L, "benchy.run{} is for a plain lua5.4 that did require \"benchy\"; under "
                       "benchy run the command line runs the scenarios (--users, --iterations, ...)");
}

void lh_api_register(lua_State *L) {
  lua_pushcfunction(L, run_refused);
  lua_setfield(L, -2, "run");
  push_plan(L, lh_host_of(L)->opts);
  lua_setfield(L, -2, "plan");
  lua_pushvalue(L, -1);
  lua_pushcclosure(L, option_declare, 1);
  lua_setfield(L, -2, "option");
  lua_pushcfunction(L, lh_target_declare);
  lua_setfield(L, -2, "target");
}

int lh_options_check(lh_host *h, char *err, size_t errlen) {
  if (!h->n_script_opts) return BENCHY_OK; /* benchy.options is free-form then */
  size_t n = benchy_options_list_len(h->opts, "define");
  for (size_t i = 0; i < n; i++) {
    const char *kv = benchy_options_list_str(h->opts, "define", i);
    const char *eq = strchr(kv, '=');
    size_t len = eq ? (size_t)(eq - kv) : strlen(kv);
    int known = 0;
    for (size_t k = 0; k < h->n_script_opts && !known; k++)
      known = strlen(h->script_opts[k].name) == len && !strncmp(h->script_opts[k].name, kv, len);
    if (known) continue;
    size_t used = (size_t)snprintf(err, errlen, "-e %.*s: %s declares no option of that name; its "
                                                "options are", (int)len, kv, h->script);
    for (size_t k = 0; k < h->n_script_opts && used < errlen; k++)
      used += (size_t)snprintf(err + used, errlen - used, "%s %s", k ? "," : "", h->script_opts[k].name);
    if (used < errlen) snprintf(err + used, errlen - used, " (benchy run %s --help)", h->script);
    return BENCHY_ERR_INVALID;
  }
  return BENCHY_OK;
}

void lh_options_free(lh_host *h) {
  for (size_t i = 0; i < h->n_script_opts; i++) free_option(&h->script_opts[i]);
  free(h->script_opts);
  h->script_opts = NULL;
  h->n_script_opts = 0;
}

int benchy_script_write_help(const benchy_options *opts, void *file, char *err, size_t errlen) {
  FILE *f = file;
  lh_host h;
  lh_host_init(&h, opts);
  if (!h.script) {
    snprintf(err, errlen, "no script given: benchy run FILE.lua --help");
    return BENCHY_ERR_INVALID;
  }
  int st = lh_load_script(&h, err, errlen);
  /* A script that insists on an option (interference.lua's base URLs)
   * stops without it, after declaring what it takes: --help still lists
   * those. */
  if (st == BENCHY_ERR_SCRIPT && h.n_script_opts) st = BENCHY_OK;
  if (st == BENCHY_OK) {
    fprintf(f, "\n%s options (-e NAME=VALUE):\n", h.script);
    if (!h.n_script_opts) fprintf(f, "  (none declared; the script reads benchy.options as it likes)\n");
    for (size_t i = 0; i < h.n_script_opts; i++) {
      const lh_script_option *o = &h.script_opts[i];
      char list[512];
      join_choices(o->choices, list, sizeof list);
      /* The table's layout: name in a 30-column gutter, then the help. */
      char head[600];
      snprintf(head, sizeof head, "-e %s=%s", o->name, o->choices ? list : "VALUE");
      fprintf(f, "  %-27s%s%s%s", head, strlen(head) > 27 ? "\n                              " : " ",
              o->help ? o->help : "", o->help ? " " : "");
      if (o->default_value)
        fprintf(f, "[default: %s]\n", o->default_value);
      else
        fprintf(f, "[no default]\n");
    }
  }
  lh_teardown(&h);
  return st;
}
