/*
 * test_sim_tools.c — what the simulator does for tool-using workloads:
 * arguments that follow the picked tool's schema (checked with schema.h
 * over many seeded requests, streamed and not, every length), the
 * --fault-bad-tool-args fault (each kind at about its rate, seeded, and
 * bucketed right by benchy_tool_call_grade), chat_template_kwargs.
 * enable_thinking, and role "tool" / assistant tool_calls messages in the
 * template and the token count.
 */
#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include <benchy/benchy.h>

#include "testutil.h"
#include "util.h"

/* The tools of a voice assistant: nested objects, arrays, enums, bounds,
 * a closed object and optional properties. */
static const char tools[] =
    "[{\"type\":\"function\",\"function\":{\"name\":\"search_memory\",\"parameters\":{\"type\":\"object\","
    "\"properties\":{\"query\":{\"type\":\"string\",\"minLength\":3,\"maxLength\":60},"
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":20},"
    "\"scope\":{\"type\":\"string\",\"enum\":[\"notes\",\"mail\",\"calendar\"]},"
    "\"score\":{\"type\":\"number\",\"exclusiveMinimum\":0,\"maximum\":1},"
    "\"exact\":{\"type\":\"boolean\"},\"cursor\":{\"type\":[\"string\",\"null\"]},"
    "\"filters\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"since\"],"
    "\"properties\":{\"since\":{\"type\":\"string\"},\"tags\":{\"type\":\"array\",\"minItems\":1,"
    "\"maxItems\":4,\"items\":{\"type\":\"string\",\"maxLength\":20}}}}},"
    "\"required\":[\"query\",\"scope\",\"filters\"],\"additionalProperties\":false}}},"
    "{\"type\":\"function\",\"function\":{\"name\":\"web_search\",\"parameters\":{\"type\":\"object\","
    "\"properties\":{\"q\":{\"type\":\"string\"}},\"required\":[\"q\"]}}}]";

typedef struct client {
  benchy_loop *loop;
  benchy_session *session;
} client;

static void client_open(client *c, benchy_sim *sim) {
  assert_int_equal(benchy_loop_new(&c->loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&c->session, c->loop, benchy_sim_base_url(sim)), BENCHY_OK);
}

static void client_close(client *c) {
  benchy_session_free(c->session);
  benchy_loop_free(c->loop);
}

