/*
 * result_kinds.h — which renderers belong to which kind of result, so a
 * result read back from a file renders exactly as the run's own did.
 */
#ifndef BENCHY_REPORT_RESULT_KINDS_H
#define BENCHY_REPORT_RESULT_KINDS_H

#include "result_internal.h"

typedef struct result_kind_info {
  const char *kind;
  result_render_fn render_md;
  result_render_fn render_csv;
  result_render_fn render_vllm; /* NULL: the kind has no vLLM shape */
} result_kind_info;

/* NULL for a kind this library does not know. */
BENCHY_INTERNAL const result_kind_info *result_kind_lookup(const char *kind);

#endif
