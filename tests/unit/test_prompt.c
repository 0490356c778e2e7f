/*
 * test_prompt.c — workload/prompt.c: the text generator, and every length
 * method (llama-server tokenize, vLLM tokenize, usage calibration, estimate)
 * forced in turn against the simulator, each prompt checked against the
 * usage.prompt_tokens the server reports when it is sent.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "benchy/benchy.h"
#include "workload/dataset.h"
#include "workload/load_freshness.h"
#include "workload/prompt.h"

typedef struct fixture {
  benchy_sim *sim;
  benchy_loop *loop;
  benchy_session *sess;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  benchy_options *o = NULL;
  benchy_options_new(&o, BENCHY_CMD_SIM);
  benchy_options_set(o, "port", "0");
  benchy_options_set(o, "prefill-tps", "1000000");
  benchy_options_set(o, "decode-tps", "100000");
  char err[256];
  if (benchy_sim_start(&f->sim, o, err, sizeof err) != BENCHY_OK) return -1;
  benchy_options_free(o);
  if (benchy_loop_new(&f->loop) != BENCHY_OK) return -1;
  if (benchy_session_new(&f->sess, f->loop, benchy_sim_base_url(f->sim)) != BENCHY_OK) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  benchy_session_free(f->sess);
  benchy_loop_free(f->loop);
  benchy_sim_stop(f->sim);
  free(f);
  return 0;
}

/* usage.prompt_tokens of the prompt, sent as a one-token generation. */
static int64_t server_count(fixture *f, const prompt_text *t, benchy_endpoint api) {
  cJSON *body = cJSON_CreateObject();
  cJSON_AddStringToObject(body, "model", "sim");
  assert_int_equal(prompt_to_body(t, api, body), 0);
  cJSON_AddNumberToObject(body, "max_tokens", 1);
  cJSON_AddBoolToObject(body, "cache_prompt", 0);
  char *text = cJSON_PrintUnformatted(body);
  cJSON_Delete(body);
  char *answer = NULL;
  int http = 0;
  int st = benchy_session_fetch(f->sess, "POST", api == BENCHY_ENDPOINT_CHAT ? "chat/completions" : "completions",
                                text, &http, &answer);
  cJSON_free(text);
  assert_int_equal(st, BENCHY_OK);
  cJSON *doc = cJSON_Parse(answer);
  free(answer);
  const cJSON *pt = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "usage"), "prompt_tokens");
  assert_true(cJSON_IsNumber(pt));
  int64_t n = (int64_t)pt->valuedouble;
  cJSON_Delete(doc);
  return n;
}

static void check_method(fixture *f, int method, benchy_endpoint api) {
  prompt_config cfg = {f->sess, "sim", api, 7, method, 1, 0};
  prompt_gen *g = NULL;
  char err[512] = "";
  int st = prompt_gen_new(&g, &cfg, err, sizeof err);
  if (st != BENCHY_OK) fail_msg("%s: %s", prompt_method_name(method), err);
  assert_int_equal(prompt_gen_method(g), method);
  cJSON *d = prompt_gen_describe(g);
  assert_non_null(d);
  cJSON_Delete(d);
  const int64_t sizes[] = {40, 129, 1000, 4097};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    prompt_text t;
    assert_int_equal(prompt_make(g, 100 + i, sizes[i], &t, err, sizeof err), BENCHY_OK);
    int64_t got = server_count(f, &t, api);
    if (method == PROMPT_METHOD_ESTIMATE) {
      assert_false(t.exact); /* never claimed */
      assert_false(t.verified);
    } else {
      if (got != sizes[i] || !t.exact)
        fail_msg("%s %s: asked %lld, server counted %lld (exact=%d)", prompt_method_name(method),
                 api == BENCHY_ENDPOINT_CHAT ? "chat" : "completions", (long long)sizes[i], (long long)got,
                 t.exact);
      assert_int_equal(prompt_check_usage(&t, got), 1);
      assert_int_equal(t.verified, method == PROMPT_METHOD_LLAMA || method == PROMPT_METHOD_VLLM);
    }
    prompt_text_free(&t);
  }
  /* A pair: context 600 + new 150, and its context-only fill. */
  prompt_text p, fill;
  assert_int_equal(prompt_make_pair(g, 5, 600, 6, 150, &p, err, sizeof err), BENCHY_OK);
  assert_int_equal(p.target, 750);
  if (method != PROMPT_METHOD_ESTIMATE) {
    assert_int_equal(server_count(f, &p, api), 750);
    assert_true(p.exact);
  }
  assert_int_equal(prompt_context_only(&p, api, &fill), BENCHY_OK);
  if (api == BENCHY_ENDPOINT_COMPLETIONS) {
    /* The fill is a prefix of the timed prompt. */
    assert_true(!strncmp(p.user, fill.user, strlen(fill.user)));
    if (method == PROMPT_METHOD_LLAMA || method == PROMPT_METHOD_VLLM) assert_int_equal(server_count(f, &fill, api), 600);
  } else {
    assert_string_equal(p.system, fill.system);
    assert_string_equal(fill.user, "Ready?");
  }
  prompt_text_free(&p);
  prompt_text_free(&fill);
  prompt_gen_free(g);
}

