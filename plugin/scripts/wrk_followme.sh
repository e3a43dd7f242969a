#!/bin/sh
# Load test of the logged-in follow-me page and its JSON with wrk (50 connections).
# Usage: wrk_followme.sh [BASE_URL] [EXTENSION] [PASSWORD] [DURATION]
# Works against `ringside serve` and against the portal's demo_server example.
set -eu
base=${1:-http://127.0.0.1:8099}
ext=${2:-201}
password=${3:-alice-pw}
duration=${4:-15s}

headers=$(mktemp)
trap 'rm -f "$headers"' EXIT
curl -s -o /dev/null -D "$headers" -H 'Content-Type: application/json' \
    -d "{\"extension\":\"$ext\",\"password\":\"$password\"}" "$base/api/v1/session"
cookie=$(grep -i '^set-cookie: ringside_session=' "$headers" | sed 's/^[Ss]et-[Cc]ookie: //; s/;.*//' | tr -d '\r')
if [ -z "$cookie" ]; then
    echo "login as $ext failed" >&2
    exit 1
fi

for path in /followme /api/v1/followme; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$path")
    [ "$status" = 200 ] || { echo "$path answered $status" >&2; exit 1; }
    echo "== GET $path"
    wrk -t2 -c50 -d"$duration" --latency -H "Cookie: $cookie" "$base$path"
done
