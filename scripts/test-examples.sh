#!/usr/bin/env bash
# Installs a build into a temporary prefix, then builds examples/c against
# it twice — through pkg-config and through find_package(benchy) — and runs
# both. Proves that other C tools can link the library as installed.
# The examples in docs/c-api.md must be examples/c/stream_one.c and
# run_load.c verbatim, so that the code a reader copies is the code compiled here.
# Usage: scripts/test-examples.sh BUILD_DIR
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
for example in stream_one run_load; do
  doc_example=$(awk -v name="$example" '$0 == "<!-- end examples/c/" name ".c -->" {on = 0}
                     on && !/^```/ {print}
                     $0 == "<!-- begin examples/c/" name ".c -->" {on = 1}' "$src/docs/c-api.md")
  if [ -z "$doc_example" ] || ! diff -u "$src/examples/c/$example.c" <(printf '%s\n' "$doc_example") >&2; then
    echo "docs/c-api.md's example between the begin/end examples/c/$example.c markers" \
         "differs from examples/c/$example.c: make them the same" >&2
    exit 1
  fi
done
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
# The run-handle example: a load sweep against the in-process simulator,
# its progress reported through the callback.
out=$("$work/cmake-build/run_load" 2>"$work/run_load.err")
echo "cmake-build/run_load: $(tail -n1 <<<"$out")"
case "$out" in
  *"progress_events="*" status=OK"*) ;;
  *) echo "unexpected output from run_load" >&2; cat "$work/run_load.err" >&2; exit 1 ;;
esac
grep -q "level 2/2 (c=4): sending requests" "$work/run_load.err" \
  || { echo "run_load reported no progress for its second level" >&2; exit 1; }
