/*
 * test_server_facts.c — the model facts bench's table shows
 * (workload/server_facts.c, report/bench_render.c): read from a real
 * llama-server's /v1/models and /props (tests/fixtures), printed in
 * llama-bench's units, and left out, never made up, when a server does not
 * state them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report/bench_render.h"
#include "testutil.h"
#include "workload/server_facts.h"

static cJSON *fixture_json(const char *name) {
  size_t len = 0;
  char *text = test_read_fixture(name, &len);
  assert_non_null(text);
  cJSON *doc = cJSON_Parse(text);
  free(text);
  assert_non_null(doc);
  return doc;
}

/* server as bench builds it: /v1/models' entry, then /props' build_info. */
static cJSON *llama_server_facts(void) {
  cJSON *models = fixture_json("v1_models.json"), *props = fixture_json("props.json");
  cJSON *server = cJSON_CreateObject();
  server_facts_from_model(server, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(models, "data"), 0));
  const cJSON *build = cJSON_GetObjectItemCaseSensitive(props, "build_info");
  cJSON_AddStringToObject(server, "build_info", build->valuestring);
  cJSON_Delete(models);
  cJSON_Delete(props);
  return server;
}

static void test_llama_server_states_size_params_backend(void **state) {
  cJSON *server = llama_server_facts();
  cJSON *row = cJSON_CreateObject();
  server_facts_to_row(server, row);
  assert_int_equal((int64_t)cJSON_GetObjectItemCaseSensitive(row, "model_size")->valuedouble, 153305088);
  assert_int_equal((int64_t)cJSON_GetObjectItemCaseSensitive(row, "model_n_params")->valuedouble, 76643840);
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "backend")->valuestring, "llama.cpp b10470-34af94cd9");
  cJSON_Delete(row);
  cJSON_Delete(server);
}

static void test_unstated_facts_stay_absent(void **state) {
  /* vLLM: owned_by, no meta. */
  cJSON *vllm = cJSON_Parse("{\"id\":\"m\",\"object\":\"model\",\"owned_by\":\"vllm\",\"max_model_len\":4096}");
  cJSON *server = cJSON_CreateObject(), *row = cJSON_CreateObject();
  server_facts_from_model(server, vllm);
  server_facts_to_row(server, row);
  assert_null(cJSON_GetObjectItemCaseSensitive(row, "model_size"));
  assert_null(cJSON_GetObjectItemCaseSensitive(row, "model_n_params"));
  assert_string_equal(cJSON_GetObjectItemCaseSensitive(row, "backend")->valuestring, "vLLM");
  cJSON_Delete(row);
  cJSON_Delete(server);
  /* A server that says nothing, or zeros and "" as llama-server does for
   * what it does not know. */
  cJSON *bare = cJSON_Parse("{\"id\":\"m\",\"meta\":{\"n_params\":0,\"size\":\"\"}}");
  server = cJSON_CreateObject();
  row = cJSON_CreateObject();
  server_facts_from_model(server, bare);
  server_facts_to_row(server, row);
  assert_null(row->child);
  cJSON_Delete(row);
  cJSON_Delete(server);
  cJSON_Delete(bare);
  cJSON_Delete(vllm);
}

/* The table of a one-row result whose row carries these facts. */
static char *render_row(cJSON *server) {
  cJSON *doc = cJSON_Parse("{\"status\":\"OK\",\"metadata\":{\"depth_mode\":\"cached\"},\"aggregates\":[{"
                           "\"model\":\"tiny.gguf\",\"test\":\"pp512\",\"kind\":\"pp\","
                           "\"t_s_req\":{\"mean\":1000,\"stddev\":1}}]}");
  server_facts_to_row(server, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "aggregates"), 0));
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_int_equal(bench_render_md(doc, f), 0);
  fclose(f);
  cJSON_Delete(doc);
  return text;
}

static void test_table_columns_in_llama_bench_units(void **state) {
  cJSON *server = llama_server_facts();
  char *md = render_row(server);
  assert_true(!strncmp(md, "| model     |       size |  params |                    backend |  test |", 70));
  assert_non_null(strstr(md, "| tiny.gguf | 146.20 MiB | 76.64 M | llama.cpp b10470-34af94cd9 | pp512 |"));
  free(md);
  cJSON_Delete(server);
  /* Above a GiB and a billion parameters: GiB and B. */
  server = cJSON_Parse("{\"model_size\":4920739840,\"model_n_params\":8030261248}");
  md = render_row(server);
  assert_non_null(strstr(md, "| 4.58 GiB | 8.03 B |"));
  free(md);
  cJSON_Delete(server);
  /* Nothing stated: the columns are not there at all. */
  server = cJSON_CreateObject();
  md = render_row(server);
  assert_true(!strncmp(md, "| model     |  test |", 20));
  assert_null(strstr(md, "size"));
  assert_null(strstr(md, "params"));
  assert_null(strstr(md, "backend"));
  free(md);
  cJSON_Delete(server);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_llama_server_states_size_params_backend),
      cmocka_unit_test(test_unstated_facts_stay_absent),
      cmocka_unit_test(test_table_columns_in_llama_bench_units),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
