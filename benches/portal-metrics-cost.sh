#!/bin/sh
# What the Prometheus metrics cost the portal: the same `ringside serve` answering
# `GET /api/v1/followme` (50 keep-alive connections, 10 s) with the metrics listener off, then
# on (the recorder installed, every request counted and timed), alternating RUNS times.
# Load generator and server share the machine: compare the two columns, not the absolute rate.
# RINGSIDE may point at an already built binary (default: the debug build with Ringside's own
# code at opt-level 3, as the other benches build it).
set -eu
cd "$(dirname "$0")/.."

if [ -z "${RINGSIDE:-}" ]; then
  CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo build -q -p ringside --bin ringside
  RINGSIDE=target/debug/ringside
fi
CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo build -q -p ringside-benches --bin portal_load
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
WORK=$(mktemp -d)
PORT=$(free_port)
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
SERVER=
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in $(seq "${RUNS:-3}"); do
  for metrics in off on; do
    if [ "$metrics" = on ]; then
      export RINGSIDE_METRICS_LISTEN="127.0.0.1:$(free_port)"
    else
      unset RINGSIDE_METRICS_LISTEN
    fi
    "$RINGSIDE" --config "$WORK/ringside.toml" serve &
    SERVER=$!
    for _ in $(seq 100); do
      curl -s -o /dev/null "http://127.0.0.1:$PORT/login" && break
      sleep 0.1
    done
    printf 'run %s, metrics %-3s ' "$run" "$metrics"
    target/debug/portal_load "127.0.0.1:$PORT" 201 alice-secret-pw /api/v1/followme 50 "${SECONDS_PER_RUN:-10}"
    kill $SERVER; wait $SERVER 2>/dev/null || true
  done
done
