#!/usr/bin/env bash
# Where the time of one training iteration goes (issue 12 item 5), for PyTorch 1.13 (Debian's python3-torch,
# OpenBLAS), the hand-written TorchSharp loop (benchmarks/HandWritten) and GanDsl's trainer
# (benchmarks/GanDsl.Benchmarks), on the four workloads of benchmarks/run.sh; then the sgemm 256x512x512 rate
# of both libraries. Run as root (perf), from anywhere:
#
#   benchmarks/profile.sh [--threads "1"] [--workload A,B] [--impl pytorch,handwritten,gandsl]
#                         [--iterations N] [--warmup N] [--freq HZ] [--detail N] [--keep DIR]
#
# Each (workload, implementation, threads) is one process under
#   perf record -e cpu-clock -F 999 --call-graph dwarf,8192 --delay=-1 --control fifo:CTL,ACK
# that samples only the timed iterations: the programs write "enable" to perf's control fifo before the first
# timed iteration and "disable" after the last (GANDSL_PERF_CTL / GANDSL_PERF_ACK; warm-up, start-up, JIT of
# the first iterations and teardown are not sampled). Iterations: the programs' defaults (as run.sh) unless
# --iterations/--warmup. JIT'd code is named through perf maps: oneDNN's (ONEDNN_JIT_PROFILE=2) and .NET's
# (DOTNET_PerfMapEnabled=3, with DOTNET_EnableWriteXorExecute=0 so JIT'd code is anonymous memory perf
# looks up in the map). benchmarks/profile_classify.py sorts the samples (every thread of the process, self
# time) into GEMM/conv kernels, other tensor kernels, framework overhead, OpenMP runtime, kernel (OS) work and
# unresolved; its docstring has the rules. --detail N prints the N heaviest functions of each category.
# Prints one markdown table (shares of the process's CPU samples; "ms/iter" is the median iteration under
# perf) and the sgemm table. OMP_WAIT_POLICY=PASSIVE, as run.sh.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python=/usr/bin/python3
export OMP_WAIT_POLICY=PASSIVE

threads_list="1" workloads="ring_mlp_ns,ring_mlp_wgangp,fmnist_dcgan28_ns,fmnist_dcgan28_wgangp"
impls="pytorch,handwritten,gandsl" freq=999 detail=0 keep="" extra=()
while (($#)); do
  case "$1" in
    --threads) threads_list="$2"; shift 2 ;;
    --workload) workloads="$2"; shift 2 ;;
    --impl) impls="$2"; shift 2 ;;
    --iterations|--warmup) extra+=("$1" "$2"); shift 2 ;;
    --freq) freq="$2"; shift 2 ;;
    --detail) detail="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    *) echo "unknown argument '$1' (see the top of $0)" >&2; exit 2 ;;
  esac
done
command -v perf >/dev/null || { echo "perf is not installed (Debian: linux-perf)" >&2; exit 1; }

dotnet build -c Release benchmarks/HandWritten/HandWritten.csproj -nologo -v:q -clp:ErrorsOnly >&2
dotnet build -c Release benchmarks/GanDsl.Benchmarks/GanDsl.Benchmarks.csproj -nologo -v:q -clp:ErrorsOnly >&2

work="${keep:-$(mktemp -d /tmp/gandsl-profile.XXXXXX)}"
mkdir -p "$work"
[[ -n "$keep" ]] || trap 'rm -rf "$work"' EXIT

command_of() {
  case "$1" in
    pytorch) echo "$python benchmarks/pytorch_bench.py" ;;
    handwritten) echo "dotnet benchmarks/HandWritten/bin/Release/net10.0/HandWritten.dll" ;;
    gandsl) echo "dotnet benchmarks/GanDsl.Benchmarks/bin/Release/net10.0/GanDsl.Benchmarks.dll" ;;
    *) echo "unknown implementation '$1'" >&2; exit 2 ;;
  esac
}

