/*
 * lua_request.c — session:chat{} and session:complete{}: the body is built
 * from the script's table, a streaming benchy_request starts and the user
 * yields; the request's on_done records it (collector, --jsonl, result)
 * and resumes the user with the response table. Every figure in that
 * table comes from the record the engine timed.
 */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_host.h"

typedef struct done_ctx {
  lh_user *u;
  const benchy_record *rec;
} done_ctx;

static void set_num(lua_State *L, const char *key, double v) {
  if (isnan(v)) return;
  lua_pushnumber(L, v);
  lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, int64_t v) {
  if (v < 0) return;
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, key);
}

static double ms_or_nan(int64_t ns) { return ns >= 0 ? (double)ns / 1e6 : NAN; }

static void push_metrics(lua_State *L, const benchy_record *r) {
  lua_createtable(L, 0, 8);
  set_num(L, "ttft_ms", ms_or_nan(benchy_record_ttft_ns(r)));
  set_num(L, "ttfr_ms", ms_or_nan(benchy_record_ttfr_ns(r)));
  set_num(L, "tpot_ms", ms_or_nan(benchy_record_tpot_ns(r)));
  int64_t e2e = benchy_record_e2e_ns(r);
  set_num(L, "e2e_ms", ms_or_nan(e2e));
  set_num(L, "queue_ms", ms_or_nan(benchy_record_queue_ns(r)));
  set_int(L, "output_tokens", r->output_tokens);
  if (e2e > 0 && r->output_tokens >= 0) set_num(L, "tok_s", (double)r->output_tokens / ((double)e2e / 1e9));
  /* Gaps between token-carrying chunks, as the collector's per-chunk ITL. */
  lua_newtable(L);
  int64_t prev = 0;
  lua_Integer n = 0;
  for (size_t i = 0; i < r->n_chunk_events; i++) {
    const benchy_chunk_event *ev = &r->chunk_events[i];
    if (!(ev->kinds & BENCHY_CHUNK_TOKENS)) continue;
    if (prev) {
      lua_pushnumber(L, (double)(ev->t_ns - prev) / 1e6);
      lua_rawseti(L, -2, ++n);
    }
    prev = ev->t_ns;
  }
  lua_setfield(L, -2, "itl_ms");
  lua_setfield(L, -2, "metrics");
}

static void push_tool_calls(lua_State *L, const benchy_record *r) {
  lua_createtable(L, (int)r->n_tool_calls, 0);
  for (size_t i = 0; i < r->n_tool_calls; i++) {
    const benchy_tool_call *t = &r->tool_calls[i];
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, t->index);
    lua_setfield(L, -2, "index");
    if (t->id) {
      lua_pushstring(L, t->id);
      lua_setfield(L, -2, "id");
    }
    if (t->name) {
      lua_pushstring(L, t->name);
      lua_setfield(L, -2, "name");
    }
    const char *raw = t->arguments ? t->arguments : "";
    lua_pushstring(L, raw);
    lua_setfield(L, -2, "arguments_raw");
    /* Decoded when it parses; nil (and arguments_raw kept) when not. */
    cJSON *args = cJSON_Parse(raw);
    if (args) {
      lh_push_json(L, args);
      cJSON_Delete(args);
      lua_setfield(L, -2, "arguments");
    }
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
}

/* Protected, on the main state: the response table, built from the record
 * (everything allocated here may raise, never in the loop's callback). */
