/*
 * test_api_errors.c — what a caller of the C API is told when it gets
 * something wrong: each bad base URL is refused before anything is sent,
 * with a message that names the problem and shows a valid URL.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#define VALID_EXAMPLE "http://127.0.0.1:8090/v1"

typedef struct bad_url {
  const char *url;
  const char *names_problem; /* a phrase the message must contain */
} bad_url;

static const bad_url bad_urls[] = {
    {"not a url", "has no scheme"},
    {"localhost:8080/v1", "did you mean http://localhost:8080/v1"},
    {"", "is empty"},
    {"ftp://example.com/v1", "unsupported scheme 'ftp'"},
    {"HTTP://example.com/v1", "lower case"},
    {"http://", "has no host"},
    {"http:///v1", "has no host"},
    {"http://:8080/v1", "has no host"},
    {"http://example.com:99999/v1", "port out of range: 99999 (a port is 1-65535)"},
    {"http://example.com:0/v1", "port out of range: 0"},
    {"http://example.com:80a/v1", "'80a' is not a number"},
    {"http://example.com:/v1", "no port number"},
    {"http://[::1/v1", "never closes it with ']'"},
    {"http://::1:8080/v1", "write an IPv6 address in brackets"},
    {"http://example.com/v1?key=1", "query ('?') or fragment ('#')"},
    {"http://example.com/my models/v1", "whitespace or a control character at byte 21"},
};

static void test_bad_base_urls_say_what_is_wrong(void **state) {
  (void)state;
  benchy_loop *loop = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
    const bad_url *c = &bad_urls[i];
    benchy_session *s = (benchy_session *)&s; /* must be reset to NULL */
    char err[512];
    memset(err, 'x', sizeof err);
    int st = benchy_session_new_err(&s, loop, c->url, err, sizeof err);
    if (st != BENCHY_ERR_INVALID || !strstr(err, c->names_problem) || !strstr(err, VALID_EXAMPLE))
      fail_msg("'%s': status %s, message \"%s\" (wanted \"%s\" and the example URL)", c->url,
               benchy_status_name(st), err, c->names_problem);
    assert_null(s);
    /* The plain call refuses exactly the same URLs. */
    s = (benchy_session *)&s;
    assert_int_equal(benchy_session_new(&s, loop, c->url), BENCHY_ERR_INVALID);
    assert_null(s);
  }
  benchy_loop_free(loop);
}

static void test_valid_base_urls_are_accepted(void **state) {
  (void)state;
  static const char *const good[] = {
      VALID_EXAMPLE,         "https://api.example.com/v1",     "http://[::1]:8090/v1",
      "http://example.com/", "http://gpu-box:65535/openai/v1", "http://user:pw@example.com:8000/v1",
  };
  benchy_loop *loop = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    benchy_session *s = NULL;
    char err[256] = "left over from before";
    int st = benchy_session_new_err(&s, loop, good[i], err, sizeof err);
    if (st != BENCHY_OK) fail_msg("'%s' refused: %s", good[i], err);
    assert_string_equal(err, "");
    assert_non_null(s);
    benchy_session_free(s);
  }
  benchy_loop_free(loop);
}

/* Messages reach stderr and logs: a password in the URL must not. */
static void test_credentials_stay_out_of_the_message(void **state) {
  (void)state;
  benchy_loop *loop = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  benchy_session *s = NULL;
  char err[512];
  assert_int_equal(benchy_session_new_err(&s, loop, "http://alice:hunter2@example.com:123456/v1", err,
                                          sizeof err),
                   BENCHY_ERR_INVALID);
  assert_null(strstr(err, "hunter2"));
  assert_null(strstr(err, "alice"));
  assert_non_null(strstr(err, "port out of range"));
  benchy_loop_free(loop);
}

static void test_small_or_missing_error_buffer(void **state) {
  (void)state;
  benchy_loop *loop = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  benchy_session *s = NULL;
  assert_int_equal(benchy_session_new_err(&s, loop, "nope", NULL, 0), BENCHY_ERR_INVALID);
  char tiny[8];
  assert_int_equal(benchy_session_new_err(&s, loop, "nope", tiny, sizeof tiny), BENCHY_ERR_INVALID);
  assert_int_equal(strlen(tiny), sizeof tiny - 1); /* cut short, still terminated */
  char err[256];
  assert_int_equal(benchy_session_new_err(&s, NULL, VALID_EXAMPLE, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "loop is NULL"));
  benchy_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bad_base_urls_say_what_is_wrong),
      cmocka_unit_test(test_valid_base_urls_are_accepted),
      cmocka_unit_test(test_credentials_stay_out_of_the_message),
      cmocka_unit_test(test_small_or_missing_error_buffer),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
