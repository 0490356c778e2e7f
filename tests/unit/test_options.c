/*
 * test_options.c — the option table and benchy_options, through the public
 * API that the CLI (and later Lua and Python) are thin layers over.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <benchy/benchy.h>

static const unsigned all_commands[] = {BENCHY_CMD_SIM, BENCHY_CMD_BENCH, BENCHY_CMD_LOAD};

/* Every row is well formed: unique names (but rows that a value's shape or
 * the command tells apart), aliases that point at a real option of the same
 * type, and defaults that the option itself accepts. */
static void test_table_is_consistent(void **state) {
  (void)state;
  size_t n = benchy_option_count();
  assert_true(n > 50);
  assert_null(benchy_option_at(n));
  for (size_t i = 0; i < n; i++) {
    const benchy_option_info *o = benchy_option_at(i);
    assert_non_null(o);
    for (size_t c = 0; c < sizeof all_commands / sizeof all_commands[0]; c++) {
      if (!(o->commands & all_commands[c])) continue;
      const char *shape = o->flags & BENCHY_OPTF_IF_PATH ? "/a/path" : NULL;
      assert_ptr_equal(benchy_option_find_for(o->name, all_commands[c], shape), o);
    }
    for (size_t j = i + 1; j < n; j++) {
      const benchy_option_info *other = benchy_option_at(j);
      if (strcmp(o->name, other->name)) continue;
      /* The same name twice: for different commands, or exactly one of the
       * two takes paths. */
      if (!(o->commands & other->commands)) continue;
      assert_true(!(o->flags & BENCHY_OPTF_IF_PATH) != !(other->flags & BENCHY_OPTF_IF_PATH));
    }
    assert_true(o->help && o->help[0]);
    if (o->flags & BENCHY_OPTF_ALIAS) {
      const benchy_option_info *target = benchy_option_find(o->alias_of);
      assert_non_null(target);
      assert_int_equal(target->type, o->type);
    }
    if (!o->default_value) continue;
    for (size_t c = 0; c < sizeof all_commands / sizeof all_commands[0]; c++) {
      if (!(o->commands & all_commands[c])) continue;
      char def[256];
      /* A per-command default names each command it is for. */
      assert_true(benchy_option_default_for(o, all_commands[c], def, sizeof def));
      benchy_options *opts = NULL;
      assert_int_equal(benchy_options_new(&opts, all_commands[c]), BENCHY_OK);
      if (benchy_options_set(opts, o->name, def) != BENCHY_OK)
        fail_msg("default of --%s rejected: %s", o->name, benchy_options_error(opts));
      benchy_options_free(opts);
    }
  }
  assert_null(benchy_option_find("no-such-option"));
  /* '-' and '_' alike. */
  assert_ptr_equal(benchy_option_find("decode_tps"), benchy_option_find("decode-tps"));
}

static void test_values_of_each_type(void **state) {
  (void)state;
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_BENCH), BENCHY_OK);
  assert_int_equal(benchy_options_command(o), BENCHY_CMD_BENCH);
  /* Defaults are readable before anything is set. */
  assert_false(benchy_options_is_set(o, "pp"));
  assert_int_equal(benchy_options_list_len(o, "pp"), 1);
  assert_int_equal(benchy_options_list_int(o, "pp", 0), 512);
  assert_int_equal(benchy_options_int(o, "seed"), 1);
  assert_string_equal(benchy_options_str(o, "format"), "md");
  /* Lists by commas or spaces; an alias sets its target. */
  assert_int_equal(benchy_options_set(o, "prompt_length", "64, 128 4096"), BENCHY_OK);
  assert_true(benchy_options_is_set(o, "pp"));
  assert_int_equal(benchy_options_list_len(o, "pp"), 3);
  assert_int_equal(benchy_options_list_int(o, "pp", 2), 4096);
  assert_int_equal(benchy_options_list_int(o, "pp", 3), 0); /* past the end */
  assert_int_equal(benchy_options_set(o, "percentiles", "50,99.9"), BENCHY_OK);
  assert_true(fabs(benchy_options_list_double(o, "percentiles", 1) - 99.9) < 1e-12);
  /* Flags, and a repeatable string list that appends. */
  assert_int_equal(benchy_options_set(o, "raw", NULL), BENCHY_OK);
  assert_true(benchy_options_flag(o, "raw"));
  assert_int_equal(benchy_options_set(o, "raw", "no"), BENCHY_OK);
  assert_false(benchy_options_flag(o, "raw"));
  assert_int_equal(benchy_options_set(o, "header", "A: 1"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "header", "B: 2"), BENCHY_OK);
  assert_int_equal(benchy_options_list_len(o, "header"), 2);
  assert_string_equal(benchy_options_list_str(o, "header", 1), "B: 2");
  assert_null(benchy_options_list_str(o, "header", 2));

  /* A copy is independent of its source. */
  benchy_options *copy = NULL;
  assert_int_equal(benchy_options_copy(&copy, o), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "pp", "1"), BENCHY_OK);
  assert_int_equal(benchy_options_list_len(copy, "pp"), 3);
  assert_int_equal(benchy_options_list_len(copy, "header"), 2);
  benchy_options_free(copy);
  benchy_options_free(o);
}

