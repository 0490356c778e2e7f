/*
 * bench_metrics.c — bench's per-request and per-run figures (bench_metrics.h).
 */
#include "bench_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench_peak.h"
#include "bench_plan.h"

void bench_add_num(cJSON *o, const char *name, double v) {
  if (isfinite(v))
    cJSON_AddNumberToObject(o, name, v);
  else
    cJSON_AddNullToObject(o, name);
}

double bench_ns_ms(int64_t ns) { return ns < 0 ? NAN : (double)ns / 1e6; }

void bench_metrics_add_chunk(req_m *m, int64_t t_ns, int32_t tokens) {
  if (m->nc == m->cap) {
    size_t cap = m->cap ? m->cap * 2 : 64;
    int64_t *ct = realloc(m->ct, cap * sizeof *ct);
    if (!ct) return;
    m->ct = ct;
    int32_t *tok = realloc(m->ctok, cap * sizeof *tok);
    if (!tok) return;
    m->ctok = tok;
    m->cap = cap;
  }
  m->ct[m->nc] = t_ns;
  m->ctok[m->nc] = tokens;
  m->nc++;
}

/* ---- the stored form: one table read by both directions ---- */

typedef enum {
  FIELD_TARGET, /* int64_t, always a number */
  FIELD_COUNT,  /* int64_t, null when < 0 */
  FIELD_NUM,    /* double, null when not finite */
  FIELD_TRI,    /* int 1/0, null when < 0 */
  FIELD_BOOL,   /* int 1/0 */
  FIELD_CACHE,  /* int CACHE_*, its name or null */
} field_kind;

typedef struct field {
  const char *name;
  field_kind kind;
  size_t offset;
} field;

#define F(name, kind, member) {name, kind, offsetof(req_m, member)}
/* In the order they are written (the journal's and the result's key order). */
static const field fields[] = {
    F("prompt_target", FIELD_TARGET, prompt_target),
    F("context_target", FIELD_TARGET, context_target),
    F("output_target", FIELD_TARGET, output_target),
    F("prompt_tokens", FIELD_COUNT, prompt_tokens),
    F("cached_tokens", FIELD_COUNT, cached_tokens),
    F("timed_prompt_tokens", FIELD_COUNT, timed_tokens),
    F("output_tokens", FIELD_COUNT, output_tokens),
    F("first_chunk_tokens", FIELD_NUM, first_chunk_tokens),
    F("ttfr_ms", FIELD_NUM, ttfr_ms),
    F("e2e_ttft_ms", FIELD_NUM, ttft_ms),
    F("est_ppt_ms", FIELD_NUM, est_ppt_ms),
    F("e2e_ms", FIELD_NUM, e2e_ms),
    F("ttfb_ms", FIELD_NUM, ttfb_ms), /* NaN when read from journals older than this field */
    F("pp_tps", FIELD_NUM, pp_tps),
    F("tg_tps", FIELD_NUM, tg_tps),
    F("server_pp_tps", FIELD_NUM, srv_pp_tps),
    F("server_tg_tps", FIELD_NUM, srv_tg_tps),
    F("prompt_exact", FIELD_TRI, prompt_exact),
    F("prompt_counted", FIELD_BOOL, prompt_counted),
    F("output_exact", FIELD_TRI, output_exact),
    F("early_stop", FIELD_BOOL, early_stop),
    F("unexpected_cache_hit", FIELD_BOOL, cache_extra),
    F("cache", FIELD_CACHE, cache),
};
#undef F

static const char *const cache_names[] = {[CACHE_HIT] = "hit", [CACHE_PARTIAL] = "partial",
                                          [CACHE_MISS] = "miss", [CACHE_UNKNOWN] = "unknown"};

static int cache_from_name(const char *s) {
  for (int c = CACHE_HIT; s && c <= CACHE_UNKNOWN; c++)
    if (!strcmp(s, cache_names[c])) return c;
  return CACHE_NA;
}

