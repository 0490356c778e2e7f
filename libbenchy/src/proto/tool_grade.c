/*
 * tool_grade.c — a response's tool calls against the request's tools
 * (schema.h): which tool each call names, whether its arguments parse, and
 * whether they satisfy that tool's parameters schema.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "benchy/benchy.h"
#include "benchy/schema.h"

const char *benchy_tool_grade_name(int grade) {
  switch (grade) {
  case BENCHY_TOOL_OK: return "ok";
  case BENCHY_TOOL_NO_CALL: return "no_call";
  case BENCHY_TOOL_WRONG_TOOL: return "wrong_tool";
  case BENCHY_TOOL_UNPARSED_ARGUMENTS: return "unparsed_arguments";
  case BENCHY_TOOL_MISSING_REQUIRED: return "missing_required";
  case BENCHY_TOOL_WRONG_TYPE: return "wrong_type";
  case BENCHY_TOOL_BAD_VALUE: return "bad_value";
  default: return "unknown";
  }
}

/* The offered tool called name: its definition object ("function" inside
 * the OpenAI wrapper, or the element itself), NULL when none is. */
static const cJSON *offered(const cJSON *tools, const char *name) {
  const cJSON *t;
  cJSON_ArrayForEach(t, tools) {
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(t, "function");
    if (!cJSON_IsObject(fn)) fn = t;
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(fn, "name");
    if (cJSON_IsString(nm) && !strcmp(nm->valuestring, name)) return fn;
  }
  return NULL;
}

static int grade_of(int schema_fail) {
  switch (schema_fail) {
  case BENCHY_SCHEMA_MISSING_REQUIRED: return BENCHY_TOOL_MISSING_REQUIRED;
  case BENCHY_SCHEMA_WRONG_TYPE: return BENCHY_TOOL_WRONG_TYPE;
  case BENCHY_SCHEMA_BAD_VALUE: return BENCHY_TOOL_BAD_VALUE;
  default: return BENCHY_TOOL_OK;
  }
}

/* Grades call i into out (when out has no failure yet) and returns whether
 * its arguments parse. */
static int grade_call(const benchy_tool_call *c, size_t i, const cJSON *tools, benchy_tool_grade *out) {
  const char *name = c->name ? c->name : "";
  const char *text = c->arguments ? c->arguments : "";
  cJSON *args = cJSON_ParseWithOpts(text, NULL, 1);
  int first_failure = out->grade == BENCHY_TOOL_OK;
  const cJSON *fn = offered(tools, name);
  int grade = BENCHY_TOOL_OK;
  benchy_schema_result sr = {.struct_size = sizeof sr};
  if (!fn) {
    grade = BENCHY_TOOL_WRONG_TOOL;
  } else if (!args) {
    grade = BENCHY_TOOL_UNPARSED_ARGUMENTS;
  } else {
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
    if (params && benchy_schema_validate_cjson(args, params, &sr) == BENCHY_OK)
      grade = grade_of(sr.fail);
  }
  if (first_failure && grade != BENCHY_TOOL_OK) {
    out->grade = grade;
    out->call_index = i;
    snprintf(out->tool_name, sizeof out->tool_name, "%s", name);
    snprintf(out->path, sizeof out->path, "%s", sr.path);
    char where[48] = "";
    if (out->n_calls > 1) snprintf(where, sizeof where, "tool call %zu: ", i);
    if (grade == BENCHY_TOOL_WRONG_TOOL)
      snprintf(out->message, sizeof out->message, "%s\"%s\" is not one of the request's tools", where, name);
    else if (grade == BENCHY_TOOL_UNPARSED_ARGUMENTS)
      snprintf(out->message, sizeof out->message, "%s%s: the arguments are not JSON: %.120s%s", where, name,
               text, strlen(text) > 120 ? "..." : "");
    else
      snprintf(out->message, sizeof out->message, "%s%s: %s", where, name, sr.message);
  }
  int parsed = args != NULL;
  cJSON_Delete(args);
  return parsed;
}

static int grade(const benchy_record *rec, const char *tools_json, benchy_tool_grade *out) {
  memset(out, 0, sizeof *out);
  out->struct_size = sizeof *out;
  if (!rec || !tools_json) {
    snprintf(out->message, sizeof out->message, "benchy_tool_call_grade: a record and the tools are required");
    return BENCHY_ERR_INVALID;
  }
  cJSON *tools = cJSON_Parse(tools_json);
  if (!cJSON_IsArray(tools)) {
    cJSON_Delete(tools);
    snprintf(out->message, sizeof out->message,
             "the tools are not a JSON array; pass the request's \"tools\" value as sent");
    return BENCHY_ERR_INVALID;
  }
  out->n_calls = rec->n_tool_calls;
  out->arguments_parse = rec->n_tool_calls > 0;
  if (!rec->n_tool_calls) {
    out->grade = BENCHY_TOOL_NO_CALL;
    snprintf(out->message, sizeof out->message, "the response has no tool call (finish_reason %s)",
             rec->finish_reason ? rec->finish_reason : "none");
  }
  for (size_t i = 0; i < rec->n_tool_calls; i++)
    if (!grade_call(&rec->tool_calls[i], i, tools, out)) out->arguments_parse = 0;
  if (out->grade == BENCHY_TOOL_OK && rec->n_tool_calls)
    snprintf(out->tool_name, sizeof out->tool_name, "%s", rec->tool_calls[0].name ? rec->tool_calls[0].name : "");
  cJSON_Delete(tools);
  return BENCHY_OK;
}

int benchy_tool_call_grade(const benchy_record *rec, const char *tools_json, benchy_tool_grade *out) {
  if (!out) return BENCHY_ERR_INVALID;
  benchy_tool_grade full;
  int rc = grade(rec, tools_json, &full);
  /* A caller built against an older, smaller struct gets its prefix. */
  uint32_t size = out->struct_size && out->struct_size < sizeof full ? out->struct_size : (uint32_t)sizeof full;
  memcpy(out, &full, size);
  out->struct_size = size;
  return rc;
}
