/*
 * lua_users.c — simulated users as coroutines on one event loop.
 *
 * Closed loop (--users N): each user runs one scenario iteration after
 * another (a scenario picked by weight each time) until --iterations or
 * --duration is reached; users start evenly over --ramp-up. Open loop
 * (--rate R): iterations start at Poisson arrival times, each on a user
 * of its own, and their first request is timed from that scheduled start.
 *
 * Every iteration is a fresh coroutine, so a runtime error ends only that
 * iteration: it is recorded as the user's failure with the traceback, and
 * the user (and every other) goes on. A resume that runs more than
 * LH_INSTRUCTION_BUDGET VM instructions is stopped the same way. Resumes
 * and the next iteration always start from a loop callback or a timer,
 * never recursively, so a user that fails at once cannot grow the C stack.
 */
#include <lauxlib.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_host.h"

#define SESSION_META "benchy.session"

void lh_count_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lh_user *u = lh_user_of(L);
  int64_t *count = u ? &u->instructions : &lh_host_of(L)->main_instructions;
  *count += LH_HOOK_STEP;
  if (*count > LH_INSTRUCTION_BUDGET)
    luaL_error(L, "instruction budget exceeded: more than %d million VM instructions without "
                  "yielding to benchy (an endless loop?)", (int)(LH_INSTRUCTION_BUDGET / 1000000));
}

static void schedule_next(lh_user *u, int64_t at_ns);

static int stop_issuing(lh_host *h) {
  return h->stopping || benchy_loop_stopped(h->loop) ||
         (h->deadline_ns && benchy_now_ns() >= h->deadline_ns);
}

static void end_iteration(lh_user *u) {
  lh_host *h = u->host;
  if (u->thread_ref != LUA_NOREF) luaL_unref(h->L, LUA_REGISTRYINDEX, u->thread_ref);
  u->thread_ref = LUA_NOREF;
  u->co = NULL;
  u->waiting = 0;
  if (h->rate > 0) {
    u->finished = 1; /* open loop: one iteration per arrival */
    return;
  }
  schedule_next(u, 0);
}

/* Runs in protected mode on the main state: what may raise (out of memory)
 * raises there, not in the loop's callback. */
static int new_iteration(lua_State *L) {
  lh_user *u = lua_touserdata(L, 1);
  lua_State *co = lua_newthread(L);
  lh_set_user(co, u);
  lua_sethook(co, lh_count_hook, LUA_MASKCOUNT, LH_HOOK_STEP);
  lua_rawgeti(L, LUA_REGISTRYINDEX, u->sc->fn_ref);
  lua_rawgeti(L, LUA_REGISTRYINDEX, u->session_ref);
  lua_xmove(L, co, 2);
  return 1;
}

static void start_iteration(lh_user *u) {
  lh_host *h = u->host;
  if (stop_issuing(h) || (h->rate <= 0 && h->iterations && u->iteration >= h->iterations)) {
    u->finished = 1;
    return;
  }
  u->sc = lh_pick_scenario(h);
  u->iteration++;
  u->turn = 0;
  u->sc->iterations++;
  lua_State *L = h->L;
  lua_pushcfunction(L, new_iteration);
  lua_pushlightuserdata(L, u);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    lh_script_error(h, u, lua_tostring(L, -1));
    lua_pop(L, 1);
    u->finished = 1;
    return;
  }
  u->co = lua_tothread(L, -1);
  u->thread_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  lh_resume(u, 1);
}

static void on_iteration_timer(benchy_loop *loop, void *ud) {
  (void)loop;
  lh_user *u = ud;
  u->timer = 0;
  start_iteration(u);
}

static void on_iteration_deferred(loop_deferred *d) {
  start_iteration((lh_user *)(void *)((char *)d - offsetof(lh_user, next_iteration)));
}

static void schedule_next(lh_user *u, int64_t at_ns) {
  if (at_ns <= 0) {
    /* Now: from the loop's top, without a timer's syscalls (a closed loop
     * starts one iteration per iteration that ends). */
    u->next_iteration.run = on_iteration_deferred;
    loop_defer(u->host->loop, &u->next_iteration);
    return;
  }
  u->timer = benchy_loop_call_at(u->host->loop, at_ns, on_iteration_timer, u);
  if (!u->timer) u->finished = 1;
}

static int traceback_of(lua_State *L) {
  lua_State *co = lua_touserdata(L, 1);
  const char *msg = lua_tostring(L, 2);
  luaL_traceback(L, co, msg ? msg : "(error object is not a string)", 0);
  return 1;
}

void lh_resume(lh_user *u, int nargs) {
  lh_host *h = u->host;
  lua_State *co = u->co;
  u->instructions = 0;
  u->waiting = 0;
  int nres = 0;
  int st = lua_resume(co, h->L, nargs, &nres);
  if (st == LUA_YIELD) {
    lua_pop(co, nres);
    if (u->waiting) return;
    /* A yield that was not benchy's: nothing would ever resume it. */
    lh_script_error(h, u, "coroutine.yield() in a scenario: a user may only wait in benchy calls "
                          "(session:chat, benchy.sleep); use coroutine.wrap for your own coroutines");
  } else if (st == LUA_OK) {
    lua_pop(co, nres);
    lh_journal_iteration(u, 0);
    end_iteration(u);
    return;
  } else {
    lua_State *L = h->L;
    lua_pushcfunction(L, traceback_of);
    lua_pushlightuserdata(L, co);
    lua_pushstring(L, lua_tostring(co, -1) ? lua_tostring(co, -1) : "(error object is not a string)");
    if (lua_pcall(L, 2, 1, 0) == LUA_OK)
      lh_script_error(h, u, lua_tostring(L, -1));
    else
      lh_script_error(h, u, "error (and no memory left for its traceback)");
    lua_pop(L, 1);
  }
  u->sc->iterations_failed++;
  lh_journal_iteration(u, 1);
  end_iteration(u);
}

