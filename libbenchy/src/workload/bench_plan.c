/*
 * bench_plan.c — see bench_plan.h.
 */
#include "bench_plan.h"

#include <stdio.h>
#include <stdlib.h>

#include "benchy/benchy.h"

int bench_plan_shows_concurrency(const int64_t *conc, size_t n) { return n > 1 || (n == 1 && conc[0] != 1); }

void bench_plan_test_name(int is_pp, int64_t size, int64_t depth, int64_t conc, int show_conc, char *out,
                          size_t len) {
  char at[40] = "", cn[32] = "";
  if (depth > 0) snprintf(at, sizeof at, " @ d%lld", (long long)depth);
  if (show_conc) snprintf(cn, sizeof cn, " (c%lld)", (long long)conc);
  snprintf(out, len, "%s%lld%s%s", is_pp ? "pp" : "tg", (long long)size, at, cn);
}

int64_t bench_plan_max_tokens(int64_t tg) { return tg > 0 ? tg : 1; }

static bench_row_plan *find_row(bench_row_plan *rows, size_t n, int is_pp, int64_t size, const bench_shape *s) {
  for (size_t i = 0; i < n; i++)
    if (rows[i].is_pp == is_pp && rows[i].size == size && rows[i].depth == s->depth && rows[i].conc == s->conc)
      return &rows[i];
  return NULL;
}

int bench_plan_rows(const bench_shape *shapes, size_t n, int show_conc, bench_row_plan **out, size_t *n_out) {
  *out = NULL;
  *n_out = 0;
  /* At most two rows per shape, each pooling at most every shape. */
  bench_row_plan *rows = calloc(2 * n + 1, sizeof *rows);
  if (!rows) return BENCHY_ERR_NOMEM;
  size_t nr = 0;
  /* llama-bench's order: for each depth (and here concurrency), its pp
   * tests, then its tg tests. */
  for (size_t g = 0; g < n; g++) {
    int group_seen = 0;
    for (size_t i = 0; i < g && !group_seen; i++)
      group_seen = shapes[i].depth == shapes[g].depth && shapes[i].conc == shapes[g].conc;
    if (group_seen) continue;
    for (int is_pp = 1; is_pp >= 0; is_pp--)
      for (size_t i = g; i < n; i++) {
        const bench_shape *s = &shapes[i];
        int64_t size = is_pp ? s->pp : s->tg;
        if (s->depth != shapes[g].depth || s->conc != shapes[g].conc) continue;
        if (size <= 0) continue; /* -p 0 / -n 0: no such test */
        bench_row_plan *r = find_row(rows, nr, is_pp, size, s);
        if (!r) {
          r = &rows[nr++];
          r->is_pp = is_pp;
          r->size = size;
          r->depth = s->depth;
          r->conc = s->conc;
          bench_plan_test_name(is_pp, size, s->depth, s->conc, show_conc, r->name, sizeof r->name);
          r->shapes = calloc(n, sizeof *r->shapes);
          if (!r->shapes) {
            bench_plan_free(rows, nr);
            return BENCHY_ERR_NOMEM;
          }
        }
        r->shapes[r->n_shapes++] = i;
      }
  }
  *out = rows;
  *n_out = nr;
  return BENCHY_OK;
}

void bench_plan_free(bench_row_plan *rows, size_t n) {
  for (size_t i = 0; rows && i < n; i++) free(rows[i].shapes);
  free(rows);
}
