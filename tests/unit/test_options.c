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

/* Every row is well formed: unique names, aliases that point at a real
 * option of the same type, and defaults that the option itself accepts. */
static void test_table_is_consistent(void **state) {
  (void)state;
  size_t n = benchy_option_count();
  assert_true(n > 50);
  assert_null(benchy_option_at(n));
  for (size_t i = 0; i < n; i++) {
    const benchy_option_info *o = benchy_option_at(i);
    assert_non_null(o);
    assert_ptr_equal(benchy_option_find(o->name), o);
    for (size_t j = i + 1; j < n; j++) assert_string_not_equal(o->name, benchy_option_at(j)->name);
    assert_true(o->help && o->help[0]);
    if (o->flags & BENCHY_OPTF_ALIAS) {
      const benchy_option_info *target = benchy_option_find(o->alias_of);
      assert_non_null(target);
      assert_int_equal(target->type, o->type);
    }
    if (!o->default_value) continue;
    for (size_t c = 0; c < sizeof all_commands / sizeof all_commands[0]; c++) {
      if (!(o->commands & all_commands[c])) continue;
      benchy_options *opts = NULL;
      assert_int_equal(benchy_options_new(&opts, all_commands[c]), BENCHY_OK);
      if (benchy_options_set(opts, o->name, o->default_value) != BENCHY_OK)
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
  assert_non_null(strstr(benchy_options_error(o), "'pp' for this command"));
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table_is_consistent),
      cmocka_unit_test(test_values_of_each_type),
      cmocka_unit_test(test_errors_name_the_option),
      cmocka_unit_test(test_help_lists_the_command_options),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
