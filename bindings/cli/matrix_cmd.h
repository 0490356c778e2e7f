/* matrix_cmd.h — `benchy matrix`: every combination of --vary values, one
 * server and one run each, one table at the end (docs/lifecycle.md). */
#ifndef BENCHY_CLI_MATRIX_CMD_H
#define BENCHY_CLI_MATRIX_CMD_H

int cli_matrix(int argc, char **argv, int first);

#endif
