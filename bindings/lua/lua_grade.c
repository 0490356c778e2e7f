/*
 * lua_grade.c — tool turns of session:chat graded in C. What a request
 * offered (its tools, the script's expect_tool, whether it answers a tool
 * result) is kept when it starts; when it is done every tool call is graded
 * against the offered tools' schemas (benchy_tool_call_grade) and the
 * expected tool, the verdict goes to the scenario's counts (lua_turns.c)
 * and to the response table: tool_grade, each call's valid/bucket/message,
 * and the tool-call times in metrics.
 */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/schema.h"
#include "lua_host.h"

struct lh_tool_req {
  char *tools_json;      /* the request's "tools" as sent; NULL: none offered */
  char *expect_tool;     /* the script's expect_tool; NULL: any offered tool */
  int after_tool_result; /* the last message sent has role "tool" */
  int graded;            /* the response was graded: resp holds the verdict */
  int arguments_parse;   /* every call's arguments are JSON text */
  benchy_tool_grade resp;
  benchy_tool_grade *calls; /* one per tool call of the response */
  size_t n_calls, calls_cap;
};

static void clear(struct lh_tool_req *t) {
  free(t->tools_json);
  free(t->expect_tool);
  t->tools_json = t->expect_tool = NULL;
  t->after_tool_result = t->graded = 0;
  t->n_calls = 0;
}

int lh_tool_req_capture(lh_user *u, lua_State *L, int table, const cJSON *body, char *err, size_t errlen) {
  if (!u->tool_req && !(u->tool_req = calloc(1, sizeof *u->tool_req))) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  struct lh_tool_req *t = u->tool_req;
  clear(t);
  lua_getfield(L, table, "expect_tool");
  int type = lua_type(L, -1);
  if (type == LUA_TSTRING) t->expect_tool = benchy_strdup(lua_tostring(L, -1));
  lua_pop(L, 1);
  if (type != LUA_TNIL && type != LUA_TSTRING) {
    snprintf(err, errlen, "session:chat: expect_tool must be the name of a tool (a string)");
    return -1;
  }
  const cJSON *tools = cJSON_GetObjectItemCaseSensitive(body, "tools");
  if (t->expect_tool && !cJSON_IsArray(tools)) {
    snprintf(err, errlen, "session:chat: expect_tool '%s' needs tools = {...} in the same call",
             t->expect_tool);
    return -1;
  }
  if (cJSON_IsArray(tools) && !(t->tools_json = cJSON_PrintUnformatted(tools))) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  const cJSON *messages = cJSON_GetObjectItemCaseSensitive(body, "messages");
  int n = cJSON_GetArraySize(messages);
  const cJSON *role = n ? cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(messages, n - 1), "role") : NULL;
  t->after_tool_result = cJSON_IsString(role) && !strcmp(role->valuestring, "tool");
  return 0;
}

static void set_grade(benchy_tool_grade *g, int grade, const char *fmt, const char *a, const char *b) {
  g->grade = grade;
  g->path[0] = '\0';
  snprintf(g->message, sizeof g->message, fmt, a, b);
}

/* Every call on its own (a record of one call), then the expected tool. */
static void grade(struct lh_tool_req *t, const benchy_record *rec) {
  benchy_tool_grade *g = &t->resp;
  memset(g, 0, sizeof *g);
  g->struct_size = sizeof *g;
  if (benchy_tool_call_grade(rec, t->tools_json, g) != BENCHY_OK) return;
  t->arguments_parse = g->arguments_parse;
  if (rec->n_tool_calls > t->calls_cap) {
    benchy_tool_grade *grown = realloc(t->calls, rec->n_tool_calls * sizeof *grown);
    if (!grown) return;
    t->calls = grown;
    t->calls_cap = rec->n_tool_calls;
  }
  int first_bad = -1;
  for (size_t i = 0; i < rec->n_tool_calls; i++) {
    benchy_record one = *rec;
    one.n_tool_calls = 1;
    one.tool_calls = &rec->tool_calls[i];
    benchy_tool_grade *c = &t->calls[i];
    memset(c, 0, sizeof *c);
    c->struct_size = sizeof *c;
    if (benchy_tool_call_grade(&one, t->tools_json, c) != BENCHY_OK) return;
    const char *name = rec->tool_calls[i].name ? rec->tool_calls[i].name : "";
    if (c->grade == BENCHY_TOOL_OK && t->expect_tool && strcmp(name, t->expect_tool))
      set_grade(c, BENCHY_TOOL_WRONG_TOOL, "called %s, expected %s", name, t->expect_tool);
    c->call_index = i;
    if (c->grade != BENCHY_TOOL_OK && first_bad < 0) first_bad = (int)i;
  }
  t->n_calls = rec->n_tool_calls;
  if (!rec->n_tool_calls) {
    if (!t->expect_tool) return; /* a text answer, and none was asked for: not graded */
    set_grade(g, BENCHY_TOOL_NO_CALL, "no tool call; expected %s%s", t->expect_tool, "");
  } else if (first_bad >= 0) {
    *g = t->calls[first_bad];
  } else {
    g->grade = BENCHY_TOOL_OK;
    g->message[0] = g->path[0] = '\0';
  }
  t->graded = 1;
}

