#!/usr/bin/python3
"""PyTorch counterpart of benchmarks/GanDsl.Benchmarks (same operations, sizes, warm-up and
rounds; fastest round, microseconds per iteration). Run with Debian's /usr/bin/python3
(python3-torch 1.13.1, the libtorch the runtime binds).

    /usr/bin/python3 benchmarks/pytorch_bench.py [--threads N]
"""
import argparse
import time

import torch
import torch.nn.functional as F


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"pytorch add_1elem {measure(200_000, 7, add_one_element()):.3f}")
    print(f"pytorch linear_fwd_256x512_b256 {measure(300, 7, linear_forward()):.3f}")
    print(f"pytorch linear_fwd_bwd_256x512_b256 {measure(150, 7, linear_forward_backward()):.3f}")
    print(f"# threads={torch.get_num_threads()} torch={torch.__version__}")


if __name__ == "__main__":
    main()
