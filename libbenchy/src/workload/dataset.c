/*
 * dataset.c — see dataset.h.
 *
 * ShareGPT files are large JSON arrays (the common V3 split is ~650 MB), so
 * they are parsed one array element at a time: each element's tree is
 * dropped as soon as its prompt is copied out, and the element's position
 * gives the line number for error messages (cJSON itself knows no lines).
 * JSONL is read line by line.
 */
#include "dataset.h"

#include <cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"

int dataset_kind_from_name(const char *name) {
  if (!name) return -1;
  if (!strcmp(name, "random")) return DATASET_RANDOM;
  if (!strcmp(name, "sharegpt")) return DATASET_SHAREGPT;
  if (!strcmp(name, "jsonl")) return DATASET_JSONL;
  if (!strcmp(name, "prefix")) return DATASET_PREFIX;
  return -1;
}

const char *dataset_kind_name(int kind) {
  switch (kind) {
  case DATASET_RANDOM:
    return "random";
  case DATASET_SHAREGPT:
    return "sharegpt";
  case DATASET_JSONL:
    return "jsonl";
  case DATASET_PREFIX:
    return "prefix";
  default:
    return "unknown";
  }
}

static void item_free(dataset_item *it) {
  free(it->system);
  free(it->prompt);
  free(it->messages_json);
  memset(it, 0, sizeof *it);
}

void dataset_free(dataset *d) {
  if (!d) return;
  for (size_t i = 0; i < d->n; i++) item_free(&d->items[i]);
  free(d->items);
  memset(d, 0, sizeof *d);
}

static int push_item(dataset *d, size_t *cap, const dataset_item *it) {
  dataset_item *room = benchy_grow(d->items, cap, d->n + 1, sizeof *room);
  if (!room) return -1;
  d->items = room;
  d->items[d->n++] = *it;
  return 0;
}

int64_t dataset_estimate_tokens(const char *text) {
  if (!text) return 0;
  int64_t bytes = 0, words = 0;
  int in_word = 0;
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    bytes++;
    int space = isspace(*p);
    if (!space && !in_word) words++;
    in_word = !space;
  }
  int64_t by_bytes = (bytes + 3) / 4;
  return by_bytes > words ? by_bytes : words;
}

int64_t dataset_draw_len(uint64_t *rng, int64_t len, double ratio) {
  if (ratio <= 0) return len < 1 ? 1 : len;
  int64_t lo = (int64_t)floor((double)len * (1.0 - ratio));
  int64_t hi = (int64_t)floor((double)len * (1.0 + ratio));
  if (lo < 1) lo = 1;
  if (hi < lo) hi = lo;
  uint64_t span = (uint64_t)(hi - lo) + 1;
  return lo + (int64_t)(benchy_rand_next(rng) % span);
}

/* ------------------------------------------------------------ synthetic */

int dataset_synthesize(dataset *out, const dataset_synth_config *cfg, const dataset_textgen *gen,
                       char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!cfg || !gen || !gen->make || (cfg->kind != DATASET_RANDOM && cfg->kind != DATASET_PREFIX)) {
    if (err) snprintf(err, errlen, "dataset: invalid synthetic configuration");
    return BENCHY_ERR_INVALID;
  }
  if (cfg->kind == DATASET_PREFIX && cfg->num_groups < 1) {
    if (err) snprintf(err, errlen, "--num-groups must be at least 1");
    return BENCHY_ERR_INVALID;
  }
  out->kind = cfg->kind;
  if (cfg->n == 0) return BENCHY_OK;
  out->items = calloc(cfg->n, sizeof *out->items);
  if (!out->items) return BENCHY_ERR_NOMEM;
  /* Lengths and groups come from their own stream, so they do not depend on
   * how the text maker uses randomness. */
  uint64_t rng = cfg->seed * 0x2545F4914F6CDD1Dull + 0x1234567ull;
  for (size_t i = 0; i < cfg->n; i++) {
    dataset_item *it = &out->items[i];
    it->group = -1;
    it->input_tokens = -1;
    int64_t in = dataset_draw_len(&rng, cfg->input_len, cfg->range_ratio);
    it->output_len = dataset_draw_len(&rng, cfg->output_len, cfg->range_ratio);
    int64_t ctx = 0;
    uint64_t ctx_key = 0;
    if (cfg->kind == DATASET_PREFIX) {
      it->group = (int64_t)(benchy_rand_next(&rng) % (uint64_t)cfg->num_groups);
      ctx = cfg->prefix_len;
      /* Keys of contexts live apart from request keys (top bit), so a
       * group's prefix never equals some request's unique text. */
      ctx_key = (cfg->key_base | (1ull << 63)) + (uint64_t)it->group;
    }
    out->n = i + 1; /* so dataset_free releases what was made on failure */
    int st = gen->make(gen->userdata, ctx_key, ctx, cfg->key_base + i, in, it, err, errlen);
    if (st != BENCHY_OK) {
      dataset_free(out);
      return st;
    }
    if (!it->input_exact) out->exact_misses++;
  }
  return BENCHY_OK;
}

