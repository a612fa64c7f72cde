#!/usr/bin/python3
"""Classifies the CPU samples of one `perf record` of a benchmark process (benchmarks/profile.sh).

    perf script -i FILE -F comm,tid,ip,sym,dso --no-inline | profile_classify.py --workload W --impl I [--threads T] [--detail N]

Reads perf script's text (samples with or without call chains) and prints one JSON line: the number of
samples and the share of each category, by the function the sample is in (self time, every thread of the
process; cpu-clock samples only running threads, so a thread asleep in a passive OpenMP wait costs nothing):

  gemm_conv  matrix products and convolution arithmetic: MKL (mkl_blas_*, sgemm), OpenBLAS (every function of
             libopenblas/libblas), oneDNN's convolution/GEMM/inner-product kernels (JIT code named through
             oneDNN's perf map, and its compiled gemm/convolution code), im2col/col2im
  other_ops  every other kernel doing tensor arithmetic or data movement: ATen's at::native kernels (elementwise,
             reductions, batch norm, copies, the TensorIterator loops that run them), SLEEF/libm math, libc
             memcpy/memset, oneDNN reorders (layout copies), eltwise kernels and the bias loops of its (de)convolutions
  framework  everything that is not a kernel: dispatcher, autograd engine and its generated wrappers, TensorIterator
             setup, tensor allocation, views and metadata, oneDNN primitive creation/caching, TorchSharp's native
             shim (libLibTorchSharp) and the .NET runtime, JIT compiler and managed code; the Python interpreter
             and torch's Python bindings; malloc/free
  jit_compiler  .NET's JIT compiler (libclrjit: tiered recompilation, on a background thread, of methods still
             warming up; framework work, listed apart because it is off the iteration's thread)
  omp        the OpenMP runtime (libgomp/libiomp: fork/join, barriers, spinning) and libtorch's parallel_for glue
  os         the Linux kernel working for the process: page faults of fresh allocations, system calls (a sample
             in the kernel's interrupt path counts for the user code the interrupt stopped, when the chain has it)
  unresolved samples in stripped code whose call chain reaches no named function (reported, not guessed)

Samples in a stripped library's internal (unnamed) function, as in Debian's libtorch 1.13, take the category of
the nearest named caller on the call chain (profile.sh records with --call-graph dwarf): a function called by
TensorIterator's loop or a parallel region is a kernel (other_ops), one called by at::native::X is part of that
op (other_ops), one called by the dispatcher or autograd is a wrapper (framework), one called by BLAS is GEMM.
"""
import argparse
import collections
import json
import re
import sys

CATEGORIES = ["gemm_conv", "other_ops", "framework", "jit_compiler", "omp", "os", "unresolved"]

# at::native functions that only make, view or reshape tensors (metadata, no arithmetic): framework.
NATIVE_FRAMEWORK = re.compile(
    r"::(empty\w*|resize\w*|view\w*|_?reshape\w*|as_strided\w*|expand\w*|transpose\w*|t_?|alias\w*|detach\w*|"
    r"squeeze\w*|unsqueeze\w*|permute\w*|select\w*|slice\w*|narrow\w*|contiguous|flatten\w*|unflatten\w*|"
    r"split\w*|chunk\w*|unbind\w*|numpy_T|_unsafe_view|make_per_tensor\w*|new_empty\w*|infer_size\w*|"
    r"check\w*|itensor_view_from_dense|new_with_itensor_mkldnn|mkldnn_to_dense\w*|to|_to_copy_meta|zeros_like|ones_like|empty_like)$")
GEMM_WORDS = re.compile(r"gemm|GEMM|mkl_blas|sgemm|cblas|im2col|col2im|vol2col|col2vol|unfold2d|Unfold2d|"
                        r"slow_conv|conv_fwd|conv_bwd|convolution_fwd|convolution_bwd|_conv_|brgemm|brdgmm|inner_product|matmul|gemv")
DNNL_DATA_WORDS = re.compile(r"reorder|single_blk|direct_copy|transpose|eltwise|pool|batch_normalization|softmax|binary|sum_|concat")


def strip_templates(name):
    """`a::b<x<y>>::c(int) const` -> `a::b::c`: the qualified head of a demangled name."""
    out, depth = [], 0
    for ch in name:
        if ch == "<":
            depth += 1
        elif ch == ">":
            depth = max(0, depth - 1)
        elif depth == 0:
            out.append(ch)
    head = "".join(out)
    paren = head.find("(")
    if paren > 0 and not head.startswith("("):
        head = head[:paren]
    return head.strip()