static void add_field(cJSON *o, const field *f, const req_m *m) {
  const char *at = (const char *)m + f->offset;
  int64_t count;
  double num;
  int flag;
  switch (f->kind) {
  case FIELD_TARGET:
    memcpy(&count, at, sizeof count);
    cJSON_AddNumberToObject(o, f->name, (double)count);
    return;
  case FIELD_COUNT:
    memcpy(&count, at, sizeof count);
    num = count >= 0 ? (double)count : NAN;
    break;
  case FIELD_NUM:
    memcpy(&num, at, sizeof num);
    break;
  case FIELD_TRI:
  case FIELD_BOOL:
    memcpy(&flag, at, sizeof flag);
    if (f->kind == FIELD_TRI && flag < 0)
      cJSON_AddNullToObject(o, f->name);
    else
      cJSON_AddBoolToObject(o, f->name, flag);
    return;
  case FIELD_CACHE:
    memcpy(&flag, at, sizeof flag);
    if (flag > CACHE_NA && flag <= CACHE_UNKNOWN)
      cJSON_AddStringToObject(o, f->name, cache_names[flag]);
    else
      cJSON_AddNullToObject(o, f->name);
    return;
  }
  bench_add_num(o, f->name, num);
}

static void read_field(const cJSON *o, const field *f, req_m *m) {
  char *at = (char *)m + f->offset;
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f->name);
  double num = cJSON_IsNumber(v) ? v->valuedouble : NAN;
  int64_t count = isfinite(num) ? (int64_t)num : -1;
  int flag = cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
  switch (f->kind) {
  case FIELD_TARGET:
  case FIELD_COUNT:
    memcpy(at, &count, sizeof count);
    break;
  case FIELD_NUM:
    memcpy(at, &num, sizeof num);
    break;
  case FIELD_TRI:
    memcpy(at, &flag, sizeof flag);
    break;
  case FIELD_BOOL:
    flag = flag == 1;
    memcpy(at, &flag, sizeof flag);
    break;
  case FIELD_CACHE:
    flag = cache_from_name(cJSON_IsString(v) ? v->valuestring : NULL);
    memcpy(at, &flag, sizeof flag);
    break;
  }
}

cJSON *bench_metrics_to_json(const req_m *m) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) add_field(o, &fields[i], m);
  return o;
}

void bench_metrics_clear(req_m *m) {
  free(m->error);
  free(m->finish_reason);
  free(m->ct);
  free(m->ctok);
  cJSON_Delete(m->rec);
  memset(m, 0, sizeof *m);
}

void bench_metrics_drop_chunks(req_m *m) {
  free(m->ct);
  free(m->ctok);
  m->ct = NULL;
  m->ctok = NULL;
  m->nc = m->cap = 0;
}

int bench_metrics_from_json(req_m *m, const cJSON *rec) {
  const cJSON *bm = cJSON_GetObjectItemCaseSensitive(rec, "bench");
  if (!cJSON_IsObject(bm)) return -1;
  bench_metrics_clear(m);
  const cJSON *st = cJSON_GetObjectItemCaseSensitive(rec, "status");
  /* A timeout stays a timeout when read back, so --max-failure-rate and
   * failed_by_kind count it as the run did. */
  int code = cJSON_IsString(st) ? benchy_status_from_name(st->valuestring) : -1;
  m->status = code >= 0 ? code : BENCHY_ERR_TRANSPORT;
  const cJSON *http = cJSON_GetObjectItemCaseSensitive(rec, "http_status");
  m->http_status = cJSON_IsNumber(http) ? (int)http->valuedouble : -1;
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(rec, "error");
  if (cJSON_IsString(e)) m->error = benchy_strdup(e->valuestring);
  const cJSON *fr = cJSON_GetObjectItemCaseSensitive(rec, "finish_reason");
  if (cJSON_IsString(fr)) m->finish_reason = benchy_strdup(fr->valuestring);
  for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) read_field(bm, &fields[i], m);
  m->rec = cJSON_Duplicate(rec, 1);
  m->filled = 1;
  return m->rec ? 0 : -1;
}

/* ---- computed from a record ---- */

