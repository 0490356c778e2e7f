/*
 * run_progress.c — see run_progress.h. The workloads report through the
 * reporter bound to their thread, so they need not know which run (or
 * whether any) executes them; run.c binds one per run.
 */
#include "run_progress.h"

#include <stdio.h>
#include <string.h>

/* REQUESTS events at most this often (10/s): enough for a live counter, few
 * enough that a Python or Lua callback costs nothing measurable. */
#define PROGRESS_INTERVAL_NS 100000000LL

static _Thread_local run_reporter *current;

void run_reporter_init(run_reporter *r, const benchy_options *opts) {
  memset(r, 0, sizeof *r);
  r->opts = opts;
  r->phase = "check";
}

run_reporter *run_reporter_bind(run_reporter *r) {
  run_reporter *outer = current;
  current = r;
  if (r && !r->t_start) r->t_start = benchy_now_ns();
  return outer;
}

static void emit(run_reporter *r, benchy_progress_kind kind, const char *message, int status) {
  if (!r->fn) return;
  benchy_progress p;
  memset(&p, 0, sizeof p);
  p.struct_size = sizeof p;
  p.kind = kind;
  p.phase = r->phase;
  p.index = r->index;
  p.count = r->count;
  p.requests_done = r->done;
  p.requests_failed = r->failed;
  p.requests_in_flight = r->in_flight;
  p.elapsed_s = (double)(benchy_now_ns() - r->t_start) / 1e9;
  p.message = message ? message : "";
  p.status = status;
  r->fn(&p, r->ud);
}

void run_reporter_done(run_reporter *r, int status, const char *error) {
  r->phase = "done";
  r->in_flight = 0;
  emit(r, BENCHY_PROGRESS_DONE, error, status);
}

static void emit_text(benchy_progress_kind kind, const char *fmt, va_list ap) {
  run_reporter *r = current;
  if (!r || !r->fn) return;
  char text[1024] = "";
  if (fmt) vsnprintf(text, sizeof text, fmt, ap);
  benchy_options_scrub(r->opts, text, sizeof text);
  emit(r, kind, text, BENCHY_OK);
}

void run_phase(const char *phase, size_t index, size_t count, const char *fmt, ...) {
  run_reporter *r = current;
  if (!r) return;
  r->phase = phase;
  r->index = index;
  r->count = count;
  va_list ap;
  va_start(ap, fmt);
  emit_text(BENCHY_PROGRESS_PHASE, fmt, ap);
  va_end(ap);
}

void run_message(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit_text(BENCHY_PROGRESS_MESSAGE, fmt, ap);
  va_end(ap);
}

void run_vmessage(const char *fmt, va_list ap) { emit_text(BENCHY_PROGRESS_MESSAGE, fmt, ap); }

void run_warning(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  emit_text(BENCHY_PROGRESS_WARNING, fmt, ap);
  va_end(ap);
}

void run_progress_requests(uint64_t done, uint64_t failed, uint64_t in_flight, int batch_over) {
  run_reporter *r = current;
  if (!r) return;
  r->done = r->done_before + done;
  r->failed = r->failed_before + failed;
  r->in_flight = batch_over ? 0 : in_flight;
  if (batch_over) {
    r->done_before = r->done;
    r->failed_before = r->failed;
  }
  int64_t now = benchy_now_ns();
  if (!batch_over && now - r->t_last_requests < PROGRESS_INTERVAL_NS) return;
  r->t_last_requests = now;
  emit(r, BENCHY_PROGRESS_REQUESTS, NULL, BENCHY_OK);
}
