#!/usr/bin/env bash
# Installs the system packages the tests need when they are missing (Debian, as root):
# every check adds to need, and one apt-get installs them all at the end.
#
# PostgreSQL: the tests and the demo start a private cluster from the local
# server binaries (internal/pgcluster), found like pgcluster finds them:
# initdb and postgres side by side, in PATH or in /usr/lib/postgresql/*/bin.
# They are not needed when DATABASE_URL points at a server.
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

[ ${#need[@]} -eq 0 ] && exit 0

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
