#!/usr/bin/env bash
# Runs every C unit test of a build under valgrind's memcheck, two at a time
# (the machines have two cores); any memory error or definite leak fails.
# Usage: scripts/valgrind.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build/release}" && pwd)
run_one() {
  local t=$1 name
  name=$(basename "$t")
  # Timing assertions that valgrind's slowdown makes meaningless check
  # BENCHY_UNDER_VALGRIND (tests/unit/testutil.h); everything else is asserted.
  if BENCHY_UNDER_VALGRIND=1 valgrind -q --error-exitcode=99 --leak-check=full \
       --errors-for-leak-kinds=definite "$t" >"$t.valgrind.log" 2>&1; then
    echo "valgrind: $name clean"
  else
    echo "valgrind: $name FAILED"
    grep -E "ERROR|FAILED|definitely lost|Invalid|uninitialised" "$t.valgrind.log" | head -n 20
    tail -n 30 "$t.valgrind.log"
    return 1
  fi
}
export -f run_one
find "$build/tests" -maxdepth 1 -type f -name 'test_*' -perm -u+x | sort |
  xargs -P 2 -I{} bash -c 'run_one "$@"' _ {}
