/*
 * The blocking "run this workload" calls behind `benchy bench` and
 * `benchy load` (and the Python binding, which releases the GIL around
 * them). Options are the BENCHY_CMD_BENCH / BENCHY_CMD_LOAD rows of the
 * option table.
 *
 * Both honour benchy_interrupt() (the CLI calls it on SIGINT and SIGTERM): in-flight
 * requests are cancelled, every completed record is kept (and was already
 * appended to --jsonl), and the result's status is BENCHY_ERR_CANCELLED.
 */
#ifndef BENCHY_WORKLOAD_H
#define BENCHY_WORKLOAD_H

#include "benchy/export.h"

#include <stddef.h>

#include "benchy/options.h"
#include "benchy/result.h"

#ifdef __cplusplus
extern "C" {
#endif


/* On failure before anything ran (server down, bad model name, context too
 * small), *out is NULL and err says what happened and what to do. When the
 * run started, *out holds the result even if the run was interrupted. */
BENCHY_API int benchy_bench_run(const benchy_options *opts, benchy_result **out, char *err,
                                size_t errlen);
BENCHY_API int benchy_load_run(const benchy_options *opts, benchy_result **out, char *err,
                               size_t errlen);

/* Async-signal-safe: stops whatever workload runs in this process. */
BENCHY_API void benchy_interrupt(void);
/* Allows runs again after an interrupt (called at the start of each run too). */
BENCHY_API void benchy_clear_interrupt(void);

#ifdef __cplusplus
}
#endif
#endif
