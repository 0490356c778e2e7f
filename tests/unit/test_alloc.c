/*
 * test_alloc.c — the streaming hot path allocates nothing per chunk.
 *
 * This program is linked with -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc
 * (tests/CMakeLists.txt), so every allocation made by the library's own code
 * (linked in statically) passes through the counters below. Only those made
 * on the client's thread while `counting` is set are counted: the
 * in-process simulator runs on a thread of its own. Shared libraries
 * (libevent, libcurl, cJSON) are not wrapped; the claim is about our code.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#include "testutil.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static _Thread_local int counting;
static long allocations; /* only ever written by the counting thread */

void *__wrap_malloc(size_t n) {
  if (counting) allocations++;
  return __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size) {
  if (counting) allocations++;
  return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n) {
  if (counting) allocations++;
  return __real_realloc(p, n);
}

/* Counts from the 20th chunk to the 220th: past the first response bytes,
 * the headers and the buffers' first growth; well before the end. */
enum { WINDOW_FROM = 20, WINDOW_TO = 220, TOKENS = 300 };

typedef struct window {
  int chunks;
  int done;
  int status;
} window;

static void on_chunk(benchy_request *r, const benchy_chunk_event *ev, const char *text, size_t len,
                     void *ud) {
  window *w = ud;
  w->chunks++;
  if (w->chunks == WINDOW_FROM) counting = 1;
  if (w->chunks == WINDOW_TO) counting = 0;
}

static void on_done(benchy_request *r, const benchy_record *rec, void *ud) {
  window *w = ud;
  counting = 0;
  w->done = 1;
  w->status = rec->status;
}

static long allocations_while_streaming(unsigned flags) {
  benchy_sim *sim = test_sim_start("decode-tps", "5000", "tokens-per-chunk", "1", "flavour", "vllm",
                                   "overhead-ms", "0", NULL);
  benchy_loop *loop = NULL;
  benchy_session *session = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&session, loop, benchy_sim_base_url(sim)), BENCHY_OK);
  char body[256];
  snprintf(body, sizeof body,
           "{\"model\":\"sim\",\"max_tokens\":%d,\"messages\":[{\"role\":\"user\",\"content\":\"go\"}]}",
           TOKENS);
  benchy_request *r = NULL;
  assert_int_equal(benchy_request_new(&r, session, BENCHY_ENDPOINT_CHAT, body), BENCHY_OK);
  assert_int_equal(benchy_request_set_flags(r, flags), BENCHY_OK);
  window w = {0};
  benchy_request_set_on_chunk(r, on_chunk, &w);
  benchy_request_set_on_done(r, on_done, &w);
  allocations = 0;
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  long counted = allocations;
  assert_true(w.done);
  assert_int_equal(w.status, BENCHY_OK);
  assert_true(w.chunks > WINDOW_TO); /* the window was all inside the stream */
  benchy_request_free(r);
  benchy_session_free(session);
  benchy_loop_free(loop);
  benchy_sim_stop(sim);
  return counted;
}

/* A reusable buffer's first growth may fall inside the window: when the
 * client is slow (valgrind) a read can end mid-event, and the SSE and HTTP
 * parsers then keep the partial line in a buffer grown once and reused.
 * That is a few allocations per stream; one per chunk would be 200. */
enum { ONE_TIME_GROWTH = 4 };

/* Decoding, timestamping and recording 200 chunks: no allocation per chunk
 * (in practice none at all; see ONE_TIME_GROWTH). */
static void test_no_allocation_per_chunk(void **state) {
  (void)state;
  assert_true(allocations_while_streaming(0) <= ONE_TIME_GROWTH);
}

/* Keeping every chunk event (what load does for ITL) grows one array by
 * doubling: from 64 to 128 to 256 within the window, never per chunk. */
static void test_kept_chunks_grow_by_doubling(void **state) {
  (void)state;
  long n = allocations_while_streaming(BENCHY_KEEP_CHUNKS);
  assert_true(n >= 1 && n <= 3 + ONE_TIME_GROWTH);
}

/* The wrappers do see the library's allocations (so a zero above means
 * something): creating a loop allocates. */
static void test_counter_sees_allocations(void **state) {
  (void)state;
  benchy_loop *loop = NULL;
  allocations = 0;
  counting = 1;
  int st = benchy_loop_new(&loop);
  counting = 0;
  assert_int_equal(st, BENCHY_OK);
  assert_true(allocations >= 1);
  benchy_loop_free(loop);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counter_sees_allocations),
      cmocka_unit_test(test_no_allocation_per_chunk),
      cmocka_unit_test(test_kept_chunks_grow_by_doubling),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
