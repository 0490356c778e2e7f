/*
 * loop_internal.h — what the transport (session.c) needs of the loop.
 *
 * The loop owns the libevent base and the curl multi handle. Requests reach
 * curl through loop_add_transfer(); completions come back through
 * the transfer_done callback stored in each easy handle's private pointer.
 * A transfer with attach/detach set runs on another transport (h1.c): the
 * loop then only queues it and counts it, and the transport reports its end
 * through loop_finish_transfer().
 */
#ifndef BENCHY_CORE_LOOP_INTERNAL_H
#define BENCHY_CORE_LOOP_INTERNAL_H

#include <curl/curl.h>
#include <event2/event.h>
#include <signal.h>
#include <stdatomic.h>

#include "benchy/benchy.h"
#include "../util.h"

typedef struct loop_timer loop_timer;

/* Work the loop runs from its top (outside every transport callback, with
 * no library frame below it): a cancelled request's on_done. */
typedef struct loop_deferred {
  struct loop_deferred *next;
  void (*run)(struct loop_deferred *d);
  int queued;
} loop_deferred;

/* What lives on a loop and must be closed before the loop goes (sessions):
 * close cancels what it has in flight, delivering on_done, and detaches
 * itself with loop_remove_client. */
typedef struct loop_client {
  struct loop_client *prev, *next;
  void (*close)(struct loop_client *c);
} loop_client;

/* Every transfer on the multi handle starts with this header (it is what
 * CURLOPT_PRIVATE points at), so the loop can hand completions back. */
typedef struct loop_transfer {
  void (*on_done)(struct loop_transfer *t, CURLcode result);
  struct loop_transfer *next_pending; /* in the add queue */
  int queued;                         /* waiting in the add queue */
  int attached;                       /* added to the multi handle */
  CURL *easy;
  /* Set for transfers not run by curl; attach returns a BENCHY_ status. */
  int (*attach)(struct loop_transfer *t);
  void (*detach)(struct loop_transfer *t);
} loop_transfer;

struct benchy_loop {
  struct event_base *base;
  CURLM *multi;
  struct event *curl_timer;
  struct event *kick;       /* runs queued work from the top of the loop */
  struct event *wake;       /* stop requests from other threads / signals */
  int wake_fd;              /* eventfd */
  /* Set from other threads (a run's cancel) and signal handlers: atomic
   * (lock-free, so still async-signal-safe), not just volatile. */
  atomic_int stop_requested;
  int in_curl;              /* >0 while inside curl_multi_socket_action */
  uint32_t read_seq;        /* increments with every curl_multi_socket_action */
  unsigned in_flight;       /* transfers attached or queued */
  loop_transfer *pending_head, *pending_tail;
  loop_timer *timers;       /* user timers, most recent first */
  int timer_fd;             /* timerfd armed at the earliest user timer */
  struct event *timer_ev;
  int64_t timer_armed_ns;   /* the deadline timer_fd is armed at, 0 none */
  uint64_t next_timer_id;
  uint64_t next_request_id;
  benchy_loop_counters counters;
  char *h1_rbuf;            /* h1.c's receive buffer, shared by its connections */
  int running;              /* >0 inside benchy_loop_run */
  int closing;              /* benchy_loop_free is closing its clients */
  loop_deferred *deferred_head, *deferred_tail;
  struct event *deferred_ev;
  loop_client *clients;
  void *userdata;
};

/* Hands the transfer to curl now, or from the top of the loop when called
 * from inside a curl callback (adding handles there is not allowed). */
BENCHY_INTERNAL int loop_add_transfer(benchy_loop *loop, loop_transfer *t);
/* For transfers with attach set: they ended; calls on_done. */
BENCHY_INTERNAL void loop_finish_transfer(benchy_loop *loop, loop_transfer *t, CURLcode result);
/* Detaches a transfer (queued or attached) without completing it. */
BENCHY_INTERNAL void loop_remove_transfer(benchy_loop *loop, loop_transfer *t);

/* Runs d->run from the top of the loop (in this run, or the next one). */
BENCHY_INTERNAL void loop_defer(benchy_loop *loop, loop_deferred *d);
/* Takes d off the queue without running it. */
BENCHY_INTERNAL void loop_undefer(benchy_loop *loop, loop_deferred *d);
/* Whether benchy_loop_run is on the stack (callbacks are running). */
BENCHY_INTERNAL int loop_running(const benchy_loop *loop);
BENCHY_INTERNAL void loop_add_client(benchy_loop *loop, loop_client *c);
BENCHY_INTERNAL void loop_remove_client(benchy_loop *loop, loop_client *c);

/* For a blocking call made beside the loop on the loop's thread
 * (benchy_session_fetch): the descriptor benchy_loop_stop() makes readable,
 * to wait on with the call's own sockets, and whether a stop was requested.
 * A stop it reports is consumed, as benchy_loop_run() consumes the one that
 * ends it. */
BENCHY_INTERNAL int loop_stop_fd(const benchy_loop *loop);
BENCHY_INTERNAL int loop_take_stop(benchy_loop *loop);

#endif
