#!/usr/bin/env bash
# Lua overhead of `benchy run` (issue 11, "Performance"): CPU per request
# beyond `benchy load` doing the same requests, and memory per idle user.
#
#   bench/lua_overhead.sh [BENCHY] [USERS]     (defaults: build/release/bindings/cli/benchy, 1000)
#
# The client runs on core 0 and the simulator on core 1 (taskset). CPU is the
# client's user+system time (wait4's rusage; the median of
# BENCHY_PERF_REPEAT runs, default 3). Per request it is a difference
# of differences, so that startup (Lua state, load's prompt calibration)
# cancels out:
#   lua µs/request = ((run(5 iter) - run(1 iter)) - (load(5N) - load(N))) / (4N)
# where N = USERS requests, one per user per iteration. Memory per idle user:
# the Lua heap with USERS users waiting, over USERS (the script weighs it), and
# the max RSS of USERS waiting users less one waiting user, over USERS - 1.
# Targets: <= 20 µs/request, <= 64 KiB/idle user. Figures are printed, not
# judged: timings on a shared machine are noisy; run it a few times.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCHY=${1:-build/release/bindings/cli/benchy}
USERS=${2:-1000}
PORT=${BENCHY_PERF_PORT:-18599}
[ -x "$BENCHY" ] || { echo "lua_overhead: no benchy at $BENCHY: build first (cmake --build --preset release)" >&2; exit 2; }
command -v taskset >/dev/null || { echo "lua_overhead: taskset missing (util-linux)" >&2; exit 2; }
cores=$(nproc)
client_core=0
sim_core=$(( cores > 1 ? 1 : 0 ))

tmp=$(mktemp -d)
taskset -c "$sim_core" "$BENCHY" sim --port "$PORT" --decode-tps 20000 --prefill-tps 10000000 \
  --overhead-ms 0 --slots 100000 >"$tmp/sim.log" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 200); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break
  kill -0 $sim 2>/dev/null || { cat "$tmp/sim.log" >&2; exit 2; }
  sleep 0.05
done
URL="http://127.0.0.1:$PORT/v1"

# cpu_of LABEL COMMAND...: prints the command's user+sys seconds (wait4's
# rusage, to the microsecond) and max RSS KiB, the median of REPEAT runs.
REPEAT=${BENCHY_PERF_REPEAT:-3}
cpu_of() {
  local label=$1; shift
  python3 - "$tmp/$label" "$REPEAT" taskset -c "$client_core" "$@" <<'PY' || { echo "lua_overhead: $label failed:" >&2; tail -5 "$tmp/$label.err" >&2; exit 1; }
import os, statistics, sys
base, repeat, argv = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
cpu, rss = [], []
for _ in range(repeat):
    with open(base + ".out", "w") as out, open(base + ".err", "w") as err:
        pid = os.fork()
        if pid == 0:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            os.execvp(argv[0], argv)
        _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(1)
    cpu.append(ru.ru_utime + ru.ru_stime)
    rss.append(ru.ru_maxrss)
print(f"{statistics.median(cpu):.6f} {int(statistics.median(rss))}")
PY
}

read -r run1 _ < <(cpu_of run1 "$BENCHY" run bench/lua/one_turn.lua --base-url "$URL" --users "$USERS" --iterations 1 --quiet --format json)
read -r run5 _ < <(cpu_of run5 "$BENCHY" run bench/lua/one_turn.lua --base-url "$URL" --users "$USERS" --iterations 5 --quiet --format json)
# load sends the script's request: the same message and max_tokens, from a
# one-line dataset (no prompt generation or calibration to weigh)
echo '{"messages": [{"role": "user", "content": "go"}], "max_tokens": 16}' >"$tmp/one_turn.jsonl"
load_args=(load --base-url "$URL" --max-concurrency "$USERS" --dataset jsonl --dataset-path "$tmp/one_turn.jsonl"
           --threads 1 --quiet --format json)
read -r load1 _ < <(cpu_of load1 "$BENCHY" "${load_args[@]}" --num-prompts "$USERS")
read -r load5 _ < <(cpu_of load5 "$BENCHY" "${load_args[@]}" --num-prompts $((USERS * 5)))
read -r _ rss1 < <(cpu_of idle1 "$BENCHY" run bench/lua/idle.lua --base-url "$URL" --users 1 --quiet --format json)
read -r _ rssn < <(cpu_of idlen "$BENCHY" run bench/lua/idle.lua --base-url "$URL" --users "$USERS" --quiet --format json)
heap_kib=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["aggregates"][0]["metrics"]["lua_heap_kib"]["max"])' "$tmp/idlen.out")
done5=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["aggregates"][0]["completed"])' "$tmp/run5.out")

python3 - "$USERS" "$run1" "$run5" "$load1" "$load5" "$rss1" "$rssn" "$heap_kib" "$done5" <<'PY'
import sys
users, run1, run5, load1, load5, rss1, rssn, heap, done5 = sys.argv[1:]
users = int(users); n = 4 * users
run1, run5, load1, load5, heap = map(float, (run1, run5, load1, load5, heap))
lua_us = ((run5 - run1) - (load5 - load1)) / n * 1e6
run_us = (run5 - run1) / n * 1e6
load_us = (load5 - load1) / n * 1e6
rss_kib = (int(rssn) - int(rss1)) / (users - 1) if users > 1 else float("nan")
print(f"| figure | value | target |")
print(f"| --- | ---: | ---: |")
print(f"| users | {users} | |")
print(f"| requests of the 5-iteration run | {done5} | {5 * users} |")
print(f"| benchy run CPU µs/request | {run_us:.1f} | |")
print(f"| benchy load CPU µs/request | {load_us:.1f} | |")
print(f"| Lua overhead CPU µs/request | {lua_us:.1f} | <= 20 |")
print(f"| Lua heap KiB/idle user | {heap * 1.0 / users:.2f} | <= 64 |")
print(f"| max RSS KiB/idle user | {rss_kib:.2f} | <= 64 |")
PY
