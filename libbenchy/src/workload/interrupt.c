/*
 * interrupt.c — see interrupt.h. Lock-free atomics only, so that
 * cancel_raise() and interrupt_raise() may run in a signal handler.
 */
#include "interrupt.h"

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>

/* One per runner worker (at most 1024) and a few for startup loops. */
#define WATCH_SLOTS 1040
/* Runs live at once in one process; more fail to start with a message. */
#define LIVE_SLOTS 256

struct run_cancel {
  atomic_int raised;
  /* cancel_raise() calls in progress: unwatch waits for them, so a loop is
   * never stopped after its owner was told it may free it. */
  atomic_int raising;
  _Atomic(benchy_loop *) watched[WATCH_SLOTS];
};

static run_cancel fallback;
static _Thread_local run_cancel *current;

static _Atomic(run_cancel *) live[LIVE_SLOTS];
static atomic_int global_pending;
/* interrupt_raise() calls in progress: unregister waits for them. */
static atomic_int global_raising;

run_cancel *cancel_new(void) { return calloc(1, sizeof(run_cancel)); }

void cancel_free(run_cancel *c) {
  if (c != &fallback) free(c);
}

void cancel_raise(run_cancel *c) {
  if (!c) return;
  atomic_fetch_add(&c->raising, 1);
  /* Set before the loops are stopped: a loop watched concurrently either
   * is seen below or sees the flag in interrupt_watch(). */
  atomic_store(&c->raised, 1);
  for (int i = 0; i < WATCH_SLOTS; i++) {
    benchy_loop *loop = atomic_load(&c->watched[i]);
    if (loop) benchy_loop_stop(loop);
  }
  atomic_fetch_sub(&c->raising, 1);
}

int cancel_is_raised(const run_cancel *c) { return atomic_load(&c->raised) != 0; }

int cancel_register(run_cancel *c) {
  int slot = -1;
  for (int i = 0; i < LIVE_SLOTS && slot < 0; i++) {
    run_cancel *expected = NULL;
    if (atomic_compare_exchange_strong(&live[i], &expected, c)) slot = i;
  }
  /* After the insert: an interrupt raised concurrently either saw c in the
   * table or set the flag before this load. */
  if (atomic_load(&global_pending)) cancel_raise(c);
  return slot < 0 ? -1 : 0;
}

void cancel_unregister(run_cancel *c) {
  for (int i = 0; i < LIVE_SLOTS; i++) {
    run_cancel *expected = c;
    if (atomic_compare_exchange_strong(&live[i], &expected, NULL)) break;
  }
  while (atomic_load(&global_raising)) sched_yield();
}

void cancel_set_current(run_cancel *c) { current = c; }
run_cancel *cancel_current(void) { return current; }

static run_cancel *mine(void) { return current ? current : &fallback; }

void interrupt_raise(void) {
  atomic_fetch_add(&global_raising, 1);
  atomic_store(&global_pending, 1);
  cancel_raise(&fallback);
  for (int i = 0; i < LIVE_SLOTS; i++) {
    run_cancel *c = atomic_load(&live[i]);
    if (c) cancel_raise(c);
  }
  atomic_fetch_sub(&global_raising, 1);
}

void interrupt_clear(void) {
  run_cancel *c = mine();
  if (!atomic_load(&c->raised)) return;
  atomic_store(&global_pending, 0);
  atomic_store(&fallback.raised, 0);
}

void interrupt_clear_all(void) {
  atomic_store(&global_pending, 0);
  atomic_store(&fallback.raised, 0);
}

int interrupt_pending(void) { return atomic_load(&mine()->raised) != 0; }

int interrupt_watch(benchy_loop *loop) {
  if (!loop) return -1;
  run_cancel *c = mine();
  int slot = -1;
  for (int i = 0; i < WATCH_SLOTS && slot < 0; i++) {
    benchy_loop *expected = NULL;
    if (atomic_compare_exchange_strong(&c->watched[i], &expected, loop)) slot = i;
  }
  if (atomic_load(&c->raised)) benchy_loop_stop(loop);
  return slot;
}

void interrupt_unwatch(int slot) {
  if (slot < 0 || slot >= WATCH_SLOTS) return;
  run_cancel *c = mine();
  atomic_store(&c->watched[slot], NULL);
  /* A raise on another thread may hold the pointer it read before the
   * store; it is a few writes away from done. (A raise in a signal handler
   * on this thread has already finished when this line runs.) */
  while (atomic_load(&c->raising)) sched_yield();
}
