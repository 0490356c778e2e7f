/* testutil.h — helpers shared by the unit tests. */
#ifndef BENCHY_TESTUTIL_H
#define BENCHY_TESTUTIL_H

#include <stddef.h>

#include <benchy/benchy.h>

/* Reads tests/fixtures/<name> into a malloc'd NUL-terminated buffer. */
char *test_read_fixture(const char *name, size_t *len);

/* True under valgrind (scripts/valgrind.sh sets BENCHY_UNDER_VALGRIND): the
 * client runs ~50x slower there, so ratios between measured rates mean
 * nothing. That pass checks memory; the timing assertions skipped by this
 * are checked by the plain and sanitizer passes. */
int test_timing_unreliable(void);

/* An in-process simulator on a free loopback port, configured from
 * NULL-terminated lists of option name/value pairs applied in turn (later
 * pairs override earlier ones; either list may be NULL). A bad option or a
 * failed start fails the calling test with the reason. */
benchy_sim *test_sim_start_lists(const char *const *defaults, const char *const *overrides);
/* The same from name, value, ..., NULL. */
benchy_sim *test_sim_start(const char *first_name, ...);

#endif
