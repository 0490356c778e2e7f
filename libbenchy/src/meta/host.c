/* host.c — the machine the client ran on: uname, /etc/os-release, /proc, /sys. */
#include "meta.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

/* The value of the first line of path that starts with key, after the
 * separator (':' or '='), trimmed and unquoted; 0 when absent. */
static int read_field(const char *path, const char *key, char sep, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  char line[1024];
  size_t kl = strlen(key);
  int found = 0;
  while (!found && fgets(line, sizeof line, f)) {
    if (strncmp(line, key, kl)) continue;
    char *v = line + kl;
    while (*v == ' ' || *v == '\t') v++;
    if (*v != sep) continue;
    v++;
    while (*v == ' ' || *v == '\t' || *v == '"') v++;
    size_t n = strcspn(v, "\"\n");
    snprintf(out, cap, "%.*s", (int)n, v);
    found = 1;
  }
  fclose(f);
  return found;
}

static int read_line(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  int ok = fgets(out, (int)cap, f) != NULL;
  fclose(f);
  if (ok) out[strcspn(out, "\n")] = '\0';
  return ok && out[0];
}

void meta_host(cJSON *md) {
  cJSON *h = cJSON_AddObjectToObject(md, "host");
  if (!h) return;
  char buf[512];
  if (gethostname(buf, sizeof buf) == 0) {
    buf[sizeof buf - 1] = '\0';
    cJSON_AddStringToObject(h, "hostname", buf);
  }
  struct utsname u;
  if (uname(&u) == 0) {
    cJSON_AddStringToObject(h, "os", u.sysname);
    cJSON_AddStringToObject(h, "kernel", u.release);
    cJSON_AddStringToObject(h, "kernel_version", u.version);
    cJSON_AddStringToObject(h, "arch", u.machine);
  }
  if (read_field("/etc/os-release", "PRETTY_NAME", '=', buf, sizeof buf))
    cJSON_AddStringToObject(h, "distribution", buf);
  if (read_field("/proc/cpuinfo", "model name", ':', buf, sizeof buf))
    cJSON_AddStringToObject(h, "cpu_model", buf);
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (online > 0) cJSON_AddNumberToObject(h, "cpu_count", (double)online);
  if (read_field("/proc/meminfo", "MemTotal", ':', buf, sizeof buf))
    cJSON_AddNumberToObject(h, "memory_total_bytes", strtod(buf, NULL) * 1024.0);
  /* A VM or container often has no cpufreq: then the field is absent. */
  if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf))
    cJSON_AddStringToObject(h, "cpu_governor", buf);
}
