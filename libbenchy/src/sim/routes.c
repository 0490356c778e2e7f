/*
 * routes.c — the simulator's endpoints: completions (validated, tokenized,
 * fault draws taken, then handed to the scheduler) and the small JSON ones
 * (/v1/models, /health, /props, /tokenize, /detokenize, /apply-template,
 * /sim/stats). Request bodies are parsed with cJSON: requests are few
 * compared with chunks, so this is not the hot path.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sim/sim_internal.h"
#include "sim/tokenizer.h"

static int path_is(const sim_request *r, const char *p) {
  return r->path_len == strlen(p) && !memcmp(r->path, p, r->path_len);
}

static int method_is(const sim_request *r, const char *m) {
  return r->method_len == strlen(m) && !memcmp(r->method, m, r->method_len);
}

static void respond_oom(sim_conn *c) {
  sim_conn_error(c, 500, "server_error", "the simulator ran out of memory");
}

/* failed: any append to b ran out of memory. A body with a piece missing
 * would still parse as something else, so it never goes out. */
static void respond_built(sim_conn *c, int status, int failed, const benchy_buf *b) {
  if (failed) respond_oom(c);
  else sim_conn_respond(c, status, b->data ? b->data : "", b->len, NULL);
}

/* Parses the body as a JSON object or answers 400 naming the problem. */
static cJSON *parse_body(sim_conn *c, const sim_request *r) {
  if (r->body_len == 0) {
    sim_conn_error(c, 400, "invalid_request_error", "request body is empty; send a JSON object");
    return NULL;
  }
  const char *end = NULL;
  cJSON *json = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, 0);
  if (!json) {
    size_t at = end && end >= r->body ? (size_t)(end - r->body) : 0;
    sim_conn_error(c, 400, "invalid_request_error",
                   "request body is not valid JSON (parse error at byte %zu of %zu)", at, r->body_len);
    return NULL;
  }
  if (!cJSON_IsObject(json)) {
    cJSON_Delete(json);
    sim_conn_error(c, 400, "invalid_request_error", "request body must be a JSON object");
    return NULL;
  }
  return json;
}

/* ---- prompt tokens and their prefix-block hashes ---- */

typedef struct tok_acc {
  uint64_t h;
  int64_t count;
  int hash; /* collect block hashes */
  uint64_t *blocks;
  size_t n, cap;
  int oom;
} tok_acc;

static void acc_add(tok_acc *a, int64_t id) {
  a->count++;
  if (!a->hash) return;
  /* A running hash of the whole prefix: block k's key covers tokens
   * [0, 16k), so equal keys mean equal prefixes (up to 64-bit collisions). */
  a->h = benchy_mix64(a->h + (uint64_t)id * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
  if (a->count % SIM_CACHE_BLOCK) return;
  uint64_t *room = benchy_grow(a->blocks, &a->cap, a->n + 1, sizeof *room);
  if (!room) {
    a->oom = 1;
    a->hash = 0;
    return;
  }
  a->blocks = room;
  a->blocks[a->n++] = a->h;
}

static void acc_token(void *ud, int64_t id, const char *piece, size_t len) {
  (void)piece;
  (void)len;
  acc_add(ud, id);
}

/* ---- completions ---- */

static uint64_t request_rng(uint64_t seed, uint64_t index) {
  uint64_t st = seed ^ (index * 0xD1B54A32D192ED03ull);
  benchy_rand_next(&st);
  return st;
}

static void make_id(char *out, size_t n, uint64_t *rng) {
  static const char abc[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  for (size_t i = 0; i + 1 < n; i++) out[i] = abc[benchy_rand_next(rng) % 62];
  out[n - 1] = '\0';
}

static int get_bool(const cJSON *obj, const char *name, int def) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
  if (cJSON_IsBool(v)) return cJSON_IsTrue(v);
  return def;
}

/* Output length: max_completion_tokens, max_tokens, n_predict (first set),
 * else the server default. *given says whether the request named one. */
static int get_max_tokens(sim_conn *c, const cJSON *req, int64_t *n, int *given) {
  static const char *const names[] = {"max_completion_tokens", "max_tokens", "n_predict"};
  *given = 0;
  *n = c->sim->cfg.max_tokens;
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(req, names[i]);
    if (!v || cJSON_IsNull(v)) continue;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)) {
      sim_conn_error(c, 400, "invalid_request_error", "'%s' must be an integer", names[i]);
      return -1;
    }
    if (v->valuedouble < 0 && i == 2) return 0; /* n_predict -1: "until done" */
    if (v->valuedouble < 1 || v->valuedouble > 1e9) {
      sim_conn_error(c, 400, "invalid_request_error", "'%s' must be from 1 to 1000000000, got %.0f",
                     names[i], v->valuedouble);
      return -1;
    }
    *n = (int64_t)v->valuedouble;
    *given = 1;
    return 0;
  }
  return 0;
}

