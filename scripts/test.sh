#!/usr/bin/env bash
# Installs, builds and runs every test: the second command of the README,
# and what CI runs (.ci/run).
#  1. release build with -Werror, all C unit tests (ctest), the C examples
#     built against an installed copy (pkg-config and find_package);
#  2. the C tests again under AddressSanitizer + UndefinedBehaviorSanitizer;
#  3. the C unit tests under valgrind (memcheck, leaks are errors);
#  4. libFuzzer targets for the SSE parser and OpenAI decoder, bounded;
#  5. the Python extension built and installed into .venv (pip install .),
#     then the Python tests (CLI end to end, statistics cross-checked with
#     numpy, `import benchy` against its in-process simulator).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
jobs=$(nproc)

echo "== release build + tests"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs"
ctest --preset release -j "$jobs"

echo "== ASan + UBSan"
cmake --preset asan >/dev/null
cmake --build --preset asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --preset asan -j "$jobs"

echo "== valgrind"
./scripts/valgrind.sh build/release

echo "== fuzz (bounded)"
./scripts/fuzz.sh "${BENCHY_FUZZ_SECONDS:-20}"

echo "== python"
# No build isolation: scikit-build-core comes from requirements-dev.txt, and
# build/python-* keeps the CMake build between runs, so this is quick.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-build-isolation \
  --config-settings=cmake.define.BENCHY_WERROR=ON .
set +e
.venv/bin/python -m pytest -q tests/python
rc=$?
set -e
# pytest exits 5 when it collected nothing: that is a failure here.
exit $rc
