/*
 * test_json_scan.c — the pull scanner (proto/json_scan.c): walking,
 * skipping, every string escape, numbers (exactness, ranges, locale),
 * strict refusal of malformed and truncated input without reading past the
 * end.
 */
#include <locale.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto/json_scan.h"
#include "testutil.h"

#define S(lit) lit, sizeof(lit) - 1

/* Skips one whole document held in an exactly sized heap copy, so that ASan
 * reports any read past the end. */
static int valid_doc(const char *text, size_t len) {
  char *copy = malloc(len ? len : 1);
  memcpy(copy, text, len);
  json_scan s;
  json_scan_init(&s, copy, len);
  int ok = json_skip(&s) == 0 && json_scan_end(&s) == 0;
  free(copy);
  return ok;
}

/* Walks a document through the pull API only (begin/next and the typed
 * readers, never json_skip), so that its grammar checks are tested on their
 * own. Returns 0 or -1. */
static int pull_value(json_scan *s) {
  json_str str;
  int64_t i;
  double d;
  int b, r;
  switch (json_peek(s)) {
  case JSON_OBJECT:
    if (json_obj_begin(s) != 0) return -1;
    while ((r = json_obj_next(s, &str)) == 1)
      if (pull_value(s) != 0) return -1;
    return r;
  case JSON_ARRAY:
    if (json_arr_begin(s) != 0) return -1;
    while ((r = json_arr_next(s)) == 1)
      if (pull_value(s) != 0) return -1;
    return r;
  case JSON_STRING: return json_read_str(s, &str);
  case JSON_NUMBER: return (s->pos & 1) ? json_read_int64(s, &i) : json_read_double(s, &d);
  case JSON_TRUE:
  case JSON_FALSE: return json_read_bool(s, &b);
  case JSON_NULL: return json_read_null(s);
  default: return json_skip(s); /* whatever it is, fail the way skip does */
  }
}

static int valid_doc_pull(const char *text, size_t len) {
  char *copy = malloc(len ? len : 1);
  memcpy(copy, text, len);
  json_scan s;
  json_scan_init(&s, copy, len);
  int ok = pull_value(&s) == 0 && json_scan_end(&s) == 0;
  if (ok) assert_int_equal(s.depth, 0);
  free(copy);
  return ok;
}

