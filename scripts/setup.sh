#!/usr/bin/env bash
# Idempotent set-up for `make run` and `make test` on Debian: system packages, .venv, map_ui/node_modules.
# Usage: scripts/setup.sh [run|test]   (test also needs Chromium and poppler-utils)
# Quick when everything is present: only file checks and two hashes.
set -euo pipefail

mode="${1:-run}"
case "$mode" in
  run|test) ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '[setup] %s\n' "$*"; }

# ---- 1. Debian packages --------------------------------------------------------------------------
missing=()
need() { # need PACKAGE: add once
  local p
  for p in "${missing[@]+"${missing[@]}"}"; do [[ "$p" == "$1" ]] && return 0; done
  missing+=("$1")
}

is_py311() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; }

python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && is_py311 "$candidate"; then
    python="$(command -v "$candidate")"
    break
  fi
done
venv_ok=0
if [[ -x .venv/bin/python ]] && is_py311 .venv/bin/python; then
  venv_ok=1
fi
if [[ $venv_ok == 0 ]]; then
  if [[ -z "$python" ]]; then
    need python3.11; need python3.11-venv
  elif ! "$python" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    need python3.11-venv  # Debian splits venv/ensurepip out of the interpreter
  fi
fi

# PostgreSQL 15 server + PostGIS 3 (the package pulls in postgresql-15).
if [[ ! -x /usr/lib/postgresql/15/bin/pg_ctl || ! -f /usr/share/postgresql/15/extension/postgis.control ]]; then
  need postgresql-15-postgis-3
fi
# Korean font embedded in the PDF printouts (and used by the UI screenshots in tests).
[[ -f /usr/share/fonts/truetype/nanum/NanumGothic.ttf ]] || need fonts-nanum
# npm installs the map's front-end packages (Leaflet) into map_ui/node_modules.
if [[ -f map_ui/package.json ]] && ! command -v npm >/dev/null 2>&1; then
  command -v node >/dev/null 2>&1 || need nodejs
  need npm
fi
if [[ "$mode" == test ]]; then
  [[ -x /usr/bin/chromium ]] || need chromium
  command -v pdftoppm >/dev/null 2>&1 || need poppler-utils
fi

if (( ${#missing[@]} )); then
  if [[ "$(id -u)" != 0 ]]; then
    {
      echo "행복-맵 set-up needs these Debian packages, and installing them needs root rights:"
      echo
      echo "    sudo apt-get install ${missing[*]}"
      echo
      echo "Install them, then run the command again."
    } >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
  if [[ -z "$python" ]]; then
    python="$(command -v python3.11 || true)"
  fi
fi

# ---- 2. Python virtualenv ------------------------------------------------------------------------
if [[ $venv_ok == 0 ]]; then
  if [[ -z "$python" ]]; then
    echo "Python 3.11 is required (python3.11 not found on PATH)." >&2
    exit 1
  fi
  [[ -e .venv ]] && { say "recreating .venv (not a Python 3.11 virtualenv)"; rm -rf .venv; }
  say "creating .venv with $python"
  "$python" -m venv .venv
fi

stamp=.venv/.happymap-installed
want="$(cat pyproject.toml constraints.txt | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  say "installing the project and its dev dependencies into .venv"
  .venv/bin/python -m pip install --disable-pip-version-check -q -c constraints.txt -e '.[dev]'
  echo "$want" > "$stamp"
fi

# ---- 3. Front-end packages -----------------------------------------------------------------------
ui_hash() { cat map_ui/package.json map_ui/package-lock.json 2>/dev/null | sha256sum | cut -d' ' -f1; }
if [[ -f map_ui/package.json ]]; then
  ui_stamp=map_ui/node_modules/.happymap-installed
  if [[ ! -f "$ui_stamp" || "$(cat "$ui_stamp")" != "$(ui_hash)" ]]; then
    say "installing front-end packages into map_ui/node_modules"
    if [[ -f map_ui/package-lock.json ]]; then
      (cd map_ui && npm ci --no-audit --no-fund --loglevel=error)
    else
      (cd map_ui && npm install --no-audit --no-fund --loglevel=error)
    fi
    ui_hash > "$ui_stamp"  # after install: `npm install` may have written the lock
  fi
fi

say "ok ($mode)"
