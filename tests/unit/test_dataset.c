/*
 * test_dataset.c — load datasets (workload/dataset.h): random and
 * shared-prefix generation (lengths, groups, determinism), ShareGPT and
 * JSONL files, and the errors for bad files (path, line, field). Files are
 * written to a temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchy/benchy.h"
#include "testutil.h"
#include "workload/dataset.h"

static const char *write_file(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", test_tmpdir(), name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  return path;
}

/* ---- synthetic ------------------------------------------------------------ */

/* A text maker with no server: records what it was asked for in the text,
 * so the tests can see keys and lengths. */
static int fake_make(void *ud, uint64_t ctx_key, int64_t ctx_tokens, uint64_t key, int64_t n,
                     dataset_item *item, char *err, size_t errlen) {
  int *calls = ud;
  (*calls)++;
  char buf[128];
  if (ctx_tokens > 0) {
    snprintf(buf, sizeof buf, "ctx %llu len %lld", (unsigned long long)ctx_key, (long long)ctx_tokens);
    item->system = strdup(buf);
  }
  snprintf(buf, sizeof buf, "key %llu len %lld", (unsigned long long)key, (long long)n);
  item->prompt = strdup(buf);
  item->input_tokens = ctx_tokens + n;
  item->input_exact = 1;
  return BENCHY_OK;
}

static int failing_make(void *ud, uint64_t ctx_key, int64_t ctx_tokens, uint64_t key, int64_t n,
                        dataset_item *item, char *err, size_t errlen) {
  int *calls = ud;
  if ((*calls)++ == 3) {
    snprintf(err, errlen, "tokenize failed");
    return BENCHY_ERR_HTTP;
  }
  item->prompt = strdup("x");
  return BENCHY_OK;
}

static void test_random_lengths(void **state) {
  (void)state;
  int calls = 0;
  dataset_textgen tg = {&calls, fake_make};
  dataset_synth_config cfg = {DATASET_RANDOM, 2000, 100, 50, 0.5, 0, 0, 9, 1000};
  dataset d;
  char err[256];
  assert_int_equal(dataset_synthesize(&d, &cfg, &tg, err, sizeof err), BENCHY_OK);
  assert_int_equal(d.n, 2000);
  assert_int_equal(calls, 2000);
  int64_t in_min = 1 << 30, in_max = 0, out_min = 1 << 30, out_max = 0;
  double in_sum = 0;
  for (size_t i = 0; i < d.n; i++) {
    const dataset_item *it = &d.items[i];
    if (it->input_tokens < in_min) in_min = it->input_tokens;
    if (it->input_tokens > in_max) in_max = it->input_tokens;
    if (it->output_len < out_min) out_min = it->output_len;
    if (it->output_len > out_max) out_max = it->output_len;
    in_sum += (double)it->input_tokens;
    assert_null(it->system);
    assert_int_equal(it->group, -1);
    char want[64];
    snprintf(want, sizeof want, "key %zu ", 1000 + i); /* key_base + i */
    assert_memory_equal(it->prompt, want, strlen(want));
  }
  /* [50, 150] and [25, 75], both ends reached over 2000 draws. */
  assert_int_equal(in_min, 50);
  assert_int_equal(in_max, 150);
  assert_int_equal(out_min, 25);
  assert_int_equal(out_max, 75);
  assert_true(in_sum / 2000 > 95 && in_sum / 2000 < 105);
  assert_int_equal(d.exact_misses, 0);
  dataset_free(&d);

  /* Ratio 0: every length exact. */
  cfg.range_ratio = 0;
  cfg.n = 10;
  assert_int_equal(dataset_synthesize(&d, &cfg, &tg, err, sizeof err), BENCHY_OK);
  for (size_t i = 0; i < d.n; i++) {
    assert_int_equal(d.items[i].input_tokens, 100);
    assert_int_equal(d.items[i].output_len, 50);
  }
  dataset_free(&d);
}

