#!/usr/bin/env bash
# Makes the prompts Ringside ships: speech from espeak-ng, converted by Ringside's own
# `ringside convert` to what Asterisk plays (8 kHz 16-bit mono WAV, peak-normalised). The
# results are committed (dialplan/sounds/ringside/); run this again only to change a prompt.
# The package installs them into Asterisk's sounds as `ringside/<name>`.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v espeak-ng >/dev/null || { echo "make-sounds: espeak-ng is not installed" >&2; exit 1; }
cargo build -q -p ringside --bin ringside
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The default wakeup prompt; its keys are flows::wakeup's SNOOZE_DIGIT and DISMISS_DIGIT.
espeak-ng -v en-us -s 145 -w "$work/wakeup-call.wav" \
  "Good morning. This is your wake-up call. Press 1 to snooze, or 2 if you are awake."
target/debug/ringside convert --normalize "$work/wakeup-call.wav" dialplan/sounds/ringside/wakeup-call.wav
