#!/usr/bin/env bash
# Training iterations side by side: PyTorch 1.13 from Python (Debian's python3-torch, OpenBLAS) and the
# same training written by hand in TorchSharp 0.107 (libtorch 2.10, MKL), benchmarks/HandWritten, at
# each thread count, with OMP_WAIT_POLICY=PASSIVE for every program. PyTorch runs at its best: with
# OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from its environment (a machine-wide
# OPENBLAS_CORETYPE=Haswell forces an older kernel), so OpenBLAS picks its own kernel for this CPU (the
# table records which: openblas_get_corename), and a second time with GanDsl's malloc setting
# (GLIBC_TUNABLES, the same as src/Runtime/Engine/Libtorch.cs sets in-process). Prints a markdown table: median ms per full
# iteration (every critic step and the generator step) and speed-ups (a time ratio "A / B" above 1: B is
# faster), GanDsl with and without shared forward passes, plus sgemm 256x512x512 GFLOP/s.
#
#   benchmarks/run.sh [--threads "1 2"] [--runs R] [--workload A,B] [--iterations N] [--warmup N] [--raw FILE]
#   benchmarks/run.sh --micro [THREADS] [RUNS]     per-call cost of the binding: a 1-element add and a Linear layer (GanDsl.Benchmarks --micro vs PyTorch)
#
# --runs R runs the programs alternately R times per thread count and keeps each workload's fastest
# median (a burst of load on a shared machine then does not decide the comparison). --raw FILE keeps
# every JSON line. Workloads and their sizes: benchmarks/pytorch_bench.py (docstring) and docs/benchmarks.md.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE

# ------------------------------------------------------------------ GanDsl
# GanDsl's training iterations go through its own Trainer (generated loss code, the loop, the finiteness guard,
# torch.optim): benchmarks/GanDsl.Benchmarks --workload. sgemm is measured by the hand-written program only.
run_gandsl() {
  dotnet benchmarks/GanDsl.Benchmarks/bin/Release/net10.0/GanDsl.Benchmarks.dll --threads "$1" --workload "$2" "${@:3}"
}

build_all() {
  dotnet build -c Release benchmarks/HandWritten/HandWritten.csproj -nologo -v:q -clp:ErrorsOnly >&2
  dotnet build -c Release benchmarks/GanDsl.Benchmarks/GanDsl.Benchmarks.csproj -nologo -v:q -clp:ErrorsOnly >&2
}
# ------------------------------------------------------------------

run_handwritten() { dotnet benchmarks/HandWritten/bin/Release/net10.0/HandWritten.dll --threads "$1" --workload "$2" "${@:3}"; }
# PyTorch at its best: OpenBLAS's own kernel choice (the machine's OPENBLAS_* overrides removed for this command only).
# PYTORCH_OPENBLAS_CORETYPE=NAME gives PyTorch that kernel instead, where OpenBLAS does not know the CPU (the table
# records the kernel either way: "Prescott", OpenBLAS's generic SSE3 fallback, means it did not recognise it).
run_pytorch() {
  env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE ${PYTORCH_OPENBLAS_CORETYPE:+OPENBLAS_CORETYPE=$PYTORCH_OPENBLAS_CORETYPE} \
    "$python" benchmarks/pytorch_bench.py --threads "$1" --workload "$2" "${@:3}"
}
# ... and with GanDsl's malloc setting (glibc keeps freed blocks up to 32 MiB, never trims), as a second column.
gandsl_malloc="glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=2147483647"
run_pytorch_malloc() { GLIBC_TUNABLES="$gandsl_malloc" run_pytorch "$@" | sed 's/"impl": "pytorch"/"impl": "pytorch_malloc"/'; }

micro() {
  local threads="${1:-2}" runs="${2:-3}" ours="" theirs=""
  dotnet build -c Release benchmarks/GanDsl.Benchmarks/GanDsl.Benchmarks.csproj -nologo -v:q -clp:ErrorsOnly >&2
  for ((r = 0; r < runs; r++)); do
    ours+=$(dotnet benchmarks/GanDsl.Benchmarks/bin/Release/net10.0/GanDsl.Benchmarks.dll --micro --threads "$threads")$'\n'
    theirs+=$("$python" benchmarks/pytorch_bench.py --micro --threads "$threads")$'\n'
  done
  value() { awk -v name="$2" '$2 == name && (best == "" || $3 < best) { best = $3 } END { print best }' <<<"$1"; }
  printf '%-30s %12s %12s %8s\n' benchmark gandsl_us pytorch_us ratio
  for name in add_1elem linear_fwd_256x512_b256 linear_fwd_bwd_256x512_b256; do
    awk -v n="$name" -v a="$(value "$ours" "$name")" -v b="$(value "$theirs" "$name")" \
      'BEGIN { printf "%-30s %12.3f %12.3f %8.2f\n", n, a, b, a / b }'
  done
}

if [[ "${1:-}" == "--micro" ]]; then
  shift
  micro "$@"
  exit 0
fi

