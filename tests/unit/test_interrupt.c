/*
 * test_interrupt.c — benchy_interrupt() through the public workload API:
 * an interrupt that comes before a run starts is not lost, one that comes
 * while a startup probe waits on a silent server ends the run at once, and
 * after an interrupted run the next one proceeds.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#include "testutil.h"

typedef int (*run_fn)(const benchy_options *, benchy_result **, char *, size_t);

static benchy_options *options_for(unsigned command, const char *base_url) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, command), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "base-url", base_url), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "quiet", NULL), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "model", "sim"), BENCHY_OK);
  /* Long: only the interrupt may end a stalled probe within the test's bound. */
  assert_int_equal(benchy_options_set(o, "probe-timeout", "60"), BENCHY_OK);
  if (command == BENCHY_CMD_BENCH) {
    assert_int_equal(benchy_options_set(o, "pp", "32"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "tg", "4"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "runs", "1"), BENCHY_OK);
  } else {
    assert_int_equal(benchy_options_set(o, "num-prompts", "2"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "input-len", "32"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "output-len", "4"), BENCHY_OK);
  }
  return o;
}

/* Ctrl-C while the CLI was still starting up: the interrupt came before the
 * run, and the run must honour it rather than clear it. The next run, with
 * no interrupt, proceeds. */
static void check_interrupt_before_run(unsigned command, run_fn run) {
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  benchy_options *o = options_for(command, benchy_sim_base_url(sim));
  benchy_result *res = NULL;
  char err[1024] = "";

  benchy_interrupt();
  assert_int_equal(run(o, &res, err, sizeof err), BENCHY_ERR_CANCELLED);
  assert_null(res);
  assert_non_null(strstr(err, "interrupted while"));
  benchy_sim_stats stats = {.struct_size = sizeof stats};
  benchy_sim_get_stats(sim, &stats);
  assert_int_equal(stats.streams, 0);

  err[0] = 0;
  int st = run(o, &res, err, sizeof err);
  assert_int_equal(st, BENCHY_OK);
  assert_non_null(res);
  assert_int_equal(benchy_result_status(res), BENCHY_OK);
  benchy_result_free(res);
  benchy_options_free(o);
  test_sim_stop(sim);
}

static void test_bench_interrupt_before_run(void **state) {
  check_interrupt_before_run(BENCHY_CMD_BENCH, benchy_bench_run);
}

static void test_load_interrupt_before_run(void **state) {
  check_interrupt_before_run(BENCHY_CMD_LOAD, benchy_load_run);
}

/* Accepts one connection, never answers, and interrupts once it has it. */
typedef struct silent_server {
  int listen_fd, conn_fd;
} silent_server;

static void *accept_then_interrupt(void *arg) {
  silent_server *s = arg;
  s->conn_fd = accept(s->listen_fd, NULL, NULL);
  benchy_interrupt();
  return NULL;
}

static void silent_url(silent_server *s, char *url, size_t len) {
  s->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  s->conn_fd = -1;
  assert_true(s->listen_fd >= 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(s->listen_fd, 4), 0);
  socklen_t alen = sizeof a;
  assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &alen), 0);
  snprintf(url, len, "http://127.0.0.1:%d/v1", ntohs(a.sin_port));
}

static void check_interrupt_during_model_check(unsigned command, run_fn run) {
  silent_server srv;
  char url[64];
  silent_url(&srv, url, sizeof url);
  benchy_options *o = options_for(command, url);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, accept_then_interrupt, &srv), 0);
  benchy_result *res = NULL;
  char err[1024] = "";
  int64_t t0 = benchy_now_ns();
  int st = run(o, &res, err, sizeof err);
  double waited_s = (double)(benchy_now_ns() - t0) / 1e9;
  pthread_join(th, NULL);
  assert_int_equal(st, BENCHY_ERR_CANCELLED);
  assert_null(res);
  assert_true(waited_s < 10.0); /* the interrupt, not the 60 s probe timeout */
  assert_non_null(strstr(err, "/v1/models"));
  benchy_options_free(o);
  if (srv.conn_fd >= 0) close(srv.conn_fd);
  close(srv.listen_fd);
}

static void test_bench_interrupt_during_model_check(void **state) {
  check_interrupt_during_model_check(BENCHY_CMD_BENCH, benchy_bench_run);
}

static void test_load_interrupt_during_model_check(void **state) {
  check_interrupt_during_model_check(BENCHY_CMD_LOAD, benchy_load_run);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bench_interrupt_before_run),
      cmocka_unit_test(test_load_interrupt_before_run),
      cmocka_unit_test(test_bench_interrupt_during_model_check),
      cmocka_unit_test(test_load_interrupt_during_model_check),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
