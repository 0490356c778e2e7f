/*
 * gpu_sample.h — one reading of a GPU's memory, utilisation, SM clock,
 * power and temperature, from NVML (nvml.c, the library loaded once and
 * kept for the run) or from one `nvidia-smi --query-gpu` per sample
 * (nvidia_smi.c). The sampler (sampler.h) takes these on its own thread.
 */
#ifndef BENCHY_META_GPU_SAMPLE_H
#define BENCHY_META_GPU_SAMPLE_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "benchy/benchy.h"
#include "../util.h"

/* A bound for preallocation: an 8-GPU host is the largest we meet. */
#define GPU_SAMPLE_MAX_GPUS 16
#define GPU_SAMPLE_NO_MEMORY UINT64_MAX

typedef struct gpu_sample {
  uint64_t mem_used_bytes; /* GPU_SAMPLE_NO_MEMORY: not read */
  double util_pct, sm_mhz, power_w, temp_c; /* NAN: not read */
} gpu_sample;

typedef struct gpu_identity {
  unsigned index;
  char name[96];
  char uuid[96];
} gpu_identity;

static inline void gpu_sample_clear(gpu_sample *s) {
  s->mem_used_bytes = GPU_SAMPLE_NO_MEMORY;
  s->util_pct = s->sm_mhz = s->power_w = s->temp_c = NAN;
}

/* NVML, loaded and initialised once (dlopen: no build dependency). */
typedef struct gpu_nvml gpu_nvml;
/* NULL with why in err (no library, init failed, no GPU). */
BENCHY_INTERNAL gpu_nvml *gpu_nvml_open(const char *library, char *err, size_t errlen);
BENCHY_INTERNAL unsigned gpu_nvml_count(const gpu_nvml *g);
BENCHY_INTERNAL void gpu_nvml_identify(const gpu_nvml *g, unsigned i, gpu_identity *id);
BENCHY_INTERNAL void gpu_nvml_read(const gpu_nvml *g, unsigned i, gpu_sample *s);
BENCHY_INTERNAL void gpu_nvml_close(gpu_nvml *g);

/* One `nvidia-smi --query-gpu=index,name,uuid,memory.used,utilization.gpu,
 * clocks.sm,power.draw,temperature.gpu --format=csv,noheader,nounits`:
 * up to max GPUs into samples (and ids, may be NULL); the count, or -1 with
 * why in err. */
BENCHY_INTERNAL int gpu_smi_read(double timeout_s, gpu_sample *samples, gpu_identity *ids, unsigned max,
                                 char *err, size_t errlen);

#endif
