/*
 * sampler.c — see sampler.h. Every reading happens under the sampler's one
 * mutex, so NVML and nvidia-smi are never asked twice at once and a level's
 * figures never see half a reading. The mutex is held only by the sampler's
 * thread and by the workload between levels: the request loops never take
 * it.
 */
#include "sampler.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "../monotonic_cond.h"
#include "../util.h"

/* Points kept per GPU; when full, pairs merge (peaks kept) to half. */
#define TIMELINE_CAP 4096
/* At most this many per GPU reach the result. */
#define TIMELINE_OUT 2000

enum sampler_src { SRC_NONE, SRC_NVML, SRC_SMI };

typedef struct point {
  double t_s;
  gpu_sample v;
} point;

/* The open level's running figures of one GPU. */
typedef struct level_acc {
  uint64_t n_mem, n_util, n_sm, n_power, mem_peak;
  double mem_sum, util_sum, util_max, sm_sum, sm_min, sm_max, power_sum, power_max, temp_max;
} level_acc;

typedef struct level_mark {
  char *label;
  double t_start, t_end;
} level_mark;

struct sampler {
  pthread_mutex_t mu;
  pthread_cond_t wake;
  pthread_t thread;
  int thread_started, stop;
  int64_t interval_ms;
  double smi_timeout_s;
  enum sampler_src source;
  char why[1200];
  gpu_nvml *nvml;
  unsigned n_gpus;
  gpu_identity ids[GPU_SAMPLE_MAX_GPUS];
  double t0;
  uint64_t readings;
  point *timeline[GPU_SAMPLE_MAX_GPUS];
  size_t n_points[GPU_SAMPLE_MAX_GPUS];
  gpu_sample idle[GPU_SAMPLE_MAX_GPUS];
  int any_level;
  unsigned cores;
  double cpu_start, wall_start, cpu_prev, wall_prev, busy_max;
  int level_open;
  level_acc acc[GPU_SAMPLE_MAX_GPUS];
  double level_cpu0, level_wall0;
  level_mark *levels;
  size_t n_levels, cap_levels;
};

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The whole process's CPU time (user + system, every thread). */
static double cpu_s(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru) != 0) return 0;
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

