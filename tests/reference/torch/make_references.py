#!/usr/bin/python3
"""Reference values for tests/GanDsl.Runtime.Tests/Torch (run with Debian's /usr/bin/python3,
python3-torch 1.13.1: the same libtorch the runtime binds).

    /usr/bin/python3 tests/reference/torch/make_references.py > tests/reference/torch/references.json

Double backprop: the gradient penalty (Gulrajani et al. 2017, "Improved Training of
Wasserstein GANs", eq. 3: E[(||grad_x D(x)||_2 - 1)^2]) of a small MLP and of a small conv net,
with weights and inputs stored in the JSON so the C# test rebuilds the same computation,
plus seeded random draws (generator and global seed) to compare streams.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DT = torch.float64


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def entry(t):
    if t is None:  # e.g. an output bias: the penalty does not depend on it, so .grad stays None
        return None
    return {"shape": list(t.shape), "values": values(t)}


def gradient_penalty(critic, x):
    x = x.clone().requires_grad_(True)
    out = critic(x)
    (g,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    return ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def mlp_case():
    g = torch.Generator().manual_seed(7)
    p = {
        "x": torch.randn(4, 3, generator=g, dtype=DT),
        "w1": torch.randn(5, 3, generator=g, dtype=DT) * 0.7,
        "b1": torch.randn(5, generator=g, dtype=DT) * 0.1,
        "w2": torch.randn(1, 5, generator=g, dtype=DT) * 0.7,
        "b2": torch.randn(1, generator=g, dtype=DT) * 0.1,
    }
    params = {k: v.clone().requires_grad_(True) for k, v in p.items() if k != "x"}

    def critic(x):
        h = F.leaky_relu(F.linear(x, params["w1"], params["b1"]), 0.2)
        return F.linear(h, params["w2"], params["b2"])

    penalty = gradient_penalty(critic, p["x"])
    penalty.backward()
    return {
        "inputs": {k: entry(v) for k, v in p.items()},
        "penalty": penalty.item(),
        "grads": {k: entry(v.grad) for k, v in params.items()},
    }


def conv_case():
    g = torch.Generator().manual_seed(11)
    p = {
        "x": torch.randn(2, 1, 6, 6, generator=g, dtype=DT),
        "conv_w": torch.randn(3, 1, 3, 3, generator=g, dtype=DT) * 0.5,
        "conv_b": torch.randn(3, generator=g, dtype=DT) * 0.1,
        "bn_w": 1 + 0.1 * torch.randn(3, generator=g, dtype=DT),
        "bn_b": 0.1 * torch.randn(3, generator=g, dtype=DT),
        "deconv_w": torch.randn(3, 1, 4, 4, generator=g, dtype=DT) * 0.5,
        "deconv_b": torch.randn(1, generator=g, dtype=DT) * 0.1,
    }
    params = {k: v.clone().requires_grad_(True) for k, v in p.items() if k != "x"}
    running_mean = torch.zeros(3, dtype=DT)
    running_var = torch.ones(3, dtype=DT)

    def critic(x):
        h = F.conv2d(x, params["conv_w"], params["conv_b"], stride=2, padding=1)           # [2,3,3,3]
        h = F.batch_norm(h, running_mean, running_var, params["bn_w"], params["bn_b"],
                         training=True, momentum=0.1, eps=1e-5)
        h = torch.tanh(h)
        h = F.conv_transpose2d(h, params["deconv_w"], params["deconv_b"], stride=2, padding=1)  # [2,1,6,6]
        return torch.tanh(h).mean(dim=(1, 2, 3))

    penalty = gradient_penalty(critic, p["x"])
    penalty.backward()
    return {
        "inputs": {k: entry(v) for k, v in p.items()},
        "penalty": penalty.item(),
        "grads": {k: entry(v.grad) for k, v in params.items()},
        "running_mean": values(running_mean),
        "running_var": values(running_var),
    }


def random_case():
    gen = torch.Generator().manual_seed(1234)
    rand32 = torch.rand(7, generator=gen)
    rand64 = torch.rand(5, generator=gen, dtype=DT)
    torch.manual_seed(42)
    randn32 = torch.randn(6)
    randn64 = torch.randn(2, 3, dtype=DT)
    return {
        "generator_seed": 1234,
        "rand_float32": values(rand32),
        "then_rand_float64": values(rand64),
        "manual_seed": 42,
        "randn_float32": values(randn32),
        "then_randn_float64": values(randn64),
    }


def main():
    refs = {
        "torch_version": torch.__version__,
        "mlp_gradient_penalty": mlp_case(),
        "conv_gradient_penalty": conv_case(),
        "random": random_case(),
    }
    json.dump(refs, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
