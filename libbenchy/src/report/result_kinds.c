/*
 * result_kinds.c — the one table from a result's kind to its renderers: both
 * a run's own result and one read back from a file take theirs from here.
 */
#include <string.h>

#include "bench_render.h"
#include "load_render.h"
#include "result_kinds.h"
#include "run_render.h"
#include "vllm_export.h"

static const result_kind_info kinds[] = {
    {"bench", bench_render_md, bench_render_csv, NULL},
    {"load", load_render_md, load_render_csv, vllm_export_write},
    {"run", run_render_md, run_render_csv, NULL},
};

const result_kind_info *result_kind_lookup(const char *kind) {
  for (size_t i = 0; kind && i < sizeof kinds / sizeof *kinds; i++)
    if (!strcmp(kinds[i].kind, kind)) return &kinds[i];
  return NULL;
}
