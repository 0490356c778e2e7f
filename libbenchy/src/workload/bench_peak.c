/*
 * bench_peak.c — see bench_peak.h.
 *
 * Counting the chunks whose times fall in a window counts fence posts, not
 * intervals: a steady 100 t/s stream puts 101 chunks in a closed second, and
 * timing jitter moves the 101st inside, so a 100 t/s stream read 101 t/s.
 * Here each chunk's tokens are spread over the interval since the previous
 * chunk of the same request (the first chunk's tokens came with the prefill
 * and count nowhere, as in the tg rate). The tokens delivered by time x,
 * F(x), are then piecewise linear, and a window can deliver no more than
 * its length times the fastest interval: the peak cannot exceed what a
 * stream produced. The best window [x, x + w] has one end on a chunk time,
 * so only those are tried.
 */
#include "bench_peak.h"

#include <math.h>
#include <stdlib.h>

typedef struct slope_change {
  double t;  /* seconds from the earliest chunk */
  double ds; /* tokens per second added (interval start) or removed (end) */
} slope_change;

static int cmp_change(const void *a, const void *b) {
  const slope_change *x = a, *y = b;
  return (x->t > y->t) - (x->t < y->t);
}

typedef struct curve {
  double *t, *f, *slope; /* at each distinct breakpoint: F and the slope after it */
  size_t n;
} curve;

static double curve_at(const curve *c, double x) {
  if (x <= c->t[0]) return c->f[0];
  if (x >= c->t[c->n - 1]) return c->f[c->n - 1];
  size_t lo = 0, hi = c->n - 1; /* t[lo] <= x < t[hi] */
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (c->t[mid] <= x)
      lo = mid;
    else
      hi = mid;
  }
  return c->f[lo] + c->slope[lo] * (x - c->t[lo]);
}

double bench_peak_rate(const peak_stream *streams, size_t n_streams, int64_t max_window_ns) {
  size_t cap = 0;
  int have_origin = 0;
  int64_t origin = 0, last = 0;
  for (size_t s = 0; s < n_streams; s++) {
    const peak_stream *ps = &streams[s];
    if (ps->n) cap += 2 * (ps->n - 1);
    for (size_t j = 0; j < ps->n; j++) {
      if (!have_origin || ps->t[j] < origin) origin = ps->t[j];
      if (!have_origin || ps->t[j] > last) last = ps->t[j];
      have_origin = 1;
    }
  }
  if (!cap || last <= origin) return NAN;
  slope_change *ch = malloc(cap * sizeof *ch);
  if (!ch) return NAN;
  size_t m = 0;
  for (size_t s = 0; s < n_streams; s++) {
    const peak_stream *ps = &streams[s];
    size_t j = 1;
    while (j < ps->n) {
      /* Chunks read at the same instant belong to one interval. */
      double tok = 0;
      size_t k = j;
      while (k < ps->n && (k == j || ps->t[k] == ps->t[j])) tok += ps->tokens[k++];
      int64_t start = ps->t[j - 1], end = ps->t[j];
      j = k;
      if (end <= start || tok <= 0) continue; /* tokens that came with the first chunk */
      double a = (double)(start - origin) / 1e9, b = (double)(end - origin) / 1e9;
      double rate = tok / (b - a);
      ch[m++] = (slope_change){a, rate};
      ch[m++] = (slope_change){b, -rate};
    }
  }
  if (!m) {
    free(ch);
    return NAN;
  }
  qsort(ch, m, sizeof *ch, cmp_change);
  curve c = {malloc(m * sizeof(double)), malloc(m * sizeof(double)), malloc(m * sizeof(double)), 0};
  double best = NAN;
  if (c.t && c.f && c.slope) {
    double f = 0, slope = 0;
    for (size_t i = 0; i < m; i++) {
      if (c.n && ch[i].t == c.t[c.n - 1]) {
        slope += ch[i].ds;
        c.slope[c.n - 1] = slope;
        continue;
      }
      if (c.n) f += slope * (ch[i].t - c.t[c.n - 1]);
      slope += ch[i].ds;
      c.t[c.n] = ch[i].t;
      c.f[c.n] = f;
      c.slope[c.n] = slope;
      c.n++;
    }
    double span = c.t[c.n - 1] - c.t[0];
    double w = (double)max_window_ns / 1e9;
    if (span < w) w = span;
    if (w > 0) {
      for (size_t i = 0; i < c.n; i++) {
        /* Windows starting or ending on this breakpoint, kept inside the span. */
        double starts[2] = {c.t[i], c.t[i] - w};
        for (int k = 0; k < 2; k++) {
          double a = starts[k];
          if (a < c.t[0]) a = c.t[0];
          if (a + w > c.t[c.n - 1]) a = c.t[c.n - 1] - w;
          double rate = (curve_at(&c, a + w) - curve_at(&c, a)) / w;
          if (!(rate <= best)) best = rate;
        }
      }
    }
  }
  free(c.t);
  free(c.f);
  free(c.slope);
  free(ch);
  return best;
}
