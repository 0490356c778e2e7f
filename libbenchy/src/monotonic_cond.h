/*
 * monotonic_cond.h — a mutex and a condition variable whose timed waits
 * count on CLOCK_MONOTONIC (deadlines from benchy_now_ns), so that a jump
 * of the wall clock neither cuts a wait short nor stretches it.
 */
#ifndef BENCHY_MONOTONIC_COND_H
#define BENCHY_MONOTONIC_COND_H

#include <pthread.h>

#include "util.h"

BENCHY_INTERNAL void benchy_monotonic_cond_init(pthread_mutex_t *mu, pthread_cond_t *cv);

#endif
