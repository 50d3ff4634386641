#!/usr/bin/env bash
# Installs the system packages the tests need when they are missing (Debian, as root):
# every check adds to need, and one apt-get installs them all at the end.
#
# PostgreSQL: the tests and the demo start a private cluster from the local
# server binaries (internal/pgcluster), found like pgcluster finds them:
# initdb and postgres side by side, in PATH or in /usr/lib/postgresql/*/bin.
# They are not needed when DATABASE_URL points at a server.
#
# The browser softphone's SIP library comes from npm (package.json, package-lock.json):
# Node and npm are installed when missing, `npm ci` fetches the locked packages when
# node_modules is older than the lock file, and the library is bundled into
# internal/web/jslib/jssip.min.js, which the binary embeds (never committed).
#
# DEPS_DRY_RUN=1 only reports what would be installed; DEPS_PG_ROOT replaces
# /usr/lib/postgresql (both for checking this script).
set -euo pipefail

pg_root=${DEPS_PG_ROOT:-/usr/lib/postgresql}

have_pg_server() {
  local initdb dir
  if initdb=$(command -v initdb 2>/dev/null); then
    dir=$(dirname "$(readlink -f "$initdb")")
    [ -x "$dir/postgres" ] && return 0
  fi
  for dir in "$pg_root"/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && return 0
  done
  return 1
}

need=()
if [ -z "${DATABASE_URL:-}" ] && ! have_pg_server; then
  need+=(postgresql)
fi
# ARI emulator tests (internal/ariemu): Asterisk's prompts and music on hold. The -wav packages
# hold the files; asterisk-core-sounds-en and -ru make the sounds/en and sounds/ru links Asterisk
# (and the emulator) look in.
for p in asterisk-core-sounds-en-wav asterisk-core-sounds-ru-wav asterisk-core-sounds-en asterisk-core-sounds-ru asterisk-moh-opsound-wav; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
# SIP load generator tests (internal/sipload, cmd/sbload): sipp is the far end.
command -v sipp >/dev/null 2>&1 || need+=(sip-tester)
# Browser tests (cmd/switchboard browser_test.go): a headless Chromium driven over CDP.
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need+=(chromium)
# The softphone's library (package.json): Node and npm.
command -v node >/dev/null 2>&1 || need+=(nodejs)
command -v npm >/dev/null 2>&1 || need+=(npm)

# softphone_lib installs the locked npm packages when needed and bundles JsSIP for the binary.
softphone_lib() {
  local root out
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  out="$root/internal/web/jslib/jssip.min.js"
  cd "$root"
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "npm ci (softphone library)" >&2
    npm ci --no-audit --no-fund --loglevel=error >&2
  fi
  if [ ! -f "$out" ] || [ node_modules/.package-lock.json -nt "$out" ]; then
    node_modules/.bin/esbuild node_modules/jssip/lib/JsSIP.js --bundle --format=iife --global-name=JsSIP \
      --minify --target=es2020 --legal-comments=none --log-level=warning --outfile="$out.tmp"
    mv "$out.tmp" "$out"
  fi
}

if [ ${#need[@]} -eq 0 ]; then
  [ -n "${DEPS_DRY_RUN:-}" ] || softphone_lib
  exit 0
fi

if [ -n "${DEPS_DRY_RUN:-}" ]; then
  echo "would install: ${need[*]}"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "missing packages: ${need[*]} (install them as root: apt-get install ${need[*]})" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null; then
  echo "missing packages: ${need[*]} (no apt-get here: install them another way; for PostgreSQL, DATABASE_URL also does)" >&2
  exit 1
fi
echo "installing: ${need[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
softphone_lib
