/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

char *test_read_fixture(const char *name, size_t *len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", BENCHY_FIXTURES, name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    if (len) *len = (size_t)n;
  }
  return buf;
}

int test_timing_unreliable(void) { return getenv("BENCHY_UNDER_VALGRIND") != NULL; }

int test_transport_is_curl(void) {
  const char *transport = getenv("BENCHY_TRANSPORT");
  return transport && !strcmp(transport, "curl");
}

const char *test_expected_rx_clock(void) { return test_transport_is_curl() ? "read" : "kernel"; }

locale_t test_comma_locale(void) {
  const char *names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "ru_RU.UTF-8"};
  locale_t loc = (locale_t)0;
  for (size_t i = 0; i < sizeof names / sizeof names[0] && !loc; i++)
    loc = newlocale(LC_NUMERIC_MASK, names[i], (locale_t)0);
  if (!loc) fail_msg("no locale with a ',' radix: run scripts/install-deps.sh (it generates de_DE.UTF-8)");
  return loc;
}

static void apply_pairs(benchy_options *o, const char *const *pairs) {
  for (const char *const *p = pairs; p && *p; p += 2)
    if (benchy_options_set(o, p[0], p[1]) != BENCHY_OK) fail_msg("sim option %s: %s", p[0], benchy_options_error(o));
}

benchy_sim *test_sim_start_lists(const char *const *defaults, const char *const *overrides) {
  static const char *const loopback[] = {"host", "127.0.0.1", "port", "0", NULL};
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_SIM), BENCHY_OK);
  apply_pairs(o, loopback);
  apply_pairs(o, defaults);
  apply_pairs(o, overrides);
  benchy_sim *sim = NULL;
  char err[256] = "";
  if (benchy_sim_start(&sim, o, err, sizeof err) != BENCHY_OK) fail_msg("benchy_sim_start: %s", err);
  benchy_options_free(o);
  assert_true(benchy_sim_port(sim) > 0);
  return sim;
}

benchy_sim *test_sim_start(const char *first_name, ...) {
  const char *pairs[65];
  size_t n = 0;
  va_list ap;
  va_start(ap, first_name);
  for (const char *s = first_name; s && n < 64; s = va_arg(ap, const char *)) pairs[n++] = s;
  va_end(ap);
  if (n % 2) fail_msg("test_sim_start: option %s has no value", pairs[n - 1]);
  pairs[n] = NULL;
  return test_sim_start_lists(NULL, pairs);
}

/* ---- timing attempts ---------------------------------------------------- */

struct test_stall_watch {
  pthread_t thread;
  atomic_int stop;
  _Atomic int64_t worst_ns;
};

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *stall_watch_main(void *arg) {
  struct test_stall_watch *w = arg;
  const struct timespec tick = {0, 1000000};
  while (!atomic_load(&w->stop)) {
    int64_t before = mono_ns();
    nanosleep(&tick, NULL);
    int64_t late = mono_ns() - before - tick.tv_nsec;
    if (late > atomic_load(&w->worst_ns)) atomic_store(&w->worst_ns, late);
  }
  return NULL;
}

static struct test_stall_watch *stall_watch_start(void) {
  struct test_stall_watch *w = calloc(1, sizeof *w);
  assert_non_null(w);
  if (pthread_create(&w->thread, NULL, stall_watch_main, w) != 0) fail_msg("stall watch: pthread_create failed");
  return w;
}

static double stall_watch_stop(struct test_stall_watch *w) {
  atomic_store(&w->stop, 1);
  pthread_join(w->thread, NULL);
  double worst_ms = (double)atomic_load(&w->worst_ns) / 1e6;
  free(w);
  return worst_ms;
}

/* The attempt now running lives here rather than on the test's stack: a
 * hard assert inside an attempt jumps out of the test, and the next test
 * must find nothing of it but a watch thread to stop. */
static struct {
  int active;
  int missed;
  char miss[512];
  double sim_late_ms;
  struct test_stall_watch *watch;
} running;

int test_timing_teardown(void **state) {
  (void)state;
  if (running.watch) stall_watch_stop(running.watch);
  memset(&running, 0, sizeof running);
  return 0;
}

static void attempt_begin(test_timing *t) {
  test_timing_teardown(NULL);
  t->attempt++;
  /* Under valgrind the watch would only slow everything further; that pass
   * widens its bounds instead and counts every attempt as disturbed. */
  running.watch = test_timing_unreliable() ? NULL : stall_watch_start();
  running.active = 1;
}

int test_timing_next(test_timing *t) {
  if (t->attempt == 0) {
    attempt_begin(t);
    return 1;
  }
  t->stall_ms = running.watch ? stall_watch_stop(running.watch) : 0;
  t->sim_late_ms = running.sim_late_ms;
  t->missed = running.missed;
  snprintf(t->miss, sizeof t->miss, "%s", running.miss);
  memset(&running, 0, sizeof running);
  if (!t->missed) return 0;
  int disturbed = test_timing_unreliable() || t->stall_ms >= TEST_TIMING_STALL_MS ||
                  t->sim_late_ms >= TEST_TIMING_STALL_MS;
  if (disturbed && t->attempt < TEST_TIMING_ATTEMPTS) {
    print_message("# attempt %d missed (%s) while the machine stalled (watch %.1f ms, simulator %.1f ms late): "
                  "running it again\n",
                  t->attempt, t->miss, t->stall_ms, t->sim_late_ms);
    attempt_begin(t);
    return 1;
  }
  fail_msg("%s (attempt %d of %d; longest stall %.1f ms, simulator %.1f ms late; %s)", t->miss, t->attempt,
           TEST_TIMING_ATTEMPTS, t->stall_ms, t->sim_late_ms,
           disturbed ? "every attempt was disturbed" : "undisturbed, so the miss is real");
  return 0;
}

void test_timing_miss_at(const char *file, int line, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  if (!running.active) fail_msg("%s:%d: %s", base, line, msg);
  if (!running.missed) snprintf(running.miss, sizeof running.miss, "%s:%d: %s", base, line, msg);
  running.missed = 1;
}

void test_sim_stop(benchy_sim *sim) {
  if (running.active && sim) {
    benchy_sim_stats st = {.struct_size = sizeof st};
    benchy_sim_get_stats(sim, &st);
    double late_ms = (double)st.lateness_max_ns / 1e6;
    if (late_ms > running.sim_late_ms) running.sim_late_ms = late_ms;
  }
  benchy_sim_stop(sim);
}

static char tmpdir_path[256];

int test_tmpdir_setup(void **state) {
  (void)state;
  snprintf(tmpdir_path, sizeof tmpdir_path, "/tmp/benchy-test-XXXXXX");
  return mkdtemp(tmpdir_path) ? 0 : -1;
}

int test_tmpdir_teardown(void **state) {
  (void)state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir_path);
  return system(cmd) == 0 ? 0 : -1;
}

const char *test_tmpdir(void) { return tmpdir_path; }
