/*
 * nvidia_smi.c — GPU facts from `nvidia-smi --query-gpu` when NVML cannot be
 * loaded (a container with the tool but not the library on the loader's
 * path). The same field names as nvml.c; nvidia-smi does not report the CUDA
 * version in its query fields, so that one is absent here.
 */
#include "meta.h"
#include "gpu_sample.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const query[] = {
    "name", "uuid", "driver_version", "clocks.sm", "clocks.mem",
    "clocks.max.sm", "clocks.max.mem", "clocks.applications.graphics",
    "clocks.applications.memory", "clocks.default_applications.graphics",
    "clocks.default_applications.memory", "power.limit", "enforced.power.limit",
    "persistence_mode", "pstate", "memory.total", "memory.used"};
enum { Q_N = sizeof query / sizeof query[0] };

/* One CSV field, trimmed; NULL when nvidia-smi has no value ([N/A]). */
static char *field(const char **p) {
  const char *s = *p;
  while (*s == ' ') s++;
  const char *e = strchr(s, ',');
  size_t n = e ? (size_t)(e - s) : strlen(s);
  *p = e ? e + 1 : s + n;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\r')) n--;
  if (!n || !strncmp(s, "[N/A]", 5) || !strncmp(s, "[Not Supported]", 15) || !strncmp(s, "N/A", 3))
    return NULL;
  return benchy_strndup(s, n);
}

static void add_number(cJSON *o, const char *key, const char *v, double scale) {
  char *end = NULL;
  double d = v ? strtod(v, &end) : 0;
  if (v && end != v) cJSON_AddNumberToObject(o, key, d * scale);
}

static cJSON *device_json(char *v[Q_N], int index) {
  cJSON *g = cJSON_CreateObject();
  if (!g) return NULL;
  cJSON_AddNumberToObject(g, "index", index);
  if (v[0]) cJSON_AddStringToObject(g, "name", v[0]);
  if (v[1]) cJSON_AddStringToObject(g, "uuid", v[1]);
  cJSON *c = cJSON_AddObjectToObject(g, "clocks_mhz");
  if (c) {
    static const char *const keys[] = {"sm", "memory", "sm_max", "memory_max", "applications_sm",
                                       "applications_memory", "default_applications_sm",
                                       "default_applications_memory"};
    for (int k = 0; k < 8; k++) add_number(c, keys[k], v[3 + k], 1);
    if (v[7] && v[8] && v[9] && v[10])
      cJSON_AddBoolToObject(g, "application_clocks_locked",
                            strtod(v[7], NULL) != strtod(v[9], NULL) ||
                                strtod(v[8], NULL) != strtod(v[10], NULL));
  }
  add_number(g, "power_limit_w", v[11], 1);
  add_number(g, "enforced_power_limit_w", v[12], 1);
  if (v[13]) cJSON_AddBoolToObject(g, "persistence_mode", !strcmp(v[13], "Enabled"));
  if (v[14]) cJSON_AddStringToObject(g, "performance_state", v[14]);
  add_number(g, "memory_total_bytes", v[15], 1024.0 * 1024.0); /* MiB with nounits */
  add_number(g, "memory_used_bytes", v[16], 1024.0 * 1024.0);
  return g;
}