/* Each rejection names the option and what it takes, and changes nothing. */
static void test_errors_name_the_option(void **state) {
  (void)state;
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_SIM), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "decode-tps", "fast"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "decode-tps"));
  assert_int_equal(benchy_options_set(o, "decode-tps", "0"), BENCHY_ERR_INVALID); /* below its minimum */
  assert_non_null(strstr(benchy_options_error(o), "decode-tps"));
  assert_false(benchy_options_is_set(o, "decode-tps"));
  assert_true(fabs(benchy_options_double(o, "decode-tps") - 100) < 1e-12);
  assert_int_equal(benchy_options_set(o, "flavour", "tgi"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "llama"));
  /* An option of another command, and one that does not exist. */
  assert_int_equal(benchy_options_set(o, "pp", "512"), BENCHY_ERR_NOT_FOUND);
  assert_non_null(strstr(benchy_options_error(o), "'--pp' for this command"));
  assert_int_equal(benchy_options_set(o, "nonsense", "1"), BENCHY_ERR_NOT_FOUND);
  assert_non_null(strstr(benchy_options_error(o), "nonsense"));
  benchy_options_free(o);
}

static void test_help_lists_the_command_options(void **state) {
  (void)state;
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  benchy_options_write_help(BENCHY_CMD_SIM, f, 100);
  fclose(f);
  assert_non_null(strstr(text, "--decode-tps"));
  assert_non_null(strstr(text, "--reuse-port"));
  assert_null(strstr(text, "--pp ")); /* a bench option */
  free(text);
}

static char *option_text(benchy_options *o, const char *name) {
  const char *s = benchy_options_str(o, name);
  return s ? (char *)s : "(null)";
}

/* vllm bench serve's --host/--port, for clients, build the base URL; the
 * simulator's --host/--port stay its own. */
static void test_host_and_port_build_the_url(void **state) {
  (void)state;
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "host", "10.0.0.2"), BENCHY_OK);
  assert_string_equal(option_text(o, "base-url"), "http://10.0.0.2:8090/v1");
  assert_int_equal(benchy_options_set(o, "port", "8000"), BENCHY_OK);
  assert_string_equal(option_text(o, "base-url"), "http://10.0.0.2:8000/v1");
  assert_int_equal(benchy_options_int(o, "port"), 8000);
  assert_int_equal(benchy_options_set(o, "host", "::1"), BENCHY_OK);
  assert_string_equal(option_text(o, "base-url"), "http://[::1]:8000/v1");
  assert_int_equal(benchy_options_set(o, "port", "8001"), BENCHY_OK);
  assert_string_equal(option_text(o, "base-url"), "http://[::1]:8001/v1");
  assert_int_equal(benchy_options_set(o, "port", "http"), BENCHY_ERR_INVALID);
  assert_string_equal(option_text(o, "base-url"), "http://[::1]:8001/v1");
  assert_int_equal(benchy_options_set(o, "base-url", "https://u:pw@gpu:9000/api/v1"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "host", "gpu2"), BENCHY_OK);
  assert_string_equal(option_text(o, "base-url"), "https://u:pw@gpu2:9000/api/v1");
  benchy_options_free(o);

  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_SIM), BENCHY_OK);
  assert_string_equal(option_text(o, "host"), "127.0.0.1");
  assert_int_equal(benchy_options_set(o, "port", "0"), BENCHY_OK); /* any free port: sim only */
  assert_int_equal(benchy_options_int(o, "port"), 0);
  benchy_options_free(o);
}

