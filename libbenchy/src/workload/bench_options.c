/*
 * bench_options.c — `benchy bench`'s options decoded (bench_state.h):
 * the server (target.h), how requests are built and timed, and the
 * pp × tg × depth × concurrency matrix into tests and table rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_state.h"

static int read_int_list(const benchy_options *o, const char *name, int64_t **out, size_t *n) {
  *n = benchy_options_list_len(o, name);
  *out = calloc(*n ? *n : 1, sizeof **out);
  if (!*out) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < *n; i++) (*out)[i] = benchy_options_list_int(o, name, i);
  return BENCHY_OK;
}

/* Everything but the matrix. */
static int parse_run_options(bench *b, char *err, size_t errlen) {
  const benchy_options *o = b->opts;
  int st = target_init(&b->tgt, o, err, errlen);
  if (st != BENCHY_OK) return st;
  const char *model = benchy_options_str(o, "model");
  if (model && !(b->model = benchy_strdup(model))) return BENCHY_ERR_NOMEM;
  b->served = benchy_options_str(o, "served-model-name");
  b->name = benchy_options_str(o, "name");
  b->jsonl_path = benchy_options_str(o, "jsonl");
  b->resume = benchy_options_flag(o, "resume");
  if (b->resume && !b->jsonl_path) {
    benchy_set_error(err, errlen, "--resume needs --jsonl FILE: the file of the run to continue");
    return BENCHY_ERR_INVALID;
  }
  const char *api = benchy_options_str(o, "api");
  b->api = api && !strcmp(api, "completions") ? BENCHY_ENDPOINT_COMPLETIONS : BENCHY_ENDPOINT_CHAT;
  b->timeout_ms = (int64_t)(benchy_options_double(o, "timeout") * 1000.0);
  b->no_cache = benchy_options_flag(o, "no-cache");
  st = request_body_new(&b->rbody, o, err, errlen);
  if (st != BENCHY_OK) return st;
  const char *mode = benchy_options_str(o, "depth-mode");
  b->cached_mode = !mode || strcmp(mode, "resend") != 0;
  const char *lat = benchy_options_str(o, "latency-mode");
  b->latency_mode = lat && !strcmp(lat, "generation") ? LAT_GENERATION
                    : lat && !strcmp(lat, "none")     ? LAT_NONE
                                                       : LAT_API;
  const char *sd = benchy_options_str(o, "stddev");
  b->ddof = sd && !strcmp(sd, "sample") ? 1 : 0;
  b->raw = benchy_options_flag(o, "raw");
  b->threads = (int)benchy_options_int(o, "threads");
  if (b->threads < 1) b->threads = 1;
  b->runs = (int)benchy_options_int(o, "runs");
  if (b->runs < 1) b->runs = 1;
  b->warmup = benchy_options_flag(o, "no-warmup") ? 0 : (int)benchy_options_int(o, "warmup");
  b->seed = (uint64_t)benchy_options_int(o, "seed");
  b->seed_given = benchy_options_is_set(o, "seed");
  b->n_pcts = benchy_options_list_len(o, "percentiles");
  b->pcts = calloc(b->n_pcts ? b->n_pcts : 1, sizeof *b->pcts);
  if (!b->pcts) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < b->n_pcts; i++) b->pcts[i] = benchy_options_list_double(o, "percentiles", i);
  return BENCHY_OK;
}

