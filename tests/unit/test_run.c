/*
 * test_run.c — the run handle (run.h) through the public API, against the
 * in-process simulator: progress events (kinds, counts, thread, the final
 * event), cancel from another thread keeping every completed record, two
 * runs in one process that do not interfere, cancel before start,
 * benchy_interrupt() cancelling every live run, and freeing a live run.
 *
 * No sleeps: every wait is on a condition the progress callback signals,
 * with a bounded deadline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "benchy/benchy.h"

/* What one run's progress callback saw. The test's own lock guards it; the
 * library holds none of its own while calling. */
typedef struct watcher {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int events, dones, phases_check, phases_row, phases_level, events_after_done;
  int monotonic;      /* counts and elapsed never went down */
  int one_thread;     /* every event on the same thread */
  int on_main_thread; /* some event on the test's thread */
  pthread_t thread, main_thread;
  uint64_t done, failed, in_flight_max;
  double elapsed;
  int final_status;
  uint64_t final_done;
  size_t last_row_index, row_count;
  benchy_run *observe;  /* when set: is its result readable at DONE? */
  int result_at_done;
  /* Cancel this run from inside the callback once done reaches this. */
  benchy_run *cancel_self;
  uint64_t cancel_self_at;
  /* When set: the callback holds its run (its thread is the run's loop)
   * once done reaches hold_at, until the test sets released, so that the
   * run is known to be live at a point the test chooses. */
  uint64_t hold_at;
  int held, released;
} watcher;

static void watcher_init(watcher *w) {
  memset(w, 0, sizeof *w);
  pthread_mutex_init(&w->mu, NULL);
  pthread_cond_init(&w->cv, NULL);
  w->monotonic = 1;
  w->one_thread = 1;
  w->main_thread = pthread_self();
  w->final_status = -1;
}

static void watcher_destroy(watcher *w) {
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
}

static void on_progress(const benchy_progress *p, void *ud) {
  watcher *w = ud;
  assert_true(p->struct_size >= sizeof *p);
  assert_non_null(p->phase);
  assert_non_null(p->message);
  pthread_mutex_lock(&w->mu);
  if (w->events == 0) w->thread = pthread_self();
  else if (!pthread_equal(w->thread, pthread_self())) w->one_thread = 0;
  if (pthread_equal(w->main_thread, pthread_self())) w->on_main_thread = 1;
  if (w->dones) w->events_after_done++;
  w->events++;
  if (p->requests_done < w->done || p->requests_failed < w->failed || p->elapsed_s < w->elapsed ||
      p->requests_failed > p->requests_done)
    w->monotonic = 0;
  w->done = p->requests_done;
  w->failed = p->requests_failed;
  w->elapsed = p->elapsed_s;
  if (p->requests_in_flight > w->in_flight_max) w->in_flight_max = p->requests_in_flight;
  if (p->kind == BENCHY_PROGRESS_PHASE) {
    if (!strcmp(p->phase, "check")) w->phases_check++;
    if (!strcmp(p->phase, "row")) {
      w->phases_row++;
      w->last_row_index = p->index;
      w->row_count = p->count;
    }
    if (!strcmp(p->phase, "level")) w->phases_level++;
  }
  if (p->kind == BENCHY_PROGRESS_DONE) {
    w->dones++;
    w->final_status = p->status;
    w->final_done = p->requests_done;
    if (w->observe) w->result_at_done = benchy_run_poll(w->observe) && benchy_run_result(w->observe);
  }
  benchy_run *self = w->cancel_self;
  uint64_t at = w->cancel_self_at;
  if (w->hold_at && p->requests_done >= w->hold_at && p->kind != BENCHY_PROGRESS_DONE) {
    w->held = 1;
    pthread_cond_broadcast(&w->cv);
    while (!w->released) pthread_cond_wait(&w->cv, &w->mu);
  }
  pthread_cond_broadcast(&w->cv);
  pthread_mutex_unlock(&w->mu);
  if (self && p->requests_done >= at) benchy_run_cancel(self);
}