/* Picks the tool to call; *params is its parameters schema (may be NULL). */
static int choose_tool(sim_conn *c, sim_stream *st, const cJSON *tools, const cJSON *choice,
                       const cJSON **params) {
  const char *name = NULL;
  const cJSON *fn = NULL, *tool;
  if (cJSON_IsObject(choice)) {
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(choice, "function");
    const cJSON *nm = cJSON_GetObjectItemCaseSensitive(f, "name");
    if (!cJSON_IsString(nm)) {
      sim_conn_error(c, 400, "invalid_request_error",
                     "'tool_choice' must be \"none\", \"auto\", \"required\" or "
                     "{\"type\":\"function\",\"function\":{\"name\":...}}");
      return -1;
    }
    name = nm->valuestring;
    cJSON_ArrayForEach(tool, tools) {
      const cJSON *tf = cJSON_GetObjectItemCaseSensitive(tool, "function");
      const cJSON *tn = cJSON_GetObjectItemCaseSensitive(tf, "name");
      if (cJSON_IsString(tn) && !strcmp(tn->valuestring, name)) fn = tf;
    }
  } else {
    fn = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(tools, 0), "function");
    const cJSON *tn = cJSON_GetObjectItemCaseSensitive(fn, "name");
    if (!cJSON_IsString(tn)) {
      sim_conn_error(c, 400, "invalid_request_error",
                     "tools[0] must be {\"type\":\"function\",\"function\":{\"name\":...}}");
      return -1;
    }
    name = tn->valuestring;
  }
  *params = cJSON_GetObjectItemCaseSensitive(fn, "parameters");
  st->tool_name = benchy_strdup(name);
  if (!st->tool_name) {
    respond_oom(c);
    return -1;
  }
  st->tool = 1;
  return 0;
}

/* chat_template_kwargs.enable_thinking: false turns reasoning off, as the
 * Qwen3-style templates of llama-server, vLLM and SGLang do. */
static int thinking_enabled(const cJSON *req) {
  const cJSON *kwargs = cJSON_GetObjectItemCaseSensitive(req, "chat_template_kwargs");
  return !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(kwargs, "enable_thinking"));
}

/* The call's arguments, following the tool's schema, or broken in one of
 * three ways with --fault-bad-tool-args. Drawn from a generator of their
 * own, so that tools and this fault leave the request's other draws (fault
 * fates, words, ids) as they were without them. */