static unsigned client_cores(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return (unsigned)CPU_COUNT(&set);
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

static double nan_max(double a, double b) { return isnan(a) ? b : isnan(b) ? a : (a > b ? a : b); }
static double nan_min(double a, double b) { return isnan(a) ? b : isnan(b) ? a : (a < b ? a : b); }

/* Two neighbouring points as one: the time of the higher memory reading,
 * each field its maximum, so a downsampled timeline keeps its peaks. */
static point merge_points(const point *a, const point *b) {
  int b_higher = a->v.mem_used_bytes == GPU_SAMPLE_NO_MEMORY ||
                 (b->v.mem_used_bytes != GPU_SAMPLE_NO_MEMORY && b->v.mem_used_bytes > a->v.mem_used_bytes);
  point m = b_higher ? *b : *a;
  if (a->v.mem_used_bytes != GPU_SAMPLE_NO_MEMORY && b->v.mem_used_bytes != GPU_SAMPLE_NO_MEMORY)
    m.v.mem_used_bytes = a->v.mem_used_bytes > b->v.mem_used_bytes ? a->v.mem_used_bytes : b->v.mem_used_bytes;
  m.v.util_pct = nan_max(a->v.util_pct, b->v.util_pct);
  m.v.sm_mhz = nan_max(a->v.sm_mhz, b->v.sm_mhz);
  m.v.power_w = nan_max(a->v.power_w, b->v.power_w);
  m.v.temp_c = nan_max(a->v.temp_c, b->v.temp_c);
  return m;
}

static void store_point(sampler *s, unsigned g, double t, const gpu_sample *v) {
  point *tl = s->timeline[g];
  if (s->n_points[g] == TIMELINE_CAP) {
    for (size_t k = 0; k < TIMELINE_CAP / 2; k++) tl[k] = merge_points(&tl[2 * k], &tl[2 * k + 1]);
    s->n_points[g] = TIMELINE_CAP / 2;
  }
  tl[s->n_points[g]++] = (point){t, *v};
}

static void level_acc_reset(level_acc *a) {
  memset(a, 0, sizeof *a);
  a->util_max = a->sm_min = a->sm_max = a->power_max = a->temp_max = NAN;
}

static void level_acc_add(level_acc *a, const gpu_sample *v) {
  if (v->mem_used_bytes != GPU_SAMPLE_NO_MEMORY) {
    a->n_mem++;
    a->mem_sum += (double)v->mem_used_bytes;
    if (v->mem_used_bytes > a->mem_peak) a->mem_peak = v->mem_used_bytes;
  }
  if (!isnan(v->util_pct)) {
    a->n_util++;
    a->util_sum += v->util_pct;
  }
  a->util_max = nan_max(a->util_max, v->util_pct);
  if (!isnan(v->sm_mhz)) {
    a->n_sm++;
    a->sm_sum += v->sm_mhz;
  }
  a->sm_min = nan_min(a->sm_min, v->sm_mhz);
  a->sm_max = nan_max(a->sm_max, v->sm_mhz);
  if (!isnan(v->power_w)) {
    a->n_power++;
    a->power_sum += v->power_w;
  }
  a->power_max = nan_max(a->power_max, v->power_w);
  a->temp_max = nan_max(a->temp_max, v->temp_c);
}

/* One reading of every GPU and of the CPU; s->mu held. */
static void take_reading(sampler *s) {
  gpu_sample now[GPU_SAMPLE_MAX_GPUS];
  unsigned n = 0;
  if (s->source == SRC_NVML) {
    for (unsigned g = 0; g < s->n_gpus; g++) gpu_nvml_read(s->nvml, g, &now[g]);
    n = s->n_gpus;
  } else if (s->source == SRC_SMI) {
    char err[256];
    /* A failed call is a gap in the timeline, not the end of sampling. */
    int got = gpu_smi_read(s->smi_timeout_s, now, NULL, GPU_SAMPLE_MAX_GPUS, err, sizeof err);
    n = got > 0 ? ((unsigned)got < s->n_gpus ? (unsigned)got : s->n_gpus) : 0;
  }
  double wall = mono_s(), t = wall - s->t0;
  for (unsigned g = 0; g < n; g++) {
    store_point(s, g, t, &now[g]);
    if (!s->any_level) s->idle[g] = now[g];
    if (s->level_open) level_acc_add(&s->acc[g], &now[g]);
  }
  double cpu = cpu_s();
  /* Readings the workload adds at a level's edges may fall just after the
   * thread's own: a share of a millisecond says nothing. */
  double dt = wall - s->wall_prev;
  if (dt >= (double)s->interval_ms / 2000.0) {
    double busy = (cpu - s->cpu_prev) / dt / (double)s->cores * 100.0;
    if (busy > s->busy_max) s->busy_max = busy;
    s->cpu_prev = cpu;
    s->wall_prev = wall;
  }
  s->readings++;
}

static void *sampler_main(void *arg) {
  sampler *s = arg;
  pthread_mutex_lock(&s->mu);
  struct timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  while (!s->stop) {
    next.tv_nsec += (long)(s->interval_ms % 1000) * 1000000L;
    next.tv_sec += (time_t)(s->interval_ms / 1000) + next.tv_nsec / 1000000000L;
    next.tv_nsec %= 1000000000L;
    int rc = 0;
    while (!s->stop && rc != ETIMEDOUT) rc = pthread_cond_timedwait(&s->wake, &s->mu, &next);
    if (s->stop) break;
    take_reading(s);
    /* Behind (a slow nvidia-smi): the next tick is an interval from now,
     * not a burst to catch up. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec > next.tv_nsec)) next = now;
  }
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

static void find_source(sampler *s, const sampler_config *cfg) {
  const char *library = cfg->nvml_library;
  if (!library || !*library) library = getenv("BENCHY_NVML_LIBRARY");
  if (!library || !*library) library = "libnvidia-ml.so.1";
  char nvml_err[512] = "", smi_err[512] = "";
  if ((s->nvml = gpu_nvml_open(library, nvml_err, sizeof nvml_err))) {
    s->source = SRC_NVML;
    s->n_gpus = gpu_nvml_count(s->nvml);
    for (unsigned g = 0; g < s->n_gpus; g++) gpu_nvml_identify(s->nvml, g, &s->ids[g]);
    return;
  }
  gpu_sample probe[GPU_SAMPLE_MAX_GPUS];
  int n = gpu_smi_read(s->smi_timeout_s, probe, s->ids, GPU_SAMPLE_MAX_GPUS, smi_err, sizeof smi_err);
  if (n > 0) {
    s->source = SRC_SMI;
    s->n_gpus = (unsigned)n;
    if (s->interval_ms < SAMPLER_SMI_MIN_INTERVAL_MS) s->interval_ms = SAMPLER_SMI_MIN_INTERVAL_MS;
    return;
  }
  s->source = SRC_NONE;
  snprintf(s->why, sizeof s->why, "no GPU information: %s; %s", nvml_err, smi_err);
}

static void sampler_free(sampler *s) {
  if (!s) return;
  gpu_nvml_close(s->nvml);
  for (unsigned g = 0; g < GPU_SAMPLE_MAX_GPUS; g++) free(s->timeline[g]);
  for (size_t i = 0; i < s->n_levels; i++) free(s->levels[i].label);
  free(s->levels);
  pthread_cond_destroy(&s->wake);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

sampler *sampler_start(const sampler_config *cfg) {
  sampler *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  benchy_monotonic_cond_init(&s->mu, &s->wake);
  s->interval_ms = cfg->interval_ms > 0 ? cfg->interval_ms : 250;
  s->smi_timeout_s = cfg->smi_timeout_s > 0 ? cfg->smi_timeout_s : 5;
  s->cores = client_cores();
  s->t0 = mono_s();
  s->cpu_start = s->cpu_prev = cpu_s();
  s->wall_start = s->wall_prev = s->t0;
  find_source(s, cfg);
  for (unsigned g = 0; g < s->n_gpus; g++) {
    gpu_sample_clear(&s->idle[g]);
    if (!(s->timeline[g] = malloc(TIMELINE_CAP * sizeof(point)))) {
      sampler_free(s);
      return NULL;
    }
  }
  /* The first reading now: the idle figure of a run whose first level
   * starts before the thread's first tick. */
  pthread_mutex_lock(&s->mu);
  take_reading(s);
  pthread_mutex_unlock(&s->mu);
  if (pthread_create(&s->thread, NULL, sampler_main, s) != 0) {
    sampler_free(s);
    return NULL;
  }
  s->thread_started = 1;
  return s;
}

const char *sampler_source(const sampler *s) {
  return s->source == SRC_NVML ? "nvml" : s->source == SRC_SMI ? "nvidia-smi" : "none";
}
const char *sampler_why(const sampler *s) { return s->why; }
unsigned sampler_cores(const sampler *s) { return s->cores; }

uint64_t sampler_readings(sampler *s) {
  pthread_mutex_lock(&s->mu);
  uint64_t n = s->readings;
  pthread_mutex_unlock(&s->mu);
  return n;
}

static void close_level(sampler *s, sampler_level *out) {
  take_reading(s);
  double wall = mono_s(), cpu = cpu_s();
  if (s->n_levels) s->levels[s->n_levels - 1].t_end = wall - s->t0;
  if (out) {
    memset(out, 0, sizeof *out);
    out->n_gpus = s->n_gpus;
    for (unsigned g = 0; g < s->n_gpus; g++) {
      const level_acc *a = &s->acc[g];
      sampler_gpu_level *o = &out->gpu[g];
      o->samples = a->n_mem;
      o->mem_peak = a->n_mem ? a->mem_peak : GPU_SAMPLE_NO_MEMORY;
      o->mem_mean = a->n_mem ? a->mem_sum / (double)a->n_mem : NAN;
      o->util_mean = a->n_util ? a->util_sum / (double)a->n_util : NAN;
      o->util_max = a->util_max;
      o->sm_mean = a->n_sm ? a->sm_sum / (double)a->n_sm : NAN;
      o->sm_min = a->sm_min;
      o->sm_max = a->sm_max;
      o->power_mean = a->n_power ? a->power_sum / (double)a->n_power : NAN;
      o->power_max = a->power_max;
      o->temp_max = a->temp_max;
    }
    out->seconds = wall - s->level_wall0;
    out->cpu_busy_pct =
        out->seconds > 0 ? (cpu - s->level_cpu0) / out->seconds / (double)s->cores * 100.0 : 0;
  }
  s->level_open = 0;
}

int sampler_level_begin(sampler *s, const char *label) {
  pthread_mutex_lock(&s->mu);
  if (s->level_open) close_level(s, NULL);
  if (s->n_levels == s->cap_levels) {
    size_t cap = s->cap_levels ? s->cap_levels * 2 : 16;
    level_mark *grown = realloc(s->levels, cap * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&s->mu);
      return BENCHY_ERR_NOMEM;
    }
    s->levels = grown;
    s->cap_levels = cap;
  }
  char *copy = benchy_strdup(label ? label : "");
  if (!copy) {
    pthread_mutex_unlock(&s->mu);
    return BENCHY_ERR_NOMEM;
  }
  /* The reading before the first level is the idle one; the level's own
   * first reading follows it. */
  s->any_level = 1;
  for (unsigned g = 0; g < s->n_gpus; g++) level_acc_reset(&s->acc[g]);
  s->level_open = 1;
  s->level_wall0 = mono_s();
  s->level_cpu0 = cpu_s();
  s->levels[s->n_levels++] = (level_mark){copy, s->level_wall0 - s->t0, s->level_wall0 - s->t0};
  take_reading(s);
  pthread_mutex_unlock(&s->mu);
  return BENCHY_OK;
}

int sampler_level_end(sampler *s, sampler_level *out) {
  pthread_mutex_lock(&s->mu);
  int open = s->level_open;
  if (open) close_level(s, out);
  pthread_mutex_unlock(&s->mu);
  return open ? 0 : -1;
}

/* ---- JSON ---- */

static void add_num(cJSON *o, const char *key, double v) {
  if (isnan(v))
    cJSON_AddNullToObject(o, key);
  else
    cJSON_AddNumberToObject(o, key, v);
}

static void add_bytes(cJSON *o, const char *key, uint64_t v) {
  add_num(o, key, v == GPU_SAMPLE_NO_MEMORY ? NAN : (double)v);
}

cJSON *sampler_level_gpu_json(const sampler_level *lv) {
  cJSON *arr = cJSON_CreateArray();
  for (unsigned g = 0; arr && g < lv->n_gpus; g++) {
    const sampler_gpu_level *x = &lv->gpu[g];
    cJSON *o = cJSON_CreateObject();
    if (!o) break;
    cJSON_AddItemToArray(arr, o);
    cJSON_AddNumberToObject(o, "gpu", g);
    cJSON *m = cJSON_AddObjectToObject(o, "mem_used_bytes");
    if (m) {
      add_bytes(m, "peak", x->mem_peak);
      add_num(m, "mean", x->mem_mean);
    }
    cJSON *u = cJSON_AddObjectToObject(o, "util_pct");
    if (u) {
      add_num(u, "mean", x->util_mean);
      add_num(u, "max", x->util_max);
    }
    cJSON *c = cJSON_AddObjectToObject(o, "sm_mhz");
    if (c) {
      add_num(c, "mean", x->sm_mean);
      add_num(c, "min", x->sm_min);
      add_num(c, "max", x->sm_max);
    }
    cJSON *p = cJSON_AddObjectToObject(o, "power_w");
    if (p) {
      add_num(p, "mean", x->power_mean);
      add_num(p, "max", x->power_max);
    }
    cJSON *t = cJSON_AddObjectToObject(o, "temp_c");
    if (t) add_num(t, "max", x->temp_max);
    cJSON_AddNumberToObject(o, "samples", (double)x->samples);
  }
  return arr;
}

static cJSON *point_json(unsigned g, const point *p) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  /* Milliseconds are the resolution a 250 ms interval has. */
  cJSON_AddNumberToObject(o, "t_s", round(p->t_s * 1000.0) / 1000.0);
  cJSON_AddNumberToObject(o, "gpu", g);
  add_bytes(o, "mem_used_bytes", p->v.mem_used_bytes);
  add_num(o, "util_pct", p->v.util_pct);
  add_num(o, "sm_mhz", p->v.sm_mhz);
  add_num(o, "power_w", p->v.power_w);
  add_num(o, "temp_c", p->v.temp_c);
  return o;
}

