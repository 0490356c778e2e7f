/*
 * histogram.c — benchy_hist, a log-linear histogram of non-negative int64
 * values (latencies in ns, token counts).
 *
 * Layout, with P = precision_bits and S = 2^P:
 *  - values below 2S get a bucket each (index == value), so they are exact;
 *  - every power of two [2^e, 2^(e+1)) above that is split into S buckets
 *    of width 2^(e-P), so a bucket's width over its lowest value is 1/S.
 * The index of v is ((e-P) << P) + (v >> (e-P)) with e the position of the
 * highest set bit of (v | S): one clz, one shift, one add. The counts array
 * covers every int64 up front, so add never allocates or resizes, and two
 * histograms of equal precision merge by adding counts bucket by bucket,
 * which loses nothing: a merged histogram is identical to one fed every
 * value directly.
 *
 * count, min, max and the sum are kept exactly beside the buckets; the sum
 * is 128 bits wide so even 2^64 values of INT64_MAX cannot wrap it.
 */
#include "benchy/benchy.h"
#include "hist_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HIST_MIN_BITS 1
#define HIST_MAX_BITS 12

struct benchy_hist {
  int bits;
  size_t nbuckets;
  uint64_t count;
  uint64_t sum_lo, sum_hi;
  int64_t min, max; /* meaningful only while count > 0 */
  uint64_t counts[];
};

static inline size_t bucket_of(uint64_t v, int bits) {
  /* OR-ing in S keeps clz's argument non-zero and makes every value below
   * 2S land in the shift-0 (exact) range. */
  int e = 63 - __builtin_clzll(v | ((uint64_t)1 << bits));
  int shift = e - bits;
  return ((size_t)shift << bits) + (size_t)(v >> shift);
}

/* Inclusive value range of bucket i; the inverse of bucket_of. */
static void bucket_range(size_t i, int bits, uint64_t *low, uint64_t *high) {
  size_t shift = i >> bits;
  if (shift == 0) {
    *low = *high = i;
    return;
  }
  shift--; /* buckets [S, 2S) are the first exact power of two, shift 0 */
  uint64_t lo = (uint64_t)(i - (shift << bits)) << shift;
  *low = lo;
  *high = lo + (((uint64_t)1 << shift) - 1);
}

/* The value reported for a bucket: its middle, so the error is at most half
 * the width either way, pulled inside the observed [min, max]. */
static int64_t bucket_value(const benchy_hist *h, size_t i) {
  uint64_t low, high;
  bucket_range(i, h->bits, &low, &high);
  uint64_t mid = low + (high - low + 1) / 2; /* <= high: widths are 1 or even */
  int64_t v = (int64_t)mid;
  if (v < h->min) v = h->min;
  if (v > h->max) v = h->max;
  return v;
}

static void sum_add(benchy_hist *h, uint64_t lo, uint64_t hi) {
  h->sum_lo += lo;
  h->sum_hi += hi + (h->sum_lo < lo);
}

/* Full 64x64 -> 128-bit product from 32-bit halves: portable where no
 * 128-bit integer type exists. */
