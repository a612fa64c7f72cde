#!/usr/bin/python3
"""WGAN-GP on the 8-Gaussian ring in PyTorch, exactly as GanDsl defines the training (issue 8, item 9).

Run with Debian's interpreter and python3-torch (1.13.1):

    /usr/bin/python3 tests/reference/training/wgan_gp_ring.py --seeds 0-4 --iterations 2000 --threads 1 \
        --out tests/reference/training/pytorch_wgan_gp_ring.json

Every definition below is GanDsl's (commit 1810f8a), cited in README.md next to this script:

  data       ToyDatasets2D.cs GaussianMixture2D.Ring: 8 centres (2 cos 2pi k/8, 2 sin 2pi k/8), each
             sample picks a centre uniformly and independently, plus N(0, 0.02^2) per coordinate;
             a fresh batch of 256 for every critic step and every generator step (Trainer.RunStep).
  models     MlpFamily.cs "mlp": Linear(in,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU-Linear(512,out),
             PyTorch default init, G built before D from the global generator seeded with the seed;
             noise z ~ N(0, I_2), a fresh batch for every step.
  loss       WganGp.cs + its generated step: critic  mean D(G(z)) - mean D(x) + lambda * mean((||grad_xhat D(xhat)||_2 - 1)^2),
             xhat = eps x + (1 - eps) G(z), one eps ~ U[0,1) per sample, G(z) under no_grad, one backward;
             generator  -mean D(G(z)) with D's parameters frozen.
  loop       Trainer.cs: per iteration 5 critic steps then 1 generator step; before every step both
             optimizers' gradients are dropped (set to None); critic steps update D only, the generator step G only.
  optimizer  torch.optim.Adam(lr 1e-4, betas (0.5, 0.9), eps 1e-8), one per network (GanDsl.Optim.Adam is this rule).
  metrics    Metrics2D.Modes: a sample is high quality when its Euclidean distance to the nearest centre
             is <= 3 * 0.02; a mode is covered when it has >= max(1, 0.1 * N / 8) high-quality samples.

Random streams: torch.manual_seed(seed) draws the initial weights (as GanDsl's Torch.ManualSeed);
noise, eps and evaluation noise come from torch.Generator objects seeded with GanDsl's
Xoshiro256.DeriveSeed(seed, stream) for the trainer's stream numbers (noise 2, loss 3, final samples 5).
By default the real batches are drawn with numpy from the same distribution, not GanDsl's
xoshiro256** stream (so runs are not sample-for-sample identical with GanDsl's; the comparison is over
seeds). --data-stream gandsl draws GanDsl's own stream instead (pure Python, slower); with it and
--trace N the first N iterations' losses can be compared step by step with a GanDsl run of the same
seed and thread count (gan train ... --log-every 1, metrics.csv).

Output (--out, rewritten after every seed so a partial run keeps its finished seeds): JSON with
"config", "environment", "runs" (one object per seed: hq_fraction, modes_covered, hq_per_mode, ...)
and "summary" (mean and standard deviation over the finished seeds). A comparison reads
runs[i].seed, runs[i].hq_fraction and runs[i].modes_covered.
"""
import argparse
import json
import math
import os
import platform
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

MASK64 = (1 << 64) - 1
# Trainer.cs: stream numbers for Xoshiro256.DeriveSeed(seed, stream).
DATA_STREAM, NOISE_STREAM, LOSS_STREAM, FINAL_NOISE_STREAM = 1, 2, 3, 5

RING_MODES, RING_RADIUS, RING_STD = 8, 2.0, 0.02
HIDDEN, NOISE_DIM = 512, 2