/* Each GPU's points merged into at most TIMELINE_OUT (peaks kept), then
 * all of them in time order. */
static cJSON *timeline_json(sampler *s) {
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  for (unsigned g = 0; g < s->n_gpus; g++) {
    size_t n = s->n_points[g];
    if (n <= TIMELINE_OUT) continue;
    size_t per = (n + TIMELINE_OUT - 1) / TIMELINE_OUT, out = 0;
    for (size_t i = 0; i < n; i += per) {
      point m = s->timeline[g][i];
      for (size_t k = i + 1; k < i + per && k < n; k++) m = merge_points(&m, &s->timeline[g][k]);
      s->timeline[g][out++] = m;
    }
    s->n_points[g] = out;
  }
  size_t at[GPU_SAMPLE_MAX_GPUS] = {0};
  for (;;) {
    int pick = -1;
    for (unsigned g = 0; g < s->n_gpus; g++)
      if (at[g] < s->n_points[g] && (pick < 0 || s->timeline[g][at[g]].t_s < s->timeline[pick][at[pick]].t_s))
        pick = (int)g;
    if (pick < 0) break;
    cJSON *o = point_json((unsigned)pick, &s->timeline[pick][at[pick]++]);
    if (o) cJSON_AddItemToArray(arr, o);
  }
  return arr;
}

