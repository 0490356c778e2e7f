/*
 * test_lifecycle.c — the pieces of the server lifecycle that stand alone:
 * the log checks (workload/log_check.h) on a written log, and the server
 * process (workload/server_process.h): started in a group of its own with
 * its output in the log, stopped as a whole group, SIGKILL after the grace
 * period for a server that ignores SIGTERM, an existing log never replaced.
 * Waits are on conditions (a line in the log), never fixed sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchy/benchy.h"
#include "workload/log_check.h"
#include "workload/server_process.h"

static void temp_path(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "/tmp/benchy-test-lifecycle-%d-%s", (int)getpid(), name);
  unlink(out);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static const char LOG[] = "INFO loading weights\n"
                          "INFO using kernel marlin_moe_w4a16\n"
                          "WARN fallback: cutlass_grouped_moe for layer 3\n"
                          "INFO ready\n";

static void test_expect_and_reject_pass(void **state) {
  (void)state;
  char path[256];
  temp_path(path, sizeof path, "ok.log");
  write_file(path, LOG);
  const char *expect[] = {"marlin_[a-z]+", "^INFO ready$"};
  const char *reject[] = {"cutlass_.*_gemm", "ERROR"};
  cJSON *failures = NULL;
  char err[256] = "";
  assert_int_equal(log_check_file(path, expect, 2, reject, 2, &failures, err, sizeof err), 0);
  assert_int_equal(cJSON_GetArraySize(failures), 0);
  cJSON_Delete(failures);
  unlink(path);
}

static void test_failures_name_patterns_and_lines(void **state) {
  (void)state;
  char path[256];
  temp_path(path, sizeof path, "bad.log");
  write_file(path, LOG);
  const char *expect[] = {"flashinfer"};
  const char *reject[] = {"cutlass_.*_moe"};
  cJSON *failures = NULL;
  char err[256] = "";
  assert_int_equal(log_check_file(path, expect, 1, reject, 1, &failures, err, sizeof err), 0);
  assert_int_equal(cJSON_GetArraySize(failures), 2);
  cJSON *ex = cJSON_GetArrayItem(failures, 0), *rj = cJSON_GetArrayItem(failures, 1);
  assert_string_equal(cJSON_GetObjectItem(ex, "check")->valuestring, "expect");
  assert_string_equal(cJSON_GetObjectItem(ex, "pattern")->valuestring, "flashinfer");
  assert_string_equal(cJSON_GetObjectItem(rj, "check")->valuestring, "reject");
  cJSON *lines = cJSON_GetObjectItem(rj, "lines");
  assert_int_equal(cJSON_GetArraySize(lines), 1);
  assert_string_equal(cJSON_GetArrayItem(lines, 0)->valuestring,
                      "WARN fallback: cutlass_grouped_moe for layer 3");
  cJSON_Delete(failures);
  unlink(path);
}

static void test_reject_lines_are_capped(void **state) {
  (void)state;
  char path[256];
  temp_path(path, sizeof path, "many.log");
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  for (int i = 0; i < 50; i++) fprintf(f, "ERROR %d\n", i);
  fclose(f);
  const char *reject[] = {"^ERROR"};
  cJSON *failures = NULL;
  char err[256] = "";
  assert_int_equal(log_check_file(path, NULL, 0, reject, 1, &failures, err, sizeof err), 0);
  cJSON *rj = cJSON_GetArrayItem(failures, 0);
  assert_int_equal((int)cJSON_GetObjectItem(rj, "matches")->valuedouble, 50);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(rj, "lines")), LOG_CHECK_MAX_LINES);
  cJSON_Delete(failures);
  unlink(path);
}

static void test_bad_pattern_and_missing_log_are_errors(void **state) {
  (void)state;
  char err[256] = "";
  assert_int_equal(log_check_pattern("--reject-log", "a(b", err, sizeof err), -1);
  assert_non_null(strstr(err, "--reject-log 'a(b'"));
  const char *expect[] = {"x"};
  cJSON *failures = NULL;
  assert_int_equal(log_check_file("/nonexistent/dir/s.log", expect, 1, NULL, 0, &failures, err,
                                  sizeof err),
                   -1);
  assert_null(failures);
  assert_non_null(strstr(err, "/nonexistent/dir/s.log"));
}

/* Waits (bounded) until the log holds text. */
static int wait_log(const char *path, const char *text) {
  for (int i = 0; i < 2000; i++) {
    char tail[4096];
    log_tail(path, 100, tail, sizeof tail);
    if (strstr(tail, text)) return 1;
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  return 0;
}

static int group_exists(pid_t pgid) { return kill(-pgid, 0) == 0 || errno != ESRCH; }

static void test_stop_ends_the_whole_group(void **state) {
  (void)state;
  char path[256], err[256] = "";
  temp_path(path, sizeof path, "group.log");
  const char *env[] = {"BENCHY_TEST_WORD=hello"};
  /* A background child the leader does not wait for: the group stop must
   * still reach it. */
  /* A descriptor of benchy's without close-on-exec: the server must not see it. */
  int leaked = open("/dev/null", O_RDONLY);
  assert_true(leaked > 2);
  char cmd[256];
  snprintf(cmd, sizeof cmd,
           "sleep 300 & [ -e /proc/self/fd/%d ] && echo fd %d leaked; "
           "echo started $BENCHY_TEST_WORD in $(pwd); wait",
           leaked, leaked);
  server_spec spec = {cmd, env, 1, "/tmp", path};
  server_process *p = NULL;
  assert_int_equal(server_process_start(&p, &spec, err, sizeof err), 0);
  pid_t pgid = server_process_pid(p);
  assert_true(wait_log(path, "started hello in /tmp"));
  char tail[512];
  log_tail(path, 10, tail, sizeof tail);
  assert_null(strstr(tail, "leaked"));
  close(leaked);
  assert_int_equal(getpgid(pgid), pgid);
  assert_int_not_equal(getpgid(0), pgid);
  server_process_sample(p);
  assert_true(server_process_peak_rss(p) > 0);
  assert_false(server_process_exited(p));
  /* SIGTERM reaches the background sleep too: no SIGKILL was needed. */
  assert_int_equal(server_process_stop(p, 5, err, sizeof err), 0);
  assert_false(group_exists(pgid));
  assert_string_equal(server_process_exit_text(p), "killed by signal 15 (Terminated)");
  assert_false(server_process_died_early(p));
  server_process_free(p);
  /* The log is never replaced. */
  assert_int_equal(server_process_start(&p, &spec, err, sizeof err), -1);
  assert_null(p);
  assert_non_null(strstr(err, "never replaced"));
  unlink(path);
}

static void test_sigkill_after_grace_for_a_server_ignoring_sigterm(void **state) {
  (void)state;
  char path[256], err[256] = "";
  temp_path(path, sizeof path, "stubborn.log");
  server_spec spec = {"trap '' TERM; echo ignoring; while :; do sleep 30; done", NULL, 0, NULL,
                      path};
  server_process *p = NULL;
  assert_int_equal(server_process_start(&p, &spec, err, sizeof err), 0);
  pid_t pgid = server_process_pid(p);
  assert_true(wait_log(path, "ignoring"));
  int64_t t0 = benchy_now_ns();
  assert_int_equal(server_process_stop(p, 0.3, err, sizeof err), 0);
  double took = (double)(benchy_now_ns() - t0) / 1e9;
  assert_true(took >= 0.3 && took < 10);
  assert_false(group_exists(pgid));
  assert_non_null(strstr(server_process_exit_text(p), "after the --stop-grace period"));
  server_process_free(p);
  unlink(path);
}

static void test_early_exit_and_log_tail(void **state) {
  (void)state;
  char path[256], err[256] = "";
  temp_path(path, sizeof path, "early.log");
  server_spec spec = {"for i in 1 2 3 4 5 6 7 8 9 10; do echo line $i; done; exit 4", NULL, 0,
                      NULL, path};
  server_process *p = NULL;
  assert_int_equal(server_process_start(&p, &spec, err, sizeof err), 0);
  for (int i = 0; i < 2000 && !server_process_exited(p); i++) {
    struct timespec ts = {0, 5000000};
    nanosleep(&ts, NULL);
  }
  assert_true(server_process_exited(p));
  assert_true(server_process_died_early(p));
  assert_string_equal(server_process_exit_text(p), "exited with status 4");
  char tail[256];
  log_tail(path, 3, tail, sizeof tail);
  assert_string_equal(tail, "line 8\nline 9\nline 10");
  server_process_free(p);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_expect_and_reject_pass),
      cmocka_unit_test(test_failures_name_patterns_and_lines),
      cmocka_unit_test(test_reject_lines_are_capped),
      cmocka_unit_test(test_bad_pattern_and_missing_log_are_errors),
      cmocka_unit_test(test_stop_ends_the_whole_group),
      cmocka_unit_test(test_sigkill_after_grace_for_a_server_ignoring_sigterm),
      cmocka_unit_test(test_early_exit_and_log_tail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
