#!/usr/bin/env bash
# Installs, builds, starts the built-in simulator and benchmarks it: the
# first command of the README. Any extra arguments go to `benchy bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
benchy=build/release/bindings/cli/benchy
port=${BENCHY_PORT:-8090}

"$benchy" sim --port "$port" --model sim --prefill-tps 4000 --decode-tps 100 --overhead-ms 5 --slots 8 --seed 1 &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null; wait $sim_pid 2>/dev/null || true' EXIT
# Ready when /health answers; the loop is bounded.
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.1
done
"$benchy" bench --base-url "http://127.0.0.1:$port/v1" --model sim --pp 512 2048 --tg 32 128 --runs 3 "$@"