/* ------------------------------------------------------------ files */

static int read_whole(const char *path, char **data, size_t *len, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (err) snprintf(err, errlen, "cannot open dataset %s: %s", path, strerror(errno));
    return BENCHY_ERR_IO;
  }
  benchy_buf b = {0};
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (benchy_buf_append(&b, chunk, n) != 0) {
      fclose(f);
      benchy_buf_free(&b);
      return BENCHY_ERR_NOMEM;
    }
  }
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    if (err) snprintf(err, errlen, "cannot read dataset %s: read error", path);
    benchy_buf_free(&b);
    return BENCHY_ERR_IO;
  }
  if (benchy_buf_terminate(&b) != 0) {
    benchy_buf_free(&b);
    return BENCHY_ERR_NOMEM;
  }
  *data = b.data;
  *len = b.len;
  return BENCHY_OK;
}

/* Advances *line over the newlines in [from, to). */
static void count_lines(const char *from, const char *to, uint64_t *line) {
  for (const char *p = from; p < to; p++)
    if (*p == '\n') (*line)++;
}

static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
  return p;
}

static int is_human(const char *from) {
  return !strcmp(from, "human") || !strcmp(from, "user");
}

static int64_t output_for(const dataset_file_config *cfg, int64_t from_file) {
  if (cfg->fixed_output_len > 0) return cfg->fixed_output_len;
  if (from_file > 0) return from_file;
  return cfg->default_output_len > 0 ? cfg->default_output_len : -1;
}

/* One ShareGPT element. Returns BENCHY_OK with *used 1 when it gave an
 * item, 0 when it was skipped (no human turn with a reply); an error with
 * err filled when its shape is wrong. */
static int sharegpt_entry(const cJSON *e, const dataset_file_config *cfg, uint64_t line, size_t k,
                          dataset_item *it, int *used, char *err, size_t errlen) {
  *used = 0;
  const char *path = cfg->path;
  if (!cJSON_IsObject(e)) {
    snprintf(err, errlen, "%s:%llu: entry %zu is not an object; a ShareGPT file is an array of "
             "{\"conversations\": [{\"from\": \"human\", \"value\": \"...\"}, ...]}",
             path, (unsigned long long)line, k);
    return BENCHY_ERR_INVALID;
  }
  const cJSON *conv = cJSON_GetObjectItemCaseSensitive(e, "conversations");
  if (!conv) conv = cJSON_GetObjectItemCaseSensitive(e, "conversation");
  if (!cJSON_IsArray(conv)) {
    snprintf(err, errlen, "%s:%llu: entry %zu: \"conversations\" is %s; it must be an array of "
             "{\"from\", \"value\"} turns", path, (unsigned long long)line, k,
             conv ? "not an array" : "missing");
    return BENCHY_ERR_INVALID;
  }
  const char *prompt = NULL, *reply = NULL;
  int t = 0;
  const cJSON *turn;
  cJSON_ArrayForEach(turn, conv) {
    const cJSON *from = cJSON_GetObjectItemCaseSensitive(turn, "from");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(turn, "value");
    if (!cJSON_IsString(from) || !cJSON_IsString(value)) {
      snprintf(err, errlen, "%s:%llu: entry %zu, turn %d: needs \"from\" and \"value\" strings "
               "(%s is %s)", path, (unsigned long long)line, k, t,
               !cJSON_IsString(from) ? "\"from\"" : "\"value\"",
               (!cJSON_IsString(from) ? from : value) ? "not a string" : "missing");
      return BENCHY_ERR_INVALID;
    }
    if (!prompt) {
      if (is_human(from->valuestring) && value->valuestring[0]) prompt = value->valuestring;
    } else if (!reply && !is_human(from->valuestring)) {
      reply = value->valuestring;
      break;
    }
    t++;
  }
  if (!prompt || !reply) return BENCHY_OK;
  int64_t reply_tokens = dataset_estimate_tokens(reply);
  if (cfg->fixed_output_len <= 0 && reply_tokens < 1) return BENCHY_OK;
  memset(it, 0, sizeof *it);
  it->group = -1;
  it->line = line;
  it->input_tokens = dataset_estimate_tokens(prompt);
  it->output_len = output_for(cfg, reply_tokens);
  if (!(it->prompt = benchy_strdup(prompt))) return BENCHY_ERR_NOMEM;
  *used = 1;
  return BENCHY_OK;
}