static int make_tool_args(sim_t *s, sim_stream *st, const cJSON *params, uint64_t index) {
  uint64_t rng = request_rng(s->cfg.seed ^ 0x746F6F6C61726773ull /* "toolargs" */, index);
  int bad = SIM_BAD_ARGS_NONE;
  if (benchy_rand_unit(&rng) < s->cfg.fault_p[SIM_F_BAD_TOOL_ARGS])
    bad = SIM_BAD_ARGS_WRONG_TYPE + (int)(benchy_rand_next(&rng) % 3);
  /* The JSON around the words takes a few of the argument tokens. */
  int64_t m = st->n - st->n_reason - 1, words = m > 5 ? m - 4 : 1;
  benchy_buf args = {0};
  int made;
  if (sim_tool_args(params, benchy_rand_next(&rng), words, bad, &args, &made)) {
    benchy_buf_free(&args);
    return -1;
  }
  st->args = args.data;
  st->args_len = args.len;
  if (bad != SIM_BAD_ARGS_NONE) sim_count_fault(s, SIM_F_BAD_TOOL_ARGS);
  return 0;
}

/* Tokenizes the prompt of a chat or completions request into acc. */
static int prompt_tokens(sim_conn *c, const cJSON *req, int api, tok_acc *acc) {
  if (api == SIM_API_CHAT) {
    benchy_buf text = {0};
    char err[256];
    int rc = sim_apply_template(cJSON_GetObjectItemCaseSensitive(req, "messages"),
                                cJSON_GetObjectItemCaseSensitive(req, "tools"), &text, err, sizeof err);
    if (rc == -1) sim_conn_error(c, 400, "invalid_request_error", "%s", err);
    else if (rc) respond_oom(c);
    else sim_tokenize(text.data ? text.data : "", text.len, acc_token, acc);
    benchy_buf_free(&text);
    return rc ? -1 : 0;
  }
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(req, "prompt");
  if (cJSON_IsArray(prompt) && cJSON_GetArraySize(prompt) == 1 &&
      cJSON_IsString(cJSON_GetArrayItem(prompt, 0)))
    prompt = cJSON_GetArrayItem(prompt, 0);
  if (cJSON_IsString(prompt)) {
    sim_tokenize(prompt->valuestring, strlen(prompt->valuestring), acc_token, acc);
    return 0;
  }
  if (cJSON_IsArray(prompt)) { /* token ids, taken as they are */
    const cJSON *t;
    cJSON_ArrayForEach(t, prompt) {
      /* Out of int64's range the conversion would be undefined. */
      if (!cJSON_IsNumber(t) || !(fabs(t->valuedouble) < 0x1p62)) goto bad;
      acc_add(acc, (int64_t)t->valuedouble);
    }
    return 0;
  }
bad:
  sim_conn_error(c, 400, "invalid_request_error",
                 "'prompt' must be a string, a one-string array, or an array of token ids");
  return -1;
}

/* A rate limit or an internal error drawn for this request: answered, and
 * 1 returned. */
static int answer_drawn_error(sim_conn *c, const double *u) {
  sim_t *s = c->sim;
  const sim_config *cfg = &s->cfg;
  if (u[SIM_F_429] < cfg->fault_p[SIM_F_429]) {
    sim_count_fault(s, SIM_F_429);
    sim_conn_error(c, 429, "rate_limit_error", "simulated rate limit (--fault-429); retry later");
    return 1;
  }
  if (u[SIM_F_500] < cfg->fault_p[SIM_F_500]) {
    sim_count_fault(s, SIM_F_500);
    sim_conn_error(c, 500, "server_error", "simulated internal server error (--fault-500)");
    return 1;
  }
  return 0;
}

/* A stream for req, with what its body says about streaming and caching;
 * NULL (answered) when out of memory. */
static sim_stream *stream_new(sim_conn *c, const cJSON *req, int api, int64_t t0) {
  sim_t *s = c->sim;
  sim_stream *st = calloc(1, sizeof *st);
  if (!st) {
    respond_oom(c);
    return NULL;
  }
  st->sim = s;
  st->conn = c;
  st->api = api;
  st->t0 = t0;
  st->created = (int64_t)time(NULL);
  const cJSON *stream = cJSON_GetObjectItemCaseSensitive(req, "stream");
  st->streaming = cJSON_IsTrue(stream);
  st->include_usage =
      st->streaming && get_bool(cJSON_GetObjectItemCaseSensitive(req, "stream_options"), "include_usage", 0);
  st->use_cache = s->cfg.prefix_cache && get_bool(req, "cache_prompt", 1);
  return st;
}

