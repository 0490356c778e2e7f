/*
 * test_lua_run.c — `benchy run SCRIPT.lua` through the public run handle
 * (run.h) against the in-process simulator: a script's result document,
 * the progress events, cancel keeping every completed record, and the
 * script errors that must never take the host down (syntax error, runtime
 * error in one user, runaway loop, memory exhaustion, bytecode).
 *
 * No sleeps: cancel happens from the progress callback once enough
 * requests are done.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchy/benchy.h"

static const char *write_script(const char *name, const char *text) {
  static char path[400];
  snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

typedef struct watcher {
  int dones, final_status;
  uint64_t done;
  benchy_run *cancel_at_run;
  uint64_t cancel_at;
} watcher;

static void on_progress(const benchy_progress *p, void *ud) {
  watcher *w = ud;
  if (p->kind == BENCHY_PROGRESS_DONE) {
    w->dones++;
    w->final_status = p->status;
  }
  w->done = p->requests_done;
  if (w->cancel_at_run && p->requests_done >= w->cancel_at) benchy_run_cancel(w->cancel_at_run);
}

static benchy_run *new_run(benchy_sim *sim, const char *script, const char *users, const char *iterations) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_RUN), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "script", script), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "base-url", sim ? benchy_sim_base_url(sim) : "http://127.0.0.1:9/v1"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "users", users), BENCHY_OK);
  if (iterations) assert_int_equal(benchy_options_set(o, "iterations", iterations), BENCHY_OK);
  else assert_int_equal(benchy_options_set(o, "duration", "600"), BENCHY_OK);
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  benchy_options_free(o);
  return run;
}

static cJSON *doc_of(benchy_run *run) {
  const benchy_result *r = benchy_run_result(run);
  assert_non_null(r);
  assert_string_equal(benchy_result_kind(r), "run");
  char *text = benchy_result_to_json(r, 0);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  assert_non_null(doc);
  return doc;
}

static int count_type(const cJSON *doc, const char *type) {
  int n = 0;
  const cJSON *rec;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItem(doc, "records")) {
    const cJSON *t = cJSON_GetObjectItem(rec, "type");
    if (type ? (cJSON_IsString(t) && !strcmp(t->valuestring, type)) : !t) n++;
  }
  return n;
}

static void test_script_runs_through_the_run_handle(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "5000", NULL);
  const char *script = write_script("ok.lua",
      "benchy.scenario('hello', function(s)\n"
      "  local r = s:chat{messages = {{role = 'user', content = 'hi'}}, max_tokens = 3}\n"
      "  s:check(r.ok and r.metrics.output_tokens == 3, 'three tokens')\n"
      "end)\n");
  benchy_run *run = new_run(sim, script, "3", "2");
  watcher w = {0};
  benchy_run_set_progress(run, on_progress, &w);
  assert_int_equal(benchy_run_execute(run), BENCHY_OK);
  assert_int_equal(w.dones, 1);
  assert_int_equal(w.final_status, BENCHY_OK);
  assert_int_equal(w.done, 6);
  cJSON *doc = doc_of(run);
  assert_int_equal(count_type(doc, NULL), 6);
  const cJSON *agg = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "aggregates"), 0);
  assert_string_equal(cJSON_GetObjectItem(agg, "scenario")->valuestring, "hello");
  assert_int_equal(cJSON_GetObjectItem(agg, "completed")->valueint, 6);
  const cJSON *check = cJSON_GetObjectItem(cJSON_GetObjectItem(agg, "checks"), "three tokens");
  assert_int_equal(cJSON_GetObjectItem(check, "passed")->valueint, 6);
  assert_int_equal(cJSON_GetObjectItem(check, "failed")->valueint, 0);
  cJSON_Delete(doc);
  benchy_run_free(run);
  test_sim_stop(sim);
}

static void test_cancel_keeps_every_completed_record(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  const char *script = write_script("long.lua",
      "benchy.scenario('talk', function(s)\n"
      "  local c = benchy.conversation{system = 'x'}\n"
      "  for i = 1, 5 do c:user('q' .. i); c:send(s, {max_tokens = 4}) end\n"
      "end)\n");
  benchy_run *run = new_run(sim, script, "4", NULL); /* --duration 600: only the cancel ends it */
  watcher w = {0};
  w.cancel_at_run = run;
  w.cancel_at = 12;
  benchy_run_set_progress(run, on_progress, &w);
  int64_t t0 = benchy_now_ns();
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_CANCELLED);
  assert_true(benchy_now_ns() - t0 < 60 * 1000000000LL);
  cJSON *doc = doc_of(run);
  int kept = count_type(doc, NULL);
  assert_true(kept >= 12);
  assert_int_equal((uint64_t)kept, w.done);
  const cJSON *rec;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItem(doc, "records"))
    assert_string_equal(cJSON_GetObjectItem(rec, "status")->valuestring, "OK");
  assert_string_equal(cJSON_GetObjectItem(doc, "status")->valuestring, "ERR_CANCELLED");
  cJSON_Delete(doc);
  benchy_run_free(run);
  test_sim_stop(sim);
}

