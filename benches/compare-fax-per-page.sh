#!/usr/bin/env bash
# Fax conversion per page, as the daemon runs it (in process, no process start-up), against
# the marginal time per page of tiff2pdf and ghostscript: their 50-page time minus their
# 1-page time, over 49 pages, so their start-up does not count either.
#   received G3 2-D TIFF -> PDF:  criterion `fax_per_page/received_g3_tiff_to_pdf`  vs  tiff2pdf
#   PDF -> fax TIFF (G4, fine):   criterion `fax_per_page/pdf_to_fax_tiff` (two page workers on
#                                 two cores) and `pdf_to_fax_tiff_one_thread`  vs  gs -sDEVICE=tiffg4,
#                                 which renders on one thread; `gs2` is the same with two rendering
#                                 threads over bands (GS_BAND_HEIGHT rows, default 200), for reference
# The rendering comparison is also made in turn with ghostscript (see `interleaved`), which
# holds up on a machine whose speed drifts while the script runs.
# Inputs: the received 2-page fixture repeated to 50 pages (tiffcp), and the 10-page test PDF
# repeated to 50 pages (ghostscript's pdfwrite); the 1-page inputs are their first pages.
# Needs: ghostscript, libtiff-tools, python3. RUNS=n timed runs per tool command (default 15,
# median taken). RINGSIDE_BENCH_PROFILE=dev benches the dev profile with the workspace at
# opt-level 3 (quicker to build than release), but that profile keeps debug assertions and
# overflow checks, which slow the PDF renderer several-fold: use it to try the script only.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in gs tiffcp tiff2pdf python3; do
  command -v "$t" >/dev/null || { echo "compare-fax-per-page: $t is not installed" >&2; exit 1; }
done
FIX=media-fixtures/fax
work=$(mktemp -d /tmp/ringside-fax-pages.XXXXXX)
trap 'rm -rf "$work"' EXIT
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"

RECEIVED=$FIX/received-fax-spandsp-g3-2d-fine-2p.tif
set --
for _ in $(seq 25); do set -- "$@" "$RECEIVED"; done
tiffcp "$@" "$work/fax-50p.tif"
tiffcp "$RECEIVED,0" "$work/fax-1p.tif"
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -sOutputFile="$work/doc-50p.pdf" \
  $FIX/mixed-10p.pdf $FIX/mixed-10p.pdf $FIX/mixed-10p.pdf $FIX/mixed-10p.pdf $FIX/mixed-10p.pdf
gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfwrite -dFirstPage=1 -dLastPage=1 \
  -sOutputFile="$work/doc-1p.pdf" $FIX/mixed-10p.pdf

# marginal NAME CMD-WITH-{IN}-AND-{OUT}: median wall time of the 1-page and 50-page runs
# (each run writes a new file) and the difference per page, in milliseconds.
marginal() {
  python3 - "$work" "${RUNS:-15}" "$@" <<'PY'
import os, statistics, subprocess, sys, time
work, runs, name, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
template = sys.argv[5:]
def median_ms(inp):
    out = os.path.join(work, f"{name}-out")
    times = []
    for _ in range(runs):
        if os.path.exists(out):
            os.remove(out)
        cmd = [a.replace("{IN}", inp).replace("{OUT}", out) for a in template]
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000
one = median_ms(os.path.join(work, f"{kind}-1p." + ("tif" if kind == "fax" else "pdf")))
fifty = median_ms(os.path.join(work, f"{kind}-50p." + ("tif" if kind == "fax" else "pdf")))
per_page = (fifty - one) / 49
print(f"{name:<10} 1 page {one:8.2f} ms   50 pages {fifty:8.2f} ms   marginal {per_page:.4f} ms/page")
with open(os.path.join(work, f"{name}.ms"), "w") as f:
    f.write(f"{per_page}\n")
PY
}
marginal tiff2pdf fax tiff2pdf -o "{OUT}" "{IN}"
marginal gs doc gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 -sOutputFile="{OUT}" "{IN}"
marginal gs2 doc gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=tiffg4 -r204x196 \
  -dNumRenderingThreads=2 -dMaxBitmap=0 -dBandHeight="${GS_BAND_HEIGHT:-200}" -sOutputFile="{OUT}" "{IN}"