/* A prompt and max_tokens that do not fit the context, as llama-server
 * says so: answered, and 1 returned. A default max_tokens is first cut to
 * what fits. */
static int answer_context_overflow(sim_conn *c, sim_stream *st, int given) {
  const sim_config *cfg = &c->sim->cfg;
  if (!given && st->prompt_tokens < cfg->ctx_size && st->prompt_tokens + st->n > cfg->ctx_size)
    st->n = cfg->ctx_size - st->prompt_tokens; /* a default never overflows */
  if (st->prompt_tokens + st->n <= cfg->ctx_size) return 0;
  benchy_buf b = {0};
  long long need = (long long)(st->prompt_tokens + st->n);
  int rc = benchy_buf_printf(&b,
                             "{\"error\":{\"code\":400,\"message\":\"request (%lld tokens: %lld prompt + %lld "
                             "max_tokens) exceeds the available context size (%lld tokens), try increasing it\","
                             "\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":%lld,\"n_ctx\":%lld}}",
                             need, (long long)st->prompt_tokens, (long long)st->n, (long long)cfg->ctx_size,
                             (long long)st->prompt_tokens, (long long)cfg->ctx_size);
  respond_built(c, 400, rc, &b);
  benchy_buf_free(&b);
  return 1;
}

/* The rest of the stream's plan, from the request's draws: reasoning and
 * tool arguments (chat), the faults that fire mid-stream, and the ids.
 * -1 when out of memory. */
static int plan_stream(sim_stream *st, const cJSON *req, const cJSON *tool_params, uint64_t index,
                       const double *u, uint64_t *rng) {
  sim_t *s = st->sim;
  const sim_config *cfg = &s->cfg;
  if (st->api == SIM_API_CHAT) {
    st->n_reason = thinking_enabled(req) ? cfg->reasoning_tokens : 0;
    int64_t room = st->tool ? st->n - 1 : st->n; /* the tool call needs its header token */
    if (st->n_reason > room) st->n_reason = room;
    if (st->tool && make_tool_args(s, st, tool_params, index)) return -1;
  }
  for (int k = SIM_F_DISCONNECT; k < SIM_F_DRAWN; k++)
    if (u[k] < cfg->fault_p[k]) st->faults |= 1u << k;
  st->fault_tok = (st->n - 1) / 2;
  st->word_seed = benchy_rand_next(rng);
  st->sentence_every = cfg->sentence_every;
  char rnd[33];
  make_id(rnd, sizeof rnd, rng);
  snprintf(st->id, sizeof st->id, "%s%s",
           st->api == SIM_API_CHAT || cfg->flavour == SIM_FLAVOUR_LLAMA ? "chatcmpl-" : "cmpl-", rnd);
  make_id(rnd, 25, rng);
  snprintf(st->tool_id, sizeof st->tool_id, "call_%s", rnd);
  st->rng = *rng;
  return 0;
}