cJSON *meta_gpus_smi(double timeout_s, char *err, size_t errlen) {
  char q[1024] = "--query-gpu=";
  for (int i = 0; i < Q_N; i++) {
    if (i) strcat(q, ",");
    strcat(q, query[i]);
  }
  char *argv[] = {"nvidia-smi", q, "--format=csv,noheader,nounits", NULL};
  meta_proc_result r;
  char why[256];
  if (meta_proc_run(argv, timeout_s, 1 << 20, &r, why, sizeof why) != 0) {
    benchy_set_error(err, errlen, "nvidia-smi: %s", why);
    return NULL;
  }
  cJSON *gpus = NULL;
  if (r.not_found) benchy_set_error(err, errlen, "nvidia-smi: not found on PATH");
  else if (r.timed_out) benchy_set_error(err, errlen, "nvidia-smi: no answer within %g s", timeout_s);
  else if (r.exit_status != 0)
    benchy_set_error(err, errlen, "nvidia-smi: exit status %d (%.200s)", r.exit_status,
                     r.out.data ? r.out.data : "");
  else if ((gpus = cJSON_CreateObject())) {
    cJSON_AddStringToObject(gpus, "source", "nvidia-smi");
    cJSON *devices = cJSON_CreateArray();
    int index = 0;
    char *driver = NULL;
    for (char *line = r.out.data; devices && line && *line;) {
      char *nl = strchr(line, '\n');
      if (nl) *nl = '\0';
      if (*line) {
        char *v[Q_N];
        const char *p = line;
        for (int i = 0; i < Q_N; i++) v[i] = field(&p);
        if (!driver && v[2]) driver = benchy_strdup(v[2]);
        cJSON *g = device_json(v, index++);
        if (g) cJSON_AddItemToArray(devices, g);
        for (int i = 0; i < Q_N; i++) free(v[i]);
      }
      line = nl ? nl + 1 : NULL;
    }
    if (driver) cJSON_AddStringToObject(gpus, "driver_version", driver);
    free(driver);
    cJSON_AddNumberToObject(gpus, "count", index);
    if (devices) cJSON_AddItemToObject(gpus, "devices", devices);
  }
  meta_proc_free(&r);
  return gpus;
}

/* ---- sampling (gpu_sample.h) ---- */

static const char sample_query[] =
    "--query-gpu=index,name,uuid,memory.used,utilization.gpu,clocks.sm,power.draw,temperature.gpu";

static double number_or_nan(const char *v) {
  char *end = NULL;
  double d = v ? strtod(v, &end) : NAN;
  return v && end != v ? d : NAN;
}

int gpu_smi_read(double timeout_s, gpu_sample *samples, gpu_identity *ids, unsigned max, char *err,
                 size_t errlen) {
  char *argv[] = {"nvidia-smi", (char *)sample_query, "--format=csv,noheader,nounits", NULL};
  meta_proc_result r;
  char why[256];
  if (meta_proc_run(argv, timeout_s, 1 << 16, &r, why, sizeof why) != 0) {
    benchy_set_error(err, errlen, "nvidia-smi: %s", why);
    return -1;
  }
  int n = -1;
  if (r.not_found) benchy_set_error(err, errlen, "nvidia-smi: not found on PATH");
  else if (r.timed_out) benchy_set_error(err, errlen, "nvidia-smi: no answer within %g s", timeout_s);
  else if (r.exit_status != 0)
    benchy_set_error(err, errlen, "nvidia-smi: exit status %d (%.200s)", r.exit_status,
                     r.out.data ? r.out.data : "");
  else {
    n = 0;
    for (char *line = r.out.data; line && *line && (unsigned)n < max;) {
      char *nl = strchr(line, '\n');
      if (nl) *nl = '\0';
      if (*line) {
        enum { F = 8 };
        char *v[F];
        const char *p = line;
        for (int i = 0; i < F; i++) v[i] = field(&p);
        gpu_sample *s = &samples[n];
        gpu_sample_clear(s);
        double mib = number_or_nan(v[3]);
        if (!isnan(mib)) s->mem_used_bytes = (uint64_t)(mib * 1024.0 * 1024.0); /* MiB with nounits */
        s->util_pct = number_or_nan(v[4]);
        s->sm_mhz = number_or_nan(v[5]);
        s->power_w = number_or_nan(v[6]);
        s->temp_c = number_or_nan(v[7]);
        if (ids) {
          memset(&ids[n], 0, sizeof ids[n]);
          double index = number_or_nan(v[0]);
          ids[n].index = isnan(index) ? (unsigned)n : (unsigned)index;
          if (v[1]) snprintf(ids[n].name, sizeof ids[n].name, "%s", v[1]);
          if (v[2]) snprintf(ids[n].uuid, sizeof ids[n].uuid, "%s", v[2]);
        }
        for (int i = 0; i < F; i++) free(v[i]);
        n++;
      }
      line = nl ? nl + 1 : NULL;
    }
    if (n == 0) {
      benchy_set_error(err, errlen, "nvidia-smi: listed no GPU");
      n = -1;
    }
  }
  meta_proc_free(&r);
  return n;
}
