/*
 * py_wait.c — how the extension's files wait on the library's threads:
 * condition variables on CLOCK_MONOTONIC (a wall-clock jump neither cuts a
 * wait short nor stretches it) and waits in short slices, so that Python
 * sees Ctrl-C between them.
 */
#include "benchy_py.h"

#include <time.h>

void bpy_monotonic_cond_init(pthread_mutex_t *mu, pthread_cond_t *cv) {
  pthread_mutex_init(mu, NULL);
  pthread_condattr_t attr;
  pthread_condattr_init(&attr);
  pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
  pthread_cond_init(cv, &attr);
  pthread_condattr_destroy(&attr);
}

struct timespec bpy_slice_deadline(void) {
  struct timespec until;
  clock_gettime(CLOCK_MONOTONIC, &until);
  until.tv_nsec += BPY_SLICE_NS;
  if (until.tv_nsec >= 1000000000L) until.tv_sec++, until.tv_nsec -= 1000000000L;
  return until;
}