static void handle_completion(sim_conn *c, const sim_request *r, int api) {
  sim_t *s = c->sim;
  const sim_config *cfg = &s->cfg;
  int64_t t0 = benchy_now_ns();
  uint64_t index = s->next_index++;
  uint64_t rng = request_rng(cfg->seed, index);
  /* All fault draws are taken, in a fixed order, whether they fire or not:
   * request k's fate depends on the seed and k only. */
  double u[SIM_F_COUNT];
  for (int k = 0; k < SIM_F_DRAWN; k++) u[k] = benchy_rand_unit(&rng);
  if (answer_drawn_error(c, u)) return;
  cJSON *req = parse_body(c, r);
  if (!req) return;
  sim_stream *st = NULL;
  tok_acc acc = {0};
  const cJSON *model = cJSON_GetObjectItemCaseSensitive(req, "model");
  if (model && !cJSON_IsNull(model) && (!cJSON_IsString(model) || strcmp(model->valuestring, cfg->model))) {
    sim_conn_error(c, 404, "model_not_found", "model '%s' not found; this server serves '%s'",
                   cJSON_IsString(model) ? model->valuestring : "(not a string)", cfg->model);
    goto out;
  }
  if (!(st = stream_new(c, req, api, t0))) goto out;
  int given;
  const cJSON *tool_params = NULL;
  if (get_max_tokens(c, req, &st->n, &given)) goto out;
  if (api == SIM_API_CHAT) {
    const cJSON *tools = cJSON_GetObjectItemCaseSensitive(req, "tools");
    const cJSON *choice = cJSON_GetObjectItemCaseSensitive(req, "tool_choice");
    int none = cJSON_IsString(choice) && !strcmp(choice->valuestring, "none");
    if (cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0 && !none &&
        choose_tool(c, st, tools, choice, &tool_params))
      goto out;
  }
  acc.hash = st->use_cache;
  if (prompt_tokens(c, req, api, &acc)) goto out;
  if (acc.oom) st->use_cache = 0;
  st->prompt_tokens = acc.count;
  if (answer_context_overflow(c, st, given)) goto out;
  st->blocks = acc.blocks;
  st->n_blocks = acc.n;
  acc.blocks = NULL;
  if (plan_stream(st, req, tool_params, index, u, &rng) || sim_render_prepare(st)) {
    respond_oom(c);
    goto out;
  }
  c->stream = st;
  if (sim_stream_submit(st)) {
    c->stream = NULL;
    sim_conn_error(c, 503, "server_error", "the simulator ran out of memory for another stream");
    goto out;
  }
  st = NULL;
out:
  sim_stream_free(st);
  free(acc.blocks);
  cJSON_Delete(req);
}

/* ---- small endpoints ---- */

static void handle_models(sim_conn *c) {
  sim_t *s = c->sim;
  benchy_buf b = {0};
  int rc = benchy_buf_append_str(&b, "{\"object\":\"list\",\"data\":[{\"id\":\"");
  rc |= sim_buf_escaped(&b, s->cfg.model, strlen(s->cfg.model));
  rc |= benchy_buf_printf(&b, "\",\"object\":\"model\",\"created\":%lld,\"owned_by\":\"benchy-sim\",\"root\":\"",
                          (long long)s->created_base);
  rc |= sim_buf_escaped(&b, s->cfg.model, strlen(s->cfg.model));
  rc |= benchy_buf_printf(&b, "\",\"max_model_len\":%lld,\"meta\":{\"n_ctx\":%lld,\"n_ctx_train\":%lld",
                          (long long)s->cfg.ctx_size, (long long)s->cfg.ctx_size, (long long)s->cfg.ctx_size);
  /* llama-server states the model's parameter count and file size here (an
   * 8B model at Q4_K_M, as a plausible fixed pair); vLLM and SGLang do not,
   * so a client's model columns can be tested both ways. */
  if (s->cfg.flavour == SIM_FLAVOUR_LLAMA)
    rc |= benchy_buf_append_str(&b, ",\"n_params\":8030261248,\"size\":4920739840,\"ftype\":\"Q4_K_M\"");
  rc |= benchy_buf_append_str(&b, "}}]}");
  respond_built(c, 200, rc, &b);
  benchy_buf_free(&b);
}


