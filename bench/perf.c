/*
 * perf.c — the client performance harness (issue: "a client that is never
 * the bottleneck, and proves it").
 *
 * Runs `benchy sim` as a separate process pinned to CPU 0 and this client
 * pinned to CPU 1. The simulator stamps its send time (CLOCK_MONOTONIC)
 * into every chunk, so for each chunk the client-added delay is exactly
 * receive time − send time. The client side is the library's own runner and
 * streaming core, the same code `benchy load` uses.
 *
 * Modes:
 *   streams    N streams at R tok/s each (closed loop, restarted as they
 *              finish) for a duration: events/s achieved vs offered, client
 *              CPU per event, delay p50/p99/p99.9, ITL error, RSS per stream,
 *              and the simulator's own lateness (a run where the simulator
 *              fell behind by more than 1 ms at p99 is INVALID, not a client
 *              figure).
 *   maxrate    N streams with the simulator decoding as fast as it can.
 *   poisson    open-loop Poisson arrivals at a rate: achieved rate and
 *              dispatch lag (t_dispatched − t_scheduled).
 *
 * Usage: benchy-perf [--streams 64,256,1024,4096] [--tps 100] [--seconds 10]
 *                    [--threads 1] [--mode streams|maxrate|poisson|all]
 *                    [--rate 500] [--tokens-per-chunk 1] [--sims 1] [--no-floor]
 *                    [--sim PATH]
 *
 * --sims K starts K simulators sharing the port (SO_REUSEPORT) on CPUs
 * 0..K-1 and gives the client the next --threads CPUs: on a machine with
 * many cores, e.g. --sims 8 --threads 8, one simulator no longer caps the
 * load (one tops out near 150K chunks/s). --no-floor skips the raw-reader
 * runs.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include <benchy/benchy.h>

#include "floor.h"
#include "meta/sampler.h"
#include "workload/runner.h"

#define MAX_THREADS 64

typedef struct perf_config {
  long streams[16];
  int n_streams;
  double tps;
  double seconds;
  int threads;
  double rate;
  int tokens_per_chunk;
  const char *mode;
  const char *sim_path;
  int floor;     /* also measure the raw-reader floor for each stream count */
  int sims;      /* simulator processes, on CPUs 0..sims-1 */
} perf_config;

typedef struct hist_set {
  benchy_hist *delay;   /* recorded receive time − simulator send, ns */
  benchy_hist *handoff; /* when our chunk callback ran − simulator send, ns */
  benchy_hist *itl_err; /* |client gap − server gap|, ns */
  benchy_hist *lag;     /* dispatch lag, ns (poisson) */
} hist_set;

static void hist_set_new(hist_set *h) {
  benchy_hist_new(&h->delay, 7);
  benchy_hist_new(&h->handoff, 7);
  benchy_hist_new(&h->itl_err, 7);
  benchy_hist_new(&h->lag, 7);
}

static void hist_set_free(hist_set *h) {
  benchy_hist_free(h->delay);
  benchy_hist_free(h->handoff);
  benchy_hist_free(h->itl_err);
  benchy_hist_free(h->lag);
}

typedef struct thread_stats {
  hist_set h;
  uint64_t events;
  uint64_t requests;
  uint64_t failures;
  int64_t first_dispatch, last_dispatch;
  char pad[64]; /* threads write their own stats: keep them on separate cache lines */
} thread_stats;

typedef struct per_request {
  int64_t prev_recv, prev_send;
} per_request;

typedef struct run_ctx {
  thread_stats stats[MAX_THREADS];
  const char *body;
  int64_t warm_until; /* events before this are not measured */
  int64_t t_end;
  double rate;          /* poisson */
  int64_t t0;
  uint64_t seed;
  per_request *reqs;    /* indexed by request index modulo capacity */
  uint64_t reqs_cap;
  int64_t rss_next_ns;  /* RSS is sampled every 50 ms inside the measured window */
  long rss_peak_kb;
} run_ctx;

static long rss_kb(void);