/* The one rule for base URLs: a server root (vllm bench serve's --base-url,
 * llama-benchy's --endpoint URL) gets the API path /v1; a URL with a path is
 * taken as given. */
static void test_base_url_root_gets_v1(void **state) {
  (void)state;
  static const char *const cases[][2] = {
      {"http://h:8000", "http://h:8000/v1"},        {"http://h:8000/", "http://h:8000/v1"},
      {"https://h", "https://h/v1"},                {"http://h:8000/v1", "http://h:8000/v1"},
      {"http://h:8000/api/v1", "http://h:8000/api/v1"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    for (int via_endpoint = 0; via_endpoint < 2; via_endpoint++) {
      benchy_options *o = NULL;
      assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
      assert_int_equal(benchy_options_set(o, via_endpoint ? "endpoint" : "base-url", cases[i][0]),
                       BENCHY_OK);
      assert_string_equal(option_text(o, "base-url"), cases[i][1]);
      benchy_options_free(o);
    }
  }
}

/* vLLM's --endpoint is a path selecting the API; llama-benchy's is a URL.
 * The value's shape picks the row. */
static void test_endpoint_shape_picks_the_meaning(void **state) {
  (void)state;
  const benchy_option_info *path_row = benchy_option_find_for("endpoint", BENCHY_CMD_LOAD, "/v1/completions");
  const benchy_option_info *url_row = benchy_option_find_for("--endpoint", BENCHY_CMD_LOAD, "http://h:1");
  assert_non_null(path_row);
  assert_non_null(url_row);
  assert_true(path_row->flags & BENCHY_OPTF_IF_PATH);
  assert_false(url_row->flags & BENCHY_OPTF_IF_PATH);
  assert_null(benchy_option_find_for("endpoint", BENCHY_CMD_SIM, "/v1/completions"));

  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "endpoint", "/v1/completions"), BENCHY_OK);
  assert_string_equal(option_text(o, "api"), "completions");
  assert_string_equal(option_text(o, "base-url"), "http://127.0.0.1:8090/v1"); /* untouched */
  assert_int_equal(benchy_options_set(o, "endpoint", "/v1/chat/completions"), BENCHY_OK);
  assert_string_equal(option_text(o, "api"), "chat");
  assert_int_equal(benchy_options_set(o, "endpoint", "/v1/embeddings"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "/v1/chat/completions"));
  assert_string_equal(option_text(o, "api"), "chat"); /* a refused value loses nothing */
  assert_int_equal(benchy_options_set(o, "endpoint", "http://10.0.0.2:8080"), BENCHY_OK);
  assert_string_equal(option_text(o, "base-url"), "http://10.0.0.2:8080/v1");
  benchy_options_free(o);
}

/* Alias rows with a value map, and short flags. */
static void test_aliases_map_values(void **state) {
  (void)state;
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "backend", "openai-chat"), BENCHY_OK);
  assert_string_equal(option_text(o, "api"), "chat");
  assert_int_equal(benchy_options_set(o, "backend", "vllm"), BENCHY_OK);
  assert_string_equal(option_text(o, "api"), "completions");
  assert_int_equal(benchy_options_set(o, "backend", "tgi"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "openai-chat"));
  assert_int_equal(benchy_options_set(o, "dataset-name", "custom"), BENCHY_OK);
  assert_string_equal(option_text(o, "dataset"), "jsonl");
  assert_int_equal(benchy_options_set(o, "dataset-name", "prefix_repetition"), BENCHY_OK);
  assert_string_equal(option_text(o, "dataset"), "prefix");
  assert_int_equal(benchy_options_set(o, "dataset-name", "sonnet"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "sharegpt"));
  assert_int_equal(benchy_options_set(o, "random-input-len", "64"), BENCHY_OK);
  assert_int_equal(benchy_options_int(o, "input-len"), 64);
  assert_int_equal(benchy_options_set(o, "metric-percentiles", "50,99"), BENCHY_OK);
  assert_int_equal(benchy_options_list_len(o, "percentiles"), 2);
  assert_int_equal(benchy_options_set(o, "label", "x"), BENCHY_OK);
  assert_string_equal(option_text(o, "name"), "x");
  assert_int_equal(benchy_options_set(o, "o", "csv"), BENCHY_OK);
  assert_string_equal(option_text(o, "format"), "csv");
  assert_int_equal(benchy_options_set(o, "p", "512"), BENCHY_ERR_NOT_FOUND); /* bench's -p */
  benchy_options_free(o);

  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_BENCH), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "-p", "512,2048"), BENCHY_OK);
  assert_int_equal(benchy_options_list_len(o, "pp"), 2);
  assert_int_equal(benchy_options_list_int(o, "pp", 1), 2048);
  assert_int_equal(benchy_options_set(o, "n", "32"), BENCHY_OK);
  assert_int_equal(benchy_options_list_int(o, "tg", 0), 32);
  assert_int_equal(benchy_options_set(o, "d", "0,4096"), BENCHY_OK);
  assert_int_equal(benchy_options_list_int(o, "depth", 1), 4096);
  assert_int_equal(benchy_options_set(o, "r", "3"), BENCHY_OK);
  assert_int_equal(benchy_options_int(o, "runs"), 3);
  assert_int_equal(benchy_options_set(o, "m", "llama"), BENCHY_OK);
  assert_string_equal(option_text(o, "model"), "llama");
  benchy_options_free(o);
}

