/*
 * startup.h — what bench and load share before their first measured
 * request: how long an auxiliary probe (/v1/models, /tokenize,
 * /apply-template, /props, the latency probe) may take, and what a user is
 * told when one got no answer or the startup was interrupted.
 */
#ifndef BENCHY_WORKLOAD_STARTUP_H
#define BENCHY_WORKLOAD_STARTUP_H

#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

/* --probe-timeout in ms, never longer than --timeout; 0 when neither bounds
 * it. A server that stalls then costs seconds, not --timeout, before the
 * first measured request. */
BENCHY_INTERNAL int64_t startup_probe_timeout_ms(const benchy_options *opts);

/* When status is BENCHY_ERR_TIMEOUT, appends to err (which already names
 * the request that got no answer) which option to raise: --probe-timeout,
 * or --timeout when that is the lower. Other statuses leave err as it is. */
BENCHY_INTERNAL void startup_explain_timeout(char *err, size_t errlen, int status,
                                             const benchy_options *opts);

/* Sets err for a run interrupted while `phase` ("checking the server",
 * ...), before anything was measured; jsonl_path, when given, is the
 * --jsonl file, which keeps what it already held. */
BENCHY_INTERNAL void startup_interrupted(char *err, size_t errlen, const char *phase,
                                         const char *jsonl_path);

#endif
