#!/usr/bin/env bash
# Installs what building and running needs, builds the library and the CLI,
# starts the built-in simulator and benchmarks it: the first command of the
# README. Any extra arguments go to `benchy bench`.
#
# The simulator listens on BENCHY_PORT when it is set, and refuses to go on
# when that port is taken (whatever answers there is not the simulator, and
# benchmarking it would be meaningless). Without BENCHY_PORT it tries 8090
# and, when that is taken, any free port, and says which.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --runtime
# A build of its own: the library and `benchy` only, so that neither the
# test tools nor the release build's configuration are touched.
cmake --preset quickstart >/dev/null
cmake --build --preset quickstart --target benchy_cli
benchy=build/quickstart/bindings/cli/benchy

tmp=$(mktemp -d)
sim_pid=
cleanup() {
  if [ -n "$sim_pid" ]; then
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
mkfifo "$tmp/sim.err"

# Starts the simulator on port $1 and reads its first line: "benchy sim
# listening on http://HOST:PORT/v1 ..." once it accepts connections, or why it
# could not start. Sets sim_pid, sim_port (empty on failure) and sim_line.
start_sim() {
  "$benchy" sim --port "$1" --model sim --prefill-tps 4000 --decode-tps 100 --overhead-ms 5 \
    --slots 8 --seed 1 2>"$tmp/sim.err" &
  sim_pid=$!
  exec 3<"$tmp/sim.err"
  sim_line=
  IFS= read -r -t 30 sim_line <&3 || true
  sim_port=
  if [[ $sim_line =~ listening\ on\ http://[^[:space:]]*:([0-9]+)/v1 ]]; then
    sim_port=${BASH_REMATCH[1]}
    # The rest of what the simulator says goes to stderr as before.
    cat <&3 >&2 &
  else
    # Exited (its line says why), or silent for 30 s: either way, not ours to use.
    kill "$sim_pid" 2>/dev/null || true
    wait "$sim_pid" 2>/dev/null || true
    sim_pid=
  fi
  exec 3<&-
}

if [ -n "${BENCHY_PORT:-}" ]; then
  start_sim "$BENCHY_PORT"
  if [ -z "$sim_port" ]; then
    echo "quickstart: cannot start benchy sim on port $BENCHY_PORT (${sim_line:-no reason given})." >&2
    echo "quickstart: another program may be listening there; benchmarking it would not measure the" >&2
    echo "quickstart: simulator. Free the port, choose another (BENCHY_PORT=N), or unset BENCHY_PORT to" >&2
    echo "quickstart: use any free port." >&2
    exit 1
  fi
else
  start_sim 8090
  if [ -z "$sim_port" ]; then
    echo "quickstart: port 8090 is not free (${sim_line:-no reason given}); using any free port" >&2
    start_sim 0
    if [ -z "$sim_port" ]; then
      echo "quickstart: cannot start benchy sim: ${sim_line:-no reason given}" >&2
      exit 1
    fi
  fi
fi
echo "quickstart: benchy sim listens on port $sim_port (http://127.0.0.1:$sim_port/v1)" >&2

"$benchy" bench --base-url "http://127.0.0.1:$sim_port/v1" --model sim --pp 512 2048 --tg 32 128 --runs 3 "$@"
