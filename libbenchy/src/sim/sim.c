/*
 * sim.c — benchy_sim's public face: the loop thread's start and stop, the
 * statistics read from any thread and the timing model's text. The options
 * are decoded in config.c, GET /sim/stats written by stats.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <time.h>

#include <event2/event.h>
#include <event2/thread.h>

#include "sim/sim_internal.h"

static pthread_once_t threads_once = PTHREAD_ONCE_INIT;
static int threads_ok;

static void init_threads(void) { threads_ok = evthread_use_pthreads() == 0; }

/* When the next chunk is closer than cfg.spin_ns (--spin-us), it is waited
 * for by polling the sockets without blocking rather than by sleeping on a
 * timer: wake-ups from a timer are late by tens of microseconds on bare
 * metal and by milliseconds on some VMs. Under load (thousands of streams)
 * chunks are microseconds apart, so the loop never sleeps; a handful of
 * streams still idles at the default. */

static void stop_cb(evutil_socket_t fd, short what, void *arg) {
  sim_t *s = arg;
  s->stop_requested = 1;
  event_base_loopbreak(s->base);
}

static void *loop_main(void *arg) {
  sim_t *s = arg;
  /* Timer slack (50 us by default) would make every wake-up that late. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  while (!s->stop_requested) {
    int64_t wait = sim_sched_run(s);
    if (wait <= s->cfg.spin_ns) {
      event_base_loop(s->base, EVLOOP_NONBLOCK);
    } else {
      sim_sched_arm(s);
      event_base_loop(s->base, EVLOOP_ONCE);
    }
  }
  return NULL;
}

static void destroy(sim_t *s) {
  sim_http_close_all(s);
  sim_sched_free(s);
  if (s->ev_stop) event_free(s->ev_stop);
  if (s->base) event_base_free(s->base);
  benchy_hist_free(s->lateness);
  benchy_options_free(s->opts);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

int benchy_sim_start(benchy_sim **out, const benchy_options *opts, char *errbuf, size_t errbuf_len) {
  if (!out) return BENCHY_ERR_INVALID;
  *out = NULL;
  pthread_once(&threads_once, init_threads);
  if (!threads_ok) {
    benchy_set_error(errbuf, errbuf_len, "libevent has no thread support");
    return BENCHY_ERR_UNSUPPORTED;
  }
  if (opts && !(benchy_options_command(opts) & BENCHY_CMD_SIM)) {
    benchy_set_error(errbuf, errbuf_len, "options are not for the sim command");
    return BENCHY_ERR_INVALID;
  }
  sim_t *s = calloc(1, sizeof *s);
  if (!s) return BENCHY_ERR_NOMEM;
  pthread_mutex_init(&s->mu, NULL);
  int st = opts ? benchy_options_copy(&s->opts, opts) : benchy_options_new(&s->opts, BENCHY_CMD_SIM);
  if (st != BENCHY_OK) {
    benchy_set_error(errbuf, errbuf_len, "out of memory");
    destroy(s);
    return st;
  }
  char err[512] = "";
  if (sim_config_from_options(&s->cfg, s->opts, err, sizeof err)) {
    benchy_set_error(errbuf, errbuf_len, "%s", err);
    destroy(s);
    return BENCHY_ERR_INVALID;
  }
  s->started_ns = benchy_now_ns();
  s->created_base = (int64_t)time(NULL);
  if (benchy_hist_new(&s->lateness, 7) != BENCHY_OK) {
    benchy_set_error(errbuf, errbuf_len, "out of memory");
    destroy(s);
    return BENCHY_ERR_NOMEM;
  }
  struct event_config *ec = event_config_new();
  if (ec) {
    /* Precise timers (timerfd) instead of epoll's millisecond timeouts. */
    event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER);
    s->base = event_base_new_with_config(ec);
    event_config_free(ec);
  }
  if (!s->base || sim_sched_init(s) || !(s->ev_stop = event_new(s->base, -1, 0, stop_cb, s))) {
    benchy_set_error(errbuf, errbuf_len, "cannot create the event loop");
    destroy(s);
    return BENCHY_ERR_NOMEM;
  }
  static const sim_http_handlers handlers = {sim_route, sim_stream_cancel};
  if (sim_http_listen(s, &handlers, err, sizeof err)) {
    benchy_set_error(errbuf, errbuf_len, "%s", err);
    destroy(s);
    return BENCHY_ERR_IO;
  }
  int rc = pthread_create(&s->thread, NULL, loop_main, s);
  if (rc != 0) {
    snprintf(err, sizeof err, "cannot start the server thread: %s", strerror(rc));
    benchy_set_error(errbuf, errbuf_len, "%s", err);
    destroy(s);
    return BENCHY_ERR_IO;
  }
  s->thread_started = 1;
  *out = s;
  return BENCHY_OK;
}

