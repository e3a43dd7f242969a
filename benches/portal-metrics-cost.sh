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
. benches/lib/portal-server.sh
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
    start_server
    printf 'run %s, metrics %-3s ' "$run" "$metrics"
    target/debug/portal_load "127.0.0.1:$PORT" 201 alice-secret-pw /api/v1/followme 50 "${SECONDS_PER_RUN:-10}"
    kill $SERVER; wait $SERVER 2>/dev/null || true
  done
done