static void test_llama_chat(void **state) { check_method(*state, PROMPT_METHOD_LLAMA, BENCHY_ENDPOINT_CHAT); }
static void test_llama_completions(void **state) { check_method(*state, PROMPT_METHOD_LLAMA, BENCHY_ENDPOINT_COMPLETIONS); }
static void test_vllm_chat(void **state) { check_method(*state, PROMPT_METHOD_VLLM, BENCHY_ENDPOINT_CHAT); }
static void test_vllm_completions(void **state) { check_method(*state, PROMPT_METHOD_VLLM, BENCHY_ENDPOINT_COMPLETIONS); }
static void test_usage_chat(void **state) { check_method(*state, PROMPT_METHOD_USAGE, BENCHY_ENDPOINT_CHAT); }
static void test_usage_completions(void **state) { check_method(*state, PROMPT_METHOD_USAGE, BENCHY_ENDPOINT_COMPLETIONS); }
static void test_estimate(void **state) { check_method(*state, PROMPT_METHOD_ESTIMATE, BENCHY_ENDPOINT_CHAT); }

/* The LLAMA method knows where the user text starts: the pair's context is
 * exactly the cached prefix. */
static void test_llama_split(void **state) {
  fixture *f = *state;
  prompt_config cfg = {f->sess, "sim", BENCHY_ENDPOINT_CHAT, 7, PROMPT_METHOD_AUTO, 1, 0};
  prompt_gen *g = NULL;
  char err[256];
  assert_int_equal(prompt_gen_new(&g, &cfg, err, sizeof err), BENCHY_OK);
  assert_int_equal(prompt_gen_method(g), PROMPT_METHOD_LLAMA);
  assert_true(prompt_gen_split_known(g));
  assert_true(prompt_gen_tail(g) > 0);
  assert_true(prompt_gen_overhead(g, 1) > prompt_gen_overhead(g, 0));
  assert_string_equal(prompt_gen_notes(g), "");
  prompt_text p;
  assert_int_equal(prompt_make_pair(g, 1, 512, 2, 64, &p, err, sizeof err), BENCHY_OK);
  assert_int_equal(p.context_tokens, 512);
  assert_int_equal(p.tokens, 576);
  prompt_text_free(&p);
  prompt_gen_free(g);
}

static void test_text(void **state) {
  benchy_buf a = {0}, b = {0}, c = {0};
  assert_int_equal(prompt_words(1, 1, 200, &a), 0);
  assert_int_equal(prompt_words(1, 1, 200, &b), 0);
  assert_int_equal(prompt_words(1, 2, 200, &c), 0);
  assert_string_equal(a.data, b.data); /* deterministic */
  assert_true(strcmp(a.data, c.data) != 0);
  assert_true(isupper((unsigned char)a.data[0]));
  for (const char *p = a.data; *p; p++) assert_true(isalpha((unsigned char)*p) || *p == ' ' || *p == '.' || *p == ',');
  assert_non_null(strchr(a.data, '.'));
  /* Different keys rarely share even a first word (cache busting). */
  int same = 0;
  for (uint64_t k = 0; k < 200; k++) {
    benchy_buf x = {0}, y = {0};
    prompt_words(3, k, 3, &x);
    prompt_words(3, k + 1000, 3, &y);
    size_t w = strcspn(x.data, " ");
    same += w == strcspn(y.data, " ") && !strncmp(x.data, y.data, w);
    benchy_buf_free(&x);
    benchy_buf_free(&y);
  }
  assert_true(same <= 12); /* about 1 in 80 by chance */
  benchy_buf_free(&a);
  benchy_buf_free(&b);
  benchy_buf_free(&c);
}

/* Without a session only estimates are possible, and they say so. */
static void test_no_session(void **state) {
  prompt_config cfg = {NULL, NULL, BENCHY_ENDPOINT_CHAT, 1, PROMPT_METHOD_AUTO, 0, 0};
  prompt_gen *g = NULL;
  char err[256];
  assert_int_equal(prompt_gen_new(&g, &cfg, err, sizeof err), BENCHY_OK);
  assert_int_equal(prompt_gen_method(g), PROMPT_METHOD_ESTIMATE);
  assert_non_null(strstr(prompt_gen_notes(g), "not exact"));
  prompt_text t;
  assert_int_equal(prompt_make(g, 1, 50, &t, err, sizeof err), BENCHY_OK);
  assert_false(t.exact);
  prompt_text_free(&t);
  prompt_gen_free(g);
  cfg.method = PROMPT_METHOD_LLAMA;
  assert_int_not_equal(prompt_gen_new(&g, &cfg, err, sizeof err), BENCHY_OK);
  assert_null(g);
}

