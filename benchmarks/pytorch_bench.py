#!/usr/bin/python3
"""PyTorch peers of GanDsl's benchmarks. Run with Debian's /usr/bin/python3 (python3-torch 1.13.1).

Training iterations (the default): the same four workloads, architectures, warm-up and timing as
benchmarks/HandWritten (hand-written TorchSharp), one JSON line per workload with the median
milliseconds per full training iteration (every critic step and the generator step):

    /usr/bin/python3 benchmarks/pytorch_bench.py [--threads N] [--workload NAME[,NAME]] [--iterations N] [--warmup N]

  ring_mlp_ns            8-Gaussian ring, GanDsl's `mlp` (4 Linear layers, width 512), batch 256,
                         non-saturating: 1 D step + 1 G step, Adam(2e-4, 0.5, 0.999)
  ring_mlp_wgangp        the same models, WGAN-GP (lambda 0.1): 5 critic steps with the gradient
                         penalty through torch.autograd.grad(create_graph=True), then 1 G step, Adam(1e-4, 0.5, 0.9)
  fmnist_dcgan28_ns      GanDsl's `dcgan28` on random [64,1,28,28] images in [-1,1], batch 64, non-saturating
  fmnist_dcgan28_wgangp  the same, WGAN-GP (lambda 10)
  sgemm_256x512x512      one float32 [256,512]x[512,512] product: median ms and GFLOP/s

Binding micro-benchmarks (the old comparison with GanDsl.Benchmarks; fastest of 7 rounds, microseconds):

    /usr/bin/python3 benchmarks/pytorch_bench.py --micro [--threads N]
"""
import argparse
import json
import math
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- binding micro-benchmarks (--micro)

def measure(iterations, rounds, body):
    for _ in range(iterations):
        body()
    per_round = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(iterations):
            body()
        per_round.append((time.perf_counter() - start) * 1e6 / iterations)
    return min(per_round)


def add_one_element():
    a = torch.ones(1)
    b = torch.ones(1)

    def body():
        c = a + b
        del c
    return body


def linear_data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(256, 256, generator=g)
    w = (torch.randn(512, 256, generator=g) / 16).requires_grad_(True)
    b = torch.zeros(512, requires_grad=True)
    return x, w, b


def linear_forward():
    x, w, b = linear_data()

    def body():
        with torch.no_grad():
            F.linear(x, w, b)
    return body


def linear_forward_backward():
    x, w, b = linear_data()

    def body():
        F.linear(x, w, b).sum().backward()
        w.grad = None
        b.grad = None
    return body


def micro(threads):
    print(f"pytorch add_1elem {measure(200_000, 7, add_one_element()):.3f}")
    print(f"pytorch linear_fwd_256x512_b256 {measure(300, 7, linear_forward()):.3f}")
    print(f"pytorch linear_fwd_bwd_256x512_b256 {measure(150, 7, linear_forward_backward()):.3f}")
    print(f"# threads={torch.get_num_threads()} torch={torch.__version__}")


# ---------------------------------------------------------------- training iterations

WORKLOADS = ["ring_mlp_ns", "ring_mlp_wgangp", "fmnist_dcgan28_ns", "fmnist_dcgan28_wgangp", "sgemm_256x512x512"]
# (warm-up, timed) iterations; the same numbers as benchmarks/HandWritten/Program.cs.
DEFAULTS = {"ring_mlp_ns": (5, 40), "ring_mlp_wgangp": (3, 15), "fmnist_dcgan28_ns": (5, 30),
            "fmnist_dcgan28_wgangp": (3, 12), "sgemm_256x512x512": (50, 300)}


def mlp(inputs, outputs):
    """GanDsl's `mlp`: Linear(in,512)-ReLU-Linear(512,512)-ReLU-Linear(512,512)-ReLU-Linear(512,out)."""
    return nn.Sequential(nn.Linear(inputs, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, outputs))


