/*
 * bench_journal.c — bench's --jsonl journal (bench_state.h): a header
 * line with the fingerprint of the run and its configuration, a "record"
 * line per completed request and a "run" line once every request of a run
 * is in. --resume reloads the runs a "run" line vouches for, with the
 * records of the attempt that completed them, and redoes the rest.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../report/jsonl.h"
#include "../report/result_internal.h"
#include "bench_state.h"

static double get_num(const cJSON *o, const char *name) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
  return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static void list_append(benchy_buf *fp, const char *name, const int64_t *v, size_t n) {
  benchy_buf_printf(fp, "%s=", name);
  for (size_t i = 0; i < n; i++) benchy_buf_printf(fp, "%s%lld", i ? "," : "", (long long)v[i]);
}

int bench_journal_fingerprint(bench *b, const bench_matrix *mx) {
  benchy_buf fp = {0};
  benchy_buf_printf(&fp, "api=%s;mode=%s;runs=%d;seed=%llu;",
                    b->api == BENCHY_ENDPOINT_CHAT ? "chat" : "completions",
                    b->cached_mode ? "cached" : "resend", b->runs, (unsigned long long)b->seed);
  list_append(&fp, "pp", mx->pp, mx->npp);
  list_append(&fp, ";tg", mx->tg, mx->ntg);
  list_append(&fp, ";depth", mx->depth, mx->nd);
  list_append(&fp, ";c", mx->conc, mx->nc);
  /* Runs sampled differently must not be mixed in one result. */
  char *sent = request_body_fingerprint(b->rbody);
  if (sent) benchy_buf_printf(&fp, ";body=%s", sent);
  free(sent);
  int st = BENCHY_OK;
  if (benchy_buf_terminate(&fp))
    st = BENCHY_ERR_NOMEM;
  else
    snprintf(b->fingerprint, sizeof b->fingerprint, "%s", fp.data);
  benchy_buf_free(&fp);
  return st;
}

void bench_journal_record(bench *b, const test_t *t, int run, uint64_t index, cJSON *rj) {
  if (!b->jl || !rj) return;
  cJSON *line = cJSON_CreateObject();
  if (!line) return;
  char key[160];
  snprintf(key, sizeof key, "%s/r%d/i%llu", t->key, run, (unsigned long long)index);
  cJSON_AddStringToObject(line, "type", "record");
  cJSON_AddStringToObject(line, "attempt", b->attempt);
  cJSON_AddStringToObject(line, "key", key);
  cJSON_AddItemReferenceToObject(line, "record", rj);
  jsonl_append(b->jl, line);
}

void bench_journal_run(bench *b, const test_t *t, int run, const run_m *r) {
  if (!b->jl) return;
  cJSON *line = cJSON_CreateObject();
  if (!line) return;
  char key[128];
  snprintf(key, sizeof key, "%s/r%d", t->key, run);
  cJSON_AddStringToObject(line, "type", "run");
  cJSON_AddStringToObject(line, "attempt", b->attempt);
  cJSON_AddStringToObject(line, "key", key);
  cJSON_AddStringToObject(line, "test", t->key);
  cJSON_AddNumberToObject(line, "run", run);
  bench_add_num(line, "pp_total_tps", r->pp_total);
  bench_add_num(line, "tg_total_tps", r->tg_total);
  bench_add_num(line, "peak_tps", r->peak);
  jsonl_append(b->jl, line);
}

typedef struct resume_ctx {
  bench *b;
  int pass;
  int saw_header;
  char (*attempts)[48]; /* per test*run: the attempt whose run line was seen */
  size_t *offsets;      /* index of each test's first run in attempts */
} resume_ctx;

static test_t *find_test(bench *b, const char *key, size_t *idx) {
  for (size_t i = 0; i < b->n_tests; i++)
    if (!strcmp(b->tests[i].key, key)) {
      *idx = i;
      return &b->tests[i];
    }
  return NULL;
}

