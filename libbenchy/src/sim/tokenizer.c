/*
 * tokenizer.c — the simulator's tokenizer, chat template and word list.
 *
 * Pieces, scanning left to right:
 *  - "<|im_start|>" and "<|im_end|>" are one token each;
 *  - a run of ASCII letters/digits, at most 8 of them, with at most one
 *    space right before it attached, is one token (longer runs are cut
 *    every 8 characters; only the first piece carries the space);
 *  - anything else is one token per UTF-8 code point, or per byte where
 *    the bytes are not valid UTF-8.
 *
 * Ids are computed from the piece itself rather than looked up, which makes
 * the mapping a bijection with no vocabulary file: a run is read as a
 * bijective base-62 number (each digit 1..62, so "a" and "aa" differ),
 * doubled, plus one when a space leads, offset by 2^21. The largest run id
 * is below 2^49, so ids survive a trip through a JSON double.
 */
#include "sim/tokenizer.h"

#include "sim/sim_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const char run_alphabet[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

static int is_alnum_ascii(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int run_digit(unsigned char c) {
  if (c <= '9') return c - '0';
  if (c <= 'Z') return 10 + (c - 'A');
  return 36 + (c - 'a');
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when it is not one
 * (overlong forms and surrogates are not valid). *cp gets the code point. */
size_t sim_utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp) {
  unsigned char c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    *cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    *cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    *cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (avail < n) return 0;
  for (size_t i = 1; i < n; i++) {
    unsigned char b = s[i];
    if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF)) return 0;
    *cp = (*cp << 6) | (b & 0x3F);
  }
  return n;
}

size_t sim_tokenize(const char *text, size_t len, sim_tok_fn fn, void *ud) {
  static const char im_start[] = "<|im_start|>", im_end[] = "<|im_end|>";
  const unsigned char *s = (const unsigned char *)text;
  size_t i = 0, count = 0;
  while (i < len) {
    size_t start = i;
    int64_t id;
    if (s[i] == '<' && len - i >= sizeof im_start - 1 && !memcmp(s + i, im_start, sizeof im_start - 1)) {
      id = SIM_TOK_IM_START;
      i += sizeof im_start - 1;
    } else if (s[i] == '<' && len - i >= sizeof im_end - 1 &&
               !memcmp(s + i, im_end, sizeof im_end - 1)) {
      id = SIM_TOK_IM_END;
      i += sizeof im_end - 1;
    } else if (is_alnum_ascii(s[i]) || (s[i] == ' ' && i + 1 < len && is_alnum_ascii(s[i + 1]))) {
      int space = s[i] == ' ';
      i += (size_t)space;
      uint64_t v = 0;
      size_t n = 0;
      while (i < len && n < SIM_TOK_MAX_RUN && is_alnum_ascii(s[i])) {
        v = v * 62 + (uint64_t)run_digit(s[i]) + 1;
        i++;
        n++;
      }
      id = SIM_TOK_RUN_BASE + (int64_t)(v * 2 + (uint64_t)space);
    } else {
      uint32_t cp;
      size_t n = sim_utf8_seq(s + i, len - i, &cp);
      if (n == 0 || cp < 0x80) {
        id = 16 + s[i];
        i++;
      } else {
        id = 272 + (int64_t)cp;
        i += n;
      }
    }
    if (fn) fn(ud, id, text + start, i - start);
    count++;
  }
  return count;
}

