#!/usr/bin/env bash
# Installs what libbenchy needs on Debian 12, only what is missing.
#
#   install-deps.sh            everything building and testing needs (the
#                              default; scripts/test.sh and CI): compilers,
#                              libraries, CMocka, Lua, clang and valgrind,
#                              a test locale, and a Python virtual environment
#                              (.venv) with pytest, numpy, scikit-build-core (which
#                              builds the Python extension) and nbclient, ipykernel
#                              and matplotlib (the example notebook's test).
#   install-deps.sh --runtime  only what building and running the library and
#                              `benchy` needs (scripts/quickstart.sh).
#
# Another apt or dpkg (unattended-upgrades, a second terminal) may hold the
# package lock: apt-get waits for it up to BENCHY_APT_LOCK_TIMEOUT seconds
# (default 300) instead of failing at once.
#
# The venv is built from Debian's /usr/bin/python3 on purpose: the
# extension and its tests must use one known interpreter, not whichever
# python3 happens to be first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

runtime_only=0
case "${1:-}" in
  "") ;;
  --runtime) runtime_only=1 ;;
  -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "install-deps: unknown argument '$1'; give --runtime (build and run only) or nothing (everything the tests need)" >&2
     exit 2 ;;
esac

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

# libjs-chart.js: benchy report embeds its Chart.js at build time.
runtime_packages=(build-essential cmake ninja-build pkg-config
                  libcurl4-openssl-dev libcjson-dev libevent-dev libjs-chart.js)
# chromium: the report tests open every page in headless Chromium.
test_packages=(locales liblua5.4-dev lua5.4 libcmocka-dev
               clang libclang-rt-14-dev valgrind python3-dev python3-venv chromium)
packages=("${runtime_packages[@]}")
((runtime_only)) || packages+=("${test_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  lock_timeout=${BENCHY_APT_LOCK_TIMEOUT:-300}
  apt_opts=(-o "DPkg::Lock::Timeout=$lock_timeout")
  echo "install-deps: installing ${missing[*]}" >&2
  echo "install-deps: if another apt or dpkg is running, waiting up to ${lock_timeout} s for its lock" >&2
  "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get "${apt_opts[@]}" install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
fi

((runtime_only)) && exit 0

# A locale that writes decimals with a comma: the JSON scanner's tests prove
# that number parsing ignores the process locale.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  "${sudo_cmd[@]}" localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi

if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import pytest, numpy, scikit_build_core, nbclient, ipykernel, matplotlib' \
    2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
fi
