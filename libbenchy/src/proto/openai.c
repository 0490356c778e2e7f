/*
 * openai.c — the stream decoder of openai.h.
 *
 * Each payload is walked once with the pull scanner. The walk only notes
 * where things are (string spans into the payload, numbers into a staging
 * copy); nothing in the stream changes until the whole payload has proved
 * to be valid JSON, so a malformed chunk leaves no half-applied state. Then
 * the staged strings are decoded into s->scratch, and usage, timings, tool
 * fragments, finish_reason and errors are committed.
 *
 * Servers differ in small ways that all land here: llama.cpp sends
 * "content": null on the role chunk and timings next to usage; vLLM a role
 * chunk with "content": ""; SGLang explicit nulls for every absent field;
 * reasoning models use reasoning_content or reasoning. A null is treated
 * exactly like an absent field, and a value of an unexpected type is skipped
 * rather than failing the chunk: only broken JSON is a decode error.
 */
#include "openai.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"

/* One element of delta.tool_calls, as spans into the payload. */
typedef struct oai_frag {
  int64_t index; /* -1 when the fragment did not say */
  json_str id, name, args;
  size_t args_off, args_len; /* decoded arguments inside s->scratch */
} oai_frag;

/* What one payload carried, before it is committed. */
typedef struct chunk {
  int has_choices;
  json_str role, content, reasoning_content, reasoning, text, finish;
  size_t n_frags;
  int has_usage;
  int64_t prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens;
  int has_timings;
  int has_predicted_n;
  benchy_server_timings timings;
  int has_xb_send, has_xb_tokens;
  int64_t xb_send_ns, xb_tokens;
  /* Errors: {"error": {...}}, {"error": "text"}, or vLLM's older
   * top-level {"object": "error", "message": ..., "type": ...}. */
  int has_error;
  json_str err_msg, err_type, err_code_str;
  int has_err_code;
  int64_t err_code;
  int top_is_error;
  json_str top_msg, top_type, top_error_type, top_detail;
  int has_top_code;
  int64_t top_code;
} chunk;

#define ABSENT(str) ((str).p == NULL)
#define NONEMPTY(str) ((str).p != NULL && (str).len > 0)

/* ---- walking ----------------------------------------------------------- */

/* A string, or nothing: null and values of other types leave *out absent. */
static int opt_str(json_scan *js, json_str *out) {
  if (json_peek(js) == JSON_STRING) return json_read_str(js, out);
  return json_skip(js);
}

static int opt_i64(json_scan *js, int64_t *out, int *have) {
  if (json_peek(js) == JSON_NUMBER) {
    if (json_read_int64(js, out) != 0) return -1;
    if (have) *have = 1;
    return 0;
  }
  return json_skip(js);
}

static int opt_double(json_scan *js, double *out) {
  if (json_peek(js) == JSON_NUMBER) return json_read_double(js, out);
  return json_skip(js);
}

static int stage_frag(oai_stream *s, chunk *c, oai_frag **out) {
  if (c->n_frags == s->frags_cap) {
    size_t cap = s->frags_cap ? s->frags_cap * 2 : 4;
    oai_frag *grown = realloc(s->frags, cap * sizeof *grown);
    if (!grown) return -1;
    s->frags = grown;
    s->frags_cap = cap;
  }
  oai_frag *f = &s->frags[c->n_frags++];
  memset(f, 0, sizeof *f);
  f->index = -1;
  *out = f;
  return 0;
}

static int walk_function(json_scan *js, oai_frag *f) {
  json_str k;
  int r;
  if (json_obj_begin(js) != 0) return -1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    if (JSON_STR_IS(&k, "name"))
      rc = opt_str(js, &f->name);
    else if (JSON_STR_IS(&k, "arguments"))
      rc = opt_str(js, &f->args);
    else
      rc = json_skip(js);
    if (rc != 0) return -1;
  }
  return r;
}