/* dataset_textgen over prompt.h, as benchy load plugs it in. */
static int make_pair_text(void *ud, uint64_t context_key, int64_t context_tokens, uint64_t key,
                          int64_t n, dataset_item *item, char *err, size_t errlen) {
  prompt_text pt;
  int st = prompt_make_pair(ud, context_key, context_tokens, key, n, &pt, err, errlen);
  if (st != BENCHY_OK) return st;
  item->system = pt.system;
  item->prompt = pt.user;
  pt.system = pt.user = NULL;
  item->input_tokens = pt.target;
  item->input_exact = pt.exact;
  prompt_text_free(&pt);
  return BENCHY_OK;
}

/* One run's random (or prefix) dataset: the lengths from seed, the words
 * from seed and the run's nonce. */
static void make_run(fixture *f, int kind, uint64_t nonce, dataset *out) {
  prompt_config cfg = {f->sess, "sim", BENCHY_ENDPOINT_CHAT, load_text_seed(7, nonce),
                       PROMPT_METHOD_AUTO, 1, 0};
  prompt_gen *g = NULL;
  char err[256] = "";
  assert_int_equal(prompt_gen_new(&g, &cfg, err, sizeof err), BENCHY_OK);
  dataset_synth_config sc = {kind, 12, 40, 16, 0.5, 24, 2, 7, 0};
  dataset_textgen tg = {g, make_pair_text};
  assert_int_equal(dataset_synthesize(out, &sc, &tg, err, sizeof err), BENCHY_OK);
  prompt_gen_free(g);
}

/* Two runs of one --seed send texts the server has not seen, of exactly
 * the same lengths; nonce 0 (--repeat-prompts) is the seed's own texts. */
static void test_run_nonce_keeps_lengths(void **state) {
  fixture *f = *state;
  uint64_t n1 = load_fresh_nonce(), n2 = load_fresh_nonce();
  assert_true(n1 != n2);
  assert_true(n1 > 0 && n1 < LOAD_NONCE_MAX && n2 > 0 && n2 < LOAD_NONCE_MAX);
  const int kinds[] = {DATASET_RANDOM, DATASET_PREFIX};
  for (size_t k = 0; k < 2; k++) {
    dataset a = {0}, b = {0}, same1 = {0}, same2 = {0};
    make_run(f, kinds[k], n1, &a);
    make_run(f, kinds[k], n2, &b);
    make_run(f, kinds[k], 0, &same1);
    make_run(f, kinds[k], 0, &same2);
    assert_int_equal(a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
      const dataset_item *x = &a.items[i], *y = &b.items[i];
      assert_int_equal(x->input_tokens, y->input_tokens);
      assert_int_equal(x->output_len, y->output_len);
      assert_int_equal(x->group, y->group);
      assert_true(x->input_exact && y->input_exact);
      assert_string_not_equal(x->prompt, y->prompt);
      if (x->system) assert_string_not_equal(x->system, y->system);
      /* Exact as the server counts them, whichever the words. */
      prompt_text tx = {x->system, x->prompt, 0, 0, 0, 0, 0, 0, 0, 0};
      prompt_text ty = {y->system, y->prompt, 0, 0, 0, 0, 0, 0, 0, 0};
      assert_int_equal(server_count(f, &tx, BENCHY_ENDPOINT_CHAT), x->input_tokens);
      assert_int_equal(server_count(f, &ty, BENCHY_ENDPOINT_CHAT), y->input_tokens);
      assert_string_equal(same1.items[i].prompt, same2.items[i].prompt);
      assert_int_equal(same1.items[i].input_tokens, x->input_tokens);
    }
    dataset_free(&a);
    dataset_free(&b);
    dataset_free(&same1);
    dataset_free(&same2);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text),
      cmocka_unit_test(test_no_session),
      cmocka_unit_test(test_llama_chat),
      cmocka_unit_test(test_llama_completions),
      cmocka_unit_test(test_vllm_chat),
      cmocka_unit_test(test_vllm_completions),
      cmocka_unit_test(test_usage_chat),
      cmocka_unit_test(test_usage_completions),
      cmocka_unit_test(test_estimate),
      cmocka_unit_test(test_llama_split),
      cmocka_unit_test(test_run_nonce_keeps_lengths),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
