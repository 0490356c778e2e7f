/*
 * schema.h — checking JSON values against the JSON Schema subset that tool
 * definitions use, and grading a response's tool calls against the
 * request's tools.
 *
 * Keywords understood: type (object, array, string, number, integer,
 * boolean, null, or an array of these), properties, required, enum, const,
 * items (one schema for every element, or an array of schemas by
 * position), additionalProperties (false, or a schema for the others),
 * minimum, maximum, exclusiveMinimum, exclusiveMaximum (numbers),
 * minLength, maxLength (in code points), minItems, maxItems. Every other
 * keyword ($ref, anyOf, oneOf, pattern, format, description, ...) is
 * ignored, so a schema using them accepts more than a full validator
 * would, never less. A schema of true accepts anything, false nothing.
 *
 * The check stops at the first failure, walking the value in document
 * order; within one value it checks type, then enum/const, then bounds,
 * then required properties, then each property or element.
 */
#ifndef BENCHY_SCHEMA_H
#define BENCHY_SCHEMA_H

#include "benchy/export.h"
#include "benchy/record.h"

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

/* Why a value failed its schema. Append only: bindings carry the numbers. */
typedef enum benchy_schema_fail {
  BENCHY_SCHEMA_OK = 0,
  BENCHY_SCHEMA_MISSING_REQUIRED = 1, /* a required property is absent */
  BENCHY_SCHEMA_WRONG_TYPE = 2,       /* the value's JSON type is not the schema's */
  BENCHY_SCHEMA_BAD_VALUE = 3,        /* right type, but enum/const/bounds/extra property */
  BENCHY_SCHEMA_UNPARSED = 4          /* the value's text is not JSON */
} benchy_schema_fail;

/* Both result structs begin with struct_size and only grow at the end: set
 * it to sizeof before a call (0 also means the whole struct); the library
 * fills that many bytes and sets it to what it filled. */
typedef struct benchy_schema_result {
  uint32_t struct_size;
  int fail;          /* benchy_schema_fail; BENCHY_SCHEMA_OK when valid */
  char path[256];    /* JSON pointer (RFC 6901) of the failing value; "" the root */
  char message[512]; /* "/query: expected string, got number"; "" when valid */
} benchy_schema_result;

/* "ok", "missing_required", "wrong_type", "bad_value", "unparsed";
 * "unknown" otherwise. Static. */
BENCHY_API const char *benchy_schema_fail_name(int fail);

/* Checks value_json (JSON text, the whole string) against schema_json.
 * BENCHY_OK when the check ran: out->fail gives the verdict (a value that
 * is not JSON is BENCHY_SCHEMA_UNPARSED). BENCHY_ERR_INVALID when an
 * argument is NULL or the schema is not JSON (out->message says so),
 * BENCHY_ERR_NOMEM. Any thread. */
BENCHY_API int benchy_schema_validate(const char *value_json, const char *schema_json,
                                      benchy_schema_result *out);
/* The same on parsed cJSON trees (the caller's; not modified). */
BENCHY_API int benchy_schema_validate_cjson(const struct cJSON *value, const struct cJSON *schema,
                                            benchy_schema_result *out);

/* How a response's tool calls compare with the request's tools. Append only. */
typedef enum benchy_tool_grade_kind {
  BENCHY_TOOL_OK = 0,
  BENCHY_TOOL_NO_CALL = 1,            /* the response has no tool call */
  BENCHY_TOOL_WRONG_TOOL = 2,         /* a call names a tool the request did not offer */
  BENCHY_TOOL_UNPARSED_ARGUMENTS = 3, /* a call's arguments are not JSON */
  BENCHY_TOOL_MISSING_REQUIRED = 4,   /* ... lack a required property */
  BENCHY_TOOL_WRONG_TYPE = 5,         /* ... have a value of the wrong JSON type */
  BENCHY_TOOL_BAD_VALUE = 6           /* ... have a value outside enum/const/bounds */
} benchy_tool_grade_kind;

typedef struct benchy_tool_grade {
  uint32_t struct_size;
  int grade;            /* benchy_tool_grade_kind: the first failing call's, else OK */
  int arguments_parse;  /* 1 when every call's arguments are JSON text */
  size_t n_calls;       /* tool calls in the record */
  size_t call_index;    /* the call the grade is about (0 with no call) */
  char tool_name[128];  /* that call's function name; "" with no call */
  char path[256];       /* JSON pointer inside its arguments, as benchy_schema_result */
  char message[640];    /* for people: what failed and where; "" when OK */
} benchy_tool_grade;

/* "ok", "no_call", "wrong_tool", "unparsed_arguments", "missing_required",
 * "wrong_type", "bad_value"; "unknown" otherwise. Static. */
BENCHY_API const char *benchy_tool_grade_name(int grade);

/* Grades every tool call of rec against tools_json, the request's "tools"
 * array as sent ([{"type":"function","function":{"name","parameters"}}],
 * or {name, parameters} elements). A call is OK when it names an offered
 * tool and its arguments parse and satisfy that tool's parameters schema
 * (no parameters: any JSON). The grade is the first failing call's. A
 * failed request is graded on what arrived (arguments cut short by a
 * disconnect are unparsed_arguments).
 * BENCHY_OK when graded; BENCHY_ERR_INVALID when an argument is NULL or
 * tools_json is not a JSON array (out->message says so); BENCHY_ERR_NOMEM.
 * Any thread. */
BENCHY_API int benchy_tool_call_grade(const benchy_record *rec, const char *tools_json,
                                      benchy_tool_grade *out);

#ifdef __cplusplus
}
#endif
#endif