/* What the record states, before anything is derived from it. */
static void take_record(req_m *m, const bench_req_shape *s, const benchy_record *rec, const prompt_text *pt) {
  m->filled = 1;
  m->status = rec->status;
  m->http_status = rec->http_status;
  m->error = rec->error ? benchy_strdup(rec->error) : NULL;
  m->finish_reason = rec->finish_reason ? benchy_strdup(rec->finish_reason) : NULL;
  m->prompt_target = pt->target;
  m->context_target = s->depth;
  m->output_target = bench_plan_max_tokens(s->tg);
  m->prompt_counted = pt->verified && pt->exact;
  m->prompt_tokens = rec->usage_prompt_tokens;
  m->cached_tokens = rec->timings.present && rec->timings.cache_n >= 0 ? rec->timings.cache_n
                                                                       : rec->usage_cached_tokens;
  m->output_tokens = rec->output_tokens;
  m->token_chunks = rec->token_chunks;
  m->count_method = rec->count_method;
  m->t_dispatched = rec->t_dispatched;
  m->t_first_token = rec->t_first_token;
  m->t_last_token = rec->t_last_token;
  m->ttfr_ms = bench_ns_ms(benchy_record_ttfr_ns(rec));
  m->ttft_ms = bench_ns_ms(benchy_record_ttft_ns(rec));
  m->e2e_ms = bench_ns_ms(benchy_record_e2e_ns(rec));
  m->ttfb_ms = rec->t_sent > 0 && rec->t_first_byte >= rec->t_sent ? bench_ns_ms(rec->t_first_byte - rec->t_sent) : NAN;
  m->est_ppt_ms = m->ttfr_ms - s->latency_ms;
  m->pp_tps = m->tg_tps = m->srv_pp_tps = m->srv_tg_tps = NAN;
  m->first_chunk_tokens = NAN;
  m->prompt_exact = m->output_exact = -1;
  m->cache = CACHE_NA;
  m->timed_tokens = -1;
}

/* Prefill and decode rates of a request that succeeded. */
static void compute_rates(req_m *m, const bench_req_shape *s, const benchy_record *rec, const prompt_text *pt) {
  /* Prompt tokens the timed request made the server process. cached: what
   * the server did not find in its cache (its own prompt_n when it says);
   * resend: all of them, as llama-benchy divides them. */
  int64_t prompt = m->prompt_tokens >= 0 ? m->prompt_tokens : pt->target;
  if (!s->cached_mode)
    m->timed_tokens = prompt;
  else if (rec->timings.present && rec->timings.prompt_n >= 0)
    m->timed_tokens = rec->timings.prompt_n;
  else if (m->cached_tokens >= 0)
    m->timed_tokens = prompt - m->cached_tokens;
  else
    m->timed_tokens = prompt - s->depth;
  double prefill_ms = m->ttft_ms - s->latency_ms;
  if (prefill_ms > 0 && m->timed_tokens > 0) m->pp_tps = (double)m->timed_tokens / (prefill_ms / 1e3);

  /* Tokens after the first token chunk, over the time from it to the last:
   * (N - 1) / span at one token per chunk, and still right when chunks
   * carry several tokens (speculative decoding, or a server that batches). */
  if (m->nc > 0 && m->ctok[0] > 0)
    m->first_chunk_tokens = m->ctok[0];
  else if (rec->token_chunks > 0 && m->output_tokens > 0)
    m->first_chunk_tokens = (double)m->output_tokens / (double)rec->token_chunks;
  double span_s = (double)(rec->t_last_token - rec->t_first_token) / 1e9;
  if (m->output_tokens > 1 && span_s > 0 && isfinite(m->first_chunk_tokens) &&
      (double)m->output_tokens > m->first_chunk_tokens)
    m->tg_tps = ((double)m->output_tokens - m->first_chunk_tokens) / span_s;

  if (rec->timings.present) {
    if (rec->timings.prompt_per_second > 0) m->srv_pp_tps = rec->timings.prompt_per_second;
    if (rec->timings.predicted_per_second > 0) m->srv_tg_tps = rec->timings.predicted_per_second;
  }
}

