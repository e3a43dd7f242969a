#!/usr/bin/env bash
# Makes the small audio inputs the transcoding tests read, with sox, ffmpeg and espeak-ng.
# The results are committed (media-fixtures/audio/), so the tests do not need these tools;
# run this again only to refresh them. Every file is a second or two long and tiny.
set -euo pipefail
cd "$(dirname "$0")/audio"
need() { command -v "$1" >/dev/null || { echo "make-fixtures: $1 is not installed" >&2; exit 1; }; }
need sox; need ffmpeg; need espeak-ng

# Speech, the real material prompts are made of, at espeak-ng's native 22.05 kHz.
espeak-ng -w /tmp/ringside-speech.wav "Thank you for calling. Please leave a message after the tone."
sox /tmp/ringside-speech.wav -r 8000 -c 1 -b 16 speech-8k.wav

# GSM 06.10 as Asterisk stores it, and sox's own decode of it as the reference.
sox speech-8k.wav -r 8000 -c 1 speech.gsm
sox speech.gsm -e signed -b 16 speech-gsm-decoded-by-sox.wav

# Headerless G.711 of a 1 kHz tone at -6 dBFS, 1 s.
sox -n -r 8000 -c 1 -e u-law -t ul tone-1k.ulaw synth 1 sine 1000 gain -6
sox -n -r 8000 -c 1 -e a-law -t al tone-1k.alaw synth 1 sine 1000 gain -6

# WAVs holding G.711, and a 24-bit 48 kHz WAVE_FORMAT_EXTENSIBLE stereo file.
sox -n -r 8000 -c 1 -e u-law tone-1k-ulaw.wav synth 1 sine 1000 gain -6
sox -n -r 8000 -c 1 -e a-law tone-1k-alaw.wav synth 1 sine 1000 gain -6
sox -n -r 48000 -c 2 -b 24 -e signed tone-1k-48k-24bit-stereo.wav synth 0.5 sine 1000 gain -6

# Compressed containers: 1 kHz at -6 dBFS, 44.1 kHz stereo.
sox -n -r 44100 -c 2 -b 16 /tmp/ringside-tone.wav synth 1 sine 1000 gain -6
ffmpeg -loglevel error -y -i /tmp/ringside-tone.wav -codec:a libmp3lame -b:a 128k tone-1k-44k-stereo.mp3
ffmpeg -loglevel error -y -i /tmp/ringside-tone.wav -codec:a flac tone-1k-44k-stereo.flac
ffmpeg -loglevel error -y -i /tmp/ringside-tone.wav -codec:a libvorbis -q:a 5 tone-1k-44k-stereo.ogg
# An MP3 with an ID3v2 tag in front, as phones and editors write them.
ffmpeg -loglevel error -y -i /tmp/ringside-tone.wav -codec:a libmp3lame -b:a 64k \
  -metadata title="Greeting" -id3v2_version 3 tone-1k-44k-stereo-id3.mp3

# Music-like MP3s (chords, a warble, pink noise) that lean on the bit reservoir, for decoding
# in chunks: VBR with a Xing/LAME header and an ID3v2 tag; CBR 48 kHz without a Xing header;
# MPEG-2 (22.05 kHz) and MPEG-2.5 (8 kHz) mono at low bit rates. 3 s each.
ffmpeg -loglevel error -y \
  -f lavfi -i "aevalsrc=0.2*sin(2*PI*440*t)+0.15*sin(2*PI*660*t+sin(2*PI*0.5*t))+0.1*sin(2*PI*3000*t)*sin(2*PI*2*t)|0.2*sin(2*PI*550*t)+0.1*sin(2*PI*1760*t):s=48000:d=3" \
  -f lavfi -i "anoisesrc=d=3:c=pink:r=48000:a=0.05:seed=7" \
  -filter_complex "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0" \
  -c:a pcm_s16le /tmp/ringside-music.wav
ffmpeg -loglevel error -y -i /tmp/ringside-music.wav -ar 44100 -codec:a libmp3lame -q:a 6 \
  -metadata title="Hold music" -id3v2_version 3 music-44k-stereo-vbr.mp3
ffmpeg -loglevel error -y -i /tmp/ringside-music.wav -codec:a libmp3lame -b:a 96k -write_xing 0 \
  music-48k-stereo-no-xing.mp3
ffmpeg -loglevel error -y -i /tmp/ringside-music.wav -ac 1 -ar 22050 -codec:a libmp3lame -b:a 32k \
  music-22k-mono-mpeg2.mp3
ffmpeg -loglevel error -y -i /tmp/ringside-music.wav -ac 1 -ar 8000 -codec:a libmp3lame -b:a 16k \
  music-8k-mono-mpeg25.mp3

rm -f /tmp/ringside-speech.wav /tmp/ringside-tone.wav /tmp/ringside-music.wav
du -ch . | tail -n 1
