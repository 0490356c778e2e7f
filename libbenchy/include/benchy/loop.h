/*
 * The event loop: one per thread, on libevent (epoll on Linux, kqueue on
 * BSD/macOS). It carries the streams of its sessions and runs timers.
 * http:// streams go through benchy's own HTTP/1.1 reader (dated by the
 * kernel's receive timestamps); https://, a proxy from the environment and
 * BENCHY_TRANSPORT=curl go through libcurl's multi interface on the same
 * loop. docs/c-api.md describes both.
 *
 * Threading: a loop and everything attached to it (sessions, requests,
 * timers) belong to the thread that runs it; callbacks run on that thread,
 * inside benchy_loop_run() - or, for what is cancelled while the loop is not
 * running, inside the call that cancelled it (benchy_request_cancel,
 * benchy_session_free, benchy_loop_free). Only benchy_loop_stop() may be
 * called from another thread or a signal handler.
 */
#ifndef BENCHY_LOOP_H
#define BENCHY_LOOP_H

#include "benchy/export.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef struct benchy_loop benchy_loop;

BENCHY_API int benchy_loop_new(benchy_loop **out);
/* Frees the loop, its timers and its transfer machinery. What is still in
 * flight is cancelled, not refused: every request of every session still
 * on the loop completes with BENCHY_ERR_CANCELLED, its on_done called
 * before this returns (and every fetch's callback likewise), because a
 * refusal from a void free would leak, and bindings' garbage collectors
 * free loops and sessions in whatever order they like. Timers are dropped
 * without firing. The sessions and requests stay valid objects, detached:
 * free them afterwards as usual; starting anything on them is
 * BENCHY_ERR_STATE. Those on_done calls may free their request, but must
 * not free its session. Not from one of the loop's own callbacks. */
BENCHY_API void benchy_loop_free(benchy_loop *loop);
/* A pointer of the caller's, kept with the loop (NULL until set). */
BENCHY_API void benchy_loop_set_userdata(benchy_loop *loop, void *userdata);
BENCHY_API void *benchy_loop_userdata(const benchy_loop *loop);

typedef enum benchy_run_mode {
  /* Until no request or fetch is in flight or queued, no cancelled
   * request's on_done is waiting and no timer is pending, or until
   * benchy_loop_stop(). */
  BENCHY_RUN_DEFAULT = 0,
  /* Block for one round of events, then return. */
  BENCHY_RUN_ONCE = 1,
  /* Handle what is ready now, never block. */
  BENCHY_RUN_NOWAIT = 2
} benchy_run_mode;

/* Returns BENCHY_OK, or BENCHY_ERR_CANCELLED when stopped (a stop requested
 * while it was not running ends the next run). Never call it from one of
 * the loop's own callbacks: from on_chunk it returns BENCHY_ERR_STATE; from
 * on_done or a timer the re-entry is not detected. */
BENCHY_API int benchy_loop_run(benchy_loop *loop, benchy_run_mode mode);
/* Async-signal-safe and thread-safe: makes benchy_loop_run() return soon.
 * Requests in flight are left in flight: cancel them, run the loop again
 * to let them finish, or free the loop (which cancels them). */
BENCHY_API void benchy_loop_stop(benchy_loop *loop);
BENCHY_API int benchy_loop_stopped(const benchy_loop *loop);

/* Number of requests and fetches started on this loop whose on_done (or
 * fetch callback) has not run yet; a request cancelled from a callback
 * counts until its on_done ran. */
BENCHY_API unsigned benchy_loop_in_flight(const benchy_loop *loop);

typedef void (*benchy_timer_fn)(benchy_loop *loop, void *userdata);
/* Calls fn once, from the top of the loop, at monotonic time at_ns
 * (benchy_now_ns()); a time in the past fires at the next iteration.
 * Returns a timer id > 0, or 0 when out of memory. */
BENCHY_API uint64_t benchy_loop_call_at(benchy_loop *loop, int64_t at_ns, benchy_timer_fn fn,
                                        void *userdata);
/* Cancels a pending timer; unknown or fired ids are ignored. */
BENCHY_API void benchy_loop_cancel_timer(benchy_loop *loop, uint64_t timer_id);

/* Counters kept by the loop, to make coalescing and overhead visible. */
typedef struct benchy_loop_counters {
  uint32_t struct_size;
  uint64_t socket_reads;   /* socket readiness events handled (either transport) */
  uint64_t sse_events;     /* SSE events decoded */
  uint64_t requests_done;  /* requests completed, success or not */
  uint64_t retries;        /* requests retried on a fresh connection */
  uint64_t connections;    /* connections opened by streamed requests */
  /* Appended: reads that returned response bytes, and how many of them
   * were dated by the kernel's receive timestamp (see benchy_rx_clock). */
  uint64_t data_reads;
  uint64_t kernel_stamped_reads;
} benchy_loop_counters;
BENCHY_API void benchy_loop_get_counters(const benchy_loop *loop, benchy_loop_counters *out);

#ifdef __cplusplus
}
#endif
#endif