static void test_walk_object(void **state) {
  (void)state;
  const char doc[] = " { \"a\" : 1 , \"b\":[true,false,null,\"x\",{\"c\":-2.5e1}],\"d\":{}, \"e\":[] } ";
  json_scan s;
  json_scan_init(&s, doc, sizeof doc - 1);
  assert_int_equal(json_peek(&s), JSON_OBJECT);
  assert_int_equal(json_obj_begin(&s), 0);
  json_str k;
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_true(JSON_STR_IS(&k, "a"));
  assert_int_equal(json_peek(&s), JSON_NUMBER);
  int64_t i;
  assert_int_equal(json_read_int64(&s, &i), 0);
  assert_int_equal(i, 1);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_true(JSON_STR_IS(&k, "b"));
  assert_int_equal(json_arr_begin(&s), 0);
  int b;
  assert_int_equal(json_arr_next(&s), 1);
  assert_int_equal(json_peek(&s), JSON_TRUE);
  assert_int_equal(json_read_bool(&s, &b), 0);
  assert_int_equal(b, 1);
  assert_int_equal(json_arr_next(&s), 1);
  assert_int_equal(json_peek(&s), JSON_FALSE);
  assert_int_equal(json_read_bool(&s, &b), 0);
  assert_int_equal(b, 0);
  assert_int_equal(json_arr_next(&s), 1);
  assert_int_equal(json_peek(&s), JSON_NULL);
  assert_int_equal(json_read_null(&s), 0);
  assert_int_equal(json_arr_next(&s), 1);
  json_str str;
  assert_int_equal(json_read_str(&s, &str), 0);
  assert_true(JSON_STR_IS(&str, "x"));
  assert_int_equal(json_arr_next(&s), 1);
  assert_int_equal(json_obj_begin(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_true(JSON_STR_IS(&k, "c"));
  double d;
  assert_int_equal(json_read_double(&s, &d), 0);
  assert_true(d == -25.0);
  assert_int_equal(json_obj_next(&s, &k), 0);
  assert_int_equal(json_arr_next(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_true(JSON_STR_IS(&k, "d"));
  assert_int_equal(json_obj_begin(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 0);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_true(JSON_STR_IS(&k, "e"));
  assert_int_equal(json_arr_begin(&s), 0);
  assert_int_equal(json_arr_next(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 0);
  assert_int_equal(s.depth, 0);
  assert_int_equal(json_scan_end(&s), 0);
  assert_false(json_scan_failed(&s));
  assert_int_equal(json_peek(&s), JSON_NONE);
}

static void test_skip_members(void **state) {
  (void)state;
  /* Skipping a value leaves the walk on the next member. */
  const char doc[] = "{\"skip\":{\"x\":[1,[2,[3,{\"y\":\"}]\"}]]],\"z\":{}},\"want\":7}";
  json_scan s;
  json_scan_init(&s, doc, sizeof doc - 1);
  assert_int_equal(json_obj_begin(&s), 0);
  json_str k;
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_true(JSON_STR_IS(&k, "skip"));
  assert_int_equal(json_skip(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_true(JSON_STR_IS(&k, "want"));
  int64_t v;
  assert_int_equal(json_read_int64(&s, &v), 0);
  assert_int_equal(v, 7);
  assert_int_equal(json_obj_next(&s, &k), 0);
  assert_int_equal(json_scan_end(&s), 0);
}

static void decode_check(const char *json_string_literal, const char *expect, size_t expect_len) {
  json_scan s;
  json_scan_init(&s, json_string_literal, strlen(json_string_literal));
  json_str str;
  assert_int_equal(json_read_str(&s, &str), 0);
  assert_int_equal(json_scan_end(&s), 0);
  benchy_buf out = {0};
  benchy_buf_append(&out, "pre", 3); /* decode appends */
  assert_int_equal(json_str_decode(&str, &out), 0);
  assert_int_equal(out.len, 3 + expect_len);
  assert_memory_equal(out.data, "pre", 3);
  assert_memory_equal(out.data + 3, expect, expect_len);
  assert_int_equal(out.data[out.len], '\0');
  assert_int_equal(json_str_decoded_len(&str), expect_len);
  benchy_buf_free(&out);
}

static void test_string_escapes(void **state) {
  (void)state;
  decode_check("\"plain\"", "plain", 5);
  decode_check("\"\"", "", 0);
  decode_check("\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"", "\" \\ / \b \f \n \r \t", 15);
  decode_check("\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC", 6);
  /* A surrogate pair is one 4-byte character. */
  decode_check("\"x\\ud83d\\ude00y\"", "x\xF0\x9F\x98\x80y", 6);
  decode_check("\"\\uDBFF\\uDFFF\"", "\xF4\x8F\xBF\xBF", 4);
  /* Lone surrogates become U+FFFD instead of failing. */
  decode_check("\"\\ud83d\"", "\xEF\xBF\xBD", 3);
  decode_check("\"\\ude00x\"", "\xEF\xBF\xBDx", 4);
  decode_check("\"\\ud83d\\u0041\"", "\xEF\xBF\xBD" "A", 4);
  decode_check("\"\\ud83dA\"", "\xEF\xBF\xBD" "A", 4);
  decode_check("\"\\ud83d\\n\"", "\xEF\xBF\xBD\n", 4);
  /* \u0000 is a real NUL inside the text. */
  decode_check("\"a\\u0000b\"", "a\0b", 3);
  /* Raw UTF-8 passes through. */
  decode_check("\"h\xC3\xA9llo \xE2\x82\xAC\"", "h\xC3\xA9llo \xE2\x82\xAC", 10);
  decode_check("\"\\u00e9\xC3\xA9\\n\"", "\xC3\xA9\xC3\xA9\n", 5);
}

static void test_string_compare_and_copy(void **state) {
  (void)state;
  json_scan s;
  json_str str;
  json_scan_init(&s, S("\"\\u0063hoices\""));
  assert_int_equal(json_read_str(&s, &str), 0);
  assert_true(str.escaped);
  assert_true(JSON_STR_IS(&str, "choices"));
  assert_true(json_str_eq(&str, "choices"));
  assert_false(JSON_STR_IS(&str, "choice"));
  assert_false(JSON_STR_IS(&str, "choicesx"));
  json_scan_init(&s, S("\"choices\""));
  assert_int_equal(json_read_str(&s, &str), 0);
  assert_false(str.escaped);
  assert_true(JSON_STR_IS(&str, "choices"));
  assert_false(JSON_STR_IS(&str, "Choices"));

  /* Copy truncates without splitting a character. */
  json_scan_init(&s, S("\"h\xC3\xA9llo\""));
  assert_int_equal(json_read_str(&s, &str), 0);
  char small[3];
  assert_int_equal(json_str_copy(&str, small, sizeof small), 6);
  assert_string_equal(small, "h");
  char fits[7];
  assert_int_equal(json_str_copy(&str, fits, sizeof fits), 6);
  assert_string_equal(fits, "h\xC3\xA9llo");
  json_scan_init(&s, S("\"ab\\u20ACcd\""));
  assert_int_equal(json_read_str(&s, &str), 0);
  char four[5];
  assert_int_equal(json_str_copy(&str, four, sizeof four), 7);
  assert_string_equal(four, "ab");
  char six[6];
  assert_int_equal(json_str_copy(&str, six, sizeof six), 7);
  assert_string_equal(six, "ab\xE2\x82\xAC");
  assert_int_equal(json_str_copy(&str, NULL, 0), 7);
}

static void read_int(const char *text, int64_t expect) {
  json_scan s;
  json_scan_init(&s, text, strlen(text));
  int64_t v = 12345;
  assert_int_equal(json_read_int64(&s, &v), 0);
  assert_int_equal(json_scan_end(&s), 0);
  assert_true(v == expect);
}

static void read_dbl(const char *text, double expect) {
  json_scan s;
  json_scan_init(&s, text, strlen(text));
  double v = 12345;
  assert_int_equal(json_read_double(&s, &v), 0);
  assert_int_equal(json_scan_end(&s), 0);
  if (v != expect) fail_msg("%s read as %.17g, expected %.17g", text, v, expect);
}

static void test_numbers(void **state) {
  (void)state;
  read_int("0", 0);
  read_int("-0", 0);
  read_int("73", 73);
  read_int("-42", -42);
  read_int("1795482347", 1795482347);
  read_int("9223372036854775807", INT64_MAX);
  read_int("-9223372036854775808", INT64_MIN);
  /* Beyond int64: clamped, still valid JSON. */
  read_int("9223372036854775808", INT64_MAX);
  read_int("-9223372036854775809", INT64_MIN);
  read_int("123456789012345678901234567890", INT64_MAX);
  read_int("1.9", 1);
  read_int("-1.9", -1);
  read_int("1e3", 1000);
  read_int("2.5E+2", 250);
  read_int("1e30", INT64_MAX);
  read_int("-1e30", INT64_MIN);

  /* Doubles from the recordings, exactly as the C compiler reads them. */
  read_dbl("15.522", 15.522);
  read_dbl("515.3975003221234", 515.3975003221234);
  read_dbl("199.41770031507997", 199.41770031507997);
  read_dbl("0.42534482758620695", 0.42534482758620695);
  read_dbl("16.90826388888889", 16.90826388888889);
  read_dbl("1217.395", 1217.395);
  read_dbl("0", 0.0);
  read_dbl("-0.0", -0.0);
  read_dbl("0.001", 0.001);
  read_dbl("1e-5", 1e-5);
  read_dbl("1E+22", 1e22);
  read_dbl("1e23", 1e23);
  read_dbl("-1.5e300", -1.5e300);
  read_dbl("4.9406564584124654e-324", 4.9406564584124654e-324);
  read_dbl("123456789012345678901234567890", 123456789012345678901234567890.0);
  read_dbl("0.000000000000000000000000000001234", 1.234e-30);
  read_dbl("100000000000000000000000000000000000000000000000000", 1e50);
  /* Significands past 2^53, where a quick multiply or divide would round
   * twice and land one unit off. */
  read_dbl("949543862.1188955", 949543862.1188955); /* 16 digits, above 2^53 */
  read_dbl("9059646.049931665", 9059646.049931665);
  read_dbl("923939.5385945212840", 923939.5385945212840);
  read_dbl("76550321682.30567235", 76550321682.30567235);
  read_dbl("7083340984143366.6", 7083340984143366.6);
  read_dbl("88701922385831429.37", 88701922385831429.37);
  /* Overflow reads as infinity rather than failing. */
  json_scan s;
  double v;
  json_scan_init(&s, S("1e400"));
  assert_int_equal(json_read_double(&s, &v), 0);
  assert_true(isinf(v));
  /* More digits than are kept: close, not necessarily exact. */
  json_scan_init(&s, S("3.14159265358979323846264338327950288419716939937510582097494459"));
  assert_int_equal(json_read_double(&s, &v), 0);
  assert_true(fabs(v - 3.14159265358979323846) < 1e-15);
}

/* Under a locale whose decimal point is ',' numbers must read the same. */
static void test_numbers_locale(void **state) {
  (void)state;
  locale_t loc = test_comma_locale();
  locale_t old = uselocale(loc);
  /* The locale really is in force: the C library now reads "0.5" as 0. */
  int active = strtod("0.5", NULL) != 0.5;
  read_dbl("199.41770031507997", 199.41770031507997);
  read_dbl("0.5", 0.5);
  read_int("2.5e1", 25);
  uselocale(old);
  freelocale(loc);
  assert_true(active);
}

static void test_wrong_types_fail(void **state) {
  (void)state;
  json_scan s;
  json_str str;
  int64_t i;
  double d;
  int b;
  json_scan_init(&s, S("12"));
  assert_int_equal(json_read_str(&s, &str), -1);
  assert_true(json_scan_failed(&s));
  json_scan_init(&s, S("\"12\""));
  assert_int_equal(json_read_int64(&s, &i), -1);
  json_scan_init(&s, S("null"));
  assert_int_equal(json_read_double(&s, &d), -1);
  json_scan_init(&s, S("1"));
  assert_int_equal(json_read_bool(&s, &b), -1);
  json_scan_init(&s, S("[]"));
  assert_int_equal(json_obj_begin(&s), -1);
  json_scan_init(&s, S("{}"));
  assert_int_equal(json_arr_begin(&s), -1);
  json_scan_init(&s, S("false"));
  assert_int_equal(json_read_null(&s), -1);
}

static void test_failure_is_sticky(void **state) {
  (void)state;
  json_scan s;
  json_str k;
  json_scan_init(&s, S("{\"a\":x, \"b\":1}"));
  assert_int_equal(json_obj_begin(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_int_equal(json_skip(&s), -1);
  assert_string_equal(json_scan_error(&s), "unexpected character");
  assert_int_equal(json_scan_error_pos(&s), 5);
  assert_int_equal(json_obj_next(&s, &k), -1);
  assert_int_equal(json_peek(&s), JSON_NONE);
  assert_int_equal(json_skip(&s), -1);
  assert_int_equal(json_scan_end(&s), -1);
  /* The first reason is kept. */
  assert_string_equal(json_scan_error(&s), "unexpected character");
  /* A member left unconsumed is a syntax error at the next step, not a
   * silent misreading. */
  json_scan_init(&s, S("{\"a\":1,\"b\":2}"));
  assert_int_equal(json_obj_begin(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_int_equal(json_obj_next(&s, &k), -1);
}

static void test_malformed(void **state) {
  (void)state;
  static const char *bad[] = {
      "", " ", "{", "}", "[", "]", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "{\"a\":1,}",
      "{,\"a\":1}", "{\"a\" 1}", "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}", "{\"a\":1}}", "{\"a\":1} x",
      "[1,]", "[,1]", "[1 2]", "[1,,2]", "[1}", "{\"a\":[1}", "{\"a\":1]", "\"abc", "\"\\x\"",
      "\"\\u12\"", "\"\\u12G4\"", "\"\\", "\"\\u", "\"a\tb\"", "\"a\nb\"", "\"a\x01\"", "01", "-01",
      "1.", ".5", "-", "1e", "1e+", "1.e3", "+1", "0x10", "1.5.2", "tru", "nul", "fals", "True",
      "NULL", "NaN", "Infinity", "-Infinity", "truex", "nulll", "[true false]", "{\"a\":-}",
      "{\"a\":\"b\":1}", "{\"a\"::1}", "[1]]", "\"a\"\"b\"", "{\"a\":1}{}", "/* c */ {}", "{} //",
      "\xEF\xBB\xBF{}", "\"\\u123", "\"\\u1234", "\"\\ud83d\\ude0", "{\"a\\u00\":1}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (valid_doc(bad[i], strlen(bad[i]))) fail_msg("accepted malformed JSON: %s", bad[i]);
    if (valid_doc_pull(bad[i], strlen(bad[i]))) fail_msg("pull API accepted malformed JSON: %s", bad[i]);
  }
  static const char *good[] = {
      "{}", "[]", "0", "-0", "1.5e-3", "\"\"", "true", "false", "null", " \t\r\n{ } \n",
      "{\"a\":{\"b\":[[],[{}],\"\\u00e9\"]}}", "[0,-1,2.5,1E5,1e-5,1.0E+2]", "\"\\/\"",
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    if (!valid_doc(good[i], strlen(good[i]))) fail_msg("refused valid JSON: %s", good[i]);
    if (!valid_doc_pull(good[i], strlen(good[i]))) fail_msg("pull API refused valid JSON: %s", good[i]);
  }
  /* A NUL byte is not whitespace and not allowed raw in a string. */
  assert_false(valid_doc("{}\0", 3));
  assert_false(valid_doc("\"a\0b\"", 5));
  assert_false(valid_doc_pull("{}\0", 3));
}

/* Every proper prefix of a real document fails; the whole one passes.
 * Each prefix lives in an exactly sized allocation, so reading one byte
 * too far is an ASan report rather than luck. */
static void check_prefixes(const char *name, const char *buf, size_t len) {
  assert_true(valid_doc(buf, len));
  assert_true(valid_doc_pull(buf, len));
  for (size_t n = 0; n < len; n++) {
    if (valid_doc(buf, n)) fail_msg("%s: prefix of %zu bytes accepted", name, n);
    if (valid_doc_pull(buf, n)) fail_msg("%s: prefix of %zu bytes accepted by the pull API", name, n);
  }
}

static void test_truncated_fixtures(void **state) {
  (void)state;
  static const char *names[] = {"chat_nonstream.json", "decode_256.json", "tools_forced.json",
                                "tools_followup.json", "ctx_overflow.json", "props.json",
                                "v1_models.json",      "tokenize.json"};
  for (size_t f = 0; f < sizeof names / sizeof names[0]; f++) {
    size_t len;
    char *buf = test_read_fixture(names[f], &len);
    assert_non_null(buf);
    while (len && (buf[len - 1] == '\n' || buf[len - 1] == ' ')) len--;
    check_prefixes(names[f], buf, len);
    free(buf);
  }
  /* Escapes and every scalar kind, cut at every byte. */
  static const char synth[] = "{\"a\\u00e9\":\"x\\u00e9\\ud83d\\ude00\\n\\\"\\/\",\"b\":[1.5e-3,-2,0,true,false,null,{},[]],"
                              "\"c\":{\"d\":-0.5E+2}}";
  check_prefixes("synthetic", synth, sizeof synth - 1);
}

static void test_depth_limit(void **state) {
  (void)state;
  char doc[2 * (JSON_SCAN_MAX_DEPTH + 10)];
  size_t n = 0;
  for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++) doc[n++] = '[';
  for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++) doc[n++] = ']';
  assert_true(valid_doc(doc, n));
  n = 0;
  for (int i = 0; i < JSON_SCAN_MAX_DEPTH + 1; i++) doc[n++] = '[';
  for (int i = 0; i < JSON_SCAN_MAX_DEPTH + 1; i++) doc[n++] = ']';
  json_scan s;
  json_scan_init(&s, doc, n);
  assert_int_equal(json_skip(&s), -1);
  assert_string_equal(json_scan_error(&s), "nesting too deep");
  /* The pull API counts toward the same limit. */
  json_scan_init(&s, doc, n);
  for (int i = 0; i < JSON_SCAN_MAX_DEPTH; i++) {
    assert_int_equal(json_arr_begin(&s), 0);
    assert_int_equal(json_arr_next(&s), 1);
  }
  assert_int_equal(json_skip(&s), -1);
}

static void test_error_positions(void **state) {
  (void)state;
  json_scan s;
  json_scan_init(&s, S("{\"a\":1,}"));
  assert_int_equal(json_skip(&s), -1);
  assert_string_equal(json_scan_error(&s), "expected a key");
  assert_int_equal(json_scan_error_pos(&s), 7);
  /* The same through the pull API. */
  json_scan_init(&s, S("{\"a\":1,}"));
  json_str k;
  int64_t v;
  assert_int_equal(json_obj_begin(&s), 0);
  assert_int_equal(json_obj_next(&s, &k), 1);
  assert_int_equal(json_read_int64(&s, &v), 0);
  assert_int_equal(json_obj_next(&s, &k), -1);
  assert_string_equal(json_scan_error(&s), "expected a key");
  assert_int_equal(json_scan_error_pos(&s), 7);
  json_scan_init(&s, S("[1,]"));
  assert_int_equal(json_arr_begin(&s), 0);
  assert_int_equal(json_arr_next(&s), 1);
  assert_int_equal(json_read_int64(&s, &v), 0);
  assert_int_equal(json_arr_next(&s), -1);
  assert_string_equal(json_scan_error(&s), "expected a value");
  assert_int_equal(json_scan_error_pos(&s), 3);
  json_scan_init(&s, S("{\"a\":\"xyz"));
  assert_int_equal(json_skip(&s), -1);
  assert_string_equal(json_scan_error(&s), "unterminated string");
  assert_int_equal(json_scan_error_pos(&s), 9);
  json_scan_init(&s, S("  {} ,"));
  assert_int_equal(json_skip(&s), 0);
  assert_int_equal(json_scan_end(&s), -1);
  assert_string_equal(json_scan_error(&s), "trailing characters");
  assert_int_equal(json_scan_error_pos(&s), 5);
  json_scan_init(&s, NULL, 10);
  assert_int_equal(json_peek(&s), JSON_NONE);
  assert_int_equal(json_skip(&s), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_walk_object),
      cmocka_unit_test(test_skip_members),
      cmocka_unit_test(test_string_escapes),
      cmocka_unit_test(test_string_compare_and_copy),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_numbers_locale),
      cmocka_unit_test(test_wrong_types_fail),
      cmocka_unit_test(test_failure_is_sticky),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_truncated_fixtures),
      cmocka_unit_test(test_depth_limit),
      cmocka_unit_test(test_error_positions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
