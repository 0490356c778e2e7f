/*
 * test_json_print.c — results and JSONL lines carry every number as the
 * exact double computed (report/json_print.h), where cJSON alone would
 * write 15 digits that are an ulp off; in any locale; without touching the
 * document.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cJSON.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/json_print.h"
#include "testutil.h"

/* 0.1 + 0.2 is one ulp above 0.3: cJSON writes "0.3", which reads back as
 * another double. */
static void test_an_ulp_is_kept(void **state) {
  (void)state;
  double sum = 0.1 + 0.2;
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddNumberToObject(doc, "x", sum);
  char *plain = cJSON_PrintUnformatted(doc);
  assert_string_equal(plain, "{\"x\":0.3}"); /* why this file exists */
  free(plain);
  char *text = json_print_exact(doc, 0);
  assert_non_null(text);
  cJSON *back = cJSON_Parse(text);
  assert_true(cJSON_GetObjectItem(back, "x")->valuedouble == sum);
  assert_non_null(strstr(text, "0.30000000000000004"));
  free(text);
  cJSON_Delete(back);
  /* The document itself still holds a number. */
  assert_true(cJSON_IsNumber(cJSON_GetObjectItem(doc, "x")));
  assert_true(cJSON_GetObjectItem(doc, "x")->valuedouble == sum);
  cJSON_Delete(doc);
}

/* Every kind of value, nested, pretty and not: numbers read back exactly,
 * the rest exactly as cJSON writes them. */
static void test_whole_documents(void **state) {
  (void)state;
  const double values[] = {0,      1,         -7,          1e300, 5e-324, 2.5,  1.0 / 3.0, 15.316908999999999,
                           123456789012345.6, 0.1 + 0.7, -2.0 / 3.0, 1e21, NAN,    INFINITY};
  const size_t n = sizeof values / sizeof values[0];
  cJSON *doc = cJSON_CreateObject();
  cJSON *arr = cJSON_AddArrayToObject(doc, "values");
  cJSON *nested = cJSON_AddObjectToObject(doc, "nested");
  for (size_t i = 0; i < n; i++) cJSON_AddItemToArray(arr, cJSON_CreateNumber(values[i]));
  cJSON_AddStringToObject(nested, "s", "text, with 0.3");
  cJSON_AddBoolToObject(nested, "b", 1);
  cJSON_AddNullToObject(nested, "z");
  cJSON_AddNumberToObject(nested, "deep", 2.0 / 3.0);
  for (int pretty = 0; pretty < 2; pretty++) {
    char *text = json_print_exact(doc, pretty);
    assert_non_null(text);
    cJSON *back = cJSON_Parse(text);
    assert_non_null(back);
    cJSON *got = cJSON_GetObjectItem(back, "values");
    assert_int_equal(cJSON_GetArraySize(got), (int)n);
    for (size_t i = 0; i < n; i++) {
      const cJSON *v = cJSON_GetArrayItem(got, (int)i);
      if (isfinite(values[i])) {
        if (!(cJSON_IsNumber(v) && v->valuedouble == values[i]))
          fail_msg("value %zu: %.17g came back as %.17g", i, values[i], v->valuedouble);
      } else {
        assert_true(cJSON_IsNull(v)); /* as cJSON writes a non-finite number */
      }
    }
    const cJSON *nb = cJSON_GetObjectItem(back, "nested");
    assert_string_equal(cJSON_GetObjectItem(nb, "s")->valuestring, "text, with 0.3");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(nb, "b")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(nb, "z")));
    assert_true(cJSON_GetObjectItem(nb, "deep")->valuedouble == 2.0 / 3.0);
    cJSON_Delete(back);
    free(text);
  }
  cJSON_Delete(doc);
}

/* Where cJSON's numbers are exact, the text is cJSON's byte for byte,
 * compact and pretty: the same escapes, tabs and spacing. */
