/*
 * lua_scenario.c — scenarios (benchy.scenario), per-scenario checks
 * (s:check) and script metrics (s:metric), and thresholds: parsed and
 * checked against the scenarios before anything is sent, judged on the
 * per-scenario aggregates after the run.
 */
#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lua_host.h"
#include "workload/run_progress.h"

static const char *const latency_metrics[] = {"ttft", "ttfr", "tpot", "itl", "e2el", "ttfs",
                                              "tool_result_ttft"};
/* Counts a threshold may name without a statistic: "greeting.failed". */
static const char *const count_metrics[] = {"requests", "failed", "errors", "checks_failed",
                                            "iterations", "tool_graded", "tool_valid_rate",
                                            "tool_unparsed_rate"};
#define N_LATENCY (sizeof latency_metrics / sizeof *latency_metrics)
#define N_COUNT (sizeof count_metrics / sizeof *count_metrics)

static int in_list(const char *name, const char *const *list, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!strcmp(name, list[i])) return 1;
  return 0;
}

/* benchy.scenario(name, fn [, {weight = 1, metrics = {"name", ...}}]) */
int lh_scenario_add(lua_State *L) {
  lh_host *h = lh_host_of(L);
  const char *name = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  if (lh_user_of(L)) return luaL_error(L, "benchy.scenario: define scenarios at the top of the script");
  if (!*name || strchr(name, '.'))
    return luaL_error(L, "benchy.scenario: name '%s' must be non-empty and without '.' (thresholds "
                         "are named scenario.metric.stat)", name);
  for (size_t i = 0; i < h->n_sc; i++)
    if (!strcmp(h->sc[i].name, name)) return luaL_error(L, "benchy.scenario: '%s' is defined twice", name);
  double weight = 1;
  int has_opts = lua_istable(L, 3);
  if (has_opts) {
    lua_getfield(L, 3, "weight");
    if (!lua_isnil(L, -1)) {
      if (!lua_isnumber(L, -1) || !(lua_tonumber(L, -1) > 0) || !isfinite(lua_tonumber(L, -1)))
        return luaL_error(L, "benchy.scenario '%s': weight must be a number > 0", name);
      weight = lua_tonumber(L, -1);
    }
    lua_pop(L, 1);
  }
  lh_scenario *grown = realloc(h->sc, (h->n_sc + 1) * sizeof *grown);
  if (!grown) return luaL_error(L, "out of memory");
  h->sc = grown;
  lh_scenario *s = &h->sc[h->n_sc];
  memset(s, 0, sizeof *s);
  s->name = benchy_strdup(name);
  if (!s->name) return luaL_error(L, "out of memory");
  s->weight = weight;
  h->n_sc++;
  h->total_weight += weight;
  if (has_opts) {
    lua_getfield(L, 3, "metrics");
    if (lua_istable(L, -1)) {
      size_t n = (size_t)lua_rawlen(L, -1);
      s->declared = calloc(n ? n : 1, sizeof *s->declared);
      if (!s->declared) return luaL_error(L, "out of memory");
      for (size_t i = 1; i <= n; i++) {
        lua_rawgeti(L, -1, (lua_Integer)i);
        const char *m = lua_tostring(L, -1);
        if (m && !(s->declared[s->n_declared++] = benchy_strdup(m))) return luaL_error(L, "out of memory");
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  lua_pushvalue(L, 2);
  s->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

lh_scenario *lh_pick_scenario(lh_host *h) {
  /* Smooth weighted round robin (as nginx balances upstreams): every pick
   * credits each scenario its weight and takes the total from the one with
   * the most credit. Weights 3:1 give a b a a | a b a a ..., equal weights
   * take the scenarios in order, so the first N iterations of a run cover
   * all N scenarios and every row of the table has requests — a random draw
   * left rows empty in short runs, and the mix is exact at any length. */
  lh_scenario *best = &h->sc[0];
  for (size_t i = 0; i < h->n_sc; i++) {
    h->sc[i].turn_credit += h->sc[i].weight;
    if (h->sc[i].turn_credit > best->turn_credit) best = &h->sc[i];
  }
  best->turn_credit -= h->total_weight;
  return best;
}

/* How many picks, from the start, until every scenario has had one. */
static uint64_t picks_to_cover_all(const lh_host *h) {
  double *credit = calloc(h->n_sc, sizeof *credit);
  char *seen = calloc(h->n_sc, 1);
  size_t unseen = h->n_sc;
  uint64_t picks = 0;
  if (!credit || !seen) unseen = 0;
  while (unseen && picks < 1000000) {
    size_t best = 0;
    for (size_t i = 0; i < h->n_sc; i++) {
      credit[i] += h->sc[i].weight;
      if (credit[i] > credit[best]) best = i;
    }
    credit[best] -= h->total_weight;
    picks++;
    if (!seen[best]) seen[best] = 1, unseen--;
  }
  free(credit);
  free(seen);
  return picks;
}

void lh_warn_unrun_scenarios(lh_host *h, cJSON *doc) {
  uint64_t iterations = 0;
  size_t unrun = 0;
  char names[256] = "";
  for (size_t i = 0; i < h->n_sc; i++) {
    iterations += h->sc[i].iterations;
    if (h->sc[i].iterations) continue;
    size_t len = strlen(names);
    if (len < sizeof names - 1)
      snprintf(names + len, sizeof names - len, "%s%s", unrun ? ", " : "", h->sc[i].name);
    unrun++;
  }
  if (!unrun) return;
  char text[768];
  snprintf(text, sizeof text,
           "%zu of %zu scenarios never ran (%s): the run made %llu iteration%s, and the weights "
           "take %llu to reach every scenario; give more (--iterations N per user, --users, or "
           "--duration) so every row has figures",
           unrun, h->n_sc, names, (unsigned long long)iterations, iterations == 1 ? "" : "s",
           (unsigned long long)picks_to_cover_all(h));
  run_warning("%s", text);
  cJSON *warnings = cJSON_AddArrayToObject(doc, "warnings");
  if (warnings) cJSON_AddItemToArray(warnings, cJSON_CreateString(text));
}

static lh_user *running_user(lua_State *L, const char *what) {
  lh_user *u = lh_user_of(L);
  if (!u || !u->sc) luaL_error(L, "%s: only inside a scenario, while a user runs it", what);
  return u;
}

/* s:check(cond, "message"): counted per scenario and message; never stops. */
int lh_check_fn(lua_State *L) {
  lh_user *u = running_user(L, "s:check");
  int ok = lua_toboolean(L, 2);
  const char *msg = luaL_checkstring(L, 3);
  lh_scenario *s = u->sc;
  lh_check *c = NULL;
  for (size_t i = 0; i < s->n_checks && !c; i++)
    if (!strcmp(s->checks[i].name, msg)) c = &s->checks[i];
  if (!c) {
    lh_check *grown = realloc(s->checks, (s->n_checks + 1) * sizeof *grown);
    if (!grown) return luaL_error(L, "out of memory");
    s->checks = grown;
    c = &s->checks[s->n_checks];
    c->name = benchy_strdup(msg);
    if (!c->name) return luaL_error(L, "out of memory");
    c->passed = c->failed = 0;
    s->n_checks++;
  }
  if (ok)
    c->passed++;
  else
    c->failed++;
  lua_pushboolean(L, ok);
  return 1;
}

/* s:metric("name", value): a distribution per scenario and name. */
int lh_metric_add(lua_State *L) {
  lh_user *u = running_user(L, "s:metric");
  const char *name = luaL_checkstring(L, 2);
  double v = luaL_checknumber(L, 3);
  if (!isfinite(v)) return luaL_error(L, "s:metric('%s'): the value must be finite", name);
  if (in_list(name, latency_metrics, N_LATENCY) || in_list(name, count_metrics, N_COUNT))
    return luaL_error(L, "s:metric: '%s' is a built-in metric's name; choose another", name);
  lh_scenario *s = u->sc;
  lh_metric *m = NULL;
  for (size_t i = 0; i < s->n_metrics && !m; i++)
    if (!strcmp(s->metrics[i].name, name)) m = &s->metrics[i];
  if (!m) {
    lh_metric *grown = realloc(s->metrics, (s->n_metrics + 1) * sizeof *grown);
    if (!grown) return luaL_error(L, "out of memory");
    s->metrics = grown;
    m = &s->metrics[s->n_metrics];
    memset(m, 0, sizeof *m);
    m->name = benchy_strdup(name);
    if (!m->name || benchy_hist_new(&m->hist, 8) != BENCHY_OK) {
      free(m->name);
      return luaL_error(L, "out of memory");
    }
    benchy_moments_init(&m->m);
    s->n_metrics++;
  }
  benchy_moments_add(&m->m, v);
  benchy_hist_add(m->hist, v > 0 ? (int64_t)llround(v * 1000) : 0);
  return 0;
}

/* ---- thresholds ---- */

static int parse_stat(const char *stat, double *p) {
  if (!strcmp(stat, "mean") || !strcmp(stat, "min") || !strcmp(stat, "max") ||
      !strcmp(stat, "median") || !strcmp(stat, "count")) {
    *p = -1;
    return 0;
  }
  if (stat[0] != 'p' || !stat[1]) return -1;
  char *end;
  double v = strtod(stat + 1, &end);
  if (*end || !(v >= 0 && v <= 100)) return -1;
  *p = v;
  return 0;
}

static int parse_expr(const char *expr, int *op, double *limit) {
  const char *s = expr;
  while (*s == ' ') s++;
  if (s[0] == '<' && s[1] == '=') *op = 'l', s += 2;
  else if (s[0] == '>' && s[1] == '=') *op = 'g', s += 2;
  else if (s[0] == '=' && s[1] == '=') *op = '=', s += 2;
  else if (*s == '<' || *s == '>') *op = *s++;
  else return -1;
  char *end;
  *limit = strtod(s, &end);
  if (end == s || !isfinite(*limit)) return -1;
  while (*end == ' ') end++;
  return *end ? -1 : 0;
}

static int add_percentile(lh_host *h, double p) {
  for (size_t i = 0; i < h->n_percentiles; i++)
    if (h->percentiles[i] == p) return 0;
  double *grown = realloc(h->percentiles, (h->n_percentiles + 1) * sizeof *grown);
  if (!grown) return -1;
  h->percentiles = grown;
  h->percentiles[h->n_percentiles++] = p;
  return 0;
}

/* Reads the script's global `thresholds` table. Every entry must name a
 * scenario, a metric it has and a statistic, and compare with a number:
 * anything else is an error now, never a silent pass later. */
int lh_thresholds_parse(lh_host *h, char *err, size_t errlen) {
  static const double defaults[] = {50, 90, 95, 99};
  for (size_t i = 0; i < 4; i++)
    if (add_percentile(h, defaults[i]) != 0) return BENCHY_ERR_NOMEM;
  lua_State *L = h->L;
  lua_getglobal(L, "thresholds");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return BENCHY_OK;
  }
  if (!lua_istable(L, -1)) {
    snprintf(err, errlen, "%s: thresholds must be a table of \"scenario.metric.stat\" = \"< N\"",
             h->script);
    lua_pop(L, 1);
    return BENCHY_ERR_INVALID;
  }
  int st = BENCHY_OK;
  lua_pushnil(L);
  while (st == BENCHY_OK && lua_next(L, -2)) {
    const char *key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : NULL;
    const char *expr = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lh_threshold t;
    memset(&t, 0, sizeof t);
    if (!key || !expr) {
      snprintf(err, errlen, "%s: each threshold is \"scenario.metric.stat\" = \"< N\" (strings)",
               h->script);
      st = BENCHY_ERR_INVALID;
      lua_pop(L, 1);
      break;
    }
    if (parse_expr(expr, &t.op, &t.limit) != 0) {
      snprintf(err, errlen, "%s: threshold %s = \"%s\" does not parse: use <, <=, >, >= or == and "
                            "a number, e.g. \"< 300\"", h->script, key, expr);
      st = BENCHY_ERR_INVALID;
      lua_pop(L, 1);
      break;
    }
    char *copy = benchy_strdup(key);
    if (!copy) {
      st = BENCHY_ERR_NOMEM;
      lua_pop(L, 1);
      break;
    }
    char *dot1 = strchr(copy, '.');
    char *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
    if (dot1) *dot1 = '\0';
    if (dot2) *dot2 = '\0';
    size_t sc = h->n_sc;
    for (size_t i = 0; i < h->n_sc; i++)
      if (!strcmp(h->sc[i].name, copy)) sc = i;
    const char *metric = dot1 ? dot1 + 1 : "";
    const char *stat = dot2 ? dot2 + 1 : "";
    double p = -1;
    int known_metric = 0, ok_stat = 0;
    if (sc < h->n_sc) {
      if (in_list(metric, count_metrics, N_COUNT)) {
        known_metric = 1;
        ok_stat = !dot2;
      } else {
        known_metric = in_list(metric, latency_metrics, N_LATENCY);
        for (size_t i = 0; !known_metric && i < h->sc[sc].n_declared; i++)
          known_metric = !strcmp(h->sc[sc].declared[i], metric);
        ok_stat = dot2 && parse_stat(stat, &p) == 0;
        if (!strcmp(stat, "count") && in_list(metric, latency_metrics, N_LATENCY)) ok_stat = 0;
      }
    }
    if (sc >= h->n_sc) {
      snprintf(err, errlen, "%s: threshold %s names no scenario of this script ('%s')", h->script,
               key, copy);
      st = BENCHY_ERR_INVALID;
    } else if (!known_metric) {
      snprintf(err, errlen, "%s: threshold %s names an unknown metric '%s': use ttft, ttfr, tpot, "
                            "itl, e2el, ttfs, tool_result_ttft (with a statistic), requests, "
                            "failed, errors, checks_failed, iterations, tool_graded, "
                            "tool_valid_rate, tool_unparsed_rate, or a metric the scenario declares "
                            "(benchy.scenario(name, fn, {metrics = {\"%s\"}}))",
               h->script, key, metric, metric);
      st = BENCHY_ERR_INVALID;
    } else if (!ok_stat) {
      snprintf(err, errlen, "%s: threshold %s: '%s' takes %s", h->script, key, metric,
               in_list(metric, count_metrics, N_COUNT)
                   ? "no statistic (e.g. \"greeting.failed\")"
                   : "a statistic: pN (p99, p99.9), mean, median, min, max (custom metrics: count too)");
      st = BENCHY_ERR_INVALID;
    }
    if (st == BENCHY_OK && p >= 0 && add_percentile(h, p) != 0) st = BENCHY_ERR_NOMEM;
    if (st == BENCHY_OK) {
      lh_threshold *grown = realloc(h->th, (h->n_th + 1) * sizeof *grown);
      t.key = benchy_strdup(key);
      t.expr = benchy_strdup(expr);
      t.metric = benchy_strdup(metric);
      t.stat = benchy_strdup(stat);
      t.scenario = sc;
      if (!grown || !t.key || !t.expr || !t.metric || !t.stat) {
        free(t.key), free(t.expr), free(t.metric), free(t.stat);
        if (grown) h->th = grown;
        st = BENCHY_ERR_NOMEM;
      } else {
        h->th = grown;
        h->th[h->n_th++] = t;
      }
    }
    free(copy);
    lua_pop(L, 1);
  }
  if (st != BENCHY_OK) lua_pop(L, 1); /* the key lua_next would have taken */
  lua_pop(L, 1);
  return st;
}

/* The scenarios' collectors, once the percentiles are known. */
int lh_scenarios_ready(lh_host *h, char *err, size_t errlen) {
  if (h->n_sc == 0) {
    snprintf(err, errlen, "%s defines no scenario: add benchy.scenario(\"name\", function(s) ... end)",
             h->script);
    return BENCHY_ERR_INVALID;
  }
  benchy_collector_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.percentiles = h->percentiles;
  cfg.n_percentiles = h->n_percentiles;
  cfg.ddof = 0;
  for (size_t i = 0; i < h->n_sc; i++)
    if (benchy_collector_new(&h->sc[i].coll, &cfg) != BENCHY_OK) return BENCHY_ERR_NOMEM;
  return BENCHY_OK;
}

static double custom_stat(const lh_metric *m, const char *stat) {
  if (!strcmp(stat, "count")) return (double)m->m.n;
  if (!m->m.n) return NAN;
  if (!strcmp(stat, "mean")) return benchy_moments_mean(&m->m);
  if (!strcmp(stat, "min")) return m->m.min;
  if (!strcmp(stat, "max")) return m->m.max;
  double p = 50;
  if (strcmp(stat, "median")) p = strtod(stat + 1, NULL);
  return (double)benchy_hist_percentile(m->hist, p) / 1000.0;
}

static double num_of(const cJSON *o, const char *key) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* Judges every threshold on aggregates[i] (one object per scenario) and
 * writes the verdicts into them; returns how many failed. A figure that
 * does not exist (no request ever succeeded) fails its threshold. */
int lh_thresholds_judge(lh_host *h, cJSON *aggregates) {
  int failed = 0;
  for (size_t i = 0; i < h->n_th; i++) {
    lh_threshold *t = &h->th[i];
    lh_scenario *s = &h->sc[t->scenario];
    const cJSON *agg = cJSON_GetArrayItem(aggregates, (int)t->scenario);
    double v = NAN;
    if (in_list(t->metric, count_metrics, N_COUNT)) {
      if (!strcmp(t->metric, "requests")) v = num_of(agg, "completed") + num_of(agg, "failed");
      else if (!strcmp(t->metric, "failed")) v = num_of(agg, "failed");
      else if (!strcmp(t->metric, "errors")) v = (double)s->iterations_failed;
      else if (!strcmp(t->metric, "iterations")) v = (double)s->iterations;
      else if (strncmp(t->metric, "tool_", 5) == 0) v = num_of(agg, t->metric); /* lua_turns.c's */
      else {
        v = 0;
        for (size_t c = 0; c < s->n_checks; c++) v += (double)s->checks[c].failed;
      }
    } else if (in_list(t->metric, latency_metrics, N_LATENCY)) {
      char key[96];
      if (t->stat[0] == 'p') {
        benchy_percentile_key(key, sizeof key, strtod(t->stat + 1, NULL), t->metric, "ms");
      } else {
        snprintf(key, sizeof key, "%s_%s_ms", t->stat, t->metric);
      }
      v = num_of(agg, key);
    } else {
      for (size_t m = 0; m < s->n_metrics; m++)
        if (!strcmp(s->metrics[m].name, t->metric)) v = custom_stat(&s->metrics[m], t->stat);
      if (isnan(v) && !strcmp(t->stat, "count")) v = 0;
    }
    int ok = 0;
    if (!isnan(v)) {
      switch (t->op) {
      case '<': ok = v < t->limit; break;
      case 'l': ok = v <= t->limit; break;
      case '>': ok = v > t->limit; break;
      case 'g': ok = v >= t->limit; break;
      default: ok = v == t->limit; break;
      }
    }
    t->value = v;
    t->ok = ok;
    failed += !ok;
  }
  return failed;
}

void lh_scenarios_reset_run(lh_host *h) {
  for (size_t i = 0; i < h->n_sc; i++) {
    lh_scenario *s = &h->sc[i];
    benchy_collector_free(s->coll);
    s->coll = NULL;
    s->iterations = s->iterations_failed = 0;
    s->turn_credit = 0;
    for (size_t c = 0; c < s->n_checks; c++) free(s->checks[c].name);
    free(s->checks);
    s->checks = NULL;
    s->n_checks = 0;
    for (size_t m = 0; m < s->n_metrics; m++) {
      free(s->metrics[m].name);
      benchy_hist_free(s->metrics[m].hist);
    }
    free(s->metrics);
    s->metrics = NULL;
    s->n_metrics = 0;
    lh_turns_free(s->turns);
    s->turns = NULL;
  }
  for (size_t i = 0; i < h->n_th; i++) {
    free(h->th[i].key), free(h->th[i].expr), free(h->th[i].metric), free(h->th[i].stat);
  }
  free(h->th);
  h->th = NULL;
  h->n_th = 0;
  free(h->percentiles);
  h->percentiles = NULL;
  h->n_percentiles = 0;
}

void lh_scenarios_free(lh_host *h) {
  lh_scenarios_reset_run(h);
  for (size_t i = 0; i < h->n_sc; i++) {
    free(h->sc[i].name);
    for (size_t d = 0; d < h->sc[i].n_declared; d++) free(h->sc[i].declared[d]);
    free(h->sc[i].declared);
  }
  free(h->sc);
}
