/*
 * options.c — values for the option table (options_table.h).
 *
 * Provides: benchy_option_* (the table), benchy_options_* (values of one
 * command, checked against the table's types, bounds and value-shape
 * rules). --help is options_help.c; "did you mean" is option_suggest.c.
 * Values are kept as text plus a parsed form, so results can echo the
 * configuration as typed, after the value-shape rules (a server root gets
 * /v1, secret-looking --metadata values are redacted).
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "benchy/benchy.h"
#include "option_suggest.h"
#include "options_table.h"
#include "util.h"
#include "scrub.h"

static const benchy_option_info option_table[] = {
#define ROW_(name, type, cmds, def, mn, mx, choices, metavar, group, help, flags, alias) \
  {name, type, cmds, def, mn, mx, choices, metavar, group, help, flags, alias},
    BENCHY_OPTION_TABLE(ROW_)
#undef ROW_
};

#define OPTION_COUNT (sizeof option_table / sizeof option_table[0])

typedef struct option_value {
  int set;        /* by the user */
  char *text;     /* as given, or the default; NULL = unset */
  double number;  /* INT, DOUBLE, FLAG */
  size_t n_items; /* lists */
  double *numbers;
  char **strings;
} option_value;

struct benchy_options {
  unsigned command;
  option_value values[OPTION_COUNT];
  char error[512];
};

size_t benchy_option_count(void) { return OPTION_COUNT; }

const benchy_option_info *benchy_option_at(size_t index) {
  return index < OPTION_COUNT ? &option_table[index] : NULL;
}

/* '-' and '_' are the same character in option names. */
static int names_equal(const char *a, const char *b) {
  for (; *a && *b; a++, b++) {
    char ca = *a == '_' ? '-' : *a;
    char cb = *b == '_' ? '-' : *b;
    if (ca != cb) return 0;
  }
  return *a == *b;
}

/* Accepts "--pp" and llama-bench's "-p" for the names "pp" and "p". */
static const char *bare_name(const char *name) {
  while (*name == '-' && name[1] == '-') name += 2;
  if (name[0] == '-' && name[1] && name[1] != '-' && !name[2]) name++;
  return name;
}

static long find_index(const char *name) {
  if (!name) return -1;
  name = bare_name(name);
  for (size_t i = 0; i < OPTION_COUNT; i++)
    if (names_equal(option_table[i].name, name)) return (long)i;
  return -1;
}

/* The row of that name for command (0: any) that takes value: rows sharing
 * a name are told apart by the value's shape (BENCHY_OPTF_IF_PATH). */
static long find_row(const char *name, unsigned command, const char *value) {
  if (!name) return -1;
  name = bare_name(name);
  int is_path = value && value[0] == '/';
  long first = -1;
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const benchy_option_info *info = &option_table[i];
    if (!names_equal(info->name, name) || (command && !(info->commands & command))) continue;
    if (!value) return (long)i;
    if (first < 0) first = (long)i;
    if (!!(info->flags & BENCHY_OPTF_IF_PATH) == is_path) return (long)i;
  }
  return first;
}

const benchy_option_info *benchy_option_find(const char *name) {
  long i = find_index(name);
  return i < 0 ? NULL : &option_table[i];
}

const benchy_option_info *benchy_option_find_for(const char *name, unsigned command,
                                                 const char *value) {
  long i = find_row(name, command, value);
  return i < 0 ? NULL : &option_table[i];
}

int benchy_option_identifies_run(const benchy_option_info *info) {
  if (!info) return 0;
  return !(info->flags & (BENCHY_OPTF_OUTPUT_ONLY | BENCHY_OPTF_SECRET | BENCHY_OPTF_ALIAS));
}

static const char *command_name(unsigned command) {
  switch (command) {
  case BENCHY_CMD_SIM: return "sim";
  case BENCHY_CMD_BENCH: return "bench";
  case BENCHY_CMD_LOAD: return "load";
  case BENCHY_CMD_RUN: return "run";
  case BENCHY_CMD_COMPARE: return "compare";
  case BENCHY_CMD_TABLE: return "table";
  case BENCHY_CMD_META: return "meta";
  case BENCHY_CMD_MATRIX: return "matrix";
  case BENCHY_CMD_REPORT: return "report";
  default: return "";
  }
}

