#!/usr/bin/env bash
# Side-by-side prompt conversion: ringside (release build, or with RINGSIDE_BENCH_PROFILE=dev
# the dev profile at opt-level 3) vs sox (`rate -h`) vs ffmpeg, on the same 60 s inputs
# (44.1 kHz stereo 16-bit WAV, 128 kbit/s MP3, 48 kHz 24-bit stereo WAV).
# Prints audio-seconds converted per wall-clock second (the tools run in turn, best of RUNS,
# default 9; ringside also on one thread), peak RSS, ringside's
# start-up time, its peak RSS on a 60-minute input, and each tool's quality-gate figures:
# level error at 3.4 kHz, rejection of a 4.1 kHz tone, SINAD of 1 kHz at -6 dBFS; and a batch
# of 40 ten-second MP3s (`convert --out-dir` against sox run one per core). Wall times on a
# shared machine depend on its load, printed first: compare runs taken at similar loads.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in sox ffmpeg python3 bc; do
  command -v "$t" >/dev/null || { echo "compare-transcode: $t is not installed" >&2; exit 1; }
done
# RINGSIDE_BENCH_PROFILE=dev builds the workspace crates at opt-level 3 on top of the dev
# profile's already-optimised dependencies: much quicker than a cold release build.
if [ "${RINGSIDE_BENCH_PROFILE:-release}" = dev ]; then
  CARGO_PROFILE_DEV_OPT_LEVEL=3 cargo build -q -p ringside -p ringside-benches --bins
  bin="$PWD/target/debug"
  build="dev profile, workspace crates at opt-level 3"
else
  cargo build --release -q -p ringside -p ringside-benches --bins
  bin="$PWD/target/release"
  build="release profile"
fi
RS="$bin/ringside"
GATE="$bin/gate"
work=$(mktemp -d /tmp/ringside-compare.XXXXXX)
trap 'rm -rf "$work"' EXIT

# run_measure RUNS CMD...: best wall time in seconds of RUNS runs, and peak RSS in KiB from one
# more run under GNU time (a small process, so its own pages do not hide the tool's).
run_measure() {
  python3 - "$@" <<'PY'
import os, subprocess, sys, tempfile, time
runs = int(sys.argv[1]); cmd = sys.argv[2:]
best = float("inf")
for _ in range(runs):
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    best = min(best, time.perf_counter() - t)
rss = 0
if os.path.exists("/usr/bin/time"):
    with tempfile.NamedTemporaryFile("r") as f:
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f.name] + cmd, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rss = int(f.read().split()[-1])
print(f"{best:.6f} {rss}")
PY
}

# race RUNS CMD1 -- CMD2 -- ...: runs the commands in turn, RUNS rounds, and prints each one's
# best wall time in seconds on one line. Interleaved, a burst of load on a shared machine hits
# every command alike, so their ratios stay meaningful when the absolute times do not.
race() {
  python3 - "$@" <<'PY'
import subprocess, sys, time
runs = int(sys.argv[1]); cmds = [[]]
for a in sys.argv[2:]:
    if a == "--": cmds.append([])
    else: cmds[-1].append(a)
best = [float("inf")] * len(cmds)
for _ in range(runs):
    for i, cmd in enumerate(cmds):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best[i] = min(best[i], time.perf_counter() - t)
print(" ".join(f"{b:.6f}" for b in best))
PY
}

convert() { # convert TOOL IN OUT
  case "$1" in
    ringside) "$RS" convert --max-bytes 10000000000 --max-seconds 100000 "$2" "$3" >/dev/null ;;
    sox) sox "$2" -c 1 -b 16 "$3" rate -h 8000 ;;
    ffmpeg) ffmpeg -loglevel error -y -i "$2" -ac 1 -ar 8000 -c:a pcm_s16le "$3" ;;
  esac
}