void lh_tool_done(lh_user *u, const benchy_record *rec) {
  struct lh_tool_req *t = u->tool_req;
  int verdict = -1;
  if (t) {
    t->graded = 0;
    t->n_calls = 0;
    /* A response that never came says nothing about the model's calls. */
    if (t->tools_json && (rec->status == BENCHY_OK || rec->n_tool_calls)) grade(t, rec);
    if (t->graded) verdict = t->resp.grade;
  }
  lh_turns_add(u->sc, rec, t && t->after_tool_result, verdict);
}

static void set_ms(lua_State *L, const char *key, int64_t from, int64_t to) {
  if (!from || !to || to < from) return;
  lua_pushnumber(L, (double)(to - from) / 1e6);
  lua_setfield(L, -2, key);
}

static void push_verdict(lua_State *L, const benchy_tool_grade *g, const char *ok_key) {
  lua_pushboolean(L, g->grade == BENCHY_TOOL_OK);
  lua_setfield(L, -2, ok_key);
  lua_pushstring(L, g->grade == BENCHY_TOOL_OK ? "ok" : benchy_tool_grade_name(g->grade));
  lua_setfield(L, -2, "bucket");
  if (g->grade != BENCHY_TOOL_OK) {
    lua_pushstring(L, g->message);
    lua_setfield(L, -2, "message");
    if (g->path[0]) {
      lua_pushstring(L, g->path);
      lua_setfield(L, -2, "path");
    }
  }
}

void lh_tool_push(lua_State *L, const lh_user *u, const benchy_record *r) {
  lua_getfield(L, -1, "metrics");
  int64_t ttfs = benchy_record_ttfs_ns(r);
  if (ttfs >= 0) {
    lua_pushnumber(L, (double)ttfs / 1e6);
    lua_setfield(L, -2, "ttfs_ms");
  }
  set_ms(L, "t_first_tool_ms", r->t_dispatched, r->t_first_tool);
  set_ms(L, "t_tool_args_done_ms", r->t_dispatched, r->t_last_tool);
  lua_pop(L, 1);
  const struct lh_tool_req *t = u->tool_req;
  if (!t || !t->graded) return;
  lua_getfield(L, -1, "tool_calls");
  for (size_t i = 0; i < t->n_calls; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    push_verdict(L, &t->calls[i], "valid");
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  lua_createtable(L, 0, 6);
  push_verdict(L, &t->resp, "ok");
  if (t->resp.grade != BENCHY_TOOL_OK && t->n_calls) {
    lua_pushinteger(L, (lua_Integer)t->resp.call_index + 1);
    lua_setfield(L, -2, "call");
  }
  lua_setfield(L, -2, "tool_grade");
}

void lh_tool_grade_json(const lh_user *u, cJSON *record) {
  const struct lh_tool_req *t = u->tool_req;
  if (!t || !t->graded) return;
  cJSON *o = cJSON_AddObjectToObject(record, "tool_grade");
  if (!o) return;
  cJSON_AddBoolToObject(o, "ok", t->resp.grade == BENCHY_TOOL_OK);
  cJSON_AddStringToObject(o, "bucket", t->resp.grade == BENCHY_TOOL_OK ? "ok" : benchy_tool_grade_name(t->resp.grade));
  cJSON_AddBoolToObject(o, "arguments_parse", t->arguments_parse);
  if (t->expect_tool) cJSON_AddStringToObject(o, "expected", t->expect_tool);
  if (t->resp.grade != BENCHY_TOOL_OK) {
    cJSON_AddStringToObject(o, "message", t->resp.message);
    if (t->n_calls) cJSON_AddNumberToObject(o, "call", (double)t->resp.call_index + 1);
  }
}

void lh_tool_req_free(lh_user *u) {
  if (!u->tool_req) return;
  clear(u->tool_req);
  free(u->tool_req->calls);
  free(u->tool_req);
  u->tool_req = NULL;
}