static int perf_next(void *ud, uint64_t index, runner_request *out) {
  run_ctx *c = ud;
  out->endpoint = BENCHY_ENDPOINT_CHAT;
  out->body = c->body;
  if (c->rate > 0) {
    /* Poisson arrivals: the i-th send time is a pure function of i (a
     * cumulative sum of seeded exponential gaps computed up front). */
    out->send_at_ns = c->t0 + (int64_t)c->reqs[index % c->reqs_cap].prev_send;
  }
  return 0;
}

static void perf_chunk(void *ud, int thread, uint64_t index, const benchy_chunk_event *ev) {
  run_ctx *c = ud;
  if (!(ev->kinds & BENCHY_CHUNK_TOKENS) || !ev->server_send_ns) return;
  thread_stats *s = &c->stats[thread];
  per_request *pr = &c->reqs[index % c->reqs_cap];
  if (ev->t_ns >= c->warm_until && ev->t_ns <= c->t_end) {
    s->events++;
    benchy_hist_add(s->h.delay, ev->t_ns - ev->server_send_ns);
    benchy_hist_add(s->h.handoff, benchy_now_ns() - ev->server_send_ns);
    if (pr->prev_recv) {
      int64_t err = (ev->t_ns - pr->prev_recv) - (ev->server_send_ns - pr->prev_send);
      benchy_hist_add(s->h.itl_err, err < 0 ? -err : err);
    }
  }
  pr->prev_recv = ev->t_ns;
  pr->prev_send = ev->server_send_ns;
}

static void perf_record(void *ud, int thread, uint64_t index, const benchy_record *rec) {
  run_ctx *c = ud;
  thread_stats *s = &c->stats[thread];
  s->requests++;
  if (rec->status != BENCHY_OK && rec->status != BENCHY_ERR_CANCELLED) s->failures++;
  if (c->rate > 0) {
    benchy_hist_add(s->h.lag, rec->t_dispatched - rec->t_scheduled);
    if (!s->first_dispatch || rec->t_dispatched < s->first_dispatch) s->first_dispatch = rec->t_dispatched;
    if (rec->t_dispatched > s->last_dispatch) s->last_dispatch = rec->t_dispatched;
  } else if (rec->t_done >= c->warm_until && rec->t_done <= c->t_end &&
             rec->t_done >= __atomic_load_n(&c->rss_next_ns, __ATOMIC_RELAXED)) {
    /* Several threads may take the same sample; a duplicate is harmless,
     * but the fields are shared, so they are read and written atomically. */
    __atomic_store_n(&c->rss_next_ns, rec->t_done + 50 * 1000000, __ATOMIC_RELAXED);
    long kb = rss_kb();
    long peak = __atomic_load_n(&c->rss_peak_kb, __ATOMIC_RELAXED);
    while (kb > peak && !__atomic_compare_exchange_n(&c->rss_peak_kb, &peak, kb, 1, __ATOMIC_RELAXED,
                                                     __ATOMIC_RELAXED)) {
    }
  }
  per_request *pr = &c->reqs[index % c->reqs_cap];
  if (c->rate <= 0) pr->prev_recv = pr->prev_send = 0;
}

static void pin_to_cpu(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) perror("sched_setaffinity");
}

static void raise_fd_limit(void) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

static long rss_kb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Simulators: cfg->sims processes sharing one port (SO_REUSEPORT when
 * more than one), simulator i pinned to CPU i, so that the load generator
 * can use more than one core on a machine that has them. */
#define MAX_SIMS 64

typedef struct sim_group {
  pid_t pids[MAX_SIMS];
  int n;
  int port;
} sim_group;

static void stop_sims(sim_group *g) {
  for (int i = 0; i < g->n; i++) kill(g->pids[i], SIGTERM);
  for (int i = 0; i < g->n; i++) waitpid(g->pids[i], NULL, 0);
  g->n = 0;
}

/* Asks /sim/stats over fresh connections until every simulator of the group
 * has answered (the kernel picks one per connection). Returns how many did;
 * *late_p99 is the worst lateness p99 among them (ns), -1 if none said. */
