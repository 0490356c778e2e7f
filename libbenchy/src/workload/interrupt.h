/*
 * interrupt.h — cancel tokens: one per run, behind benchy_run_cancel(), and
 * the process-wide interrupt behind benchy_interrupt(), which cancels every
 * live run.
 *
 * Everything a run blocks on is a benchy_loop: the runner's workers, and
 * the blocking benchy_session_fetch() of the startup probes, which waits on
 * its session's loop. A loop is watched by its run's token while the run
 * may block on it, and cancelling the token stops every loop it watches
 * (async-signal-safe), so a run stops within one wake-up whatever phase it
 * is in.
 *
 * The workload code asks "is my run cancelled?" without carrying the token
 * around: the token is the calling thread's current one, set by the run on
 * its own thread and by the runner on its workers. Code that runs outside
 * any run (the runner's own unit tests) gets a process-wide fallback token.
 *
 * benchy_interrupt() stays pending while no run is live: a run registering
 * afterwards is cancelled as it starts, so a Ctrl-C during a program's
 * startup is not lost. The run it stopped consumes it (interrupt_clear()).
 */
#ifndef BENCHY_WORKLOAD_INTERRUPT_H
#define BENCHY_WORKLOAD_INTERRUPT_H

#include "benchy/benchy.h"
#include "../util.h"

typedef struct run_cancel run_cancel;

BENCHY_INTERNAL run_cancel *cancel_new(void);
/* Call only after cancel_unregister() (or when never registered). */
BENCHY_INTERNAL void cancel_free(run_cancel *c);
/* Async-signal-safe and thread-safe: cancels the token and stops the loops
 * it watches. */
BENCHY_INTERNAL void cancel_raise(run_cancel *c);
BENCHY_INTERNAL int cancel_is_raised(const run_cancel *c);
/* Makes the token reachable by benchy_interrupt() (and cancels it at once
 * when an interrupt is pending); 0, or -1 when too many runs are live. */
BENCHY_INTERNAL int cancel_register(run_cancel *c);
/* After it returns no benchy_interrupt() touches c any more. */
BENCHY_INTERNAL void cancel_unregister(run_cancel *c);
/* The calling thread's token (NULL: the process-wide fallback). */
BENCHY_INTERNAL void cancel_set_current(run_cancel *c);
BENCHY_INTERNAL run_cancel *cancel_current(void);

/* benchy_interrupt(): async-signal-safe and thread-safe. */
BENCHY_INTERNAL void interrupt_raise(void);
/* The run on this thread is done with the interrupt that stopped it: a
 * pending process-wide interrupt is dropped when this thread's run was
 * cancelled (it consumed it), kept otherwise (it is for another run). */
BENCHY_INTERNAL void interrupt_clear(void);
/* benchy_clear_interrupt(): drops a pending interrupt and the fallback's. */
BENCHY_INTERNAL void interrupt_clear_all(void);
/* Whether the calling thread's run is cancelled. */
BENCHY_INTERNAL int interrupt_pending(void);

/* Watches loop by the calling thread's token until interrupt_unwatch(slot);
 * stops it at once when the token is already cancelled. Returns the slot,
 * or -1 when every slot is taken (the loop is then only stopped between
 * phases). */
BENCHY_INTERNAL int interrupt_watch(benchy_loop *loop);
/* After it returns, no cancel touches the loop any more: it may be freed.
 * Call it on a thread with the same current token as the watch. A slot of
 * -1 is ignored. */
BENCHY_INTERNAL void interrupt_unwatch(int slot);

#endif