static int load_sharegpt(dataset *out, const dataset_file_config *cfg, char *err, size_t errlen) {
  char *data;
  size_t len;
  int st = read_whole(cfg->path, &data, &len, err, errlen);
  if (st != BENCHY_OK) return st;
  const char *p = data, *end = data + len, *counted = data;
  uint64_t line = 1;
  size_t cap = 0, k = 0;
  p = skip_ws(p, end);
  if (p == end || *p != '[') {
    count_lines(counted, p, &line);
    snprintf(err, errlen, "%s:%llu: a ShareGPT file is a JSON array of {\"conversations\": "
             "[...]} objects; this one does not start with '['", cfg->path, (unsigned long long)line);
    free(data);
    return BENCHY_ERR_INVALID;
  }
  p++;
  for (;;) {
    p = skip_ws(p, end);
    if (p < end && *p == ']') break;
    count_lines(counted, p, &line);
    counted = p;
    if (p == end) {
      snprintf(err, errlen, "%s:%llu: the array is not closed with ']' (file truncated?)",
               cfg->path, (unsigned long long)line);
      st = BENCHY_ERR_INVALID;
      break;
    }
    const char *stop = NULL;
    cJSON *e = cJSON_ParseWithLengthOpts(p, (size_t)(end - p), &stop, 0);
    if (!e) {
      uint64_t eline = line;
      const char *at = stop && stop >= p && stop <= end ? stop : p;
      count_lines(p, at, &eline);
      snprintf(err, errlen, "%s:%llu: entry %zu is not valid JSON", cfg->path,
               (unsigned long long)eline, k);
      st = BENCHY_ERR_INVALID;
      break;
    }
    dataset_item it;
    int used = 0;
    st = sharegpt_entry(e, cfg, line, k, &it, &used, err, errlen);
    cJSON_Delete(e);
    if (st != BENCHY_OK) break;
    if (used) {
      if (push_item(out, &cap, &it) != 0) {
        item_free(&it);
        st = BENCHY_ERR_NOMEM;
        break;
      }
    } else {
      out->skipped++;
    }
    k++;
    p = skip_ws(stop, end);
    if (p < end && *p == ',') {
      p++;
      continue;
    }
    if (p < end && *p == ']') break;
    count_lines(counted, p, &line);
    counted = p;
    snprintf(err, errlen, "%s:%llu: expected ',' or ']' after entry %zu", cfg->path,
             (unsigned long long)line, k - 1);
    st = BENCHY_ERR_INVALID;
    break;
  }
  free(data);
  return st;
}

/* The "messages" of a JSONL line: an array of {"role": string, "content":
 * string or array}. Returns NULL when fine, else what is wrong. */
static const char *check_messages(const cJSON *msgs) {
  if (!cJSON_IsArray(msgs)) return "\"messages\" must be an array of {\"role\", \"content\"} objects";
  if (cJSON_GetArraySize(msgs) == 0) return "\"messages\" is empty";
  const cJSON *m;
  cJSON_ArrayForEach(m, msgs) {
    if (!cJSON_IsObject(m)) return "every element of \"messages\" must be an object";
    if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(m, "role")))
      return "a message lacks a \"role\" string";
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (!cJSON_IsString(c) && !cJSON_IsArray(c))
      return "a message lacks \"content\" (a string or an array of parts)";
  }
  return NULL;
}

