#!/usr/bin/env bash
# Builds the release preset and runs the client performance harness
# (bench/perf.c). Arguments go to benchy-perf, e.g. --seconds 5 --streams 256.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake --preset release >/dev/null
cmake --build --preset release --target benchy-perf benchy_cli >/dev/null
exec build/release/bench/benchy-perf "$@"
