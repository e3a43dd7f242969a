# Sourced by the portal benchmarks: a throw-away Ringside set-up with one portal user, and the
# helpers to start its `serve` and wait for the portal. Not a way to deploy Ringside.
# Needs RINGSIDE (the binary); sets WORK (removed by the caller's trap) and PORT.

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

# Starts `ringside serve` in the background (its pid in SERVER) and waits for the login page.
start_server() {
  "$RINGSIDE" --config "$WORK/ringside.toml" serve &
  SERVER=$!
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$PORT/login" && break
    sleep 0.1
  done
}