static void handle_props(sim_conn *c) {
  sim_t *s = c->sim;
  benchy_buf b = {0};
  int rc = benchy_buf_printf(&b,
                             /* llama-server's default sampler, as its /props reports it. */
                             "{\"default_generation_settings\":{\"n_ctx\":%lld,\"params\":{\"n_predict\":%lld,"
                             "\"temperature\":0.8,\"top_k\":40,\"top_p\":0.95,\"min_p\":0.05,"
                             "\"seed\":4294967295}},"
                             "\"total_slots\":%lld,\"n_ctx\":%lld,\"model_alias\":\"",
                             (long long)s->cfg.ctx_size, (long long)s->cfg.max_tokens,
                             (long long)s->cfg.slots, (long long)s->cfg.ctx_size);
  rc |= sim_buf_escaped(&b, s->cfg.model, strlen(s->cfg.model));
  rc |= benchy_buf_append_str(&b, "\",\"model_path\":\"");
  rc |= sim_buf_escaped(&b, s->cfg.model, strlen(s->cfg.model));
  rc |= benchy_buf_printf(&b,
                          "\",\"build_info\":\"benchy-sim %s (flavour %s)\",\"chat_template\":\"chatml "
                          "(benchy-sim: <|im_start|>role\\ncontent<|im_end|>\\n; see docs/simulator.md)\","
                          "\"bos_token\":\"\",\"eos_token\":\"<|im_end|>\"}",
                          BENCHY_VERSION_STRING, sim_flavour_names[s->cfg.flavour]);
  respond_built(c, 200, rc, &b);
  benchy_buf_free(&b);
}

typedef struct tok_list {
  benchy_buf *b;
  int pieces, first, failed;
} tok_list;

static void list_token(void *ud, int64_t id, const char *piece, size_t len) {
  tok_list *t = ud;
  benchy_buf *b = t->b;
  int rc = t->first ? 0 : benchy_buf_append(b, ",", 1);
  t->first = 0;
  if (!t->pieces) {
    rc |= benchy_buf_printf(b, "%lld", (long long)id);
  } else {
    rc |= benchy_buf_printf(b, "{\"id\":%lld,\"piece\":", (long long)id);
    if (len > 1 || (unsigned char)piece[0] < 0x80) {
      rc |= benchy_buf_append(b, "\"", 1);
      rc |= sim_buf_escaped(b, piece, len);
      rc |= benchy_buf_append(b, "\"", 1);
    } else { /* a lone byte that is not UTF-8: its value, as llama-server does */
      rc |= benchy_buf_printf(b, "[%u]", (unsigned)(unsigned char)piece[0]);
    }
    rc |= benchy_buf_append(b, "}", 1);
  }
  if (rc) t->failed = 1;
}

static void handle_tokenize(sim_conn *c, const sim_request *r) {
  sim_t *s = c->sim;
  cJSON *req = parse_body(c, r);
  if (!req) return;
  const cJSON *content = cJSON_GetObjectItemCaseSensitive(req, "content");
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(req, "prompt");
  const cJSON *messages = cJSON_GetObjectItemCaseSensitive(req, "messages");
  benchy_buf text = {0}, b = {0};
  tok_list tl = {&b, 0, 1, 0};
  if (cJSON_IsString(content)) {
    /* llama-server's form. No BOS is ever added: add_special changes nothing. */
    tl.pieces = get_bool(req, "with_pieces", 0);
    tl.failed |= benchy_buf_append_str(&b, "{\"tokens\":[");
    sim_tokenize(content->valuestring, strlen(content->valuestring), list_token, &tl);
    tl.failed |= benchy_buf_append_str(&b, "]}");
  } else if (cJSON_IsString(prompt) || messages) {
    /* vLLM's form. */
    if (cJSON_IsString(prompt)) {
      tl.failed |= benchy_buf_append_str(&text, prompt->valuestring);
    } else {
      char err[256];
      int rc = sim_apply_template(messages, cJSON_GetObjectItemCaseSensitive(req, "tools"), &text, err,
                                  sizeof err);
      if (rc == -1) {
        sim_conn_error(c, 400, "invalid_request_error", "%s", err);
        goto out;
      }
      tl.failed |= rc != 0;
    }
    size_t count = sim_tokenize(text.data ? text.data : "", text.len, NULL, NULL);
    tl.failed |= benchy_buf_printf(&b, "{\"count\":%zu,\"max_model_len\":%lld,\"tokens\":[", count,
                                   (long long)s->cfg.ctx_size);
    sim_tokenize(text.data ? text.data : "", text.len, list_token, &tl);
    tl.failed |= benchy_buf_append_str(&b, "]}");
  } else {
    sim_conn_error(c, 400, "invalid_request_error",
                   "send {\"content\": text} (llama.cpp form) or {\"prompt\": text} / "
                   "{\"messages\": [...]} (vLLM form)");
    goto out;
  }
  respond_built(c, 200, tl.failed, &b);
out:
  benchy_buf_free(&text);
  benchy_buf_free(&b);
  cJSON_Delete(req);
}