int benchy_option_default_for(const benchy_option_info *info, unsigned command, char *out,
                              size_t cap) {
  if (!info || !info->default_value || !out || cap == 0) return 0;
  if (!(info->flags & BENCHY_OPTF_PER_COMMAND_DEFAULT)) {
    snprintf(out, cap, "%s", info->default_value);
    return 1;
  }
  /* "bench=sample|load=population": the entry named for this command. */
  const char *want = command_name(command);
  size_t want_len = strlen(want);
  for (const char *p = info->default_value; *p;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    if (eq && (size_t)(eq - p) == want_len && !strncmp(p, want, want_len)) {
      snprintf(out, cap, "%.*s", (int)(n - want_len - 1), eq + 1);
      return 1;
    }
    p = bar ? bar + 1 : p + n;
  }
  return 0;
}

static void value_clear(option_value *v) {
  free(v->text);
  free(v->numbers);
  if (v->strings)
    for (size_t i = 0; i < v->n_items; i++) free(v->strings[i]);
  free(v->strings);
  memset(v, 0, sizeof *v);
}

static int fail(benchy_options *o, int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(o->error, sizeof o->error, fmt, ap);
  va_end(ap);
  return status;
}

static int parse_number(const char *s, int integer, double *out) {
  char *end;
  while (isspace((unsigned char)*s)) s++;
  if (!*s) return -1;
  errno = 0;
  double d = strtod(s, &end);
  if (errno || end == s) return -1;
  while (isspace((unsigned char)*end)) end++;
  if (*end) return -1;
  if (!isfinite(d)) return -1;
  if (integer && d != floor(d)) return -1;
  *out = d;
  return 0;
}

static int is_inf_word(const char *s) {
  while (isspace((unsigned char)*s)) s++;
  return !strcasecmp(s, "inf") || !strcasecmp(s, "infinity");
}

/* A number of the row's type; "inf" where the row allows it (BENCHY_OPTF_INF). */
static int parse_item(const benchy_option_info *info, const char *s, int integer, double *out) {
  if ((info->flags & BENCHY_OPTF_INF) && is_inf_word(s)) {
    *out = INFINITY;
    return 0;
  }
  return parse_number(s, integer, out);
}

static int in_bounds(const benchy_option_info *info, double d) {
  if (isinf(d) && d > 0 && (info->flags & BENCHY_OPTF_INF)) return 1;
  if (info->min > info->max) return 1;
  return d >= info->min && d <= info->max;
}

static int bounds_error(benchy_options *o, const benchy_option_info *info, const char *item) {
  return fail(o, BENCHY_ERR_INVALID, "--%s: %s is out of range; give a value from %g to %g%s",
              info->name, item, info->min, info->max,
              (info->flags & BENCHY_OPTF_INF) ? ", or inf" : "");
}

static int parse_list(benchy_options *o, const benchy_option_info *info, option_value *v,
                      const char *text) {
  int integer = info->type == BENCHY_OPT_INT_LIST;
  char *copy = benchy_strdup(text);
  if (!copy) return BENCHY_ERR_NOMEM;
  size_t cap = 0, n = 0;
  double *nums = NULL;
  int status = BENCHY_OK;
  char *save = NULL;
  for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
    double d;
    if (parse_item(info, tok, integer, &d) != 0) {
      int inf = (info->flags & BENCHY_OPTF_INF) != 0;
      status = fail(o, BENCHY_ERR_INVALID, "--%s: '%s' is not %s%s; give a comma-separated list like %s",
                    info->name, tok, integer ? "an integer" : "a number", inf ? " or inf" : "",
                    inf ? "2,8,inf" : integer ? "512,2048" : "50,90,99");
      break;
    }
    if (!in_bounds(info, d)) {
      status = bounds_error(o, info, tok);
      break;
    }
    double *room = benchy_grow(nums, &cap, n + 1, sizeof *room);
    if (!room) {
      status = BENCHY_ERR_NOMEM;
      break;
    }
    nums = room;
    nums[n++] = d;
  }
  free(copy);
  if (status == BENCHY_OK && n == 0)
    status = fail(o, BENCHY_ERR_INVALID, "--%s: the list is empty; give at least one value",
                  info->name);
  if (status != BENCHY_OK) {
    free(nums);
    return status;
  }
  free(v->numbers);
  v->numbers = nums;
  v->n_items = n;
  return BENCHY_OK;
}