/* Sum of the estimated tokens of every string content in the messages. */
static int64_t estimate_messages(const cJSON *msgs) {
  int64_t n = 0;
  const cJSON *m;
  cJSON_ArrayForEach(m, msgs) {
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(m, "content");
    if (cJSON_IsString(c)) {
      n += dataset_estimate_tokens(c->valuestring);
    } else {
      const cJSON *part;
      cJSON_ArrayForEach(part, c) {
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
        if (cJSON_IsString(text)) n += dataset_estimate_tokens(text->valuestring);
      }
    }
  }
  return n;
}

/* Reads "output_len" or "max_tokens": 0 when absent, -1 when invalid. */
static int64_t line_output_len(const cJSON *o, const char **which) {
  const char *names[] = {"output_len", "max_tokens"};
  for (size_t i = 0; i < 2; i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, names[i]);
    if (!v || cJSON_IsNull(v)) continue;
    *which = names[i];
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e9 ||
        v->valuedouble != floor(v->valuedouble))
      return -1;
    return (int64_t)v->valuedouble;
  }
  return 0;
}

static int jsonl_entry(const char *text, size_t len, const dataset_file_config *cfg, uint64_t line,
                       dataset_item *it, char *err, size_t errlen) {
  const char *stop = NULL;
  cJSON *o = cJSON_ParseWithLengthOpts(text, len, &stop, 0);
  if (!o) {
    size_t col = stop && stop >= text && stop <= text + len ? (size_t)(stop - text) + 1 : 1;
    snprintf(err, errlen, "%s:%llu: not valid JSON (near column %zu); each line must be one "
             "object like {\"prompt\": \"...\"}", cfg->path, (unsigned long long)line, col);
    return BENCHY_ERR_INVALID;
  }
  if (stop && skip_ws(stop, text + len) != text + len) {
    snprintf(err, errlen, "%s:%llu: more than one JSON value on the line (column %zu)", cfg->path,
             (unsigned long long)line, (size_t)(stop - text) + 1);
    cJSON_Delete(o);
    return BENCHY_ERR_INVALID;
  }
  int st = BENCHY_ERR_INVALID;
  memset(it, 0, sizeof *it);
  it->group = -1;
  it->line = line;
  const char *which = "output_len";
  if (!cJSON_IsObject(o)) {
    snprintf(err, errlen, "%s:%llu: the line is not a JSON object; use {\"prompt\": \"...\"} or "
             "{\"messages\": [...]}", cfg->path, (unsigned long long)line);
    goto done;
  }
  const cJSON *prompt = cJSON_GetObjectItemCaseSensitive(o, "prompt");
  const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(o, "messages");
  if (prompt && msgs) {
    snprintf(err, errlen, "%s:%llu: has both \"prompt\" and \"messages\"; give one",
             cfg->path, (unsigned long long)line);
    goto done;
  }
  if (prompt) {
    if (!cJSON_IsString(prompt) || !prompt->valuestring[0]) {
      snprintf(err, errlen, "%s:%llu: \"prompt\" must be a non-empty string", cfg->path,
               (unsigned long long)line);
      goto done;
    }
    it->input_tokens = dataset_estimate_tokens(prompt->valuestring);
    if (!(it->prompt = benchy_strdup(prompt->valuestring))) {
      st = BENCHY_ERR_NOMEM;
      goto done;
    }
  } else if (msgs) {
    const char *why = check_messages(msgs);
    if (why) {
      snprintf(err, errlen, "%s:%llu: %s", cfg->path, (unsigned long long)line, why);
      goto done;
    }
    it->input_tokens = estimate_messages(msgs);
    if (!(it->messages_json = cJSON_PrintUnformatted(msgs))) {
      st = BENCHY_ERR_NOMEM;
      goto done;
    }
  } else {
    snprintf(err, errlen, "%s:%llu: needs \"prompt\" (a string) or \"messages\" (an array)",
             cfg->path, (unsigned long long)line);
    goto done;
  }
  int64_t out_len = line_output_len(o, &which);
  if (out_len < 0) {
    snprintf(err, errlen, "%s:%llu: \"%s\" must be a positive integer", cfg->path,
             (unsigned long long)line, which);
    goto done;
  }
  it->output_len = output_for(cfg, out_len);
  st = BENCHY_OK;
done:
  if (st != BENCHY_OK) item_free(it);
  cJSON_Delete(o);
  return st;
}

