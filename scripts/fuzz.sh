#!/usr/bin/env bash
# Builds the libFuzzer targets of the streaming protocol layer (the `fuzz`
# preset: clang, ASan + UBSan) and runs each for a bounded time, seeded with
# the recorded streams in tests/fixtures/*.sse. Corpora and crash artifacts
# stay under build/fuzz/run/, out of git. Any crash, leak, timeout or
# sanitizer report makes the script fail.
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
case "$secs" in '' | *[!0-9]*) echo "usage: $0 [SECONDS]" >&2; exit 2 ;; esac

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz --target fuzz_sse fuzz_openai fuzz_h1

run=build/fuzz/run
mkdir -p "$run"

# Seeds: each recording behind the control bytes each target reads first
# (libFuzzer cuts the long ones to -max_len; a few events are enough).
# fuzz_sse: max_line selector (0x80: the default bound; 0x10: 49 bytes, so
# the too-long path is seeded as well) and two seed bytes for split points.
# fuzz_openai: bit 0 picks /v1/completions, bit 1 keep_text.
seed_sse=$run/seed-sse
seed_openai=$run/seed-openai
rm -rf "$seed_sse" "$seed_openai"
mkdir -p "$seed_sse" "$seed_openai"
for f in tests/fixtures/*.sse; do
  name=$(basename "$f" .sse)
  { printf '\x80\x12\x34'; cat "$f"; } >"$seed_sse/$name"
  { printf '\x10\x56\x78'; cat "$f"; } >"$seed_sse/$name.short"
  api=0
  case "$name" in completions_*) api=1 ;; esac
  { printf "\\x0$api"; cat "$f"; } >"$seed_openai/$name"
  { printf "\\x0$((api + 2))"; cat "$f"; } >"$seed_openai/$name.keep"
done
cp tests/fixtures/ctx_overflow.json "$seed_openai/x_ctx_overflow"

# HTTP responses for the h1 parser: first byte seeds the split points.
seed_h1=$run/seed-h1
rm -rf "$seed_h1"
mkdir -p "$seed_h1"
printf '\x07HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nT: 1\r\n\r\n' >"$seed_h1/chunked"
printf '\x03HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Slow\r\nContent-Length: 4\r\n\r\nslow' >"$seed_h1/length"
printf '\x11HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\ndata: {}\n\n' >"$seed_h1/close"

status=0
for target in sse openai h1; do
  bin=$(find build/fuzz -type f -name "fuzz_$target" -perm -u+x | head -n 1)
  [ -n "$bin" ] || { echo "fuzz_$target was not built" >&2; exit 1; }
  corpus=$run/corpus-$target
  artifacts=$run/artifacts-$target/
  mkdir -p "$corpus" "$artifacts"
  echo "== fuzz_$target for ${secs}s"
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
      -dict=tests/fuzz/openai.dict -artifact_prefix="$artifacts" "$corpus" "$run/seed-$target" \
      >"$run/fuzz_$target.log" 2>&1; then
    echo "fuzz_$target FAILED (artifacts in $artifacts):"
    tail -n 60 "$run/fuzz_$target.log"
    status=1
  else
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|#[0-9]+ *DONE)' "$run/fuzz_$target.log" || true
  fi
done
exit $status