static int walk_tool_calls(json_scan *js, oai_stream *s, chunk *c) {
  int r;
  if (json_arr_begin(js) != 0) return -1;
  while ((r = json_arr_next(js)) == 1) {
    if (json_peek(js) != JSON_OBJECT) {
      if (json_skip(js) != 0) return -1;
      continue;
    }
    oai_frag *f;
    if (stage_frag(s, c, &f) != 0) return -2;
    json_str k;
    if (json_obj_begin(js) != 0) return -1;
    while ((r = json_obj_next(js, &k)) == 1) {
      int rc;
      if (JSON_STR_IS(&k, "index"))
        rc = opt_i64(js, &f->index, NULL);
      else if (JSON_STR_IS(&k, "id"))
        rc = opt_str(js, &f->id);
      else if (JSON_STR_IS(&k, "function") && json_peek(js) == JSON_OBJECT)
        rc = walk_function(js, f);
      else
        rc = json_skip(js);
      if (rc != 0) return -1;
    }
    if (r < 0) return -1;
    if (f->index < 0) f->index = -1; /* a negative index means nothing */
  }
  return r;
}

static int walk_delta(json_scan *js, oai_stream *s, chunk *c) {
  json_str k;
  int r;
  if (json_obj_begin(js) != 0) return -1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    if (JSON_STR_IS(&k, "content"))
      rc = opt_str(js, &c->content);
    else if (JSON_STR_IS(&k, "role"))
      rc = opt_str(js, &c->role);
    else if (JSON_STR_IS(&k, "reasoning_content"))
      rc = opt_str(js, &c->reasoning_content);
    else if (JSON_STR_IS(&k, "reasoning"))
      rc = opt_str(js, &c->reasoning);
    else if (JSON_STR_IS(&k, "tool_calls") && json_peek(js) == JSON_ARRAY)
      rc = walk_tool_calls(js, s, c);
    else
      rc = json_skip(js);
    if (rc != 0) return rc;
  }
  return r;
}

static int walk_choice(json_scan *js, oai_stream *s, chunk *c) {
  json_str k;
  int r;
  if (json_obj_begin(js) != 0) return -1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    if (JSON_STR_IS(&k, "delta") && json_peek(js) == JSON_OBJECT)
      rc = walk_delta(js, s, c);
    else if (JSON_STR_IS(&k, "text"))
      rc = opt_str(js, &c->text);
    else if (JSON_STR_IS(&k, "finish_reason"))
      rc = opt_str(js, &c->finish);
    else
      rc = json_skip(js); /* index, logprobs, stop_reason, matched_stop, ... */
    if (rc != 0) return rc;
  }
  return r;
}

/* Only the first choice is read: benchmarks ask for n = 1, and with n > 1
 * servers send each choice in a chunk of its own anyway. */
static int walk_choices(json_scan *js, oai_stream *s, chunk *c) {
  int r, first = 1;
  if (json_arr_begin(js) != 0) return -1;
  c->has_choices = 1;
  while ((r = json_arr_next(js)) == 1) {
    int rc;
    if (first && json_peek(js) == JSON_OBJECT)
      rc = walk_choice(js, s, c);
    else
      rc = json_skip(js);
    if (rc != 0) return rc;
    first = 0;
  }
  return r;
}

/* {"cached_tokens": n} and {"reasoning_tokens": n} live one level down. */
static int walk_details(json_scan *js, const char *name, int64_t *out) {
  json_str k;
  int r;
  if (json_obj_begin(js) != 0) return -1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc = json_str_eq(&k, name) ? opt_i64(js, out, NULL) : json_skip(js);
    if (rc != 0) return -1;
  }
  return r;
}

static int walk_usage(json_scan *js, chunk *c) {
  json_str k;
  int r;
  if (json_obj_begin(js) != 0) return -1;
  c->has_usage = 1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    if (JSON_STR_IS(&k, "prompt_tokens"))
      rc = opt_i64(js, &c->prompt_tokens, NULL);
    else if (JSON_STR_IS(&k, "completion_tokens"))
      rc = opt_i64(js, &c->completion_tokens, NULL);
    else if (JSON_STR_IS(&k, "prompt_tokens_details") && json_peek(js) == JSON_OBJECT)
      rc = walk_details(js, "cached_tokens", &c->cached_tokens);
    else if (JSON_STR_IS(&k, "completion_tokens_details") && json_peek(js) == JSON_OBJECT)
      rc = walk_details(js, "reasoning_tokens", &c->reasoning_tokens);
    else
      rc = json_skip(js);
    if (rc != 0) return -1;
  }
  return r;
}

