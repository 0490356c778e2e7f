/* compare_cmd.h — `benchy compare BASE NEW` and `benchy table RESULT...`:
 * saved results named on the command line, read back and handed to the
 * library. */
#ifndef BENCHY_CLI_COMPARE_CMD_H
#define BENCHY_CLI_COMPARE_CMD_H

/* Both parse argv[first..argc) themselves (result files are positional)
 * and return the process's exit status: compare 0 (no regression), 1 (a
 * regression past a --fail-if threshold), 2 (usage, unreadable file, or
 * results refused as incomparable); table 0 or 2. */
int cli_compare(int argc, char **argv, int first);
int cli_table(int argc, char **argv, int first);

/* argv[first..argc) split into result files and options (for the
 * table-driven parser: options[0] is a placeholder so it starts at 1), for
 * the commands whose main arguments are files. -1 out of memory. */
typedef struct split_args {
  char **files;
  int nfiles;
  char **options;
  int noptions;
} split_args;
int cli_split_files(int argc, char **argv, int first, unsigned command, split_args *out);
void cli_split_free(split_args *s);

#endif