static int read_matrix(bench *b, bench_matrix *mx, char *err, size_t errlen) {
  const benchy_options *o = b->opts;
  int st = read_int_list(o, "pp", &mx->pp, &mx->npp);
  if (st == BENCHY_OK) st = read_int_list(o, "tg", &mx->tg, &mx->ntg);
  if (st == BENCHY_OK) st = read_int_list(o, "depth", &mx->depth, &mx->nd);
  if (st == BENCHY_OK) st = read_int_list(o, "concurrency", &mx->conc, &mx->nc);
  if (st == BENCHY_OK && (!mx->npp || !mx->ntg || !mx->nd || !mx->nc)) {
    benchy_set_error(err, errlen, "--pp, --tg, --depth and --concurrency each need at least one value");
    st = BENCHY_ERR_INVALID;
  }
  int any_depth = 0;
  for (size_t i = 0; st == BENCHY_OK && i < mx->nd; i++) any_depth |= mx->depth[i] > 0;
  if (st == BENCHY_OK && b->no_cache && b->cached_mode && any_depth) {
    if (benchy_options_is_set(o, "depth-mode")) {
      benchy_set_error(err, errlen, "--no-cache contradicts --depth-mode cached: the depth context cannot be "
             "served from a cache that is off. Use --depth-mode resend (llama-benchy's meaning), or "
             "drop --no-cache");
      st = BENCHY_ERR_INVALID;
    } else {
      /* llama-benchy's --no-cache with depth re-sends everything; say so. */
      b->cached_mode = 0;
      b->mode_implied = 1;
    }
  }
  return st;
}

/* One test per (pp, tg, depth, concurrency), depth outermost. */
static int make_tests(bench *b, const bench_matrix *mx, char *err, size_t errlen) {
  b->tests = calloc(mx->npp * mx->ntg * mx->nd * mx->nc, sizeof *b->tests);
  if (!b->tests) return BENCHY_ERR_NOMEM;
  size_t k = 0;
  for (size_t di = 0; di < mx->nd; di++)
    for (size_t pi = 0; pi < mx->npp; pi++)
      for (size_t ti = 0; ti < mx->ntg; ti++)
        for (size_t ci = 0; ci < mx->nc; ci++) {
          if (mx->pp[pi] == 0 && mx->tg[ti] == 0) continue; /* neither test: nothing to send */
          test_t *t = &b->tests[k++];
          b->n_tests = k;
          t->pp = mx->pp[pi];
          t->tg = mx->tg[ti];
          t->depth = mx->depth[di];
          t->conc = mx->conc[ci];
          snprintf(t->key, sizeof t->key, "pp%lld-tg%lld-d%lld-c%lld", (long long)t->pp,
                   (long long)t->tg, (long long)t->depth, (long long)t->conc);
          t->reqs = calloc((size_t)(b->runs * t->conc), sizeof *t->reqs);
          t->runs = calloc((size_t)b->runs, sizeof *t->runs);
          if (!t->reqs || !t->runs) return BENCHY_ERR_NOMEM;
        }
  if (!b->n_tests) {
    benchy_set_error(err, errlen, "--pp 0 with --tg 0 leaves nothing to measure: --pp 0 runs tg tests only "
                     "and --tg 0 pp tests only; give a non-zero length for the tests you want");
    return BENCHY_ERR_INVALID;
  }
  return BENCHY_OK;
}

static int plan_rows(bench *b, const bench_matrix *mx) {
  bench_shape *shapes = calloc(b->n_tests, sizeof *shapes);
  if (!shapes) return BENCHY_ERR_NOMEM;
  for (size_t i = 0; i < b->n_tests; i++)
    shapes[i] = (bench_shape){b->tests[i].pp, b->tests[i].tg, b->tests[i].depth, b->tests[i].conc};
  int st = bench_plan_rows(shapes, b->n_tests, bench_plan_shows_concurrency(mx->conc, mx->nc), &b->rows,
                           &b->n_rows);
  free(shapes);
  return st;
}

int bench_parse_options(bench *b, char *err, size_t errlen) {
  bench_matrix mx = {0};
  int st = parse_run_options(b, err, errlen);
  if (st == BENCHY_OK) st = read_matrix(b, &mx, err, errlen);
  if (st == BENCHY_OK) st = make_tests(b, &mx, err, errlen);
  if (st == BENCHY_OK) st = plan_rows(b, &mx);
  /* The model is added once the server has named it (bench_journal_add_model). */
  if (st == BENCHY_OK) st = bench_journal_fingerprint(b, &mx);
  free(mx.pp);
  free(mx.tg);
  free(mx.depth);
  free(mx.conc);
  return st;
}