/* Waits until the run reported at least n requests done (or ended); fails
 * the test after 60 s. */
static void wait_done_at_least(watcher *w, uint64_t n) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += 60;
  pthread_mutex_lock(&w->mu);
  while (w->done < n && !w->dones)
    if (pthread_cond_timedwait(&w->cv, &w->mu, &until) != 0) break;
  uint64_t seen = w->done;
  pthread_mutex_unlock(&w->mu);
  if (seen < n) fail_msg("the run reported %llu requests done, waited for %llu",
                         (unsigned long long)seen, (unsigned long long)n);
}

static benchy_options *load_options(benchy_sim *sim, const char *prompts, const char *jsonl) {
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  const char *kv[] = {"base-url", benchy_sim_base_url(sim), "model", "sim", "quiet", NULL,
                      "num-prompts", prompts, "input-len", "32", "output-len", "16",
                      "concurrency", "4", "warmup", "0", NULL};
  for (size_t i = 0; kv[i]; i += 2) {
    if (benchy_options_set(o, kv[i], kv[i + 1]) != BENCHY_OK)
      fail_msg("%s: %s", kv[i], benchy_options_error(o));
  }
  if (jsonl) assert_int_equal(benchy_options_set(o, "jsonl", jsonl), BENCHY_OK);
  return o;
}

static cJSON *result_doc(const benchy_result *r) {
  char *text = benchy_result_to_json(r, 0);
  assert_non_null(text);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  assert_non_null(doc);
  return doc;
}

static int count_ok_records(const cJSON *doc) {
  int n = 0;
  const cJSON *rec;
  cJSON_ArrayForEach(rec, cJSON_GetObjectItemCaseSensitive(doc, "records")) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec, "status");
    if (cJSON_IsString(st) && !strcmp(st->valuestring, "OK")) n++;
  }
  return n;
}

static int count_ok_jsonl(const char *path) {
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  static char line[1 << 16];
  int n = 0;
  while (fgets(line, sizeof line, f))
    if (strstr(line, "\"type\":\"record\"") && strstr(line, "\"status\":\"OK\"")) n++;
  fclose(f);
  return n;
}

static double level_num(const cJSON *doc, const char *key) {
  const cJSON *lv = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "aggregates"), 0);
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(lv, key);
  if (!cJSON_IsNumber(v)) fail_msg("aggregates[0].%s is not a number", key);
  return v->valuedouble;
}

/* ---- progress ---------------------------------------------------------- */

static void test_bench_progress(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_BENCH), BENCHY_OK);
  const char *kv[] = {"base-url", benchy_sim_base_url(sim), "model", "sim", "pp", "32", "tg", "4",
                      "runs", "3", "warmup", "0", NULL};
  for (size_t i = 0; kv[i]; i += 2) assert_int_equal(benchy_options_set(o, kv[i], kv[i + 1]), BENCHY_OK);
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  benchy_options_free(o); /* the run holds a copy */
  watcher w;
  watcher_init(&w);
  assert_int_equal(benchy_run_set_progress(run, on_progress, &w), BENCHY_OK);
  assert_int_equal(benchy_run_status(run), BENCHY_ERR_STATE);
  assert_int_equal(benchy_run_execute(run), BENCHY_OK);
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_STATE);
  assert_int_equal(benchy_run_set_progress(run, NULL, NULL), BENCHY_ERR_STATE);

  assert_true(w.monotonic);
  assert_true(w.one_thread);
  assert_true(pthread_equal(w.thread, pthread_self())); /* execute: the caller's thread */
  assert_int_equal(w.dones, 1);
  assert_int_equal(w.events_after_done, 0);
  assert_int_equal(w.final_status, BENCHY_OK);
  assert_int_equal(w.phases_check, 1);
  assert_int_equal(w.phases_row, 3);
  assert_int_equal(w.last_row_index, 2);
  assert_int_equal(w.row_count, 3);
  assert_int_equal(w.final_done, 3); /* one request per run, no warm-up */
  assert_int_equal(benchy_run_status(run), BENCHY_OK);
  assert_string_equal(benchy_run_error(run), "");
  assert_non_null(benchy_run_result(run));
  assert_string_equal(benchy_result_kind(benchy_run_result(run)), "bench");
  watcher_destroy(&w);
  benchy_run_free(run);
  test_sim_stop(sim);
}

