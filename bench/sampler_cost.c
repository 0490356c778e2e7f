/*
 * sampler_cost.c — what one reading of the run sampler (meta/sampler.h)
 * costs: the sampler alone, on an interval, for a while; the process's CPU
 * time over the readings it took (the main thread only waits). The GPU
 * source is whatever the machine has (NVML, nvidia-smi, none), or the one
 * BENCHY_NVML_LIBRARY names.
 *
 * Usage: benchy-sampler-cost [INTERVAL_MS [SECONDS]]   (default 10 ms, 5 s)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include <cJSON.h>

#include "meta/sampler.h"

static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
         (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  long long interval = argc > 1 ? atoll(argv[1]) : 10;
  double seconds = argc > 2 ? atof(argv[2]) : 5;
  double cpu0 = cpu_s();
  sampler_config cfg = {interval, NULL, 5};
  sampler *s = sampler_start(&cfg);
  if (!s) {
    fprintf(stderr, "sampler did not start\n");
    return 1;
  }
  double start_cpu = cpu_s() - cpu0;
  uint64_t start_readings = sampler_readings(s);
  double cpu1 = cpu_s();
  struct timespec pause = {(time_t)seconds, (long)((seconds - (double)(time_t)seconds) * 1e9)};
  nanosleep(&pause, NULL);
  uint64_t readings = sampler_readings(s) - start_readings;
  double cpu = cpu_s() - cpu1;
  printf("| source | interval ms | seconds | readings | CPU per reading µs | CPU %% of one core | start ms CPU |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|\n");
  printf("| %s | %lld | %g | %llu | %.1f | %.3f | %.2f |\n", sampler_source(s), interval, seconds,
         (unsigned long long)readings, readings ? cpu * 1e6 / (double)readings : 0.0, 100.0 * cpu / seconds,
         start_cpu * 1e3);
  if (*sampler_why(s)) printf("(%s)\n", sampler_why(s));
  cJSON_Delete(sampler_finish(s));
  return 0;
}
