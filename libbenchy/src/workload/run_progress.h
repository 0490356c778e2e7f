/*
 * run_progress.h — how workload code reports progress to the run executing
 * on the calling thread (benchy_run's progress callback). The library never
 * prints: these are its only way to tell a person something.
 *
 * Each call is a no-op on a thread that executes no run (runner workers
 * when --threads > 1, unit tests of internal modules), so workload code
 * calls them unconditionally. Text is scrubbed of the run's secrets.
 */
#ifndef BENCHY_WORKLOAD_RUN_PROGRESS_H
#define BENCHY_WORKLOAD_RUN_PROGRESS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

/* A run's progress as its callback sees it. Touched only on the thread the
 * reporter is bound to (the run's), so it needs no lock. */
typedef struct run_reporter {
  benchy_progress_fn fn;
  void *ud;
  const benchy_options *opts; /* whose secrets every message is scrubbed of */
  int64_t t_start;
  int64_t t_last_requests;
  const char *phase;
  size_t index, count;
  uint64_t done_before, failed_before; /* finished batches */
  uint64_t done, failed, in_flight;    /* totals as last reported */
} run_reporter;

BENCHY_INTERNAL void run_reporter_init(run_reporter *r, const benchy_options *opts);
/* Makes r the calling thread's reporter (NULL: none) and starts its clock;
 * returns the one it replaces, to bind again afterwards. */
BENCHY_INTERNAL run_reporter *run_reporter_bind(run_reporter *r);
/* The run's last event: DONE, with its status and error text. */
BENCHY_INTERNAL void run_reporter_done(run_reporter *r, int status, const char *error);

/* A phase (or row, or level) starts; fmt may be NULL for no message. */
BENCHY_INTERNAL void run_phase(const char *phase, size_t index, size_t count, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
BENCHY_INTERNAL void run_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
BENCHY_INTERNAL void run_vmessage(const char *fmt, va_list ap);
BENCHY_INTERNAL void run_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The runner's counts for its current batch of requests (they start at 0
 * for each runner_run): reported at most every 100 ms unless batch_over,
 * which folds them into the run's totals. */
BENCHY_INTERNAL void run_progress_requests(uint64_t done, uint64_t failed, uint64_t in_flight, int batch_over);

#endif
