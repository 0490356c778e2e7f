/*
 * Options are data: one table (libbenchy/src/options.c) names every option
 * of every command with its type, default, bounds and help. The CLI, Lua and
 * Python read the table; none of them defines an option of its own.
 *
 * A benchy_options holds the values for one command. Names are matched with
 * '-' and '_' treated alike, so "prefill-tps" (CLI), "prefill_tps" (Lua,
 * Python) are the same option. Values are set from text, checked against the
 * table, and a failure leaves a message naming the option and what it takes.
 */
#ifndef BENCHY_OPTIONS_H
#define BENCHY_OPTIONS_H

#include "benchy/export.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif


typedef enum benchy_command {
  BENCHY_CMD_SIM = 1u << 0,
  BENCHY_CMD_BENCH = 1u << 1,
  BENCHY_CMD_LOAD = 1u << 2,
  BENCHY_CMD_RUN = 1u << 3, /* Lua scripted workloads */
  BENCHY_CMD_COMPARE = 1u << 4, /* benchy compare: two saved results, significance and gates */
  BENCHY_CMD_TABLE = 1u << 5,   /* benchy table: one table across saved results */
  BENCHY_CMD_META = 1u << 6,    /* benchy meta: the reproducibility metadata alone */
  BENCHY_CMD_MATRIX = 1u << 7,  /* benchy matrix: what it varies; the rest are bench/load's */
  BENCHY_CMD_REPORT = 1u << 8   /* benchy report: saved results as one HTML page (report.h) */
} benchy_command;

typedef enum benchy_opt_type {
  BENCHY_OPT_FLAG = 0,    /* boolean; "--x" sets it, value "true/false/1/0/yes/no" */
  BENCHY_OPT_INT = 1,
  BENCHY_OPT_DOUBLE = 2,
  BENCHY_OPT_STRING = 3,
  BENCHY_OPT_CHOICE = 4,  /* one of info->choices ("a|b|c") */
  BENCHY_OPT_INT_LIST = 5,/* "1,2,4" (also "1 2 4") */
  BENCHY_OPT_DOUBLE_LIST = 6,
  BENCHY_OPT_STRING_LIST = 7 /* repeatable: each set appends */
} benchy_opt_type;

typedef enum benchy_opt_flag {
  BENCHY_OPTF_SECRET = 1u << 0, /* never written anywhere: not in results, JSONL, logs, stderr
                                   (benchy_options_to_json leaves it out; the scrubber knows it) */
  BENCHY_OPTF_ALIAS = 1u << 1,  /* another name for info->alias_of */
  BENCHY_OPTF_HIDDEN = 1u << 2, /* accepted, left out of --help */
  /* Value-shape rules, so that a flag spelled the same way in another tool
   * keeps that tool's meaning without code special-casing it: */
  BENCHY_OPTF_OPTIONAL_VALUE = 1u << 3, /* takes the next word only when it does not start with
                                           '-'; given alone its value is "" */
  BENCHY_OPTF_IF_PATH = 1u << 4,        /* this row takes values that start with '/'; a row of
                                           the same name without the flag takes the others */
  BENCHY_OPTF_URL_ROOT_PATH = 1u << 5,  /* an http(s) URL: one with no path (the server root)
                                           gets the default value's path, e.g. /v1 */
  BENCHY_OPTF_KEY_VALUE = 1u << 6,      /* each value is KEY=VALUE; values of secret-looking keys
                                           (KEY, TOKEN, SECRET, PASSWORD, AUTH in the name) are
                                           stored redacted, so nothing can write them */
  BENCHY_OPTF_URL_PART = 1u << 7,       /* the row's name ("host", "port") is the part of the URL
                                           option alias_of that its value replaces */
  BENCHY_OPTF_OUTPUT_ONLY = 1u << 8,    /* changes where or how results are shown, not what is
                                           measured: not part of what identifies a run (--resume
                                           continues, compare compares, across a change of it) */
  BENCHY_OPTF_INF = 1u << 9,            /* numbers (and list items) may be "inf", above max */
  BENCHY_OPTF_HEADER_SECRET = 1u << 10, /* each value is "Name: value": writers keep the name
                                           and never the value; the scrubber knows the value */
  BENCHY_OPTF_PER_COMMAND_DEFAULT = 1u << 11, /* default_value is "bench=X|load=Y": one default
                                                per command name (benchy_option_default_for) */
  BENCHY_OPTF_POSITIONAL = 1u << 12, /* a command line's first bare word is this option's value
                                       (benchy run SCRIPT.lua) */
  BENCHY_OPTF_CLI_ONLY = 1u << 13, /* the benchy command acts on it, the library does not (what
                                     is printed, where the result is saved): a front end over the
                                     library refuses it and offers its own way */
  BENCHY_OPTF_KEEP_VALUE = 1u << 14  /* with KEY_VALUE: values are kept as given, for a script
                                        that reads them (-e max_tokens=32), and written only
                                        redacted (secret-looking names, credentials, keys) */
} benchy_opt_flag;

