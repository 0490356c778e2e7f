/*
 * run_metadata.h — what a user asked to be recorded with a run, the same
 * way for every command: --metadata KEY=VALUE pairs (secret-looking values
 * already redacted by the option table), the --tokenizer named on a command
 * line brought from another tool, and which metrics the table shows
 * percentiles for (--percentile-metrics).
 */
#ifndef BENCHY_REPORT_RUN_METADATA_H
#define BENCHY_REPORT_RUN_METADATA_H

#include <cJSON.h>

#include "benchy/benchy.h"
#include "../util.h"

/* Adds "user", "tokenizer" and "percentile_metrics" to a result's metadata
 * object, each only when the option applies and (but the last) was given. */
BENCHY_INTERNAL void run_metadata_add(cJSON *metadata, const benchy_options *opts);

#endif
