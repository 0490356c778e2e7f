/*
 * vllm_export.h — a "load" result in the shape `vllm bench serve
 * --save-result` writes, so scripts written for vLLM's files read ours.
 * docs/results.md ("vLLM export") lists the keys and their units.
 */
#ifndef BENCHY_REPORT_VLLM_EXPORT_H
#define BENCHY_REPORT_VLLM_EXPORT_H

#include <cJSON.h>
#include <stdio.h>

#include "../util.h"

/* One object for a single level, an array of one object per level for a
 * sweep. NULL when out of memory or when doc is not a load result. */
BENCHY_INTERNAL cJSON *vllm_export(const cJSON *doc);
/* vllm_export() printed (pretty, numbers exact) with a newline. */
BENCHY_INTERNAL int vllm_export_write(const cJSON *doc, FILE *f);

#endif
