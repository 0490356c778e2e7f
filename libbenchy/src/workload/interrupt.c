/*
 * interrupt.c — see interrupt.h. Lock-free atomics only, so that
 * interrupt_raise() may run in a signal handler.
 */
#include "interrupt.h"

#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>

/* One per runner worker (at most 1024) and a few for startup loops. */
#define WATCH_SLOTS 1040

static atomic_int pending;
/* interrupt_raise() calls in progress: unwatch waits for them, so a loop is
 * never stopped after its owner was told it may free it. */
static atomic_int raising;
static _Atomic(benchy_loop *) watched[WATCH_SLOTS];

void interrupt_raise(void) {
  atomic_fetch_add(&raising, 1);
  /* Set before the loops are stopped: a loop watched concurrently either
   * is seen below or sees the flag in interrupt_watch(). */
  atomic_store(&pending, 1);
  for (int i = 0; i < WATCH_SLOTS; i++) {
    benchy_loop *loop = atomic_load(&watched[i]);
    if (loop) benchy_loop_stop(loop);
  }
  atomic_fetch_sub(&raising, 1);
}

void interrupt_clear(void) { atomic_store(&pending, 0); }

int interrupt_pending(void) { return atomic_load(&pending) != 0; }

int interrupt_watch(benchy_loop *loop) {
  if (!loop) return -1;
  int slot = -1;
  for (int i = 0; i < WATCH_SLOTS && slot < 0; i++) {
    benchy_loop *expected = NULL;
    if (atomic_compare_exchange_strong(&watched[i], &expected, loop)) slot = i;
  }
  if (atomic_load(&pending)) benchy_loop_stop(loop);
  return slot;
}

void interrupt_unwatch(int slot) {
  if (slot < 0 || slot >= WATCH_SLOTS) return;
  atomic_store(&watched[slot], NULL);
  /* A raise on another thread may hold the pointer it read before the
   * store; it is a few writes away from done. (A raise in a signal handler
   * on this thread has already finished when this line runs.) */
  while (atomic_load(&raising)) sched_yield();
}
