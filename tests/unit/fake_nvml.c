/*
 * fake_nvml.c — a stand-in for libnvidia-ml.so.1 with canned values, loaded
 * by test_meta through BENCHY_NVML_LIBRARY (CI has no GPU). Two devices:
 * device 0 has its application clocks set away from the defaults (locked),
 * device 1 at the defaults. The values are the test's expectations.
 * test_sampler reads memory, utilisation, power and temperature through it
 * too, the memory from a file the test changes (FAKE_NVML_MEMORY_FILE).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  unsigned long long total, free, used;
} fake_memory;

static int initialised;

EXPORT int nvmlInit_v2(void) { initialised = 1; return 0; }
EXPORT int nvmlShutdown(void) { initialised = 0; return 0; }
EXPORT const char *nvmlErrorString(int rc) { return rc ? "Fake error" : "Success"; }
EXPORT int nvmlSystemGetDriverVersion(char *out, unsigned len) {
  snprintf(out, len, "550.54.15");
  return 0;
}
EXPORT int nvmlSystemGetCudaDriverVersion_v2(int *v) { *v = 12040; return 0; }
EXPORT int nvmlDeviceGetCount_v2(unsigned *n) {
  if (!initialised) return 1;
  *n = 2;
  return 0;
}
EXPORT int nvmlDeviceGetHandleByIndex_v2(unsigned i, void **d) {
  if (i > 1) return 2;
  *d = (void *)(size_t)(i + 1); /* 1, 2: never NULL */
  return 0;
}
static unsigned idx(void *d) { return (unsigned)(size_t)d - 1; }
EXPORT int nvmlDeviceGetName(void *d, char *out, unsigned len) {
  snprintf(out, len, "NVIDIA H200 fake %u", idx(d));
  return 0;
}
EXPORT int nvmlDeviceGetUUID(void *d, char *out, unsigned len) {
  snprintf(out, len, "GPU-00000000-fake-0000-0000-00000000000%u", idx(d));
  return 0;
}
/* type: 0 graphics, 1 SM, 2 memory */
EXPORT int nvmlDeviceGetClockInfo(void *d, int type, unsigned *mhz) {
  *mhz = type == 2 ? 3201 : 1755 + idx(d);
  return 0;
}
EXPORT int nvmlDeviceGetMaxClockInfo(void *d, int type, unsigned *mhz) {
  (void)d;
  *mhz = type == 2 ? 3201 : 1980;
  return 0;
}
EXPORT int nvmlDeviceGetApplicationsClock(void *d, int type, unsigned *mhz) {
  *mhz = type == 2 ? 3201 : (idx(d) == 0 ? 1500 : 1980);
  return 0;
}
EXPORT int nvmlDeviceGetDefaultApplicationsClock(void *d, int type, unsigned *mhz) {
  (void)d;
  *mhz = type == 2 ? 3201 : 1980;
  return 0;
}
EXPORT int nvmlDeviceGetPowerManagementLimit(void *d, unsigned *mw) {
  *mw = idx(d) == 0 ? 700000 : 600000;
  return 0;
}
EXPORT int nvmlDeviceGetEnforcedPowerLimit(void *d, unsigned *mw) {
  *mw = idx(d) == 0 ? 700000 : 600000;
  return 0;
}
EXPORT int nvmlDeviceGetPersistenceMode(void *d, int *mode) {
  *mode = idx(d) == 0;
  return 0;
}
EXPORT int nvmlDeviceGetPerformanceState(void *d, int *p) {
  (void)d;
  *p = 0;
  return 0;
}
static int memory_from_file(unsigned i, unsigned long long *used);
EXPORT int nvmlDeviceGetMemoryInfo(void *d, fake_memory *m) {
  m->total = 150754820096ULL;
  m->used = idx(d) == 0 ? 1073741824ULL : 0;
  memory_from_file(idx(d), &m->used);
  m->free = m->total - m->used;
  return 0;
}

/* ---- the per-sample calls ---- */

/* FAKE_NVML_MEMORY_FILE names a file holding "USED0 USED1" (bytes), read at
 * every call, so that a test can change the memory the sampler sees while a
 * run goes on; without it the canned values above. */
static int memory_from_file(unsigned i, unsigned long long *used) {
  const char *path = getenv("FAKE_NVML_MEMORY_FILE");
  if (!path || !*path) return 0;
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  unsigned long long v[2] = {0, 0};
  int n = fscanf(f, "%llu %llu", &v[0], &v[1]);
  fclose(f);
  if (n < 1 || (unsigned)n <= i) return 0;
  *used = v[i];
  return 1;
}

EXPORT int nvmlDeviceGetUtilizationRates(void *d, unsigned *rates /* gpu, memory */) {
  rates[0] = 40 + 10 * idx(d);
  rates[1] = 20;
  return 0;
}
EXPORT int nvmlDeviceGetPowerUsage(void *d, unsigned *mw) {
  *mw = idx(d) == 0 ? 350500 : 120000;
  return 0;
}
/* sensor 0: the GPU die */
EXPORT int nvmlDeviceGetTemperature(void *d, int sensor, unsigned *c) {
  if (sensor != 0) return 2;
  *c = 50 + idx(d);
  return 0;
}
