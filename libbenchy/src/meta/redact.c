/*
 * redact.c — what metadata must never carry. Metadata is built from text
 * benchy does not control (environment values, command output, what a
 * server says of itself), so known secret values (scrub.h: the API key,
 * --header values) are not enough: anything shaped like a credential is
 * replaced too. Over-redaction is the accepted cost (a "tokens=..." line
 * loses its value) of never writing a key.
 */
#include "meta.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../scrub.h"
#include "../secrets.h"

#define REDACTED SCRUB_MARKER

int meta_secret_name(const char *name, size_t len) { return scrub_secret_name(name, len); }

/* An allow-list: a deny-list of secret names has missed Cookie and
 * X-Auth-Token in other tools. */
int meta_header_value_safe(const char *name, size_t len) {
  static const char *const safe[] = {"Content-Type", "Accept", "Accept-Encoding", "Accept-Language",
                                     "User-Agent", "Cache-Control", "Connection", "Content-Encoding",
                                     "Pragma", "Expect"};
  for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++)
    if (strlen(safe[i]) == len && !strncasecmp(safe[i], name, len)) return 1;
  return 0;
}

static int name_char(char c) {
  return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.';
}
static int token_char(char c) {
  return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == '+' || c == '/' ||
         c == '=' || c == '~';
}

/* Length of a key-shaped token at p (sk-..., hf_..., ...), 0 when none. A
 * prefix counts only at the start of a word, followed by 8 or more token
 * characters, so "task-list" or "shf_x" stay. */
size_t meta_key_shaped(const char *text, const char *p) {
  static const char *const prefixes[] = {"sk-", "hf_", "ghp_", "gho_", "ghs_", "github_pat_",
                                         "glpat-", "xoxb-", "xoxp-", "AKIA"};
  if (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '-')) return 0;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
    size_t pl = strlen(prefixes[i]);
    if (strncmp(p, prefixes[i], pl)) continue;
    size_t n = pl;
    while (p[n] && (isalnum((unsigned char)p[n]) || p[n] == '_' || p[n] == '-')) n++;
    if (n - pl >= 8) return n;
  }
  return 0;
}

/* Where the value after a separator ends: the line, or a quote, or a
 * query-string/list separator. */
static size_t value_len(const char *v) {
  size_t n = 0;
  while (v[n] && v[n] != '\n' && v[n] != '\r' && v[n] != '"' && v[n] != '\'' && v[n] != '&' &&
         v[n] != ',' && v[n] != ';')
    n++;
  while (n && v[n - 1] == ' ') n--;
  return n;
}

char *meta_redact_text(const char *text) {
  if (!text) return NULL;
  benchy_buf out = {0};
  const char *p = text;
  int ok = 0;
  while (*p) {
    size_t n;
    /* scheme://user:password@host: the whole userinfo goes. */
    if (p[0] == ':' && p[1] == '/' && p[2] == '/') {
      const char *q = p + 3;
      while (*q && *q != '@' && *q != '/' && !isspace((unsigned char)*q) && *q != '"') q++;
      if (*q == '@' && q > p + 3) {
        if (benchy_buf_append_str(&out, "://" REDACTED "@") != 0) goto done;
        p = q + 1;
        continue;
      }
    }
    if ((n = meta_key_shaped(text, p))) {
      if (benchy_buf_append_str(&out, REDACTED) != 0) goto done;
      p += n;
      continue;
    }
    /* "Bearer TOKEN", "Basic B64": the scheme stays, the credential goes. */
    if ((p == text || !isalnum((unsigned char)p[-1])) &&
        (!strncasecmp(p, "Bearer ", 7) || !strncasecmp(p, "Basic ", 6))) {
      size_t scheme = tolower((unsigned char)p[1]) == 'e' ? 7 : 6;
      const char *v = p + scheme;
      while (*v == ' ') v++;
      size_t vl = 0;
      while (token_char(v[vl])) vl++;
      if (vl) {
        if (benchy_buf_append(&out, p, scheme) != 0 || benchy_buf_append_str(&out, REDACTED) != 0)
          goto done;
        p = v + vl;
        continue;
      }
    }
    /* NAME=VALUE, NAME: VALUE, "NAME": "VALUE" with a secret-looking NAME. */
    if (name_char(*p) && (p == text || !name_char(p[-1]))) {
      size_t nl = 0;
      while (name_char(p[nl])) nl++;
      const char *s = p + nl;
      if (*s == '"' || *s == '\'') s++;
      if ((*s == '=' || *s == ':') && meta_secret_name(p, nl)) {
        const char *v = s + 1;
        while (*v == ' ' || *v == '\t') v++;
        if (*v == '"' || *v == '\'') v++;
        size_t vl = value_len(v);
        if (vl) {
          if (benchy_buf_append(&out, p, (size_t)(v - p)) != 0 ||
              benchy_buf_append_str(&out, REDACTED) != 0)
            goto done;
          p = v + vl;
          continue;
        }
      }
      if (benchy_buf_append(&out, p, nl) != 0) goto done;
      p += nl;
      continue;
    }
    if (benchy_buf_append(&out, p, 1) != 0) goto done;
    p++;
  }
  ok = 1;
done:
  if (!ok || benchy_buf_terminate(&out) != 0) {
    benchy_buf_free(&out);
    return NULL;
  }
  if (!out.data) return benchy_strdup("");
  return out.data;
}