/* One chat request, run to completion; the caller frees *req. */
static const benchy_record *chat(client *c, benchy_request **req, const char *body) {
  assert_int_equal(benchy_request_new(req, c->session, BENCHY_ENDPOINT_CHAT, body), BENCHY_OK);
  assert_int_equal(benchy_request_start(*req, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(c->loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(*req);
  if (rec->status != BENCHY_OK) fail_msg("request failed: %s", rec->error ? rec->error : "?");
  return rec;
}

static char *tool_body(int max_tokens, int stream, const char *extra) {
  char *b = malloc(4096);
  snprintf(b, 4096,
           "{\"model\":\"sim\",\"max_tokens\":%d,\"stream\":%s,\"stream_options\":{\"include_usage\":true},"
           "\"messages\":[{\"role\":\"user\",\"content\":\"what did I note about the garden?\"}],"
           "\"tools\":%s%s}",
           max_tokens, stream ? "true" : "false", tools, extra ? extra : "");
  return b;
}

/* A plain POST to the simulator (not streamed, so not through a session). */
static size_t on_body(char *p, size_t size, size_t n, void *ud) {
  return benchy_buf_append(ud, p, size * n) ? 0 : size * n;
}

static cJSON *post_json(benchy_sim *sim, const char *path, const char *body, long *status) {
  char url[512];
  const char *base = benchy_sim_base_url(sim); /* ends in /v1 */
  snprintf(url, sizeof url, "%.*s%s", (int)(strlen(base) - 3), base, path);
  benchy_buf out = {0};
  CURL *h = curl_easy_init();
  struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  assert_int_equal(curl_easy_perform(h), CURLE_OK);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(h);
  benchy_buf_terminate(&out);
  cJSON *j = cJSON_Parse(out.data ? out.data : "");
  if (!j) fail_msg("%s: not JSON: %s", path, out.data ? out.data : "");
  benchy_buf_free(&out);
  return j;
}

/* Every call the sim makes passes the picked tool's schema: many requests,
 * two seeds, streamed and not, every length from the bare header (the
 * header then carries the whole text) to long ones, with reasoning taking
 * part of the room; the enum's values and the optional null all turn up. */
static void test_arguments_follow_the_schema(void **state) {
  (void)state;
  const char *seeds[] = {"1", "987654321"};
  int seen_scope[3] = {0}, seen_null = 0, checked = 0;
  for (int si = 0; si < 2; si++) {
    benchy_sim *sim = test_sim_start("decode-tps", "100000", "prefill-tps", "10000000", "tokens-per-chunk", "1-4",
                                     "reasoning-tokens", "2", "seed", seeds[si], NULL);
    client c;
    client_open(&c, sim);
    for (int i = 0; i < 120; i++) {
      int n = 1 + i % 60;
      const char *named = i % 5 == 4 ? ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"web_search\"}}" : NULL;
      char *body = tool_body(n, i % 2, named);
      const char *want = named ? "web_search" : "search_memory";
      cJSON *args;
      if (i % 2) { /* streamed: the record a session decoded, graded */
        benchy_request *r;
        const benchy_record *rec = chat(&c, &r, body);
        assert_int_equal(rec->n_tool_calls, 1);
        assert_string_equal(rec->tool_calls[0].name, want);
        benchy_tool_grade g = {.struct_size = sizeof g};
        assert_int_equal(benchy_tool_call_grade(rec, tools, &g), BENCHY_OK);
        if (g.grade != BENCHY_TOOL_OK)
          fail_msg("request %d (max_tokens %d): %s: %s", i, n, benchy_tool_grade_name(g.grade), g.message);
        assert_int_equal(g.arguments_parse, 1);
        /* A streamed call's times: the first fragment, then the last. */
        assert_true(rec->t_first_tool > 0 && rec->t_last_tool >= rec->t_first_tool);
        args = cJSON_Parse(rec->tool_calls[0].arguments);
        benchy_request_free(r);
      } else { /* not streamed: the message's arguments against the schema */
        long status;
        cJSON *j = post_json(sim, "/v1/chat/completions", body, &status);
        assert_int_equal(status, 200);
        const cJSON *call = cJSON_GetArrayItem(
            cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "choices"), 0),
                                                 "message"),
                "tool_calls"),
            0);
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fn, "name")), want);
        const char *text = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(fn, "arguments"));
        assert_non_null(text);
        cJSON *all = cJSON_Parse(tools);
        const cJSON *params = NULL, *t;
        cJSON_ArrayForEach(t, all) {
          const cJSON *f = cJSON_GetObjectItemCaseSensitive(t, "function");
          if (!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(f, "name")), want))
            params = cJSON_GetObjectItemCaseSensitive(f, "parameters");
        }
        char *schema = cJSON_PrintUnformatted(params);
        benchy_schema_result sr = {.struct_size = sizeof sr};
        assert_int_equal(benchy_schema_validate(text, schema, &sr), BENCHY_OK);
        if (sr.fail) fail_msg("request %d (max_tokens %d): %s in %s", i, n, sr.message, text);
        args = cJSON_Parse(text);
        cJSON_free(schema);
        cJSON_Delete(all);
        cJSON_Delete(j);
      }
      free(body);
      const cJSON *scope = cJSON_GetObjectItemCaseSensitive(args, "scope");
      for (int k = 0; k < 3 && cJSON_IsString(scope); k++)
        if (!strcmp(scope->valuestring, (const char *[]){"notes", "mail", "calendar"}[k])) seen_scope[k]++;
      if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(args, "cursor"))) seen_null++;
      cJSON_Delete(args);
      checked++;
    }
    client_close(&c);
    test_sim_stop(sim);
  }
  assert_int_equal(checked, 240);
  for (int k = 0; k < 3; k++) assert_true(seen_scope[k] > 10);
  assert_true(seen_null > 10);
}

/* The text of a long call grows with its tokens, as a model's would. */
static void test_arguments_grow_with_tokens(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "100000", NULL);
  client c;
  client_open(&c, sim);
  const char *named = ",\"tool_choice\":{\"type\":\"function\",\"function\":{\"name\":\"web_search\"}}";
  size_t len[2];
  int ns[2] = {8, 200};
  for (int k = 0; k < 2; k++) {
    char *body = tool_body(ns[k], 1, named);
    benchy_request *r;
    const benchy_record *rec = chat(&c, &r, body);
    free(body);
    len[k] = strlen(rec->tool_calls[0].arguments);
    assert_int_equal(rec->output_tokens, ns[k]);
    benchy_request_free(r);
  }
  assert_true(len[1] > 4 * len[0]);
  client_close(&c);
  test_sim_stop(sim);
}

typedef struct tally {
  int by_grade[8];
  char sequence[700]; /* one letter per request: its grade */
} tally;