typedef struct benchy_option_info {
  const char *name;          /* "prefill-tps" */
  int type;                  /* benchy_opt_type */
  unsigned commands;         /* benchy_command bits */
  const char *default_value; /* as text, NULL = unset */
  double min, max;           /* bounds for numbers and list items (min > max: none) */
  const char *choices;       /* "md|json|csv" for BENCHY_OPT_CHOICE; for a STRING, the words a
                                comma list may hold; for an alias, "given=sent|..." maps the
                                value given onto the target's (other values are refused) */
  const char *metavar;       /* "TOK/S" */
  const char *group;         /* heading in --help */
  const char *help;
  unsigned flags;            /* benchy_opt_flag */
  const char *alias_of;      /* target name when BENCHY_OPTF_ALIAS */
} benchy_option_info;

BENCHY_API size_t benchy_option_count(void);
BENCHY_API const benchy_option_info *benchy_option_at(size_t index);
/* NULL when no option has that name (aliases resolve to themselves). With
 * rows that share a name (one per value shape, BENCHY_OPTF_IF_PATH, or one
 * per command: the simulator's --host and the clients'), the first. */
BENCHY_API const benchy_option_info *benchy_option_find(const char *name);
/* The row that takes value for the given command (BENCHY_CMD_*), by name and
 * the value's shape; NULL when the command has no such option. value may be
 * NULL when not known yet (then the first row of that name). */
BENCHY_API const benchy_option_info *benchy_option_find_for(const char *name, unsigned command,
                                                            const char *value);

/* 1 when the option is part of what identifies a run: two runs whose
 * identifying options differ measured different things (--resume refuses to
 * continue such a file; compare refuses to compare them). Output-only,
 * secret and alias rows do not identify a run. */
BENCHY_API int benchy_option_identifies_run(const benchy_option_info *info);
/* The default value of info for command (one BENCHY_CMD_* bit), resolving
 * BENCHY_OPTF_PER_COMMAND_DEFAULT; writes it to out (cap bytes) and returns
 * 1, or returns 0 when the option has no default for that command. */
BENCHY_API int benchy_option_default_for(const benchy_option_info *info, unsigned command,
                                         char *out, size_t cap);

typedef struct benchy_options benchy_options;

/* Options for one command (BENCHY_CMD_*), defaults applied. */
BENCHY_API int benchy_options_new(benchy_options **out, unsigned command);
BENCHY_API void benchy_options_free(benchy_options *o);
BENCHY_API int benchy_options_copy(benchy_options **out, const benchy_options *from);
BENCHY_API unsigned benchy_options_command(const benchy_options *o);

/* Parses and checks value for option name; an alias sets its target. A flag
 * takes NULL for true. BENCHY_ERR_NOT_FOUND for an unknown name (or one that
 * does not apply to this command), BENCHY_ERR_INVALID for a bad value; both
 * leave a message in benchy_options_error(). */
BENCHY_API int benchy_options_set(benchy_options *o, const char *name, const char *value);
BENCHY_API const char *benchy_options_error(const benchy_options *o);
/* 1 when the user set it (not just the default). */
BENCHY_API int benchy_options_is_set(const benchy_options *o, const char *name);

/* Getters; asking for an unknown name or the wrong type returns 0/NULL. */
BENCHY_API int benchy_options_flag(const benchy_options *o, const char *name);
BENCHY_API int64_t benchy_options_int(const benchy_options *o, const char *name);
BENCHY_API double benchy_options_double(const benchy_options *o, const char *name);
/* Strings, choices; NULL when unset. Lists: the text as given. */
BENCHY_API const char *benchy_options_str(const benchy_options *o, const char *name);
BENCHY_API size_t benchy_options_list_len(const benchy_options *o, const char *name);
BENCHY_API int64_t benchy_options_list_int(const benchy_options *o, const char *name, size_t i);
BENCHY_API double benchy_options_list_double(const benchy_options *o, const char *name, size_t i);
BENCHY_API const char *benchy_options_list_str(const benchy_options *o, const char *name, size_t i);

/* What benchy_options_to_json writes. */
typedef enum benchy_options_json_what {
  BENCHY_OPTIONS_JSON_ALL = 0,        /* every option of the command (the result's "config") */
  BENCHY_OPTIONS_JSON_IDENTIFYING = 1 /* only those that identify a run */
} benchy_options_json_what;

/* The options as a JSON object keyed by option name (aliases resolved, so
 * each value once): the result's "config" block. Numbers as numbers (an
 * unset one null), lists as arrays ("inf" items as the string "inf"),
 * flags as booleans. Nothing secret: BENCHY_OPTF_SECRET rows are absent,
 * BENCHY_OPTF_HEADER_SECRET items keep only the name, a URL's
 * user:password@ is dropped. Malloc'd text the caller frees with free();
 * NULL when out of memory or o is NULL. */
BENCHY_API char *benchy_options_to_json(const benchy_options *o, unsigned what);

/* Writes "--name value" help for a command, grouped, wrapped to width. A
 * one-letter name is written "-x" (llama-bench's short flags). A row whose
 * group is another command's name ("bench" for --concurrency, shared with
 * load) is listed under this command's own heading. */
BENCHY_API void benchy_options_write_help(unsigned command, void *file /* FILE* */, int width);

#ifdef __cplusplus
}
#endif
#endif