static int walk_timings(json_scan *js, chunk *c) {
  json_str k;
  int r;
  benchy_server_timings *t = &c->timings;
  if (json_obj_begin(js) != 0) return -1;
  c->has_timings = 1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    if (JSON_STR_IS(&k, "predicted_n"))
      rc = opt_i64(js, &t->predicted_n, &c->has_predicted_n);
    else if (JSON_STR_IS(&k, "predicted_ms"))
      rc = opt_double(js, &t->predicted_ms);
    else if (JSON_STR_IS(&k, "predicted_per_second"))
      rc = opt_double(js, &t->predicted_per_second);
    else if (JSON_STR_IS(&k, "prompt_n"))
      rc = opt_i64(js, &t->prompt_n, NULL);
    else if (JSON_STR_IS(&k, "prompt_ms"))
      rc = opt_double(js, &t->prompt_ms);
    else if (JSON_STR_IS(&k, "prompt_per_second"))
      rc = opt_double(js, &t->prompt_per_second);
    else if (JSON_STR_IS(&k, "cache_n"))
      rc = opt_i64(js, &t->cache_n, NULL);
    else if (JSON_STR_IS(&k, "draft_n"))
      rc = opt_i64(js, &t->draft_n, NULL);
    else if (JSON_STR_IS(&k, "draft_n_accepted"))
      rc = opt_i64(js, &t->draft_n_accepted, NULL);
    else
      rc = json_skip(js); /* *_per_token_ms are derived; not kept */
    if (rc != 0) return -1;
  }
  return r;
}

static int walk_error(json_scan *js, chunk *c) {
  json_str k;
  int r;
  if (json_obj_begin(js) != 0) return -1;
  c->has_error = 1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    if (JSON_STR_IS(&k, "message"))
      rc = opt_str(js, &c->err_msg);
    else if (JSON_STR_IS(&k, "type"))
      rc = opt_str(js, &c->err_type);
    else if (JSON_STR_IS(&k, "code")) {
      json_type t = json_peek(js);
      if (t == JSON_STRING)
        rc = json_read_str(js, &c->err_code_str);
      else
        rc = opt_i64(js, &c->err_code, &c->has_err_code);
    } else
      rc = json_skip(js);
    if (rc != 0) return -1;
  }
  return r;
}

static int walk_xbenchy(json_scan *js, chunk *c) {
  json_str k;
  int r;
  if (json_obj_begin(js) != 0) return -1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    if (JSON_STR_IS(&k, "send_ns"))
      rc = opt_i64(js, &c->xb_send_ns, &c->has_xb_send);
    else if (JSON_STR_IS(&k, "tokens"))
      rc = opt_i64(js, &c->xb_tokens, &c->has_xb_tokens);
    else
      rc = json_skip(js);
    if (rc != 0) return -1;
  }
  return r;
}

/* The top-level object. s may be NULL (error bodies), and then choices are
 * skipped. Returns 0, -1 on a syntax error (js says where), -2 when out of
 * memory. */
