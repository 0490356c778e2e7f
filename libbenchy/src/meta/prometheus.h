/*
 * prometheus.h — a server's /metrics (Prometheus text exposition format)
 * read into counters and gauges, each name's label sets folded into one
 * value (summed), and the figures a level reports from two scrapes: the
 * counters' deltas and the gauges as they were after. Histograms and
 * summaries are left out (their _bucket/_sum/_count series too).
 *
 * Which names count depends on the server: vLLM's "vllm:", llama-server's
 * "llamacpp:" and SGLang's "sglang:" series when the scrape has them, every
 * counter and gauge (up to PROM_MAX_GENERIC) of any other server.
 */
#ifndef BENCHY_META_PROMETHEUS_H
#define BENCHY_META_PROMETHEUS_H

#include <cJSON.h>
#include <stddef.h>

#include "benchy/benchy.h"
#include "../util.h"

#define PROM_MAX_GENERIC 64

typedef enum { PROM_COUNTER, PROM_GAUGE } prom_kind;

typedef struct prom_metric {
  char *name;
  double value;
  prom_kind kind;
} prom_metric;

typedef struct prom_set {
  prom_metric *m;
  size_t n, cap;
} prom_set;

/* Parses text into out (zeroed first). BENCHY_OK or BENCHY_ERR_NOMEM;
 * lines that are not samples are skipped. */
BENCHY_INTERNAL int prom_parse(const char *text, prom_set *out);
BENCHY_INTERNAL void prom_free(prom_set *s);
BENCHY_INTERNAL const prom_metric *prom_find(const prom_set *s, const char *name);
/* "vllm", "llama.cpp", "sglang" or "prometheus". */
BENCHY_INTERNAL const char *prom_source(const prom_set *s);
/* {"source", "deltas": {name: after - before}, "gauges_after": {name: v}}. */
BENCHY_INTERNAL cJSON *prom_level_json(const prom_set *before, const prom_set *after);

#endif