static void handle_detokenize(sim_conn *c, const sim_request *r) {
  cJSON *req = parse_body(c, r);
  if (!req) return;
  const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(req, "tokens");
  benchy_buf text = {0}, b = {0};
  if (!cJSON_IsArray(tokens)) {
    sim_conn_error(c, 400, "invalid_request_error", "'tokens' must be an array of token ids");
    goto out;
  }
  const cJSON *t;
  int i = 0;
  cJSON_ArrayForEach(t, tokens) {
    int rc = cJSON_IsNumber(t) && t->valuedouble == floor(t->valuedouble) && fabs(t->valuedouble) < 0x1p62
                 ? sim_detokenize_one((int64_t)t->valuedouble, &text)
                 : -1;
    if (rc == -1) {
      sim_conn_error(c, 400, "invalid_request_error", "tokens[%d] is not a token id of this tokenizer", i);
      goto out;
    }
    if (rc) {
      respond_oom(c);
      goto out;
    }
    i++;
  }
  int rc = benchy_buf_append_str(&b, c->sim->cfg.flavour == SIM_FLAVOUR_VLLM ? "{\"prompt\":\"" : "{\"content\":\"");
  rc |= sim_buf_escaped(&b, text.data ? text.data : "", text.len);
  rc |= benchy_buf_append_str(&b, "\"}");
  respond_built(c, 200, rc, &b);
out:
  benchy_buf_free(&text);
  benchy_buf_free(&b);
  cJSON_Delete(req);
}

static void handle_apply_template(sim_conn *c, const sim_request *r) {
  cJSON *req = parse_body(c, r);
  if (!req) return;
  benchy_buf text = {0}, b = {0};
  char err[256];
  int rc = sim_apply_template(cJSON_GetObjectItemCaseSensitive(req, "messages"),
                              cJSON_GetObjectItemCaseSensitive(req, "tools"), &text, err, sizeof err);
  if (rc == -1) {
    sim_conn_error(c, 400, "invalid_request_error", "%s", err);
  } else {
    rc |= benchy_buf_append_str(&b, "{\"prompt\":\"");
    rc |= sim_buf_escaped(&b, text.data ? text.data : "", text.len);
    rc |= benchy_buf_append_str(&b, "\"}");
    respond_built(c, 200, rc, &b);
  }
  benchy_buf_free(&text);
  benchy_buf_free(&b);
  cJSON_Delete(req);
}

static void handle_stats(sim_conn *c) {
  benchy_buf b = {0};
  sim_stats_flush(c->sim);
  int rc = sim_write_stats_json(c->sim, &b);
  respond_built(c, 200, rc, &b);
  benchy_buf_free(&b);
}

/* As llama-server: without --metrics, 501 and how to get them. */
static void handle_metrics(sim_conn *c) {
  if (!c->sim->cfg.metrics) {
    sim_conn_error(c, 501, "not_supported_error",
                   "This server does not support metrics endpoint. Start it with `--metrics`");
    return;
  }
  benchy_buf b = {0};
  int rc = sim_write_metrics(c->sim, &b);
  respond_built(c, 200, rc, &b);
  benchy_buf_free(&b);
}