threads_list="1 2" runs=1 workloads="ring_mlp_ns,ring_mlp_wgangp,fmnist_dcgan28_ns,fmnist_dcgan28_wgangp,sgemm_256x512x512"
raw="" extra=()
while (($#)); do
  case "$1" in
    --threads) threads_list="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --workload) workloads="$2"; shift 2 ;;
    --iterations|--warmup) extra+=("$1" "$2"); shift 2 ;;
    --raw) raw="$2"; shift 2 ;;
    *) echo "unknown argument '$1' (see the top of $0)" >&2; exit 2 ;;
  esac
done

build_all
lines=""
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load before:$(uptime | sed 's/.*load average://')" >&2
for t in $threads_list; do
  for ((r = 0; r < runs; r++)); do
    lines+=$(run_pytorch "$t" "$workloads" "${extra[@]}")$'\n'
    lines+=$(run_pytorch_malloc "$t" "$workloads" "${extra[@]}")$'\n'
    lines+=$(run_handwritten "$t" "$workloads" "${extra[@]}")$'\n'
    lines+=$(run_gandsl "$t" "$workloads" "${extra[@]}")$'\n'
    lines+=$(run_gandsl "$t" "$workloads" "${extra[@]}" --separate-forward-passes)$'\n'
  done
done
load_after="$(uptime | sed 's/.*load average://')"
[[ -n "$raw" ]] && printf '%s' "$lines" | grep '^{' >"$raw"

printf '%s' "$lines" | grep '^{' | "$python" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
best = {}
for r in rows:   # fastest median per (impl, workload, threads) over the runs
    key = (r["impl"], r["workload"], r["threads"])
    if key not in best or r["median_ms"] < best[key]["median_ms"]:
        best[key] = r
versions = sorted({(r["impl"], r["torch"]) for r in rows if "torch" in r})
for impl, v in versions:
    print(f"<!-- {impl}: {v} -->")
for core in sorted({r.get("blas_core", "") for r in rows if r["impl"].startswith("pytorch")}):
    name = core or "unknown"
    print(f"<!-- PyTorch, OpenBLAS kernel (openblas_get_corename): {name} -->")
gandsl = any(k[0] == "gandsl" for k in best)
workloads = list(dict.fromkeys(r["workload"] for r in rows))
threads = sorted({r["threads"] for r in rows})
head = "| workload | threads | PyTorch 1.13 (ms) | PyTorch, GanDsl malloc setting (ms) | hand-written TorchSharp (ms) | PyTorch / hand-written |"
rule = "|---|--:|--:|--:|--:|--:|"
separate = any(k[0] == "gandsl_separate" for k in best)
if gandsl:
    head += " GanDsl (ms) | hand-written / GanDsl | PyTorch / GanDsl |"
    rule += "--:|--:|--:|"
if separate:
    head += " GanDsl, separate passes (ms) | separate / shared |"
    rule += "--:|--:|"
print(head); print(rule)
def cell(impl, w, t, key="median_ms"):
    r = best.get((impl, w, t))
    return None if r is None or key not in r else r[key]
def fmt(v, digits=1):
    return "" if v is None else f"{v:.{digits}f}"
def ratio(a, b):
    return "" if a is None or b is None else f"{a / b:.2f}"
for w in workloads:
    for t in threads:
        p, pm, h, g, s = (cell(i, w, t) for i in ("pytorch", "pytorch_malloc", "handwritten", "gandsl", "gandsl_separate"))
        digits = 3 if w.startswith("sgemm") else 1
        plain = p
        p = min((v for v in (p, pm) if v is not None), default=None)   # PyTorch at its best of the two columns
        line = f"| {w} | {t} | {fmt(plain, digits)} | {fmt(pm, digits)} | {fmt(h, digits)} | {ratio(p, h)} |"
        if gandsl:
            line += f" {fmt(g, digits)} | {ratio(h, g)} | {ratio(p, g)} |"
        if separate:
            line += f" {fmt(s, digits)} | {ratio(s, g)} |"
        print(line)
sg = [(t, cell("pytorch", "sgemm_256x512x512", t, "gflops"), cell("handwritten", "sgemm_256x512x512", t, "gflops"),
       cell("gandsl", "sgemm_256x512x512", t, "gflops")) for t in threads]
if any(p or h or g for _, p, h, g in sg):
    print()
    print("| sgemm 256x512x512 | threads | PyTorch 1.13, OpenBLAS (GFLOP/s) | TorchSharp, libtorch 2.10 MKL (GFLOP/s) | in GanDsl process (GFLOP/s) | GanDsl / PyTorch |")
    print("|---|--:|--:|--:|--:|--:|")
    for t, p, h, g in sg:
        print(f"| float32 | {t} | {fmt(p)} | {fmt(h)} | {fmt(g)} | {ratio(g, p)} |")
    for fast in sorted({r.get("mkl_fast_path", "") for r in rows if r["impl"] == "gandsl" and "mkl_fast_path" in r}):
        print(f"<!-- GanDsl MKL fast path: {fast} -->")
'
echo "# load after:$load_after" >&2