# Rendering measured in turn: each round runs ghostscript on the 1-page and the 50-page PDF
# and has a long-lived Ringside process (`fax_render_loop`, in process as the daemon converts)
# convert the 50-page PDF once, in a rotating order, so a machine that speeds up or slows down
# during the measurement moves both tools alike. Medians over INTERLEAVED_RUNS rounds
# (default 21).
interleaved() {
  python3 - "$work" "${INTERLEAVED_RUNS:-21}" "$1" <<'PY'
import os, statistics, subprocess, sys, time
work, runs, loop = sys.argv[1], int(sys.argv[2]), sys.argv[3]
doc = lambda pages: os.path.join(work, f"doc-{pages}.pdf")
ringside = subprocess.Popen([loop, doc("50p"), os.path.join(work, "inter-ringside.tif")],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
def ringside_per_page():
    ringside.stdin.write("go\n")
    ringside.stdin.flush()
    return float(ringside.stdout.readline())
def gs(pages):
    out = os.path.join(work, f"inter-gs-{pages}.tif")
    if os.path.exists(out):
        os.remove(out)
    t = time.perf_counter()
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER", "-sDEVICE=tiffg4",
                    "-r204x196", f"-sOutputFile={out}", doc(pages)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return (time.perf_counter() - t) * 1000
ringside_per_page()  # warm-up, as a daemon that has converted before
steps = [("gs1", lambda: gs("1p")), ("gs50", lambda: gs("50p")), ("ringside", ringside_per_page)]
times = {name: [] for name, _ in steps}
for r in range(runs):
    for k in range(len(steps)):
        name, step = steps[(r + k) % len(steps)]
        times[name].append(step())
ringside.stdin.close()
ringside.wait()
gs_marginal = (statistics.median(times["gs50"]) - statistics.median(times["gs1"])) / 49
ours = statistics.median(times["ringside"])
print(f"PDF -> fax TIFF, in turn ({runs} rounds): ringside {ours:.4f} ms/page in process "
      f"(min {min(times['ringside']):.4f}), gs {gs_marginal:.4f} ms/page marginal: "
      f"{gs_marginal / ours:.2f}x (goal 2x)")
PY
}

if [ "${RINGSIDE_BENCH_PROFILE:-release}" = dev ]; then
  profile=(--profile dev)
  export CARGO_PROFILE_DEV_OPT_LEVEL=3
else
  profile=()
fi
RINGSIDE_BENCH_FAX_TIFF="$work/fax-50p.tif" RINGSIDE_BENCH_FAX_PDF="$work/doc-50p.pdf" \
  cargo bench -q "${profile[@]}" -p ringside-benches --bench fax -- fax_per_page \
  >"$work/criterion.txt" 2>&1 || { cat "$work/criterion.txt" >&2; exit 1; }

if [ "${RINGSIDE_BENCH_PROFILE:-release}" = dev ]; then
  cargo build -q --profile dev -p ringside-benches --bin fax_render_loop
  interleaved target/debug/fax_render_loop
else
  cargo build -q --release -p ringside-benches --bin fax_render_loop
  interleaved target/release/fax_render_loop
fi

python3 - "$work" target/criterion/fax_per_page <<'PY'
import json, os, sys
work, crit = sys.argv[1], sys.argv[2]
def ours(name):
    with open(os.path.join(crit, name, "new", "estimates.json")) as f:
        return json.load(f)["mean"]["point_estimate"] / 1e6 / 50
def theirs(name):
    with open(os.path.join(work, f"{name}.ms")) as f:
        return float(f.read())
for label, mine, tool, goal in [
    ("G3 TIFF -> PDF  vs tiff2pdf         ", "received_g3_tiff_to_pdf", "tiff2pdf", 20),
    ("PDF -> fax TIFF vs gs               ", "pdf_to_fax_tiff", "gs", 2),
    ("PDF -> fax TIFF, one thread vs gs   ", "pdf_to_fax_tiff_one_thread", "gs", 2),
    ("PDF -> fax TIFF vs gs, 2 band threads", "pdf_to_fax_tiff", "gs2", 2),
]:
    a, b = ours(mine), theirs(tool)
    print(f"{label}: ringside {a:.4f} ms/page in process, {tool} {b:.4f} ms/page marginal: "
          f"{b / a:.2f}x (goal {goal}x)")
PY