static cJSON *base_json(const char *source, const char *why, int64_t interval_ms) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  cJSON_AddStringToObject(o, "source", source);
  if (why && *why) cJSON_AddStringToObject(o, "why", why);
  cJSON_AddNumberToObject(o, "interval_ms", (double)interval_ms);
  return o;
}

cJSON *sampler_off_json(const char *why, int64_t interval_ms) {
  cJSON *o = base_json("none", why, interval_ms);
  if (o) {
    cJSON_AddArrayToObject(o, "gpus");
    cJSON_AddArrayToObject(o, "idle");
    cJSON_AddArrayToObject(o, "timeline");
    cJSON_AddArrayToObject(o, "levels");
  }
  return o;
}

cJSON *sampler_finish(sampler *s) {
  if (!s) return NULL;
  pthread_mutex_lock(&s->mu);
  s->stop = 1;
  pthread_cond_signal(&s->wake);
  pthread_mutex_unlock(&s->mu);
  if (s->thread_started) pthread_join(s->thread, NULL);
  if (s->level_open) close_level(s, NULL);
  double wall = mono_s(), cpu = cpu_s();
  cJSON *o = base_json(sampler_source(s), s->source == SRC_NONE ? s->why : NULL, s->interval_ms);
  if (!o) {
    sampler_free(s);
    return NULL;
  }
  cJSON *gpus = cJSON_AddArrayToObject(o, "gpus");
  cJSON *idle = cJSON_AddArrayToObject(o, "idle");
  for (unsigned g = 0; g < s->n_gpus; g++) {
    cJSON *d = cJSON_CreateObject();
    if (d && gpus) {
      cJSON_AddNumberToObject(d, "index", s->ids[g].index);
      cJSON_AddStringToObject(d, "name", s->ids[g].name);
      cJSON_AddStringToObject(d, "uuid", s->ids[g].uuid);
      cJSON_AddItemToArray(gpus, d);
    } else {
      cJSON_Delete(d);
    }
    cJSON *i = cJSON_CreateObject();
    if (i && idle) {
      cJSON_AddNumberToObject(i, "gpu", g);
      add_bytes(i, "mem_used_bytes", s->idle[g].mem_used_bytes);
      cJSON_AddItemToArray(idle, i);
    } else {
      cJSON_Delete(i);
    }
  }
  cJSON *tl = timeline_json(s);
  if (tl) cJSON_AddItemToObject(o, "timeline", tl);
  cJSON *levels = cJSON_AddArrayToObject(o, "levels");
  for (size_t i = 0; levels && i < s->n_levels; i++) {
    cJSON *l = cJSON_CreateObject();
    if (!l) break;
    cJSON_AddStringToObject(l, "label", s->levels[i].label);
    cJSON_AddNumberToObject(l, "t_start_s", round(s->levels[i].t_start * 1000.0) / 1000.0);
    cJSON_AddNumberToObject(l, "t_end_s", round(s->levels[i].t_end * 1000.0) / 1000.0);
    cJSON_AddItemToArray(levels, l);
  }
  cJSON *c = cJSON_AddObjectToObject(o, "client_cpu");
  if (c) {
    double span = wall - s->wall_start;
    cJSON_AddNumberToObject(c, "cores", s->cores);
    cJSON_AddNumberToObject(c, "busy_pct_mean",
                            span > 0 ? (cpu - s->cpu_start) / span / (double)s->cores * 100.0 : 0);
    cJSON_AddNumberToObject(c, "busy_pct_max", s->busy_max);
  }
  sampler_free(s);
  return o;
}