static int parse_flag(const char *s, double *out) {
  if (!s || !strcmp(s, "1") || !strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
    *out = 1;
    return 0;
  }
  if (!strcmp(s, "0") || !strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
    *out = 0;
    return 0;
  }
  return -1;
}

static int choice_ok(const char *choices, const char *s) {
  size_t len = strlen(s);
  const char *p = choices;
  while (p && *p) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == len && !strncmp(p, s, n)) return 1;
    p = bar ? bar + 1 : NULL;
  }
  return 0;
}

/* Applies text to option index i; user marks a user-given value. */
static int assign_text(benchy_options *o, size_t i, const char *text, int user) {
  const benchy_option_info *info = &option_table[i];
  option_value *v = &o->values[i];
  double d = 0;
  switch (info->type) {
  case BENCHY_OPT_FLAG:
    if (parse_flag(text, &d) != 0)
      return fail(o, BENCHY_ERR_INVALID, "--%s: '%s' is not a boolean; use true or false",
                  info->name, text);
    break;
  case BENCHY_OPT_INT:
  case BENCHY_OPT_DOUBLE:
    if (!text || parse_item(info, text, info->type == BENCHY_OPT_INT, &d) != 0)
      return fail(o, BENCHY_ERR_INVALID, "--%s: '%s' is not %s", info->name, text ? text : "",
                  info->type == BENCHY_OPT_INT ? "an integer" : "a number");
    if (!in_bounds(info, d)) return bounds_error(o, info, text);
    break;
  case BENCHY_OPT_CHOICE:
    if (!text || !choice_ok(info->choices, text))
      return fail(o, BENCHY_ERR_INVALID, "--%s: '%s' is not one of %s", info->name,
                  text ? text : "", info->choices);
    break;
  case BENCHY_OPT_STRING:
    if (!text) return fail(o, BENCHY_ERR_INVALID, "--%s needs a value", info->name);
    break;
  case BENCHY_OPT_INT_LIST:
  case BENCHY_OPT_DOUBLE_LIST: {
    if (!text) return fail(o, BENCHY_ERR_INVALID, "--%s needs a value", info->name);
    int st = parse_list(o, info, v, text);
    if (st != BENCHY_OK) return st;
    break;
  }
  case BENCHY_OPT_STRING_LIST: {
    if (!text) return fail(o, BENCHY_ERR_INVALID, "--%s needs a value", info->name);
    /* A default is replaced by the first user value; later values append. */
    if (user && !v->set) {
      for (size_t k = 0; k < v->n_items; k++) free(v->strings[k]);
      v->n_items = 0;
    }
    char **grown = realloc(v->strings, (v->n_items + 1) * sizeof *grown);
    if (!grown) return BENCHY_ERR_NOMEM;
    v->strings = grown;
    if (!(v->strings[v->n_items] = benchy_strdup(text))) return BENCHY_ERR_NOMEM;
    v->n_items++;
    break;
  }
  default:
    return fail(o, BENCHY_ERR_INVALID, "--%s: unknown option type", info->name);
  }
  char *copy = NULL;
  if (text && !(copy = benchy_strdup(text))) return BENCHY_ERR_NOMEM;
  free(v->text);
  v->text = copy;
  if (info->type == BENCHY_OPT_FLAG && !text) {
    free(v->text);
    v->text = benchy_strdup("true");
  }
  v->number = d;
  if (user) v->set = 1;
  return BENCHY_OK;
}

/* A URL's path: what follows the host, "" for the server root. */
static const char *url_path(const char *url) {
  const char *scheme = strstr(url, "://");
  if (!scheme) return NULL;
  const char *slash = strchr(scheme + 3, '/');
  return slash ? slash : url + strlen(url);
}