# One process under perf; prints the classifier's JSON line with the program's median ms added.
profile_one() {
  local impl="$1" workload="$2" threads="$3" dir="$work/$1.$2.t$3"
  rm -rf "$dir"; mkdir -p "$dir/dotnet-map"
  mkfifo "$dir/ctl" "$dir/ack"
  touch "$dir/start"
  # shellcheck disable=SC2046
  GANDSL_PERF_CTL="$dir/ctl" GANDSL_PERF_ACK="$dir/ack" \
  ONEDNN_JIT_PROFILE=2 DNNL_JIT_PROFILE=2 \
  DOTNET_PerfMapEnabled=3 DOTNET_PerfMapJitDumpPath="$dir/dotnet-map" DOTNET_EnableWriteXorExecute=0 \
    perf record -q -e cpu-clock -F "$freq" --call-graph dwarf,8192 --delay=-1 --control "fifo:$dir/ctl,$dir/ack" \
      -o "$dir/perf.data" -- $(command_of "$impl") --threads "$threads" --workload "$workload" "${extra[@]}" \
      >"$dir/out.txt" 2>"$dir/err.txt" || { cat "$dir/err.txt" >&2; echo "profiling $impl $workload failed" >&2; return 1; }
  local pid map
  pid="$(perf script -i "$dir/perf.data" -F pid 2>/dev/null | head -1 | tr -d ' ')"
  # perf reads /tmp/perf-PID.map: oneDNN writes its kernels there; .NET's map (written aside) is appended.
  map="/tmp/perf-$pid.map"
  [[ -f "$map" && ! "$map" -nt "$dir/start" ]] && rm -f "$map"   # a stale map of an earlier process with this pid
  for f in "$dir"/dotnet-map/perf-*.map; do [[ -f "$f" ]] && cat "$f" >>"$map"; done
  perf script -i "$dir/perf.data" -F comm,tid,ip,sym,dso --no-inline 2>/dev/null \
    | "$python" benchmarks/profile_classify.py --workload "$workload" --impl "$impl" --threads "$threads" --detail "$detail" \
    | "$python" -c 'import json, sys
line = json.loads(sys.stdin.read())
for l in open(sys.argv[1]):
    if l.startswith("{"):
        line["median_ms"] = json.loads(l)["median_ms"]
print(json.dumps(line))' "$dir/out.txt"
  [[ -f "$map" ]] && { cp "$map" "$dir/perf-$pid.map"; rm -f "$map"; }
  [[ -n "$keep" ]] || rm -f "$dir/perf.data"
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load before:$(uptime | sed 's/.*load average://')" >&2
lines=""
IFS=, read -r -a workload_array <<<"$workloads"
IFS=, read -r -a impl_array <<<"$impls"
for t in $threads_list; do
  for w in "${workload_array[@]}"; do
    for i in "${impl_array[@]}"; do
      echo "# profiling $w $i threads=$t" >&2
      lines+=$(profile_one "$i" "$w" "$t")$'\n'
    done
  done
done
sgemm=""
for t in $threads_list; do
  sgemm+=$($python benchmarks/pytorch_bench.py --threads "$t" --workload sgemm_256x512x512)$'\n'
  sgemm+=$(dotnet benchmarks/HandWritten/bin/Release/net10.0/HandWritten.dll --threads "$t" --workload sgemm_256x512x512)$'\n'
done
echo "# load after:$(uptime | sed 's/.*load average://')" >&2
[[ -n "$keep" ]] && printf '%s' "$lines" >"$work/profile.jsonl"

{ printf '%s' "$lines"; printf '%s' "$sgemm"; } | grep '^{' | "$python" -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
names = {"pytorch": "PyTorch 1.13", "handwritten": "hand-written TorchSharp", "gandsl": "GanDsl"}
cols = ["gemm_conv", "other_ops", "framework", "jit_compiler", "omp", "os", "unresolved"]
print("| workload | threads | implementation | ms/iter under perf | samples | GEMM/conv % | other ops % | framework % | .NET JIT compiler % | OpenMP % | OS % | unresolved % | GEMM/conv ms/iter (1 thread) |")
print("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
for r in (r for r in rows if "samples" in r):
    ms = r.get("median_ms")
    gemm_ms = "%.1f" % (ms * r["gemm_conv"] / 100) if ms is not None and r["threads"] == 1 else ""
    shares = " | ".join("%.1f" % r[c] for c in cols)
    print("| %s | %d | %s | %.1f | %d | %s | %s |" % (r["workload"], r["threads"], names.get(r["impl"], r["impl"]), ms, r["samples"], shares, gemm_ms))
sg = {(r["impl"], r["threads"]): r["gflops"] for r in rows if r.get("workload") == "sgemm_256x512x512"}
print()
print("| sgemm 256x512x512 float32 | threads | PyTorch 1.13, OpenBLAS (GFLOP/s) | TorchSharp, libtorch 2.10 MKL (GFLOP/s) | MKL / OpenBLAS |")
print("|---|--:|--:|--:|--:|")
for t in sorted({k[1] for k in sg}):
    p, h = sg.get(("pytorch", t)), sg.get(("handwritten", t))
    print("| sgemm | %d | %s | %s | %s |" % (t, p, h, "%.2f" % (h / p) if p and h else ""))
'
