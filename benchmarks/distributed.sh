#!/usr/bin/env bash
# Data-parallel step time and the all-reduce's share (docs/distributed.md): ring/mlp and Fashion-MNIST/dcgan28, the
# non-saturating loss, one thread per process, 1 process alone and 2 ranks under mpirun, run after run (A/B interleaved).
#
#   benchmarks/distributed.sh [steps (default 200)] [repeats (default 2)]
#
# Prints one line per run: the configuration, seconds per step (the training loop's clock, without start-up), and for
# 2 ranks the seconds in the gradient all-reduce and the scalar all-reduce (per step and as a share of the step).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${1:-200}"
repeats="${2:-2}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dotnet build "$repo/src/Cli" -c Release -v quiet -nologo >/dev/null
gan="$repo/src/Cli/bin/Release/net10.0/gan.dll"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

run() { # model data batch ranks
  local model=$1 data=$2 batch=$3 ranks=$4 out="$work/$1-$4-$RANDOM"
  local args=(train --loss nonsaturating --model "$model" --data "$data" --batch "$batch" --steps "$steps" --threads 1
              --samples 100 --sample-every 0 --checkpoint-every 0 --log-every "$steps" --out "$out")
  if (( ranks == 1 )); then dotnet "$gan" "${args[@]}" >/dev/null 2>&1
  else mpirun -np "$ranks" --oversubscribe --bind-to none dotnet "$gan" "${args[@]}" >/dev/null 2>&1; fi
  python3 - "$out" "$model" "$ranks" "$steps" <<'PY'
import csv, json, os, sys
out, model, ranks, steps = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rows = list(csv.DictReader(open(os.path.join(out, "metrics.csv"))))
seconds = float(rows[-1]["seconds"])
line = f"{model:8s} ranks {ranks}  {1000 * seconds / steps:8.2f} ms/step"
path = os.path.join(out, "distributed.json")
if os.path.exists(path):
    d = json.load(open(path))
    g, s = d["gradientAllReduceSeconds"], d["scalarAllReduceSeconds"]
    line += f"  gradient all-reduce {1000 * g / steps:7.2f} ms/step ({100 * g / seconds:4.1f}%)  scalars {1000 * s / steps:6.2f} ms/step ({100 * s / seconds:4.1f}%)  identical ranks: {d['ranksBitwiseIdentical']}"
print(line, flush=True)
PY
}

echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
for ((r = 0; r < repeats; r++)); do
  run mlp ring 256 1; run mlp ring 256 2
  run dcgan28 fashion-mnist 64 1; run dcgan28 fashion-mnist 64 2
done
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