static int poll_sims(const sim_group *g, int tries, int64_t *late_p99) {
  long seen[MAX_SIMS];
  int n_seen = 0;
  *late_p99 = -1;
  benchy_loop *loop = NULL;
  benchy_session *s = NULL;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", g->port);
  benchy_loop_new(&loop);
  benchy_session_new(&s, loop, url);
  benchy_session_set_connect_timeout_ms(s, 200);
  for (int i = 0; i < tries && n_seen < g->n; i++) {
    char *body = NULL;
    int http = 0;
    if (benchy_session_fetch(s, "GET", "/sim/stats", NULL, &http, &body) == BENCHY_OK) {
      cJSON *doc = cJSON_Parse(body);
      cJSON *pid = cJSON_GetObjectItem(doc, "pid");
      cJSON *p99 = cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "lateness_ns"), "p99");
      int known = 0;
      for (int k = 0; k < n_seen; k++) known |= cJSON_IsNumber(pid) && seen[k] == (long)pid->valuedouble;
      if (cJSON_IsNumber(pid) && !known) {
        seen[n_seen++] = (long)pid->valuedouble;
        if (cJSON_IsNumber(p99) && (int64_t)p99->valuedouble > *late_p99) *late_p99 = (int64_t)p99->valuedouble;
      }
      cJSON_Delete(doc);
    } else {
      struct timespec ts = {0, 50 * 1000000};
      nanosleep(&ts, NULL); /* waiting for another process to bind; bounded */
    }
    free(body);
  }
  benchy_session_free(s);
  benchy_loop_free(loop);
  return n_seen;
}

static void start_sims(const perf_config *cfg, int port, double decode_tps, long slots, sim_group *g) {
  char port_s[16], tps_s[32], slots_s[32], tpc_s[16];
  snprintf(port_s, sizeof port_s, "%d", port);
  snprintf(tps_s, sizeof tps_s, "%g", decode_tps);
  snprintf(slots_s, sizeof slots_s, "%ld", slots);
  snprintf(tpc_s, sizeof tpc_s, "%d", cfg->tokens_per_chunk);
  g->n = 0;
  g->port = port;
  for (int i = 0; i < cfg->sims; i++) {
    pid_t pid = fork();
    if (pid == 0) {
      pin_to_cpu(i);
      raise_fd_limit();
      execl(cfg->sim_path, cfg->sim_path, "sim", "--port", port_s, "--decode-tps", tps_s, "--slots",
            slots_s, "--prefill-tps", "1000000000", "--overhead-ms", "0", "--batch-slowdown", "0",
            "--tokens-per-chunk", tpc_s, "--no-prefix-cache", "--close-after-stream", "no",
            "--flavour", "vllm", "--spin-us", "5000", cfg->sims > 1 ? "--reuse-port" : (char *)NULL,
            (char *)NULL);
      perror("exec benchy sim");
      _exit(127);
    }
    if (pid > 0) g->pids[g->n++] = pid;
  }
  int64_t ignored;
  if (poll_sims(g, 100 * cfg->sims, &ignored) < g->n)
    fprintf(stderr, "warning: not every simulator answered on port %d\n", port);
}

/* The worst lateness p99 (ns) among the group's simulators. */
static int64_t sims_lateness_p99(const sim_group *g) {
  int64_t p99;
  if (poll_sims(g, 40 * g->n, &p99) < g->n) return -1;
  return p99;
}

typedef struct run_result {
  double offered, achieved, cpu_us_per_event;
  int64_t delay_p50, delay_p99, delay_p999, itl_err_p99, lag_p99;
  int64_t handoff_p50, handoff_p99;
  double kernel_stamped;  /* share of reads dated by the kernel */
  floor_result floor;
  long rss_kb;
  int64_t sim_late_p99;
  uint64_t events, requests, failures;
  double achieved_rate;
} run_result;

