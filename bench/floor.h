/*
 * floor.h — the kernel's share of a streamed event, measured.
 *
 * A reader with nothing of ours in it (epoll, one recv() per readiness,
 * count "data:" lines) against the same simulator shows what one event
 * costs this machine below any client: the syscalls, the TCP receive path
 * and the ACK it sends. The harness prints it beside the library's figure
 * so that the difference is what the library adds.
 */
#ifndef BENCHY_BENCH_FLOOR_H
#define BENCHY_BENCH_FLOOR_H

#include <sys/resource.h>

/* CPU time of the whole process (user + system), in seconds: the floor
 * and the library are charged by the same clock. */
static inline double bench_cpu_seconds(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

typedef struct floor_result {
  double events_per_s;
  double cpu_us_per_event;
  double events_per_read;
  double waits_per_event; /* epoll_wait calls per event */
  int failed;             /* could not connect or the streams ended early */
} floor_result;

/* Opens `streams` connections to 127.0.0.1:port, starts one long stream on
 * each, ignores the first warm_s seconds and measures the next measure_s. */
void floor_run(int port, long streams, double measure_s, double warm_s, floor_result *out);

#endif
