/*
 * arrivals.c — see arrivals.h. Gaps come from splitmix64 (util.h) so a seed
 * gives the same schedule on every platform; gamma variates by Marsaglia and
 * Tsang's squeeze method, with the shape < 1 boost (G(k) = G(k+1) U^(1/k)).
 */
#include "arrivals.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "benchy/benchy.h"

int arrivals_kind_from_name(const char *name) {
  if (!name) return -1;
  if (!strcmp(name, "poisson")) return ARRIVAL_POISSON;
  if (!strcmp(name, "gamma")) return ARRIVAL_GAMMA;
  if (!strcmp(name, "constant")) return ARRIVAL_CONSTANT;
  return -1;
}

const char *arrivals_kind_name(int kind) {
  switch (kind) {
  case ARRIVAL_POISSON:
    return "poisson";
  case ARRIVAL_GAMMA:
    return "gamma";
  case ARRIVAL_CONSTANT:
    return "constant";
  default:
    return "unknown";
  }
}

int arrivals_parse_rate(const char *text, double *rate) {
  if (!text) return -1;
  while (*text == ' ') text++;
  if (!strcasecmp(text, "inf") || !strcasecmp(text, "infinity")) {
    *rate = INFINITY;
    return 0;
  }
  char *end;
  double d = strtod(text, &end);
  if (end == text) return -1;
  while (*end == ' ') end++;
  if (*end || !(d > 0) || isnan(d)) return -1;
  *rate = d;
  return 0;
}

int arrivals_all_at_once(const arrival_config *cfg) {
  return !(cfg->rate > 0) || isinf(cfg->rate);
}

int arrivals_init(arrival_gen *g, const arrival_config *cfg, char *err, size_t errlen) {
  memset(g, 0, sizeof *g);
  if (isnan(cfg->rate)) {
    if (err) snprintf(err, errlen, "request rate is not a number; give requests per second or inf");
    return BENCHY_ERR_INVALID;
  }
  if (cfg->kind < ARRIVAL_POISSON || cfg->kind > ARRIVAL_CONSTANT) {
    if (err) snprintf(err, errlen, "unknown arrival process %d; use poisson, gamma or constant", cfg->kind);
    return BENCHY_ERR_INVALID;
  }
  if (cfg->kind == ARRIVAL_GAMMA && !(cfg->shape > 0 && isfinite(cfg->shape))) {
    if (err) snprintf(err, errlen, "--burstiness must be a positive number (got %g)", cfg->shape);
    return BENCHY_ERR_INVALID;
  }
  if (!(cfg->ramp_up_s >= 0) || isinf(cfg->ramp_up_s)) {
    if (err) snprintf(err, errlen, "--ramp-up must be a non-negative number of seconds (got %g)",
                      cfg->ramp_up_s);
    return BENCHY_ERR_INVALID;
  }
  g->cfg = *cfg;
  /* Mixed once so that nearby seeds (1, 2, 3) do not start nearby streams. */
  g->rng = cfg->seed ^ 0xA5A5F00DC0FFEE11ull;
  benchy_rand_next(&g->rng);
  return BENCHY_OK;
}

/* (0, 1]: safe to take the log of. */
static double unit_open(arrival_gen *g) { return 1.0 - benchy_rand_unit(&g->rng); }

static double std_normal(arrival_gen *g) {
  if (g->has_spare) {
    g->has_spare = 0;
    return g->spare;
  }
  double r = sqrt(-2.0 * log(unit_open(g)));
  double a = 2.0 * M_PI * benchy_rand_unit(&g->rng);
  g->spare = r * sin(a);
  g->has_spare = 1;
  return r * cos(a);
}

/* Gamma(shape, 1) for shape >= 1. */
static double gamma_ge1(arrival_gen *g, double shape) {
  double d = shape - 1.0 / 3.0;
  double c = 1.0 / sqrt(9.0 * d);
  for (;;) {
    double x = std_normal(g);
    double v = 1.0 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = unit_open(g);
    double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v;
    if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v;
  }
}

static double gamma_variate(arrival_gen *g, double shape) {
  if (shape >= 1.0) return gamma_ge1(g, shape);
  double u = unit_open(g);
  return gamma_ge1(g, shape + 1.0) * pow(u, 1.0 / shape);
}

double arrivals_unit_gap(arrival_gen *g) {
  switch (g->cfg.kind) {
  case ARRIVAL_GAMMA:
    return gamma_variate(g, g->cfg.shape) / g->cfg.shape;
  case ARRIVAL_CONSTANT:
    return 1.0;
  default:
    return -log(unit_open(g));
  }
}

/* Inverse of the cumulative rate: the time by which s arrivals are due. */
static double time_of_count(const arrival_config *c, double s) {
  double R = c->ramp_up_s;
  if (R <= 0) return s / c->rate;
  double ramp_count = c->rate * R / 2.0; /* arrivals expected during the ramp */
  if (s < ramp_count) return sqrt(2.0 * R * s / c->rate);
  return s / c->rate + R / 2.0;
}

int64_t arrivals_next(arrival_gen *g) {
  if (arrivals_all_at_once(&g->cfg)) {
    g->n++;
    return 0;
  }
  if (g->n > 0) g->s += arrivals_unit_gap(g);
  g->n++;
  double t = time_of_count(&g->cfg, g->s) * 1e9;
  /* A schedule past ~292 years is a configuration error upstream; clamp
   * rather than overflow. */
  if (!(t < 9.0e18)) return INT64_MAX / 2;
  return (int64_t)llround(t);
}