/* Per-thread figures into one set; the context's histograms are freed. */
static void merge_stats(run_ctx *c, int threads, hist_set *all, run_result *r) {
  hist_set_new(all);
  for (int t = 0; t < threads; t++) {
    benchy_hist_merge(all->delay, c->stats[t].h.delay);
    benchy_hist_merge(all->handoff, c->stats[t].h.handoff);
    benchy_hist_merge(all->itl_err, c->stats[t].h.itl_err);
    benchy_hist_merge(all->lag, c->stats[t].h.lag);
    r->events += c->stats[t].events;
    r->requests += c->stats[t].requests;
    r->failures += c->stats[t].failures;
  }
}

static run_ctx *ctx_new(int threads) {
  run_ctx *c = calloc(1, sizeof *c);
  for (int t = 0; t < threads; t++) hist_set_new(&c->stats[t].h);
  return c;
}

/* The harness's own per-request table comes straight from mmap: only the
 * pages of requests actually issued become resident, so it cannot inflate
 * the client's RSS figures (a calloc that reused freed heap would memset,
 * and so touch, all of it). */
static per_request *reqs_alloc(uint64_t n) {
  void *p = mmap(NULL, n * sizeof(per_request), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                 -1, 0);
  if (p == MAP_FAILED) {
    perror("benchy-perf: mmap of the per-request table");
    exit(1); /* a harness with no table measures nothing */
  }
  return p;
}

static void ctx_free(run_ctx *c, int threads) {
  for (int t = 0; t < threads; t++) hist_set_free(&c->stats[t].h);
  if (c->reqs) munmap(c->reqs, c->reqs_cap * sizeof *c->reqs);
  free(c);
}

static int run_streams(const perf_config *cfg, long streams, double tps, int port, run_result *out) {
  memset(out, 0, sizeof *out);
  sim_group sims;
  start_sims(cfg, port, tps, streams + 16, &sims);
  run_ctx *c = ctx_new(cfg->threads);
  /* Each stream asks for ~2 s of tokens at the nominal rate, then restarts. */
  long tokens = tps >= 1e5 ? 2000 : (long)(2 * tps);
  if (tokens < 8) tokens = 8;
  char body[256];
  snprintf(body, sizeof body,
           "{\"model\":\"sim\",\"max_tokens\":%ld,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}",
           tokens);
  c->body = body;
  c->reqs_cap = 1 << 22;
  c->reqs = reqs_alloc(c->reqs_cap);
  int64_t now = benchy_now_ns();
  double warm = cfg->seconds * 0.2 < 2 ? cfg->seconds * 0.2 : 2;
  c->warm_until = now + (int64_t)(warm * 1e9);
  c->t_end = now + (int64_t)(cfg->seconds * 1e9);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", port);
  runner_config rc = {.base_url = url, .threads = cfg->threads, .count = UINT64_MAX / 2,
                      .duration_ns = (int64_t)(cfg->seconds * 1e9), .max_concurrency = (uint64_t)streams};
  runner_hooks hooks = {.userdata = c, .next = perf_next, .on_chunk = perf_chunk, .on_record = perf_record};
  runner_summary sum;
  char err[256] = "";
  double cpu_before = bench_cpu_seconds();
  /* The run itself: measured window is [warm_until, t_end]. Stop sampling
   * CPU at t_end too, by reading it from a timer thread would be more exact;
   * instead the duration bound ends issuing at t_end and the tail of the
   * last requests is a small fraction of the window. */
  int st = runner_run(&rc, &hooks, &sum, err, sizeof err);
  double cpu_used = bench_cpu_seconds() - cpu_before;
  out->rss_kb = c->rss_peak_kb;
  hist_set all;
  merge_stats(c, cfg->threads, &all, out);
  double window = (double)(c->t_end - c->warm_until) / 1e9;
  out->offered = streams * tps;
  out->achieved = out->events / window;
  uint64_t all_events = sum.counters.sse_events;
  out->cpu_us_per_event = all_events ? cpu_used * 1e6 / (double)all_events : 0;
  out->delay_p50 = benchy_hist_percentile(all.delay, 50);
  out->delay_p99 = benchy_hist_percentile(all.delay, 99);
  out->delay_p999 = benchy_hist_percentile(all.delay, 99.9);
  out->handoff_p50 = benchy_hist_percentile(all.handoff, 50);
  out->handoff_p99 = benchy_hist_percentile(all.handoff, 99);
  out->kernel_stamped = sum.counters.data_reads
                            ? (double)sum.counters.kernel_stamped_reads / (double)sum.counters.data_reads
                            : 0;
  out->itl_err_p99 = benchy_hist_percentile(all.itl_err, 99);
  out->sim_late_p99 = sims_lateness_p99(&sims);
  hist_set_free(&all);
  ctx_free(c, cfg->threads);
  stop_sims(&sims);
  if (cfg->floor && tps < 1e5 && cfg->threads == 1) {
    /* Same simulator settings, fresh processes, nothing of ours reading. */
    start_sims(cfg, port + 1000, tps, streams + 16, &sims);
    floor_run(port + 1000, streams, cfg->seconds - warm, warm, &out->floor);
    stop_sims(&sims);
  }
  if (st != BENCHY_OK) fprintf(stderr, "run failed: %s\n", err);
  return st;
}