static int walk_top(json_scan *js, oai_stream *s, chunk *c) {
  json_str k;
  int r;
  if (json_peek(js) != JSON_OBJECT) return json_scan_fail(js, "not a JSON object");
  if (json_obj_begin(js) != 0) return -1;
  while ((r = json_obj_next(js, &k)) == 1) {
    int rc;
    json_type t = json_peek(js);
    if (JSON_STR_IS(&k, "choices") && s && t == JSON_ARRAY)
      rc = walk_choices(js, s, c);
    else if (JSON_STR_IS(&k, "usage") && t == JSON_OBJECT)
      rc = walk_usage(js, c);
    else if (JSON_STR_IS(&k, "timings") && t == JSON_OBJECT)
      rc = walk_timings(js, c);
    else if (JSON_STR_IS(&k, "x_benchy") && t == JSON_OBJECT)
      rc = walk_xbenchy(js, c);
    else if (JSON_STR_IS(&k, "error") && t == JSON_OBJECT)
      rc = walk_error(js, c);
    else if (JSON_STR_IS(&k, "error") && t == JSON_STRING) {
      c->has_error = 1;
      rc = json_read_str(js, &c->err_msg);
    } else if (JSON_STR_IS(&k, "object") && t == JSON_STRING) {
      json_str v;
      rc = json_read_str(js, &v);
      if (rc == 0 && JSON_STR_IS(&v, "error")) c->top_is_error = 1;
    } else if (JSON_STR_IS(&k, "message"))
      rc = opt_str(js, &c->top_msg);
    else if (JSON_STR_IS(&k, "type"))
      rc = opt_str(js, &c->top_type);
    else if (JSON_STR_IS(&k, "error_type"))
      rc = opt_str(js, &c->top_error_type);
    else if (JSON_STR_IS(&k, "detail"))
      rc = opt_str(js, &c->top_detail);
    else if (JSON_STR_IS(&k, "code") && t == JSON_NUMBER)
      rc = opt_i64(js, &c->top_code, &c->has_top_code);
    else
      rc = json_skip(js); /* id, model, created, object, system_fingerprint, ... */
    if (rc != 0) return rc;
  }
  if (r < 0) return -1;
  return json_scan_end(js);
}

/* ---- committing -------------------------------------------------------- */

/* "type: message", from whichever of the error shapes the chunk used. */
static int format_error(const chunk *c, benchy_buf *out) {
  json_str msg = c->err_msg, type = c->err_type;
  int has_code = c->has_err_code;
  int64_t code = c->err_code;
  if (c->top_is_error && !c->has_error) {
    msg = c->top_msg;
    type = c->top_type;
    has_code = c->has_top_code;
    code = c->top_code;
  }
  if (ABSENT(type) && !ABSENT(c->top_error_type) && c->has_error) type = c->top_error_type;
  benchy_buf_clear(out);
  int rc = 0;
  if (NONEMPTY(type)) {
    rc |= json_str_decode(&type, out);
    if (NONEMPTY(msg)) rc |= benchy_buf_append(out, ": ", 2);
  }
  if (NONEMPTY(msg)) rc |= json_str_decode(&msg, out);
  if (!NONEMPTY(type) && !NONEMPTY(msg)) {
    if (!ABSENT(c->err_code_str) && c->err_code_str.len) {
      rc |= benchy_buf_append_str(out, "error ");
      rc |= json_str_decode(&c->err_code_str, out);
    } else if (has_code) {
      rc |= benchy_buf_printf(out, "error %lld", (long long)code);
    } else {
      rc |= benchy_buf_append_str(out, "error");
    }
  }
  rc |= benchy_buf_terminate(out);
  return rc ? -1 : 0;
}

static void init_counts(oai_stream *s) {
  s->usage_prompt_tokens = s->usage_completion_tokens = -1;
  s->usage_cached_tokens = s->usage_reasoning_tokens = -1;
  memset(&s->timings, 0, sizeof s->timings);
  s->timings.cache_n = s->timings.prompt_n = s->timings.predicted_n = -1;
  s->timings.draft_n = s->timings.draft_n_accepted = -1;
  s->timings.prompt_ms = s->timings.predicted_ms = -1.0;
  s->timings.prompt_per_second = s->timings.predicted_per_second = -1.0;
  s->finish_reason[0] = '\0';
  s->done = 0;
  s->has_error = 0;
  s->last_predicted_n = 0;
  s->error[0] = '\0';
}

void oai_stream_init(oai_stream *s, oai_api api, int keep_text) {
  memset(s, 0, sizeof *s);
  s->api = api;
  s->keep_text = keep_text;
  init_counts(s);
}

void oai_stream_reset(oai_stream *s) {
  init_counts(s);
  benchy_buf_clear(&s->error_message);
  benchy_buf_clear(&s->content);
  benchy_buf_clear(&s->reasoning);
  benchy_buf_clear(&s->scratch);
  for (size_t i = 0; i < s->n_tool_calls; i++) {
    benchy_buf_clear(&s->tool_calls[i].id);
    benchy_buf_clear(&s->tool_calls[i].name);
    benchy_buf_clear(&s->tool_calls[i].arguments);
  }
  s->n_tool_calls = 0;
  s->last_tool = 0;
}

