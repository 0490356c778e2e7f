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

#include "../util.h"

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
