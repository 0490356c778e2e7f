/*
 * loop.c — the event loop: libcurl's multi-socket interface on libevent.
 *
 * Provides benchy_loop_* and, for session.c, loop_add_transfer /
 * loop_remove_transfer. Uses libevent for readiness and its own timeouts,
 * and curl_multi_socket_action for the transfers.
 *
 * User timers (benchy_loop_call_at: open-loop send times) sit on a timerfd
 * of their own, armed at the earliest one with an absolute deadline, so a
 * scheduled send is not rounded to a millisecond. libevent's precise-timer
 * mode would give that too, but it calls timerfd_settime before every
 * epoll_wait, timers or not: one more syscall per wake-up on the streaming
 * path. Transport timeouts stay on libevent at millisecond resolution.
 *
 * Every curl_multi_socket_action gets a sequence number (read_seq): the
 * events a transfer decodes within one action arrived together, and the
 * record counts such reads so that coalescing is visible. Receive times are
 * taken by session.c when curl hands bytes over (see on_body there).
 *
 * Two more lists serve the lifetime contracts of loop.h: deferred work
 * (loop_defer: a request cancelled from a callback gets its on_done from a
 * libevent callback of its own, with no transport frame below it), and
 * clients (the sessions, which benchy_loop_free closes - cancelling what
 * they have in flight - before it frees anything they point into).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "loop_internal.h"

struct loop_timer {
  loop_timer *next;
  uint64_t id;
  int64_t at_ns;
  benchy_timer_fn fn;
  void *userdata;
};

typedef struct socket_watch {
  struct event *ev;
  benchy_loop *loop;
} socket_watch;

static void on_user_timers(evutil_socket_t fd, short what, void *arg);

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void init_curl_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Hands every finished transfer back to its owner. Runs only after
 * curl_multi_socket_action has returned, so owners may add or remove
 * handles and run user code. */
static void drain_completions(benchy_loop *loop) {
  CURLMsg *msg;
  int left;
  while ((msg = curl_multi_info_read(loop->multi, &left))) {
    if (msg->msg != CURLMSG_DONE) continue;
    loop_transfer *t = NULL;
    curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
    CURLcode result = msg->data.result;
    curl_multi_remove_handle(loop->multi, msg->easy_handle);
    t->attached = 0;
    loop->in_flight--;
    t->on_done(t, result);
  }
}

static void socket_action(benchy_loop *loop, curl_socket_t fd, int flags) {
  int running = 0;
  loop->read_seq++;
  loop->in_curl++;
  curl_multi_socket_action(loop->multi, fd, flags, &running);
  loop->in_curl--;
  drain_completions(loop);
}

static int attach_transfer(benchy_loop *loop, loop_transfer *t) {
  if (t->attach) return t->attach(t);
  return curl_multi_add_handle(loop->multi, t->easy) == CURLM_OK ? BENCHY_OK : BENCHY_ERR_NOMEM;
}

/* Returns whether a curl handle was among those attached. */
static int flush_pending(benchy_loop *loop) {
  int curl_added = 0;
  while (loop->pending_head) {
    loop_transfer *t = loop->pending_head;
    loop->pending_head = t->next_pending;
    if (!loop->pending_head) loop->pending_tail = NULL;
    t->next_pending = NULL;
    t->queued = 0;
    if (attach_transfer(loop, t) != BENCHY_OK) {
      loop->in_flight--;
      t->on_done(t, CURLE_OUT_OF_MEMORY);
      continue;
    }
    t->attached = 1;
    curl_added |= t->attach == NULL;
  }
  return curl_added;
}

static void on_socket_ready(evutil_socket_t fd, short what, void *arg) {
  socket_watch *w = arg;
  benchy_loop *loop = w->loop;
  loop->counters.socket_reads++;
  int flags = ((what & EV_READ) ? CURL_CSELECT_IN : 0) | ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
  socket_action(loop, fd, flags);
}

static void on_curl_timer(evutil_socket_t fd, short what, void *arg) {
  benchy_loop *loop = arg;
  socket_action(loop, CURL_SOCKET_TIMEOUT, 0);
}

static void on_kick(evutil_socket_t fd, short what, void *arg) {
  benchy_loop *loop = arg;
  /* A newly added curl handle wants its first action now (h1 transfers
   * started themselves when attached). */
  if (flush_pending(loop)) socket_action(loop, CURL_SOCKET_TIMEOUT, 0);
}

static void on_deferred(evutil_socket_t fd, short what, void *arg) {
  benchy_loop *loop = arg;
  /* One at a time: each run may queue or withdraw others. */
  while (loop->deferred_head) {
    loop_deferred *d = loop->deferred_head;
    loop->deferred_head = d->next;
    if (!loop->deferred_head) loop->deferred_tail = NULL;
    d->next = NULL;
    d->queued = 0;
    d->run(d);
  }
}