static void test_value_shapes(void **state) {
  (void)state;
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  /* --save-result alone is vLLM's flag: set, with no file named. */
  assert_false(benchy_options_is_set(o, "save-result"));
  assert_int_equal(benchy_options_set(o, "save-result", NULL), BENCHY_OK);
  assert_true(benchy_options_is_set(o, "save-result"));
  assert_string_equal(option_text(o, "save-result"), "");
  assert_int_equal(benchy_options_set(o, "save-result", "out.json"), BENCHY_OK);
  assert_string_equal(option_text(o, "save-result"), "out.json");
  /* --metadata: KEY=VALUE, secret-looking values never stored. */
  assert_int_equal(benchy_options_set(o, "metadata", "gpu=H200"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "metadata", "HF_TOKEN=hf_abc"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "metadata", "db_password=pw"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "metadata", "authz=x"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "metadata", "no-equals"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "KEY=VALUE"));
  assert_int_equal(benchy_options_list_len(o, "metadata"), 4);
  assert_string_equal(benchy_options_list_str(o, "metadata", 0), "gpu=H200");
  assert_string_equal(benchy_options_list_str(o, "metadata", 1), "HF_TOKEN=[redacted]");
  assert_string_equal(benchy_options_list_str(o, "metadata", 2), "db_password=[redacted]");
  assert_string_equal(benchy_options_list_str(o, "metadata", 3), "authz=[redacted]");
  /* A STRING with choices takes a comma list of them. */
  assert_int_equal(benchy_options_set(o, "percentile-metrics", "ttft,itl"), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "percentile-metrics", "ttft,goodput"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "'goodput'"));
  assert_string_equal(option_text(o, "percentile-metrics"), "ttft,itl");
  benchy_options_free(o);
}

static void test_unknown_option_suggests_nearest(void **state) {
  (void)state;
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "reqest-rate", "5"), BENCHY_ERR_NOT_FOUND);
  assert_non_null(strstr(benchy_options_error(o), "did you mean --request-rate?"));
  assert_int_equal(benchy_options_set(o, "random_input_length", "5"), BENCHY_ERR_NOT_FOUND);
  assert_non_null(strstr(benchy_options_error(o), "did you mean --random-input-len?"));
  assert_int_equal(benchy_options_set(o, "xylophone", "5"), BENCHY_ERR_NOT_FOUND);
  assert_null(strstr(benchy_options_error(o), "did you mean"));
  benchy_options_free(o);
  /* Only the command's own options are suggested: --decode-tps is sim's. */
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_BENCH), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "decode-tp", "5"), BENCHY_ERR_NOT_FOUND);
  assert_null(strstr(benchy_options_error(o), "decode-tps"));
  benchy_options_free(o);
}

static char *help_of(unsigned command) {
  char *text = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&text, &len);
  assert_non_null(f);
  benchy_options_write_help(command, f, 100);
  fclose(f);
  return text;
}

/* Every choice option lists its choices; shared options sit under the
 * helped command's heading, never another command's. */
