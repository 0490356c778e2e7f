/*
 * chunks.c — the bytes of simulated responses: streamed chunks in each
 * flavour's shape, the finish/usage tail, the in-stream error event and
 * non-streamed bodies, built in the scratch "out" (out.c).
 *
 * Token chunks are the hot path (hundreds of thousands a second), so each
 * stream renders its constant JSON once (head: up to the delta; tail: after
 * it) and a chunk is head + delta + tail + stamp, copied with memcpy into
 * the server's one scratch buffer: no snprintf and no allocation per chunk.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/sim_internal.h"
#include "sim/tokenizer.h"

static const char fingerprint[] = "benchy-sim-" BENCHY_VERSION_STRING;

/* ---- which part of the output a token is ---- */

int sim_phase_of(const sim_stream *st, int64_t tok) {
  if (st->api == SIM_API_COMPLETIONS) return SIM_PH_CONTENT;
  if (tok < st->n_reason) return SIM_PH_REASON;
  if (!st->tool) return SIM_PH_CONTENT;
  return tok == st->n_reason ? SIM_PH_TOOL_HEAD : SIM_PH_TOOL_ARGS;
}

int64_t sim_phase_end(const sim_stream *st, int64_t tok) {
  switch (sim_phase_of(st, tok)) {
  case SIM_PH_REASON: return st->n_reason;
  case SIM_PH_TOOL_HEAD: return st->n_reason + 1;
  default: return st->n;
  }
}

/* ---- pieces of generated text ---- */

static inline uint32_t word_at(const sim_stream *st, int64_t tok) {
  return (uint32_t)(benchy_mix64(st->word_seed + (uint64_t)tok * 0x9E3779B97F4A7C15ull) % SIM_WORD_COUNT);
}

static void out_words(sim_out *o, const sim_stream *st, int64_t from, int64_t to) {
  for (int64_t j = from; j < to; j++) {
    /* A full stop is one token of the sim's tokenizer, as each word is. */
    if (st->sentence_every > 0 && (j + 1) % st->sentence_every == 0) {
      sim_out_mem(o, ".", 1);
      continue;
    }
    const sim_word *w = &sim_words[word_at(st, j)];
    char tmp[SIM_TOK_MAX_RUN + 1];
    tmp[0] = ' ';
    memcpy(tmp + 1, w->text, w->len);
    sim_out_mem(o, tmp, (size_t)w->len + 1);
  }
}

/* Where argument token a of m starts in the arguments text: equal byte
 * shares, moved forward to a UTF-8 character boundary so that no fragment
 * splits a character. Token m - 1 ends at the text's end, so the fragments
 * concatenated are the whole text, whatever m (short texts leave some
 * fragments empty). */
static size_t arg_cut(const sim_stream *st, int64_t a, int64_t m) {
  if (a >= m) return st->args_len;
  size_t at = (size_t)((double)st->args_len * (double)a / (double)m);
  while (at < st->args_len && ((unsigned char)st->args[at] & 0xC0) == 0x80) at++;
  return at;
}

/* Argument fragments [from, to) of a tool call, escaped for a JSON string. */
static void out_arg_frags(sim_out *o, const sim_stream *st, int64_t from, int64_t to) {
  int64_t first = st->n_reason + 1, m = st->n - first;
  size_t a = arg_cut(st, from - first, m), b = arg_cut(st, to - first, m);
  sim_out_escaped(o, st->args + a, b - a);
}

static void out_tool_head(sim_out *o, const sim_stream *st) {
  sim_out_str(o, "[{\"index\":0,\"id\":\"");
  sim_out_str(o, st->tool_id);
  sim_out_str(o, "\",\"type\":\"function\",\"function\":{\"name\":\"");
  sim_out_escaped(o, st->tool_name, strlen(st->tool_name));
  /* With no argument tokens left, the header carries the whole text. */
  sim_out_str(o, "\",\"arguments\":\"");
  if (st->n - st->n_reason - 1 == 0) sim_out_escaped(o, st->args, st->args_len);
  sim_out_str(o, "\"}}]");
}

static void out_tool_args(sim_out *o, const sim_stream *st, int64_t from, int64_t to) {
  sim_out_str(o, "[{\"index\":0,\"function\":{\"arguments\":\"");
  out_arg_frags(o, st, from, to);
  sim_out_str(o, "\"}}]");
}