static int run_poisson(const perf_config *cfg, int port, run_result *out) {
  memset(out, 0, sizeof *out);
  if (cfg->rate * cfg->seconds < 2) {
    fprintf(stderr, "poisson: --rate x --seconds must give at least 2 requests\n");
    return BENCHY_ERR_INVALID;
  }
  sim_group sims;
  start_sims(cfg, port, 1e6, 4096, &sims);
  run_ctx *c = ctx_new(cfg->threads);
  const char *body = "{\"model\":\"sim\",\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}";
  c->body = body;
  c->rate = cfg->rate;
  uint64_t n = (uint64_t)(cfg->rate * cfg->seconds);
  c->reqs_cap = n + 1;
  c->reqs = reqs_alloc(c->reqs_cap);
  uint64_t rng = 12345;
  double t = 0.5; /* start half a second out so the first arrivals are not late by setup */
  for (uint64_t i = 0; i < n; i++) {
    double u = (double)((rng = rng * 6364136223846793005ull + 1442695040888963407ull) >> 11) / 9007199254740992.0;
    t += -log(1.0 - u) / cfg->rate;
    c->reqs[i].prev_send = (int64_t)(t * 1e9);
  }
  c->t0 = benchy_now_ns();
  c->warm_until = INT64_MAX;
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", port);
  runner_config rc = {.base_url = url, .threads = cfg->threads, .count = n};
  runner_hooks hooks = {.userdata = c, .next = perf_next, .on_record = perf_record};
  runner_summary sum;
  char err[256] = "";
  int st = runner_run(&rc, &hooks, &sum, err, sizeof err);
  hist_set all;
  merge_stats(c, cfg->threads, &all, out);
  /* The schedule is a Poisson sample: its own empirical rate is what the
   * client was asked to achieve; compare actual dispatches with that. */
  double planned_span = (double)(c->reqs[n - 1].prev_send - c->reqs[0].prev_send) / 1e9;
  int64_t first = INT64_MAX, last = 0;
  for (int i = 0; i < cfg->threads; i++) {
    if (c->stats[i].first_dispatch && c->stats[i].first_dispatch < first) first = c->stats[i].first_dispatch;
    if (c->stats[i].last_dispatch > last) last = c->stats[i].last_dispatch;
  }
  out->offered = planned_span > 0 ? (double)(n - 1) / planned_span : 0;
  out->achieved_rate = last > first ? (double)(n - 1) / ((double)(last - first) / 1e9) : 0;
  out->lag_p99 = benchy_hist_percentile(all.lag, 99);
  out->delay_p50 = benchy_hist_percentile(all.lag, 50);
  out->delay_p999 = benchy_hist_max(all.lag);
  out->sim_late_p99 = sims_lateness_p99(&sims);
  hist_set_free(&all);
  ctx_free(c, cfg->threads);
  stop_sims(&sims);
  if (st != BENCHY_OK) fprintf(stderr, "run failed: %s\n", err);
  return st;
}