def is_unknown(sym):
    return sym in ("", "[unknown]") or re.fullmatch(r"(0x)?[0-9a-fA-F]+", sym) is not None


def classify_dnnl(sym):
    """oneDNN code by name (its JIT kernels through the perf map, and its compiled functions)."""
    if DNNL_DATA_WORDS.search(sym) or "bias" in sym:
        return "other_ops"          # layout reorders, eltwise, and the (reference) bias loops of conv/deconv
    if GEMM_WORDS.search(sym) or "conv" in sym:
        return "gemm_conv"
    if sym.startswith(("jit_", "_jit_")) or re.search(r"io::(load|store)_float_value|::ref_", sym):
        return "other_ops"          # other JIT'd kernels (eltwise, pooling, ...), reference kernels' element access
    return "framework"              # primitive creation, hashing, caches, descriptors


def classify_torch(sym):
    """A named function of libtorch/libc10 (either version)."""
    if sym.startswith("mkl_serv") or "mkl_serv_" in sym:
        return "framework"
    if sym.startswith(("mkl_vml", "mkl_vsl")):
        return "other_ops"          # MKL's vector math (sqrt, exp, ...) and random numbers
    if sym.startswith(("mkl_", "MKL_", "SGEMM", "sgemm", "cblas_")) or sym.startswith("mkl"):
        return "gemm_conv"
    if "dnnl" in sym or sym.startswith(("jit_", "_jit_")):
        return classify_dnnl(sym)
    head = strip_templates(sym)
    if "_omp_fn" in sym or head.startswith(("GOMP_", "at::internal::invoke_parallel", "at::parallel_for", "at::internal::_parallel_run")):
        return "omp"
    if head.startswith("c10::function_ref") or head.startswith("std::"):
        # A callback: the kernel loop it wraps is in its template arguments.
        if re.search(r"at::native::|at::vec::|Vectorized", sym):
            return "gemm_conv" if GEMM_WORDS.search(sym) else "other_ops"
        return "framework"
    if re.match(r"at::TensorIteratorBase::(for_each|serial_for_each)|at::internal::serial_for_each|at::native::\w+::?VectorizedLoop", head):
        return "other_ops"
    if head.startswith(("at::native::", "at::vec::")) or "Sleef" in head:
        if GEMM_WORDS.search(head):
            return "gemm_conv"
        if NATIVE_FRAMEWORK.search(head):
            return "framework"
        return "other_ops"
    return "framework"


def classify_frame(sym, dso, process):
    """Category of one frame, or None when the frame is unnamed code whose caller must decide."""
    base = dso.rsplit("/", 1)[-1]
    if dso.startswith("[kernel") or base in ("[vdso]", "[vsyscall]"):
        return "os"
    if "libopenblas" in base or base.startswith(("libblas", "liblapack")):
        return "omp" if "thread" in sym else "gemm_conv"
    if base.startswith(("libgomp", "libiomp", "libomp")):
        return "omp"
    if base.startswith(("libdnnl", "libmkldnn")):
        return "framework" if is_unknown(sym) else classify_dnnl(sym)
    if base.startswith(("libc.so", "libc-")):
        if re.match(r"_*(mem(cpy|move|set)|__mem(cpy|move|set))", sym) or sym.startswith(("__memmove", "__memcpy", "__memset")):
            return "other_ops"
        return "framework"
    if base.startswith(("libm.so", "libm-", "libmvec", "libsleef")):
        return "other_ops"
    if base.startswith(("libtorch", "libc10")) and not base.startswith(("libtorch_python", "libtorchsharp", "libTorchSharp")):
        return None if is_unknown(sym) else classify_torch(sym)
    if dso.startswith(("[JIT]", "/tmp/perf-")) or "perf-" in base and base.endswith(".map") or base.startswith("memfd:") or dso == "[unknown]" or dso.startswith("//anon"):
        # Runtime-generated code: oneDNN's kernels (its perf map) or .NET's JIT'd methods (the runtime's perf map).
        if is_unknown(sym):
            return "framework" if process == "dotnet" else None
        if sym.startswith(("jit_", "_jit_", "brg", "direct_copy")) or "dnnl" in sym:
            return classify_dnnl(sym)
        return "framework"
    if base.startswith("libclrjit"):
        return "jit_compiler"
    # Everything else: libLibTorchSharp, libcoreclr, libclrjit, System.*.so, managed assemblies (ReadyToRun),
    # python3.x, libpython, libtorch_python, extension modules, libstdc++, libgcc, ld.so.
    return "framework"