static int build_response(lua_State *L) {
  const done_ctx *c = lua_touserdata(L, 1);
  const benchy_record *r = c->rec;
  lua_createtable(L, 0, 16);
  int ok = r->status == BENCHY_OK;
  lua_pushboolean(L, ok);
  lua_setfield(L, -2, "ok");
  lua_pushstring(L, benchy_status_name(r->status));
  lua_setfield(L, -2, "status");
  lua_pushinteger(L, r->http_status);
  lua_setfield(L, -2, "http_status");
  if (r->error) {
    lua_pushstring(L, r->error);
    lua_setfield(L, -2, "error");
  }
  lua_pushstring(L, r->content ? r->content : "");
  lua_setfield(L, -2, "text");
  if (r->reasoning) {
    lua_pushstring(L, r->reasoning);
    lua_setfield(L, -2, "reasoning");
  }
  if (r->finish_reason) {
    lua_pushstring(L, r->finish_reason);
    lua_setfield(L, -2, "finish_reason");
  }
  push_tool_calls(L, r);
  lua_setfield(L, -2, "tool_calls");
  lua_createtable(L, 0, 4);
  set_int(L, "prompt_tokens", r->usage_prompt_tokens);
  set_int(L, "completion_tokens", r->usage_completion_tokens);
  set_int(L, "cached_tokens", r->usage_cached_tokens);
  set_int(L, "reasoning_tokens", r->usage_reasoning_tokens);
  lua_setfield(L, -2, "usage");
  if (r->timings.present) {
    const benchy_server_timings *t = &r->timings;
    lua_createtable(L, 0, 8);
    set_int(L, "cache_n", t->cache_n);
    set_int(L, "prompt_n", t->prompt_n);
    set_int(L, "predicted_n", t->predicted_n);
    set_num(L, "prompt_ms", t->prompt_ms);
    set_num(L, "predicted_ms", t->predicted_ms);
    set_num(L, "prompt_per_second", t->prompt_per_second);
    set_num(L, "predicted_per_second", t->predicted_per_second);
    lua_setfield(L, -2, "timings");
  }
  push_metrics(L, r);
  lh_tool_push(L, c->u, r); /* ttfs, tool-call times and grades (lua_grade.c) */
  lua_pushinteger(L, (lua_Integer)c->u->turn);
  lua_setfield(L, -2, "turn");
  return 1;
}

typedef struct chunk_ctx {
  lh_user *u;
  const benchy_chunk_event *ev;
  const char *text;
  size_t len;
  int64_t t0;
} chunk_ctx;

/* Protected, on the main state: fn(text, {t_ms, tokens, kinds...}). */
static int call_chunk(lua_State *L) {
  const chunk_ctx *c = lua_touserdata(L, 1);
  lua_rawgeti(L, LUA_REGISTRYINDEX, c->u->chunk_ref);
  lua_pushlstring(L, c->text ? c->text : "", c->text ? c->len : 0);
  lua_createtable(L, 0, 6);
  lua_pushnumber(L, (double)(c->ev->t_ns - c->t0) / 1e6);
  lua_setfield(L, -2, "t_ms");
  lua_pushinteger(L, c->ev->tokens);
  lua_setfield(L, -2, "tokens");
  lua_pushboolean(L, (c->ev->kinds & BENCHY_CHUNK_CONTENT) != 0);
  lua_setfield(L, -2, "content");
  lua_pushboolean(L, (c->ev->kinds & BENCHY_CHUNK_REASONING) != 0);
  lua_setfield(L, -2, "reasoning");
  lua_pushboolean(L, (c->ev->kinds & BENCHY_CHUNK_TOOL) != 0);
  lua_setfield(L, -2, "tool");
  /* The server's own send time when it stamps its chunks (benchy sim does):
   * t_ms - server_send_ms is the delivery delay, so a script can see that
   * t_ms is the kernel's receive time, as in benchy load. */
  if (c->ev->server_send_ns) {
    lua_pushnumber(L, (double)(c->ev->server_send_ns - c->t0) / 1e6);
    lua_setfield(L, -2, "server_send_ms");
  }
  lua_call(L, 2, 0);
  return 0;
}

/* The script's per-chunk callback, run on the main state while the user's
 * coroutine waits (s:check and s:metric work in it; waiting does not). An
 * error cancels the request and is raised in the user by its chat call. */
static void on_chunk(benchy_request *req, const benchy_chunk_event *ev, const char *text, size_t len,
                     void *ud) {
  lh_user *u = ud;
  lh_host *h = u->host;
  if (u->chunk_failed || h->stopping) return;
  lua_State *L = h->L;
  chunk_ctx c = {u, ev, text, len, benchy_request_record(req)->t_dispatched};
  lh_set_user(L, u);
  u->instructions = 0;
  lua_sethook(L, lh_count_hook, LUA_MASKCOUNT, LH_HOOK_STEP);
  lua_pushcfunction(L, call_chunk);
  lua_pushlightuserdata(L, &c);
  int st = lua_pcall(L, 1, 0, 0);
  lua_sethook(L, NULL, 0, 0);
  lh_set_user(L, NULL);
  if (st != LUA_OK) {
    u->chunk_failed = 1;
    u->chunk_error_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    benchy_request_cancel(req);
  }
}

