/*
 * lua_validate.c — benchy.validate(args, schema): a script checks a value
 * (typically a tool call's arguments) against a JSON Schema with the same
 * validator that grades tool calls in C (benchy_schema_validate), so a
 * script's verdict and the record's never disagree.
 */
#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#include "benchy/schema.h"
#include "lua_host.h"

/* The value at idx as a cJSON tree. A string is JSON text (tool-call
 * arguments arrive as text: arguments_raw); *unparsed is set when it is
 * not JSON. NULL with err filled when a table cannot be JSON. */
static cJSON *value_tree(lua_State *L, int idx, int *unparsed, char *err, size_t errlen) {
  *unparsed = 0;
  if (lua_type(L, idx) == LUA_TSTRING) {
    size_t len;
    const char *text = lua_tolstring(L, idx, &len);
    cJSON *j = cJSON_ParseWithLength(text, len);
    if (!j) *unparsed = 1;
    return j;
  }
  return lh_to_json(L, idx, err, errlen);
}

/* benchy.validate(args, schema) -> true | false, message, kind, path.
 * kind is benchy_schema_fail_name's ("missing_required", "wrong_type",
 * "bad_value", "unparsed"); path the JSON pointer of the failing value. */
int lh_validate(lua_State *L) {
  luaL_checkany(L, 1);
  luaL_checkany(L, 2);
  char err[256] = "";
  int schema_unparsed = 0;
  cJSON *schema = value_tree(L, 2, &schema_unparsed, err, sizeof err);
  if (!schema) {
    if (schema_unparsed) return luaL_error(L, "benchy.validate: the schema text is not JSON");
    return luaL_error(L, "benchy.validate: the schema cannot be JSON: %s", err);
  }
  int unparsed = 0;
  cJSON *value = value_tree(L, 1, &unparsed, err, sizeof err);
  if (!value && !unparsed) {
    cJSON_Delete(schema);
    return luaL_error(L, "benchy.validate: the value cannot be JSON: %s", err);
  }
  benchy_schema_result res;
  memset(&res, 0, sizeof res);
  res.struct_size = sizeof res;
  int st = BENCHY_OK;
  if (unparsed) {
    res.fail = BENCHY_SCHEMA_UNPARSED;
    snprintf(res.message, sizeof res.message, "the arguments are not JSON text");
  } else {
    st = benchy_schema_validate_cjson(value, schema, &res);
  }
  cJSON_Delete(value);
  cJSON_Delete(schema);
  if (st == BENCHY_ERR_NOMEM) return luaL_error(L, "benchy.validate: out of memory");
  if (st != BENCHY_OK) return luaL_error(L, "benchy.validate: %s", res.message);
  if (res.fail == BENCHY_SCHEMA_OK) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_pushstring(L, res.message);
  lua_pushstring(L, benchy_schema_fail_name(res.fail));
  lua_pushstring(L, res.path);
  return 4;
}