static void test_text_is_cjsons(void **state) {
  (void)state;
  cJSON *doc = cJSON_CreateObject();
  cJSON_AddStringToObject(doc, "escapes", "q\"b\\s\b\f\n\r\t\x01\x1f end");
  cJSON_AddStringToObject(doc, "utf8", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac");
  cJSON_AddStringToObject(doc, "empty", "");
  cJSON_AddNullToObject(doc, "nothing");
  cJSON_AddTrueToObject(doc, "yes");
  cJSON_AddFalseToObject(doc, "no");
  cJSON_AddObjectToObject(doc, "empty_object");
  cJSON_AddArrayToObject(doc, "empty_array");
  const double numbers[] = {0,    -5,       2147483647, -2147483647, 2.5,     1e21,  1e-7, 15.316909, -0.001234,
                            0.001, 123456.5, 3e9,        999999999.999999, 1e15, -3.25, NAN};
  cJSON *arr = cJSON_AddArrayToObject(doc, "numbers");
  for (size_t i = 0; i < sizeof numbers / sizeof numbers[0]; i++)
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(numbers[i]));
  cJSON *rows = cJSON_AddArrayToObject(doc, "rows");
  for (int i = 0; i < 2; i++) {
    cJSON *row = cJSON_CreateObject();
    cJSON_AddNumberToObject(row, "i", i);
    cJSON *inner = cJSON_AddArrayToObject(row, "inner");
    cJSON_AddItemToArray(inner, cJSON_CreateObject());
    cJSON *deep = cJSON_CreateObject();
    cJSON_AddStringToObject(deep, "k", "v");
    cJSON_AddItemToArray(inner, deep);
    cJSON_AddItemToArray(rows, row);
  }
  cJSON_AddRawToObject(doc, "raw", "[1,2]");
  for (int pretty = 0; pretty < 2; pretty++) {
    char *want = pretty ? cJSON_Print(doc) : cJSON_PrintUnformatted(doc);
    char *got = json_print_exact(doc, pretty);
    assert_non_null(got);
    if (strcmp(got, want)) fail_msg("pretty %d:\n--- cJSON\n%s\n--- ours\n%s", pretty, want, got);
    free(want);
    free(got);
  }
  cJSON_Delete(doc);
}

/* Milliseconds converted from whole nanoseconds are written without
 * printf: the text must still be printf's, and read back exactly. */
static void test_milliseconds_from_nanoseconds(void **state) {
  (void)state;
  uint64_t x = 0x9e3779b97f4a7c15u;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    int64_t ns = (int64_t)(x % 1000000000000000u) >> (x % 40); /* every magnitude */
    double ms = (double)ns / 1e6 * (i % 2 ? -1 : 1);
    cJSON *n = cJSON_CreateNumber(ms);
    char *got = json_print_exact(n, 0);
    char *want = cJSON_PrintUnformatted(n);
    assert_non_null(got);
    if (strtod(got, NULL) != ms) fail_msg("%lld ns: wrote %s for %.17g", (long long)ns, got, ms);
    /* cJSON's 15 digits are exact for these, so the text is the same. */
    if (strcmp(got, want)) fail_msg("%lld ns: wrote %s, cJSON %s", (long long)ns, got, want);
    free(got);
    free(want);
    cJSON_Delete(n);
  }
}

/* Under a locale whose radix is ',' the text is still JSON. */
static void test_locale(void **state) {
  (void)state;
  locale_t loc = test_comma_locale();
  locale_t old = uselocale(loc);
  assert_string_equal(localeconv()->decimal_point, ",");
  cJSON *doc = cJSON_CreateArray();
  cJSON_AddItemToArray(doc, cJSON_CreateNumber(0.1 + 0.2));
  cJSON_AddItemToArray(doc, cJSON_CreateNumber(2.5));
  char *text = json_print_exact(doc, 0);
  uselocale(old);
  freelocale(loc);
  assert_non_null(text);
  assert_string_equal(text, "[0.30000000000000004,2.5]");
  free(text);
  cJSON_Delete(doc);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_an_ulp_is_kept),
      cmocka_unit_test(test_whole_documents),
      cmocka_unit_test(test_text_is_cjsons),
      cmocka_unit_test(test_milliseconds_from_nanoseconds),
      cmocka_unit_test(test_locale),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