static void test_random_is_seeded(void **state) {
  (void)state;
  int calls = 0;
  dataset_textgen tg = {&calls, fake_make};
  dataset_synth_config cfg = {DATASET_RANDOM, 50, 100, 50, 0.3, 0, 0, 77, 0};
  dataset a, b, c;
  assert_int_equal(dataset_synthesize(&a, &cfg, &tg, NULL, 0), BENCHY_OK);
  assert_int_equal(dataset_synthesize(&b, &cfg, &tg, NULL, 0), BENCHY_OK);
  cfg.seed = 78;
  assert_int_equal(dataset_synthesize(&c, &cfg, &tg, NULL, 0), BENCHY_OK);
  int differ = 0;
  for (size_t i = 0; i < a.n; i++) {
    assert_int_equal(a.items[i].input_tokens, b.items[i].input_tokens);
    assert_int_equal(a.items[i].output_len, b.items[i].output_len);
    assert_string_equal(a.items[i].prompt, b.items[i].prompt);
    if (a.items[i].input_tokens != c.items[i].input_tokens) differ = 1;
  }
  assert_true(differ);
  dataset_free(&a);
  dataset_free(&b);
  dataset_free(&c);
}

static void test_prefix_groups(void **state) {
  (void)state;
  int calls = 0;
  dataset_textgen tg = {&calls, fake_make};
  dataset_synth_config cfg = {DATASET_PREFIX, 400, 64, 16, 0, 256, 5, 3, 0};
  dataset d;
  assert_int_equal(dataset_synthesize(&d, &cfg, &tg, NULL, 0), BENCHY_OK);
  size_t per_group[5] = {0};
  char *ctx_of[5] = {0};
  for (size_t i = 0; i < d.n; i++) {
    const dataset_item *it = &d.items[i];
    assert_true(it->group >= 0 && it->group < 5);
    per_group[it->group]++;
    assert_non_null(it->system);
    assert_non_null(strstr(it->system, "len 256"));
    assert_int_equal(it->input_tokens, 256 + 64);
    /* One prefix per group, distinct across groups. */
    if (!ctx_of[it->group])
      ctx_of[it->group] = it->system;
    else
      assert_string_equal(ctx_of[it->group], it->system);
  }
  for (int g = 0; g < 5; g++) {
    assert_true(per_group[g] > 40); /* 80 expected each */
    for (int h = 0; h < g; h++) assert_string_not_equal(ctx_of[g], ctx_of[h]);
  }
  dataset_free(&d);

  cfg.num_groups = 0;
  char err[128];
  assert_int_equal(dataset_synthesize(&d, &cfg, &tg, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--num-groups"));
}

static void test_synth_error_frees(void **state) {
  (void)state;
  int calls = 0;
  dataset_textgen tg = {&calls, failing_make};
  dataset_synth_config cfg = {DATASET_RANDOM, 10, 10, 10, 0, 0, 0, 1, 0};
  dataset d;
  char err[128] = "";
  assert_int_equal(dataset_synthesize(&d, &cfg, &tg, err, sizeof err), BENCHY_ERR_HTTP);
  assert_string_equal(err, "tokenize failed");
  assert_int_equal(d.n, 0);
  assert_null(d.items);
}

/* ---- ShareGPT ---------------------------------------------------------- */

static const char *sharegpt_ok =
    "[\n"
    "  {\"id\": \"a\", \"conversations\": [\n"
    "    {\"from\": \"human\", \"value\": \"What is the capital of France?\"},\n"
    "    {\"from\": \"gpt\", \"value\": \"The capital of France is Paris, a city on the Seine.\"}\n"
    "  ]},\n"
    "  {\"id\": \"b\", \"conversations\": [\n"
    "    {\"from\": \"gpt\", \"value\": \"I start, so there is no prompt.\"}\n"
    "  ]},\n"
    "  {\"id\": \"c\", \"conversations\": [\n"
    "    {\"from\": \"system\", \"value\": \"be brief\"},\n"
    "    {\"from\": \"human\", \"value\": \"Name three colours.\"},\n"
    "    {\"from\": \"gpt\", \"value\": \"Red, green, blue.\"},\n"
    "    {\"from\": \"human\", \"value\": \"More?\"}\n"
    "  ]},\n"
    "  {\"id\": \"d\", \"conversations\": []}\n"
    "]\n";

static void test_sharegpt(void **state) {
  (void)state;
  const char *path = write_file("share.json", sharegpt_ok);
  dataset_file_config fc = {DATASET_SHAREGPT, path, 0, 128};
  dataset d;
  char err[512] = "";
  assert_int_equal(dataset_load_file(&d, &fc, err, sizeof err), BENCHY_OK);
  assert_int_equal(d.n, 2);
  assert_int_equal(d.skipped, 2);
  assert_string_equal(d.items[0].prompt, "What is the capital of France?");
  assert_int_equal(d.items[0].line, 2);
  /* 51 bytes of reply: 13 tokens by the byte estimate (> 11 words). */
  assert_int_equal(d.items[0].output_len, 13);
  assert_int_equal(d.items[0].input_exact, 0);
  assert_string_equal(d.items[1].prompt, "Name three colours.");
  assert_int_equal(d.items[1].line, 9);
  assert_int_equal(d.items[1].output_len, dataset_estimate_tokens("Red, green, blue."));
  assert_null(d.items[1].messages_json);
  dataset_free(&d);

  /* A fixed --output-len wins over the reply's length. */
  fc.fixed_output_len = 64;
  assert_int_equal(dataset_load_file(&d, &fc, err, sizeof err), BENCHY_OK);
  assert_int_equal(d.items[0].output_len, 64);
  assert_int_equal(d.items[1].output_len, 64);
  dataset_free(&d);
}

static void expect_error(int kind, const char *name, const char *text, int status,
                         const char *const *fragments) {
  const char *path = write_file(name, text);
  dataset_file_config fc = {kind, path, 0, 128};
  dataset d;
  char err[512] = "";
  int st = dataset_load_file(&d, &fc, err, sizeof err);
  if (st != status) fail_msg("%s: status %d, want %d (%s)", name, st, status, err);
  assert_non_null(strstr(err, path));
  for (const char *const *f = fragments; *f; f++)
    if (!strstr(err, *f)) fail_msg("%s: error '%s' lacks '%s'", name, err, *f);
  assert_int_equal(d.n, 0);
}

static void test_sharegpt_errors(void **state) {
  (void)state;
  expect_error(DATASET_SHAREGPT, "obj.json", "{\"conversations\": []}", BENCHY_ERR_INVALID,
               (const char *const[]){":1:", "'['", NULL});
  expect_error(DATASET_SHAREGPT, "noconv.json", "[\n  {\"id\": 1},\n  {\"id\": 2}\n]",
               BENCHY_ERR_INVALID, (const char *const[]){":2:", "entry 0", "\"conversations\"", "missing", NULL});
  expect_error(DATASET_SHAREGPT, "convobj.json", "[{\"conversations\": {}}]", BENCHY_ERR_INVALID,
               (const char *const[]){":1:", "not an array", NULL});
  expect_error(DATASET_SHAREGPT, "turn.json",
               "[\n{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"yo\"}]},\n"
               "{\"conversations\": [{\"from\": \"human\", \"value\": 5}]}\n]",
               BENCHY_ERR_INVALID, (const char *const[]){":3:", "entry 1", "turn 0", "\"value\"", NULL});
  expect_error(DATASET_SHAREGPT, "badjson.json",
               "[\n{\"conversations\": []},\n{\"conversations\": [\n{\"from\": \"human\",, }]}\n]",
               BENCHY_ERR_INVALID, (const char *const[]){":4:", "entry 1", "not valid JSON", NULL});
  expect_error(DATASET_SHAREGPT, "trunc.json",
               "[\n{\"conversations\": [{\"from\": \"human\", \"value\": \"hi\"}, {\"from\": \"gpt\", \"value\": \"yo\"}]},\n",
               BENCHY_ERR_INVALID, (const char *const[]){"not closed", NULL});
  expect_error(DATASET_SHAREGPT, "sep.json", "[{\"conversations\": []} {\"conversations\": []}]",
               BENCHY_ERR_INVALID, (const char *const[]){"expected ','", NULL});
  expect_error(DATASET_SHAREGPT, "empty.json", "[]", BENCHY_ERR_NOT_FOUND,
               (const char *const[]){"no usable entry", NULL});
  expect_error(DATASET_SHAREGPT, "useless.json",
               "[{\"conversations\": [{\"from\": \"gpt\", \"value\": \"x\"}]}]", BENCHY_ERR_NOT_FOUND,
               (const char *const[]){"1 skipped", NULL});

  dataset d;
  char err[512];
  dataset_file_config fc = {DATASET_SHAREGPT, "/nonexistent/benchy/share.json", 0, 0};
  assert_int_equal(dataset_load_file(&d, &fc, err, sizeof err), BENCHY_ERR_IO);
  assert_non_null(strstr(err, "/nonexistent/benchy/share.json"));
  dataset_file_config nopath = {DATASET_SHAREGPT, NULL, 0, 0};
  assert_int_equal(dataset_load_file(&d, &nopath, err, sizeof err), BENCHY_ERR_INVALID);
  assert_non_null(strstr(err, "--dataset-path"));
}

/* ---- JSONL ------------------------------------------------------------- */

static void test_jsonl(void **state) {
  (void)state;
  const char *path = write_file(
      "p.jsonl",
      "{\"prompt\": \"Tell me a joke.\"}\n"
      "\n"
      "{\"prompt\": \"Count to ten.\", \"output_len\": 40}\n"
      "{\"messages\": [{\"role\": \"system\", \"content\": \"terse\"}, {\"role\": \"user\", "
      "\"content\": \"Hi there\"}], \"max_tokens\": 7}\n"
      "   {\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a b c\"}]}]}\n");
  dataset_file_config fc = {DATASET_JSONL, path, 0, 128};
  dataset d;
  char err[512] = "";
  assert_int_equal(dataset_load_file(&d, &fc, err, sizeof err), BENCHY_OK);
  assert_int_equal(d.n, 4);
  assert_string_equal(d.items[0].prompt, "Tell me a joke.");
  assert_int_equal(d.items[0].output_len, 128); /* the default */
  assert_int_equal(d.items[0].line, 1);
  assert_int_equal(d.items[1].output_len, 40);
  assert_int_equal(d.items[1].line, 3);
  assert_null(d.items[2].prompt);
  assert_non_null(d.items[2].messages_json);
  assert_non_null(strstr(d.items[2].messages_json, "\"role\":\"system\""));
  assert_int_equal(d.items[2].output_len, 7);
  assert_int_equal(d.items[2].line, 4);
  assert_int_equal(d.items[3].input_tokens, 3);
  dataset_free(&d);

  /* No default: the server decides; a fixed length overrides every line. */
  fc.default_output_len = -1;
  assert_int_equal(dataset_load_file(&d, &fc, err, sizeof err), BENCHY_OK);
  assert_int_equal(d.items[0].output_len, -1);
  assert_int_equal(d.items[1].output_len, 40);
  dataset_free(&d);
  fc.fixed_output_len = 9;
  assert_int_equal(dataset_load_file(&d, &fc, err, sizeof err), BENCHY_OK);
  for (size_t i = 0; i < d.n; i++) assert_int_equal(d.items[i].output_len, 9);
  dataset_free(&d);
}

static void test_jsonl_errors(void **state) {
  (void)state;
  expect_error(DATASET_JSONL, "bad1.jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\",}\n",
               BENCHY_ERR_INVALID, (const char *const[]){":3:", "not valid JSON", "column", NULL});
  expect_error(DATASET_JSONL, "bad2.jsonl", "{\"prompt\": \"a\"}\n{\"text\": \"b\"}\n", BENCHY_ERR_INVALID,
               (const char *const[]){":2:", "\"prompt\"", "\"messages\"", NULL});
  expect_error(DATASET_JSONL, "bad3.jsonl", "{\"prompt\": \"a\", \"output_len\": -4}\n",
               BENCHY_ERR_INVALID, (const char *const[]){":1:", "\"output_len\"", "positive integer", NULL});
  expect_error(DATASET_JSONL, "bad4.jsonl", "{\"prompt\": \"a\", \"max_tokens\": 2.5}\n",
               BENCHY_ERR_INVALID, (const char *const[]){":1:", "\"max_tokens\"", NULL});
  expect_error(DATASET_JSONL, "bad5.jsonl", "\n\n{\"messages\": \"hello\"}\n", BENCHY_ERR_INVALID,
               (const char *const[]){":3:", "\"messages\" must be an array", NULL});
  expect_error(DATASET_JSONL, "bad6.jsonl", "{\"messages\": [{\"content\": \"x\"}]}\n",
               BENCHY_ERR_INVALID, (const char *const[]){":1:", "\"role\"", NULL});
  expect_error(DATASET_JSONL, "bad7.jsonl", "{\"prompt\": \"a\", \"messages\": []}\n",
               BENCHY_ERR_INVALID, (const char *const[]){":1:", "both", NULL});
  expect_error(DATASET_JSONL, "bad8.jsonl", "[1, 2]\n", BENCHY_ERR_INVALID,
               (const char *const[]){":1:", "not a JSON object", NULL});
  expect_error(DATASET_JSONL, "bad9.jsonl", "{\"prompt\": \"\"}\n", BENCHY_ERR_INVALID,
               (const char *const[]){":1:", "non-empty", NULL});
  expect_error(DATASET_JSONL, "bad10.jsonl", "{\"prompt\": \"a\"} {\"prompt\": \"b\"}\n",
               BENCHY_ERR_INVALID, (const char *const[]){":1:", "more than one", NULL});
  expect_error(DATASET_JSONL, "blank.jsonl", "\n\n", BENCHY_ERR_NOT_FOUND,
               (const char *const[]){"no prompts", NULL});
}

/* ---- picking and estimates --------------------------------------------- */

static void test_pick(void **state) {
  (void)state;
  dataset d = {0};
  d.n = 7;
  d.items = calloc(d.n, sizeof *d.items);
  const dataset_item *out[21], *again[21], *other[21];
  dataset_pick(&d, 5, 21, out);
  dataset_pick(&d, 5, 21, again);
  dataset_pick(&d, 6, 21, other);
  int differ = 0;
  for (size_t pass = 0; pass < 3; pass++) {
    int seen[7] = {0};
    for (size_t i = 0; i < 7; i++) seen[out[pass * 7 + i] - d.items]++;
    for (size_t i = 0; i < 7; i++) assert_int_equal(seen[i], 1); /* each once per pass */
  }
  for (size_t i = 0; i < 21; i++) {
    assert_ptr_equal(out[i], again[i]);
    if (out[i] != other[i]) differ = 1;
  }
  assert_true(differ);
  free(d.items);
}

static void test_estimate_and_names(void **state) {
  (void)state;
  assert_int_equal(dataset_estimate_tokens(""), 0);
  assert_int_equal(dataset_estimate_tokens("a b c d e"), 5);      /* words win */
  assert_int_equal(dataset_estimate_tokens("abcdefghijklmnop"), 4); /* bytes / 4 */
  assert_int_equal(dataset_kind_from_name("sharegpt"), DATASET_SHAREGPT);
  assert_int_equal(dataset_kind_from_name("csv"), -1);
  assert_string_equal(dataset_kind_name(DATASET_PREFIX), "prefix");
  uint64_t rng = 1;
  for (int i = 0; i < 100; i++) {
    int64_t v = dataset_draw_len(&rng, 3, 0.9);
    assert_true(v >= 1 && v <= 5);
  }
  assert_int_equal(dataset_draw_len(&rng, 10, 0), 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_random_lengths),   cmocka_unit_test(test_random_is_seeded),
      cmocka_unit_test(test_prefix_groups),    cmocka_unit_test(test_synth_error_frees),
      cmocka_unit_test(test_sharegpt),         cmocka_unit_test(test_sharegpt_errors),
      cmocka_unit_test(test_jsonl),            cmocka_unit_test(test_jsonl_errors),
      cmocka_unit_test(test_pick),             cmocka_unit_test(test_estimate_and_names),
  };
  return cmocka_run_group_tests(tests, test_tmpdir_setup, test_tmpdir_teardown);
}