static void parse_args(perf_config *cfg, int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--streams") && v) {
      cfg->n_streams = 0;
      char *copy = strdup(v), *save = NULL;
      for (char *tok = strtok_r(copy, ",", &save); tok && cfg->n_streams < 16; tok = strtok_r(NULL, ",", &save))
        cfg->streams[cfg->n_streams++] = atol(tok);
      free(copy);
      i++;
    } else if (!strcmp(a, "--tps") && v) {
      cfg->tps = atof(v), i++;
    } else if (!strcmp(a, "--seconds") && v) {
      cfg->seconds = atof(v), i++;
    } else if (!strcmp(a, "--threads") && v) {
      cfg->threads = atoi(v), i++;
    } else if (!strcmp(a, "--rate") && v) {
      cfg->rate = atof(v), i++;
    } else if (!strcmp(a, "--mode") && v) {
      cfg->mode = v, i++;
    } else if (!strcmp(a, "--tokens-per-chunk") && v) {
      cfg->tokens_per_chunk = atoi(v), i++;
    } else if (!strcmp(a, "--sims") && v) {
      cfg->sims = atoi(v), i++;
    } else if (!strcmp(a, "--no-floor")) {
      cfg->floor = 0;
    } else if (!strcmp(a, "--sim") && v) {
      cfg->sim_path = v, i++;
    } else {
      fprintf(stderr, "usage: %s [--mode streams|maxrate|poisson|all] [--streams 64,256,1024,4096] "
                      "[--tps 100] [--seconds 10] [--threads N] [--rate 500] [--tokens-per-chunk K] [--sims K] [--no-floor] [--sim PATH]\n",
              argv[0]);
      exit(2);
    }
  }
  if (cfg->threads < 1 || cfg->threads > MAX_THREADS) cfg->threads = 1;
  if (cfg->sims < 1 || cfg->sims > MAX_SIMS) cfg->sims = 1;
}

