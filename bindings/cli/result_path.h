/* result_path.h — where --save-result writes, decided before the run. */
#ifndef BENCHY_CLI_RESULT_PATH_H
#define BENCHY_CLI_RESULT_PATH_H

#include <benchy/benchy.h>

/* The file --save-result (with --result-dir, --result-filename) names for
 * this command, or NULL in *path when nothing is to be saved. A missing
 * --result-dir is created. Refuses (returns -1, the reason on stderr) a file
 * that exists unless --overwrite-result, so that a long run is not spent
 * only to find it cannot be saved. The caller frees *path. */
int cli_result_path(const benchy_options *opts, const char *command, char **path);

/* Saves result to path, saying on stderr where. Should the file have
 * appeared during the run (without --overwrite-result), writes beside it
 * under a numbered name instead of replacing it. Returns 0 or 1. */
int cli_save_result(const benchy_result *result, const benchy_options *opts, const char *path);

#endif