echo "ringside build: $build"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "Making 60 s inputs in $work ..."
sox -n -r 44100 -c 2 -b 16 "$work/cd.wav" synth 60 sine 200-3800 sine 300-3000 gain -8
ffmpeg -loglevel error -y -i "$work/cd.wav" -codec:a libmp3lame -b:a 128k "$work/cd.mp3"
sox -n -r 48000 -c 2 -b 24 "$work/studio.wav" synth 60 sine 200-3800 sine 300-3000 gain -8

printf '\n%-22s %-22s %10s %14s %12s\n' tool input ms audio-s/s peak-RSS
tool_cmd() { # tool_cmd TOOL IN OUT: sets the array `cmd`
  case "$1" in
    ringside) cmd=("$RS" convert --max-bytes 10000000000 --max-seconds 100000 "$2" "$3") ;;
    "ringside --threads 1") cmd=("$RS" convert --threads 1 --max-bytes 10000000000 --max-seconds 100000 "$2" "$3") ;;
    sox) cmd=(sox "$2" -c 1 -b 16 "$3" rate -h 8000) ;;
    ffmpeg) cmd=(ffmpeg -loglevel error -y -i "$2" -ac 1 -ar 8000 -c:a pcm_s16le "$3") ;;
  esac
}
TOOLS=(ringside "ringside --threads 1" sox ffmpeg)
for input in cd.wav cd.mp3 studio.wav; do
  # Wall times from one interleaved race (best of RUNS, default 9); RSS from a run of each.
  args=()
  for tool in "${TOOLS[@]}"; do
    tool_cmd "$tool" "$work/$input" "$work/out-${tool// /}.wav"
    args+=("${cmd[@]}" --)
  done
  read -r -a best < <(race "${RUNS:-9}" "${args[@]:0:${#args[@]}-1}")
  for i in "${!TOOLS[@]}"; do
    tool=${TOOLS[$i]}
    tool_cmd "$tool" "$work/$input" "$work/out-${tool// /}.wav"
    read -r _ rss < <(run_measure 0 "${cmd[@]}")
    secs=${best[$i]}
    printf '%-22s %-22s %10.1f %14.0f %9.1f MB\n' "$tool" "$input" "$(echo "$secs * 1000" | bc -l)" \
      "$(echo "60 / $secs" | bc -l)" \
      "$(echo "$rss / 1024" | bc -l)"
  done
  printf '%-22s %-22s %10.2fx\n' "ringside vs sox" "$input" "$(echo "${best[2]} / ${best[0]}" | bc -l)"
done

echo
# Batch: 40 ten-second MP3s, `convert --out-dir` (every core) against sox run two at a time
# (this machine's core count, or BATCH_JOBS), interleaved, best of RUNS each.
jobs=${BATCH_JOBS:-$(nproc)}
mkdir -p "$work/batch" "$work/batch-rs" "$work/batch-sox"
for i in $(seq -w 1 40); do
  ffmpeg -loglevel error -y -ss "$(( (10#$i - 1) % 5 * 10 ))" -t 10 -i "$work/cd.mp3" \
    -codec:a libmp3lame -b:a 128k "$work/batch/prompt-$i.mp3"
