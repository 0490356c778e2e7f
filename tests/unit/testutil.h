/* testutil.h — helpers shared by the unit tests. */
#ifndef BENCHY_TESTUTIL_H
#define BENCHY_TESTUTIL_H

#include <locale.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <benchy/benchy.h>

/* Reads tests/fixtures/<name> into a malloc'd NUL-terminated buffer. */
char *test_read_fixture(const char *name, size_t *len);

/* True under valgrind (scripts/valgrind.sh sets BENCHY_UNDER_VALGRIND): the
 * client runs ~50x slower there, so ratios between measured rates mean
 * nothing. That pass checks memory; the timing assertions skipped by this
 * are checked by the plain and sanitizer passes. */
int test_timing_unreliable(void);

/* True when BENCHY_TRANSPORT=curl sends every http:// stream through
 * libcurl (ctest's *_curl runs): chunks are then dated by the read clock. */
int test_transport_is_curl(void);
/* "read" under test_transport_is_curl(), else "kernel": the rx_clock a
 * plain http:// stream to the simulator reports. */
const char *test_expected_rx_clock(void);

/* A locale whose radix character is ',' (LC_NUMERIC only), for use with
 * uselocale(): that changes only the calling thread and, unlike
 * setlocale(), leaves nothing allocated for LeakSanitizer to report.
 * scripts/install-deps.sh generates de_DE.UTF-8, so finding none fails the
 * calling test: a test that checks nothing must not pass. Free it with
 * freelocale(). */
locale_t test_comma_locale(void);

/* An in-process simulator on a free loopback port, configured from
 * NULL-terminated lists of option name/value pairs applied in turn (later
 * pairs override earlier ones; either list may be NULL). A bad option or a
 * failed start fails the calling test with the reason. */
benchy_sim *test_sim_start_lists(const char *const *defaults, const char *const *overrides);
/* The same from name, value, ..., NULL. */
benchy_sim *test_sim_start(const char *first_name, ...);
/* Stops a simulator; inside a timing attempt (below) its lateness is noted
 * first, so a simulator that sent late marks the attempt disturbed. */
void test_sim_stop(benchy_sim *sim);

/* Timing checks against the simulator's model hold only while nothing
 * stalls the process. A shared VM deschedules it for tens of milliseconds
 * at times (CI has failed on exactly that), and a stall moves every time
 * measured across it, on the simulator's side and on ours alike. So a test
 * that checks timings runs as attempts:
 *
 *   for (test_timing t = {0}; test_timing_next(&t);) { ...start, run, check, stop... }
 *
 * Inside an attempt, test_timing_miss() records the first miss instead of
 * failing. An attempt that missed is run again only when a stall was seen
 * during it: a watch thread that sleeps 1 ms at a time and woke late, or
 * the simulator's own lateness (test_sim_stop). A miss in an undisturbed
 * attempt fails the test at once, and so does a miss in the last of
 * TEST_TIMING_ATTEMPTS, so a client that is really wrong still fails: it
 * misses every time. Exact checks (counts, lengths) stay hard asserts. */
#define TEST_TIMING_ATTEMPTS 5
/* A stall at least this long (ms) marks an attempt disturbed. */
#define TEST_TIMING_STALL_MS 2.0
/* What the last finished attempt saw; test_timing_next() fills it in. */
typedef struct test_timing {
  int attempt;        /* 1-based, the attempt now running */
  int missed;         /* a check missed in the last finished attempt */
  char miss[512];     /* its first miss, as "file:line: message" */
  double stall_ms;    /* the watch's longest late wake-up in it */
  double sim_late_ms; /* the latest chunk of the simulators stopped in it */
} test_timing;
int test_timing_next(test_timing *t);
/* Every test ends with this, so that an attempt a hard assert jumped out
 * of neither lingers (its watch thread running, and misses of the next
 * test recorded instead of failing it) nor leaks. */
int test_timing_teardown(void **state);
#undef cmocka_unit_test
#define cmocka_unit_test(f) cmocka_unit_test_teardown(f, test_timing_teardown)
/* Records a timing miss on the attempt now running; with none running, it
 * fails the test at once. */
#define test_timing_miss(...) test_timing_miss_at(__FILE__, __LINE__, __VA_ARGS__)
void test_timing_miss_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A directory of the group's own under /tmp, for the files its tests write:
 * cmocka group setup and teardown (the teardown removes it and all in it). */
int test_tmpdir_setup(void **state);
int test_tmpdir_teardown(void **state);
const char *test_tmpdir(void);

#endif
