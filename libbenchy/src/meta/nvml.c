/*
 * nvml.c — NVIDIA GPUs through NVML, loaded at run time with dlopen so that
 * benchy builds and runs without the driver. BENCHY_NVML_LIBRARY names
 * another library (tests load a fake one). The signatures are NVML's own
 * (nvml.h); only the handful used are declared.
 */
#include "meta.h"
#include "gpu_sample.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvml_return;
typedef void *nvml_device;
typedef struct {
  unsigned long long total, free, used;
} nvml_memory;
typedef struct {
  unsigned gpu, memory; /* percent of the last sample period */
} nvml_utilization;
enum { NVML_CLOCK_GRAPHICS = 0, NVML_CLOCK_SM = 1, NVML_CLOCK_MEM = 2 };
enum { NVML_TEMPERATURE_GPU = 0 };

typedef struct nvml {
  void *lib;
  nvml_return (*init)(void);
  nvml_return (*shutdown)(void);
  const char *(*error_string)(nvml_return);
  nvml_return (*driver_version)(char *, unsigned);
  nvml_return (*cuda_version)(int *);
  nvml_return (*count)(unsigned *);
  nvml_return (*handle)(unsigned, nvml_device *);
  nvml_return (*name)(nvml_device, char *, unsigned);
  nvml_return (*uuid)(nvml_device, char *, unsigned);
  nvml_return (*clock)(nvml_device, int, unsigned *);
  nvml_return (*max_clock)(nvml_device, int, unsigned *);
  nvml_return (*app_clock)(nvml_device, int, unsigned *);
  nvml_return (*default_app_clock)(nvml_device, int, unsigned *);
  nvml_return (*power_limit)(nvml_device, unsigned *);
  nvml_return (*enforced_power_limit)(nvml_device, unsigned *);
  nvml_return (*persistence)(nvml_device, int *);
  nvml_return (*pstate)(nvml_device, int *);
  nvml_return (*memory)(nvml_device, nvml_memory *);
  /* The per-sample calls (gpu_sample.h). */
  nvml_return (*utilization)(nvml_device, nvml_utilization *);
  nvml_return (*power_usage)(nvml_device, unsigned *);
  nvml_return (*temperature)(nvml_device, int, unsigned *);
} nvml;

/* POSIX allows a data pointer to hold a function; dlsym's contract. */
#define LOAD(field, sym) *(void **)(&n->field) = dlsym(n->lib, sym)

static void load(nvml *n) {
  LOAD(init, "nvmlInit_v2");
  LOAD(shutdown, "nvmlShutdown");
  LOAD(error_string, "nvmlErrorString");
  LOAD(driver_version, "nvmlSystemGetDriverVersion");
  LOAD(cuda_version, "nvmlSystemGetCudaDriverVersion_v2");
  if (!n->cuda_version) LOAD(cuda_version, "nvmlSystemGetCudaDriverVersion");
  LOAD(count, "nvmlDeviceGetCount_v2");
  LOAD(handle, "nvmlDeviceGetHandleByIndex_v2");
  LOAD(name, "nvmlDeviceGetName");
  LOAD(uuid, "nvmlDeviceGetUUID");
  LOAD(clock, "nvmlDeviceGetClockInfo");
  LOAD(max_clock, "nvmlDeviceGetMaxClockInfo");
  LOAD(app_clock, "nvmlDeviceGetApplicationsClock");
  LOAD(default_app_clock, "nvmlDeviceGetDefaultApplicationsClock");
  LOAD(power_limit, "nvmlDeviceGetPowerManagementLimit");
  LOAD(enforced_power_limit, "nvmlDeviceGetEnforcedPowerLimit");
  LOAD(persistence, "nvmlDeviceGetPersistenceMode");
  LOAD(pstate, "nvmlDeviceGetPerformanceState");
  LOAD(memory, "nvmlDeviceGetMemoryInfo");
  LOAD(utilization, "nvmlDeviceGetUtilizationRates");
  LOAD(power_usage, "nvmlDeviceGetPowerUsage");
  LOAD(temperature, "nvmlDeviceGetTemperature");
}

static void add_clock(cJSON *o, const char *key, nvml_return (*fn)(nvml_device, int, unsigned *),
                      nvml_device d, int type) {
  unsigned mhz = 0;
  if (fn && fn(d, type, &mhz) == 0) cJSON_AddNumberToObject(o, key, mhz);
}