static void release_chunk_fn(lh_user *u) {
  if (u->chunk_ref != LUA_NOREF) luaL_unref(u->host->L, LUA_REGISTRYINDEX, u->chunk_ref);
  u->chunk_ref = LUA_NOREF;
}

static void on_done(benchy_request *req, const benchy_record *rec, void *ud) {
  lh_user *u = ud;
  lh_host *h = u->host;
  u->req = NULL;
  if (!h->stopping) release_chunk_fn(u);
  if (u->chunk_failed && !h->stopping) {
    /* The callback's error, raised in the user by chat_continue. */
    u->chunk_failed = 0;
    benchy_request_free(req);
    lua_rawgeti(h->L, LUA_REGISTRYINDEX, u->chunk_error_ref);
    luaL_unref(h->L, LUA_REGISTRYINDEX, u->chunk_error_ref);
    u->chunk_error_ref = LUA_NOREF;
    if (lua_type(h->L, -1) != LUA_TSTRING) {
      lua_pop(h->L, 1);
      lua_pushstring(h->L, "on_chunk raised an error that is not a string");
    }
    lua_xmove(h->L, u->co, 1);
    lh_resume(u, 1);
    return;
  }
  if (h->stopping || rec->status == BENCHY_ERR_CANCELLED) {
    /* Torn down or interrupted: not a measurement, and no user goes on. */
    benchy_request_free(req);
    return;
  }
  lh_tool_done(u, rec); /* graded first: the kept record carries the verdict */
  lh_record(h, u, rec);
  lua_State *L = h->L;
  done_ctx c = {u, rec};
  lua_pushcfunction(L, build_response);
  lua_pushlightuserdata(L, &c);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    /* The user's chat call raises this (out of memory) in its own coroutine. */
    lua_pushfstring(L, "%s", lua_tostring(L, -1));
    lua_remove(L, -2);
  }
  benchy_request_free(req);
  lua_xmove(L, u->co, 1);
  lh_resume(u, 1);
}

/* The continuation of chat/complete: a string instead of a response table
 * is an error that happened while building it. */
static int chat_continue(lua_State *L, int status, lua_KContext ctx) {
  (void)status;
  (void)ctx;
  if (lua_type(L, -1) == LUA_TSTRING) return lua_error(L);
  return 1;
}

static void copy_field(lua_State *L, cJSON *body, const char *field, const char *what, char *err,
                       size_t errlen) {
  lua_getfield(L, 2, field);
  if (!lua_isnil(L, -1) && !*err) {
    char why[200] = "";
    cJSON *j = lh_to_json(L, -1, why, sizeof why);
    if (!j)
      snprintf(err, errlen, "%s: %s: %s", what, field, why);
    else if (!cJSON_ReplaceItemInObjectCaseSensitive(body, field, j))
      cJSON_AddItemToObject(body, field, j);
  }
  lua_pop(L, 1);
}

