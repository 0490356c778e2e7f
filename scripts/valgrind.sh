#!/usr/bin/env bash
# Runs every C unit test of a build under valgrind's memcheck; any error or
# definite leak fails. Usage: scripts/valgrind.sh BUILD_DIR
set -euo pipefail
build=${1:-build/release}
status=0
pids=()
names=()
for t in "$build"/tests/test_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t")
  # Timing bounds in the tests are generous enough for valgrind's slowdown.
  BENCHY_UNDER_VALGRIND=1 valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
    --track-fds=no "$t" >"$build/valgrind-$name.log" 2>&1 &
  pids+=($!)
  names+=("$name")
done
for i in "${!pids[@]}"; do
  if wait "${pids[$i]}"; then
    echo "valgrind: ${names[$i]} clean"
  else
    echo "valgrind: ${names[$i]} FAILED (see $build/valgrind-${names[$i]}.log)"
    tail -n 40 "$build/valgrind-${names[$i]}.log"
    status=1
  fi
done
exit $status
