/*
 * test_sentence.c — time to first sentence (record.h t_first_sentence,
 * benchy_record_ttfs_ns): against the simulator's --sentence-every, whose
 * full stops fall on known tokens, through the public API; and the rule
 * itself on text a server could split anywhere (core/sentence.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <benchy/benchy.h>

#include "core/sentence.h"
#include "testutil.h"

typedef struct run {
  benchy_loop *loop;
  benchy_session *session;
  benchy_request *req;
} run;

static const benchy_record *chat(run *x, benchy_sim *sim, int max_tokens) {
  assert_int_equal(benchy_loop_new(&x->loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&x->session, x->loop, benchy_sim_base_url(sim)), BENCHY_OK);
  char body[256];
  snprintf(body, sizeof body,
           "{\"model\":\"sim\",\"max_tokens\":%d,\"messages\":[{\"role\":\"user\",\"content\":\"Talk to me\"}]}",
           max_tokens);
  assert_int_equal(benchy_request_new(&x->req, x->session, BENCHY_ENDPOINT_CHAT, body), BENCHY_OK);
  assert_int_equal(benchy_request_set_flags(x->req, BENCHY_KEEP_TEXT | BENCHY_KEEP_CHUNKS), BENCHY_OK);
  assert_int_equal(benchy_request_start(x->req, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(x->loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(x->req);
  if (rec->status != BENCHY_OK) fail_msg("status %d: %s", rec->status, rec->error ? rec->error : "");
  return rec;
}

static void done(run *x) {
  benchy_request_free(x->req);
  benchy_session_free(x->session);
  benchy_loop_free(x->loop);
}

/* The time of the k-th (from 0) token-carrying chunk, and its kinds. */
static const benchy_chunk_event *token_chunk(const benchy_record *rec, int k) {
  for (size_t i = 0; i < rec->n_chunk_events; i++)
    if ((rec->chunk_events[i].kinds & BENCHY_CHUNK_TOKENS) && k-- == 0) return &rec->chunk_events[i];
  fail_msg("fewer token chunks than asked for");
  return NULL;
}

/* One token per chunk, every 5th token a full stop, the first 7 reasoning:
 * the stop at token 4 is reasoning and does not count; token 9's does. */
static void test_first_sentence_is_the_chunk_of_the_first_content_stop(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("sentence-every", "5", "reasoning-tokens", "7", "decode-tps", "400",
                                   "overhead-ms", "1", NULL);
  run x = {0};
  const benchy_record *rec = chat(&x, sim, 20);
  assert_non_null(strchr(rec->reasoning, '.'));
  const benchy_chunk_event *stop = token_chunk(rec, 9);
  assert_true(stop->kinds & BENCHY_CHUNK_CONTENT);
  assert_int_equal(rec->t_first_sentence, stop->t_ns);
  assert_int_equal(benchy_record_ttfs_ns(rec), stop->t_ns - rec->t_dispatched);
  /* never before the first content (the same read when the client was
   * descheduled, as under valgrind: the chunk check above is what proves
   * which chunk it is) */
  assert_true(rec->t_first_sentence >= rec->t_first_content);
  /* the content the record kept: " w w." then a space — the sentence's end */
  const char *dot = strchr(rec->content, '.');
  assert_non_null(dot);
  assert_int_equal(dot[1], ' ');
  char *json = benchy_record_to_json(rec, rec->t_dispatched, 0, 0);
  assert_non_null(json);
  char want[64];
  snprintf(want, sizeof want, "\"ttfs_ms\":");
  assert_non_null(strstr(json, want));
  assert_non_null(strstr(json, "\"first_sentence\":"));
  free(json);
  done(&x);
  test_sim_stop(sim);
}

/* A stop that is the stream's last token ends a sentence at the end. */
static void test_a_stop_at_the_end_of_the_stream_ends_a_sentence(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("sentence-every", "8", "decode-tps", "1000", "overhead-ms", "1", NULL);
  run x = {0};
  const benchy_record *rec = chat(&x, sim, 8);
  assert_int_equal(rec->content[strlen(rec->content) - 1], '.');
  assert_int_equal(rec->t_first_sentence, token_chunk(rec, 7)->t_ns);
  done(&x);
  test_sim_stop(sim);
}

/* No stop at all: no first sentence, and the figure says it is missing. */
static void test_text_without_a_stop_has_no_first_sentence(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "1000", "overhead-ms", "1", NULL);
  run x = {0};
  const benchy_record *rec = chat(&x, sim, 12);
  assert_null(strchr(rec->content, '.'));
  assert_int_equal(rec->t_first_sentence, 0);
  assert_int_equal(benchy_record_ttfs_ns(rec), -1);
  char *json = benchy_record_to_json(rec, rec->t_dispatched, 0, 0);
  assert_non_null(strstr(json, "\"ttfs_ms\":null"));
  free(json);
  done(&x);
  test_sim_stop(sim);
}

/* The rule on text split as servers split it. */
static void test_the_rule_on_split_text(void **state) {
  (void)state;
  sentence_scan s = {0, 0};
  /* mark and space in one chunk */
  assert_int_equal(sentence_feed(&s, "Hello there. How", 16, 10), 10);
  assert_int_equal(sentence_feed(&s, " are. you", 9, 20), 10); /* the first one stays */
  /* the mark ends a chunk; the next one's leading space confirms it: the mark's time */
  s = (sentence_scan){0, 0};
  assert_int_equal(sentence_feed(&s, "Sure!", 5, 10), 0);
  assert_int_equal(sentence_feed(&s, "\nNext", 5, 20), 10);
  /* a mark inside a number or a word is not an end */
  s = (sentence_scan){0, 0};
  assert_int_equal(sentence_feed(&s, "Pi is 3", 7, 10), 0);
  assert_int_equal(sentence_feed(&s, ".", 1, 20), 0);
  assert_int_equal(sentence_feed(&s, "14 and e.g", 10, 30), 0);
  assert_int_equal(sentence_feed(&s, ". is", 4, 40), 40); /* "e.g" then ". is": that "." ends it */
  /* ellipsis and "?!": the last mark before the space */
  s = (sentence_scan){0, 0};
  assert_int_equal(sentence_feed(&s, "Well...", 7, 10), 0);
  assert_int_equal(sentence_feed(&s, "?! ok", 5, 20), 20);
  /* a mark at the very end, confirmed only when the stream ends */
  s = (sentence_scan){0, 0};
  assert_int_equal(sentence_feed(&s, "Bye.", 4, 10), 0);
  assert_int_equal(sentence_finish(&s), 10);
  s = (sentence_scan){0, 0};
  assert_int_equal(sentence_feed(&s, "Bye", 3, 10), 0);
  assert_int_equal(sentence_finish(&s), 0);
  /* empty chunks change nothing */
  s = (sentence_scan){0, 0};
  assert_int_equal(sentence_feed(&s, "Hi.", 3, 10), 0);
  assert_int_equal(sentence_feed(&s, "", 0, 15), 0);
  assert_int_equal(sentence_feed(&s, " x", 2, 20), 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first_sentence_is_the_chunk_of_the_first_content_stop),
      cmocka_unit_test(test_a_stop_at_the_end_of_the_stream_ends_a_sentence),
      cmocka_unit_test(test_text_without_a_stop_has_no_first_sentence),
      cmocka_unit_test(test_the_rule_on_split_text),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
