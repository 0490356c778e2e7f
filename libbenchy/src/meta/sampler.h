/*
 * sampler.h — GPU and client-CPU samples taken during a run on a thread of
 * the sampler's own, so that the run's loops never wait for a reading.
 *
 * The thread reads every GPU (gpu_sample.h: NVML, else nvidia-smi, else
 * none) and the process's CPU time on an interval, into storage sized when
 * it starts: a timeline per GPU that keeps its peaks when it fills (pairs
 * are merged, each field keeping its maximum), and the running figures of
 * the level that is open. The workload marks a level's start and end
 * (sampler_level_begin/end, on its own thread, outside any timed code); both
 * also take a reading then, so a level shorter than the interval still has
 * its own figures. docs/metadata.md, "Sampling during the run".
 */
#ifndef BENCHY_META_SAMPLER_H
#define BENCHY_META_SAMPLER_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "gpu_sample.h"

typedef struct sampler_config {
  int64_t interval_ms;      /* > 0 */
  const char *nvml_library; /* NULL: $BENCHY_NVML_LIBRARY, else libnvidia-ml.so.1 */
  double smi_timeout_s;     /* one nvidia-smi call's bound */
} sampler_config;

/* nvidia-smi starts a process per reading: never more often than this. */
#define SAMPLER_SMI_MIN_INTERVAL_MS 1000

/* One level's figures per GPU (fields never read stay NAN; mem_peak
 * GPU_SAMPLE_NO_MEMORY) and the client's CPU over the level. */
typedef struct sampler_gpu_level {
  uint64_t mem_peak;
  double mem_mean, util_mean, util_max, sm_mean, sm_min, sm_max, power_mean, power_max, temp_max;
  uint64_t samples;
} sampler_gpu_level;

typedef struct sampler_level {
  unsigned n_gpus;
  sampler_gpu_level gpu[GPU_SAMPLE_MAX_GPUS];
  double cpu_busy_pct; /* of all the client's cores, over the level's wall time */
  double seconds;
} sampler_level;

typedef struct sampler sampler;

/* Finds the GPU source and starts the thread (the CPU is sampled even with
 * no GPU). NULL only when out of memory or no thread could start. */
BENCHY_INTERNAL sampler *sampler_start(const sampler_config *cfg);
/* "nvml", "nvidia-smi" or "none"; why there is no GPU source ("" else). */
BENCHY_INTERNAL const char *sampler_source(const sampler *s);
BENCHY_INTERNAL const char *sampler_why(const sampler *s);
/* The cores the client may run on (its CPU affinity). */
BENCHY_INTERNAL unsigned sampler_cores(const sampler *s);
/* Readings taken so far (tests wait on it, with a deadline). */
BENCHY_INTERNAL uint64_t sampler_readings(sampler *s);

/* A level starts (label copied); one left open is closed first. */
BENCHY_INTERNAL int sampler_level_begin(sampler *s, const char *label);
/* The open level ends; its figures into out. 0, or -1 when none was open. */
BENCHY_INTERNAL int sampler_level_end(sampler *s, sampler_level *out);
/* A level's "gpu" array of the result (docs/results.md). */
BENCHY_INTERNAL cJSON *sampler_level_gpu_json(const sampler_level *lv);

/* Stops the thread and frees s; returns the result's "sampling" object
 * (NULL when out of memory). s may be NULL. */
BENCHY_INTERNAL cJSON *sampler_finish(sampler *s);

/* The "sampling" object of a run that took no samples (--sample-interval
 * 0), saying why. */
BENCHY_INTERNAL cJSON *sampler_off_json(const char *why, int64_t interval_ms);

#endif
