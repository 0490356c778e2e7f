/*
 * out.c — the scratch "out" every response is built in (sim_internal.h
 * says its layout) and JSON escaping, for the hot path (sim_out_*) and for
 * the cold one (sim_buf_escaped). Below every other file of the simulator:
 * it knows buffers, not streams or connections.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"

int sim_out_reserve(sim_out *o, size_t n) {
  if (benchy_buf_reserve(&o->b, n) != 0) {
    o->oom = 1;
    return -1;
  }
  return 0;
}

int sim_out_begin(sim_out *o) {
  o->b.len = 0;
  o->n_stamps = 0;
  o->n_events = 0;
  o->oom = 0;
  if (sim_out_reserve(o, SIM_OUT_FRONT + 4096)) return -1;
  o->b.len = SIM_OUT_FRONT;
  return 0;
}

void sim_out_mem(sim_out *o, const void *p, size_t n) {
  if (o->b.len + n + 1 > o->b.cap && sim_out_reserve(o, n)) return;
  memcpy(o->b.data + o->b.len, p, n);
  o->b.len += n;
}

void sim_out_str(sim_out *o, const char *s) { sim_out_mem(o, s, strlen(s)); }

void sim_out_i64(sim_out *o, int64_t v) {
  char tmp[24], *p = tmp + sizeof tmp;
  uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) *--p = '-';
  sim_out_mem(o, p, (size_t)(tmp + sizeof tmp - p));
}

void sim_out_double(sim_out *o, double v) {
  char tmp[40];
  if (!isfinite(v)) v = 0; /* JSON has no inf/nan */
  int n = snprintf(tmp, sizeof tmp, "%.9g", v);
  sim_out_mem(o, tmp, (size_t)n);
}

/* One escaping routine for both kinds of buffer: emit(ctx, bytes, n). */
typedef void (*emit_fn)(void *ctx, const char *p, size_t n);

static void escape_into(emit_fn emit, void *ctx, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  const unsigned char *u = (const unsigned char *)s;
  size_t run = 0; /* bytes copied verbatim, flushed in one go */
  for (size_t i = 0; i < n;) {
    unsigned char c = u[i];
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      run++;
      i++;
      continue;
    }
    if (c >= 0x80) {
      uint32_t cp;
      size_t k = sim_utf8_seq(u + i, n - i, &cp);
      if (k) {
        run += k;
        i += k;
        continue;
      }
    }
    if (run) emit(ctx, (const char *)u + i - run, run);
    run = 0;
    char esc[8];
    size_t e = 2;
    esc[0] = '\\';
    switch (c) {
    case '"': esc[1] = '"'; break;
    case '\\': esc[1] = '\\'; break;
    case '\n': esc[1] = 'n'; break;
    case '\r': esc[1] = 'r'; break;
    case '\t': esc[1] = 't'; break;
    default:
      if (c >= 0x80) { /* not UTF-8: the replacement character */
        memcpy(esc, "\\ufffd", 6);
      } else {
        memcpy(esc, "\\u00", 4);
        esc[4] = hex[c >> 4];
        esc[5] = hex[c & 15];
      }
      e = 6;
    }
    emit(ctx, esc, e);
    i++;
  }
  if (run) emit(ctx, (const char *)u + n - run, run);
}

static void emit_out(void *ctx, const char *p, size_t n) { sim_out_mem(ctx, p, n); }

typedef struct buf_ctx {
  benchy_buf *b;
  int failed;
} buf_ctx;

static void emit_buf(void *ctx, const char *p, size_t n) {
  buf_ctx *bc = ctx;
  if (benchy_buf_append(bc->b, p, n)) bc->failed = 1;
}

void sim_out_escaped(sim_out *o, const char *s, size_t n) { escape_into(emit_out, o, s, n); }

int sim_buf_escaped(benchy_buf *b, const char *s, size_t n) {
  buf_ctx bc = {b, 0};
  escape_into(emit_buf, &bc, s, n);
  return bc.failed ? -1 : 0;
}

void sim_out_stamp(sim_t *s, sim_out *o, int64_t sched_ns, int64_t tokens) {
  static const char zero[SIM_STAMP_WIDTH] = "0                   ";
  if (!s->cfg.stamp) return;
  sim_out_str(o, ",\"x_benchy\":{\"send_ns\":");
  /* A placeholder that is valid JSON even if it were never patched; the
   * number is written over it, padded with spaces, right before send(). */
  if (o->n_stamps < SIM_OUT_MAX_STAMPS && !o->oom) o->stamp_at[o->n_stamps++] = o->b.len;
  sim_out_mem(o, zero, SIM_STAMP_WIDTH);
  sim_out_str(o, ",\"sched_ns\":");
  sim_out_i64(o, sched_ns);
  sim_out_str(o, ",\"tokens\":");
  sim_out_i64(o, tokens);
  sim_out_mem(o, "}", 1);
}