int main(int argc, char **argv) {
  perf_config cfg = {.streams = {64, 256, 1024, 4096}, .n_streams = 4, .tps = 100, .seconds = 10,
                     .threads = 1, .rate = 500, .tokens_per_chunk = 1, .mode = "all", .sim_path = BENCHY_CLI,
                     .floor = 1, .sims = 1};
  parse_args(&cfg, argc, argv);
  raise_fd_limit();
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  /* The client gets the CPUs after the simulators' (its threads inherit
   * this mask), one per thread where there are enough. */
  int client_cpus = 0;
  if (cpus > cfg.sims) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (long c = cfg.sims; c < cpus && c < cfg.sims + cfg.threads; c++, client_cpus++) CPU_SET(c, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) perror("sched_setaffinity");
  }
  int port = 18000 + (int)(getpid() % 2000);
  int all = !strcmp(cfg.mode, "all");
  printf("# benchy perf: %d simulator(s) on CPU 0..%d; client: %d thread(s) on %d CPU(s) of its own%s; "
         "%g s per run; %ld CPUs online\n",
         cfg.sims, cfg.sims - 1, cfg.threads, client_cpus, client_cpus ? "" : " (none left: shares them all)",
         cfg.seconds, cpus);
  /* BENCHY_PERF_SAMPLE_MS=N: a run's sampler (meta/sampler.h) beside the
   * client throughout, to see what sampling costs the figures below. */
  const char *sample_ms = getenv("BENCHY_PERF_SAMPLE_MS");
  sampler_config sampling = {sample_ms ? atoll(sample_ms) : 0, NULL, 5};
  sampler *smp = sampling.interval_ms > 0 ? sampler_start(&sampling) : NULL;
  if (smp) printf("# sampler running: every %lld ms, GPU source %s\n", (long long)sampling.interval_ms, sampler_source(smp));
  if (all || !strcmp(cfg.mode, "streams") || !strcmp(cfg.mode, "maxrate")) {
    int maxrate = !strcmp(cfg.mode, "maxrate");
    printf("\nstamp delay: the receive time the library recorded minus the simulator's send stamp (the error"
           "\nadded to every TTFT/ITL); handoff: when the chunk reached our callback minus the send stamp;"
           "\nfloor: CPU per event of a raw epoll+recv reader against the same simulator (the kernel's share)."
           "\n\n| mode | streams | offered ev/s | achieved ev/s | achieved %% | client CPU µs/ev | floor µs/ev | "
           "stamp delay p50 µs | p99 µs | p99.9 µs | handoff p50 µs | p99 µs | ITL err p99 µs | kernel-stamped %% | "
           "peak RSS KB | sim late p99 µs | valid |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    long rss_small = -1, rss_large = -1, n_small = 0, n_large = 0;
    for (int m = 0; m < 2; m++) {
      if (m == 0 && maxrate) continue;
      if (m == 1 && !all && !maxrate) continue;
      for (int i = 0; i < cfg.n_streams; i++) {
        run_result r;
        double tps = m == 1 ? 1e6 : cfg.tps;
        run_streams(&cfg, cfg.streams[i], tps, port++, &r);
        int valid = r.sim_late_p99 >= 0 && r.sim_late_p99 <= 1000000;
        char floor_s[32] = "-";
        if (r.floor.events_per_s > 0)
          snprintf(floor_s, sizeof floor_s, "%.2f%s", r.floor.cpu_us_per_event, r.floor.failed ? " (failed)" : "");
        printf("| %s | %ld | %.0f | %.0f | %.1f | %.2f | %s | %.1f | %.1f | %.0f | %.0f | %.0f | %.0f | %.1f | %ld | %.0f | %s |\n",
               m == 1 ? "maxrate" : "streams", cfg.streams[i], m == 1 ? 0.0 : r.offered, r.achieved,
               m == 1 ? 0.0 : 100.0 * r.achieved / r.offered, r.cpu_us_per_event, floor_s, r.delay_p50 / 1e3,
               r.delay_p99 / 1e3, r.delay_p999 / 1e3, r.handoff_p50 / 1e3, r.handoff_p99 / 1e3,
               r.itl_err_p99 / 1e3, 100.0 * r.kernel_stamped, r.rss_kb, r.sim_late_p99 / 1e3,
               m == 1 ? "n/a (sim saturated)" : (valid ? "yes" : "INVALID: simulator late"));
        if (r.failures) printf("  (%llu failed requests)\n", (unsigned long long)r.failures);
        if (m == 0 && (rss_small < 0 || cfg.streams[i] < n_small)) rss_small = r.rss_kb, n_small = cfg.streams[i];
        if (m == 0 && cfg.streams[i] <= 1024 && cfg.streams[i] > n_large) rss_large = r.rss_kb, n_large = cfg.streams[i];
        fflush(stdout);
      }
    }
    if (n_large > n_small)
      printf("\nRSS slope %ld -> %ld streams: %.1f KB per stream (client process RSS, peak of 50 ms samples in the measured window)\n", n_small,
             n_large, (double)(rss_large - rss_small) / (double)(n_large - n_small));
  }
  if (all || !strcmp(cfg.mode, "poisson")) {
    run_result r;
    if (run_poisson(&cfg, port++, &r) == BENCHY_ERR_INVALID) return 2;
    printf("\n| mode | nominal req/s | scheduled req/s | achieved req/s | error %% | dispatch lag p50 µs | p99 µs | max µs | failed |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    printf("| poisson | %.0f | %.1f | %.1f | %.3f | %.0f | %.0f | %.0f | %llu |\n", cfg.rate, r.offered, r.achieved_rate,
           100.0 * (r.achieved_rate - r.offered) / r.offered, r.delay_p50 / 1e3, r.lag_p99 / 1e3,
           r.delay_p999 / 1e3, (unsigned long long)r.failures);
  }
  cJSON_Delete(sampler_finish(smp));
  return 0;
}
