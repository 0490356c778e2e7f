/*
 * result_internal.h — how workloads build a benchy_result: a JSON document
 * plus the renderers for its kind.
 */
#ifndef BENCHY_REPORT_RESULT_INTERNAL_H
#define BENCHY_REPORT_RESULT_INTERNAL_H

#include <cJSON.h>
#include <stdio.h>

#include "benchy/benchy.h"
#include "../util.h"

typedef int (*result_render_fn)(const cJSON *doc, FILE *f);

struct benchy_result {
  char kind[16];
  int status;
  cJSON *doc; /* {"result_version", "kind", "config", "metadata", "records", "aggregates", ...} */
  result_render_fn render_md;
  result_render_fn render_csv;
  void *userdata; /* the caller's, never touched by the library */
};

/* Takes ownership of doc. */
BENCHY_INTERNAL benchy_result *result_new(const char *kind, cJSON *doc, result_render_fn md,
                                          result_render_fn csv);

#endif