void benchy_sim_stop(benchy_sim *sim) {
  if (!sim) return;
  if (sim->thread_started) {
    /* event_active is safe from any thread once evthread is set up. */
    event_active(sim->ev_stop, EV_READ, 0);
    pthread_join(sim->thread, NULL);
  }
  destroy(sim);
}

int benchy_sim_port(const benchy_sim *sim) { return sim ? sim->port : 0; }
void benchy_sim_set_userdata(benchy_sim *sim, void *userdata) {
  if (sim) sim->userdata = userdata;
}
void *benchy_sim_userdata(const benchy_sim *sim) { return sim ? sim->userdata : NULL; }

const char *benchy_sim_base_url(const benchy_sim *sim) { return sim ? sim->base_url : NULL; }

int benchy_sim_describe(const benchy_sim *sim, char *buf, size_t len) {
  if (!sim || !buf || !len) return BENCHY_ERR_INVALID;
  snprintf(buf, len, "%s (model %s, flavour %s, %lld slots)", sim->base_url, sim->cfg.model,
           sim_flavour_names[sim->cfg.flavour], (long long)sim->cfg.slots);
  return BENCHY_OK;
}

void benchy_sim_get_stats(benchy_sim *sim, benchy_sim_stats *out) {
  if (!out) return;
  uint32_t size = out->struct_size && out->struct_size < sizeof *out ? out->struct_size : sizeof *out;
  benchy_sim_stats st;
  memset(&st, 0, sizeof st);
  st.struct_size = (uint32_t)sizeof st;
  if (sim) {
    pthread_mutex_lock(&sim->mu);
    st.requests = sim->requests;
    st.streams = sim->streams;
    st.chunks = sim->chunks;
    st.faults = sim->faults;
    st.lateness_p50_ns = benchy_hist_percentile(sim->lateness, 50);
    st.lateness_p99_ns = benchy_hist_percentile(sim->lateness, 99);
    st.lateness_max_ns = benchy_hist_max(sim->lateness);
    pthread_mutex_unlock(&sim->mu);
  }
  /* A caller built against an older, smaller struct gets its prefix. */
  memcpy(out, &st, size);
  out->struct_size = size;
}

const char *benchy_sim_model_text(void) {
  return "Timing model (all times CLOCK_MONOTONIC, computed from one another, never from when\n"
         "the server got round to it; see docs/simulator.md):\n"
         "  t0       the request is fully received (+ --slow-headers-ms when that fault fires)\n"
         "  ts       = max(t0, the time a slot frees): --slots slots, first come first served\n"
         "  t_first  = ts + overhead-ms + uncached_prompt_tokens / prefill-tps\n"
         "  t_i+1    = t_i + (1 / decode-tps) * (1 + batch-slowdown * (D - 1)) * (1 + jitter * U(-1,1))\n"
         "            D: sequences decoding (past their first token, before their last) when the\n"
         "            interval starts; U: seeded uniform; --fault-stall adds --stall-ms once mid-way\n"
         "  Exactly max_tokens (else --max-tokens) tokens are generated; the slot frees at the last.\n"
         "Chunks: the first carries 1 token (from prefill), later ones k tokens (--tokens-per-chunk\n"
         "  N or MIN-MAX, seeded), written at their last token's time, never splitting reasoning,\n"
         "  content or a tool call's parts. The first --reasoning-tokens go to reasoning_content\n"
         "  (none with chat_template_kwargs.enable_thinking false).\n"
         "  With tools (and tool_choice not \"none\") the output is one call of the first or named\n"
         "  tool: a header token, then fragments of arguments that follow the tool's parameters\n"
         "  schema (seeded; --fault-bad-tool-args breaks some).\n"
         "Prompt tokens: ChatML template (/apply-template), then the sim tokenizer (/tokenize): a\n"
         "  run of up to 8 ASCII letters/digits with one leading space is one token, every other\n"
         "  code point one token, <|im_start|>/<|im_end|> one token each.\n"
         "Prefix cache: the prompt's 16-token blocks (keyed by their whole prefix) seen before\n"
         "  skip prefill, up to all but the last prompt token; blocks are stored when prefill\n"
         "  ends; LRU of 1M blocks. --no-prefix-cache or cache_prompt:false turn it off.\n"
         "Flavours: llama (role chunk with the first token, timings, closes after a stream),\n"
         "  vllm (headers + role chunk at ts, before prefill), sglang (null delta fields).\n"
         "Every chunk carries \"x_benchy\":{\"send_ns\",\"sched_ns\",\"tokens\"} unless --no-stamp:\n"
         "  send_ns is read right before the write, sched_ns the model time; the difference is the\n"
         "  server's lateness (GET /sim/stats).\n";
}
