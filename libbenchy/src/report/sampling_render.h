/*
 * sampling_render.h — the short lines the markdown summary shows for a
 * level's (row's, run's) sampled figures (docs/results.md, "sampling"):
 * peak GPU memory, utilisation and power per GPU, the client's CPU, and the
 * server's /metrics deltas.
 */
#ifndef BENCHY_REPORT_SAMPLING_RENDER_H
#define BENCHY_REPORT_SAMPLING_RENDER_H

#include <cJSON.h>
#include <stdio.h>

#include "../util.h"

/* Lines for obj's "gpu", "client_cpu" and "server_metrics", each starting
 * with prefix ("" or "pp512: "); nothing when obj has none of them. */
BENCHY_INTERNAL void sampling_render_md(FILE *f, const cJSON *obj, const char *prefix);

#endif
