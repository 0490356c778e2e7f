#!/usr/bin/env bash
# Installs what building and testing libbenchy needs on Debian 12, only what
# is missing, then a Python virtual environment (.venv) for the Python tests.
# The venv is built from Debian's /usr/bin/python3 on purpose: the
# extension and its tests must use one known interpreter, not whichever
# python3 happens to be first on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

packages=(locales build-essential cmake ninja-build pkg-config
          libcurl4-openssl-dev libcjson-dev libevent-dev liblua5.4-dev lua5.4 libcmocka-dev
          clang libclang-rt-14-dev valgrind python3-dev python3-venv)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A locale that writes decimals with a comma: the JSON scanner's tests prove
# that number parsing ignores the process locale.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  "${sudo_cmd[@]}" localedef -i de_DE -f UTF-8 de_DE.UTF-8
fi

if [ ! -x .venv/bin/python ]; then
  /usr/bin/python3 -m venv .venv
fi
if ! .venv/bin/python -c 'import pytest, numpy' 2>/dev/null; then
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-dev.txt
fi
