/*
 * lua_json.c — Lua values to and from JSON through cJSON, for request
 * bodies (messages, tools, extra), tool-call arguments and
 * benchy.json_encode / benchy.json_decode.
 */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lua_host.h"

#define LH_JSON_DEPTH 64

/* A table is an array when its keys are exactly 1..n with n >= 1. */
static size_t array_length(lua_State *L, int idx) {
  size_t n = 0;
  lua_pushnil(L);
  while (lua_next(L, idx)) {
    lua_pop(L, 1);
    if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) {
      lua_pop(L, 1);
      return 0;
    }
    n++;
  }
  return n == (size_t)lua_rawlen(L, idx) ? n : 0;
}

static cJSON *to_json(lua_State *L, int idx, int depth, char *err, size_t errlen) {
  idx = lua_absindex(L, idx);
  if (depth > LH_JSON_DEPTH) {
    snprintf(err, errlen, "value nested deeper than %d levels (a table that holds itself?)",
             LH_JSON_DEPTH);
    return NULL;
  }
  switch (lua_type(L, idx)) {
  case LUA_TNIL: return cJSON_CreateNull();
  case LUA_TBOOLEAN: return cJSON_CreateBool(lua_toboolean(L, idx));
  case LUA_TNUMBER: {
    double v = lua_tonumber(L, idx);
    if (!isfinite(v)) {
      snprintf(err, errlen, "%g cannot be written as JSON", v);
      return NULL;
    }
    return cJSON_CreateNumber(v);
  }
  case LUA_TSTRING: return cJSON_CreateString(lua_tostring(L, idx));
  case LUA_TTABLE: {
    luaL_checkstack(L, 4, "JSON");
    size_t n = array_length(L, idx);
    cJSON *out = n ? cJSON_CreateArray() : cJSON_CreateObject();
    if (!out) goto nomem;
    if (n) {
      for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i);
        cJSON *item = to_json(L, -1, depth + 1, err, errlen);
        lua_pop(L, 1);
        if (!item) {
          cJSON_Delete(out);
          return NULL;
        }
        cJSON_AddItemToArray(out, item);
      }
      return out;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
      if (lua_type(L, -2) != LUA_TSTRING && lua_type(L, -2) != LUA_TNUMBER) {
        snprintf(err, errlen, "a table key of type %s cannot be a JSON object key",
                 luaL_typename(L, -2));
        lua_pop(L, 2);
        cJSON_Delete(out);
        return NULL;
      }
      lua_pushvalue(L, -2); /* tostring on a copy: lua_next needs the key as it was */
      const char *key = lua_tostring(L, -1);
      cJSON *item = to_json(L, -2, depth + 1, err, errlen);
      if (!item) {
        lua_pop(L, 3);
        cJSON_Delete(out);
        return NULL;
      }
      cJSON_AddItemToObject(out, key, item);
      lua_pop(L, 2);
    }
    return out;
  }
  default:
    snprintf(err, errlen, "a %s cannot be written as JSON", luaL_typename(L, idx));
    return NULL;
  }
nomem:
  snprintf(err, errlen, "out of memory");
  return NULL;
}

cJSON *lh_to_json(lua_State *L, int idx, char *err, size_t errlen) {
  return to_json(L, idx, 0, err, errlen);
}

void lh_push_json(lua_State *L, const cJSON *j) {
  luaL_checkstack(L, 4, "JSON");
  if (cJSON_IsNull(j) || !j) {
    lua_pushnil(L);
  } else if (cJSON_IsBool(j)) {
    lua_pushboolean(L, cJSON_IsTrue(j));
  } else if (cJSON_IsNumber(j)) {
    double v = j->valuedouble;
    if (v == floor(v) && fabs(v) < 9007199254740992.0)
      lua_pushinteger(L, (lua_Integer)v);
    else
      lua_pushnumber(L, v);
  } else if (cJSON_IsString(j)) {
    lua_pushstring(L, j->valuestring);
  } else if (cJSON_IsArray(j)) {
    lua_createtable(L, cJSON_GetArraySize(j), 0);
    lua_Integer i = 1;
    const cJSON *item;
    cJSON_ArrayForEach(item, j) {
      lh_push_json(L, item);
      lua_rawseti(L, -2, i++);
    }
  } else {
    lua_newtable(L);
    const cJSON *item;
    cJSON_ArrayForEach(item, j) {
      lh_push_json(L, item);
      lua_setfield(L, -2, item->string);
    }
  }
}

int lh_json_encode(lua_State *L) {
  luaL_checkany(L, 1);
  char err[256] = "";
  cJSON *j = lh_to_json(L, 1, err, sizeof err);
  if (!j) return luaL_error(L, "benchy.json_encode: %s", err);
  char *text = cJSON_PrintUnformatted(j);
  cJSON_Delete(j);
  if (!text) return luaL_error(L, "benchy.json_encode: out of memory");
  lua_pushstring(L, text);
  free(text);
  return 1;
}

/* nil and a message for text that is not JSON, so a script can check. */
int lh_json_decode(lua_State *L) {
  size_t len;
  const char *text = luaL_checklstring(L, 1, &len);
  cJSON *j = cJSON_ParseWithLength(text, len);
  if (!j) {
    lua_pushnil(L);
    lua_pushstring(L, "not JSON");
    return 2;
  }
  lh_push_json(L, j);
  cJSON_Delete(j);
  return 1;
}
