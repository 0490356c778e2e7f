/*
 * sim.c — benchy_sim's public face: options to configuration, the loop
 * thread's start and stop, statistics, the timing model's text and the
 * foreground server the CLI runs.
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

const char *const sim_fault_names[SIM_F_COUNT] = {"429",         "500",   "disconnect",  "malformed",
                                                  "error_chunk", "stall", "slow_headers", "bad_tool_args"};

const char *const sim_flavour_names[3] = {"llama", "vllm", "sglang"};

static int parse_tpc(sim_config *cfg, const char *text, char *err, size_t errlen) {
  long long lo, hi;
  char tail;
  if (!text) text = "1";
  snprintf(cfg->tpc_text, sizeof cfg->tpc_text, "%s", text);
  if (sscanf(text, "%lld-%lld%c", &lo, &hi, &tail) == 2) {
  } else if (sscanf(text, "%lld%c", &lo, &tail) == 1) {
    hi = lo;
  } else {
    lo = hi = 0;
  }
  if (lo < 1 || hi < lo || hi > 1000000) {
    if (err && errlen)
      snprintf(err, errlen, "--tokens-per-chunk: '%s' is not N or MIN-MAX with 1 <= MIN <= MAX <= 1000000",
               text);
    return -1;
  }
  cfg->tpc_min = lo;
  cfg->tpc_max = hi;
  return 0;
}

static int config_from_options(sim_config *cfg, const benchy_options *o, char *err, size_t errlen) {
  memset(cfg, 0, sizeof *cfg);
  const char *host = benchy_options_str(o, "host");
  const char *model = benchy_options_str(o, "model");
  if (!host || !*host) host = "127.0.0.1";
  if (!model || !*model) model = "sim";
  if (strlen(host) >= sizeof cfg->host || strlen(model) >= sizeof cfg->model) {
    benchy_set_error(err, errlen, "--host or --model is too long (255 bytes at most)");
    return -1;
  }
  strcpy(cfg->host, host);
  strcpy(cfg->model, model);
  const char *key = benchy_options_str(o, "api-key");
  if (key && strlen(key) >= sizeof cfg->api_key) {
    benchy_set_error(err, errlen, "--api-key is too long (%zu bytes at most)", sizeof cfg->api_key - 1);
    return -1;
  }
  snprintf(cfg->api_key, sizeof cfg->api_key, "%s", key ? key : "");
  cfg->port = (int)benchy_options_int(o, "port");
  cfg->seed = (uint64_t)benchy_options_int(o, "seed");
  cfg->prefill_tps = benchy_options_double(o, "prefill-tps");
  cfg->decode_tps = benchy_options_double(o, "decode-tps");
  cfg->overhead_ms = benchy_options_double(o, "overhead-ms");
  cfg->slots = benchy_options_int(o, "slots");
  cfg->batch_slowdown = benchy_options_double(o, "batch-slowdown");
  cfg->jitter = benchy_options_double(o, "jitter");
  cfg->reasoning_tokens = benchy_options_int(o, "reasoning-tokens");
  cfg->sentence_every = benchy_options_int(o, "sentence-every");
  cfg->ctx_size = benchy_options_int(o, "ctx-size");
  cfg->max_tokens = benchy_options_int(o, "max-tokens");
  cfg->prefix_cache = !benchy_options_flag(o, "no-prefix-cache");
  cfg->stamp = !benchy_options_flag(o, "no-stamp");
  static const char *const fault_opts[SIM_F_COUNT] = {
      "fault-429",         "fault-500",   "fault-disconnect",  "fault-malformed",
      "fault-error-chunk", "fault-stall", "fault-slow-headers", "fault-bad-tool-args"};
  for (int k = 0; k < SIM_F_COUNT; k++) cfg->fault_p[k] = benchy_options_double(o, fault_opts[k]);
  cfg->stall_ms = benchy_options_double(o, "stall-ms");
  cfg->slow_headers_ms = benchy_options_double(o, "slow-headers-ms");
  cfg->spin_ns = (int64_t)(benchy_options_double(o, "spin-us") * 1000.0);
  cfg->reuse_port = benchy_options_flag(o, "reuse-port");
  cfg->metrics = benchy_options_flag(o, "metrics");
  const char *fl = benchy_options_str(o, "flavour");
  cfg->flavour = SIM_FLAVOUR_LLAMA;
  for (int i = 0; fl && i < 3; i++)
    if (!strcmp(fl, sim_flavour_names[i])) cfg->flavour = i;
  const char *cas = benchy_options_str(o, "close-after-stream");
  if (!cas) cas = "auto";
  snprintf(cfg->close_text, sizeof cfg->close_text, "%s", cas);
  cfg->close_after_stream = SIM_CLOSE_NO;
  if (!strcmp(cas, "announced"))
    cfg->close_after_stream = SIM_CLOSE_ANNOUNCED;
  else if (!strcmp(cas, "yes") || (!strcmp(cas, "auto") && cfg->flavour == SIM_FLAVOUR_LLAMA))
    cfg->close_after_stream = SIM_CLOSE_SILENT;
  if (cfg->decode_tps <= 0 || cfg->prefill_tps <= 0 || cfg->slots < 1 || cfg->ctx_size < 1 ||
      cfg->max_tokens < 1) {
    benchy_set_error(err, errlen, "--decode-tps, --prefill-tps, --slots, --ctx-size and --max-tokens must be positive");
    return -1;
  }
  return parse_tpc(cfg, benchy_options_str(o, "tokens-per-chunk"), err, errlen);
}

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
  if (config_from_options(&s->cfg, s->opts, err, sizeof err)) {
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
  if (sim_http_listen(s, err, sizeof err)) {
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

int sim_write_stats_json(sim_t *s, benchy_buf *b) {
  const sim_config *c = &s->cfg;
  pthread_mutex_lock(&s->mu);
  int rc = benchy_buf_printf(
      b,
      "{\"pid\":%ld,\"requests\":%llu,\"streams\":%llu,\"chunks\":%llu,\"faults\":%llu,\"faults_by_kind\":{",
      (long)getpid(), (unsigned long long)s->requests, (unsigned long long)s->streams, (unsigned long long)s->chunks,
      (unsigned long long)s->faults);
  for (int k = 0; k < SIM_F_COUNT; k++)
    rc |= benchy_buf_printf(b, "%s\"%s\":%llu", k ? "," : "", sim_fault_names[k],
                            (unsigned long long)s->fault_by[k]);
  rc |= benchy_buf_printf(
      b,
      "},\"lateness_ns\":{\"count\":%llu,\"p50\":%lld,\"p90\":%lld,\"p99\":%lld,\"p999\":%lld,\"max\":%lld,"
      "\"mean\":%.1f},\"active_streams\":%llu,\"prompt_tokens\":%llu,\"cached_tokens\":%llu,"
      "\"completion_tokens\":%llu,\"accept_errors\":%llu,",
      (unsigned long long)benchy_hist_count(s->lateness), (long long)benchy_hist_percentile(s->lateness, 50),
      (long long)benchy_hist_percentile(s->lateness, 90), (long long)benchy_hist_percentile(s->lateness, 99),
      (long long)benchy_hist_percentile(s->lateness, 99.9), (long long)benchy_hist_max(s->lateness),
      benchy_hist_count(s->lateness) ? benchy_hist_mean(s->lateness) : 0.0,
      (unsigned long long)s->active_streams, (unsigned long long)s->prompt_tokens,
      (unsigned long long)s->cached_tokens, (unsigned long long)s->completion_tokens,
      (unsigned long long)s->accept_errors);
  pthread_mutex_unlock(&s->mu);
  /* The rest is the loop thread's own state: this runs on it. */
  rc |= benchy_buf_printf(b,
                          "\"queued\":%zu,\"decoding\":%lld,\"free_slots\":%lld,\"connections\":%zu,"
                          "\"cache_blocks\":%zu,\"uptime_s\":%.3f,\"config\":{\"model\":\"",
                          s->q_len, (long long)s->n_decoding, (long long)s->free_slots, s->n_conns,
                          s->cache.count, (double)(benchy_now_ns() - s->started_ns) / 1e9);
  rc |= sim_buf_escaped(b, c->model, strlen(c->model));
  rc |= benchy_buf_append_str(b, "\",\"host\":\"");
  rc |= sim_buf_escaped(b, c->host, strlen(c->host));
  rc |= benchy_buf_printf(
      b,
      "\",\"port\":%d,\"seed\":%llu,\"prefill_tps\":%.9g,\"decode_tps\":%.9g,\"overhead_ms\":%.9g,"
      "\"slots\":%lld,\"batch_slowdown\":%.9g,\"jitter\":%.9g,\"tokens_per_chunk\":\"%s\","
      "\"reasoning_tokens\":%lld,\"flavour\":\"%s\",\"ctx_size\":%lld,\"max_tokens\":%lld,"
      "\"prefix_cache\":%s,\"stamp\":%s,\"fault_429\":%.9g,\"fault_500\":%.9g,\"fault_disconnect\":%.9g,"
      "\"fault_malformed\":%.9g,\"fault_error_chunk\":%.9g,\"fault_stall\":%.9g,\"stall_ms\":%.9g,"
      "\"fault_slow_headers\":%.9g,\"slow_headers_ms\":%.9g,\"fault_bad_tool_args\":%.9g,"
      "\"close_after_stream\":\"%s\"}}",
      s->port, (unsigned long long)c->seed, c->prefill_tps, c->decode_tps, c->overhead_ms,
      (long long)c->slots, c->batch_slowdown, c->jitter, c->tpc_text, (long long)c->reasoning_tokens,
      sim_flavour_names[c->flavour], (long long)c->ctx_size, (long long)c->max_tokens,
      c->prefix_cache ? "true" : "false", c->stamp ? "true" : "false", c->fault_p[SIM_F_429],
      c->fault_p[SIM_F_500], c->fault_p[SIM_F_DISCONNECT], c->fault_p[SIM_F_MALFORMED],
      c->fault_p[SIM_F_ERROR_CHUNK], c->fault_p[SIM_F_STALL], c->stall_ms, c->fault_p[SIM_F_SLOW_HEADERS],
      c->slow_headers_ms, c->fault_p[SIM_F_BAD_TOOL_ARGS], c->close_text);
  return rc ? -1 : 0;
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
