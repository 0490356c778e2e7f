/*
 * test_schema.c — JSON Schema validation (schema.h): every keyword of the
 * subset, the bucket and the JSON pointer of each failure, ignored
 * keywords, bad input; and tool-call grading of records that a real
 * session decoded from llama-server's recorded tool-call streams (served
 * verbatim, and altered to make each kind of wrong call).
 */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include <benchy/benchy.h>

#include "testutil.h"

/* Validates value against schema; returns the bucket, keeps the result. */
static benchy_schema_result last = {.struct_size = sizeof last};
static int check(const char *value, const char *schema) {
  assert_int_equal(benchy_schema_validate(value, schema, &last), BENCHY_OK);
  if (last.fail == BENCHY_SCHEMA_OK) assert_string_equal(last.message, "");
  else assert_true(last.message[0] != '\0');
  return last.fail;
}

#define WEATHER                                                                                   \
  "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\",\"minLength\":2,"         \
  "\"maxLength\":20},\"unit\":{\"type\":\"string\",\"enum\":[\"c\",\"f\"]},\"days\":{\"type\":" \
  "\"integer\",\"minimum\":1,\"maximum\":7}},\"required\":[\"city\",\"unit\"],"               \
  "\"additionalProperties\":false}"

static void test_types(void **state) {
  (void)state;
  static const struct {
    const char *value, *type;
    int ok;
  } cases[] = {
      {"{}", "object", 1},       {"[]", "object", 0},      {"[]", "array", 1},
      {"\"x\"", "string", 1},    {"1", "string", 0},       {"1.5", "number", 1},
      {"1.5", "integer", 0},     {"3", "integer", 1},      {"3.0", "integer", 1},
      {"-7", "integer", 1},      {"true", "boolean", 1},   {"0", "boolean", 0},
      {"null", "null", 1},       {"false", "null", 0},     {"\"1\"", "number", 0},
      {"{}", "nonsense", 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char schema[64];
    snprintf(schema, sizeof schema, "{\"type\":\"%s\"}", cases[i].type);
    int fail = check(cases[i].value, schema);
    if (cases[i].ok != (fail == BENCHY_SCHEMA_OK))
      fail_msg("%s against type %s: %s", cases[i].value, cases[i].type, last.message);
    if (!cases[i].ok) assert_int_equal(fail, BENCHY_SCHEMA_WRONG_TYPE);
  }
  assert_int_equal(check("1", "{\"type\":\"string\"}"), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.message, "/: expected string, got number");
  assert_string_equal(last.path, "");
  /* A type array accepts any of its types and names them all on failure. */
  assert_int_equal(check("null", "{\"type\":[\"string\",\"null\"]}"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("\"a\"", "{\"type\":[\"string\",\"null\"]}"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("2", "{\"type\":[\"string\",\"null\"]}"), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.message, "/: expected string or null, got number");
}

static void test_object_properties(void **state) {
  (void)state;
  assert_int_equal(check("{\"city\":\"Paris\",\"unit\":\"c\"}", WEATHER), BENCHY_SCHEMA_OK);
  assert_int_equal(check("{\"city\":\"Paris\",\"unit\":\"c\",\"days\":3}", WEATHER), BENCHY_SCHEMA_OK);

  assert_int_equal(check("{\"city\":7,\"unit\":\"c\"}", WEATHER), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.path, "/city");
  assert_string_equal(last.message, "/city: expected string, got number");

  assert_int_equal(check("{\"city\":\"Paris\"}", WEATHER), BENCHY_SCHEMA_MISSING_REQUIRED);
  assert_string_equal(last.path, "/unit");
  assert_non_null(strstr(last.message, "required property \"unit\" is missing"));

  assert_int_equal(check("{\"city\":\"Paris\",\"unit\":\"kelvin\"}", WEATHER), BENCHY_SCHEMA_BAD_VALUE);
  assert_string_equal(last.path, "/unit");
  assert_string_equal(last.message, "/unit: \"kelvin\" is not one of [\"c\",\"f\"]");

  assert_int_equal(check("{\"city\":\"Paris\",\"unit\":\"c\",\"extra\":1}", WEATHER), BENCHY_SCHEMA_BAD_VALUE);
  assert_string_equal(last.path, "/extra");
  assert_non_null(strstr(last.message, "additionalProperties"));

  assert_int_equal(check("{\"city\":\"Paris\",\"unit\":\"c\",\"days\":2.5}", WEATHER), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.message, "/days: expected integer, got number");
  assert_int_equal(check("{\"city\":\"Paris\",\"unit\":\"c\",\"days\":0}", WEATHER), BENCHY_SCHEMA_BAD_VALUE);
  assert_non_null(strstr(last.message, "minimum 1"));
  assert_int_equal(check("{\"city\":\"Paris\",\"unit\":\"c\",\"days\":8}", WEATHER), BENCHY_SCHEMA_BAD_VALUE);
  assert_non_null(strstr(last.message, "maximum 7"));

  assert_int_equal(check("{\"city\":\"P\",\"unit\":\"c\"}", WEATHER), BENCHY_SCHEMA_BAD_VALUE);
  assert_non_null(strstr(last.message, "minLength 2"));
  assert_int_equal(check("{\"city\":\"ParisParisParisParisP\",\"unit\":\"c\"}", WEATHER), BENCHY_SCHEMA_BAD_VALUE);
  assert_non_null(strstr(last.message, "maxLength 20"));
  /* Lengths count code points, not bytes: five accented letters are 10 bytes. */
  assert_int_equal(check("\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", "{\"maxLength\":5}"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"", "{\"maxLength\":4}"), BENCHY_SCHEMA_BAD_VALUE);

  /* Without additionalProperties, extra properties are free; a schema there checks them. */
  assert_int_equal(check("{\"a\":1,\"b\":\"x\"}", "{\"type\":\"object\",\"properties\":{\"a\":{}}}"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("{\"a\":1,\"b\":\"x\"}", "{\"properties\":{\"a\":{}},\"additionalProperties\":{\"type\":\"integer\"}}"),
                   BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.path, "/b");
  /* Exclusive bounds, const. */
  assert_int_equal(check("5", "{\"exclusiveMaximum\":5}"), BENCHY_SCHEMA_BAD_VALUE);
  assert_int_equal(check("4.9", "{\"exclusiveMaximum\":5}"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("0", "{\"exclusiveMinimum\":0}"), BENCHY_SCHEMA_BAD_VALUE);
  assert_int_equal(check("\"v1\"", "{\"const\":\"v1\"}"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("\"v2\"", "{\"const\":\"v1\"}"), BENCHY_SCHEMA_BAD_VALUE);
  assert_non_null(strstr(last.message, "constant \"v1\""));
  /* enum compares whole values, of any type. */
  assert_int_equal(check("{\"k\":[1,2]}", "{\"enum\":[{\"k\":[1,2]},3]}"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("{\"k\":[2,1]}", "{\"enum\":[{\"k\":[1,2]},3]}"), BENCHY_SCHEMA_BAD_VALUE);
  assert_int_equal(check("3", "{\"enum\":[{\"k\":[1,2]},3]}"), BENCHY_SCHEMA_OK);
}

static void test_nested_and_arrays(void **state) {
  (void)state;
  const char *schema =
      "{\"type\":\"object\",\"required\":[\"filters\"],\"properties\":{\"filters\":{\"type\":\"object\","
      "\"required\":[\"tags\"],\"properties\":{\"tags\":{\"type\":\"array\",\"minItems\":1,\"maxItems\":3,"
      "\"items\":{\"type\":\"string\"}},\"a/b~c\":{\"type\":\"boolean\"},\"range\":{\"type\":\"array\","
      "\"items\":[{\"type\":\"integer\"},{\"type\":\"string\"}]}}}}}";
  assert_int_equal(check("{\"filters\":{\"tags\":[\"x\",\"y\"]}}", schema), BENCHY_SCHEMA_OK);
  assert_int_equal(check("{\"filters\":{\"tags\":[\"x\",3]}}", schema), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.path, "/filters/tags/1");
  assert_string_equal(last.message, "/filters/tags/1: expected string, got number");
  assert_int_equal(check("{\"filters\":{}}", schema), BENCHY_SCHEMA_MISSING_REQUIRED);
  assert_string_equal(last.path, "/filters/tags");
  assert_int_equal(check("{\"filters\":{\"tags\":[]}}", schema), BENCHY_SCHEMA_BAD_VALUE);
  assert_non_null(strstr(last.message, "minItems 1"));
  assert_int_equal(check("{\"filters\":{\"tags\":[\"a\",\"b\",\"c\",\"d\"]}}", schema), BENCHY_SCHEMA_BAD_VALUE);
  assert_non_null(strstr(last.message, "maxItems 3"));
  assert_int_equal(check("{\"filters\":\"tags\"}", schema), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.path, "/filters");
  /* RFC 6901: '/' is written ~1 and '~' ~0 in a pointer. */
  assert_int_equal(check("{\"filters\":{\"tags\":[\"x\"],\"a/b~c\":1}}", schema), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.path, "/filters/a~1b~0c");
  /* Positional items; elements beyond the list are free. */
  assert_int_equal(check("{\"filters\":{\"tags\":[\"x\"],\"range\":[1,\"z\",null]}}", schema), BENCHY_SCHEMA_OK);
  assert_int_equal(check("{\"filters\":{\"tags\":[\"x\"],\"range\":[1,2]}}", schema), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.path, "/filters/range/1");
  /* The walk stops at the first failure in document order. */
  assert_int_equal(check("[1,\"a\",true]", "{\"items\":{\"type\":\"integer\"}}"), BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(last.path, "/1");
}

/* Keywords outside the subset constrain nothing, so a schema that uses them
 * never rejects a value that a full validator would accept. */
static void test_unknown_keywords_ignored(void **state) {
  (void)state;
  assert_int_equal(check("\"abc\"", "{\"type\":\"string\",\"pattern\":\"^[0-9]+$\",\"format\":\"email\","
                                    "\"description\":\"d\",\"x-vendor\":{\"type\":\"number\"}}"),
                   BENCHY_SCHEMA_OK);
  assert_int_equal(check("5", "{\"anyOf\":[{\"type\":\"string\"}],\"$ref\":\"#/defs/x\"}"), BENCHY_SCHEMA_OK);
  /* Keyword values of the wrong shape are ignored as well, never a crash. */
  assert_int_equal(check("{\"a\":1}", "{\"required\":\"a\",\"properties\":[1],\"minimum\":\"3\",\"type\":7}"),
                   BENCHY_SCHEMA_OK);
  assert_int_equal(check("1", "true"), BENCHY_SCHEMA_OK);
  assert_int_equal(check("1", "false"), BENCHY_SCHEMA_BAD_VALUE);
  assert_int_equal(check("1", "{}"), BENCHY_SCHEMA_OK);
}

static void test_bad_input(void **state) {
  (void)state;
  benchy_schema_result r = {.struct_size = sizeof r};
  assert_int_equal(check("{\"city\":", WEATHER), BENCHY_SCHEMA_UNPARSED);
  assert_int_equal(check("{} trailing", WEATHER), BENCHY_SCHEMA_UNPARSED);
  assert_int_equal(check("", WEATHER), BENCHY_SCHEMA_UNPARSED);
  assert_int_equal(benchy_schema_validate("{}", "{not json", &r), BENCHY_ERR_INVALID);
  assert_non_null(strstr(r.message, "schema is not JSON"));
  assert_int_equal(benchy_schema_validate(NULL, "{}", &r), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_schema_validate("{}", NULL, &r), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_schema_validate("{}", "{}", NULL), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_schema_validate_cjson(NULL, NULL, &r), BENCHY_ERR_INVALID);
  /* cJSON trees directly. */
  cJSON *v = cJSON_Parse("{\"q\":1}"), *s = cJSON_Parse("{\"properties\":{\"q\":{\"type\":\"string\"}}}");
  assert_int_equal(benchy_schema_validate_cjson(v, s, &r), BENCHY_OK);
  assert_int_equal(r.fail, BENCHY_SCHEMA_WRONG_TYPE);
  assert_string_equal(r.message, "/q: expected string, got number");
  cJSON_Delete(v);
  cJSON_Delete(s);
  /* A deep value: the pointer is cut with "..." instead of overflowing. */
  char deep_v[4096] = "", deep_s[8192] = "";
  for (int i = 0; i < 60; i++) strcat(deep_v, "{\"abcdefgh\":");
  strcat(deep_v, "1");
  for (int i = 0; i < 60; i++) strcat(deep_v, "}");
  for (int i = 0; i < 60; i++) strcat(deep_s, "{\"properties\":{\"abcdefgh\":");
  strcat(deep_s, "{\"type\":\"string\"}");
  for (int i = 0; i < 60; i++) strcat(deep_s, "}}");
  assert_int_equal(check(deep_v, deep_s), BENCHY_SCHEMA_WRONG_TYPE);
  assert_true(strlen(last.path) < sizeof last.path);
  assert_non_null(strstr(last.path, "..."));
  /* A caller built against a smaller struct gets only its prefix filled. */
  memset(&r, 'z', sizeof r);
  r.struct_size = (uint32_t)offsetof(benchy_schema_result, message);
  assert_int_equal(benchy_schema_validate("1", "{\"type\":\"string\"}", &r), BENCHY_OK);
  assert_int_equal(r.struct_size, offsetof(benchy_schema_result, message));
  assert_int_equal(r.fail, BENCHY_SCHEMA_WRONG_TYPE);
  assert_int_equal(r.message[0], 'z');
  r.struct_size = 0; /* 0: the whole struct */
  assert_int_equal(benchy_schema_validate("1", "{\"type\":\"string\"}", &r), BENCHY_OK);
  assert_int_equal(r.struct_size, sizeof r);
  assert_string_equal(r.message, "/: expected string, got number");
  benchy_tool_grade g;
  memset(&g, 'z', sizeof g);
  g.struct_size = (uint32_t)offsetof(benchy_tool_grade, message);
  benchy_record none = {.struct_size = sizeof none};
  assert_int_equal(benchy_tool_call_grade(&none, "[]", &g), BENCHY_OK);
  assert_int_equal(g.grade, BENCHY_TOOL_NO_CALL);
  assert_int_equal(g.message[0], 'z');
  assert_string_equal(benchy_schema_fail_name(BENCHY_SCHEMA_WRONG_TYPE), "wrong_type");
  assert_string_equal(benchy_schema_fail_name(BENCHY_SCHEMA_MISSING_REQUIRED), "missing_required");
  assert_string_equal(benchy_schema_fail_name(BENCHY_SCHEMA_BAD_VALUE), "bad_value");
  assert_string_equal(benchy_schema_fail_name(99), "unknown");
}

/* ---- grading records a session decoded from recorded streams ---- */

/* A one-shot server that answers one request with the given SSE body. */
typedef struct canned {
  int listen_fd, port;
  char *reply;
  pthread_t thread;
} canned;

static void *canned_serve(void *arg) {
  canned *c = arg;
  int fd = accept(c->listen_fd, NULL, NULL);
  if (fd < 0) return NULL;
  char buf[16384];
  size_t got = 0;
  /* The request's body is small JSON: read until its closing brace. */
  while (got + 1 < sizeof buf) {
    ssize_t n = recv(fd, buf + got, sizeof buf - 1 - got, 0);
    if (n <= 0) break;
    got += (size_t)n;
    buf[got] = '\0';
    if (strstr(buf, "\r\n\r\n") && strrchr(buf, '}')) break;
  }
  size_t len = strlen(c->reply);
  for (size_t off = 0; off < len;) {
    ssize_t n = send(fd, c->reply + off, len - off, MSG_NOSIGNAL);
    if (n <= 0) break;
    off += (size_t)n;
  }
  close(fd);
  return NULL;
}

/* Serves sse (with edits: pairs of from, to, NULL-ended) through a real
 * session and returns its record's JSON and grade. */
typedef struct served {
  benchy_record rec; /* valid only inside serve() */
  benchy_tool_grade grade;
  int64_t first_tool, last_tool, last_token;
  size_t n_calls;
} served;

static char *replace_all(char *text, const char *from, const char *to) {
  size_t nf = strlen(from), nt = strlen(to), count = 0;
  for (char *p = strstr(text, from); p; p = strstr(p + nf, from)) count++;
  assert_true(count > 0); /* an edit that changes nothing tests nothing */
  char *out = malloc(strlen(text) + count * nt + 1), *o = out;
  const char *p = text;
  for (const char *hit; (hit = strstr(p, from)); p = hit + nf) {
    memcpy(o, p, (size_t)(hit - p));
    o += hit - p;
    memcpy(o, to, nt);
    o += nt;
  }
  strcpy(o, p);
  free(text);
  return out;
}

static void serve(const char *fixture, const char *tools, served *out, ...) {
  size_t len;
  char *sse = test_read_fixture(fixture, &len);
  va_list ap;
  va_start(ap, out);
  for (const char *from; (from = va_arg(ap, const char *));) sse = replace_all(sse, from, va_arg(ap, const char *));
  va_end(ap);
  canned c = {0};
  const char *head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
  c.reply = malloc(strlen(head) + strlen(sse) + 1);
  strcpy(c.reply, head);
  strcat(c.reply, sse);
  free(sse);
  c.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t alen = sizeof a;
  assert_int_equal(bind(c.listen_fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(c.listen_fd, 1), 0);
  assert_int_equal(getsockname(c.listen_fd, (struct sockaddr *)&a, &alen), 0);
  c.port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&c.thread, NULL, canned_serve, &c), 0);

  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/v1", c.port);
  benchy_loop *loop = NULL;
  benchy_session *s = NULL;
  benchy_request *r = NULL;
  assert_int_equal(benchy_loop_new(&loop), BENCHY_OK);
  assert_int_equal(benchy_session_new(&s, loop, url), BENCHY_OK);
  assert_int_equal(benchy_request_new(&r, s, BENCHY_ENDPOINT_CHAT, "{\"model\":\"tiny\",\"stream\":true}"), BENCHY_OK);
  assert_int_equal(benchy_request_start(r, 0), BENCHY_OK);
  assert_int_equal(benchy_loop_run(loop, BENCHY_RUN_DEFAULT), BENCHY_OK);
  const benchy_record *rec = benchy_request_record(r);
  assert_int_equal(rec->status, BENCHY_OK);
  out->first_tool = rec->t_first_tool;
  out->last_tool = rec->t_last_tool;
  out->last_token = rec->t_last_token;
  out->n_calls = rec->n_tool_calls;
  out->grade.struct_size = sizeof out->grade;
  assert_int_equal(benchy_tool_call_grade(rec, tools, &out->grade), BENCHY_OK);
  /* The record's JSON carries the new time, relative to t0 like the others. */
  char *json = benchy_record_to_json(rec, rec->t_dispatched, 0, 0);
  cJSON *doc = cJSON_Parse(json);
  const cJSON *t_ms = cJSON_GetObjectItemCaseSensitive(doc, "t_ms");
  const cJSON *lt = cJSON_GetObjectItemCaseSensitive(t_ms, "last_tool");
  if (rec->t_last_tool)
    assert_true(cJSON_IsNumber(lt) && fabs(lt->valuedouble - (double)(rec->t_last_tool - rec->t_dispatched) / 1e6) < 1e-9);
  else
    assert_true(cJSON_IsNull(lt));
  cJSON_Delete(doc);
  free(json);
  benchy_request_free(r);
  benchy_session_free(s);
  benchy_loop_free(loop);
  pthread_join(c.thread, NULL);
  close(c.listen_fd);
  free(c.reply);
}

/* The tools of tools_forced_stream_req.json, as that request sent them. */
static char *recorded_tools(void) {
  size_t len;
  char *req = test_read_fixture("tools_forced_stream_req.json", &len);
  cJSON *doc = cJSON_Parse(req);
  free(req);
  char *tools = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(doc, "tools"));
  cJSON_Delete(doc);
  assert_non_null(tools);
  return tools;
}

static void test_grade_recorded_tool_call(void **state) {
  (void)state;
  char *tools = recorded_tools();
  served s;
  serve("tools_forced_stream.sse", tools, &s, NULL);
  assert_int_equal(s.n_calls, 1);
  assert_int_equal(s.grade.grade, BENCHY_TOOL_OK);
  assert_int_equal(s.grade.arguments_parse, 1);
  assert_string_equal(s.grade.tool_name, "get_weather");
  assert_string_equal(s.grade.message, "");
  /* First and last fragments: the recording's 11 argument fragments come
   * after the first one, so the arguments were complete later, and the
   * last tool fragment is the last token-carrying chunk. */
  assert_true(s.first_tool > 0);
  assert_true(s.last_tool >= s.first_tool);
  assert_int_equal(s.last_tool, s.last_token);

  /* Each kind of wrong call, made by editing the recorded fragments. */
  serve("tools_forced_stream.sse", tools, &s, "\"Paris\"", "\"Lyon\"", NULL);
  assert_int_equal(s.grade.grade, BENCHY_TOOL_BAD_VALUE);
  assert_string_equal(s.grade.path, "/city");
  assert_non_null(strstr(s.grade.message, "get_weather: /city: \"Lyon\" is not one of"));

  serve("tools_forced_stream.sse", tools, &s, "\"arguments\":\"unit\"", "\"arguments\":\"units\"", NULL);
  assert_int_equal(s.grade.grade, BENCHY_TOOL_MISSING_REQUIRED);
  assert_string_equal(s.grade.path, "/unit");

  serve("tools_forced_stream.sse", tools, &s, "\"arguments\":\"\\n\\n\\t\\\"\"", "\"arguments\":\"7,\\\"x\\\":\\\"\"",
        NULL);
  assert_int_equal(s.grade.grade, BENCHY_TOOL_WRONG_TYPE);
  assert_string_equal(s.grade.path, "/unit");
  assert_non_null(strstr(s.grade.message, "expected string, got number"));

  serve("tools_forced_stream.sse", tools, &s, "\"arguments\":\"\\\"}\"", "\"arguments\":\"\\\"\"", NULL);
  assert_int_equal(s.grade.grade, BENCHY_TOOL_UNPARSED_ARGUMENTS);
  assert_int_equal(s.grade.arguments_parse, 0);
  assert_non_null(strstr(s.grade.message, "not JSON"));

  serve("tools_forced_stream.sse", tools, &s, "\"name\":\"get_weather\"", "\"name\":\"get_time\"", NULL);
  assert_int_equal(s.grade.grade, BENCHY_TOOL_WRONG_TOOL);
  assert_string_equal(s.grade.tool_name, "get_time");
  assert_int_equal(s.grade.arguments_parse, 1);

  /* tool_choice "required" with random weights: plain content, no call. */
  serve("tools_required_stream.sse", tools, &s, NULL);
  assert_int_equal(s.n_calls, 0);
  assert_int_equal(s.first_tool, 0);
  assert_int_equal(s.last_tool, 0);
  assert_int_equal(s.grade.grade, BENCHY_TOOL_NO_CALL);
  assert_int_equal(s.grade.arguments_parse, 0);
  assert_string_equal(s.grade.tool_name, "");
  free(tools);
}

static void test_grade_records_by_hand(void **state) {
  (void)state;
  const char *tools = "[{\"name\":\"a\",\"parameters\":{\"type\":\"object\",\"required\":[\"x\"]}},"
                      "{\"type\":\"function\",\"function\":{\"name\":\"b\"}}]";
  benchy_tool_call calls[2] = {{0, "id0", "b", "[1,2]"}, {1, "id1", "a", "{\"y\":1}"}};
  benchy_record rec = {.struct_size = sizeof rec, .n_tool_calls = 2, .tool_calls = calls};
  benchy_tool_grade g = {.struct_size = sizeof g};
  /* A tool without parameters takes any JSON; the second call fails. */
  assert_int_equal(benchy_tool_call_grade(&rec, tools, &g), BENCHY_OK);
  assert_int_equal(g.grade, BENCHY_TOOL_MISSING_REQUIRED);
  assert_int_equal(g.call_index, 1);
  assert_int_equal(g.n_calls, 2);
  assert_string_equal(g.tool_name, "a");
  assert_non_null(strstr(g.message, "tool call 1: a: /x: required property \"x\" is missing"));
  calls[1].arguments = "{\"x\":0}";
  assert_int_equal(benchy_tool_call_grade(&rec, tools, &g), BENCHY_OK);
  assert_int_equal(g.grade, BENCHY_TOOL_OK);
  assert_int_equal(g.arguments_parse, 1);
  /* The first failing call decides; arguments_parse looks at every call. */
  calls[0].arguments = "{";
  calls[1].arguments = "{oops";
  assert_int_equal(benchy_tool_call_grade(&rec, tools, &g), BENCHY_OK);
  assert_int_equal(g.grade, BENCHY_TOOL_UNPARSED_ARGUMENTS);
  assert_int_equal(g.call_index, 0);
  assert_int_equal(g.arguments_parse, 0);
  /* Bad input. */
  assert_int_equal(benchy_tool_call_grade(&rec, "{\"name\":\"a\"}", &g), BENCHY_ERR_INVALID);
  assert_non_null(strstr(g.message, "not a JSON array"));
  assert_int_equal(benchy_tool_call_grade(NULL, tools, &g), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_tool_call_grade(&rec, NULL, &g), BENCHY_ERR_INVALID);
  assert_int_equal(benchy_tool_call_grade(&rec, tools, NULL), BENCHY_ERR_INVALID);
  static const char *const names[] = {"ok", "no_call", "wrong_tool", "unparsed_arguments",
                                      "missing_required", "wrong_type", "bad_value"};
  for (int i = 0; i < 7; i++) assert_string_equal(benchy_tool_grade_name(i), names[i]);
  assert_string_equal(benchy_tool_grade_name(7), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_types),
      cmocka_unit_test(test_object_properties),
      cmocka_unit_test(test_nested_and_arrays),
      cmocka_unit_test(test_unknown_keywords_ignored),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_grade_recorded_tool_call),
      cmocka_unit_test(test_grade_records_by_hand),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
