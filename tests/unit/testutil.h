/* testutil.h — helpers shared by the unit tests. */
#ifndef BENCHY_TESTUTIL_H
#define BENCHY_TESTUTIL_H

#include <stddef.h>

/* Reads tests/fixtures/<name> into a malloc'd NUL-terminated buffer. */
char *test_read_fixture(const char *name, size_t *len);

#endif
