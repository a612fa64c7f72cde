#!/usr/bin/env bash
# Runs the GanDsl binding benchmarks and their PyTorch counterparts (Debian's /usr/bin/python3,
# same libtorch) with the same thread count and prints them side by side, in microseconds per
# iteration. Each program reports its fastest of 7 timed rounds; the two programs run
# alternately RUNS times and the fastest of those is kept, so a burst of load from other
# processes on a shared machine does not decide the comparison.
#
# Per-op overhead = time of a 1-element add minus libtorch's own cost of that add (the same
# loop run inside the native library: "libtorch floor"), for the binding and for Python.
#
#   benchmarks/run.sh [THREADS] [RUNS]     (defaults 2 and 3)
set -euo pipefail
threads="${1:-2}"
runs="${2:-3}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

dotnet build -c Release benchmarks/GanDsl.Benchmarks/GanDsl.Benchmarks.csproj -nologo -v:q -clp:ErrorsOnly >&2
ours="" theirs=""
for ((r = 0; r < runs; r++)); do
  ours+=$(dotnet benchmarks/GanDsl.Benchmarks/bin/Release/net10.0/GanDsl.Benchmarks.dll --threads "$threads")$'\n'
  theirs+=$(/usr/bin/python3 benchmarks/pytorch_bench.py --threads "$threads")$'\n'
done

# Fastest value of a benchmark over all runs.
value() { awk -v name="$2" '$2 == name && (best == "" || $3 < best) { best = $3 } END { print best }' <<<"$1"; }

echo "$ours" | grep '^#' | sort -u | sed 's/^# /# gandsl: /'
echo "$theirs" | grep '^#' | sort -u | sed 's/^# /# pytorch: /'
printf '%-30s %12s %12s %8s\n' benchmark gandsl_us pytorch_us ratio
for name in add_1elem linear_fwd_256x512_b256 linear_fwd_bwd_256x512_b256; do
  awk -v n="$name" -v a="$(value "$ours" "$name")" -v b="$(value "$theirs" "$name")" \
    'BEGIN { printf "%-30s %12.3f %12.3f %8.2f\n", n, a, b, a / b }'
done
floor=$(value "$ours" add_1elem_libtorch_floor)
awk -v f="$floor" -v a="$(value "$ours" add_1elem)" -v b="$(value "$theirs" add_1elem)" 'BEGIN {
  printf "%-30s %12.3f\n", "add_1elem_libtorch_floor", f
  printf "%-30s %12.3f %12.3f %8.2f\n", "add_1elem_overhead", a - f, b - f, (a - f) / (b - f) }'
