/* meta_cmd.h — `benchy meta`: the metadata every result carries, alone. */
#ifndef BENCHY_CLI_META_CMD_H
#define BENCHY_CLI_META_CMD_H

#include <benchy/benchy.h>

/* Prints the JSON on stdout: 0, or 2 (the error on stderr, scrubbed). */
int cli_meta(benchy_options *opts);

#endif
