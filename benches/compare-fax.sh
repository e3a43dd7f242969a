#!/bin/sh
# Side-by-side fax conversion throughput, in pages per second:
#   PDF -> fax TIFF:  ringside fax-convert  vs  gs -sDEVICE=tiffg4 -r204x196  (10-page PDF)
#   G3 TIFF -> PDF:   ringside fax-convert  vs  tiff2pdf                       (50-page fax
#                     made of the real received G3 2-D fixture repeated with tiffcp)
# Needs: hyperfine, ghostscript, libtiff-tools. Builds the `dist` binary (release, stripped)
# first.
# OVERWRITE=1 times writing over the previous run's output (see `run`).
# RUNS=n sets the number of timed runs per command (default 10). Means and medians are both
# shown: a run that meets the file system's periodic writeback takes 10-20 ms longer, for
# either tool, and the median is the figure such stalls do not move.
set -eu
cd "$(dirname "$0")/.."

# RINGSIDE may point at an already built binary; by default the dist build is used.
if [ -z "${RINGSIDE:-}" ]; then
  cargo build --profile dist -q -p ringside --bin ringside
  RINGSIDE=target/dist/ringside
fi
FIX=media-fixtures/fax
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export RUST_LOG=warn

PDF=$FIX/mixed-10p.pdf
PDF_PAGES=10
RECEIVED=$FIX/received-fax-spandsp-g3-2d-fine-2p.tif
set --
for _ in $(seq 25); do set -- "$@" "$RECEIVED"; done
tiffcp "$@" "$WORK/received-50p.tif"
TIF_PAGES=50

run() { # name pages output command...
  name=$1; pages=$2; out=$3; shift 3
  # Each run writes a new file, as converting a received fax does. OVERWRITE=1 keeps the
  # previous run's output instead; replacing a file costs either tool an ext4 writeback
  # (tiff2pdf truncates it, ringside renames over it) of about half a millisecond.
  if [ "${OVERWRITE:-0}" = 1 ]; then prepare=true; else prepare="rm -f $out"; fi
  hyperfine -N --warmup 2 --runs "${RUNS:-10}" --prepare "$prepare" \
    --export-json "$WORK/$name.json" "$*" >/dev/null
  python3 - "$WORK/$name.json" "$pages" "$name" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
pages, name = int(sys.argv[2]), sys.argv[3]
print(f"{name:<22} mean {r['mean']*1000:7.1f} ms {pages/r['mean']:8.1f} pages/s"
      f"   median {r['median']*1000:7.1f} ms {pages/r['median']:8.1f} pages/s")
EOF
}

echo "PDF -> fax TIFF, $PDF_PAGES pages ($(nproc) cores)"
run ringside-pdf-to-tiff $PDF_PAGES "$WORK/r.tif" "$RINGSIDE fax-convert $PDF $WORK/r.tif"
run gs-tiffg4 $PDF_PAGES "$WORK/g.tif" "gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sOutputFile=$WORK/g.tif $PDF"
echo "G3 2-D fax TIFF -> PDF, $TIF_PAGES pages"
run ringside-tiff-to-pdf $TIF_PAGES "$WORK/r.pdf" "$RINGSIDE fax-convert $WORK/received-50p.tif $WORK/r.pdf"
run tiff2pdf $TIF_PAGES "$WORK/t.pdf" "tiff2pdf -o $WORK/t.pdf $WORK/received-50p.tif"

python3 - "$WORK" <<'EOF'
import json, sys
w = sys.argv[1]
r = lambda n: json.load(open(f"{w}/{n}.json"))["results"][0]
for label, ours, theirs, target in [
    ("PDF->TIFF vs gs:      ", "ringside-pdf-to-tiff", "gs-tiffg4", 1.5),
    ("TIFF->PDF vs tiff2pdf:", "ringside-tiff-to-pdf", "tiff2pdf", 10),
]:
    a, b = r(ours), r(theirs)
    print(f"speed-up {label} {b['mean'] / a['mean']:.2f}x by mean, "
          f"{b['median'] / a['median']:.2f}x by median (target {target}x)")
EOF