def splitmix64(x):
    """One SplitMix64 step (Xoshiro256.SplitMix64): returns (new state, output)."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return x, z ^ (z >> 31)


def derive_seed(seed, stream):
    """Xoshiro256.DeriveSeed: an independent sub-stream seed from a base seed and a stream number."""
    x = (seed ^ ((stream * 0xD1B54A32D192ED03) & MASK64)) & MASK64
    x, _ = splitmix64(x)
    _, out = splitmix64(x)
    return out


def ring_centres():
    k = np.arange(RING_MODES, dtype=np.float64)
    angle = 2 * math.pi * k / RING_MODES
    return np.stack([RING_RADIUS * np.cos(angle), RING_RADIUS * np.sin(angle)], axis=1)


class Xoshiro256:
    """GanDsl's Xoshiro256 (xoshiro256** seeded by SplitMix64) with NextDouble, NextInt and NextGaussian."""

    def __init__(self, seed):
        x = seed
        self.s = []
        for _ in range(4):
            x, out = splitmix64(x)
            self.s.append(out)

    def next_u64(self):
        s0, s1, s2, s3 = self.s
        result = (((((s1 * 5) & MASK64) << 7 | ((s1 * 5) & MASK64) >> 57) & MASK64) * 9) & MASK64
        t = (s1 << 17) & MASK64
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = ((s3 << 45) | (s3 >> 19)) & MASK64
        self.s = [s0, s1, s2, s3]
        return result

    def next_double(self):
        return (self.next_u64() >> 11) * (1.0 / 9007199254740992.0)

    def next_int(self, bound):
        threshold = ((1 << 64) - bound) % bound
        while True:
            r = self.next_u64()
            if r >= threshold:
                return r % bound

    def next_gaussian(self):
        while True:
            u = 2.0 * self.next_double() - 1.0
            v = 2.0 * self.next_double() - 1.0
            s = u * u + v * v
            if s >= 1.0 or s == 0.0:
                continue
            return u * math.sqrt(-2.0 * math.log(s) / s)  # GanDsl: DeterministicMath.Log (a few ulp from math.log)


class ExactRingSampler:
    """GanDsl's own sample stream (StreamSampler over GaussianMixture2D.Ring): slow, for step-level checks."""

    def __init__(self, seed, batch):
        self.rng = Xoshiro256(derive_seed(seed, DATA_STREAM))
        self.centres = ring_centres()
        self.batch = batch

    def next(self):
        out = np.empty((self.batch, 2), dtype=np.float32)
        for i in range(self.batch):
            cx, cy = self.centres[self.rng.next_int(RING_MODES)]
            out[i, 0] = cx + RING_STD * self.rng.next_gaussian()
            out[i, 1] = cy + RING_STD * self.rng.next_gaussian()
        return torch.from_numpy(out)


class RingSampler:
    """GaussianMixture2D.Ring as a stream: uniform centre per sample, N(0, std^2) per coordinate, float32."""

    def __init__(self, seed, batch):
        self.rng = np.random.default_rng(derive_seed(seed, DATA_STREAM))
        self.centres = ring_centres()
        self.batch = batch

    def next(self):
        idx = self.rng.integers(0, RING_MODES, size=self.batch)
        points = self.centres[idx] + RING_STD * self.rng.standard_normal((self.batch, 2))
        return torch.from_numpy(points.astype(np.float32))


