/*
 * sim_foreground.c — see sim_foreground.h. Signals and the process's
 * descriptor limit are the program's business, not the library's: the
 * simulator itself (benchy_sim_start) only serves on its own thread.
 */
#include "sim_foreground.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>

int cli_sim_foreground(const benchy_options *opts) {
  /* Every stream is a socket: thousands of them need more than the usual
   * soft limit of 1024 descriptors; take what the hard limit allows. */
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  sigset_t set, old;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  /* Blocked before the simulator's thread exists, so it inherits the mask
   * and the signals wait for sigwait() here, outside any handler. */
  pthread_sigmask(SIG_BLOCK, &set, &old);
  benchy_sim *sim = NULL;
  char err[512] = "";
  int rc = benchy_sim_start(&sim, opts, err, sizeof err);
  if (rc != BENCHY_OK) {
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    fprintf(stderr, "benchy sim: %s\n", err[0] ? err : benchy_status_message(rc));
    return rc;
  }
  char where[512];
  benchy_sim_describe(sim, where, sizeof where);
  fprintf(stderr, "benchy sim listening on %s\n", where);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  benchy_sim_stats st = {.struct_size = sizeof st};
  benchy_sim_get_stats(sim, &st);
  benchy_sim_stop(sim);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  fprintf(stderr,
          "benchy sim: stopped (%s): %llu requests, %llu streams, %llu chunks, %llu faults; "
          "lateness p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
          sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)st.requests,
          (unsigned long long)st.streams, (unsigned long long)st.chunks, (unsigned long long)st.faults,
          (double)st.lateness_p50_ns / 1e6, (double)st.lateness_p99_ns / 1e6,
          (double)st.lateness_max_ns / 1e6);
  return BENCHY_OK;
}

/* The simulator stopped by a signal ends normally; one that cannot listen never started. */
int cli_sim(benchy_options *opts) { return cli_sim_foreground(opts) == BENCHY_OK ? 0 : 2; }
