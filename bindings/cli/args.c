/*
 * args.c — argv into benchy_options. Knows nothing of any particular
 * option: names, types and help all come from the library's table.
 */
#include "args.h"

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

int cli_parse_options(benchy_options *opts, int argc, char **argv, int first, const char *command) {
  for (int i = first; i < argc; i++) {
    const char *arg = argv[i];
    if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) return 1;
    if (strncmp(arg, "--", 2) != 0) {
      fprintf(stderr, "benchy %s: unexpected argument '%s'; options start with --\n", command, arg);
      return -1;
    }
    char name[128];
    const char *value = NULL;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
    if (len >= sizeof name) len = sizeof name - 1;
    memcpy(name, arg + 2, len);
    name[len] = '\0';
    const benchy_option_info *info = benchy_option_find(name);
    /* An alias takes its value the way its target does. */
    if (info && (info->flags & BENCHY_OPTF_ALIAS)) {
      const benchy_option_info *target = benchy_option_find(info->alias_of);
      if (target) info = target;
    }
    char *joined = NULL;
    if (eq) {
      value = eq + 1;
    } else if (info && info->type != BENCHY_OPT_FLAG) {
      if (i + 1 >= argc) {
        fprintf(stderr, "benchy %s: --%s needs a value (%s)\n", command, name,
                info->metavar ? info->metavar : "see --help");
        return -1;
      }
      value = argv[++i];
      if (info->type == BENCHY_OPT_STRING_LIST) {
        /* Repeatable: each further bare word is one more value. */
        while (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
          if (benchy_options_set(opts, name, value) != BENCHY_OK) {
            fprintf(stderr, "benchy %s: %s\n", command, benchy_options_error(opts));
            return -1;
          }
          value = argv[++i];
        }
      } else if (takes_many(info)) {
        size_t total = strlen(value) + 1;
        int j = i + 1;
        while (j < argc && strncmp(argv[j], "--", 2) != 0) total += strlen(argv[j++]) + 1;
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
    int st = benchy_options_set(opts, name, value);
    free(joined);
    if (st != BENCHY_OK) {
      fprintf(stderr, "benchy %s: %s\n", command, benchy_options_error(opts));
      return -1;
    }
  }
  return 0;
}