void loop_defer(benchy_loop *loop, loop_deferred *d) {
  if (d->queued) return;
  d->queued = 1;
  d->next = NULL;
  if (loop->deferred_tail)
    loop->deferred_tail->next = d;
  else
    loop->deferred_head = d;
  loop->deferred_tail = d;
  event_active(loop->deferred_ev, 0, 0);
}

void loop_undefer(benchy_loop *loop, loop_deferred *d) {
  if (!d->queued) return;
  loop_deferred *prev = NULL;
  for (loop_deferred **p = &loop->deferred_head; *p; prev = *p, p = &(*p)->next) {
    if (*p == d) {
      *p = d->next;
      if (loop->deferred_tail == d) loop->deferred_tail = prev;
      break;
    }
  }
  d->next = NULL;
  d->queued = 0;
}

int loop_running(const benchy_loop *loop) { return loop->running > 0; }

void loop_add_client(benchy_loop *loop, loop_client *c) {
  c->prev = NULL;
  c->next = loop->clients;
  if (loop->clients) loop->clients->prev = c;
  loop->clients = c;
}

void loop_remove_client(benchy_loop *loop, loop_client *c) {
  if (c->prev)
    c->prev->next = c->next;
  else if (loop->clients == c)
    loop->clients = c->next;
  if (c->next) c->next->prev = c->prev;
  c->prev = c->next = NULL;
}

static void on_wake(evutil_socket_t fd, short what, void *arg) {
  benchy_loop *loop = arg;
  uint64_t value;
  while (read(loop->wake_fd, &value, sizeof value) > 0) {
  }
  if (loop->stop_requested) event_base_loopbreak(loop->base);
}

static int curl_socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp) {
  benchy_loop *loop = userp;
  socket_watch *w = socketp;
  if (what == CURL_POLL_REMOVE) {
    if (w) {
      event_free(w->ev);
      free(w);
      curl_multi_assign(loop->multi, fd, NULL);
    }
    return 0;
  }
  short events = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
                 ((what & CURL_POLL_OUT) ? EV_WRITE : 0);
  if (!w) {
    w = calloc(1, sizeof *w);
    if (!w) return -1;
    w->loop = loop;
    w->ev = event_new(loop->base, fd, events, on_socket_ready, w);
    if (!w->ev) {
      free(w);
      return -1;
    }
    curl_multi_assign(loop->multi, fd, w);
  } else {
    event_del(w->ev);
    event_assign(w->ev, loop->base, fd, events, on_socket_ready, w);
  }
  event_add(w->ev, NULL);
  return 0;
}

static int curl_timer_cb(CURLM *multi, long timeout_ms, void *userp) {
  benchy_loop *loop = userp;
  if (timeout_ms < 0) {
    evtimer_del(loop->curl_timer);
    return 0;
  }
  struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  evtimer_add(loop->curl_timer, &tv);
  return 0;
}