def dcgan_generator():
    """GanDsl's `dcgan28` generator: z(64) to a 1x28x28 image in [-1, 1]."""
    return nn.Sequential(
        nn.Linear(64, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
        nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())


def dcgan_critic():
    """GanDsl's `dcgan28` critic (no batch norm)."""
    return nn.Sequential(
        nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(128 * 7 * 7, 1))


class Gan:
    def __init__(self, workload):
        torch.manual_seed(0)
        ring = workload.startswith("ring_")
        self.wasserstein = workload.endswith("_wgangp")
        self.G = mlp(2, 2) if ring else dcgan_generator()
        self.D = mlp(2, 1) if ring else dcgan_critic()
        lr, beta2 = (1e-4, 0.9) if self.wasserstein else (2e-4, 0.999)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr, betas=(0.5, beta2))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr, betas=(0.5, beta2))
        self.batch, self.noise_dim = (256, 2) if ring else (64, 64)
        self.eps_shape = (256, 1) if ring else (64, 1, 1, 1)
        self.critic_steps = 5 if self.wasserstein else 1
        self.lam = 0.1 if ring else 10.0
        if ring:
            angles = torch.arange(8, dtype=torch.float32) * (2 * math.pi / 8)
            centres = torch.stack([2 * torch.cos(angles), 2 * torch.sin(angles)], 1)
            self.real_batch = lambda: centres[torch.randint(0, 8, (256,))] + 0.02 * torch.randn(256, 2)
        else:
            self.real_batch = lambda: torch.rand(64, 1, 28, 28) * 2 - 1

    def critic_loss(self, real, fake):
        wasserstein = self.D(fake).mean() - self.D(real).mean()
        eps = torch.rand(self.eps_shape)
        xhat = (eps * real + (1 - eps) * fake).requires_grad_(True)
        grad = torch.autograd.grad(self.D(xhat).sum(), xhat, create_graph=True, retain_graph=True)[0]
        norm = torch.linalg.vector_norm(grad.flatten(1), 2, dim=1)
        return wasserstein + self.lam * (norm - 1).square().mean()

    def discriminator_loss(self, real, fake):
        return F.softplus(-self.D(real)).mean() + F.softplus(self.D(fake)).mean()

    def iteration(self):
        for _ in range(self.critic_steps):
            real = self.real_batch()
            z = torch.randn(self.batch, self.noise_dim)
            self.opt_d.zero_grad()
            with torch.no_grad():
                fake = self.G(z)
            loss = self.critic_loss(real, fake) if self.wasserstein else self.discriminator_loss(real, fake)
            loss.backward()
            self.opt_d.step()

        z = torch.randn(self.batch, self.noise_dim)
        self.opt_g.zero_grad()
        for p in self.D.parameters():   # gradients flow through D to G, none are stored for D
            p.requires_grad_(False)
        score = self.D(self.G(z))
        loss_g = -score.mean() if self.wasserstein else F.softplus(-score).mean()
        loss_g.backward()
        for p in self.D.parameters():
            p.requires_grad_(True)
        self.opt_g.step()


def perf_control(command):
    """benchmarks/profile.sh samples only the timed iterations: it runs `perf record --delay=-1 --control
    fifo:CTL,ACK` and names the fifos in GANDSL_PERF_CTL and GANDSL_PERF_ACK; "enable" is written before
    the first timed iteration and "disable" after the last, each acknowledged by perf. Without them: nothing."""
    ctl, ack = os.environ.get("GANDSL_PERF_CTL"), os.environ.get("GANDSL_PERF_ACK")
    if not ctl:
        return
    with open(ctl, "w") as f:
        f.write(command + "\n")
    if ack:
        with open(ack, "rb") as f:
            f.read(5)


def time_iterations(warmup, timed, body):
    for _ in range(warmup):
        body()
    times = []
    perf_control("enable")
    for _ in range(timed):
        start = time.perf_counter()
        body()
        times.append((time.perf_counter() - start) * 1e3)
    perf_control("disable")
    return times


def run_workload(workload, warmup, timed, threads):
    line = {"impl": "pytorch", "workload": workload, "threads": threads}
    if workload == "sgemm_256x512x512":
        torch.manual_seed(0)
        a, b = torch.randn(256, 512), torch.randn(512, 512)
        ms = statistics.median(time_iterations(warmup, timed, lambda: torch.mm(a, b)))
        line["median_ms"] = round(ms, 4)
        line["gflops"] = round(2.0 * 256 * 512 * 512 / (ms * 1e-3) / 1e9, 2)
    else:
        gan = Gan(workload)
        gan.G.train()
        gan.D.train()
        line["median_ms"] = round(statistics.median(time_iterations(warmup, timed, gan.iteration)), 3)
    line["warmup"], line["iterations"] = warmup, timed
    line["torch"] = "PyTorch " + torch.__version__
    line["blas_core"] = blas_core()
    line["glibc_tunables"] = os.environ.get("GLIBC_TUNABLES", "")
    return line


def blas_core():
    """The kernel OpenBLAS chose (openblas_get_corename), read from the OpenBLAS this process loaded; '' if none."""
    import ctypes
    with open("/proc/self/maps") as maps:
        paths = sorted({l.split()[-1] for l in maps if "openblas" in l.lower() and l.split()[-1].startswith("/")})
    for path in paths:
        try:
            get = ctypes.CDLL(path).openblas_get_corename
        except (OSError, AttributeError):
            continue
        get.restype = ctypes.c_char_p
        return get().decode()
    return ""


def main():
    parser = argparse.ArgumentParser(description="PyTorch peers of GanDsl's benchmarks")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--workload", action="append", help="one or more of " + ", ".join(WORKLOADS) + " (comma-separated; default all)")
    parser.add_argument("--iterations", type=int, help="timed iterations (default per workload)")
    parser.add_argument("--warmup", type=int, help="untimed warm-up iterations (default per workload)")
    parser.add_argument("--micro", action="store_true", help="the binding micro-benchmarks instead (text output)")
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    if args.list:
        print("\n".join(WORKLOADS))
        return
    torch.set_num_threads(args.threads)
    if args.micro:
        micro(args.threads)
        return
    workloads = [w for spec in (args.workload or [",".join(WORKLOADS)]) for w in spec.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload '{w}'; known: {', '.join(WORKLOADS)}")
    for w in workloads:
        warmup, timed = DEFAULTS[w]
        line = run_workload(w, args.warmup if args.warmup is not None else warmup,
                            args.iterations if args.iterations is not None else timed, args.threads)
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
