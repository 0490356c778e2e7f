/*
 * args.c — argv into benchy_options. Knows nothing of any particular
 * option: names, types, aliases, short flags and value shapes all come from
 * the library's table.
 */
#include "args.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Options that take several values also take them as separate words, as
 * llama-benchy and vLLM users type them: "--pp 512 2048",
 * "--request-rate 1 5 10", "--goodput ttft:200 tpot:50". */
static int takes_many(const benchy_option_info *info) {
  return info->type == BENCHY_OPT_INT_LIST || info->type == BENCHY_OPT_DOUBLE_LIST ||
         info->type == BENCHY_OPT_STRING_LIST ||
         (info->type == BENCHY_OPT_STRING && info->metavar && strstr(info->metavar, "[,"));
}

/* "--x" and llama-bench's "-x"; "-1" and "-.5" are values, "-" is a word. */
static int looks_like_option(const char *word) {
  if (word[0] != '-' || !word[1]) return 0;
  if (word[1] == '-') return 1;
  return !isdigit((unsigned char)word[1]) && word[1] != '.';
}

static int set_one(benchy_options *opts, const char *name, const char *value, const char *command) {
  if (benchy_options_set(opts, name, value) == BENCHY_OK) return 0;
  fprintf(stderr, "benchy %s: %s\n", command, benchy_options_error(opts));
  return -1;
}

/* The option the table says a bare word sets (benchy run SCRIPT.lua), or NULL. */
static const benchy_option_info *positional_option(unsigned cmd) {
  for (size_t i = 0; i < benchy_option_count(); i++) {
    const benchy_option_info *info = benchy_option_at(i);
    if ((info->commands & cmd) && (info->flags & BENCHY_OPTF_POSITIONAL)) return info;
  }
  return NULL;
}

int cli_parse_options(benchy_options *opts, int argc, char **argv, int first, const char *command) {
  unsigned cmd = benchy_options_command(opts);
  for (int i = first; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return 1;
    if (!looks_like_option(arg)) {
      const benchy_option_info *pos = positional_option(cmd);
      if (pos && !benchy_options_is_set(opts, pos->name)) {
        if (set_one(opts, pos->name, arg, command) != 0) return -1;
        continue;
      }
      fprintf(stderr, "benchy %s: unexpected argument '%s'; options start with --\n", command, arg);
      return -1;
    }
    const char *start = arg[1] == '-' ? arg + 2 : arg + 1;
    char name[128];
    const char *value = NULL;
    const char *eq = strchr(start, '=');
    size_t len = eq ? (size_t)(eq - start) : strlen(start);
    if (len >= sizeof name) len = sizeof name - 1;
    memcpy(name, start, len);
    name[len] = '\0';
    if (arg[1] != '-' && len != 1) {
      /* "-pp 512": a long name with one dash is a typo worth naming. */
      fprintf(stderr, "benchy %s: unknown option '%s'; long options start with -- (--%s)\n",
              command, arg, name);
      return -1;
    }
    const benchy_option_info *info = benchy_option_find_for(name, cmd, NULL);
    char *joined = NULL;
    if (eq) {
      value = eq + 1;
    } else if (info && (info->flags & BENCHY_OPTF_OPTIONAL_VALUE)) {
      if (i + 1 < argc && !looks_like_option(argv[i + 1])) value = argv[++i];
    } else if (info && info->type != BENCHY_OPT_FLAG) {
      if (i + 1 >= argc) {
        fprintf(stderr, "benchy %s: %s needs a value (%s)\n", command, arg,
                info->metavar ? info->metavar : "see --help");
        return -1;
      }
      value = argv[++i];
      if (info->type == BENCHY_OPT_STRING_LIST) {
        /* Repeatable: each further bare word is one more value. */
        while (i + 1 < argc && !looks_like_option(argv[i + 1])) {
          if (set_one(opts, name, value, command) != 0) return -1;
          value = argv[++i];
        }
      } else if (takes_many(info)) {
        size_t total = strlen(value) + 1;
        int j = i + 1;
        while (j < argc && !looks_like_option(argv[j])) total += strlen(argv[j++]) + 1;
        if (j > i + 1) {
          joined = malloc(total);
          if (!joined) return -1;
          strcpy(joined, value);
          for (int k = i + 1; k < j; k++) {
            strcat(joined, ",");
            strcat(joined, argv[k]);
          }
          value = joined;
          i = j - 1;
        }
      }
    }
    int rc = set_one(opts, name, value, command);
    free(joined);
    if (rc != 0) return -1;
  }
  return 0;
}
