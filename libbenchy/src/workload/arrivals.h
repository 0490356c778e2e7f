/*
 * arrivals.h — seeded arrival schedules for open-loop load: the intended
 * send time of every request, as an offset in ns from the level's start.
 *
 * How a schedule is made. Unit-mean gaps are drawn (exponential for
 * Poisson, gamma with shape k and scale 1/k, or 1 for constant) and summed,
 * giving arrival "counts" s_0 = 0, s_1, s_2, ... The count is then mapped to
 * time through the inverse of the cumulative rate Λ(t) = ∫ rate(u) du:
 * without ramp-up t = s / rate; with a linear ramp from 0 to rate over R
 * seconds Λ(t) = rate t² / 2R for t < R, so t = sqrt(2 R s / rate), and
 * after it t = s / rate + R / 2. Changing the rate only rescales time,
 * which keeps the shape of the process (its CV) intact through the ramp.
 *
 * The first request goes at offset 0 (as vLLM's does): a measurement should
 * not begin with an idle gap. A rate of +inf (or <= 0) puts every request at
 * offset 0; the concurrency limit then decides when each actually goes.
 */
#ifndef BENCHY_WORKLOAD_ARRIVALS_H
#define BENCHY_WORKLOAD_ARRIVALS_H

#include <stddef.h>
#include <stdint.h>

#include "../util.h"

typedef enum arrival_kind {
  ARRIVAL_POISSON = 0,
  ARRIVAL_GAMMA = 1,
  ARRIVAL_CONSTANT = 2
} arrival_kind;

typedef struct arrival_config {
  int kind;         /* arrival_kind */
  double rate;      /* requests per second; +inf or <= 0: all at once */
  double shape;     /* gamma shape k (--burstiness); CV of the gaps is 1/sqrt(k) */
  double ramp_up_s; /* linear ramp of the rate from 0 over this long; 0 = none */
  uint64_t seed;
} arrival_config;

/* A generator: call arrivals_next() for each request in order. A plain
 * value, no allocation. */
typedef struct arrival_gen {
  arrival_config cfg;
  uint64_t rng;
  double s;       /* arrivals counted so far (sum of unit-mean gaps) */
  uint64_t n;     /* arrivals handed out */
  int has_spare;  /* Box-Muller gives normals in pairs */
  double spare;
} arrival_gen;

/* Checks the configuration: BENCHY_ERR_INVALID with err filled when a rate,
 * shape or ramp is unusable (NaN, negative shape, ...). */
BENCHY_INTERNAL int arrivals_init(arrival_gen *g, const arrival_config *cfg, char *err,
                                  size_t errlen);
/* Offset of the next arrival from the start, in ns (non-decreasing). */
BENCHY_INTERNAL int64_t arrivals_next(arrival_gen *g);
/* 1 when every arrival is at offset 0 (rate inf). */
BENCHY_INTERNAL int arrivals_all_at_once(const arrival_config *cfg);

/* One unit-mean gap of the given kind: exposed for the statistical tests. */
BENCHY_INTERNAL double arrivals_unit_gap(arrival_gen *g);

/* "poisson" / "gamma" / "constant" → kind; -1 for anything else. */
BENCHY_INTERNAL int arrivals_kind_from_name(const char *name);
BENCHY_INTERNAL const char *arrivals_kind_name(int kind);

/* Parses one --request-rate item: a positive number or "inf". Returns 0 and
 * sets *rate (INFINITY for inf), or -1. */
BENCHY_INTERNAL int arrivals_parse_rate(const char *text, double *rate);

#endif
