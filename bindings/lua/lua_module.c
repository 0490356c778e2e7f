/*
 * lua_module.c — the `benchy` table a script sees (global, and what
 * `require "benchy"` returns), the user-session object's methods, and the
 * conversation helper (written in Lua: it only shuffles tables).
 */
#include <lauxlib.h>
#include <lualib.h>
#include <string.h>

#include "lua_host.h"

#define SESSION_META "benchy.session"
#define HOST_KEY "benchy.host"

/* Each coroutine's extra space points at its user (NULL on the main
 * thread): the count hook and session calls find it without a lookup. */
void lh_set_user(lua_State *co, lh_user *u) { memcpy(lua_getextraspace(co), &u, sizeof u); }

lh_user *lh_user_of(lua_State *L) {
  lh_user *u;
  memcpy(&u, lua_getextraspace(L), sizeof u);
  return u;
}

lh_host *lh_host_of(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, HOST_KEY);
  lh_host *h = lua_touserdata(L, -1);
  lua_pop(L, 1);
  return h;
}

/* session.user, .iteration, .turn, .scenario; methods otherwise. */
static int session_index(lua_State *L) {
  lh_user *u = *(lh_user **)luaL_checkudata(L, 1, SESSION_META);
  const char *key = luaL_checkstring(L, 2);
  if (!strcmp(key, "user")) {
    lua_pushinteger(L, (lua_Integer)u->index + 1);
  } else if (!strcmp(key, "iteration")) {
    lua_pushinteger(L, (lua_Integer)u->iteration);
  } else if (!strcmp(key, "turn")) {
    lua_pushinteger(L, (lua_Integer)u->turn);
  } else if (!strcmp(key, "scenario")) {
    if (u->sc)
      lua_pushstring(L, u->sc->name);
    else
      lua_pushnil(L);
  } else {
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
  }
  return 1;
}

static int session_tostring(lua_State *L) {
  lh_user *u = *(lh_user **)luaL_checkudata(L, 1, SESSION_META);
  lua_pushfstring(L, "benchy session of user %d", (int)u->index + 1);
  return 1;
}

/* Scripts run their own code, but never load precompiled chunks: bytecode
 * is not verified and can crash the VM. */
static int safe_load(lua_State *L) {
  int n = lua_gettop(L);
  if (n < 3) lua_settop(L, 3);
  lua_pushstring(L, "t");
  lua_replace(L, 3);
  /* The real load is this closure's upvalue, never a global a script could
   * call with mode "b". */
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_insert(L, 1);
  lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
  return lua_gettop(L);
}

static int safe_loadfile(lua_State *L) {
  const char *path = luaL_optstring(L, 1, NULL);
  if (luaL_loadfilex(L, path, "t") != LUA_OK) {
    lua_pushnil(L);
    lua_insert(L, -2);
    return 2;
  }
  return 1;
}

static int safe_dofile(lua_State *L) {
  const char *path = luaL_optstring(L, 1, NULL);
  lua_settop(L, 1);
  if (luaL_loadfilex(L, path, "t") != LUA_OK) return lua_error(L);
  lua_call(L, 0, LUA_MULTRET);
  return lua_gettop(L) - 1;
}

static const char conversation_lua[] =
    "local benchy = ...\n"
    "local C = {}\n"
    "C.__index = C\n"
    "function benchy.conversation(opts)\n"
    "  opts = opts or {}\n"
    "  local c = setmetatable({messages = {}}, C)\n"
    "  if opts.system then c.messages[1] = {role = 'system', content = opts.system} end\n"
    "  for _, m in ipairs(opts.messages or {}) do c.messages[#c.messages + 1] = m end\n"
    "  return c\n"
    "end\n"
    "function C:user(text)\n"
    "  self.messages[#self.messages + 1] = {role = 'user', content = text}\n"
    "  return self\n"
    "end\n"
    "function C:assistant(text)\n"
    "  self.messages[#self.messages + 1] = {role = 'assistant', content = text}\n"
    "  return self\n"
    "end\n"
    "function C:tool_result(id, content)\n"
    "  if type(content) ~= 'string' then content = benchy.json_encode(content) end\n"
    "  self.messages[#self.messages + 1] = {role = 'tool', tool_call_id = id, content = content}\n"
    "  return self\n"
    "end\n"
    "function C:send(session, opts)\n"
    "  local req = {}\n"
    "  for k, v in pairs(opts or {}) do req[k] = v end\n"
    "  req.messages = self.messages\n"
    "  local r = session:chat(req)\n"
    "  if r.ok then\n"
    "    local m = {role = 'assistant', content = r.text}\n"
    "    if #r.tool_calls > 0 then\n"
    "      m.tool_calls = {}\n"
    "      for i, t in ipairs(r.tool_calls) do\n"
    "        m.tool_calls[i] = {id = t.id, type = 'function',\n"
    "                           ['function'] = {name = t.name, arguments = t.arguments_raw}}\n"
    "      end\n"
    "    end\n"
    "    self.messages[#self.messages + 1] = m\n"
    "  end\n"
    "  return r\n"
    "end\n"
    "function C:len() return #self.messages end\n";

int lh_open_module(lua_State *L) {
  luaL_openlibs(L);
  /* load/loadfile/dofile refuse binary chunks (in benchy's own state; a
   * plain lua5.4 that requires benchy keeps its own). */
  if (!lh_host_of(L)->module) {
    lua_getglobal(L, "load");
    lua_pushcclosure(L, safe_load, 1);
    lua_setglobal(L, "load");
    lua_register(L, "loadfile", safe_loadfile);
    lua_register(L, "dofile", safe_dofile);
  }

  luaL_newmetatable(L, SESSION_META);
  lua_newtable(L); /* methods */
  static const luaL_Reg methods[] = {{"chat", lh_chat},   {"complete", lh_complete},
                                     {"check", lh_check_fn}, {"metric", lh_metric_add},
                                     {NULL, NULL}};
  luaL_setfuncs(L, methods, 0);
  lua_pushcclosure(L, session_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, session_tostring);
  lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);

  static const luaL_Reg fns[] = {{"scenario", lh_scenario_add},
                                 {"sleep", lh_sleep},
                                 {"json_encode", lh_json_encode},
                                 {"json_decode", lh_json_decode},
                                 {"validate", lh_validate},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lh_host *h = lh_host_of(L);
  lua_newtable(L); /* options: --define KEY=VALUE */
  size_t n = benchy_options_list_len(h->opts, "define");
  for (size_t i = 0; i < n; i++) {
    const char *kv = benchy_options_list_str(h->opts, "define", i);
    const char *eq = strchr(kv, '=');
    if (!eq) continue;
    lua_pushlstring(L, kv, (size_t)(eq - kv));
    lua_pushstring(L, eq + 1);
    lua_settable(L, -3);
  }
  lua_setfield(L, -2, "options");
  lh_api_register(L);
  lua_pushstring(L, benchy_version_string());
  lua_setfield(L, -2, "version");
  if (luaL_loadbufferx(L, conversation_lua, sizeof conversation_lua - 1, "=benchy.conversation",
                       "t") != LUA_OK)
    return lua_error(L);
  lua_pushvalue(L, -2);
  lua_call(L, 1, 0);
  /* require "benchy" returns the same table. */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "benchy");
  lua_pop(L, 1);
  lua_setglobal(L, "benchy");
  return 0;
}