static void test_help_headings_and_choices(void **state) {
  (void)state;
  static const unsigned commands[] = {BENCHY_CMD_SIM, BENCHY_CMD_BENCH, BENCHY_CMD_LOAD};
  static const char *const names[] = {"sim", "bench", "load"};
  for (size_t c = 0; c < 3; c++) {
    char *text = help_of(commands[c]);
    /* Wrapped lines: a choice list may continue on the next line. */
    char *flat = strdup(text);
    assert_non_null(flat);
    size_t w = 0;
    for (size_t r = 0; text[r]; r++) {
      int space = text[r] == ' ' || text[r] == '\n';
      if (space && w && flat[w - 1] == ' ') continue;
      flat[w++] = space ? ' ' : text[r];
    }
    flat[w] = '\0';
    for (size_t other = 0; other < 3; other++) {
      if (other == c) continue;
      char heading[32];
      snprintf(heading, sizeof heading, "\n%s options:", names[other]);
      if (strstr(text, heading)) fail_msg("%s --help has a '%s options' heading", names[c], names[other]);
    }
    for (size_t i = 0; i < benchy_option_count(); i++) {
      const benchy_option_info *info = benchy_option_at(i);
      if (!(info->commands & commands[c]) || !info->choices || (info->flags & BENCHY_OPTF_HIDDEN)) continue;
      const char *bar = strchr(info->choices, '|');
      const char *eq = strchr(info->choices, '=');
      size_t first = (size_t)((eq && (!bar || eq < bar) ? eq : bar) - info->choices);
      char want[160];
      snprintf(want, sizeof want, "[choices: %.*s, ", (int)first, info->choices);
      if (!strstr(flat, want)) fail_msg("%s --help does not list --%s's choices", names[c], info->name);
    }
    free(flat);
    free(text);
  }
  char *load = help_of(BENCHY_CMD_LOAD);
  assert_non_null(strstr(load, "[choices: poisson, gamma, constant]"));
  assert_non_null(strstr(load, "  --save-result [FILE]"));
  assert_non_null(strstr(load, "  --endpoint PATH"));
  free(load);
  char *bench = help_of(BENCHY_CMD_BENCH);
  assert_non_null(strstr(bench, "\n  -p N[,N...]"));
  free(bench);
}

/* What identifies a run is the table's word: output-only, secret and alias
 * rows do not; what is measured does. */
static void test_identifying_options(void **state) {
  (void)state;
  const char *const output_only[] = {"jsonl", "format", "save-result", "result-dir", "quiet",
                                     "threads", "max-failure-rate", "metadata", "resume", "raw"};
  for (size_t i = 0; i < sizeof output_only / sizeof output_only[0]; i++) {
    const benchy_option_info *info = benchy_option_find_for(output_only[i], BENCHY_CMD_LOAD, NULL);
    assert_non_null(info);
    if (benchy_option_identifies_run(info)) fail_msg("--%s identifies a run", output_only[i]);
  }
  assert_false(benchy_option_identifies_run(benchy_option_find_for("prompt-nonce", BENCHY_CMD_LOAD, NULL)));
  assert_false(benchy_option_identifies_run(benchy_option_find_for("api-key", BENCHY_CMD_LOAD, NULL)));
  assert_false(benchy_option_identifies_run(benchy_option_find_for("p", BENCHY_CMD_BENCH, NULL)));
  const char *const identifying[] = {"pp", "tg", "runs", "seed", "api", "request-rate", "num-prompts",
                                     "stddev", "base-url"};
  for (size_t i = 0; i < sizeof identifying / sizeof identifying[0]; i++) {
    const benchy_option_info *info = benchy_option_find(identifying[i]);
    assert_non_null(info);
    if (!benchy_option_identifies_run(info)) fail_msg("--%s does not identify a run", identifying[i]);
  }
  assert_false(benchy_option_identifies_run(NULL));

  /* The identifying JSON holds exactly the identifying options. */
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  assert_int_equal(benchy_options_set(o, "jsonl", "/tmp/x.jsonl"), BENCHY_OK);
  char *all = benchy_options_to_json(o, BENCHY_OPTIONS_JSON_ALL);
  char *ident = benchy_options_to_json(o, BENCHY_OPTIONS_JSON_IDENTIFYING);
  assert_non_null(all);
  assert_non_null(ident);
  assert_non_null(strstr(all, "\"jsonl\":\"/tmp/x.jsonl\""));
  assert_null(strstr(ident, "\"jsonl\""));
  assert_null(strstr(ident, "\"format\""));
  assert_non_null(strstr(ident, "\"num-prompts\":100"));
  free(all);
  free(ident);
  benchy_options_free(o);
}