void oai_stream_free(oai_stream *s) {
  benchy_buf_free(&s->error_message);
  benchy_buf_free(&s->content);
  benchy_buf_free(&s->reasoning);
  benchy_buf_free(&s->scratch);
  for (size_t i = 0; i < s->tool_calls_cap; i++) {
    benchy_buf_free(&s->tool_calls[i].id);
    benchy_buf_free(&s->tool_calls[i].name);
    benchy_buf_free(&s->tool_calls[i].arguments);
  }
  free(s->tool_calls);
  free(s->frags);
  s->tool_calls = NULL;
  s->frags = NULL;
  s->n_tool_calls = s->tool_calls_cap = s->frags_cap = 0;
}

static oai_tool_call *new_call(oai_stream *s, int index) {
  if (s->n_tool_calls == s->tool_calls_cap) {
    size_t cap = s->tool_calls_cap ? s->tool_calls_cap * 2 : 2;
    oai_tool_call *grown = realloc(s->tool_calls, cap * sizeof *grown);
    if (!grown) return NULL;
    memset(grown + s->tool_calls_cap, 0, (cap - s->tool_calls_cap) * sizeof *grown);
    s->tool_calls = grown;
    s->tool_calls_cap = cap;
  }
  oai_tool_call *tc = &s->tool_calls[s->n_tool_calls];
  tc->index = index;
  benchy_buf_clear(&tc->id);
  benchy_buf_clear(&tc->name);
  benchy_buf_clear(&tc->arguments);
  /* The record hands these out as C strings, so they must exist even empty. */
  if (benchy_buf_terminate(&tc->id) || benchy_buf_terminate(&tc->name) ||
      benchy_buf_terminate(&tc->arguments))
    return NULL;
  s->last_tool = s->n_tool_calls++;
  return tc;
}

/* Which call a fragment continues. With an index, the call of that index.
 * Without one (some servers send it only on the first fragment), the call
 * the previous fragment went to — unless the fragment brings an id of its
 * own that differs, which can only be a new call. */
static oai_tool_call *call_for(oai_stream *s, const oai_frag *f) {
  if (f->index >= 0) {
    int idx = f->index > INT32_MAX ? INT32_MAX : (int)f->index;
    for (size_t i = 0; i < s->n_tool_calls; i++) {
      if (s->tool_calls[i].index == idx) {
        s->last_tool = i;
        return &s->tool_calls[i];
      }
    }
    return new_call(s, idx);
  }
  if (s->n_tool_calls == 0) return new_call(s, 0);
  oai_tool_call *last = &s->tool_calls[s->last_tool];
  if (NONEMPTY(f->id) && last->id.len &&
      !(f->id.len == last->id.len && !f->id.escaped && memcmp(f->id.p, last->id.data, f->id.len) == 0)) {
    int max = 0;
    for (size_t i = 0; i < s->n_tool_calls; i++)
      if (s->tool_calls[i].index > max) max = s->tool_calls[i].index;
    return new_call(s, max < INT32_MAX ? max + 1 : max);
  }
  return last;
}

/* Decodes a span onto the end of scratch, reporting where it landed. */
static int to_scratch(oai_stream *s, const json_str *str, size_t *off, size_t *len) {
  *off = s->scratch.len;
  if (json_str_decode(str, &s->scratch) != 0) return -1;
  *len = s->scratch.len - *off;
  return 0;
}

