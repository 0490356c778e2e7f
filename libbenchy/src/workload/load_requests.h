/*
 * load_requests.h — what a level of `benchy load` sends (load_requests.c):
 * its dataset items and each one's request body, all built before the
 * level's clock starts so that nothing slow happens while requests are
 * timed.
 */
#ifndef BENCHY_WORKLOAD_LOAD_REQUESTS_H
#define BENCHY_WORKLOAD_LOAD_REQUESTS_H

#include <stddef.h>

#include "load_plan.h"

typedef struct level_requests {
  char **bodies;              /* pool; request i sends bodies[i % n_bodies] */
  const dataset_item **items; /* bodies[i] was made from items[i] */
  size_t n_bodies;
  int synthetic;              /* texts made by prompt.h, sized by the server's count */
} level_requests;

/* Prompts and bodies for n requests of level number `level` (or of its
 * warm-up, when warmup): synthetic texts are kept in synth. On failure what
 * was built stays in out for load_requests_free. */
BENCHY_INTERNAL int load_prepare_requests(load_plan *p, size_t level, size_t n, int warmup,
                                          dataset *synth, level_requests *out, char *err,
                                          size_t errlen);
BENCHY_INTERNAL void load_requests_free(level_requests *r);

#endif
