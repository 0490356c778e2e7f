/*
 * options.c — values for the option table (options_table.h).
 *
 * Provides: benchy_option_* (the table), benchy_options_* (values of one
 * command). Values are kept as the text the user gave plus a parsed form, so
 * results can echo the configuration exactly as typed.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benchy/benchy.h"
#include "options_table.h"
#include "util.h"

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

static long find_index(const char *name) {
  if (!name) return -1;
  while (*name == '-' && name[1] == '-') name += 2; /* accept "--pp" too */
  for (size_t i = 0; i < OPTION_COUNT; i++)
    if (names_equal(option_table[i].name, name)) return (long)i;
  return -1;
}

const benchy_option_info *benchy_option_find(const char *name) {
  long i = find_index(name);
  return i < 0 ? NULL : &option_table[i];
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

static int in_bounds(const benchy_option_info *info, double d) {
  if (info->min > info->max) return 1;
  return d >= info->min && d <= info->max;
}

static int bounds_error(benchy_options *o, const benchy_option_info *info, const char *item) {
  return fail(o, BENCHY_ERR_INVALID, "--%s: %s is out of range; give a value from %g to %g",
              info->name, item, info->min, info->max);
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
    if (parse_number(tok, integer, &d) != 0) {
      status = fail(o, BENCHY_ERR_INVALID, "--%s: '%s' is not %s; give a comma-separated list like %s",
                    info->name, tok, integer ? "an integer" : "a number",
                    integer ? "512,2048" : "50,90,99");
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
static int assign(benchy_options *o, size_t i, const char *text, int user) {
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
    if (!text || parse_number(text, info->type == BENCHY_OPT_INT, &d) != 0)
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

int benchy_options_new(benchy_options **out, unsigned command) {
  if (!out) return BENCHY_ERR_INVALID;
  *out = NULL;
  benchy_options *o = calloc(1, sizeof *o);
  if (!o) return BENCHY_ERR_NOMEM;
  o->command = command;
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const benchy_option_info *info = &option_table[i];
    if (!(info->commands & command) || !info->default_value) continue;
    int st = assign(o, i, info->default_value, 0);
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

int benchy_options_set(benchy_options *o, const char *name, const char *value) {
  if (!o || !name) return BENCHY_ERR_INVALID;
  long i = find_index(name);
  if (i < 0 || !(option_table[i].commands & o->command)) {
    return fail(o, BENCHY_ERR_NOT_FOUND,
                "unknown option '%s'%s; see --help for the options this command takes", name,
                i >= 0 ? " for this command" : "");
  }
  const benchy_option_info *info = &option_table[i];
  if (info->flags & BENCHY_OPTF_ALIAS) {
    long target = find_index(info->alias_of);
    if (target < 0) return fail(o, BENCHY_ERR_INVALID, "--%s: broken alias", info->name);
    /* --endpoint is the server root; the API lives under /v1. */
    if (!strcmp(info->name, "endpoint") && value) {
      size_t n = strlen(value);
      while (n && value[n - 1] == '/') n--;
      char *url = malloc(n + 4);
      if (!url) return BENCHY_ERR_NOMEM;
      memcpy(url, value, n);
      memcpy(url + n, "/v1", 4);
      int st = assign(o, (size_t)target, url, 1);
      free(url);
      return st;
    }
    return assign(o, (size_t)target, value, 1);
  }
  return assign(o, (size_t)i, value, 1);
}

const char *benchy_options_error(const benchy_options *o) { return o ? o->error : ""; }

static const option_value *lookup(const benchy_options *o, const char *name, int type_mask) {
  if (!o) return NULL;
  long i = find_index(name);
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

static void write_wrapped(FILE *f, const char *text, int indent, int width) {
  int col = indent;
  const char *p = text;
  while (*p) {
    const char *sp = strchr(p, ' ');
    int len = sp ? (int)(sp - p) : (int)strlen(p);
    if (col > indent && col + 1 + len > width) {
      fprintf(f, "\n%*s", indent, "");
      col = indent;
    } else if (col > indent) {
      fputc(' ', f);
      col++;
    }
    fwrite(p, 1, (size_t)len, f);
    col += len;
    p += len;
    while (*p == ' ') p++;
  }
  fputc('\n', f);
}

void benchy_options_write_help(unsigned command, void *file, int width) {
  FILE *f = file;
  const char *groups[32];
  size_t n_groups = 0;
  if (width < 60) width = 60;
  for (size_t i = 0; i < OPTION_COUNT; i++) {
    const benchy_option_info *info = &option_table[i];
    if (!(info->commands & command)) continue;
    size_t g = 0;
    while (g < n_groups && strcmp(groups[g], info->group)) g++;
    if (g == n_groups && n_groups < 32) groups[n_groups++] = info->group;
  }
  for (size_t g = 0; g < n_groups; g++) {
    fprintf(f, "\n%s options:\n", groups[g]);
    for (size_t i = 0; i < OPTION_COUNT; i++) {
      const benchy_option_info *info = &option_table[i];
      if (!(info->commands & command) || strcmp(info->group, groups[g])) continue;
      if (info->flags & BENCHY_OPTF_HIDDEN) continue;
      char head[96];
      if (info->type == BENCHY_OPT_FLAG)
        snprintf(head, sizeof head, "  --%s", info->name);
      else
        snprintf(head, sizeof head, "  --%s %s", info->name,
                 info->metavar ? info->metavar : (info->choices ? info->choices : "VALUE"));
      fputs(head, f);
      int col = (int)strlen(head);
      const int indent = 30;
      if (col >= indent - 1) {
        fprintf(f, "\n%*s", indent, "");
      } else {
        fprintf(f, "%*s", indent - col, "");
      }
      char text[1024];
      if (info->default_value && info->type != BENCHY_OPT_FLAG)
        snprintf(text, sizeof text, "%s [default: %s]", info->help, info->default_value);
      else
        snprintf(text, sizeof text, "%s", info->help);
      write_wrapped(f, text, indent, width);
    }
  }
}