static void test_load_progress_on_its_thread(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "2000", NULL);
  benchy_options *o = load_options(sim, "40", NULL);
  assert_int_equal(benchy_options_set(o, "concurrency", "1,4"), BENCHY_OK);
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  benchy_options_free(o);
  int mine = 7;
  benchy_run_set_userdata(run, &mine);
  assert_ptr_equal(benchy_run_userdata(run), &mine);
  watcher w;
  watcher_init(&w);
  w.observe = run;
  benchy_run_set_progress(run, on_progress, &w);
  assert_int_equal(benchy_run_poll(run), 0);
  assert_int_equal(benchy_run_start(run), BENCHY_OK);
  assert_int_equal(benchy_run_start(run), BENCHY_ERR_STATE);
  assert_int_equal(benchy_run_wait(run), BENCHY_OK);
  assert_int_equal(benchy_run_poll(run), 1);

  assert_true(w.monotonic);
  assert_true(w.one_thread);
  assert_false(w.on_main_thread); /* start: the library's thread */
  assert_int_equal(w.phases_level, 2);
  assert_int_equal(w.dones, 1);
  assert_int_equal(w.events_after_done, 0);
  assert_int_equal(w.final_done, 80);
  assert_true(w.result_at_done);
  assert_true(w.in_flight_max <= 4);
  benchy_result *r = benchy_run_take_result(run);
  assert_non_null(r);
  assert_null(benchy_run_result(run));
  benchy_run_free(run); /* the taken result outlives the run */
  assert_int_equal(benchy_result_status(r), BENCHY_OK);
  benchy_result_free(r);
  watcher_destroy(&w);
  test_sim_stop(sim);
}

/* ---- cancel ------------------------------------------------------------ */

/* A slow run (about 16 s uncancelled) cancelled from the test's thread once
 * its progress reported 8 requests done: it ends promptly, CANCELLED, with
 * a result that holds every record that completed, as --jsonl does. */
static void test_cancel_from_another_thread_keeps_records(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "100", NULL);
  char path[512];
  snprintf(path, sizeof path, "%s/cancel.jsonl", test_tmpdir());
  benchy_options *o = load_options(sim, "400", path);
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  benchy_options_free(o);
  watcher w;
  watcher_init(&w);
  benchy_run_set_progress(run, on_progress, &w);
  assert_int_equal(benchy_run_start(run), BENCHY_OK);
  wait_done_at_least(&w, 8);
  int64_t t_cancel = benchy_now_ns();
  benchy_run_cancel(run);
  benchy_run_cancel(run); /* idempotent */
  assert_int_equal(benchy_run_wait(run), BENCHY_ERR_CANCELLED);
  double stop_s = (double)(benchy_now_ns() - t_cancel) / 1e9;
  if (stop_s > 2.0) fail_msg("the run took %.2f s to stop after the cancel", stop_s);

  const benchy_result *r = benchy_run_result(run);
  assert_non_null(r);
  assert_int_equal(benchy_result_status(r), BENCHY_ERR_CANCELLED);
  assert_int_equal(w.final_status, BENCHY_ERR_CANCELLED);
  cJSON *doc = result_doc(r);
  int kept = count_ok_records(doc);
  assert_true(kept >= 8);
  assert_true(kept < 400);
  assert_int_equal((int)level_num(doc, "completed"), kept);
  assert_int_equal(count_ok_jsonl(path), kept);
  assert_true(w.final_done >= (uint64_t)kept);
  cJSON_Delete(doc);
  watcher_destroy(&w);
  benchy_run_free(run);
  test_sim_stop(sim);
}

