/*
 * The blocking "run this workload" calls behind `benchy bench` and
 * `benchy load`. Options are the BENCHY_CMD_BENCH / BENCHY_CMD_LOAD rows
 * of the option table. Each is a thin wrapper over a run handle (run.h:
 * new, execute, take the result, free) with no progress callback; use the
 * handle for progress, a run on a thread of its own, or a per-run cancel.
 *
 * Both honour benchy_interrupt() (the CLI calls it on SIGINT and SIGTERM)
 * in every phase, within one wake-up of the event loop: in-flight requests
 * are cancelled, every completed record is kept (and was already appended
 * to --jsonl), and the result's status is BENCHY_ERR_CANCELLED. Interrupted
 * before the first measured request (model check, tokenizer probes,
 * latency, warm-up), the run returns BENCHY_ERR_CANCELLED with *out NULL
 * and err naming the phase it stopped in.
 *
 * The requests that check the server and size prompts (/v1/models, /props,
 * /tokenize, /apply-template, the latency probe) are bounded by the
 * probe-timeout option; one that gets no answer in time fails the run with
 * BENCHY_ERR_TIMEOUT, err naming the request and the option to raise.
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

/* `benchy run SCRIPT.lua --help`: runs the script's top level (opts'
 * "script"; nothing is sent) and writes the options it declares with
 * benchy.option{} to f (a FILE*). BENCHY_ERR_SCRIPT and err when the
 * script does not load; BENCHY_ERR_UNSUPPORTED without Lua. */
BENCHY_API int benchy_script_write_help(const benchy_options *opts, void *f, char *err, size_t errlen);

/* Async-signal-safe and thread-safe: cancels every run live in this
 * process (benchy_run_cancel() cancels one). One that comes while no run
 * is live stops the next run as it starts, so a Ctrl-C during a program's
 * own startup is not lost. */
BENCHY_API void benchy_interrupt(void);
/* Drops a pending interrupt. A run it cancelled clears it as it returns
 * (an interrupted run leaves none behind: the next run proceeds); runs do
 * not clear it as they start. */
BENCHY_API void benchy_clear_interrupt(void);

#ifdef __cplusplus
}
#endif
#endif