static void run_faulty(const char *seed, int n, tally *t, uint64_t *faults) {
  benchy_sim *sim = test_sim_start("decode-tps", "100000", "prefill-tps", "10000000", "fault-bad-tool-args", "0.3",
                                   "seed", seed, NULL);
  client c;
  client_open(&c, sim);
  memset(t, 0, sizeof *t);
  for (int i = 0; i < n; i++) {
    char *body = tool_body(6 + i % 30, 1, NULL);
    benchy_request *r;
    const benchy_record *rec = chat(&c, &r, body);
    free(body);
    benchy_tool_grade g = {.struct_size = sizeof g};
    assert_int_equal(benchy_tool_call_grade(rec, tools, &g), BENCHY_OK);
    assert_true(g.grade >= 0 && g.grade < 8);
    t->by_grade[g.grade]++;
    t->sequence[i] = (char)('a' + g.grade);
    /* Only the three kinds the fault makes, each graded as such. */
    switch (g.grade) {
    case BENCHY_TOOL_OK: break;
    case BENCHY_TOOL_MISSING_REQUIRED: assert_string_equal(g.path, "/query"); break;
    case BENCHY_TOOL_WRONG_TYPE: assert_string_equal(g.path, "/query"); break;
    case BENCHY_TOOL_UNPARSED_ARGUMENTS: assert_int_equal(g.arguments_parse, 0); break;
    default: fail_msg("request %d: unexpected grade %s: %s", i, benchy_tool_grade_name(g.grade), g.message);
    }
    if (g.grade != BENCHY_TOOL_UNPARSED_ARGUMENTS) assert_int_equal(g.arguments_parse, 1);
    benchy_request_free(r);
  }
  benchy_sim_stats st = {.struct_size = sizeof st};
  benchy_sim_get_stats(sim, &st);
  *faults = st.faults;
  client_close(&c);
  test_sim_stop(sim);
}

static void test_fault_bad_tool_args(void **state) {
  (void)state;
  enum { N = 600 };
  tally a, b;
  uint64_t faults_a, faults_b;
  run_faulty("42", N, &a, &faults_a);
  int bad = N - a.by_grade[BENCHY_TOOL_OK];
  print_message("P 0.3 of %d calls: %d bad: %d missing_required, %d wrong_type, %d unparsed_arguments\n", N, bad,
                a.by_grade[BENCHY_TOOL_MISSING_REQUIRED], a.by_grade[BENCHY_TOOL_WRONG_TYPE],
                a.by_grade[BENCHY_TOOL_UNPARSED_ARGUMENTS]);
  /* P = 0.3 of 600: 180 expected, sd 11; each kind 60, sd 7. */
  if (bad < 130 || bad > 230) fail_msg("%d bad calls of %d at P 0.3", bad, N);
  int kinds[] = {BENCHY_TOOL_MISSING_REQUIRED, BENCHY_TOOL_WRONG_TYPE, BENCHY_TOOL_UNPARSED_ARGUMENTS};
  for (int k = 0; k < 3; k++)
    if (a.by_grade[kinds[k]] < 30 || a.by_grade[kinds[k]] > 95)
      fail_msg("%s: %d of %d", benchy_tool_grade_name(kinds[k]), a.by_grade[kinds[k]], N);
  /* The simulator counts what it broke: exactly what the grader found. */
  assert_int_equal(faults_a, (uint64_t)bad);
  /* Seeded: the same seed breaks the same requests the same way. */
  run_faulty("42", N, &b, &faults_b);
  assert_memory_equal(a.sequence, b.sequence, N);
  run_faulty("43", N, &b, &faults_b);
  assert_true(memcmp(a.sequence, b.sequence, N) != 0);
}

/* A schema with nothing required and no typed property: every bad call is
 * invalid JSON, the one kind that needs nothing from the schema. */
static void test_fault_falls_back_to_invalid_json(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "100000", "fault-bad-tool-args", "1", NULL);
  client c;
  client_open(&c, sim);
  const char *bare = "[{\"type\":\"function\",\"function\":{\"name\":\"ping\"}}]";
  for (int i = 0; i < 30; i++) {
    char body[512];
    snprintf(body, sizeof body,
             "{\"max_tokens\":%d,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"tools\":%s}", 1 + i, bare);
    benchy_request *r;
    const benchy_record *rec = chat(&c, &r, body);
    benchy_tool_grade g = {.struct_size = sizeof g};
    assert_int_equal(benchy_tool_call_grade(rec, bare, &g), BENCHY_OK);
    assert_int_equal(g.grade, BENCHY_TOOL_UNPARSED_ARGUMENTS);
    benchy_request_free(r);
  }
  client_close(&c);
  test_sim_stop(sim);
}

