/* commands.h — the table of `benchy` commands: each one's name, summary
 * (for `benchy --help`) and the function that runs it. main.c only looks a
 * command up here and dispatches. */
#ifndef BENCHY_CLI_COMMANDS_H
#define BENCHY_CLI_COMMANDS_H

#include <stddef.h>

#include <benchy/benchy.h>

typedef struct cli_command {
  const char *name;
  const char *summary;
  /* A command whose options all come from the option table: main.c parses
   * them for option_set and hands them over. */
  unsigned option_set;
  int (*run)(benchy_options *opts);
  /* A command whose main arguments are files parses argv[first..argc)
   * itself. Exactly one of run and run_args is set. */
  int (*run_args)(int argc, char **argv, int first);
} cli_command;

size_t cli_command_count(void);
const cli_command *cli_command_at(size_t i);
/* NULL when no command has that name. */
const cli_command *cli_command_find(const char *name);

#endif
