/*
 * test_scrub.c — the secret scrubber (scrub.c): every byte of every known
 * secret is replaced, overlapping and nested secrets included; empty and
 * short values are ignored; header lines give their value and, for
 * Authorization, the credentials alone; a fixed-size string is cut rather
 * than overflowed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scrub.h"

static void check(const scrubber *s, const char *in, const char *want, int want_runs) {
  benchy_buf b = {0};
  assert_int_equal(benchy_buf_append_str(&b, in), 0);
  assert_int_equal(benchy_buf_terminate(&b), 0);
  assert_int_equal(scrub_buf(s, &b), want_runs);
  assert_int_equal(benchy_buf_terminate(&b), 0);
  assert_string_equal(b.data ? b.data : "", want);
  benchy_buf_free(&b);

  char text[256];
  snprintf(text, sizeof text, "%s", in);
  assert_int_equal(scrub_str(s, text, sizeof text), want_runs);
  assert_string_equal(text, want);
}

static void test_every_occurrence(void **state) {
  (void)state;
  scrubber s = {0};
  assert_int_equal(scrubber_add(&s, "sk-secret", 9), 0);
  check(&s, "key sk-secret, again sk-secret.", "key [redacted], again [redacted].", 2);
  check(&s, "sk-secretsk-secret", "[redacted]", 1); /* adjacent: one run */
  check(&s, "nothing here", "nothing here", 0);
  check(&s, "", "", 0);
  check(&s, "sk-secre", "sk-secre", 0); /* a prefix alone is not the secret */
  scrubber_free(&s);
}

static void test_overlapping_and_nested(void **state) {
  (void)state;
  scrubber s = {0};
  /* Overlapping: replacing the first alone would leave "ghi" of the second. */
  assert_int_equal(scrubber_add(&s, "abcdef", 6), 0);
  assert_int_equal(scrubber_add(&s, "defghi", 6), 0);
  check(&s, "<abcdefghi>", "<[redacted]>", 1);
  check(&s, "<defghiabc>", "<[redacted]abc>", 1);
  scrubber_free(&s);

  /* One secret inside another, added in either order. */
  for (int order = 0; order < 2; order++) {
    scrubber t = {0};
    const char *outer = "Bearer tok-123456", *inner = "tok-123456";
    assert_int_equal(scrubber_add(&t, order ? inner : outer, strlen(order ? inner : outer)), 0);
    assert_int_equal(scrubber_add(&t, order ? outer : inner, strlen(order ? outer : inner)), 0);
    check(&t, "auth=Bearer tok-123456 raw=tok-123456", "auth=[redacted] raw=[redacted]", 2);
    scrubber_free(&t);
  }

  /* A secret that overlaps itself. */
  scrubber u = {0};
  assert_int_equal(scrubber_add(&u, "aaaa", 4), 0);
  check(&u, "baaaaab", "b[redacted]b", 1);
  scrubber_free(&u);
}

static void test_empty_short_and_duplicate_ignored(void **state) {
  (void)state;
  scrubber s = {0};
  assert_int_equal(scrubber_add(&s, "", 0), 0);
  assert_int_equal(scrubber_add(&s, NULL, 0), 0);
  assert_int_equal(scrubber_add(&s, "1", 1), 0);
  assert_int_equal(scrubber_add(&s, "yes", 3), 0);
  assert_int_equal(s.n, 0);
  /* Below SCRUB_MIN_LEN the text stays readable. */
  check(&s, "retry 1 of 3: yes", "retry 1 of 3: yes", 0);
  assert_int_equal(scrubber_add(&s, "gzip", 4), 0);
  assert_int_equal(scrubber_add(&s, "gzip", 4), 0);
  assert_int_equal(s.n, 1);
  check(&s, "gzip", "[redacted]", 1);
  scrubber_free(&s);
  assert_int_equal(s.n, 0);
}

static void test_header_lines(void **state) {
  (void)state;
  scrubber s = {0};
  assert_int_equal(scrubber_add_header(&s, "Authorization:  Bearer  tok-abcdef "), 0);
  assert_int_equal(scrubber_add_header(&s, "X-Team: team-secret"), 0);
  assert_int_equal(scrubber_add_header(&s, "X-Flag: 1"), 0);
  assert_int_equal(scrubber_add_header(&s, "no colon at all"), 0);
  assert_int_equal(s.n, 3); /* "Bearer  tok-abcdef", "tok-abcdef", "team-secret" */
  check(&s, "got Bearer  tok-abcdef and tok-abcdef, team-secret, X-Flag: 1",
        "got [redacted] and [redacted], [redacted], X-Flag: 1", 3);
  scrubber_free(&s);

  /* The scheme alone is never a secret of its own. */
  scrubber t = {0};
  assert_int_equal(scrubber_add_header(&t, "proxy-authorization: Basic dXNlcjpwYXNz"), 0);
  check(&t, "Basic auth failed for dXNlcjpwYXNz", "Basic auth failed for [redacted]", 1);
  scrubber_free(&t);
}

static void test_fixed_buffer_is_cut_not_overflowed(void **state) {
  (void)state;
  scrubber s = {0};
  assert_int_equal(scrubber_add(&s, "abcd", 4), 0);
  char text[12] = "x abcd y";
  /* "x [redacted] y" is 14 bytes: cut to 11, and no secret byte is left. */
  assert_int_equal(scrub_str(&s, text, sizeof text), 1);
  assert_string_equal(text, "x [redacted");
  scrubber_free(&s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_occurrence),
      cmocka_unit_test(test_overlapping_and_nested),
      cmocka_unit_test(test_empty_short_and_duplicate_ignored),
      cmocka_unit_test(test_header_lines),
      cmocka_unit_test(test_fixed_buffer_is_cut_not_overflowed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
