/*
 * failure_rule.c — see failure_rule.h. The verdict is written into the
 * result as well as returned, so a saved result says why its run failed.
 */
#include "failure_rule.h"

#include <stdio.h>
#include <string.h>

#include "../stats/collector_internal.h"

int failure_rule_init(failure_rule *r, double max_rate) {
  memset(r, 0, sizeof *r);
  r->max_rate = max_rate;
  r->verdict = cJSON_CreateObject();
  if (!r->verdict) return BENCHY_ERR_NOMEM;
  cJSON_AddNumberToObject(r->verdict, "max_failure_rate", max_rate);
  r->broken = cJSON_AddArrayToObject(r->verdict, "failed_groups");
  return r->broken ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

void failure_rule_count(cJSON *by_kind, int status) {
  const char *kind = load_failure_kind(status);
  if (!by_kind || !kind) return;
  cJSON *n = cJSON_GetObjectItemCaseSensitive(by_kind, kind);
  if (n)
    cJSON_SetNumberValue(n, n->valuedouble + 1);
  else
    cJSON_AddNumberToObject(by_kind, kind, 1);
}

int failure_rule_judge(failure_rule *r, const char *label, int64_t requests, int64_t failed,
                       const cJSON *by_kind, const char *example) {
  if (requests <= 0) return 0;
  double rate = (double)failed / (double)requests;
  if (!(rate > r->max_rate)) return 0;
  cJSON *g = cJSON_CreateObject();
  if (g) {
    cJSON_AddStringToObject(g, "group", label);
    cJSON_AddNumberToObject(g, "requests", (double)requests);
    cJSON_AddNumberToObject(g, "failed", (double)failed);
    cJSON_AddNumberToObject(g, "failure_rate", rate);
    cJSON *kinds = cJSON_CreateObject();
    const cJSON *k;
    cJSON_ArrayForEach(k, by_kind) {
      if (cJSON_IsNumber(k) && k->valuedouble > 0) cJSON_AddNumberToObject(kinds, k->string, k->valuedouble);
    }
    cJSON_AddItemToObject(g, "failed_by_kind", kinds);
    cJSON_AddItemToArray(r->broken, g);
  }
  benchy_buf_printf(&r->why, "%s%s: %lld of %lld requests failed (%.1f%%, above --max-failure-rate %g):",
                    r->why.len ? "; " : "", label, (long long)failed, (long long)requests, rate * 100.0,
                    r->max_rate);
  int any = 0;
  const cJSON *k;
  cJSON_ArrayForEach(k, by_kind) {
    if (!cJSON_IsNumber(k) || k->valuedouble <= 0) continue;
    benchy_buf_printf(&r->why, "%s %s %.0f", any ? "," : "", k->string, k->valuedouble);
    any = 1;
  }
  if (example && *example) benchy_buf_printf(&r->why, " (%s)", example);
  return 1;
}

int failure_rule_finish(failure_rule *r, cJSON *doc, char *err, size_t errlen) {
  int broken = cJSON_GetArraySize(r->broken) > 0 || r->why.len > 0;
  cJSON_AddBoolToObject(r->verdict, "passed", !broken);
  cJSON_AddItemToObject(doc, "failure_rule", r->verdict);
  r->verdict = NULL;
  r->broken = NULL;
  if (!broken) return BENCHY_OK;
  benchy_buf_terminate(&r->why);
  benchy_set_error(err, errlen, "the run failed: %s. Pass --max-failure-rate 1 to accept failed requests.",
                   r->why.data ? r->why.data : "");
  return BENCHY_ERR_FAILURE_RATE;
}

void failure_rule_free(failure_rule *r) {
  cJSON_Delete(r->verdict);
  benchy_buf_free(&r->why);
  memset(r, 0, sizeof *r);
}
