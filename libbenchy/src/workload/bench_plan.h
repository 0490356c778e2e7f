/*
 * bench_plan.h — which rows a `benchy bench` matrix prints, and their names.
 *
 * The matrix measures request shapes (pp, tg, depth, concurrency): a prompt
 * of depth + pp tokens asking for tg tokens. llama-bench prints one row per
 * distinct test, so a row pools every shape that measured it: the pp row
 * `pp512` takes the prefill of every shape with pp 512 (whatever its tg),
 * the tg row `tg128` the decode of every shape with tg 128 (whatever its
 * pp). A pp of 0 makes a shape tg-only and a tg of 0 pp-only, as
 * llama-bench's -p 0 / -n 0 drop that test.
 */
#ifndef BENCHY_WORKLOAD_BENCH_PLAN_H
#define BENCHY_WORKLOAD_BENCH_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "../util.h"

typedef struct bench_shape {
  int64_t pp, tg, depth, conc;
} bench_shape;

typedef struct bench_row_plan {
  int is_pp;
  int64_t size; /* pp tokens (pp row) or tg tokens (tg row) */
  int64_t depth, conc;
  char name[96];
  size_t *shapes; /* indices of the shapes whose requests the row pools */
  size_t n_shapes;
} bench_row_plan;

/* `(cN)` is needed only when concurrency varies or is not 1: a single
 * concurrency of 1 is what llama-bench measures and names without it. */
BENCHY_INTERNAL int bench_plan_shows_concurrency(const int64_t *conc, size_t n);

/* "pp512", "tg32 @ d4096", "pp2048 (c2)". */
BENCHY_INTERNAL void bench_plan_test_name(int is_pp, int64_t size, int64_t depth, int64_t conc,
                                          int show_conc, char *out, size_t len);

/* Tokens a shape's requests ask for: tg, or 1 for a pp-only shape (the
 * first token is what ends the prefill). */
BENCHY_INTERNAL int64_t bench_plan_max_tokens(int64_t tg);

/* The rows of these shapes in order of first appearance, one per distinct
 * test. Returns BENCHY_OK or BENCHY_ERR_NOMEM; free with bench_plan_free. */
BENCHY_INTERNAL int bench_plan_rows(const bench_shape *shapes, size_t n, int show_conc,
                                    bench_row_plan **rows, size_t *n_rows);
BENCHY_INTERNAL void bench_plan_free(bench_row_plan *rows, size_t n);

#endif