static void test_errors_in_users_are_recorded_and_the_others_go_on(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "5000", NULL);
  const char *script = write_script("bad.lua",
      "benchy.scenario('x', function(s)\n"
      "  local r = s:chat{messages = {{role = 'user', content = 'hi'}}, max_tokens = 2}\n"
      "  if s.user == 1 then while true do end end\n"
      "  if s.user == 2 then local t = string.rep('x', 1024 * 1024 * 1024) end\n"
      "  if s.user == 3 then error('boom') end\n"
      "end)\n");
  benchy_run *run = new_run(sim, script, "5", "1");
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_SCRIPT);
  assert_non_null(strstr(benchy_run_error(run), "script error"));
  cJSON *doc = doc_of(run);
  assert_int_equal(count_type(doc, NULL), 5); /* every user's request */
  assert_int_equal(count_type(doc, "script_error"), 3);
  const cJSON *rec;
  int budget = 0, memory = 0, boom = 0;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItem(doc, "records")) {
    const cJSON *e = cJSON_GetObjectItem(rec, "error");
    if (!cJSON_IsString(e) || !cJSON_GetObjectItem(rec, "type")) continue;
    budget += strstr(e->valuestring, "instruction budget") != NULL;
    memory += strstr(e->valuestring, "not enough memory") != NULL;
    boom += strstr(e->valuestring, "bad.lua:5: boom") != NULL && strstr(e->valuestring, "stack traceback") != NULL;
  }
  assert_int_equal(budget, 1);
  assert_int_equal(memory, 1);
  assert_int_equal(boom, 1);
  cJSON_Delete(doc);
  benchy_run_free(run);
  test_sim_stop(sim);
}

static void test_refused_before_the_server_is_asked(void **state) {
  (void)state;
  /* Nothing listens on the base URL: each error must come before a connection. */
  const char *syntax = write_script("syntax.lua", "benchy.scenario('x', function(s)\n  if then\nend)\n");
  benchy_run *run = new_run(NULL, syntax, "1", "1");
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_SCRIPT);
  assert_non_null(strstr(benchy_run_error(run), "syntax.lua:2:"));
  assert_null(benchy_run_result(run));
  benchy_run_free(run);

  const char *bytecode = write_script("b.luac", "\x1bLuaT\x00");
  run = new_run(NULL, bytecode, "1", "1");
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_SCRIPT);
  assert_non_null(strstr(benchy_run_error(run), "bytecode"));
  benchy_run_free(run);

  const char *top_loop = write_script("top.lua", "while true do end\n");
  run = new_run(NULL, top_loop, "1", "1");
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_SCRIPT);
  assert_non_null(strstr(benchy_run_error(run), "instruction budget"));
  benchy_run_free(run);

  const char *none = write_script("none.lua", "local x = 1\n");
  run = new_run(NULL, none, "1", "1");
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_run_error(run), "defines no scenario"));
  benchy_run_free(run);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_script_runs_through_the_run_handle),
      cmocka_unit_test(test_cancel_keeps_every_completed_record),
      cmocka_unit_test(test_errors_in_users_are_recorded_and_the_others_go_on),
      cmocka_unit_test(test_refused_before_the_server_is_asked),
  };
  return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