static cJSON *device_json(const nvml *n, unsigned index, nvml_device d) {
  cJSON *g = cJSON_CreateObject();
  if (!g) return NULL;
  cJSON_AddNumberToObject(g, "index", index);
  char text[256];
  if (n->name && n->name(d, text, sizeof text) == 0) cJSON_AddStringToObject(g, "name", text);
  if (n->uuid && n->uuid(d, text, sizeof text) == 0) cJSON_AddStringToObject(g, "uuid", text);
  cJSON *clocks = cJSON_AddObjectToObject(g, "clocks_mhz");
  if (clocks) {
    add_clock(clocks, "sm", n->clock, d, NVML_CLOCK_SM);
    add_clock(clocks, "memory", n->clock, d, NVML_CLOCK_MEM);
    add_clock(clocks, "sm_max", n->max_clock, d, NVML_CLOCK_SM);
    add_clock(clocks, "memory_max", n->max_clock, d, NVML_CLOCK_MEM);
    add_clock(clocks, "applications_sm", n->app_clock, d, NVML_CLOCK_GRAPHICS);
    add_clock(clocks, "applications_memory", n->app_clock, d, NVML_CLOCK_MEM);
    add_clock(clocks, "default_applications_sm", n->default_app_clock, d, NVML_CLOCK_GRAPHICS);
    add_clock(clocks, "default_applications_memory", n->default_app_clock, d, NVML_CLOCK_MEM);
    /* Application clocks set away from their defaults (nvidia-smi -ac)
     * pin the clocks a benchmark runs at. */
    cJSON *a = cJSON_GetObjectItem(clocks, "applications_sm");
    cJSON *da = cJSON_GetObjectItem(clocks, "default_applications_sm");
    cJSON *am = cJSON_GetObjectItem(clocks, "applications_memory");
    cJSON *dm = cJSON_GetObjectItem(clocks, "default_applications_memory");
    if (a && da && am && dm)
      cJSON_AddBoolToObject(g, "application_clocks_locked",
                            a->valuedouble != da->valuedouble || am->valuedouble != dm->valuedouble);
  }
  unsigned mw = 0;
  if (n->power_limit && n->power_limit(d, &mw) == 0) cJSON_AddNumberToObject(g, "power_limit_w", mw / 1000.0);
  if (n->enforced_power_limit && n->enforced_power_limit(d, &mw) == 0)
    cJSON_AddNumberToObject(g, "enforced_power_limit_w", mw / 1000.0);
  int state = 0;
  if (n->persistence && n->persistence(d, &state) == 0)
    cJSON_AddBoolToObject(g, "persistence_mode", state != 0);
  if (n->pstate && n->pstate(d, &state) == 0) {
    snprintf(text, sizeof text, "P%d", state);
    cJSON_AddStringToObject(g, "performance_state", text);
  }
  nvml_memory mem;
  if (n->memory && n->memory(d, &mem) == 0) {
    cJSON_AddNumberToObject(g, "memory_total_bytes", (double)mem.total);
    cJSON_AddNumberToObject(g, "memory_used_bytes", (double)mem.used);
  }
  return g;
}

/* Loads the library and initialises NVML into n; 0, or -1 with why. */
static int nvml_load(nvml *n, const char *library, char *err, size_t errlen) {
  memset(n, 0, sizeof *n);
  n->lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
  if (!n->lib) {
    const char *why = dlerror();
    benchy_set_error(err, errlen, "NVML: cannot load %s (%s)", library, why ? why : "dlopen failed");
    return -1;
  }
  load(n);
  if (!n->init || !n->count || !n->handle) {
    benchy_set_error(err, errlen, "NVML: %s lacks nvmlInit_v2/nvmlDeviceGetCount_v2", library);
    dlclose(n->lib);
    return -1;
  }
  nvml_return rc = n->init();
  if (rc != 0) {
    benchy_set_error(err, errlen, "NVML: nvmlInit failed (%s)",
                     n->error_string ? n->error_string(rc) : "error");
    dlclose(n->lib);
    return -1;
  }
  return 0;
}

static void nvml_unload(nvml *n) {
  if (n->shutdown) n->shutdown();
  dlclose(n->lib);
}