static int start(lua_State *L, benchy_endpoint endpoint, const char *what) {
  lh_user *u = *(lh_user **)luaL_checkudata(L, 1, "benchy.session");
  luaL_checktype(L, 2, LUA_TTABLE);
  lh_host *h = u->host;
  /* Only the iteration's own coroutine may wait: a yield from a coroutine
   * of the script's would go to its resumer, not to benchy. */
  if (L != u->co)
    return luaL_error(L, "%s: call it on the session your scenario function was given, from the "
                         "scenario itself (not from a coroutine of your own)", what);
  lh_target *target = lh_target_arg(L, 2);
  benchy_session *sess = target ? target->sess : h->sess;
  if (!sess)
    return luaL_error(L, "%s: no target= given, and no --base-url for requests without one", what);
  cJSON *body = cJSON_CreateObject();
  if (!body) return luaL_error(L, "out of memory");
  char err[300] = "";
  /* extra first: the named fields win over the same key in extra. */
  lua_getfield(L, 2, "extra");
  if (lua_istable(L, -1)) {
    cJSON *extra = lh_to_json(L, -1, err, sizeof err);
    if (extra && cJSON_IsObject(extra)) {
      cJSON *item = extra->child;
      while (item) {
        cJSON *next = item->next;
        cJSON_DetachItemViaPointer(extra, item);
        cJSON_AddItemToObject(body, item->string, item);
        item = next;
      }
    } else if (extra) {
      snprintf(err, sizeof err, "%s: extra must be a table of body fields", what);
    }
    cJSON_Delete(extra);
  } else if (!lua_isnil(L, -1)) {
    snprintf(err, sizeof err, "%s: extra must be a table of body fields", what);
  }
  lua_pop(L, 1);
  if (endpoint == BENCHY_ENDPOINT_CHAT) {
    lua_getfield(L, 2, "messages");
    int has = lua_istable(L, -1);
    lua_pop(L, 1);
    if (!has && !*err) snprintf(err, sizeof err, "%s: messages (a list of {role=..., content=...}) is required", what);
    copy_field(L, body, "messages", what, err, sizeof err);
    copy_field(L, body, "tools", what, err, sizeof err);
    copy_field(L, body, "tool_choice", what, err, sizeof err);
  } else {
    lua_getfield(L, 2, "prompt");
    int has = lua_isstring(L, -1);
    lua_pop(L, 1);
    if (!has && !*err) snprintf(err, sizeof err, "%s: prompt (a string) is required", what);
    copy_field(L, body, "prompt", what, err, sizeof err);
  }
  copy_field(L, body, "max_tokens", what, err, sizeof err);
  copy_field(L, body, "temperature", what, err, sizeof err);
  copy_field(L, body, "top_p", what, err, sizeof err);
  copy_field(L, body, "seed", what, err, sizeof err);
  if (!*err) lh_tool_req_capture(u, L, 2, body, err, sizeof err);
  cJSON_DeleteItemFromObjectCaseSensitive(body, "model");
  cJSON_AddStringToObject(body, "model", target ? target->model : h->model);
  char *text = *err ? NULL : cJSON_PrintUnformatted(body);
  cJSON_Delete(body);
  if (*err) return luaL_error(L, "%s", err);
  if (!text) return luaL_error(L, "out of memory");
  benchy_request *req = NULL;
  int st = benchy_request_new(&req, sess, endpoint, text);
  free(text);
  if (st != BENCHY_OK)
    return luaL_error(L, "%s: %s", what, benchy_session_error(sess));
  u->turn++;
  u->target = target;
  char tag[160];
  snprintf(tag, sizeof tag, "%s/%llu/%llu", u->sc->name, (unsigned long long)u->index + 1,
           (unsigned long long)u->turn);
  benchy_request_set_tag(req, tag);
  benchy_request_set_flags(req, BENCHY_KEEP_TEXT | BENCHY_KEEP_CHUNKS);
  benchy_request_set_on_done(req, on_done, u);
  /* Per-chunk calls only when the script asks: nothing is paid otherwise. */
  lua_getfield(L, 2, "on_chunk");
  if (lua_isfunction(L, -1)) {
    u->chunk_ref = luaL_ref(L, LUA_REGISTRYINDEX); /* one registry for every thread */
    benchy_request_set_on_chunk(req, on_chunk, u);
  } else {
    lua_pop(L, 1);
  }
  /* Open loop: the iteration's first request is timed from its arrival. */
  int64_t scheduled = u->turn == 1 ? u->arrival_ns : 0;
  st = benchy_request_start(req, scheduled);
  if (st != BENCHY_OK) {
    benchy_request_free(req);
    release_chunk_fn(u);
    return luaL_error(L, "%s: could not start the request (%s)", what, benchy_status_message(st));
  }
  u->req = req;
  u->waiting = 1;
  return lua_yieldk(L, 0, 0, chat_continue);
}

int lh_chat(lua_State *L) { return start(L, BENCHY_ENDPOINT_CHAT, "session:chat"); }
int lh_complete(lua_State *L) { return start(L, BENCHY_ENDPOINT_COMPLETIONS, "session:complete"); }
