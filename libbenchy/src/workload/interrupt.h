/*
 * interrupt.h — the process-wide interrupt behind benchy_interrupt().
 *
 * Everything a run blocks on is a benchy_loop: the runner's workers, and
 * the blocking benchy_session_fetch() of the startup probes, which waits on
 * its session's loop. A loop is watched while a run may block on it, and
 * raising the interrupt stops every watched loop (async-signal-safe), so a
 * run stops within one wake-up whatever phase it is in.
 *
 * The interrupt stays pending until the run it stopped returns (runs clear
 * it on their way out) or benchy_clear_interrupt(): one that arrives before
 * a run started watching anything (a Ctrl-C during the CLI's startup) is
 * not lost, because watching a loop while it is pending stops that loop at
 * once, and each phase checks interrupt_pending() before it starts.
 */
#ifndef BENCHY_WORKLOAD_INTERRUPT_H
#define BENCHY_WORKLOAD_INTERRUPT_H

#include "benchy/benchy.h"
#include "../util.h"

/* Async-signal-safe and thread-safe. */
BENCHY_INTERNAL void interrupt_raise(void);
BENCHY_INTERNAL void interrupt_clear(void);
BENCHY_INTERNAL int interrupt_pending(void);

/* Watches loop until interrupt_unwatch(slot); stops it at once when an
 * interrupt is pending. Returns the slot, or -1 when every slot is taken
 * (the loop is then only stopped between phases). */
BENCHY_INTERNAL int interrupt_watch(benchy_loop *loop);
/* After it returns, no interrupt_raise() touches the loop any more: it may
 * be freed. A slot of -1 is ignored. */
BENCHY_INTERNAL void interrupt_unwatch(int slot);

#endif
