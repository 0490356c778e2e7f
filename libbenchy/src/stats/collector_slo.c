/*
 * collector_slo.c — the service-level objectives of --goodput: parsed, and
 * checked against a request (collector_internal.h).
 */
#include "collector_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int load_slo_any(const load_slo *slo) {
  return slo && (slo->ttft_ms > 0 || slo->tpot_ms > 0 || slo->e2el_ms > 0);
}

static int parse_one_slo(const char *tok, load_slo *out, char *err, size_t errlen) {
  const char *colon = strchr(tok, ':');
  if (!colon) {
    snprintf(err, errlen, "--goodput: '%s' is not METRIC:MS; use e.g. ttft:200 tpot:50 e2el:5000",
             tok);
    return BENCHY_ERR_INVALID;
  }
  size_t nlen = (size_t)(colon - tok);
  double *slot = NULL;
  if (nlen == 4 && !strncmp(tok, "ttft", 4)) slot = &out->ttft_ms;
  if (nlen == 4 && !strncmp(tok, "tpot", 4)) slot = &out->tpot_ms;
  if (nlen == 4 && !strncmp(tok, "e2el", 4)) slot = &out->e2el_ms;
  if (!slot) {
    snprintf(err, errlen, "--goodput: unknown metric '%.*s' in '%s'; use ttft, tpot or e2el",
             (int)nlen, tok, tok);
    return BENCHY_ERR_INVALID;
  }
  char *end;
  double v = strtod(colon + 1, &end);
  if (end == colon + 1 || *end || !(v > 0) || !isfinite(v)) {
    snprintf(err, errlen, "--goodput: '%s' needs a positive number of milliseconds after ':'", tok);
    return BENCHY_ERR_INVALID;
  }
  *slot = v;
  return BENCHY_OK;
}

int load_slo_parse(const char *const *items, size_t n, load_slo *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++) {
    char *copy = benchy_strdup(items[i] ? items[i] : "");
    if (!copy) return BENCHY_ERR_NOMEM;
    char *save = NULL;
    int st = BENCHY_OK;
    for (char *tok = strtok_r(copy, ", \t", &save); tok && st == BENCHY_OK;
         tok = strtok_r(NULL, ", \t", &save))
      st = parse_one_slo(tok, out, err, errlen);
    free(copy);
    if (st != BENCHY_OK) return st;
  }
  return BENCHY_OK;
}

int load_sample_meets(const load_sample *s, const load_slo *slo, int from_schedule) {
  if (s->status != BENCHY_OK) return 0;
  int64_t extra = 0;
  if (from_schedule && s->queue_ns > 0) extra = s->queue_ns;
  if (slo->ttft_ms > 0) {
    if (s->ttft_ns < 0 || (double)(s->ttft_ns + extra) / 1e6 > slo->ttft_ms) return 0;
  }
  if (slo->tpot_ms > 0 && s->tpot_ns >= 0 && (double)s->tpot_ns / 1e6 > slo->tpot_ms) return 0;
  if (slo->e2el_ms > 0) {
    if (s->e2el_ns < 0 || (double)(s->e2el_ns + extra) / 1e6 > slo->e2el_ms) return 0;
  }
  return 1;
}
