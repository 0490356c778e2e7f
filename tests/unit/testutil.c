/* testutil.c — see testutil.h. */
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

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
