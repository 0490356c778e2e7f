/* workload_cmd.h — `benchy bench`, `benchy load` and `benchy run`: one run
 * through the run handle, its progress on stderr, its result on stdout
 * (and --save-result). */
#ifndef BENCHY_CLI_WORKLOAD_CMD_H
#define BENCHY_CLI_WORKLOAD_CMD_H

#include <benchy/benchy.h>

/* Each returns the process's exit status (main.c's header says which). */
int cli_bench(benchy_options *opts);
int cli_load(benchy_options *opts);
int cli_run(benchy_options *opts);

#endif