static void resume_line(void *ud, const cJSON *obj) {
  resume_ctx *r = ud;
  bench *b = r->b;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "type");
  const cJSON *attempt = cJSON_GetObjectItemCaseSensitive(obj, "attempt");
  if (!cJSON_IsString(type)) return;
  if (r->pass == 0 && !strcmp(type->valuestring, "header")) {
    const cJSON *fp = cJSON_GetObjectItemCaseSensitive(obj, "fingerprint");
    r->saw_header = 1;
    if (!cJSON_IsString(fp) || strcmp(fp->valuestring, b->fingerprint)) b->fingerprint_mismatch = 1;
    return;
  }
  if (r->pass == 0 && !strcmp(type->valuestring, "run") && cJSON_IsString(attempt)) {
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(obj, "test");
    double run = get_num(obj, "run");
    size_t ti;
    test_t *t = cJSON_IsString(test) ? find_test(b, test->valuestring, &ti) : NULL;
    if (!t || !(run >= 0 && run < b->runs)) return;
    int ri = (int)run;
    t->runs[ri].done = 1;
    t->runs[ri].pp_total = get_num(obj, "pp_total_tps");
    t->runs[ri].tg_total = get_num(obj, "tg_total_tps");
    t->runs[ri].peak = get_num(obj, "peak_tps");
    snprintf(r->attempts[r->offsets[ti] + (size_t)ri], 48, "%s", attempt->valuestring);
    return;
  }
  if (r->pass == 1 && !strcmp(type->valuestring, "record") && cJSON_IsString(attempt)) {
    const cJSON *rec = cJSON_GetObjectItemCaseSensitive(obj, "record");
    const cJSON *test = cJSON_GetObjectItemCaseSensitive(rec, "test");
    double run = get_num(rec, "run"), req = get_num(rec, "req");
    size_t ti;
    test_t *t = cJSON_IsString(test) ? find_test(b, test->valuestring, &ti) : NULL;
    if (!t || !(run >= 0 && run < b->runs) || !(req >= 0 && req < (double)t->conc)) return;
    int ri = (int)run;
    /* Only the attempt that completed the run counts: records of an
     * interrupted attempt at the same run are left out, not duplicated. */
    if (!t->runs[ri].done || strcmp(r->attempts[r->offsets[ti] + (size_t)ri], attempt->valuestring))
      return;
    bench_metrics_from_json(&t->reqs[(size_t)ri * (size_t)t->conc + (size_t)req], rec);
  }
}

int bench_journal_resume(bench *b, char *err, size_t errlen) {
  resume_ctx r = {b, 0, 0, NULL, NULL};
  r.offsets = calloc(b->n_tests, sizeof *r.offsets);
  r.attempts = calloc(b->n_tests * (size_t)b->runs, sizeof *r.attempts);
  if (!r.offsets || !r.attempts) {
    free(r.offsets);
    free(r.attempts);
    return BENCHY_ERR_NOMEM;
  }
  for (size_t i = 0; i < b->n_tests; i++) r.offsets[i] = i * (size_t)b->runs;
  int st = BENCHY_OK;
  long lines = jsonl_read(b->jsonl_path, resume_line, &r, err, errlen);
  if (lines < 0) st = BENCHY_ERR_IO;
  if (st == BENCHY_OK && lines > 0 && (!r.saw_header || b->fingerprint_mismatch)) {
    benchy_set_error(err, errlen, "%s holds a different run (another matrix, model, API, depth mode or seed), "
           "so --resume cannot continue it. Run with the same options, or use another --jsonl file.",
           b->jsonl_path);
    st = BENCHY_ERR_INVALID;
  }
  if (st == BENCHY_OK && lines > 0) {
    r.pass = 1;
    if (jsonl_read(b->jsonl_path, resume_line, &r, err, errlen) < 0) st = BENCHY_ERR_IO;
  }
  /* A run line whose records did not all load is redone. */
  for (size_t i = 0; st == BENCHY_OK && i < b->n_tests; i++) {
    test_t *t = &b->tests[i];
    for (int run = 0; run < b->runs; run++) {
      if (!t->runs[run].done) continue;
      for (int64_t k = 0; k < t->conc; k++)
        if (!t->reqs[(size_t)run * (size_t)t->conc + (size_t)k].filled) t->runs[run].done = 0;
    }
  }
  if (st == BENCHY_OK && lines > 0) b->resume = 2; /* continued an existing file */
  free(r.offsets);
  free(r.attempts);
  return st;
}

/* Without --model the model is known only after target_check_model; a fingerprint
 * taken before would match any model, and refuse the same run given one. */
int bench_journal_add_model(bench *b, char *err, size_t errlen) {
  size_t used = strlen(b->fingerprint);
  int n = snprintf(b->fingerprint + used, sizeof b->fingerprint - used, ";model=%s", b->model);
  if (n < 0 || (size_t)n >= sizeof b->fingerprint - used) {
    benchy_set_error(err, errlen, "the model name is too long to fingerprint a --jsonl file (%zu bytes)",
                     strlen(b->model));
    return BENCHY_ERR_INVALID;
  }
  return BENCHY_OK;
}

int bench_journal_open(bench *b, const cJSON *config, char *err, size_t errlen) {
  if (!b->jsonl_path) return BENCHY_OK;
  cJSON *head = cJSON_CreateObject();
  if (!head) return BENCHY_ERR_NOMEM;
  cJSON_AddStringToObject(head, "type", "header");
  cJSON_AddStringToObject(head, "kind", "bench");
  cJSON_AddNumberToObject(head, "result_version", BENCHY_RESULT_VERSION);
  cJSON_AddStringToObject(head, "fingerprint", b->fingerprint);
  if (config) cJSON_AddItemReferenceToObject(head, "config", (cJSON *)config);
  int st = jsonl_open(&b->jl, b->jsonl_path, b->resume != 0, head, NULL, err, errlen);
  cJSON_Delete(head);
  return st;
}

