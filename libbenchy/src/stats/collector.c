/*
 * collector.c — the public benchy_collector (benchy/collector.h): one
 * accumulator with its aggregate configuration. Records enter the
 * accumulator in collector_acc.c, collector_aggregate.c writes a level's
 * aggregates, collector_json.c saves and reads a collector back.
 */
#include "collector_internal.h"

#include <stdlib.h>
#include <string.h>

static const double default_percentiles[] = {50, 90, 95, 99};

int benchy_collector_new(benchy_collector **out, const benchy_collector_config *cfg) {
  if (!out) return BENCHY_ERR_INVALID;
  *out = NULL;
  benchy_collector_config none = {0};
  if (!cfg) cfg = &none;
  const double *ps = cfg->percentiles;
  size_t np = cfg->n_percentiles;
  if (!ps || !np) {
    ps = default_percentiles;
    np = sizeof default_percentiles / sizeof default_percentiles[0];
  }
  for (size_t i = 0; i < np; i++)
    if (!(ps[i] >= 0 && ps[i] <= 100)) return BENCHY_ERR_INVALID;
  if (cfg->ddof != 0 && cfg->ddof != 1) return BENCHY_ERR_INVALID;
  benchy_collector *c = calloc(1, sizeof *c);
  if (!c) return BENCHY_ERR_NOMEM;
  c->percentiles = malloc(np * sizeof *c->percentiles);
  if (!c->percentiles || load_acc_init(&c->acc, cfg->t0_ns, cfg->itl_budget) != 0) {
    free(c->percentiles);
    free(c);
    return BENCHY_ERR_NOMEM;
  }
  memcpy(c->percentiles, ps, np * sizeof *ps);
  c->agg = (load_agg_config){c->percentiles, np, cfg->ddof};
  c->t0_pending = cfg->t0_ns == 0;
  load_slo slo = {cfg->slo_ttft_ms, cfg->slo_tpot_ms, cfg->slo_e2el_ms};
  load_acc_set_slo(&c->acc, &slo);
  load_acc_limit_requests(&c->acc, cfg->request_budget);
  *out = c;
  return BENCHY_OK;
}

void benchy_collector_free(benchy_collector *c) {
  if (!c) return;
  load_acc_free(&c->acc);
  free(c->percentiles);
  free(c);
}

int benchy_collector_add_expected(benchy_collector *c, const benchy_record *rec,
                                  int64_t expected_input_tokens) {
  if (!c || !rec) return BENCHY_ERR_INVALID;
  if (c->t0_pending) {
    int64_t t0 = rec->t_scheduled ? rec->t_scheduled : rec->t_dispatched;
    if (t0) {
      c->acc.t0 = t0;
      c->t0_pending = 0;
    }
  }
  return load_ingest(&c->acc, rec, expected_input_tokens, NULL) == 0 ? BENCHY_OK
                                                                    : BENCHY_ERR_NOMEM;
}

int benchy_collector_add(benchy_collector *c, const benchy_record *rec) {
  return benchy_collector_add_expected(c, rec, -1);
}

int benchy_collector_merge(benchy_collector *dst, const benchy_collector *src) {
  /* Merging a collector into itself would read what it is writing. */
  if (!dst || !src || dst == src) return BENCHY_ERR_INVALID;
  /* Goodput was counted against each one's objectives as records came:
   * sums over different objectives would mean nothing. */
  if (memcmp(&dst->acc.slo, &src->acc.slo, sizeof dst->acc.slo) != 0) return BENCHY_ERR_INVALID;
  if (dst->t0_pending && !src->t0_pending) {
    dst->acc.t0 = src->acc.t0;
    dst->t0_pending = 0;
  }
  /* Without spans the exact peak is gone; the larger runner peak is the
   * best bound that stays true for runs that did not overlap. */
  if (src->acc.max_in_flight > dst->acc.max_in_flight) dst->acc.max_in_flight = src->acc.max_in_flight;
  return load_acc_merge(&dst->acc, &src->acc) == 0 ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

int collector_aggregate_into(benchy_collector *c, cJSON *obj) {
  return load_aggregate(&c->acc, &c->agg, obj);
}

char *benchy_collector_aggregate(benchy_collector *c, int pretty) {
  if (!c) return NULL;
  cJSON *obj = cJSON_CreateObject();
  if (!obj) return NULL;
  char *text = NULL;
  if (collector_aggregate_into(c, obj) == 0) text = pretty ? cJSON_Print(obj) : cJSON_PrintUnformatted(obj);
  cJSON_Delete(obj);
  return text;
}

void collector_share_request_budget(benchy_collector *c, atomic_size_t *claims) {
  load_acc_share_request_budget(&c->acc, claims);
}

void collector_set_max_in_flight(benchy_collector *c, int64_t n) { c->acc.max_in_flight = n; }

void collector_set_itl_budget(benchy_collector *c, size_t budget) { c->acc.itl_budget = budget; }