/* The fields inside "delta":{...} (chat) or the "text" field (completions). */
static void out_delta(sim_out *o, const sim_stream *st, int64_t from, int64_t to) {
  if (st->api == SIM_API_COMPLETIONS) {
    sim_out_str(o, "\"text\":\"");
    out_words(o, st, from, to);
    sim_out_mem(o, "\"", 1);
    return;
  }
  int ph = sim_phase_of(st, from);
  if (st->sim->cfg.flavour == SIM_FLAVOUR_SGLANG) {
    /* SGLang names every delta field, null when unused. */
    sim_out_str(o, "\"role\":null,\"content\":");
    if (ph == SIM_PH_CONTENT) {
      sim_out_mem(o, "\"", 1);
      out_words(o, st, from, to);
      sim_out_mem(o, "\"", 1);
    } else {
      sim_out_str(o, "null");
    }
    sim_out_str(o, ",\"reasoning_content\":");
    if (ph == SIM_PH_REASON) {
      sim_out_mem(o, "\"", 1);
      out_words(o, st, from, to);
      sim_out_mem(o, "\"", 1);
    } else {
      sim_out_str(o, "null");
    }
    sim_out_str(o, ",\"tool_calls\":");
    if (ph == SIM_PH_TOOL_HEAD) out_tool_head(o, st);
    else if (ph == SIM_PH_TOOL_ARGS) out_tool_args(o, st, from, to);
    else sim_out_str(o, "null");
    return;
  }
  switch (ph) {
  case SIM_PH_REASON:
    sim_out_str(o, "\"reasoning_content\":\"");
    out_words(o, st, from, to);
    sim_out_mem(o, "\"", 1);
    break;
  case SIM_PH_CONTENT:
    sim_out_str(o, "\"content\":\"");
    out_words(o, st, from, to);
    sim_out_mem(o, "\"", 1);
    break;
  case SIM_PH_TOOL_HEAD:
    sim_out_str(o, "\"tool_calls\":");
    out_tool_head(o, st);
    break;
  default:
    sim_out_str(o, "\"tool_calls\":");
    out_tool_args(o, st, from, to);
    break;
  }
}

/* ---- per-stream constant parts ---- */

static int meta_vllm(benchy_buf *b, const sim_stream *st, const char *object) {
  int rc = benchy_buf_printf(b, "\"id\":\"%s\",\"object\":\"%s\",\"created\":%lld,\"model\":\"", st->id,
                             object, (long long)st->created);
  rc |= sim_buf_escaped(b, st->sim->cfg.model, strlen(st->sim->cfg.model));
  rc |= benchy_buf_append_str(b, "\"");
  return rc;
}

int sim_render_prepare(sim_stream *st) {
  const sim_config *cfg = &st->sim->cfg;
  benchy_buf *h = &st->head, *t = &st->tail, *m = &st->meta;
  int chat = st->api == SIM_API_CHAT, rc = 0;
  if (cfg->flavour == SIM_FLAVOUR_LLAMA) {
    rc |= benchy_buf_printf(m, "\"created\":%lld,\"id\":\"%s\",\"model\":\"", (long long)st->created,
                            st->id);
    rc |= sim_buf_escaped(m, cfg->model, strlen(cfg->model));
    rc |= benchy_buf_printf(m, "\",\"system_fingerprint\":\"%s\"", fingerprint);
    if (chat) {
      rc |= benchy_buf_append_str(h, "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{");
      rc |= benchy_buf_append_str(t, "}}],");
      rc |= benchy_buf_append(t, m->data, m->len);
      rc |= benchy_buf_append_str(t, ",\"object\":\"chat.completion.chunk\"");
    } else {
      rc |= benchy_buf_append_str(h, "data: {\"choices\":[{");
      rc |= benchy_buf_append_str(t, ",\"index\":0,\"logprobs\":null,\"finish_reason\":null}],");
      rc |= benchy_buf_append(t, m->data, m->len);
      rc |= benchy_buf_append_str(t, ",\"object\":\"text_completion\"");
    }
  } else {
    int sg = cfg->flavour == SIM_FLAVOUR_SGLANG;
    rc |= meta_vllm(m, st, chat ? "chat.completion.chunk" : "text_completion");
    rc |= benchy_buf_append_str(h, "data: {");
    rc |= benchy_buf_append(h, m->data, m->len);
    rc |= benchy_buf_append_str(h, chat ? ",\"choices\":[{\"index\":0,\"delta\":{" : ",\"choices\":[{\"index\":0,");
    if (chat) rc |= benchy_buf_append_str(t, "}");
    rc |= benchy_buf_append_str(t, sg ? ",\"logprobs\":null,\"finish_reason\":null,\"matched_stop\":null}],\"usage\":null"
                                      : ",\"logprobs\":null,\"finish_reason\":null}]");
  }
  return rc ? -1 : 0;
}

