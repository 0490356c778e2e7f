/*
 * lifecycle.h — `--server-cmd`: a bench or load run that starts its own
 * server, waits for it to be ready, runs, stops it (also when the run fails
 * or is interrupted), checks its log (--expect-log, --reject-log) and
 * records all of it in the result's metadata.server_process; a failed log
 * check marks the result invalid (metadata.invalid, metadata.valid false),
 * which benchy compare refuses as a baseline. docs/lifecycle.md.
 */
#ifndef BENCHY_WORKLOAD_LIFECYCLE_H
#define BENCHY_WORKLOAD_LIFECYCLE_H

#include <stddef.h>

#include "benchy/options.h"
#include "benchy/result.h"
#include "../util.h"

typedef int (*lifecycle_workload_fn)(const benchy_options *opts, benchy_result **out, char *err,
                                     size_t errlen);

/* Without --server-cmd, just workload(). With it, the whole lifecycle around
 * it; a log check that fails turns BENCHY_OK into BENCHY_ERR_VALIDATION. */
BENCHY_INTERNAL int lifecycle_execute(const benchy_options *opts, lifecycle_workload_fn workload,
                                      benchy_result **out, char *err, size_t errlen);

#endif