/* Secrets never reach the JSON: the API key not at all, header values
 * dropped (names kept), a URL's user:password@ dropped, secret-looking
 * --metadata values redacted. */
static void test_to_json_leaves_secrets_out(void **state) {
  (void)state;
  const unsigned commands[] = {BENCHY_CMD_BENCH, BENCHY_CMD_LOAD};
  for (size_t c = 0; c < 2; c++) {
    benchy_options *o = NULL;
    assert_int_equal(benchy_options_new(&o, commands[c]), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "api-key", "sk-verysecret1"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "header", "X-Token: hdrsecret2"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "base-url", "http://user:pwsecret3@h:1/v1"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "metadata", "hf_token=mdsecret4"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "metadata", "gpu=H200"), BENCHY_OK);
    /* The key is held, for the session that sends it. */
    assert_string_equal(benchy_options_str(o, "api-key"), "sk-verysecret1");
    for (unsigned what = 0; what < 2; what++) {
      char *json = benchy_options_to_json(o, what);
      assert_non_null(json);
      const char *const secrets[] = {"verysecret1", "hdrsecret2", "pwsecret3", "mdsecret4", "\"api-key\""};
      for (size_t s = 0; s < sizeof secrets / sizeof secrets[0]; s++)
        if (strstr(json, secrets[s])) fail_msg("%s in %s", secrets[s], json);
      assert_non_null(strstr(json, "\"header\":[\"X-Token\"]"));
      assert_non_null(strstr(json, "\"base-url\":\"http://h:1/v1\""));
      if (what == BENCHY_OPTIONS_JSON_ALL) assert_non_null(strstr(json, "gpu=H200"));
      free(json);
    }
    benchy_options_free(o);
  }
  assert_null(benchy_options_to_json(NULL, BENCHY_OPTIONS_JSON_ALL));
}

/* --api-key wins over --api-key-env, and the scrubber knows both, for the
 * simulator's --api-key as for a client's. */
static void test_api_key_given_directly(void **state) {
  (void)state;
  const benchy_option_info *client = benchy_option_find_for("api-key", BENCHY_CMD_BENCH, NULL);
  const benchy_option_info *sim = benchy_option_find_for("api-key", BENCHY_CMD_SIM, NULL);
  assert_non_null(client);
  assert_non_null(sim);
  assert_ptr_not_equal(client, sim);
  assert_true(client->flags & BENCHY_OPTF_SECRET);
  assert_true(sim->flags & BENCHY_OPTF_SECRET);
  setenv("BENCHY_TEST_KEY_ENV", "sk-fromenv5678", 1);
  const unsigned commands[] = {BENCHY_CMD_BENCH, BENCHY_CMD_LOAD, BENCHY_CMD_SIM};
  for (size_t c = 0; c < 3; c++) {
    benchy_options *o = NULL;
    assert_int_equal(benchy_options_new(&o, commands[c]), BENCHY_OK);
    if (commands[c] != BENCHY_CMD_SIM)
      assert_int_equal(benchy_options_set(o, "api-key-env", "BENCHY_TEST_KEY_ENV"), BENCHY_OK);
    assert_int_equal(benchy_options_set(o, "api-key", "sk-given1234"), BENCHY_OK);
    char text[256] = "server said: bad key sk-given1234 (env sk-fromenv5678)";
    assert_int_equal(benchy_options_scrub(o, text, sizeof text), BENCHY_OK);
    assert_null(strstr(text, "sk-given1234"));
    if (commands[c] != BENCHY_CMD_SIM) {
      /* The variable's key is not the one sent when --api-key is given. */
      assert_non_null(strstr(text, "sk-fromenv5678"));
    }
    benchy_options_free(o);
  }
  unsetenv("BENCHY_TEST_KEY_ENV");
}

