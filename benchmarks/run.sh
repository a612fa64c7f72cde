#!/usr/bin/env bash
# Runs the GanDsl binding benchmarks and their PyTorch counterparts (Debian's /usr/bin/python3,
# same libtorch) with the same thread count, one after the other, and prints them side by
# side in microseconds per iteration (median of 7 rounds).
#
# Per-op overhead = time of a 1-element add minus libtorch's own cost of that add (the same
# loop run inside the native library: "libtorch floor"), for the binding and for Python.
#
#   benchmarks/run.sh [THREADS]     (default 2)
set -euo pipefail
threads="${1:-2}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

dotnet build -c Release benchmarks/GanDsl.Benchmarks/GanDsl.Benchmarks.csproj -nologo -v:q >/dev/null
ours=$(dotnet benchmarks/GanDsl.Benchmarks/bin/Release/net10.0/GanDsl.Benchmarks.dll --threads "$threads")
theirs=$(/usr/bin/python3 benchmarks/pytorch_bench.py --threads "$threads")

value() { awk -v name="$2" '$2 == name { print $3 }' <<<"$1"; }

echo "$ours" | grep '^#' | sed 's/^# /# gandsl: /'
echo "$theirs" | grep '^#' | sed 's/^# /# pytorch: /'
printf '%-30s %12s %12s %8s\n' benchmark gandsl_us pytorch_us ratio
for name in add_1elem linear_fwd_256x512_b256 linear_fwd_bwd_256x512_b256; do
  awk -v n="$name" -v a="$(value "$ours" "$name")" -v b="$(value "$theirs" "$name")" \
    'BEGIN { printf "%-30s %12.3f %12.3f %8.2f\n", n, a, b, a / b }'
done
floor=$(value "$ours" add_1elem_libtorch_floor)
awk -v f="$floor" -v a="$(value "$ours" add_1elem)" -v b="$(value "$theirs" add_1elem)" 'BEGIN {
  printf "%-30s %12.3f\n", "add_1elem_libtorch_floor", f
  printf "%-30s %12.3f %12.3f %8.2f\n", "add_1elem_overhead", a - f, b - f, (a - f) / (b - f) }'
