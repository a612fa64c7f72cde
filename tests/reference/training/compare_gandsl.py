#!/usr/bin/python3
"""Issue 8, item 9: GanDsl's WGAN-GP ring training against the PyTorch reference of the same training.

Runs `gan train` (the Release build of src/Cli) for each seed with the reference's settings
(wgan-gp, lambda 0.1, 2000 generator iterations, mlp, batch 256, Adam(1e-4, 0.5, 0.9), 5 critic steps,
1 thread), scores each run's final 2,500 samples with the reference script's own metric function
(modes_metrics: high-quality fraction within 3 sigma = 0.06 of the nearest mode, modes covered), and
prints both distributions over seeds side by side, with a permutation test of the difference of means.

  /usr/bin/python3 tests/reference/training/compare_gandsl.py --seeds 0-4 \
      --reference tests/reference/training/pytorch_wgan_gp_ring.json --out tests/reference/training/gandsl_wgan_gp_ring.json
Runs already in --runs-dir (samples.npy present) are scored without training again.
"""
import argparse, itertools, json, os, subprocess, sys, time
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from wgan_gp_ring import modes_metrics, parse_seeds  # the reference's metric, not a copy

REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
GAN = os.environ.get("GANDSL_GAN_DLL", os.path.join(REPO, "src", "Cli", "bin", "Release", "net10.0", "gan.dll"))


def train(seed, args):
    out = os.path.join(args.runs_dir, f"seed{seed}")
    samples = os.path.join(out, "samples.npy")
    if not os.path.exists(samples):
        start = time.time()
        subprocess.run(["dotnet", GAN, "train", "--loss", "wgan-gp", "--data", "ring", "--model", "mlp",
                        "--steps", str(args.iterations), "--set", "Lambda=0.1", "--seed", str(seed),
                        "--threads", str(args.threads), "--samples", "2500", "--sample-every", "0",
                        "--checkpoint-every", "0", "--out", out], check=True, stdout=subprocess.DEVNULL)
        print(f"seed {seed}: trained in {time.time() - start:.0f} s", file=sys.stderr, flush=True)
    return dict(seed=seed, **modes_metrics(np.load(samples)))


def permutation_p(a, b):
    """Two-sided exact permutation test of mean(a) - mean(b)."""
    pooled, n = np.array(a + b, dtype=float), len(a)
    observed = abs(np.mean(a) - np.mean(b))
    count = total = 0
    for idx in itertools.combinations(range(len(pooled)), n):
        mask = np.zeros(len(pooled), bool); mask[list(idx)] = True
        total += 1
        count += abs(pooled[mask].mean() - pooled[~mask].mean()) >= observed - 1e-12
    return count / total


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seeds", default="0-4")
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--runs-dir", default="/tmp/gandsl-wgan-gp-ring")
    p.add_argument("--reference", default=os.path.join(HERE, "pytorch_wgan_gp_ring.json"))
    p.add_argument("--out")
    args = p.parse_args()
    runs = [train(s, args) for s in parse_seeds(args.seeds)]
    result = {"description": "GanDsl (TorchSharp runtime) WGAN-GP ring, same settings as pytorch_wgan_gp_ring.json",
              "command": "tests/reference/training/compare_gandsl.py " + " ".join(sys.argv[1:]), "runs": runs}
    if args.out:
        with open(args.out, "w") as f: json.dump(result, f, indent=1)
    reference = json.load(open(args.reference))["runs"]
    print("| impl | seeds | hq fraction (each) | mean ± std | modes covered, >=20/2500 (each) |")
    print("|---|---|---|---|---|")
    for name, rs in (("PyTorch 1.13", reference), ("GanDsl", runs)):
        hq = [r["hq_fraction"] for r in rs]
        print(f"| {name} | {', '.join(str(r['seed']) for r in rs)} | {', '.join(f'{v:.3f}' for v in hq)} | "
              f"{np.mean(hq):.3f} ± {np.std(hq, ddof=1) if len(hq) > 1 else 0:.3f} | "
              f"{', '.join(str(r['modes_covered_20_per_2500']) for r in rs)} |")
    a, b = [r["hq_fraction"] for r in runs], [r["hq_fraction"] for r in reference]
    if len(a) >= 2 and len(b) >= 2:
        print(f"\npermutation test, difference of mean hq fraction: p = {permutation_p(a, b):.3f}")


if __name__ == "__main__":
    main()
