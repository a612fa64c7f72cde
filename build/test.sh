#!/usr/bin/env bash
# The project's test command: builds everything (libtorch comes with the TorchSharp-cpu NuGet
# package; build/TorchSharp.Loading.targets makes it load on Debian 12) and runs every
# test project of GanDsl.sln. Ends with one line "N passed, N failed, N skipped" summed over
# all test projects, and exits non-zero when anything failed (or did not run).
#
#   build/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Torch]
set -uo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
results="$repo/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

cd "$repo"

# What the tests need from Debian: the Fashion-MNIST IDX files (dataset-fashion-mnist), a font for the
# titles and legends SkiaSharp draws (fonts-dejavu-core; the .NET machine image has it) and Open MPI's
# mpirun (openmpi-bin). Install what is missing when possible; otherwise say what to run (the Fashion-MNIST
# tests then report themselves skipped).
missing=()
[[ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]] || missing+=(dataset-fashion-mnist)
[[ -d /usr/share/fonts/truetype/dejavu ]] || missing+=(fonts-dejavu-core)
# Data-parallel tests (docs/distributed.md) start `mpirun -np 2`: Open MPI's launcher and libmpi.so.40 (libopenmpi3,
# a dependency). They run as root in CI: the tests set OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) for their own mpirun.
command -v mpirun >/dev/null 2>&1 || missing+=(openmpi-bin)
if (( ${#missing[@]} )); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # Wait up to 5 minutes for another apt/dpkg to release its lock instead of failing at once; on failure,
    # show apt's own words (the last lines of its output), not just an exit code.
    apt_log=$(mktemp)
    apt_install() { apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "${missing[@]}" >"$apt_log" 2>&1; }
    if ! apt_install && ! { apt-get -o DPkg::Lock::Timeout=300 update >>"$apt_log" 2>&1 && apt_install; }; then
      echo "test.sh: could not install ${missing[*]}. apt said:" >&2
      tail -n 5 "$apt_log" | sed 's/^/  /' >&2
    fi
    rm -f "$apt_log"
  else
    echo "test.sh: missing ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  fi
fi


dotnet test GanDsl.sln -c Release --logger trx --results-directory "$results" "$@"
status=$?

# Sum the counters of every TRX report (one per test project).
shopt -s nullglob
reports=("$results"/*.trx)
passed=0 failed=0 skipped=0
for report in "${reports[@]}"; do
  counters=$(grep -o '<Counters [^>]*>' "$report" | head -n 1)
  get() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters"; }
  total=$(get total); executed=$(get executed); p=$(get passed); f=$(get failed)
  e=$(get error); t=$(get timeout); a=$(get aborted)
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0} + ${e:-0} + ${t:-0} + ${a:-0}))
  skipped=$((skipped + ${total:-0} - ${executed:-0}))
done

if [[ ${#reports[@]} -eq 0 ]]; then
  echo "no test results were written (the build failed?)" >&2
  status=${status:-1}
  [[ $status -eq 0 ]] && status=1
fi
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  echo "dotnet test exited with status $status (a build error or a test host crash: see above)" >&2
fi
echo "$passed passed, $failed failed, $skipped skipped"
if [[ $failed -gt 0 && $status -eq 0 ]]; then status=1; fi
exit $status