static int is_root_path(const char *path) {
  while (*path == '/') path++;
  return !*path;
}

/* Names that say the value is a credential (API_KEY, hf_token, auth, ...). */
static int word_listed(const char *list, const char *word, size_t len) {
  for (const char *p = list; p && *p;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    if (n == len && !strncmp(p, word, n)) return 1;
    p = bar ? bar + 1 : NULL;
  }
  return 0;
}

/* The table's value-shape rules (options.h, BENCHY_OPTF_*): *shaped gets the
 * text to store when it differs from what was given. */
static int shape_value(benchy_options *o, const benchy_option_info *info, const char *text,
                       char **shaped) {
  *shaped = NULL;
  if ((info->flags & BENCHY_OPTF_URL_ROOT_PATH) && info->default_value) {
    const char *path = url_path(text);
    const char *root_path = url_path(info->default_value);
    if (path && root_path && is_root_path(path) && !is_root_path(root_path)) {
      size_t n = (size_t)(path - text);
      if (!(*shaped = malloc(n + strlen(root_path) + 1))) return BENCHY_ERR_NOMEM;
      memcpy(*shaped, text, n);
      strcpy(*shaped + n, root_path);
    }
  }
  if (info->type == BENCHY_OPT_STRING && info->choices) {
    for (const char *p = text; *p;) {
      const char *comma = strchr(p, ',');
      size_t n = comma ? (size_t)(comma - p) : strlen(p);
      if (!word_listed(info->choices, p, n))
        return fail(o, BENCHY_ERR_INVALID, "--%s: '%.*s' is not one of %s (give a comma list)",
                    info->name, (int)n, p, info->choices);
      p = comma ? comma + 1 : p + n;
    }
  }
  if (info->flags & BENCHY_OPTF_KEY_VALUE) {
    const char *eq = strchr(text, '=');
    if (!eq || eq == text)
      return fail(o, BENCHY_ERR_INVALID, "--%s: '%s' is not KEY=VALUE; give e.g. gpu=H200",
                  info->name, text);
    size_t klen = (size_t)(eq - text);
    if (scrub_secret_name(text, klen) && !(info->flags & BENCHY_OPTF_KEEP_VALUE)) {
      static const char hidden[] = "=[redacted]";
      if (!(*shaped = malloc(klen + sizeof hidden))) return BENCHY_ERR_NOMEM;
      memcpy(*shaped, text, klen);
      memcpy(*shaped + klen, hidden, sizeof hidden);
    }
  }
  return BENCHY_OK;
}

static int assign(benchy_options *o, size_t i, const char *text, int user) {
  const benchy_option_info *info = &option_table[i];
  if (!text && (info->flags & BENCHY_OPTF_OPTIONAL_VALUE)) text = "";
  char *shaped = NULL;
  if (text) {
    int st = shape_value(o, info, text, &shaped);
    if (st != BENCHY_OK) return st;
  }
  int st = assign_text(o, i, shaped ? shaped : text, user);
  free(shaped);
  return st;
}

static int unknown_option(benchy_options *o, const char *name) {
  name = bare_name(name);
  const char *near = option_nearest_name(name, o->command, option_table, OPTION_COUNT);
  char hint[160] = "";
  if (near) snprintf(hint, sizeof hint, "did you mean %s%s? ", strlen(near) == 1 ? "-" : "--", near);
  return fail(o, BENCHY_ERR_NOT_FOUND, "unknown option '%s%s'%s; %s--help lists the options it takes",
              strlen(name) == 1 ? "-" : "--", name,
              find_index(name) >= 0 ? " for this command" : "", hint);
}