static int commit(oai_stream *s, chunk *c, oai_chunk_info *info) {
  unsigned kinds = 0;
  benchy_buf_clear(&s->scratch);
  size_t c_off = 0, c_len = 0, r_off = 0, r_len = 0;

  json_str content = s->api == OAI_COMPLETIONS ? c->text : c->content;
  if (NONEMPTY(content)) {
    if (to_scratch(s, &content, &c_off, &c_len) != 0) return -1;
    if (c_len) kinds |= BENCHY_CHUNK_CONTENT;
  }
  /* Some servers send both names for one text; count it once. */
  json_str reasoning = NONEMPTY(c->reasoning_content) ? c->reasoning_content : c->reasoning;
  if (NONEMPTY(reasoning)) {
    if (to_scratch(s, &reasoning, &r_off, &r_len) != 0) return -1;
    if (r_len) kinds |= BENCHY_CHUNK_REASONING;
  }
  size_t args_total = 0;
  const oai_frag *text_frag = NULL;
  for (size_t i = 0; i < c->n_frags; i++) {
    oai_frag *f = &s->frags[i];
    f->args_off = f->args_len = 0;
    if (NONEMPTY(f->args) && to_scratch(s, &f->args, &f->args_off, &f->args_len) != 0) return -1;
    args_total += f->args_len;
    if (!text_frag && f->args_len) text_frag = f;
  }
  if (c->n_frags) kinds |= BENCHY_CHUNK_TOOL;

  /* From here on only the stream's own buffers are touched. */
  for (size_t i = 0; i < c->n_frags; i++) {
    const oai_frag *f = &s->frags[i];
    oai_tool_call *tc = call_for(s, f);
    if (!tc) return -1;
    if (NONEMPTY(f->id) && tc->id.len == 0 && json_str_decode(&f->id, &tc->id) != 0) return -1;
    if (NONEMPTY(f->name) && tc->name.len == 0 && json_str_decode(&f->name, &tc->name) != 0) return -1;
    if (f->args_len && benchy_buf_append(&tc->arguments, s->scratch.data + f->args_off, f->args_len) != 0)
      return -1;
  }
  if (s->keep_text) {
    if (c_len && benchy_buf_append(&s->content, s->scratch.data + c_off, c_len) != 0) return -1;
    if (r_len && benchy_buf_append(&s->reasoning, s->scratch.data + r_off, r_len) != 0) return -1;
  }
  if (!ABSENT(c->role)) kinds |= BENCHY_CHUNK_ROLE;
  if (!ABSENT(c->finish)) {
    kinds |= BENCHY_CHUNK_FINISH;
    json_str_copy(&c->finish, s->finish_reason, sizeof s->finish_reason);
  }
  if (c->has_usage) {
    kinds |= BENCHY_CHUNK_USAGE;
    s->usage_prompt_tokens = c->prompt_tokens;
    s->usage_completion_tokens = c->completion_tokens;
    s->usage_cached_tokens = c->cached_tokens;
    s->usage_reasoning_tokens = c->reasoning_tokens;
  }
  if (c->has_timings) {
    kinds |= BENCHY_CHUNK_TIMINGS;
    s->timings = c->timings;
    s->timings.present = 1;
  }
  if (c->has_error || c->top_is_error) {
    kinds |= BENCHY_CHUNK_ERROR;
    s->has_error = 1;
    if (format_error(c, &s->error_message) != 0) return -1;
  }
  if (c->has_choices && kinds == 0) kinds |= BENCHY_CHUNK_EMPTY;

  int64_t tokens = -1;
  if (c->has_xb_tokens) {
    tokens = c->xb_tokens < -1 ? -1 : c->xb_tokens > INT32_MAX ? INT32_MAX : c->xb_tokens;
  } else if (c->has_predicted_n && (kinds & BENCHY_CHUNK_TOKENS)) {
    int64_t diff = c->timings.predicted_n - s->last_predicted_n;
    tokens = diff < 0 ? -1 : diff > INT32_MAX ? INT32_MAX : diff;
  }
  if (c->has_predicted_n) s->last_predicted_n = c->timings.predicted_n;

  info->kinds = kinds;
  info->tokens = (int32_t)tokens;
  info->server_send_ns = c->has_xb_send ? c->xb_send_ns : 0;
  size_t total = c_len + r_len + args_total;
  info->text_bytes = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
  if (c_len) {
    info->text = s->scratch.data + c_off;
    info->text_len = c_len;
  } else if (r_len) {
    info->text = s->scratch.data + r_off;
    info->text_len = r_len;
  } else if (text_frag) {
    info->text = s->scratch.data + text_frag->args_off;
    info->text_len = text_frag->args_len;
  }
  return 0;
}

