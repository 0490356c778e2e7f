/*
 * test_target.c — the server as bench and load see it (workload/target.c):
 * the URL shown and saved without credentials, --base-url and --header
 * refused with a message that names the problem and never a header's value,
 * the API key read from the options, and the probe session asking a
 * simulator which model it serves and how much context it has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "workload/target.h"

static benchy_options *opts_of(unsigned command, const char *first, ...) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, command), BENCHY_OK);
  va_list ap;
  va_start(ap, first);
  for (const char *name = first; name; name = va_arg(ap, const char *)) {
    const char *value = va_arg(ap, const char *);
    if (benchy_options_set(o, name, value) != BENCHY_OK) fail_msg("%s", benchy_options_error(o));
  }
  va_end(ap);
  return o;
}

static void test_redact_url(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"http://user:secret@host:8090/v1", "http://host:8090/v1"},
      {"https://token@host/v1", "https://host/v1"},
      {"http://host:8090/v1", "http://host:8090/v1"},
      {"http://host/v1/a@b", "http://host/v1/a@b"}, /* an @ in the path is not a credential */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char *shown = target_redact_url(cases[i][0]);
    assert_non_null(shown);
    assert_string_equal(shown, cases[i][1]);
    free(shown);
  }
}

static void test_init_reads_the_options(void **state) {
  (void)state;
  setenv("TEST_TARGET_KEY", "sk-test-123", 1);
  benchy_options *o = opts_of(BENCHY_CMD_BENCH, "base-url", "http://u:pw@127.0.0.1:9/v1/", "api-key-env",
                              "TEST_TARGET_KEY", "header", "X-Team: blue", NULL);
  target t;
  char err[512] = "";
  assert_int_equal(target_init(&t, o, err, sizeof err), BENCHY_OK);
  assert_string_equal(t.base_url, "http://u:pw@127.0.0.1:9/v1");
  assert_string_equal(t.shown_url, "http://127.0.0.1:9/v1");
  assert_string_equal(t.api_key, "sk-test-123");
  assert_string_equal(target_api_key(o), "sk-test-123");
  assert_int_equal(t.n_headers, 1);
  assert_string_equal(t.headers[0], "X-Team: blue");
  target_free(&t);
  benchy_options_free(o);
  unsetenv("TEST_TARGET_KEY");
}

static void test_bad_url_and_header_are_named(void **state) {
  (void)state;
  benchy_options *o = opts_of(BENCHY_CMD_LOAD, "base-url", "127.0.0.1:8090/v1", NULL);
  target t;
  char err[512] = "";
  assert_int_equal(target_init(&t, o, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--base-url"));
  assert_non_null(strstr(err, "http://"));
  target_free(&t);
  benchy_options_free(o);

  o = opts_of(BENCHY_CMD_BENCH, "base-url", "http://127.0.0.1:9/v1", "header", "X-Ok: 1", "header",
              "Bearer-secret-value", NULL);
  err[0] = 0;
  assert_int_equal(target_init(&t, o, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--header number 2"));
  assert_non_null(strstr(err, "'Name: value'"));
  assert_null(strstr(err, "secret")); /* a header's value may be a credential */
  target_free(&t);
  benchy_options_free(o);
}

static void test_probe_session_asks_the_server(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("model", "m1", "ctx-size", "4096", "slots", "2", NULL);
  benchy_options *o = opts_of(BENCHY_CMD_BENCH, "base-url", benchy_sim_base_url(sim), NULL);
  target t;
  char err[512] = "";
  assert_int_equal(target_init(&t, o, err, sizeof err), BENCHY_OK);
  assert_int_equal(target_connect(&t, err, sizeof err), BENCHY_OK);
  cJSON *server = cJSON_CreateObject();
  char *model = NULL;
  assert_int_equal(target_check_model(&t, o, &model, server, err, sizeof err), BENCHY_OK);
  assert_string_equal(model, "m1"); /* none given: the first served */
  int64_t n_ctx = 0;
  const char *source = NULL;
  assert_int_equal(target_read_context(&t, o, server, NULL, &n_ctx, &source, err, sizeof err), BENCHY_OK);
  assert_int_equal(n_ctx, 4096);
  assert_non_null(strstr(source, "/props"));
  assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(server, "total_slots")->valuedouble, 2);
  assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(server, "build_info")->valuestring, "benchy-sim"));

  /* A model the server does not serve is refused, naming what it serves. */
  char *wrong = benchy_strdup("m2");
  err[0] = 0;
  assert_int_not_equal(target_check_model(&t, o, &wrong, NULL, err, sizeof err), BENCHY_OK);
  assert_non_null(strstr(err, "m1"));
  free(wrong);
  free(model);
  cJSON_Delete(server);
  target_free(&t);
  benchy_options_free(o);
  test_sim_stop(sim);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_redact_url),
      cmocka_unit_test(test_init_reads_the_options),
      cmocka_unit_test(test_bad_url_and_header_are_named),
      cmocka_unit_test(test_probe_session_asks_the_server),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
