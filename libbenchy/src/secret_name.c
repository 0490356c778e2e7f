/*
 * secret_name.c — the one rule for which names' values are never written
 * (scrub.h): a name containing KEY, TOKEN, SECRET, PASSWORD, AUTH or
 * CREDENTIAL is secret, but for a count of tokens (max_tokens,
 * max_new_tokens, prompt_tokens), whose value a user needs to see and which
 * no credential is named like.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "scrub.h"

static const char *const secret_words[] = {"KEY", "TOKEN", "SECRET", "PASSWORD", "AUTH", "CREDENTIAL"};

/* The words that, right before TOKENS, make a name a count. An allow-list,
 * so that an unknown word before it (API_TOKENS, HF_TOKENS) stays secret:
 * when in doubt, redact. */
static const char *const count_words[] = {"MAX", "MIN", "NUM", "N", "NEW", "TOTAL", "PROMPT", "COMPLETION",
                                          "INPUT", "OUTPUT", "CACHED", "BATCHED", "GENERATED", "REASONING"};

static int is_alnum(char c) { return isalnum((unsigned char)c) != 0; }

/* Where a camelCase word begins: an upper-case letter after a lower-case one. */
static int camel_start(const char *name, size_t i) {
  return i > 0 && isupper((unsigned char)name[i]) && islower((unsigned char)name[i - 1]);
}

/* 1 when the TOKEN at name[at] is the word TOKENS (ending the name or one
 * of its parts) right after a counting word: "max_tokens", "MAX-NEW-TOKENS",
 * "maxTokens". "tokens" alone or "MAXTOKENS" are not known to count. */
static int counts_tokens(const char *name, size_t len, size_t at) {
  size_t end = at + 6;
  if (end > len || tolower((unsigned char)name[at + 5]) != 's') return 0;
  if (end < len && is_alnum(name[end]) && !camel_start(name, end)) return 0;
  if (at == 0) return 0;
  size_t word_end;
  if (!is_alnum(name[at - 1])) word_end = at - 1;
  else if (camel_start(name, at)) word_end = at;
  else return 0;
  size_t start = word_end;
  while (start > 0 && is_alnum(name[start - 1]))
    if (camel_start(name, --start)) break;
  size_t wl = word_end - start;
  for (size_t i = 0; wl && i < sizeof count_words / sizeof count_words[0]; i++)
    if (strlen(count_words[i]) == wl && !strncasecmp(name + start, count_words[i], wl)) return 1;
  return 0;
}

int scrub_secret_name(const char *name, size_t len) {
  for (size_t w = 0; w < sizeof secret_words / sizeof secret_words[0]; w++) {
    size_t wl = strlen(secret_words[w]);
    for (size_t at = 0; at + wl <= len; at++) {
      if (strncasecmp(name + at, secret_words[w], wl)) continue;
      /* Every other occurrence is still looked at: HF_TOKEN_MAX_TOKENS is secret. */
      if (!strcmp(secret_words[w], "TOKEN") && counts_tokens(name, len, at)) continue;
      return 1;
    }
  }
  return 0;
}