int benchy_loop_new(benchy_loop **out) {
  if (!out) return BENCHY_ERR_INVALID;
  *out = NULL;
  pthread_once(&curl_once, init_curl_once);
  benchy_loop *loop = calloc(1, sizeof *loop);
  if (!loop) return BENCHY_ERR_NOMEM;
  loop->counters.struct_size = sizeof loop->counters;
  loop->wake_fd = -1;
  loop->timer_fd = -1;
  struct event_config *cfg = event_config_new();
  if (!cfg) goto nomem;
  /* One loop per thread: no locks. No precise-timer mode (see above). */
  event_config_set_flag(cfg, EVENT_BASE_FLAG_NOLOCK);
  loop->base = event_base_new_with_config(cfg);
  event_config_free(cfg);
  if (!loop->base) goto nomem;
  loop->multi = curl_multi_init();
  if (!loop->multi) goto nomem;
  curl_multi_setopt(loop->multi, CURLMOPT_SOCKETFUNCTION, curl_socket_cb);
  curl_multi_setopt(loop->multi, CURLMOPT_SOCKETDATA, loop);
  curl_multi_setopt(loop->multi, CURLMOPT_TIMERFUNCTION, curl_timer_cb);
  curl_multi_setopt(loop->multi, CURLMOPT_TIMERDATA, loop);
  /* Thousands of streams to one server: no cap on connections per host,
   * and a cache large enough to keep them all for reuse. */
  curl_multi_setopt(loop->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
  curl_multi_setopt(loop->multi, CURLMOPT_MAXCONNECTS, 65536L);
  loop->curl_timer = evtimer_new(loop->base, on_curl_timer, loop);
  loop->kick = event_new(loop->base, -1, 0, on_kick, loop);
  loop->deferred_ev = event_new(loop->base, -1, 0, on_deferred, loop);
  if (!loop->deferred_ev) goto nomem;
  loop->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (!loop->curl_timer || !loop->kick || loop->wake_fd < 0) goto nomem;
  loop->wake = event_new(loop->base, loop->wake_fd, EV_READ | EV_PERSIST, on_wake, loop);
  if (!loop->wake || event_add(loop->wake, NULL) != 0) goto nomem;
  loop->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (loop->timer_fd < 0) goto nomem;
  loop->timer_ev = event_new(loop->base, loop->timer_fd, EV_READ | EV_PERSIST, on_user_timers, loop);
  if (!loop->timer_ev || event_add(loop->timer_ev, NULL) != 0) goto nomem;
  *out = loop;
  return BENCHY_OK;
nomem:
  benchy_loop_free(loop);
  return BENCHY_ERR_NOMEM;
}

static void timer_unlink(benchy_loop *loop, loop_timer *t) {
  for (loop_timer **p = &loop->timers; *p; p = &(*p)->next) {
    if (*p == t) {
      *p = t->next;
      break;
    }
  }
  free(t);
}

void benchy_loop_free(benchy_loop *loop) {
  if (!loop) return;
  /* Sessions still alive cancel what they have in flight, each on_done
   * delivered here, and let go of the loop: the caller's objects stay
   * valid to free afterwards, in any order (bindings' collectors free in
   * whatever order they like). */
  loop->closing = 1;
  while (loop->clients) {
    loop_client *c = loop->clients;
    c->close(c);
    if (loop->clients == c) loop_remove_client(loop, c);
  }
  /* Anything still deferred belonged to those sessions and ran above. */
  on_deferred(-1, 0, loop);
  while (loop->timers) timer_unlink(loop, loop->timers);
  if (loop->multi) curl_multi_cleanup(loop->multi);
  if (loop->curl_timer) event_free(loop->curl_timer);
  if (loop->kick) event_free(loop->kick);
  if (loop->deferred_ev) event_free(loop->deferred_ev);
  if (loop->wake) event_free(loop->wake);
  if (loop->wake_fd >= 0) close(loop->wake_fd);
  if (loop->timer_ev) event_free(loop->timer_ev);
  if (loop->timer_fd >= 0) close(loop->timer_fd);
  if (loop->base) event_base_free(loop->base);
  free(loop->h1_rbuf);
  free(loop);
}

int loop_add_transfer(benchy_loop *loop, loop_transfer *t) {
  if (t->queued || t->attached) return BENCHY_ERR_STATE;
  loop->in_flight++;
  if (loop->in_curl) {
    t->queued = 1;
    t->next_pending = NULL;
    if (loop->pending_tail)
      loop->pending_tail->next_pending = t;
    else
      loop->pending_head = t;
    loop->pending_tail = t;
    event_active(loop->kick, 0, 0);
    return BENCHY_OK;
  }
  int st = attach_transfer(loop, t);
  if (st != BENCHY_OK) {
    loop->in_flight--;
    return st;
  }
  t->attached = 1;
  return BENCHY_OK;
}

void loop_finish_transfer(benchy_loop *loop, loop_transfer *t, CURLcode result) {
  if (!t->attached) return;
  t->attached = 0;
  loop->in_flight--;
  t->on_done(t, result);
}

void loop_remove_transfer(benchy_loop *loop, loop_transfer *t) {
  if (t->queued) {
    loop_transfer **p = &loop->pending_head;
    loop_transfer *prev = NULL;
    while (*p && *p != t) {
      prev = *p;
      p = &(*p)->next_pending;
    }
    if (*p) {
      *p = t->next_pending;
      if (loop->pending_tail == t) loop->pending_tail = prev;
    }
    t->queued = 0;
    loop->in_flight--;
  } else if (t->attached) {
    if (t->detach)
      t->detach(t);
    else
      curl_multi_remove_handle(loop->multi, t->easy);
    t->attached = 0;
    loop->in_flight--;
  }
}

int benchy_loop_run(benchy_loop *loop, benchy_run_mode mode) {
  if (!loop) return BENCHY_ERR_INVALID;
  if (loop->in_curl) return BENCHY_ERR_STATE; /* no re-entry from callbacks */
  loop->running++;
  switch (mode) {
  case BENCHY_RUN_ONCE:
    event_base_loop(loop->base, EVLOOP_ONCE);
    break;
  case BENCHY_RUN_NOWAIT:
    event_base_loop(loop->base, EVLOOP_NONBLOCK);
    break;
  default:
    while (!loop->stop_requested && (loop->in_flight || loop->timers || loop->deferred_head))
      event_base_loop(loop->base, EVLOOP_ONCE);
    break;
  }
  loop->running--;
  if (loop->stop_requested) {
    loop->stop_requested = 0;
    return BENCHY_ERR_CANCELLED;
  }
  return BENCHY_OK;
}

void benchy_loop_stop(benchy_loop *loop) {
  if (!loop) return;
  loop->stop_requested = 1;
  uint64_t one = 1;
  /* write() is async-signal-safe; the loop wakes and breaks. */
  ssize_t ignored = write(loop->wake_fd, &one, sizeof one);
  (void)ignored;
}

int loop_stop_fd(const benchy_loop *loop) { return loop->wake_fd; }

int loop_take_stop(benchy_loop *loop) {
  /* Drained first: a stop that lands after the read still finds its flag
   * set below or wakes the next wait. */
  uint64_t value;
  while (read(loop->wake_fd, &value, sizeof value) > 0) {
  }
  if (!loop->stop_requested) return 0;
  loop->stop_requested = 0;
  return 1;
}

void benchy_loop_set_userdata(benchy_loop *loop, void *userdata) {
  if (loop) loop->userdata = userdata;
}
void *benchy_loop_userdata(const benchy_loop *loop) { return loop ? loop->userdata : NULL; }

int benchy_loop_stopped(const benchy_loop *loop) { return loop ? loop->stop_requested != 0 : 0; }

unsigned benchy_loop_in_flight(const benchy_loop *loop) { return loop ? loop->in_flight : 0; }

static loop_timer *earliest_timer(const benchy_loop *loop) {
  loop_timer *best = NULL;
  for (loop_timer *t = loop->timers; t; t = t->next)
    if (!best || t->at_ns < best->at_ns) best = t;
  return best;
}

/* Points the timerfd at the earliest user timer (or disarms it). */
static void rearm_timers(benchy_loop *loop) {
  loop_timer *first = earliest_timer(loop);
  int64_t at = first ? first->at_ns : 0;
  if (at == loop->timer_armed_ns) return;
  struct itimerspec spec = {{0, 0}, {0, 0}};
  if (first) {
    spec.it_value.tv_sec = (time_t)(at / 1000000000);
    spec.it_value.tv_nsec = (long)(at % 1000000000);
  }
  timerfd_settime(loop->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
  loop->timer_armed_ns = at;
}

static void on_user_timers(evutil_socket_t fd, short what, void *arg) {
  benchy_loop *loop = arg;
  uint64_t expirations;
  /* Non-blocking, and one read returns every expiration: no second call. */
  ssize_t ignored = read(loop->timer_fd, &expirations, sizeof expirations);
  (void)ignored;
  loop->timer_armed_ns = 0; /* fired: whatever comes next is armed afresh */
  /* Due timers in deadline order; each may add or cancel others. Only
   * those that existed when the pass began run in it: a callback that
   * schedules another for now would otherwise keep this pass going for
   * ever, with sockets and later timers never served. */
  const uint64_t newest = loop->next_timer_id;
  const int64_t now = benchy_now_ns();
  for (;;) {
    loop_timer *t = NULL;
    for (loop_timer *c = loop->timers; c; c = c->next)
      if (c->id <= newest && c->at_ns <= now && (!t || c->at_ns < t->at_ns)) t = c;
    if (!t) break;
    benchy_timer_fn fn = t->fn;
    void *userdata = t->userdata;
    timer_unlink(loop, t); /* before the call: fn may schedule new timers */
    fn(loop, userdata);
  }
  rearm_timers(loop);
}

uint64_t benchy_loop_call_at(benchy_loop *loop, int64_t at_ns, benchy_timer_fn fn, void *userdata) {
  if (!loop || !fn) return 0;
  loop_timer *t = calloc(1, sizeof *t);
  if (!t) return 0;
  /* A zero deadline would disarm the timerfd; anything that early is due now. */
  t->at_ns = at_ns > 0 ? at_ns : 1;
  t->fn = fn;
  t->userdata = userdata;
  t->id = ++loop->next_timer_id;
  t->next = loop->timers;
  loop->timers = t;
  rearm_timers(loop);
  return t->id;
}

void benchy_loop_cancel_timer(benchy_loop *loop, uint64_t timer_id) {
  if (!loop) return;
  for (loop_timer *t = loop->timers; t; t = t->next) {
    if (t->id == timer_id) {
      timer_unlink(loop, t);
      rearm_timers(loop);
      return;
    }
  }
}

void benchy_loop_get_counters(const benchy_loop *loop, benchy_loop_counters *out) {
  if (!loop || !out) return;
  uint32_t size = out->struct_size && out->struct_size < sizeof *out ? out->struct_size : sizeof *out;
  memcpy(out, &loop->counters, size);
  out->struct_size = size;
}
