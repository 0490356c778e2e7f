/*
 * meta.h — reproducibility metadata (docs/metadata.md): benchy's build, the
 * command line, host, GPUs (NVML loaded at run time, else nvidia-smi), the
 * server as it describes itself, --meta-git trees, --meta-env variables and
 * --meta-cmd outputs, with every secret-looking value redacted. Every result
 * of bench and load carries it under "metadata"; this returns it alone.
 */
#ifndef BENCHY_META_H
#define BENCHY_META_H

#include <stddef.h>

#include "benchy/export.h"
#include "benchy/options.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The metadata as a JSON document (malloc'd text; free()), for options of
 * BENCHY_CMD_META or of a client command. The server is asked (each of its
 * self-describing endpoints, bounded by --probe-timeout) only when
 * --base-url was set. The command line recorded is the "meta-argv" option's
 * words, which the caller sets one by one (benchy_options_set(o,
 * "meta-argv", word)). NULL with err set when --base-url is invalid or
 * memory ran out; a source that cannot be read says why inside the
 * document instead. */
BENCHY_API char *benchy_meta_json(const benchy_options *opts, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