/* benchy.sleep(ms): think time on a loop timer; the loop never blocks. */
static void on_sleep_timer(benchy_loop *loop, void *ud) {
  (void)loop;
  lh_user *u = ud;
  u->timer = 0;
  lh_resume(u, 0);
}

int lh_sleep(lua_State *L) {
  double ms = luaL_checknumber(L, 1);
  lh_user *u = lh_user_of(L);
  if (!u || L != u->co)
    return luaL_error(L, "benchy.sleep: only inside a scenario (not at the top level, nor in a "
                         "coroutine of your own)");
  if (!(ms >= 0) || !isfinite(ms)) return luaL_error(L, "benchy.sleep: ms must be a number >= 0");
  u->timer = benchy_loop_call_at(u->host->loop, benchy_now_ns() + (int64_t)(ms * 1e6),
                                 on_sleep_timer, u);
  if (!u->timer) return luaL_error(L, "benchy.sleep: out of memory");
  u->waiting = 1;
  return lua_yield(L, 0);
}

/* ---- users ---- */

static int new_session_object(lua_State *L) {
  lh_user *u = lua_touserdata(L, 1);
  lh_user **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = u;
  luaL_setmetatable(L, SESSION_META);
  return 1;
}

static int grow_users(lh_host *h, size_t n, char *err, size_t errlen) {
  lh_user *users = calloc(n, sizeof *users);
  if (!users) {
    snprintf(err, errlen, "out of memory for %zu users", n);
    return BENCHY_ERR_NOMEM;
  }
  h->users = users;
  h->n_user_slots = n;
  for (size_t i = 0; i < n; i++) {
    lh_user *u = &users[i];
    u->host = h;
    u->index = i;
    u->thread_ref = LUA_NOREF;
    u->session_ref = LUA_NOREF;
    u->chunk_ref = LUA_NOREF;
    u->chunk_error_ref = LUA_NOREF;
    lua_pushcfunction(h->L, new_session_object);
    lua_pushlightuserdata(h->L, u);
    if (lua_pcall(h->L, 1, 1, 0) != LUA_OK) {
      snprintf(err, errlen, "%s: no memory for user %zu's session (%s)", h->script, i + 1,
               lua_tostring(h->L, -1));
      lua_pop(h->L, 1);
      return BENCHY_ERR_NOMEM;
    }
    u->session_ref = luaL_ref(h->L, LUA_REGISTRYINDEX);
  }
  return BENCHY_OK;
}

/* Open loop: the next arrival after `after` (exponential gaps). */
static int64_t next_arrival(lh_host *h, int64_t after) {
  h->rng ^= h->rng >> 12;
  h->rng ^= h->rng << 25;
  h->rng ^= h->rng >> 27;
  double x = (double)(((h->rng * 2685821657736338717ULL) >> 11) + 1) / 9007199254740993.0;
  return after + (int64_t)(-log(x) / h->rate * 1e9);
}

static void on_arrival(benchy_loop *loop, void *ud);

static void arrive(lh_host *h, int64_t at) {
  h->arrival_timer = 0;
  if (stop_issuing(h) || h->arrivals >= h->n_user_slots) return;
  lh_user *u = &h->users[h->arrivals++];
  u->arrival_ns = at;
  start_iteration(u);
  if (h->arrivals < h->n_user_slots && !stop_issuing(h)) {
    int64_t next = next_arrival(h, at);
    if (h->deadline_ns && next >= h->deadline_ns) return;
    h->arrival_next = next;
    h->arrival_timer = benchy_loop_call_at(h->loop, next, on_arrival, h);
  }
}

static void on_arrival(benchy_loop *loop, void *ud) {
  (void)loop;
  lh_host *h = ud;
  /* The timer fires at or after its time; the scheduled start is the time itself. */
  arrive(h, h->arrival_next);
}

int lh_users_start(lh_host *h, char *err, size_t errlen) {
  int64_t now = benchy_now_ns();
  h->t0 = now;
  if (h->deadline_ns) h->deadline_ns += now;
  if (h->rate > 0) {
    /* Each arrival gets a user slot; a duration-bounded run gets as many
     * as its rate can bring, with room for Poisson's spread. */
    uint64_t n = h->iterations;
    if (!n) {
      double expect = h->rate * (double)(h->deadline_ns - now) / 1e9;
      n = (uint64_t)(expect + 6 * sqrt(expect) + 16);
    }
    int st = grow_users(h, n, err, errlen);
    if (st != BENCHY_OK) return st;
    lh_resume_users(h);
    h->arrival_next = now;
    arrive(h, now);
    return BENCHY_OK;
  }
  int st = grow_users(h, h->n_users, err, errlen);
  if (st != BENCHY_OK) return st;
  lh_resume_users(h);
  for (size_t i = 0; i < h->n_users; i++) {
    int64_t at = now + (h->n_users > 1 ? h->ramp_ns * (int64_t)i / (int64_t)h->n_users : 0);
    schedule_next(&h->users[i], at);
  }
  return BENCHY_OK;
}

void lh_users_free(lh_host *h) {
  for (size_t i = 0; h->users && i < h->n_user_slots; i++) lh_tool_req_free(&h->users[i]);
  free(h->users);
  h->users = NULL;
}
