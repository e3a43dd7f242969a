#!/usr/bin/env bash
# Upload to playable for a 30 s MP3 greeting: makes the MP3 (128 kbit/s, 44.1 kHz stereo, as
# a phone or laptop records it) and runs the `greeting_upload` bench, which prints p50 and p99
# over 100 uploads. RINGSIDE_BENCH_PROFILE=dev builds the dev profile with the workspace at
# opt-level 3 (quicker than release). RINGSIDE_BENCH_SPOOL=DIR puts the spool on DIR's file
# system (default: the temporary directory's).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v ffmpeg >/dev/null || { echo "greeting-upload: ffmpeg is not installed" >&2; exit 1; }
work=$(mktemp -d /tmp/ringside-greeting.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
ffmpeg -loglevel error -f lavfi -i "sine=frequency=440:duration=30:sample_rate=44100" \
  -f lavfi -i "sine=frequency=660:duration=30:sample_rate=44100" \
  -filter_complex "[0:a][1:a]amerge=inputs=2" -codec:a libmp3lame -b:a 128k "$work/greeting.mp3"
if [ "${RINGSIDE_BENCH_PROFILE:-release}" = dev ]; then
  profile=(--profile dev)
  export CARGO_PROFILE_DEV_OPT_LEVEL=3
else
  profile=()
fi
RINGSIDE_BENCH_GREETING_MP3="$work/greeting.mp3" \
  cargo bench -q "${profile[@]}" -p ringside-benches --bench greeting_upload
