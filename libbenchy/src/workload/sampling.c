/* sampling.c — see sampling.h. */
#include "sampling.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../meta/prometheus.h"
#include "../meta/sampler.h"
#include "../report/result_internal.h"
#include "run_progress.h"
#include "target.h"

enum { METRICS_UNTRIED, METRICS_SERVED, METRICS_NONE };

struct sampling_run {
  const benchy_options *opts;
  sampler *smp;          /* NULL: --sample-interval 0 */
  int64_t interval_ms;
  double saturation_pct;
  int metrics;           /* METRICS_* */
  target tgt;            /* the session /metrics is fetched on */
  int have_target;
  prom_set before;
  int have_before;
  sampling_run *outer;   /* the binding this one replaced */
};

static _Thread_local sampling_run *current;

sampling_run *sampling_run_start(const benchy_options *opts) {
  sampling_run *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->opts = opts;
  r->interval_ms = benchy_options_int(opts, "sample-interval");
  r->saturation_pct = SAMPLING_SATURATION_PCT;
  const char *test_pct = getenv("BENCHY_TEST_SATURATION_PCT");
  if (test_pct && *test_pct) r->saturation_pct = strtod(test_pct, NULL);
  if (r->interval_ms > 0) {
    sampler_config cfg = {r->interval_ms, NULL, benchy_options_double(opts, "meta-timeout")};
    r->smp = sampler_start(&cfg);
  }
  r->outer = current;
  current = r;
  return r;
}

/* GET /metrics on a session of our own, bounded by --probe-timeout: a
 * server without it (404, not Prometheus text, no answer) is asked once. */
static int scrape(sampling_run *r, prom_set *out) {
  if (r->metrics == METRICS_NONE) return -1;
  char err[512];
  if (!r->have_target) {
    if (target_init(&r->tgt, r->opts, err, sizeof err) != BENCHY_OK ||
        target_connect(&r->tgt, err, sizeof err) != BENCHY_OK) {
      target_free(&r->tgt);
      r->metrics = METRICS_NONE;
      return -1;
    }
    r->have_target = 1;
  }
  int http = 0;
  char *body = NULL;
  int st = benchy_session_fetch(r->tgt.sess, "GET", "/metrics", NULL, &http, &body);
  int ok = st == BENCHY_OK && http == 200 && body && prom_parse(body, out) == BENCHY_OK;
  free(body);
  if (ok && out->n == 0) {
    prom_free(out);
    ok = 0;
  }
  if (!ok && r->metrics == METRICS_UNTRIED) r->metrics = METRICS_NONE;
  if (ok) r->metrics = METRICS_SERVED;
  return ok ? 0 : -1;
}

void sampling_level_begin(const char *label) {
  sampling_run *r = current;
  if (!r) return;
  if (r->have_before) prom_free(&r->before);
  r->have_before = scrape(r, &r->before) == 0;
  if (r->smp) sampler_level_begin(r->smp, label);
}

void sampling_level_warn(cJSON *obj, const char *where, const char *msg) {
  run_warning("%s: %s", where, msg);
  if (!obj) return;
  cJSON *list = cJSON_GetObjectItemCaseSensitive(obj, "warnings");
  if (!list) list = cJSON_AddArrayToObject(obj, "warnings");
  if (list) cJSON_AddItemToArray(list, cJSON_CreateString(msg));
}

static void add_client_cpu(sampling_run *r, const sampler_level *lv, cJSON *obj, const char *where) {
  cJSON *c = cJSON_AddObjectToObject(obj, "client_cpu");
  if (!c) return;
  int saturated = lv->cpu_busy_pct > r->saturation_pct;
  cJSON_AddNumberToObject(c, "busy_pct", lv->cpu_busy_pct);
  cJSON_AddBoolToObject(c, "saturated", saturated);
  if (saturated) {
    char msg[512];
    unsigned cores = sampler_cores(r->smp);
    snprintf(msg, sizeof msg,
             "the client itself was busy %.0f%% of its %u core%s (over %.0f%%): its own limit may "
             "show in these figures, not the server's; run the client on more cores or with fewer "
             "threads/users, or lower the load",
             lv->cpu_busy_pct, cores, cores == 1 ? "" : "s", r->saturation_pct);
    sampling_level_warn(obj, where, msg);
  }
}

void sampling_level_end(cJSON *obj, const char *where) {
  sampling_run *r = current;
  if (!r) return;
  sampler_level lv;
  if (r->smp && sampler_level_end(r->smp, &lv) == 0 && obj) {
    cJSON *gpu = sampler_level_gpu_json(&lv);
    if (gpu) cJSON_AddItemToObject(obj, "gpu", gpu);
    add_client_cpu(r, &lv, obj, where);
  }
  if (r->have_before) {
    prom_set after;
    if (scrape(r, &after) == 0) {
      cJSON *m = prom_level_json(&r->before, &after);
      if (m && obj) cJSON_AddItemToObject(obj, "server_metrics", m);
      else cJSON_Delete(m);
      prom_free(&after);
    }
    prom_free(&r->before);
    r->have_before = 0;
  }
}

void sampling_move_into(cJSON *dst, cJSON *src) {
  if (!src) return;
  while (dst && src->child) {
    cJSON *item = cJSON_DetachItemViaPointer(src, src->child);
    cJSON *have = cJSON_GetObjectItemCaseSensitive(dst, item->string);
    if (have && cJSON_IsArray(have) && cJSON_IsArray(item) && !strcmp(item->string, "warnings")) {
      while (item->child) cJSON_AddItemToArray(have, cJSON_DetachItemViaPointer(item, item->child));
      cJSON_Delete(item);
    } else {
      cJSON_DeleteItemFromObjectCaseSensitive(dst, item->string);
      cJSON_AddItemToObject(dst, item->string, item);
    }
  }
  cJSON_Delete(src);
}

void sampling_run_finish(sampling_run *r, benchy_result *res) {
  if (!r) return;
  current = r->outer;
  cJSON *s = r->smp               ? sampler_finish(r->smp)
              : r->interval_ms > 0 ? sampler_off_json("the sampler could not start (out of memory, or no "
                                                      "thread for it): nothing was sampled",
                                                      r->interval_ms)
                                   : sampler_off_json("--sample-interval 0: sampling was off", r->interval_ms);
  if (s && res && res->doc) {
    cJSON_DeleteItemFromObjectCaseSensitive(res->doc, "sampling");
    cJSON_AddItemToObject(res->doc, "sampling", s);
  } else {
    cJSON_Delete(s);
  }
  if (r->have_before) prom_free(&r->before);
  if (r->have_target) target_free(&r->tgt);
  free(r);
}
