#!/usr/bin/env bash
# Creates .venv (git-ignored) with Python 3.11 and installs the pinned Python development tools of
# requirements-dev.txt into it, checking every file's hash (pip --require-hashes): never a global install.
# Idempotent: when .venv already holds exactly these requirements it returns at once.
# PYTHON=<interpreter> picks another Python 3.11.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3.11}"
want="$(sha256sum requirements-dev.txt | cut -d' ' -f1)"
stamp=.venv/.requirements-dev.sha256

if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "python-venv: .venv is up to date ($(.venv/bin/cfn-lint --version))"
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  "$python" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' ||
    { echo "python-venv: $python is not Python 3.11 (set PYTHON=...)" >&2; exit 1; }
  "$python" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes --no-deps \
  -r requirements-dev.txt
echo "$want" > "$stamp"
echo "python-venv: installed $(.venv/bin/cfn-lint --version) into .venv"