static void chunk_init(chunk *c, const oai_stream *s) {
  memset(c, 0, sizeof *c);
  c->prompt_tokens = s ? s->usage_prompt_tokens : -1;
  c->completion_tokens = s ? s->usage_completion_tokens : -1;
  c->cached_tokens = s ? s->usage_cached_tokens : -1;
  c->reasoning_tokens = s ? s->usage_reasoning_tokens : -1;
  if (s) c->timings = s->timings;
}

int oai_stream_feed(oai_stream *s, const char *data, size_t len, oai_chunk_info *info) {
  info->kinds = 0;
  info->tokens = -1;
  info->server_send_ns = 0;
  info->text_bytes = 0;
  info->text = "";
  info->text_len = 0;
  s->error[0] = '\0';

  size_t a = 0, b = len;
  while (a < b && (data[a] == ' ' || data[a] == '\t' || data[a] == '\n' || data[a] == '\r')) a++;
  while (b > a && (data[b - 1] == ' ' || data[b - 1] == '\t' || data[b - 1] == '\n' || data[b - 1] == '\r')) b--;
  if (b - a == 6 && memcmp(data + a, "[DONE]", 6) == 0) {
    info->kinds = BENCHY_CHUNK_DONE;
    s->done = 1;
    return 0;
  }

  chunk c;
  chunk_init(&c, s);
  json_scan js;
  json_scan_init(&js, data, len);
  int r = walk_top(&js, s, &c);
  if (r == -1) {
    snprintf(s->error, sizeof s->error, "malformed chunk: %s at byte %zu", json_scan_error(&js),
             json_scan_error_pos(&js));
    return -1;
  }
  if (r != 0 || commit(s, &c, info) != 0) {
    info->kinds = 0;
    info->text = "";
    info->text_len = 0;
    info->text_bytes = 0;
    snprintf(s->error, sizeof s->error, "out of memory decoding a chunk");
    return -1;
  }
  return 0;
}

/* When the body is not an error we can read, its first bytes are the best
 * message there is; control characters would garble a one-line report. */
static void raw_excerpt(const char *body, size_t len, benchy_buf *out) {
  const size_t max = 200;
  size_t a = 0;
  while (a < len && (unsigned char)body[a] <= ' ') a++;
  size_t n = len - a < max ? len - a : max;
  while (n && (unsigned char)body[a + n - 1] <= ' ') n--;
  if (n == 0) {
    benchy_buf_append_str(out, "(empty body)");
    return;
  }
  if (benchy_buf_reserve(out, n + 3) != 0) return;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)body[a + i];
    out->data[out->len++] = (char)(ch < ' ' || ch == 0x7F ? ' ' : ch);
  }
  if (len - a > max) {
    memcpy(out->data + out->len, "...", 3);
    out->len += 3;
  }
  out->data[out->len] = '\0';
}

void oai_error_from_body(const char *body, size_t len, benchy_buf *out) {
  benchy_buf_clear(out);
  if (!body) len = 0;
  chunk c;
  chunk_init(&c, NULL);
  json_scan js;
  json_scan_init(&js, body, len);
  if (len && walk_top(&js, NULL, &c) == 0) {
    if (c.has_error || c.top_is_error) {
      if (format_error(&c, out) == 0) return;
      benchy_buf_clear(out);
    } else if (NONEMPTY(c.top_detail)) { /* FastAPI's {"detail": "..."} */
      if (json_str_decode(&c.top_detail, out) == 0) return;
      benchy_buf_clear(out);
    } else if (NONEMPTY(c.top_msg)) {
      if (json_str_decode(&c.top_msg, out) == 0) return;
      benchy_buf_clear(out);
    }
  }
  raw_excerpt(body ? body : "", len, out);
  benchy_buf_terminate(out);
}

void oai_error_message(const char *body, char *out, size_t outlen) {
  out[0] = 0;
  if (!body || !body[0]) return;
  benchy_buf msg = {0};
  oai_error_from_body(body, strlen(body), &msg);
  snprintf(out, outlen, "%s", msg.data ? msg.data : "");
  benchy_buf_free(&msg);
}