/* Did the request get the lengths and the cache hit it was built for. */
static void compute_checks(req_m *m, const bench_req_shape *s, const prompt_text *pt) {
  if (m->prompt_tokens >= 0) m->prompt_exact = prompt_check_usage(pt, m->prompt_tokens);
  if (m->count_method == BENCHY_COUNT_USAGE || m->count_method == BENCHY_COUNT_SERVER_CHUNKS)
    m->output_exact = m->output_tokens == s->tg;
  m->early_stop = m->output_tokens >= 0 && m->output_tokens < s->tg;
  {
    /* A prompt seen before (same --seed against a server that kept its
     * cache) is served from the cache and its "prefill" is not one. */
    int64_t expected = s->cached_mode ? s->depth : 0;
    m->cache_extra = m->cached_tokens > expected + 16 + (s->pp + (s->cached_mode ? 0 : s->depth)) / 8;
  }
  if (s->cached_mode && s->depth > 0) {
    int64_t slack = s->depth / 4 < 64 ? s->depth / 4 : 64; /* block-granular caches (vLLM: 16) */
    if (m->cached_tokens < 0)
      m->cache = CACHE_UNKNOWN;
    else if (m->cached_tokens >= s->depth - slack)
      m->cache = CACHE_HIT;
    else if (m->cached_tokens >= s->depth / 2)
      m->cache = CACHE_PARTIAL;
    else
      m->cache = CACHE_MISS;
  }
}

void bench_metrics_compute(req_m *m, const bench_req_shape *s, const benchy_record *rec, const prompt_text *pt) {
  take_record(m, s, rec, pt);
  if (rec->status != BENCHY_OK) return;
  compute_rates(m, s, rec, pt);
  compute_checks(m, s, pt);
}

/* ---- one run ---- */

static double run_peak(const req_m *reqs, size_t conc) {
  peak_stream *ps = calloc(conc + 1, sizeof *ps);
  double **tok = calloc(conc + 1, sizeof *tok);
  size_t n = 0;
  double peak = NAN;
  if (!ps || !tok) goto out;
  for (size_t i = 0; i < conc; i++) {
    const req_m *m = &reqs[i];
    if (m->status != BENCHY_OK || !m->nc) continue;
    /* A chunk that does not say its tokens carries the request's average. */
    double avg = m->token_chunks > 0 && m->output_tokens > 0 ? (double)m->output_tokens / (double)m->token_chunks : 1.0;
    if (!(tok[n] = malloc(m->nc * sizeof **tok))) goto out;
    for (size_t j = 0; j < m->nc; j++) tok[n][j] = m->ctok[j] > 0 ? m->ctok[j] : avg;
    ps[n] = (peak_stream){m->ct, tok[n], m->nc};
    n++;
  }
  peak = bench_peak_rate(ps, n, 1000000000);
out:
  for (size_t i = 0; tok && i < n; i++) free(tok[i]);
  free(tok);
  free(ps);
  return peak;
}

void bench_run_totals(const req_m *reqs, size_t conc, double latency_ms, run_m *r) {
  int64_t t_start = 0, t_first_max = 0, t_first_min = 0, t_last_max = 0;
  double pp_sum = 0, tg_sum = 0;
  int n = 0;
  for (size_t i = 0; i < conc; i++) {
    const req_m *m = &reqs[i];
    if (m->status != BENCHY_OK || !m->t_first_token) continue;
    if (!n || m->t_dispatched < t_start) t_start = m->t_dispatched;
    if (!n || m->t_first_token > t_first_max) t_first_max = m->t_first_token;
    if (!n || m->t_first_token < t_first_min) t_first_min = m->t_first_token;
    if (!n || m->t_last_token > t_last_max) t_last_max = m->t_last_token;
    if (m->timed_tokens > 0) pp_sum += (double)m->timed_tokens;
    if (isfinite(m->first_chunk_tokens)) tg_sum += (double)m->output_tokens - m->first_chunk_tokens;
    n++;
  }
  r->pp_total = r->tg_total = NAN;
  if (n) {
    double pp_s = (double)(t_first_max - t_start) / 1e9 - latency_ms / 1e3;
    if (pp_s > 0 && pp_sum > 0) r->pp_total = pp_sum / pp_s;
    double tg_s = (double)(t_last_max - t_first_min) / 1e9;
    if (tg_s > 0 && tg_sum > 0) r->tg_total = tg_sum / tg_s;
  }
  r->peak = run_peak(reqs, conc);
}