def mlp(inputs, outputs):
    """MlpFamily.Trunk: Linear(in,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU-Linear(512,out)."""
    return nn.Sequential(
        nn.Linear(inputs, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
        nn.Linear(HIDDEN, outputs))


def modes_metrics(samples, std_multiple=3.0, coverage_fraction=0.1):
    """Metrics2D.Modes: nearest-centre distances, high-quality fraction, covered modes."""
    pts = samples.astype(np.float64)
    centres = ring_centres()
    d2 = ((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)  # first minimum, as the C# loop's strict '<'
    dist = np.sqrt(d2[np.arange(len(pts)), nearest])
    dist = np.where(np.isnan(dist), np.inf, dist)  # a NaN sample is never high quality
    hq = dist <= std_multiple * RING_STD
    per_mode = np.bincount(nearest[hq], minlength=RING_MODES)
    n = len(pts)
    threshold = max(1.0, coverage_fraction * n / RING_MODES)
    return {
        "hq_fraction": float(hq.mean()),
        "modes_covered": int((per_mode >= threshold).sum()),
        "coverage_threshold": threshold,
        # The rule issue 8 quotes (>= 20 high-quality samples per 2,500 samples), scaled to n.
        "modes_covered_20_per_2500": int((per_mode >= 20 * n / 2500).sum()),
        "hq_per_mode": [int(c) for c in per_mode],
        "mean_distance_to_nearest_mode": float(dist.mean()),
    }


def train_one(seed, args):
    torch.manual_seed(seed)
    G = mlp(NOISE_DIM, 2)   # built first, as LossInfo.Networks lists G before D
    D = mlp(2, 1)
    opt_d = torch.optim.Adam(D.parameters(), lr=args.lr, betas=(args.beta1, args.beta2), eps=1e-8)
    opt_g = torch.optim.Adam(G.parameters(), lr=args.lr, betas=(args.beta1, args.beta2), eps=1e-8)
    noise_gen = torch.Generator().manual_seed(derive_seed(seed, NOISE_STREAM))
    loss_gen = torch.Generator().manual_seed(derive_seed(seed, LOSS_STREAM))
    sampler = (ExactRingSampler if args.data_stream == "gandsl" else RingSampler)(seed, args.batch)
    lam = args.lam
    trace = []

    def zero_all():
        opt_d.zero_grad(set_to_none=True)
        opt_g.zero_grad(set_to_none=True)

    start = time.perf_counter()
    d_loss = g_loss = gp_value = float("nan")
    for _ in range(args.iterations):
        for _ in range(args.critic_steps):
            real = sampler.next()
            z = torch.randn(args.batch, NOISE_DIM, generator=noise_gen)
            zero_all()
            with torch.no_grad():
                fake = G(z)
            d_fake = D(fake).squeeze(1).mean()
            d_real = D(real).squeeze(1).mean()
            eps = torch.rand(args.batch, generator=loss_gen).reshape(args.batch, 1)
            xhat = (eps * real + (1.0 - eps) * fake).detach().requires_grad_(True)
            grad = torch.autograd.grad(D(xhat).squeeze(1).sum(), xhat, create_graph=True)[0]
            norm = torch.linalg.vector_norm(grad.flatten(1), 2, dim=1)
            gp = F.mse_loss(norm, torch.ones_like(norm))
            loss = d_fake - d_real + lam * gp
            loss.backward()
            opt_d.step()
        d_loss, gp_value = loss.item(), gp.item()

        sampler.next()  # the trainer draws a real batch for the generator step too (unused by this loss)
        z = torch.randn(args.batch, NOISE_DIM, generator=noise_gen)
        zero_all()
        for p in D.parameters():
            p.requires_grad_(False)
        loss_g = -D(G(z)).squeeze(1).mean()
        loss_g.backward()
        for p in D.parameters():
            p.requires_grad_(True)
        opt_g.step()
        g_loss = loss_g.item()
        if len(trace) < args.trace:
            trace.append([d_loss, gp_value, g_loss])
        if not (math.isfinite(d_loss) and math.isfinite(g_loss)):
            break
    seconds = time.perf_counter() - start

    G.eval()
    eval_gen = torch.Generator().manual_seed(derive_seed(seed, FINAL_NOISE_STREAM))
    with torch.no_grad():
        samples = G(torch.randn(args.eval_samples, NOISE_DIM, generator=eval_gen)).numpy()
    run = {"seed": seed}
    run.update(modes_metrics(samples, coverage_fraction=args.coverage_fraction))
    run.update({
        "final_d_loss": d_loss, "final_gp": gp_value, "final_g_loss": g_loss,
        "train_seconds": round(seconds, 2),
        "iterations_per_second": round(args.iterations / seconds, 3),
    })
    if trace:
        run["trace_d_loss_gp_g_loss"] = trace
    return run


def parse_seeds(text):
    seeds = []
    for part in text.split(","):
        if "-" in part:
            lo, hi = part.split("-")
            seeds.extend(range(int(lo), int(hi) + 1))
        else:
            seeds.append(int(part))
    return seeds


def summarise(runs):
    out = {"seeds": len(runs)}
    for key in ("hq_fraction", "modes_covered", "modes_covered_20_per_2500", "mean_distance_to_nearest_mode", "train_seconds"):
        values = [r[key] for r in runs]
        out[key] = {"mean": statistics.fmean(values),
                    "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                    "min": min(values), "max": max(values)}
    return out


def merge(paths, out):
    """Seeds trained in separate processes (e.g. in parallel) into one file, runs sorted by seed."""
    parts = [json.load(open(path)) for path in paths]
    result = parts[0]
    for other in parts[1:]:
        shared = (set(result["config"]) & set(other["config"])) - {"seeds"}
        mine = {k: result["config"][k] for k in shared}
        theirs = {k: other["config"][k] for k in shared}
        if mine != theirs:
            raise SystemExit(f"cannot merge: configs differ: {mine} vs {theirs}")
        result["runs"].extend(other["runs"])
    result["runs"].sort(key=lambda r: r["seed"])
    result["config"]["seeds"] = [r["seed"] for r in result["runs"]]
    result["summary"] = summarise(result["runs"])
    text = json.dumps(result, indent=1) + "\n"
    if out:
        with open(out, "w") as f:
            f.write(text)
    else:
        print(text, end="")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,3,7 (default 0-4)")
    p.add_argument("--iterations", type=int, default=2000, help="generator iterations (default 2000)")
    p.add_argument("--threads", type=int, default=1, help="torch.set_num_threads (default 1)")
    p.add_argument("--out", help="JSON file to write (rewritten after each seed); stdout if omitted")
    p.add_argument("--lambda", dest="lam", type=float, default=0.1, help="penalty weight (default 0.1, the paper's toy setting)")
    p.add_argument("--critic-steps", type=int, default=5)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--beta1", type=float, default=0.5)
    p.add_argument("--beta2", type=float, default=0.9)
    p.add_argument("--eval-samples", type=int, default=2500, help="generated samples the metrics use (default 2500)")
    p.add_argument("--coverage-fraction", type=float, default=0.1, help="Metrics2D's coverageFraction (default 0.1)")
    p.add_argument("--data-stream", choices=["numpy", "gandsl"], default="numpy",
                   help="real batches from numpy (default, fast) or from GanDsl's own xoshiro256** stream (exact, slow)")
    p.add_argument("--trace", type=int, default=0, help="record d_loss, gp, g_loss of the first N iterations")
    p.add_argument("--merge", nargs="+", metavar="JSON",
                   help="instead of training: combine the runs of these output files (same config but seeds) into --out")
    args = p.parse_args()
    if args.merge:
        merge(args.merge, args.out)
        return
    torch.set_num_threads(args.threads)

    config = {k: v for k, v in vars(args).items() if k != "out"}
    config["seeds"] = parse_seeds(args.seeds)
    config["lambda"] = config.pop("lam")
    result = {
        "description": "WGAN-GP, 8-Gaussian ring (radius 2, std 0.02), mlp, GanDsl's training loop, in PyTorch",
        "script": "tests/reference/training/wgan_gp_ring.py",
        "config": config,
        "environment": {"torch": torch.__version__, "numpy": np.__version__, "python": platform.python_version(),
                        "threads": torch.get_num_threads(), "machine": platform.machine()},
        "runs": [],
    }
    for seed in config["seeds"]:
        run = train_one(seed, args)
        result["runs"].append(run)
        result["summary"] = summarise(result["runs"])
        print(f"seed {seed}: hq {run['hq_fraction']:.3f}, modes {run['modes_covered']}/8 "
              f"(>=20/2500: {run['modes_covered_20_per_2500']}), {run['train_seconds']} s", flush=True)
        if args.out:
            tmp = args.out + ".tmp"
            with open(tmp, "w") as f:
                json.dump(result, f, indent=1)
                f.write("\n")
            os.replace(tmp, args.out)
    if not args.out:
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