/* One row, a default per command: bench's sample stddev, load's population. */
static void test_per_command_default(void **state) {
  (void)state;
  const benchy_option_info *sd = benchy_option_find("stddev");
  char def[64];
  assert_true(benchy_option_default_for(sd, BENCHY_CMD_BENCH, def, sizeof def));
  assert_string_equal(def, "sample");
  assert_true(benchy_option_default_for(sd, BENCHY_CMD_LOAD, def, sizeof def));
  assert_string_equal(def, "population");
  assert_false(benchy_option_default_for(sd, BENCHY_CMD_SIM, def, sizeof def));
  /* A plain default is the same for every command. */
  assert_true(benchy_option_default_for(benchy_option_find("seed"), BENCHY_CMD_SIM, def, sizeof def));
  assert_string_equal(def, "1");
  benchy_options *b = NULL, *l = NULL;
  assert_int_equal(benchy_options_new(&b, BENCHY_CMD_BENCH), BENCHY_OK);
  assert_int_equal(benchy_options_new(&l, BENCHY_CMD_LOAD), BENCHY_OK);
  assert_string_equal(benchy_options_str(b, "stddev"), "sample");
  assert_string_equal(benchy_options_str(l, "stddev"), "population");
  assert_false(benchy_options_is_set(b, "stddev"));
  assert_int_equal(benchy_options_set(l, "stddev", "sample"), BENCHY_OK);
  assert_string_equal(benchy_options_str(l, "stddev"), "sample");
  benchy_options_free(b);
  benchy_options_free(l);
  /* --help says each command's own default. */
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  benchy_options_write_help(BENCHY_CMD_LOAD, f, 4000);
  fclose(f);
  const char *at = strstr(buf, "--stddev");
  assert_non_null(at);
  const char *eol = strchr(at, '\n');
  assert_non_null(eol);
  char line[2048];
  snprintf(line, sizeof line, "%.*s", (int)(eol - at), at);
  assert_non_null(strstr(line, "[default: population]"));
  free(buf);
}

/* A list of doubles that takes inf: numbers for every front end, inf as
 * INFINITY, bounds kept for the finite ones. */
static void test_inf_lists(void **state) {
  (void)state;
  const benchy_option_info *rr = benchy_option_find("request-rate");
  assert_int_equal(rr->type, BENCHY_OPT_DOUBLE_LIST);
  assert_true(rr->flags & BENCHY_OPTF_INF);
  benchy_options *o = NULL;
  assert_int_equal(benchy_options_new(&o, BENCHY_CMD_LOAD), BENCHY_OK);
  assert_int_equal(benchy_options_list_len(o, "request-rate"), 1);
  assert_true(isinf(benchy_options_list_double(o, "request-rate", 0)));
  assert_int_equal(benchy_options_set(o, "request_rate", "2, 0.5,inf"), BENCHY_OK);
  assert_int_equal(benchy_options_list_len(o, "request-rate"), 3);
  assert_true(benchy_options_list_double(o, "request-rate", 0) == 2.0);
  assert_true(benchy_options_list_double(o, "request-rate", 1) == 0.5);
  assert_true(isinf(benchy_options_list_double(o, "request-rate", 2)));
  char *json = benchy_options_to_json(o, BENCHY_OPTIONS_JSON_ALL);
  assert_non_null(strstr(json, "\"request-rate\":[2,0.5,\"inf\"]"));
  free(json);
  assert_int_equal(benchy_options_set(o, "request-rate", "fast"), BENCHY_ERR_INVALID);
  assert_non_null(strstr(benchy_options_error(o), "--request-rate"));
  assert_non_null(strstr(benchy_options_error(o), "inf"));
  assert_int_equal(benchy_options_set(o, "request-rate", "0"), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_options_set(o, "request-rate", "-inf"), BENCHY_ERR_INVALID);
  /* The value before a refused one stays. */
  assert_int_equal(benchy_options_list_len(o, "request-rate"), 3);
  /* A list without the flag still refuses inf. */
  assert_int_equal(benchy_options_set(o, "percentiles", "50,inf"), BENCHY_ERR_INVALID);
  benchy_options_free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_is_consistent),
      cmocka_unit_test(test_values_of_each_type),
      cmocka_unit_test(test_errors_name_the_option),
      cmocka_unit_test(test_help_lists_the_command_options),
      cmocka_unit_test(test_base_url_root_gets_v1),
      cmocka_unit_test(test_host_and_port_build_the_url),
      cmocka_unit_test(test_endpoint_shape_picks_the_meaning),
      cmocka_unit_test(test_aliases_map_values),
      cmocka_unit_test(test_value_shapes),
      cmocka_unit_test(test_unknown_option_suggests_nearest),
      cmocka_unit_test(test_help_headings_and_choices),
      cmocka_unit_test(test_identifying_options),
      cmocka_unit_test(test_to_json_leaves_secrets_out),
      cmocka_unit_test(test_api_key_given_directly),
      cmocka_unit_test(test_per_command_default),
      cmocka_unit_test(test_inf_lists),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