int sim_detokenize_one(int64_t id, benchy_buf *out) {
  char tmp[SIM_TOK_MAX_RUN + 1];
  size_t n = 0;
  if (id == SIM_TOK_IM_START) return benchy_buf_append_str(out, "<|im_start|>") ? -2 : 0;
  if (id == SIM_TOK_IM_END) return benchy_buf_append_str(out, "<|im_end|>") ? -2 : 0;
  if (id >= 16 && id < 272) {
    tmp[0] = (char)(id - 16);
    n = 1;
  } else if (id >= 272 + 0x80 && id <= 272 + 0x10FFFF) {
    uint32_t cp = (uint32_t)(id - 272);
    if (cp >= 0xD800 && cp <= 0xDFFF) return -1;
    if (cp < 0x800) {
      tmp[0] = (char)(0xC0 | (cp >> 6));
      tmp[1] = (char)(0x80 | (cp & 0x3F));
      n = 2;
    } else if (cp < 0x10000) {
      tmp[0] = (char)(0xE0 | (cp >> 12));
      tmp[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
      tmp[2] = (char)(0x80 | (cp & 0x3F));
      n = 3;
    } else {
      tmp[0] = (char)(0xF0 | (cp >> 18));
      tmp[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
      tmp[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
      tmp[3] = (char)(0x80 | (cp & 0x3F));
      n = 4;
    }
  } else if (id > SIM_TOK_RUN_BASE) {
    uint64_t x = (uint64_t)(id - SIM_TOK_RUN_BASE);
    int space = (int)(x & 1);
    uint64_t v = x >> 1;
    char rev[SIM_TOK_MAX_RUN];
    size_t r = 0;
    while (v > 0) {
      if (r == SIM_TOK_MAX_RUN) return -1;
      uint64_t d = (v - 1) % 62;
      rev[r++] = run_alphabet[d];
      v = (v - 1) / 62;
    }
    if (r == 0) return -1;
    if (space) tmp[n++] = ' ';
    while (r) tmp[n++] = rev[--r];
  } else {
    return -1;
  }
  return benchy_buf_append(out, tmp, n) ? -2 : 0;
}

int sim_content_text(const cJSON *content, benchy_buf *out) {
  if (!content || cJSON_IsNull(content)) return 0;
  if (cJSON_IsString(content)) return benchy_buf_append_str(out, content->valuestring) ? -2 : 0;
  if (!cJSON_IsArray(content)) return -1;
  const cJSON *part;
  cJSON_ArrayForEach(part, content) {
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(part, "type");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(part, "text");
    /* Images and audio carry no text; a simulated model just skips them. */
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "text")) continue;
    if (!cJSON_IsString(text)) return -1;
    if (benchy_buf_append_str(out, text->valuestring)) return -2;
  }
  return 0;
}

static int append_json(benchy_buf *out, const cJSON *item) {
  char *json = cJSON_PrintUnformatted(item);
  if (!json) return -2;
  int rc = benchy_buf_append_str(out, json) ? -2 : 0;
  cJSON_free(json);
  return rc;
}

int sim_apply_template(const cJSON *messages, const cJSON *tools, benchy_buf *out, char *err,
                       size_t errlen) {
  if (!cJSON_IsArray(messages) || cJSON_GetArraySize(messages) == 0) {
    snprintf(err, errlen, "'messages' must be a non-empty array of {role, content} objects");
    return -1;
  }
  if (tools && !cJSON_IsNull(tools) && !cJSON_IsArray(tools)) {
    snprintf(err, errlen, "'tools' must be an array");
    return -1;
  }
  if (cJSON_IsArray(tools) && cJSON_GetArraySize(tools) > 0) {
    if (benchy_buf_append_str(out, "<|im_start|>system\n# Tools\n")) return -2;
    const cJSON *tool;
    cJSON_ArrayForEach(tool, tools) {
      if (append_json(out, tool) || benchy_buf_append_str(out, "\n")) return -2;
    }
    if (benchy_buf_append_str(out, "<|im_end|>\n")) return -2;
  }
  int index = 0;
  const cJSON *msg;
  cJSON_ArrayForEach(msg, messages) {
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(msg, "role");
    if (!cJSON_IsObject(msg) || !cJSON_IsString(role)) {
      snprintf(err, errlen, "messages[%d] must be an object with a string 'role'", index);
      return -1;
    }
    if (benchy_buf_append_str(out, "<|im_start|>") || benchy_buf_append_str(out, role->valuestring) ||
        benchy_buf_append_str(out, "\n"))
      return -2;
    int rc = sim_content_text(cJSON_GetObjectItemCaseSensitive(msg, "content"), out);
    if (rc == -1) {
      snprintf(err, errlen,
               "messages[%d].content must be a string, null, or an array of {type, text} parts",
               index);
      return -1;
    }
    if (rc) return rc;
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (cJSON_IsArray(calls)) {
      const cJSON *call;
      cJSON_ArrayForEach(call, calls) {
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(call, "function");
        if (benchy_buf_append_str(out, "\n") || append_json(out, fn ? fn : call)) return -2;
      }
    }
    if (benchy_buf_append_str(out, "<|im_end|>\n")) return -2;
    index++;
  }
  return benchy_buf_append_str(out, "<|im_start|>assistant\n") ? -2 : 0;
}

#define W_(w) {w, sizeof(w) - 1}
const sim_word sim_words[SIM_WORD_COUNT] = {
    W_("the"),     W_("quick"),   W_("brown"),   W_("fox"),     W_("jumps"),   W_("over"),
    W_("lazy"),    W_("dog"),     W_("model"),   W_("token"),   W_("server"),  W_("stream"),
    W_("latency"), W_("batch"),   W_("cache"),   W_("prompt"),  W_("decode"),  W_("prefill"),
    W_("river"),   W_("stone"),   W_("cloud"),   W_("light"),   W_("shadow"),  W_("garden"),
    W_("window"),  W_("paper"),   W_("signal"),  W_("vector"),  W_("matrix"),  W_("kernel"),
    W_("memory"),  W_("thread"),  W_("socket"),  W_("buffer"),  W_("packet"),  W_("router"),
    W_("forest"),  W_("meadow"),  W_("harbor"),  W_("island"),  W_("canyon"),  W_("valley"),
    W_("summer"),  W_("winter"),  W_("autumn"),  W_("spring"),  W_("morning"), W_("evening"),
    W_("silver"),  W_("golden"),  W_("copper"),  W_("marble"),  W_("velvet"),  W_("cotton"),
    W_("gentle"),  W_("steady"),  W_("rapid"),   W_("quiet"),   W_("bright"),  W_("hollow"),
    W_("answer"),  W_("question"),W_("reason"),  W_("result"),  W_("measure"), W_("sample"),
    W_("number"),  W_("letter"),  W_("figure"),  W_("pattern"), W_("method"),  W_("system"),
    W_("engine"),  W_("motor"),   W_("wheel"),   W_("bridge"),  W_("tunnel"),  W_("tower"),
    W_("castle"),  W_("village"), W_("market"),  W_("station"), W_("harvest"), W_("orchard"),
    W_("planet"),  W_("comet"),   W_("galaxy"),  W_("orbit"),   W_("rocket"),  W_("lunar"),
    W_("solar"),   W_("ocean"),   W_("coral"),   W_("tide"),    W_("wave"),    W_("shore"),
    W_("north"),   W_("south"),   W_("east"),    W_("west"),    W_("center"),  W_("corner"),
    W_("circle"),  W_("square"),  W_("line"),    W_("point"),   W_("angle"),   W_("curve"),
    W_("simple"),  W_("complex"), W_("careful"), W_("clever"),  W_("honest"),  W_("patient"),
    W_("build"),   W_("write"),   W_("read"),    W_("check"),   W_("count"),   W_("learn"),
    W_("and"),     W_("with"),    W_("from"),    W_("into"),    W_("under"),   W_("after"),
    W_("before"),  W_("again"),
};
#undef W_
