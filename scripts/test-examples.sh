#!/usr/bin/env bash
# Installs a build into a temporary prefix, then builds examples/c against
# it twice — through pkg-config and through find_package(benchy) — and runs
# both. Proves that other C tools can link the library as installed.
# Usage: scripts/test-examples.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
libdir=$(find "$work/prefix" -name 'benchy.pc' -printf '%h\n' | head -n1)
export PKG_CONFIG_PATH="$libdir"
cc -std=c11 -Wall -Wextra -Werror "$src/examples/c/stream_one.c" $(pkg-config --cflags --libs benchy) \
   -Wl,-rpath,"$(pkg-config --variable=libdir benchy)" -o "$work/stream_one_pc"
cmake -S "$src/examples/c" -B "$work/cmake-build" -G Ninja -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_BUILD_RPATH="$(pkg-config --variable=libdir benchy)" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
for exe in "$work/stream_one_pc" "$work/cmake-build/stream_one"; do
  out=$("$exe")
  echo "$(basename "$(dirname "$exe")")/$(basename "$exe"): $out"
  case "$out" in
    *"output_tokens=32 "*) ;;
    *) echo "unexpected output from $exe" >&2; exit 1 ;;
  esac
done