/* The progress callback may cancel its own run. */
static void test_cancel_from_progress_callback(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "100", NULL);
  benchy_options *o = load_options(sim, "400", NULL);
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  benchy_options_free(o);
  watcher w;
  watcher_init(&w);
  w.cancel_self = run;
  w.cancel_self_at = 4;
  benchy_run_set_progress(run, on_progress, &w);
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_CANCELLED);
  cJSON *doc = result_doc(benchy_run_result(run));
  int kept = count_ok_records(doc);
  assert_true(kept >= 4 && kept < 400);
  cJSON_Delete(doc);
  watcher_destroy(&w);
  benchy_run_free(run);
  test_sim_stop(sim);
}

static void test_cancel_before_start(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start(NULL);
  benchy_options *o = load_options(sim, "4", NULL);
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  watcher w;
  watcher_init(&w);
  benchy_run_set_progress(run, on_progress, &w);
  benchy_run_cancel(run);
  assert_int_equal(benchy_run_execute(run), BENCHY_ERR_CANCELLED);
  assert_null(benchy_run_result(run));
  assert_non_null(strstr(benchy_run_error(run), "interrupted"));
  assert_int_equal(w.dones, 1);
  benchy_sim_stats st = {.struct_size = sizeof st};
  benchy_sim_get_stats(sim, &st);
  assert_int_equal(st.streams, 0);
  benchy_run_free(run);

  /* Per run: the next run of the same options is not affected. */
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  assert_int_equal(benchy_run_execute(run), BENCHY_OK);
  benchy_run_free(run);
  benchy_options_free(o);
  watcher_destroy(&w);
  test_sim_stop(sim);
}

/* ---- two runs in one process ------------------------------------------- */

typedef struct two_runs {
  benchy_sim *sim;
  benchy_run *slow, *quick;
  watcher ws, wq;
} two_runs;

/* hold_quick: the quick run holds in its progress callback at its first
 * request count (see watcher.hold_at) instead of being waited for here. */
static void two_runs_start_held(two_runs *t, const char *quick_prompts, int hold_quick) {
  t->sim = test_sim_start("decode-tps", "100", NULL);
  benchy_options *slow = load_options(t->sim, "400", NULL);
  benchy_options *quick = load_options(t->sim, quick_prompts, NULL);
  assert_int_equal(benchy_run_new(&t->slow, slow), BENCHY_OK);
  assert_int_equal(benchy_run_new(&t->quick, quick), BENCHY_OK);
  benchy_options_free(slow);
  benchy_options_free(quick);
  watcher_init(&t->ws);
  watcher_init(&t->wq);
  if (hold_quick) t->wq.hold_at = 1;
  benchy_run_set_progress(t->slow, on_progress, &t->ws);
  benchy_run_set_progress(t->quick, on_progress, &t->wq);
  assert_int_equal(benchy_run_start(t->slow), BENCHY_OK);
  assert_int_equal(benchy_run_start(t->quick), BENCHY_OK);
  /* Both are sending. */
  wait_done_at_least(&t->ws, 2);
  if (!hold_quick) wait_done_at_least(&t->wq, 2);
}

static void two_runs_start(two_runs *t, const char *quick_prompts) {
  two_runs_start_held(t, quick_prompts, 0);
}

static void two_runs_free(two_runs *t) {
  benchy_run_free(t->slow);
  benchy_run_free(t->quick);
  watcher_destroy(&t->ws);
  watcher_destroy(&t->wq);
  test_sim_stop(t->sim);
}

