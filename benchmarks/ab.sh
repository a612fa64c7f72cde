#!/usr/bin/env bash
# Interleaved A/B of GanDsl's training iterations between a base commit and this working tree: both run this tree's
# benchmarks/GanDsl.Benchmarks/Program.cs (copied into the base, so it must compile against the base's API), the
# same workloads, alternately, at one thread count. Prints every run's median ms per iteration and, per workload,
# the median over the runs of each side and their ratio (base / this tree: above 1 means this tree is faster).
#
#   benchmarks/ab.sh BASE_COMMIT [--workload A,B] [--runs R] [--threads T]
#
# Example (issue 19 item 4, the per-step host copy of the real batch):
#   benchmarks/ab.sh 704a78d --workload ring_mlp_ns,ring_mlp_wgangp,fmnist_dcgan28_ns,fmnist_dcgan28_wgangp --runs 5 --threads 1
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
base_commit="${1:?usage: benchmarks/ab.sh BASE_COMMIT [--workload A,B] [--runs R] [--threads T]}"
shift
workloads="ring_mlp_ns,fmnist_dcgan28_ns" runs=5 threads=1
while (($#)); do
  case "$1" in
    --workload) workloads="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --threads) threads="$2"; shift 2 ;;
    *) echo "unknown argument '$1' (see the top of $0)" >&2; exit 2 ;;
  esac
done
export OMP_WAIT_POLICY=PASSIVE
base="$(mktemp -d /tmp/gandsl-ab-base.XXXXXX)"
trap 'rm -rf "$base"' EXIT
git -C "$repo" archive "$base_commit" | tar -x -C "$base"
cp "$repo/benchmarks/GanDsl.Benchmarks/Program.cs" "$base/benchmarks/GanDsl.Benchmarks/Program.cs"
for tree in "$base" "$repo"; do
  dotnet build -c Release "$tree/benchmarks/GanDsl.Benchmarks/GanDsl.Benchmarks.csproj" -nologo -v:q -clp:ErrorsOnly >&2
done
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $threads thread(s), base $(git -C "$repo" rev-parse --short "$base_commit"), this tree $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet || echo '+changes'), load before:$(uptime | sed 's/.*load average://')"
lines=""
for ((r = 0; r < runs; r++)); do
  for side in base this; do
    tree="$base"; [[ "$side" == this ]] && tree="$repo"
    out=$(dotnet "$tree/benchmarks/GanDsl.Benchmarks/bin/Release/net10.0/GanDsl.Benchmarks.dll" --threads "$threads" --workload "$workloads")
    lines+=$(sed "s/^{/{\"side\":\"$side\",/" <<<"$out" | grep '^{')$'\n'
  done
done
echo "# load after:$(uptime | sed 's/.*load average://')"
printf '%s' "$lines" | /usr/bin/python3 -c '
import json, statistics, sys
rows = [json.loads(l) for l in sys.stdin if l.strip()]
print("| workload | base runs (ms) | this tree runs (ms) | base median | this median | base / this |")
print("|---|---|---|--:|--:|--:|")
for w in dict.fromkeys(r["workload"] for r in rows):
    a = [r["median_ms"] for r in rows if r["workload"] == w and r["side"] == "base"]
    b = [r["median_ms"] for r in rows if r["workload"] == w and r["side"] == "this"]
    ma, mb = statistics.median(a), statistics.median(b)
    ra, rb = (", ".join("%.2f" % v for v in runs) for runs in (a, b))
    print(f"| {w} | {ra} | {rb} | {ma:.2f} | {mb:.2f} | {ma / mb:.3f} |")
'