done
cat > "$work/sox-batch.sh" <<SH
#!/bin/sh
ls "$work/batch"/*.mp3 | xargs -P "$jobs" -I{} sh -c 'sox "\$1" -c 1 -b 16 "$work/batch-sox/\$(basename "\$1" .mp3).wav" rate -h 8000' _ {}
SH
chmod +x "$work/sox-batch.sh"
read -r rs_batch sox_batch < <(race "${RUNS:-9}" sh -c "\"$RS\" convert --out-dir \"$work/batch-rs\" \"$work\"/batch/*.mp3" -- "$work/sox-batch.sh")
printf 'batch of 40 ten-second MP3s: ringside --out-dir %.1f ms, sox (%s at a time) %.1f ms: %.2fx\n' \
  "$(echo "$rs_batch * 1000" | bc -l)" "$jobs" "$(echo "$sox_batch * 1000" | bc -l)" \
  "$(echo "$sox_batch / $rs_batch" | bc -l)"

echo
# Peak RSS needs GNU time (Debian package `time`); without it the column shows 0.
# Start-up: the whole run for a 0.1 s µ-law prompt.
head -c 800 /dev/zero | tr '\0' '\377' > "$work/tiny.ulaw"
read -r secs _ < <(run_measure 20 "$RS" convert "$work/tiny.ulaw" "$work/tiny.wav")
read -r bare _ < <(run_measure 20 /bin/true)
printf 'ringside start-up (convert a 0.1 s prompt, best of 20): %.2f ms (spawning /bin/true: %.2f ms)\n' \
  "$(echo "$secs * 1000" | bc -l)" "$(echo "$bare * 1000" | bc -l)"

# Peak RSS on 60 minutes of 44.1 kHz stereo (a sparse WAV of silence: no disk needed).
python3 - "$work/hour.wav" <<'PY'
import struct, sys
frames = 44100 * 3600
with open(sys.argv[1], "wb") as f:
    f.write(b"RIFF" + struct.pack("<I", 36 + frames * 4) + b"WAVEfmt " +
            struct.pack("<IHHIIHH", 16, 1, 2, 44100, 44100 * 4, 4, 16) +
            b"data" + struct.pack("<I", frames * 4))
    f.truncate(44 + frames * 4)
PY
read -r secs rss < <(run_measure 1 "$RS" convert --max-bytes 10000000000 --max-seconds 100000 "$work/hour.wav" "$work/hour-out.wav")
printf 'ringside on a 60-minute 44.1 kHz stereo WAV: %.1f s, peak RSS %.1f MB\n' "$secs" "$(echo "$rss / 1024" | bc -l)"
rm -f "$work/hour.wav" "$work/hour-out.wav"
ffmpeg -loglevel error -y -stream_loop 59 -i "$work/cd.mp3" -c copy "$work/hour.mp3"
read -r secs rss < <(run_measure 1 "$RS" convert --max-bytes 10000000000 --max-seconds 100000 "$work/hour.mp3" "$work/hour-out.wav")
printf 'ringside on a 60-minute 128 kbit/s MP3: %.1f s, peak RSS %.1f MB\n' "$secs" "$(echo "$rss / 1024" | bc -l)"
rm -f "$work/hour.mp3" "$work/hour-out.wav"

echo
echo "Quality gate (targets: |3.4 kHz error| <= 0.1 dB, 4.1 kHz rejection >= 80 dB, SINAD >= 90 dB)"
sox -n -r 44100 -c 1 -b 24 "$work/g3400.wav" synth 3 sine 3400 gain -6.0206
sox -n -r 44100 -c 1 -b 24 "$work/g4100.wav" synth 3 sine 4100 gain -6.0206
sox -n -r 44100 -c 2 -b 16 "$work/g1k-44.wav" synth 3 sine 1000 gain -6.0206
sox -n -r 48000 -c 1 -b 24 "$work/g1k-48.wav" synth 3 sine 1000 gain -6.0206
printf '%-10s %16s %18s %18s %18s\n' tool "3.4k error dB" "4.1k rejection dB" "SINAD 44.1k/16" "SINAD 48k/24"
for tool in ringside sox ffmpeg; do
  for g in g3400 g4100 g1k-44 g1k-48; do convert "$tool" "$work/$g.wav" "$work/$tool-$g.wav"; done
  pass=$("$GATE" level "$work/$tool-g3400.wav" 3400)
  stop=$("$GATE" rms "$work/$tool-g4100.wav")
  s44=$("$GATE" sinad "$work/$tool-g1k-44.wav" 1000)
  s48=$("$GATE" sinad "$work/$tool-g1k-48.wav" 1000)
  reject=$(echo "-6.0206 - ($stop)" | bc -l)
  # A digitally silent output measures as -inf; say so instead of printing a huge number.
  if (( $(echo "$reject > 200" | bc -l) )); then reject_txt="silent (>92)"; else reject_txt=$(printf '%.1f' "$reject"); fi
  printf '%-10s %16.3f %18s %18.1f %18.1f\n' "$tool" "$(echo "$pass + 6.0206" | bc -l)" \
    "$reject_txt" "$s44" "$s48"
done