static void mul_64x64(uint64_t a, uint64_t b, uint64_t *lo, uint64_t *hi) {
  uint64_t a0 = a & 0xFFFFFFFFu, a1 = a >> 32;
  uint64_t b0 = b & 0xFFFFFFFFu, b1 = b >> 32;
  uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  uint64_t mid = (p00 >> 32) + (p01 & 0xFFFFFFFFu) + (p10 & 0xFFFFFFFFu);
  *lo = (mid << 32) | (p00 & 0xFFFFFFFFu);
  *hi = p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

int benchy_hist_new(benchy_hist **out, int precision_bits) {
  if (!out) return BENCHY_ERR_INVALID;
  *out = NULL;
  if (precision_bits < HIST_MIN_BITS || precision_bits > HIST_MAX_BITS)
    return BENCHY_ERR_INVALID;
  /* The top bucket holds INT64_MAX: index (64-P)*S - 1. */
  size_t nbuckets = (size_t)(64 - precision_bits) << precision_bits;
  benchy_hist *h = calloc(1, sizeof *h + nbuckets * sizeof h->counts[0]);
  if (!h) return BENCHY_ERR_NOMEM;
  h->bits = precision_bits;
  h->nbuckets = nbuckets;
  *out = h;
  return BENCHY_OK;
}

void benchy_hist_free(benchy_hist *h) { free(h); }

void benchy_hist_add(benchy_hist *h, int64_t value) {
  if (!h) return;
  if (value < 0) value = 0;
  h->counts[bucket_of((uint64_t)value, h->bits)]++;
  if (h->count++ == 0) {
    h->min = h->max = value;
  } else {
    if (value < h->min) h->min = value;
    if (value > h->max) h->max = value;
  }
  sum_add(h, (uint64_t)value, 0);
}

void benchy_hist_add_n(benchy_hist *h, int64_t value, uint64_t count) {
  if (!h || count == 0) return;
  if (value < 0) value = 0;
  h->counts[bucket_of((uint64_t)value, h->bits)] += count;
  if (h->count == 0) {
    h->min = h->max = value;
  } else {
    if (value < h->min) h->min = value;
    if (value > h->max) h->max = value;
  }
  h->count += count;
  uint64_t lo, hi;
  mul_64x64((uint64_t)value, count, &lo, &hi);
  sum_add(h, lo, hi);
}

int benchy_hist_merge(benchy_hist *into, const benchy_hist *from) {
  if (!into || !from || into->bits != from->bits) return BENCHY_ERR_INVALID;
  if (from->count == 0) return BENCHY_OK;
  /* Only the occupied span of from can hold counts. */
  size_t first = bucket_of((uint64_t)from->min, from->bits);
  size_t last = bucket_of((uint64_t)from->max, from->bits);
  for (size_t i = first; i <= last; i++) into->counts[i] += from->counts[i];
  if (into->count == 0) {
    into->min = from->min;
    into->max = from->max;
  } else {
    if (from->min < into->min) into->min = from->min;
    if (from->max > into->max) into->max = from->max;
  }
  into->count += from->count;
  sum_add(into, from->sum_lo, from->sum_hi);
  return BENCHY_OK;
}

void benchy_hist_reset(benchy_hist *h) {
  if (!h) return;
  memset(h->counts, 0, h->nbuckets * sizeof h->counts[0]);
  h->count = 0;
  h->sum_lo = h->sum_hi = 0;
  h->min = h->max = 0;
}

uint64_t benchy_hist_count(const benchy_hist *h) { return h ? h->count : 0; }

int64_t benchy_hist_min(const benchy_hist *h) { return h && h->count ? h->min : 0; }

int64_t benchy_hist_max(const benchy_hist *h) { return h && h->count ? h->max : 0; }

double benchy_hist_mean(const benchy_hist *h) {
  if (!h || h->count == 0) return NAN;
  double sum = (double)h->sum_hi * 18446744073709551616.0 + (double)h->sum_lo;
  return sum / (double)h->count;
}

int benchy_hist_precision_bits(const benchy_hist *h) { return h ? h->bits : 0; }

double benchy_hist_relative_error(const benchy_hist *h) {
  return h ? ldexp(1.0, -h->bits) : NAN;
}

/*
 * Nearest rank: ceil(p/100 * count), at least 1. p is usually a decimal
 * (99.9) that binary cannot hold, so p*count/100 can land a hair above an
 * integer it should equal and ceil would skip a whole rank; a product
 * within 1e-9 relative of an integer is taken as that integer.
 */
static uint64_t rank_of(double p, uint64_t count) {
  if (!(p > 0.0)) return 1; /* also NaN */
  if (p >= 100.0) return count;
  double x = p * (double)count / 100.0;
  double r = nearbyint(x);
  double rank = fabs(x - r) <= 1e-9 * (r > 1.0 ? r : 1.0) ? r : ceil(x);
  if (rank < 1.0) return 1;
  if (rank >= (double)count) return count;
  return (uint64_t)rank;
}

/* A forward walk over the buckets, shared by consecutive percentile look-ups
 * so that an ascending list of ps costs one pass in all. */
typedef struct walk {
  size_t first; /* bucket of min */
  size_t next;  /* next bucket to add to cum */
  uint64_t cum; /* values in buckets [first, next) */
  uint64_t before; /* values below the bucket found last */
} walk;

static void walk_start(const benchy_hist *h, walk *w) {
  w->first = w->next = bucket_of((uint64_t)h->min, h->bits);
  w->cum = 0;
  w->before = 0;
}

static int64_t walk_value(const benchy_hist *h, walk *w, double p) {
  uint64_t rank = rank_of(p, h->count);
  /* The first and last ranks are min and max, which are known exactly. */
  if (rank <= 1) return h->min;
  if (rank >= h->count) return h->max;
  /* A smaller rank than last time lies behind the walk: start over. */
  if (rank <= w->before) walk_start(h, w);
  while (w->cum < rank) w->cum += h->counts[w->next++];
  size_t found = w->next - 1;
  w->before = w->cum - h->counts[found];
  return bucket_value(h, found);
}

int64_t benchy_hist_percentile(const benchy_hist *h, double p) {
  if (!h || h->count == 0) return 0;
  walk w;
  walk_start(h, &w);
  return walk_value(h, &w, p);
}

void benchy_hist_percentiles(const benchy_hist *h, const double *ps, size_t n, int64_t *out) {
  if (!out) return;
  if (!h || !ps || h->count == 0) {
    for (size_t k = 0; k < n; k++) out[k] = 0;
    return;
  }
  walk w;
  walk_start(h, &w);
  for (size_t k = 0; k < n; k++) out[k] = walk_value(h, &w, ps[k]);
}

int benchy_hist_next_bucket(const benchy_hist *h, size_t *it, int64_t *low, int64_t *high,
                            uint64_t *count) {
  if (!h || !it || h->count == 0) return 0;
  size_t i = *it;
  size_t first = bucket_of((uint64_t)h->min, h->bits);
  size_t last = bucket_of((uint64_t)h->max, h->bits);
  if (i < first) i = first;
  while (i <= last && h->counts[i] == 0) i++;
  if (i > last) {
    *it = last + 1;
    return 0;
  }
  uint64_t lo, hi;
  bucket_range(i, h->bits, &lo, &hi);
  if (low) *low = (int64_t)lo;
  if (high) *high = (int64_t)hi;
  if (count) *count = h->counts[i];
  *it = i + 1;
  return 1;
}

/* For collector_json.c: the exact state beside the buckets, so a histogram
 * read back from its buckets is identical to the one written. */
void hist_exact_state(const benchy_hist *h, uint64_t *sum_lo, uint64_t *sum_hi) {
  *sum_lo = h->sum_lo;
  *sum_hi = h->sum_hi;
}

void hist_restore_exact(benchy_hist *h, int64_t min, int64_t max, uint64_t sum_lo,
                        uint64_t sum_hi) {
  h->min = min;
  h->max = max;
  h->sum_lo = sum_lo;
  h->sum_hi = sum_hi;
}