static int load_jsonl(dataset *out, const dataset_file_config *cfg, char *err, size_t errlen) {
  FILE *f = fopen(cfg->path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open dataset %s: %s", cfg->path, strerror(errno));
    return BENCHY_ERR_IO;
  }
  char *buf = NULL;
  size_t bufcap = 0, cap = 0;
  ssize_t got;
  uint64_t line = 0;
  int st = BENCHY_OK;
  while ((got = getline(&buf, &bufcap, f)) >= 0) {
    line++;
    const char *p = skip_ws(buf, buf + got);
    if (p == buf + got) continue; /* blank lines are allowed */
    dataset_item it;
    st = jsonl_entry(p, (size_t)(buf + got - p), cfg, line, &it, err, errlen);
    if (st != BENCHY_OK) break;
    if (push_item(out, &cap, &it) != 0) {
      item_free(&it);
      st = BENCHY_ERR_NOMEM;
      break;
    }
  }
  if (st == BENCHY_OK && ferror(f)) {
    snprintf(err, errlen, "cannot read dataset %s: read error after line %llu", cfg->path,
             (unsigned long long)line);
    st = BENCHY_ERR_IO;
  }
  free(buf);
  fclose(f);
  return st;
}

int dataset_load_file(dataset *out, const dataset_file_config *cfg, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  char dummy[8];
  if (!err) {
    err = dummy;
    errlen = sizeof dummy;
  }
  if (!cfg || !cfg->path || !cfg->path[0]) {
    snprintf(err, errlen, "--dataset %s needs --dataset-path FILE",
             cfg ? dataset_kind_name(cfg->kind) : "?");
    return BENCHY_ERR_INVALID;
  }
  out->kind = cfg->kind;
  int st;
  if (cfg->kind == DATASET_SHAREGPT)
    st = load_sharegpt(out, cfg, err, errlen);
  else if (cfg->kind == DATASET_JSONL)
    st = load_jsonl(out, cfg, err, errlen);
  else {
    snprintf(err, errlen, "dataset: %s is not a file format", dataset_kind_name(cfg->kind));
    st = BENCHY_ERR_INVALID;
  }
  if (st == BENCHY_OK && out->n == 0) {
    if (cfg->kind == DATASET_SHAREGPT)
      snprintf(err, errlen, "%s: no usable entry (%zu skipped: each needs a \"human\" turn "
               "followed by a reply)", cfg->path, out->skipped);
    else
      snprintf(err, errlen, "%s: the file holds no prompts", cfg->path);
    st = BENCHY_ERR_NOT_FOUND;
  }
  if (st != BENCHY_OK) dataset_free(out);
  return st;
}

void dataset_pick(const dataset *d, uint64_t seed, size_t n, const dataset_item **out) {
  if (!d || !d->n || !out) return;
  /* A seeded Fisher-Yates over indices, drawn afresh for each pass through
   * the file, so a run longer than the file does not repeat one order. */
  size_t *perm = malloc(d->n * sizeof *perm);
  uint64_t rng = seed ^ 0x5DEECE66Dull;
  size_t filled = 0;
  while (filled < n) {
    size_t take = d->n < n - filled ? d->n : n - filled;
    if (!perm) {
      /* Out of memory for the permutation: fall back to file order. */
      for (size_t i = 0; i < take; i++) out[filled + i] = &d->items[i];
    } else {
      for (size_t i = 0; i < d->n; i++) perm[i] = i;
      for (size_t i = d->n - 1; i > 0; i--) {
        size_t j = (size_t)(benchy_rand_next(&rng) % (i + 1));
        size_t tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
      }
      for (size_t i = 0; i < take; i++) out[filled + i] = &d->items[perm[i]];
    }
    filled += take;
  }
  free(perm);
}