typedef struct route {
  const char *method, *path;
  int id;
} route;

enum { R_HEALTH, R_MODELS, R_PROPS, R_STATS, R_METRICS, R_CHAT, R_COMPLETIONS, R_TOKENIZE, R_DETOKENIZE, R_TEMPLATE };

static const route routes[] = {
    {"GET", "/health", R_HEALTH},
    {"GET", "/v1/health", R_HEALTH},
    {"GET", "/v1/models", R_MODELS},
    {"GET", "/models", R_MODELS},
    {"GET", "/props", R_PROPS},
    {"GET", "/sim/stats", R_STATS},
    {"GET", "/metrics", R_METRICS},
    {"POST", "/v1/chat/completions", R_CHAT},
    {"POST", "/chat/completions", R_CHAT},
    {"POST", "/v1/completions", R_COMPLETIONS},
    {"POST", "/completions", R_COMPLETIONS},
    {"POST", "/tokenize", R_TOKENIZE},
    {"POST", "/detokenize", R_DETOKENIZE},
    {"POST", "/apply-template", R_TEMPLATE},
};

/* As llama-server --api-key: "Bearer KEY" exactly, else 401. */
static int authorized(const sim_t *s, const sim_request *r) {
  const char *key = s->cfg.api_key;
  size_t n = strlen(key);
  if (!n) return 1;
  return r->authorization && r->authorization_len == n + 7 && !strncmp(r->authorization, "Bearer ", 7) &&
         !memcmp(r->authorization + 7, key, n);
}

void sim_route(sim_conn *c, const sim_request *r) {
  sim_t *s = c->sim;
  pthread_mutex_lock(&s->mu);
  s->requests++;
  pthread_mutex_unlock(&s->mu);
  int path_known = 0;
  for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
    if (!path_is(r, routes[i].path)) continue;
    path_known = 1;
    if (!method_is(r, routes[i].method)) continue;
    /* llama-server leaves /health and /models open so that a client can
     * tell "up" and "which model" before it has a key; /sim/stats is the
     * test harness's, not the API's. */
    int open_route = routes[i].id == R_HEALTH || routes[i].id == R_MODELS || routes[i].id == R_STATS;
    if (!open_route && !authorized(s, r)) {
      sim_conn_error(c, 401, "authentication_error", "Invalid API Key");
      return;
    }
    switch (routes[i].id) {
    case R_HEALTH: {
      static const char ok[] = "{\"status\":\"ok\"}";
      sim_conn_respond(c, 200, ok, sizeof ok - 1, NULL);
      return;
    }
    case R_MODELS: handle_models(c); return;
    case R_PROPS: handle_props(c); return;
    case R_STATS: handle_stats(c); return;
    case R_METRICS: handle_metrics(c); return;
    case R_CHAT: handle_completion(c, r, SIM_API_CHAT); return;
    case R_COMPLETIONS: handle_completion(c, r, SIM_API_COMPLETIONS); return;
    case R_TOKENIZE: handle_tokenize(c, r); return;
    case R_DETOKENIZE: handle_detokenize(c, r); return;
    default: handle_apply_template(c, r); return;
    }
  }
  if (path_known)
    sim_conn_error(c, 405, "invalid_request_error", "method %.*s is not allowed for %.*s",
                   (int)r->method_len, r->method, (int)r->path_len, r->path);
  else
    sim_conn_error(c, 404, "not_found_error",
                   "no endpoint %.*s %.*s (benchy sim serves /v1/chat/completions, /v1/completions, "
                   "/v1/models, /health, /props, /tokenize, /detokenize, /apply-template, /metrics, /sim/stats)",
                   (int)r->method_len, r->method, (int)r->path_len, r->path);
}
