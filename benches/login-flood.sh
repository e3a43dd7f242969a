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
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$WORK/ringside.toml" <<TOML
data_dir = "$WORK/data"
[ari]
url = "http://127.0.0.1:9/ari"
[agi]
listen = "127.0.0.1:0"
[portal]
listen = "127.0.0.1:$PORT"
[voicemail]
spool_dir = "$WORK/voicemail"
TOML
export RUST_LOG=error
echo 'alice-secret-pw' | "$RINGSIDE" --config "$WORK/ringside.toml" user add 201 --name Alice --password-stdin --portal >/dev/null
ulimit -n 8192 2>/dev/null || true
"$RINGSIDE" --config "$WORK/ringside.toml" serve &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/login" && break
  sleep 0.1
done
target/debug/login_flood "127.0.0.1:$PORT" "$SERVER" "${N:-1000}"
