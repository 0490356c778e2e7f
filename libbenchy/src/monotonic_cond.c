/*
 * monotonic_cond.c — see monotonic_cond.h.
 */
#include "monotonic_cond.h"

#include <time.h>

void benchy_monotonic_cond_init(pthread_mutex_t *mu, pthread_cond_t *cv) {
  pthread_mutex_init(mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(cv, &attr);
  pthread_condattr_destroy(&attr);
}
