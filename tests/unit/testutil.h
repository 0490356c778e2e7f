/* testutil.h — helpers shared by the unit tests. */
#ifndef BENCHY_TESTUTIL_H
#define BENCHY_TESTUTIL_H

#include <stddef.h>

/* Reads tests/fixtures/<name> into a malloc'd NUL-terminated buffer. */
char *test_read_fixture(const char *name, size_t *len);

/* True under valgrind (scripts/valgrind.sh sets BENCHY_UNDER_VALGRIND): the
 * client runs ~50x slower there, so ratios between measured rates mean
 * nothing. That pass checks memory; the timing assertions skipped by this
 * are checked by the plain and sanitizer passes. */
int test_timing_unreliable(void);

#endif