/* An alias row's "given=sent|..." map: the target's value for text. */
static int map_alias_value(benchy_options *o, const benchy_option_info *info, const char *text,
                           char *out, size_t outlen) {
  size_t len = text ? strlen(text) : 0;
  for (const char *p = info->choices; text && p && *p;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    size_t key = eq ? (size_t)(eq - p) : n;
    if (key == len && !strncmp(p, text, len)) {
      const char *to = eq ? eq + 1 : p;
      size_t tn = eq ? n - key - 1 : n;
      snprintf(out, outlen, "%.*s", (int)tn, to);
      return BENCHY_OK;
    }
    p = bar ? bar + 1 : NULL;
  }
  char accepted[256] = "";
  size_t at = 0;
  for (const char *p = info->choices; p && *p && at < sizeof accepted;) {
    const char *bar = strchr(p, '|');
    size_t n = bar ? (size_t)(bar - p) : strlen(p);
    const char *eq = memchr(p, '=', n);
    size_t key = eq ? (size_t)(eq - p) : n;
    int w = snprintf(accepted + at, sizeof accepted - at, "%s%.*s", at ? ", " : "", (int)key, p);
    if (w < 0) break;
    at += (size_t)w;
    p = bar ? bar + 1 : NULL;
  }
  return fail(o, BENCHY_ERR_INVALID, "--%s: '%s' is not supported; accepted: %s", info->name,
              text ? text : "", accepted);
}

int benchy_options_new(benchy_options **out, unsigned command) {
  if (!out) return BENCHY_ERR_INVALID;
  *out = NULL;
  benchy_options *o = calloc(1, sizeof *o);
  if (!o) return BENCHY_ERR_NOMEM;
  o->command = command;
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const benchy_option_info *info = &option_table[i];
    char def[256];
    if (!(info->commands & command) || !benchy_option_default_for(info, command, def, sizeof def))
      continue;
    int st = assign(o, i, def, 0);
    if (st != BENCHY_OK) {
      benchy_options_free(o);
      return st;
    }
  }
  *out = o;
  return BENCHY_OK;
}

void benchy_options_free(benchy_options *o) {
  if (!o) return;
  for (size_t i = 0; i < OPTION_COUNT; i++) value_clear(&o->values[i]);
  free(o);
}

int benchy_options_copy(benchy_options **out, const benchy_options *from) {
  if (!out || !from) return BENCHY_ERR_INVALID;
  int st = benchy_options_new(out, from->command);
  if (st != BENCHY_OK) return st;
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const option_value *v = &from->values[i];
    if (!v->set) continue;
    if (option_table[i].type == BENCHY_OPT_STRING_LIST) {
      for (size_t k = 0; k < v->n_items && st == BENCHY_OK; k++)
        st = assign(*out, i, v->strings[k], 1);
    } else {
      st = assign(*out, i, v->text, 1);
    }
    if (st != BENCHY_OK) {
      benchy_options_free(*out);
      *out = NULL;
      return st;
    }
  }
  return BENCHY_OK;
}

unsigned benchy_options_command(const benchy_options *o) { return o ? o->command : 0; }

/* --host/--port of a client (BENCHY_OPTF_URL_PART): the row's name is the
 * part of the target URL it replaces, keeping the rest ("http://H:8090/v1"). */
static int set_url_part(benchy_options *o, const benchy_option_info *info, const char *value) {
  long target = find_row(info->alias_of, o->command, NULL);
  if (target < 0) return fail(o, BENCHY_ERR_INVALID, "--%s: broken URL part", info->name);
  const char *url = o->values[target].text ? o->values[target].text : "http://127.0.0.1/v1";
  const char *scheme = strstr(url, "://");
  const char *host = scheme ? scheme + 3 : url;
  const char *path = host + strcspn(host, "/");
  const char *at = memchr(host, '@', (size_t)(path - host));
  if (at) host = at + 1;
  /* The port's colon is the last one outside an IPv6 literal's brackets. */
  const char *close = memchr(host, ']', (size_t)(path - host));
  const char *colon = memchr(close ? close : host, ':', (size_t)(path - (close ? close : host)));
  const char *host_end = colon ? colon : path;
  int is_host = !strcmp(info->name, "host");
  int bracket = is_host && strchr(value, ':') && value[0] != '[';
  size_t len = strlen(url) + strlen(value) + 8;
  char *out = malloc(len);
  if (!out) return BENCHY_ERR_NOMEM;
  if (is_host)
    snprintf(out, len, "%.*s%s%s%s%s", (int)(host - url), url, bracket ? "[" : "", value,
             bracket ? "]" : "", host_end);
  else
    snprintf(out, len, "%.*s:%s%s", (int)(host_end - url), url, value, path);
  int st = assign(o, (size_t)target, out, 1);
  free(out);
  return st;
}

