/*
 * run_metadata.h — the one metadata block every kind of result carries
 * (docs/results.md, "metadata"): what was run, against what, when, and how
 * its statistics are defined, built the same way for bench, load and what
 * comes next, so a reader (comparison, merge) finds the same keys with the
 * same meaning in each. Each kind then adds its own keys to the object.
 */
#ifndef BENCHY_REPORT_RUN_METADATA_H
#define BENCHY_REPORT_RUN_METADATA_H

#include <cJSON.h>
#include <stddef.h>
#include <time.h>

#include "benchy/benchy.h"
#include "../util.h"

/* What every kind of run knows about itself. */
typedef struct run_metadata_common {
  const benchy_options *opts;    /* --name, --metadata, --tokenizer, --percentile-metrics */
  const char *model;             /* the model asked for (given or discovered) */
  const char *served_model_name; /* the name sent to the server; NULL: the model */
  const char *shown_url;         /* the base URL with its credentials already removed */
  int chat;                      /* 1: the chat API; 0: completions */
  int ddof;                      /* 1: sample stddev; 0: population */
  const double *percentiles;     /* the --percentiles every statistic is given at */
  size_t n_percentiles;
  time_t started_at;             /* wall clock when the run started */
  cJSON *prompt_lengths;         /* taken: how prompts were sized; NULL when not generated */
  cJSON *request_body;           /* taken: what every request's body carried beyond the prompt */
  const cJSON *server_reported;  /* the server as it described itself at startup (copied); NULL: not asked */
} run_metadata_common;

/* The top of a result document every kind shares: "result_version",
 * "kind" and "record_version". */
BENCHY_INTERNAL void result_doc_head(cJSON *doc, const char *kind);

/* A new metadata object holding the common keys (docs/results.md lists
 * them); the caller adds its kind's keys and owns the object. Takes
 * c->prompt_lengths and c->request_body even when it returns NULL. */
BENCHY_INTERNAL cJSON *run_metadata_new(const run_metadata_common *c);

#endif
