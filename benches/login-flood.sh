#!/bin/sh
# Memory under a login flood: 1,000 parallel portal logins against `ringside serve`, with the
# server's resident memory sampled from /proc and the login page fetched meanwhile. The
# logins come from distinct loopback addresses, so every one reaches the password check
# (argon2, 19 MiB of working memory each) instead of being turned away by login throttling.
# Target: RSS stays under 128 MB and the login page keeps answering.
# RINGSIDE may point at an already built binary (default: the debug build, whose
# dependencies, argon2 included, are optimised); N sets the number of logins.
set -eu
cd "$(dirname "$0")/.."

if [ -z "${RINGSIDE:-}" ]; then
  cargo build -q -p ringside --bin ringside
  RINGSIDE=target/debug/ringside
fi
cargo build -q -p ringside-benches --bin login_flood
. benches/lib/portal-server.sh
ulimit -n 8192 2>/dev/null || true
SERVER=
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
start_server
target/debug/login_flood "127.0.0.1:$PORT" "$SERVER" "${N:-1000}"