int benchy_options_set(benchy_options *o, const char *name, const char *value) {
  if (!o || !name) return BENCHY_ERR_INVALID;
  long i = find_row(name, o->command, value ? value : "");
  if (i < 0) return unknown_option(o, name);
  const benchy_option_info *info = &option_table[i];
  if (info->flags & BENCHY_OPTF_ALIAS) {
    long target = find_row(info->alias_of, o->command, NULL);
    if (target < 0) return fail(o, BENCHY_ERR_INVALID, "--%s: broken alias", info->name);
    if (info->choices) {
      char mapped[128];
      int st = map_alias_value(o, info, value, mapped, sizeof mapped);
      return st != BENCHY_OK ? st : assign(o, (size_t)target, mapped, 1);
    }
    return assign(o, (size_t)target, value, 1);
  }
  int st = assign(o, (size_t)i, value, 1);
  if (st == BENCHY_OK && (info->flags & BENCHY_OPTF_URL_PART))
    st = set_url_part(o, info, o->values[i].text);
  return st;
}

const char *benchy_options_error(const benchy_options *o) { return o ? o->error : ""; }

static const option_value *lookup(const benchy_options *o, const char *name, int type_mask) {
  if (!o) return NULL;
  /* By command: clients' --host is not the simulator's. */
  long i = find_row(name, o->command, NULL);
  if (i < 0) return NULL;
  if (!(type_mask & (1 << option_table[i].type))) return NULL;
  return &o->values[i];
}

#define T_(t) (1 << (t))

int benchy_options_is_set(const benchy_options *o, const char *name) {
  const option_value *v = lookup(o, name, ~0);
  return v ? v->set : 0;
}

int benchy_options_flag(const benchy_options *o, const char *name) {
  const option_value *v = lookup(o, name, T_(BENCHY_OPT_FLAG));
  return v && v->text ? v->number != 0 : 0;
}

int64_t benchy_options_int(const benchy_options *o, const char *name) {
  const option_value *v = lookup(o, name, T_(BENCHY_OPT_INT) | T_(BENCHY_OPT_DOUBLE));
  return v && v->text ? (int64_t)v->number : 0;
}

double benchy_options_double(const benchy_options *o, const char *name) {
  const option_value *v = lookup(o, name, T_(BENCHY_OPT_INT) | T_(BENCHY_OPT_DOUBLE));
  return v && v->text ? v->number : 0.0;
}

const char *benchy_options_str(const benchy_options *o, const char *name) {
  const option_value *v = lookup(o, name, ~0);
  return v ? v->text : NULL;
}

size_t benchy_options_list_len(const benchy_options *o, const char *name) {
  const option_value *v = lookup(o, name, T_(BENCHY_OPT_INT_LIST) | T_(BENCHY_OPT_DOUBLE_LIST) |
                                              T_(BENCHY_OPT_STRING_LIST));
  return v ? v->n_items : 0;
}

int64_t benchy_options_list_int(const benchy_options *o, const char *name, size_t i) {
  const option_value *v = lookup(o, name, T_(BENCHY_OPT_INT_LIST) | T_(BENCHY_OPT_DOUBLE_LIST));
  return v && i < v->n_items ? (int64_t)v->numbers[i] : 0;
}

double benchy_options_list_double(const benchy_options *o, const char *name, size_t i) {
  const option_value *v = lookup(o, name, T_(BENCHY_OPT_INT_LIST) | T_(BENCHY_OPT_DOUBLE_LIST));
  return v && i < v->n_items ? v->numbers[i] : 0.0;
}

const char *benchy_options_list_str(const benchy_options *o, const char *name, size_t i) {
  const option_value *v = lookup(o, name, T_(BENCHY_OPT_STRING_LIST));
  return v && i < v->n_items ? v->strings[i] : NULL;
}