INTERRUPT = re.compile(r"^asm_(sysvec_|common_interrupt|spurious)|^irq_entries|^asm_sysvec")


def classify_sample(frames, process):
    """frames: [(sym, dso)], leaf first. Returns (category, label for --detail)."""
    # A sample taken in the kernel's interrupt path (a timer or rescheduling interrupt that arrived while the
    # process ran user code; on this VM they show as pvm_irq_enable) belongs to the user code it interrupted.
    # Page faults and system calls stay in `os`: that is work the kernel does for the process.
    if frames[0][1].startswith("[kernel"):
        kernel = [f for f in frames if f[1].startswith("[kernel")]
        user = frames[len(kernel):]
        if user and any(INTERRUPT.match(f[0]) for f in kernel):
            frames = user
    sym, dso = frames[0]
    category = classify_frame(sym, dso, process)
    label = f"{sym} ({dso.rsplit('/', 1)[-1]})"
    if category is not None:
        return category, label
    for caller_sym, caller_dso in frames[1:]:
        caller = classify_frame(caller_sym, caller_dso, process)
        if caller is None:
            continue
        # Unnamed code under a parallel region or the TensorIterator loop is the kernel it runs.
        if caller == "omp":
            caller = "other_ops"
        return caller, f"[unnamed in {dso.rsplit('/', 1)[-1]}] called by {strip_templates(caller_sym)[:80]}"
    return "unresolved", label


def split_frame(text):
    """`ADDR SYM (DSO)` -> (sym, dso); SYM may itself hold parentheses (demangled C++), DSO is the last group."""
    text = text.strip()
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                head, dso = text[:i].strip(), text[i + 1:-1]
                parts = head.split(None, 1)
                if not parts or not re.fullmatch(r"[0-9a-fA-F]+", parts[0]):
                    return None
                return (parts[1] if len(parts) > 1 else "[unknown]"), dso
    return None


def samples(lines):
    """Yields (comm, frames) from perf script output, with or without call chains."""
    header, frames = None, []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if header is not None and frames:
                yield header, frames
            header, frames = None, []
            continue
        if line.startswith((" ", "\t")) and header is not None:
            frame = split_frame(line)
            if frame:
                frames.append(frame)
            continue
        # A header line: "comm tid" (call chains follow) or "comm tid ip sym (dso)" (no call chains).
        if header is not None and frames:
            yield header, frames
        m = re.match(r"^\s*(.*?)\s+\d+\s*(\s[0-9a-fA-F]+\s.*)?$", line)
        header, frames = (m.group(1) if m else line.split()[0]), []
        if m and m.group(2):
            frame = split_frame(m.group(2))
            if frame:
                frames.append(frame)
    if header is not None and frames:
        yield header, frames


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", required=True)
    parser.add_argument("--impl", required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--detail", type=int, default=0, help="also list the N heaviest functions of each category (stderr)")
    args = parser.parse_args()
    counts = collections.Counter()
    labels = collections.defaultdict(collections.Counter)
    total = 0
    for comm, frames in samples(sys.stdin):
        process = "python" if args.impl == "pytorch" else "dotnet"
        category, label = classify_sample(frames, process)
        counts[category] += 1
        labels[category][label] += 1
        total += 1
    line = {"workload": args.workload, "impl": args.impl, "threads": args.threads, "samples": total}
    for c in CATEGORIES:
        line[c] = round(100.0 * counts[c] / total, 2) if total else None
    print(json.dumps(line))
    if args.detail:
        for c in CATEGORIES:
            if not counts[c]:
                continue
            print(f"## {args.impl} {args.workload} {c}: {100.0 * counts[c] / total:.1f}%", file=sys.stderr)
            for label, n in labels[c].most_common(args.detail):
                print(f"   {100.0 * n / total:6.2f}%  {label[:160]}", file=sys.stderr)


if __name__ == "__main__":
    main()