/* ---- streamed events ---- */

static void event_end(sim_out *o) {
  sim_out_mem(o, "}\n\n", 3);
  o->n_events++;
}

int sim_render_role(sim_stream *st, sim_out *o, int64_t sched) {
  sim_out_mem(o, st->head.data, st->head.len);
  /* llama.cpp announces the role with null content; vLLM with "". */
  sim_out_str(o, st->sim->cfg.flavour == SIM_FLAVOUR_LLAMA ? "\"role\":\"assistant\",\"content\":null"
                                                          : "\"role\":\"assistant\",\"content\":\"\"");
  sim_out_mem(o, st->tail.data, st->tail.len);
  sim_out_stamp(st->sim, o, sched, 0);
  event_end(o);
  return o->oom ? -1 : 0;
}

int sim_render_tokens(sim_stream *st, sim_out *o, int64_t from, int64_t to, int64_t sched,
                      int malformed) {
  size_t start = o->b.len;
  sim_out_mem(o, st->head.data, st->head.len);
  out_delta(o, st, from, to);
  sim_out_mem(o, st->tail.data, st->tail.len);
  sim_out_stamp(st->sim, o, sched, to - from);
  event_end(o);
  if (malformed && !o->oom) {
    /* Cut the event's JSON in half: a parser must reject it and go on. */
    size_t cut = start + (o->b.len - start - 2) / 2;
    o->b.len = cut;
    while (o->n_stamps > 0 && o->stamp_at[o->n_stamps - 1] + SIM_STAMP_WIDTH > cut) o->n_stamps--;
    sim_out_mem(o, "\n\n", 2);
  }
  return o->oom ? -1 : 0;
}

static void out_usage(sim_out *o, const sim_stream *st) {
  sim_out_str(o, "\"usage\":{\"completion_tokens\":");
  sim_out_i64(o, st->n);
  sim_out_str(o, ",\"prompt_tokens\":");
  sim_out_i64(o, st->prompt_tokens);
  sim_out_str(o, ",\"total_tokens\":");
  sim_out_i64(o, st->prompt_tokens + st->n);
  sim_out_str(o, ",\"prompt_tokens_details\":{\"cached_tokens\":");
  sim_out_i64(o, st->cached);
  sim_out_str(o, "},\"completion_tokens_details\":{\"reasoning_tokens\":");
  sim_out_i64(o, st->api == SIM_API_CHAT ? st->n_reason : 0);
  sim_out_str(o, "}}");
}

/* llama-server's timings, from the model's own times (not measured ones):
 * prompt_ms is the prefill time, predicted_ms first to last token, and the
 * rates are n / time as llama-server computes them. */
static void out_timings(sim_out *o, const sim_stream *st) {
  const sim_config *cfg = &st->sim->cfg;
  int64_t prompt_n = st->prompt_tokens - st->cached;
  double prompt_ms = (double)prompt_n * 1000.0 / cfg->prefill_tps;
  double pred_ms = (double)(st->t_last - st->t_first) / 1e6;
  sim_out_str(o, "\"timings\":{\"cache_n\":");
  sim_out_i64(o, st->cached);
  sim_out_str(o, ",\"prompt_n\":");
  sim_out_i64(o, prompt_n);
  sim_out_str(o, ",\"prompt_ms\":");
  sim_out_double(o, prompt_ms);
  sim_out_str(o, ",\"prompt_per_token_ms\":");
  sim_out_double(o, prompt_n > 0 ? prompt_ms / (double)prompt_n : 0);
  sim_out_str(o, ",\"prompt_per_second\":");
  sim_out_double(o, prompt_ms > 0 ? (double)prompt_n * 1000.0 / prompt_ms : 0);
  sim_out_str(o, ",\"predicted_n\":");
  sim_out_i64(o, st->n);
  sim_out_str(o, ",\"predicted_ms\":");
  sim_out_double(o, pred_ms);
  sim_out_str(o, ",\"predicted_per_token_ms\":");
  sim_out_double(o, pred_ms / (double)st->n);
  sim_out_str(o, ",\"predicted_per_second\":");
  sim_out_double(o, pred_ms > 0 ? (double)st->n * 1000.0 / pred_ms : 0);
  sim_out_mem(o, "}", 1);
}

