#!/usr/bin/env bash
# Installs a build into a temporary prefix, then builds examples/c against
# it twice — through pkg-config and through find_package(benchy) — and runs
# both. Proves that other C tools can link the library as installed.
# The worked example in docs/c-api.md must be examples/c/stream_one.c
# verbatim, so that the code a reader copies is the code compiled here.
# Usage: scripts/test-examples.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
doc_example=$(awk '/^<!-- end examples\/c\/stream_one.c -->/ {on = 0}
                   on && !/^```/ {print}
                   /^<!-- begin examples\/c\/stream_one.c -->/ {on = 1}' "$src/docs/c-api.md")
if [ -z "$doc_example" ] || ! diff -u "$src/examples/c/stream_one.c" <(printf '%s\n' "$doc_example") >&2; then
  echo "docs/c-api.md's worked example (between the begin/end examples/c/stream_one.c markers)" \
       "differs from examples/c/stream_one.c: make them the same" >&2
  exit 1
fi
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
# The README's snippet compiles too (it needs a server on :8090 to run).
awk '/^## Embedding it/ {sec = 1} sec && /^```c/ {on = 1; next} on && /^```/ {exit} on {print}' \
  "$src/README.md" > "$work/readme_snippet.c"
cc -std=c11 -Wall -Wextra -Werror "$work/readme_snippet.c" $(pkg-config --cflags --libs benchy) \
   -o "$work/readme_snippet" || { echo "README.md's 'Embedding it' snippet does not compile" >&2; exit 1; }
for exe in "$work/stream_one_pc" "$work/cmake-build/stream_one"; do
  out=$("$exe")
  echo "$(basename "$(dirname "$exe")")/$(basename "$exe"): $out"
  case "$out" in
    *"output_tokens=32 "*) ;;
    *) echo "unexpected output from $exe" >&2; exit 1 ;;
  esac
done