static void test_enable_thinking(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "100000", "reasoning-tokens", "5", NULL);
  client c;
  client_open(&c, sim);
  static const struct {
    const char *kwargs;
    int64_t reasoning;
  } cases[] = {
      {"", 5},
      {",\"chat_template_kwargs\":{\"enable_thinking\":true}", 5},
      {",\"chat_template_kwargs\":{\"enable_thinking\":false}", 0},
      {",\"chat_template_kwargs\":{\"other\":1}", 5},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char body[512];
    snprintf(body, sizeof body,
             "{\"max_tokens\":12,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
             "\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]%s}",
             cases[i].kwargs);
    benchy_request *r;
    const benchy_record *rec = chat(&c, &r, body);
    assert_int_equal(rec->usage_reasoning_tokens, cases[i].reasoning);
    assert_int_equal(rec->usage_completion_tokens, 12);
    assert_int_equal(rec->t_first_reasoning != 0, cases[i].reasoning > 0);
    benchy_request_free(r);
  }
  /* With tools too: no reasoning before the call. */
  char *body = tool_body(10, 1, ",\"chat_template_kwargs\":{\"enable_thinking\":false}");
  benchy_request *r;
  const benchy_record *rec = chat(&c, &r, body);
  free(body);
  assert_int_equal(rec->usage_reasoning_tokens, 0);
  assert_int_equal(rec->t_first_reasoning, 0);
  assert_int_equal(rec->t_first_token, rec->t_first_tool);
  benchy_request_free(r);
  client_close(&c);
  test_sim_stop(sim);
}

/* ---- role "tool" in the template and the count ---- */

#define TURN_1 "{\"role\":\"user\",\"content\":\"what did I note about the garden?\"}"
#define TURN_2                                                                                         \
  "{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"id\":\"call_1\",\"type\":\"function\"," \
  "\"function\":{\"name\":\"search_memory\",\"arguments\":\"{\\\"query\\\":\\\"garden\\\"}\"}}]}"
#define TURN_3 "{\"role\":\"tool\",\"tool_call_id\":\"call_1\",\"content\":\"Plant the tulips in October.\"}"

static int64_t count_tokens(benchy_sim *sim, const char *messages) {
  char body[2048];
  long status;
  snprintf(body, sizeof body, "{\"messages\":%s}", messages);
  cJSON *j = post_json(sim, "/tokenize", body, &status);
  assert_int_equal(status, 200);
  const cJSON *count = cJSON_GetObjectItemCaseSensitive(j, "count");
  assert_true(cJSON_IsNumber(count));
  int64_t n = (int64_t)count->valuedouble;
  cJSON_Delete(j);
  return n;
}

static void test_tool_messages_are_counted(void **state) {
  (void)state;
  benchy_sim *sim = test_sim_start("decode-tps", "100000", NULL);
  const char *conversation = "[" TURN_1 "," TURN_2 "," TURN_3 "]";
  long status;
  char body[2048];
  snprintf(body, sizeof body, "{\"messages\":%s}", conversation);
  cJSON *j = post_json(sim, "/apply-template", body, &status);
  assert_int_equal(status, 200);
  const char *prompt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(j, "prompt"));
  assert_non_null(prompt);
  /* The call the assistant made and the tool's answer are both in the prompt. */
  assert_non_null(strstr(prompt, "<|im_start|>assistant\n\n{\"name\":\"search_memory\""));
  assert_non_null(strstr(prompt, "<|im_start|>tool\nPlant the tulips in October.<|im_end|>"));
  cJSON_Delete(j);

  /* Each turn adds tokens, and the chat endpoint counts what /tokenize does. */
  int64_t n1 = count_tokens(sim, "[" TURN_1 "]");
  int64_t n2 = count_tokens(sim, "[" TURN_1 "," TURN_2 "]");
  int64_t n3 = count_tokens(sim, conversation);
  assert_true(n1 < n2 && n2 < n3);
  client c;
  client_open(&c, sim);
  snprintf(body, sizeof body,
           "{\"max_tokens\":4,\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":%s}",
           conversation);
  benchy_request *r;
  const benchy_record *rec = chat(&c, &r, body);
  assert_int_equal(rec->usage_prompt_tokens, n3);
  benchy_request_free(r);
  client_close(&c);
  test_sim_stop(sim);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_arguments_follow_the_schema),
      cmocka_unit_test(test_arguments_grow_with_tokens),
      cmocka_unit_test(test_fault_bad_tool_args),
      cmocka_unit_test(test_fault_falls_back_to_invalid_json),
      cmocka_unit_test(test_enable_thinking),
      cmocka_unit_test(test_tool_messages_are_counted),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