static void test_two_runs_cancel_one(void **state) {
  (void)state;
  two_runs t;
  /* The quick run is held in its own progress callback, so it is certainly
   * live while the slow one is cancelled and stops, however slow the
   * machine (valgrind); released, it must end complete. */
  two_runs_start_held(&t, "24", 1);
  pthread_mutex_lock(&t.wq.mu);
  while (!t.wq.held && !t.wq.dones) pthread_cond_wait(&t.wq.cv, &t.wq.mu);
  int held = t.wq.held;
  pthread_mutex_unlock(&t.wq.mu);
  assert_true(held);
  benchy_run_cancel(t.slow);
  assert_int_equal(benchy_run_wait(t.slow), BENCHY_ERR_CANCELLED);
  assert_int_equal(benchy_run_poll(t.quick), 0);
  pthread_mutex_lock(&t.wq.mu);
  t.wq.released = 1;
  pthread_cond_broadcast(&t.wq.cv);
  pthread_mutex_unlock(&t.wq.mu);
  assert_int_equal(benchy_run_wait(t.quick), BENCHY_OK);
  cJSON *doc = result_doc(benchy_run_result(t.quick));
  assert_int_equal((int)level_num(doc, "completed"), 24);
  assert_int_equal(count_ok_records(doc), 24);
  assert_int_equal(t.wq.final_done, 24);
  assert_true(t.wq.monotonic);
  cJSON_Delete(doc);
  two_runs_free(&t);
}

static void test_interrupt_cancels_every_run(void **state) {
  (void)state;
  two_runs t;
  two_runs_start(&t, "400");
  benchy_interrupt();
  assert_int_equal(benchy_run_wait(t.slow), BENCHY_ERR_CANCELLED);
  assert_int_equal(benchy_run_wait(t.quick), BENCHY_ERR_CANCELLED);
  assert_non_null(benchy_run_result(t.slow));
  assert_non_null(benchy_run_result(t.quick));
  /* Consumed by the runs it stopped: the next run proceeds. */
  benchy_options *o = load_options(t.sim, "2", NULL);
  benchy_run *next = NULL;
  assert_int_equal(benchy_run_new(&next, o), BENCHY_OK);
  assert_int_equal(benchy_run_execute(next), BENCHY_OK);
  benchy_run_free(next);
  benchy_options_free(o);
  two_runs_free(&t);
}

/* Freeing a run that still executes cancels it and waits for it: free
 * returns promptly, and nothing of the run is left sending. */
static void test_free_while_running(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "100", NULL);
  benchy_options *o = load_options(sim, "400", NULL);
  benchy_run *run = NULL;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_OK);
  benchy_options_free(o);
  watcher w;
  watcher_init(&w);
  benchy_run_set_progress(run, on_progress, &w);
  assert_int_equal(benchy_run_start(run), BENCHY_OK);
  wait_done_at_least(&w, 2);
  int64_t t0 = benchy_now_ns();
  benchy_run_free(run);
  double s = (double)(benchy_now_ns() - t0) / 1e9;
  if (s > 2.0) fail_msg("benchy_run_free took %.2f s on a live run", s);
  assert_int_equal(w.dones, 1);
  assert_int_equal(w.final_status, BENCHY_ERR_CANCELLED);
  watcher_destroy(&w);
  test_sim_stop(sim);
}

static void test_bad_arguments(void **state) {
  (void)state;
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_SIM), BENCHY_OK);
  benchy_run *run = (benchy_run *)&run;
  assert_int_equal(benchy_run_new(&run, o), BENCHY_ERR_UNSUPPORTED);
  assert_null(run);
  assert_int_equal(benchy_run_new(&run, NULL), BENCHY_ERR_INVALID);
  benchy_options_free(o);
  benchy_run_free(NULL);
  benchy_run_cancel(NULL);
  assert_int_equal(benchy_run_wait(NULL), BENCHY_ERR_INVALID);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_bench_progress),
      cmocka_unit_test(test_load_progress_on_its_thread),
      cmocka_unit_test(test_cancel_from_another_thread_keeps_records),
      cmocka_unit_test(test_cancel_from_progress_callback),
      cmocka_unit_test(test_cancel_before_start),
      cmocka_unit_test(test_two_runs_cancel_one),
      cmocka_unit_test(test_interrupt_cancels_every_run),
      cmocka_unit_test(test_free_while_running),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
