#!/bin/sh
# Side-by-side fax conversion throughput, in pages per second:
#   PDF -> fax TIFF:  ringside fax-convert  vs  gs -sDEVICE=tiffg4 -r204x196  (10-page PDF)
#   G3 TIFF -> PDF:   ringside fax-convert  vs  tiff2pdf                       (50-page fax
#                     made of the real received G3 2-D fixture repeated with tiffcp)
# Needs: hyperfine, ghostscript, libtiff-tools. Builds the `dist` binary (release, stripped)
# first.
# RUNS=n sets the number of timed runs per command (default 10).
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

run() { # name pages command...
  name=$1; pages=$2; shift 2
  hyperfine -N --warmup 2 --runs "${RUNS:-10}" --export-json "$WORK/$name.json" "$*" >/dev/null
  mean=$(python3 -c "import json,sys;print(json.load(open(sys.argv[1]))['results'][0]['mean'])" "$WORK/$name.json")
  python3 -c "import sys;m=float(sys.argv[1]);p=int(sys.argv[2]);print(f'{sys.argv[3]:<34} {m*1000:9.1f} ms  {p/m:8.1f} pages/s')" "$mean" "$pages" "$name"
  echo "$mean" > "$WORK/$name.mean"
}

echo "PDF -> fax TIFF, $PDF_PAGES pages ($(nproc) cores)"
run ringside-pdf-to-tiff $PDF_PAGES "$RINGSIDE fax-convert $PDF $WORK/r.tif"
run gs-tiffg4 $PDF_PAGES "gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sOutputFile=$WORK/g.tif $PDF"
echo "G3 2-D fax TIFF -> PDF, $TIF_PAGES pages"
run ringside-tiff-to-pdf $TIF_PAGES "$RINGSIDE fax-convert $WORK/received-50p.tif $WORK/r.pdf"
run tiff2pdf $TIF_PAGES "tiff2pdf -o $WORK/t.pdf $WORK/received-50p.tif"

python3 - "$WORK" <<'EOF'
import sys
w = sys.argv[1]
m = lambda n: float(open(f"{w}/{n}.mean").read())
print(f"speed-up PDF->TIFF vs gs:       {m('gs-tiffg4') / m('ringside-pdf-to-tiff'):.2f}x (target 1.5x)")
print(f"speed-up TIFF->PDF vs tiff2pdf: {m('tiff2pdf') / m('ringside-tiff-to-pdf'):.2f}x (target 10x)")
EOF