/* Known secret values of opts replaced: the API key and the values of
 * --header lines, but for the headers allowed to be written. Malloc'd, NULL
 * when out of memory. The marker is longer than the shortest secret
 * scrubbed, hence the room. */
static char *scrub_known(const benchy_options *opts, const char *text) {
  size_t len = strlen(text);
  size_t cap = len * 4 + sizeof SCRUB_MARKER + 1;
  char *copy = malloc(cap);
  if (!copy) return NULL;
  memcpy(copy, text, len + 1);
  if (!opts) return copy;
  scrubber s = {0};
  int rc = 0;
  const char *key = options_api_key(opts);
  if (key) rc |= scrubber_add(&s, key, strlen(key));
  size_t n = benchy_options_list_len(opts, "header");
  for (size_t i = 0; i < n; i++) {
    const char *line = benchy_options_list_str(opts, "header", i);
    const char *colon = line ? strchr(line, ':') : NULL;
    if (line && !(colon && meta_header_value_safe(line, (size_t)(colon - line))))
      rc |= scrubber_add_header(&s, line);
  }
  if (rc != 0 || scrub_str(&s, copy, cap) < 0) {
    free(copy);
    copy = NULL;
  }
  scrubber_free(&s);
  return copy;
}

static int redact_string(cJSON *item, const benchy_options *opts, int secret_key) {
  char *redacted;
  if (secret_key && item->valuestring[0]) redacted = benchy_strdup(REDACTED);
  else {
    char *known = scrub_known(opts, item->valuestring);
    redacted = known ? meta_redact_text(known) : NULL;
    free(known);
  }
  if (!redacted) return -1;
  /* Replace in place: cJSON_SetValuestring refuses longer strings in older cJSON. */
  free(item->valuestring);
  item->valuestring = redacted;
  return 0;
}

static int redact_walk(cJSON *node, const benchy_options *opts) {
  for (cJSON *c = node->child; c; c = c->next) {
    int secret_key = c->string && meta_secret_name(c->string, strlen(c->string));
    if (cJSON_IsString(c) && c->valuestring) {
      if (redact_string(c, opts, secret_key) != 0) return -1;
    } else if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
      /* Everything under a secret-looking key is as secret as the key. */
      if (secret_key && cJSON_IsArray(c)) {
        for (cJSON *s = c->child; s; s = s->next)
          if (cJSON_IsString(s) && s->valuestring && redact_string(s, opts, 1) != 0) return -1;
      } else if (redact_walk(c, opts) != 0) {
        return -1;
      }
    }
  }
  return 0;
}

int meta_redact_tree(cJSON *tree, const benchy_options *opts) {
  if (!tree) return 0;
  if (redact_walk(tree, opts) == 0) return 0;
  while (tree->child) cJSON_Delete(cJSON_DetachItemViaPointer(tree, tree->child));
  return -1;
}

cJSON *meta_redact_argv(const benchy_options *opts) {
  size_t n = benchy_options_list_len(opts, "meta-argv");
  cJSON *arr = cJSON_CreateArray();
  if (!arr) return NULL;
  int hide_next = 0, header_next = 0;
  for (size_t i = 0; i < n; i++) {
    const char *word = benchy_options_list_str(opts, "meta-argv", i);
    if (!word) continue;
    char *shown = NULL;
    if (word[0] == '-') header_next = 0;
    if (hide_next) {
      shown = benchy_strdup(REDACTED);
    } else if (header_next) {
      const char *colon = strchr(word, ':');
      size_t nl = colon ? (size_t)(colon - word) : strlen(word);
      if (colon && !meta_header_value_safe(word, nl)) {
        shown = malloc(nl + sizeof ": " REDACTED);
        if (shown) snprintf(shown, nl + sizeof ": " REDACTED, "%.*s: " REDACTED, (int)nl, word);
      }
      goto plain; /* --header takes several words: the next may be one too */
    } else if (word[0] == '-') {
      /* --api-key=K / --header=...: the option named keeps its name. */
      const char *name = word + (word[1] == '-' ? 2 : 1);
      const char *eq = strchr(name, '=');
      size_t nl = eq ? (size_t)(eq - name) : strlen(name);
      char opt[128];
      snprintf(opt, sizeof opt, "%.*s", (int)(nl < sizeof opt ? nl : sizeof opt - 1), name);
      const benchy_option_info *info = benchy_option_find_for(opt, benchy_options_command(opts), NULL);
      int secret = info && (info->flags & BENCHY_OPTF_SECRET);
      int header = info && (info->flags & BENCHY_OPTF_HEADER_SECRET);
      if (eq && (secret || header)) {
        size_t keep = (size_t)(eq - word) + 1;
        shown = malloc(keep + sizeof REDACTED);
        if (shown) snprintf(shown, keep + sizeof REDACTED, "%.*s" REDACTED, (int)keep, word);
      } else if (!eq) {
        hide_next = secret;
        header_next = header;
        goto plain;
      }
    }
    hide_next = header_next = 0;
  plain:
    if (!shown) shown = meta_redact_text(word);
    cJSON *s = shown ? cJSON_CreateString(shown) : NULL;
    free(shown);
    if (!s) {
      cJSON_Delete(arr);
      return NULL;
    }
    cJSON_AddItemToArray(arr, s);
  }
  return arr;
}
