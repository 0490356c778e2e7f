/*
 * secrets.c — the secret values a set of options names (the API key given
 * by --api-key or in the --api-key-env variable, every --header value), for scrubbing text the
 * library built from them before a front end prints it.
 *
 * Sessions scrub what they hand out themselves (session.c); this covers the
 * error text of a whole run, which front ends print and which may quote a
 * session's text from before a session existed or from several sessions.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "benchy/benchy.h"
#include "scrub.h"
#include "secrets.h"

static int has_option(const benchy_options *o, const char *name) {
  return benchy_option_find_for(name, benchy_options_command(o), NULL) != NULL;
}

/* --api-key wins over --api-key-env (the simulator's --api-key, the key it
 * requires, is as secret as a client's). */
static const char *api_key_of(const benchy_options *o) {
  const char *given = has_option(o, "api-key") ? benchy_options_str(o, "api-key") : NULL;
  if (given && *given) return given;
  if (!has_option(o, "api-key-env")) return NULL;
  const char *env = benchy_options_str(o, "api-key-env");
  const char *key = env && *env ? getenv(env) : NULL;
  return key && *key ? key : NULL;
}

static int is_auth_header(const char *line) { return !strncasecmp(line, "Authorization:", 14); }

const char *options_api_key(const benchy_options *o) { return o ? api_key_of(o) : NULL; }

int benchy_options_scrub(const benchy_options *o, char *text, size_t cap) {
  if (!o || !text || cap == 0) return BENCHY_ERR_INVALID;
  scrubber s = {0};
  int rc = 0;
  const char *key = api_key_of(o);
  if (key) rc |= scrubber_add(&s, key, strlen(key));
  size_t n = has_option(o, "header") ? benchy_options_list_len(o, "header") : 0;
  for (size_t i = 0; i < n; i++) rc |= scrubber_add_header(&s, benchy_options_list_str(o, "header", i));
  /* Without the whole set, nothing is safe to print. */
  if (rc != 0) text[0] = '\0';
  else if (scrub_str(&s, text, cap) < 0) rc = -1;
  scrubber_free(&s);
  return rc ? BENCHY_ERR_NOMEM : BENCHY_OK;
}

int benchy_options_key_overridden(const benchy_options *o) {
  if (!o || !api_key_of(o)) return 0;
  size_t n = has_option(o, "header") ? benchy_options_list_len(o, "header") : 0;
  for (size_t i = 0; i < n; i++)
    if (is_auth_header(benchy_options_list_str(o, "header", i))) return 1;
  return 0;
}