cJSON *meta_gpus_nvml(const char *library, char *err, size_t errlen) {
  nvml n;
  if (nvml_load(&n, library, err, errlen) != 0) return NULL;
  nvml_return rc;
  cJSON *gpus = cJSON_CreateObject();
  unsigned count = 0;
  if (gpus && (rc = n.count(&count)) == 0) {
    cJSON_AddStringToObject(gpus, "source", "nvml");
    char text[128];
    if (n.driver_version && n.driver_version(text, sizeof text) == 0)
      cJSON_AddStringToObject(gpus, "driver_version", text);
    int cuda = 0;
    if (n.cuda_version && n.cuda_version(&cuda) == 0) {
      snprintf(text, sizeof text, "%d.%d", cuda / 1000, (cuda % 1000) / 10);
      cJSON_AddStringToObject(gpus, "cuda_version", text);
    }
    cJSON_AddNumberToObject(gpus, "count", count);
    cJSON *devices = cJSON_AddArrayToObject(gpus, "devices");
    for (unsigned i = 0; devices && i < count; i++) {
      nvml_device d = NULL;
      if (n.handle(i, &d) != 0) continue;
      cJSON *g = device_json(&n, i, d);
      if (g) cJSON_AddItemToArray(devices, g);
    }
  } else if (gpus) {
    benchy_set_error(err, errlen, "NVML: nvmlDeviceGetCount failed (%s)",
                     n.error_string ? n.error_string(rc) : "error");
    cJSON_Delete(gpus);
    gpus = NULL;
  }
  nvml_unload(&n);
  return gpus;
}

/* ---- sampling (gpu_sample.h) ---- */

struct gpu_nvml {
  nvml n;
  unsigned count;
  nvml_device devices[GPU_SAMPLE_MAX_GPUS];
};

gpu_nvml *gpu_nvml_open(const char *library, char *err, size_t errlen) {
  gpu_nvml *g = calloc(1, sizeof *g);
  if (!g) {
    benchy_set_error(err, errlen, "out of memory");
    return NULL;
  }
  if (nvml_load(&g->n, library, err, errlen) != 0) {
    free(g);
    return NULL;
  }
  unsigned count = 0;
  nvml_return rc = g->n.count(&count);
  if (rc != 0 || count == 0) {
    if (rc != 0)
      benchy_set_error(err, errlen, "NVML: nvmlDeviceGetCount failed (%s)",
                       g->n.error_string ? g->n.error_string(rc) : "error");
    else
      benchy_set_error(err, errlen, "NVML: no GPU on this machine");
    gpu_nvml_close(g);
    return NULL;
  }
  for (unsigned i = 0; i < count && g->count < GPU_SAMPLE_MAX_GPUS; i++)
    if (g->n.handle(i, &g->devices[g->count]) == 0) g->count++;
  return g;
}

unsigned gpu_nvml_count(const gpu_nvml *g) { return g ? g->count : 0; }

void gpu_nvml_identify(const gpu_nvml *g, unsigned i, gpu_identity *id) {
  memset(id, 0, sizeof *id);
  id->index = i;
  if (i >= g->count) return;
  if (g->n.name) g->n.name(g->devices[i], id->name, sizeof id->name);
  if (g->n.uuid) g->n.uuid(g->devices[i], id->uuid, sizeof id->uuid);
}

/* Each reading that fails stays NAN (memory: GPU_SAMPLE_NO_MEMORY). */
void gpu_nvml_read(const gpu_nvml *g, unsigned i, gpu_sample *s) {
  gpu_sample_clear(s);
  if (i >= g->count) return;
  nvml_device d = g->devices[i];
  nvml_memory mem;
  if (g->n.memory && g->n.memory(d, &mem) == 0) s->mem_used_bytes = mem.used;
  nvml_utilization u;
  if (g->n.utilization && g->n.utilization(d, &u) == 0) s->util_pct = u.gpu;
  unsigned v = 0;
  if (g->n.clock && g->n.clock(d, NVML_CLOCK_SM, &v) == 0) s->sm_mhz = v;
  if (g->n.power_usage && g->n.power_usage(d, &v) == 0) s->power_w = v / 1000.0;
  if (g->n.temperature && g->n.temperature(d, NVML_TEMPERATURE_GPU, &v) == 0) s->temp_c = v;
}

void gpu_nvml_close(gpu_nvml *g) {
  if (!g) return;
  nvml_unload(&g->n);
  free(g);
}