static const char *finish_reason(const sim_stream *st) { return st->tool ? "tool_calls" : "length"; }

/* llama-server names the object after its meta, not inside it, so one meta
 * serves chunks and bodies alike. */
static void out_llama_meta(sim_out *o, const sim_stream *st, const char *object) {
  sim_out_mem(o, st->meta.data, st->meta.len);
  sim_out_str(o, ",\"object\":\"");
  sim_out_str(o, object);
  sim_out_mem(o, "\"", 1);
}

/* llama-server's usage never comes without its timings. */
static void out_llama_usage(sim_out *o, const sim_stream *st) {
  sim_out_mem(o, ",", 1);
  out_usage(o, st);
  sim_out_mem(o, ",", 1);
  out_timings(o, st);
}

static void event_close(sim_stream *st, sim_out *o, int64_t sched) {
  sim_out_stamp(st->sim, o, sched, 0);
  event_end(o);
}

static void finish_llama(sim_stream *st, sim_out *o, int64_t sched) {
  if (st->api != SIM_API_CHAT) {
    /* llama-server's /v1/completions always ends with usage on the
     * finish chunk, asked for or not. */
    sim_out_str(o, "data: {\"choices\":[{\"text\":\"\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"");
    sim_out_str(o, finish_reason(st));
    sim_out_str(o, "\"}],");
    out_llama_meta(o, st, "text_completion");
    out_llama_usage(o, st);
    event_close(st, o, sched);
    return;
  }
  sim_out_str(o, "data: {\"choices\":[{\"finish_reason\":\"");
  sim_out_str(o, finish_reason(st));
  sim_out_str(o, "\",\"index\":0,\"delta\":{}}],");
  out_llama_meta(o, st, "chat.completion.chunk");
  if (!st->include_usage) {
    /* llama-server puts timings on the finish chunk when there is no
     * usage chunk to carry them. */
    sim_out_mem(o, ",", 1);
    out_timings(o, st);
  }
  event_close(st, o, sched);
  if (st->include_usage) {
    sim_out_str(o, "data: {\"choices\":[],");
    out_llama_meta(o, st, "chat.completion.chunk");
    out_llama_usage(o, st);
    event_close(st, o, sched);
  }
}

/* SGLang ends as vLLM does, with its extra null fields; both lead every
 * event with meta, which already names the object. */
static void finish_vllm(sim_stream *st, sim_out *o, int64_t sched) {
  int sg = st->sim->cfg.flavour == SIM_FLAVOUR_SGLANG;
  sim_out_str(o, "data: {");
  sim_out_mem(o, st->meta.data, st->meta.len);
  if (st->api == SIM_API_CHAT)
    sim_out_str(o, sg ? ",\"choices\":[{\"index\":0,\"delta\":{\"role\":null,\"content\":null,"
                        "\"reasoning_content\":null,\"tool_calls\":null},\"logprobs\":null,"
                        "\"finish_reason\":\""
                      : ",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"logprobs\":null,"
                        "\"finish_reason\":\"");
  else
    sim_out_str(o, ",\"choices\":[{\"index\":0,\"text\":\"\",\"logprobs\":null,\"finish_reason\":\"");
  sim_out_str(o, finish_reason(st));
  sim_out_str(o, sg ? "\",\"matched_stop\":null}],\"usage\":null" : "\",\"stop_reason\":null}]");
  event_close(st, o, sched);
  if (st->include_usage) {
    sim_out_str(o, "data: {");
    sim_out_mem(o, st->meta.data, st->meta.len);
    sim_out_str(o, ",\"choices\":[],");
    out_usage(o, st);
    event_close(st, o, sched);
  }
}

int sim_render_finish(sim_stream *st, sim_out *o, int64_t sched) {
  if (st->sim->cfg.flavour == SIM_FLAVOUR_LLAMA) finish_llama(st, o, sched);
  else finish_vllm(st, o, sched);
  sim_out_str(o, "data: [DONE]\n\n");
  o->n_events++;
  return o->oom ? -1 : 0;
}

int sim_render_error_event(sim_stream *st, sim_out *o) {
  sim_out_str(o, "data: {\"error\":{\"code\":500,\"message\":\"simulated error in the stream "
                 "(--fault-error-chunk)\",\"type\":\"server_error\"}}\n\n");
  o->n_events++;
  return o->oom ? -1 : 0;
}

/* ---- non-streamed bodies ---- */

static void out_message(sim_out *o, const sim_stream *st) {
  int64_t r = st->n_reason;
  sim_out_str(o, "\"message\":{\"role\":\"assistant\",\"content\":");
  if (st->tool) {
    sim_out_str(o, st->sim->cfg.flavour == SIM_FLAVOUR_LLAMA ? "\"\"" : "null");
  } else {
    sim_out_mem(o, "\"", 1);
    out_words(o, st, r, st->n);
    sim_out_mem(o, "\"", 1);
  }
  if (r > 0) {
    sim_out_str(o, ",\"reasoning_content\":\"");
    out_words(o, st, 0, r);
    sim_out_mem(o, "\"", 1);
  }
  if (st->tool) {
    sim_out_str(o, ",\"tool_calls\":[{\"type\":\"function\",\"function\":{\"name\":\"");
    sim_out_escaped(o, st->tool_name, strlen(st->tool_name));
    sim_out_str(o, "\",\"arguments\":\"");
    sim_out_escaped(o, st->args, st->args_len);
    sim_out_str(o, "\"},\"id\":\"");
    sim_out_str(o, st->tool_id);
    sim_out_str(o, "\"}]");
  }
  sim_out_mem(o, "}", 1);
}

int sim_render_body(sim_stream *st, sim_out *o, int64_t sched, int malformed) {
  sim_t *s = st->sim;
  int chat = st->api == SIM_API_CHAT;
  const char *fr = finish_reason(st);
  size_t start = o->b.len;
  if (s->cfg.flavour == SIM_FLAVOUR_LLAMA) {
    sim_out_str(o, "{\"choices\":[{");
    if (chat) {
      sim_out_str(o, "\"finish_reason\":\"");
      sim_out_str(o, fr);
      sim_out_str(o, "\",\"index\":0,");
      out_message(o, st);
      sim_out_str(o, "}],");
    } else {
      sim_out_str(o, "\"text\":\"");
      out_words(o, st, 0, st->n);
      sim_out_str(o, "\",\"index\":0,\"logprobs\":null,\"finish_reason\":\"");
      sim_out_str(o, fr);
      sim_out_str(o, "\"}],");
    }
    out_llama_meta(o, st, chat ? "chat.completion" : "text_completion");
    out_llama_usage(o, st);
  } else {
    /* meta names the chunk object; a body is the plain object. */
    sim_out_str(o, "{\"id\":\"");
    sim_out_str(o, st->id);
    sim_out_str(o, chat ? "\",\"object\":\"chat.completion\",\"created\":" : "\",\"object\":\"text_completion\",\"created\":");
    sim_out_i64(o, st->created);
    sim_out_str(o, ",\"model\":\"");
    sim_out_escaped(o, s->cfg.model, strlen(s->cfg.model));
    sim_out_str(o, "\",\"choices\":[{\"index\":0,");
    if (chat) {
      out_message(o, st);
    } else {
      sim_out_str(o, "\"text\":\"");
      out_words(o, st, 0, st->n);
      sim_out_mem(o, "\"", 1);
    }
    sim_out_str(o, ",\"logprobs\":null,\"finish_reason\":\"");
    sim_out_str(o, fr);
    sim_out_str(o, "\"}],");
    out_usage(o, st);
  }
  sim_out_stamp(s, o, sched, st->n);
  sim_out_mem(o, "}", 1);
  if (malformed && !o->oom) {
    o->b.len = start + (o->b.len - start) / 2;
    while (o->n_stamps > 0 && o->stamp_at[o->n_stamps - 1] + SIM_STAMP_WIDTH > o->b.len) o->n_stamps--;
  }
  return o->oom ? -1 : 0;
}

const char *sim_stream_headers(const sim_conn *c) {
  /* Advertised keep-alive even when the server will close after the stream
   * (llama-server does exactly that; clients must cope), unless told to
   * announce the close as a well-behaved server does. */
  int announce = c->want_close || c->sim->cfg.close_after_stream == SIM_CLOSE_ANNOUNCED;
  return announce ? "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         "Connection: close\r\nTransfer-Encoding: chunked\r\nServer: benchy-sim\r\n\r\n"
                       : "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\nServer: benchy-sim\r\n\r\n";
}
