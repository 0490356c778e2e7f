/* args.h — command-line arguments into benchy_options, from the option table. */
#ifndef BENCHY_CLI_ARGS_H
#define BENCHY_CLI_ARGS_H

#include <benchy/benchy.h>

/* Parses argv[first..argc) into opts. "--name value", "--name=value", flags
 * alone, llama-bench's one-letter "-p 512", lists as "1,2,4" or "1 2 4"
 * (llama-benchy style); a further word is a value unless it looks like an
 * option ("-x", "--x"; "-1" is a value). An option whose value is optional
 * (--save-result) takes the next word only when it is not an option.
 * Returns 0, 1 when --help was asked for, or -1 with the error printed to
 * stderr. */
int cli_parse_options(benchy_options *opts, int argc, char **argv, int first, const char *command);

#endif
