#!/usr/bin/python3
"""Reference values for GanDsl's layers, initialisation and optimizers (GanDsl.Nn, GanDsl.Optim).

Run with Debian's interpreter and python3-torch (libtorch 1.13.1, the same library GanDsl binds):

    /usr/bin/python3 tests/reference/nn/make_nn_references.py

It writes nn_reference.json next to this script. The C# tests in
tests/GanDsl.Runtime.Tests/Nn read that file and need no Python.

Sections of the JSON:
  init        seeded default initialisation: for each model, every parameter and buffer in
              named order; small tensors in full ("values"), large ones as the SHA-256 of their
              raw little-endian bytes ("sha256") plus their float64 sum and first elements.
  forward     layers applied to fixed inputs, with the parameters used stored explicitly
              (so a forward test does not depend on the initialisation test).
  spectral    spectral normalisation: weights, u, v before; outputs, u, v after 1 and 3
              training forwards, an eval forward, and the gradient of a weighted sum of the
              last training output with respect to weight_orig.
  optim       3 steps of Adam / RMSprop on fixed float64 parameters and gradients.
"""
import hashlib
import json
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(1)


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def tensor_entry(t, full=True):
    t = t.detach().contiguous()
    entry = {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", "")}
    if full:
        entry["values"] = flat(t)
    else:
        entry["sha256"] = hashlib.sha256(t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()).hexdigest()
        entry["sum"] = float(t.double().sum())
        entry["first"] = flat(t.reshape(-1)[:8])
    return entry


def named_state(module, full=True):
    params = [{"name": n, **tensor_entry(p, full)} for n, p in module.named_parameters()]
    buffers = [{"name": n, **tensor_entry(b, full)} for n, b in module.named_buffers()]
    return {"parameters": params, "buffers": buffers}


def fixed_input(seed, shape, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(shape, generator=g, dtype=torch.float64).to(dtype)


# ---------------------------------------------------------------- models (same as the C# tests build)

def mlp_small():
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 1))


def mlp_issue5(out_features):
    return nn.Sequential(nn.Linear(2, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, out_features))


def dcgan28_g():
    return nn.Sequential(nn.Linear(64, 128 * 7 * 7), nn.BatchNorm1d(128 * 7 * 7), nn.ReLU(),
                         nn.Unflatten(1, (128, 7, 7)),
                         nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                         nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())


def dcgan28_d():
    return nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
                         nn.Flatten(), nn.Linear(128 * 7 * 7, 1))


# ---------------------------------------------------------------- init

def init_section():
    out = {}

    def seeded(name, seed, build, full=True):
        torch.manual_seed(seed)
        m = build()
        out[name] = {"seed": seed, **named_state(m, full)}
        return m

    seeded("linear_5_3", 0, lambda: nn.Linear(5, 3))
    seeded("linear_nobias_4_2", 10, lambda: nn.Linear(4, 2, bias=False))
    seeded("conv2d_3_4_k3", 1, lambda: nn.Conv2d(3, 4, 3))
    seeded("convtranspose2d_4_2_k4", 2, lambda: nn.ConvTranspose2d(4, 2, 4, 2, 1))
    seeded("mlp_small", 3, mlp_small)
    seeded("batchnorm2d_3", 11, lambda: nn.BatchNorm2d(3))
    seeded("layernorm_4", 12, lambda: nn.LayerNorm(4))
    seeded("mlp_g", 20, lambda: mlp_issue5(2), full=False)
    seeded("mlp_d", 21, lambda: mlp_issue5(1), full=False)
    seeded("dcgan28_g", 4, dcgan28_g, full=False)
    seeded("dcgan28_d", 5, dcgan28_d, full=False)
    seeded("spectral_linear_5_4", 6, lambda: nn.utils.spectral_norm(nn.Linear(5, 4)))
    seeded("spectral_convtranspose2d_3_2_k3", 7, lambda: nn.utils.spectral_norm(nn.ConvTranspose2d(3, 2, 3)))
    # Two models built one after the other from one seed: the draws continue in order.
    torch.manual_seed(8)
    a = nn.Linear(3, 2)
    b = nn.Conv2d(2, 2, 2)
    out["two_in_a_row"] = {"seed": 8, "first": named_state(a), "second": named_state(b)}
    return out


# ---------------------------------------------------------------- forward

def randomise_affine(module, seed):
    """Give norm layers' affine parameters non-trivial values (the defaults 1 and 0 would hide errors)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float64).to(p.dtype) * 0.5 + (1.0 if p.dim() == 1 and p is module.weight else 0.0))


def forward_case(module, inputs, dtype, calls):
    """calls: list of ("train"|"eval", input index). Records outputs and buffers after each call."""
    module = module.to(dtype)
    before = named_state(module)
    results = []
    for mode, i in calls:
        module.train(mode == "train")
        with torch.no_grad():
            y = module(inputs[i].to(dtype))
        results.append({"mode": mode, "input": i, "output": tensor_entry(y),
                        "buffers": named_state(module)["buffers"]})
    return {"dtype": str(dtype).replace("torch.", ""), **before,
            "inputs": [tensor_entry(x.to(dtype)) for x in inputs], "calls": results}


def forward_section():
    out = {}
    for dtype in (torch.float64, torch.float32):
        suffix = "f64" if dtype == torch.float64 else "f32"

        def case(name, seed, build, shapes, calls=None, affine=False, f32=True):
            if dtype == torch.float32 and not f32:
                return  # float32 copies only of a few cases, to keep the JSON small
            torch.manual_seed(seed)
            m = build()
            if affine:
                randomise_affine(m, seed + 1000)
            xs = [fixed_input(seed * 10 + k, s) for k, s in enumerate(shapes)]
            out[f"{name}_{suffix}"] = forward_case(m, xs, dtype, calls or [("train", 0)])

        case("linear", 30, lambda: nn.Linear(5, 3), [(4, 5)])
        case("conv2d", 31, lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), [(2, 3, 7, 7)])
        case("convtranspose2d", 32, lambda: nn.ConvTranspose2d(4, 2, 4, stride=2, padding=1), [(2, 4, 3, 3)])
        case("convtranspose2d_outpad", 33, lambda: nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
             [(2, 3, 4, 4)], f32=False)
        bn_calls = [("train", 0), ("train", 1), ("eval", 2)]
        case("batchnorm1d", 34, lambda: nn.BatchNorm1d(6), [(8, 6), (8, 6), (3, 6)], bn_calls, affine=True, f32=False)
        case("batchnorm2d", 35, lambda: nn.BatchNorm2d(3), [(4, 3, 3, 3), (4, 3, 3, 3), (2, 3, 3, 3)], bn_calls,
             affine=True)
        case("layernorm_last", 36, lambda: nn.LayerNorm(4), [(3, 4)], affine=True, f32=False)
        case("layernorm_chw", 37, lambda: nn.LayerNorm([2, 3, 3]), [(2, 2, 3, 3)], affine=True)
        case("relu", 38, nn.ReLU, [(10,)], f32=False)
        case("leakyrelu", 39, lambda: nn.LeakyReLU(0.2), [(10,)], f32=False)
        case("tanh", 40, nn.Tanh, [(10,)], f32=False)
        case("sigmoid", 41, nn.Sigmoid, [(10,)], f32=False)
        case("dcgan_small_g", 42, lambda: nn.Sequential(
            nn.Linear(8, 4 * 3 * 3), nn.BatchNorm1d(4 * 3 * 3), nn.ReLU(), nn.Unflatten(1, (4, 3, 3)),
            nn.ConvTranspose2d(4, 3, 4, 2, 1), nn.BatchNorm2d(3), nn.ReLU(),
            nn.ConvTranspose2d(3, 1, 4, 2, 1), nn.Tanh()), [(3, 8), (3, 8)], [("train", 0), ("eval", 1)], f32=False)
        case("dcgan_small_d", 43, lambda: nn.Sequential(
            nn.Conv2d(1, 4, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(4, 8, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Flatten(), nn.Linear(8 * 3 * 3, 1)), [(2, 1, 12, 12)])
    return out


# ---------------------------------------------------------------- spectral norm

def spectral_case(build, seed, x_shape, dtype):
    torch.manual_seed(seed)
    m = nn.utils.spectral_norm(build()).to(dtype)
    before = named_state(m)
    x = fixed_input(seed * 10, x_shape).to(dtype)
    r = fixed_input(seed * 10 + 1, (1,) + tuple(m(x).shape[1:])).to(dtype)  # this forward is discarded
    # Reset u, v (the forward above iterated once) by rebuilding from the same seed.
    torch.manual_seed(seed)
    m = nn.utils.spectral_norm(build()).to(dtype)
    m.train()
    steps = []
    for k in range(3):
        y = m(x)
        if k in (0, 2):
            steps.append({"after_forwards": k + 1, "output": tensor_entry(y),
                          "weight_u": tensor_entry(m.weight_u), "weight_v": tensor_entry(m.weight_v)})
    (y * r).sum().backward()
    grad = tensor_entry(m.weight_orig.grad)
    m.eval()
    with torch.no_grad():
        y_eval = m(x)
    return {"dtype": str(dtype).replace("torch.", ""), **before, "input": tensor_entry(x),
            "grad_weights": tensor_entry(r), "train": steps, "grad_weight_orig": grad,
            "eval_output": tensor_entry(y_eval),
            "eval_weight_u": tensor_entry(m.weight_u), "eval_weight_v": tensor_entry(m.weight_v)}


def spectral_section():
    out = {}
    for dtype, suffix in ((torch.float64, "f64"), (torch.float32, "f32")):
        out[f"linear_{suffix}"] = spectral_case(lambda: nn.Linear(5, 4), 50, (3, 5), dtype)
        if dtype == torch.float64:
            out[f"conv2d_{suffix}"] = spectral_case(lambda: nn.Conv2d(3, 4, 3, padding=1), 51, (1, 3, 4, 4), dtype)
        out[f"convtranspose2d_{suffix}"] = spectral_case(lambda: nn.ConvTranspose2d(3, 2, 4, 2, 1), 52,
                                                         (1, 3, 3, 3), dtype)
    return out


# ---------------------------------------------------------------- optimizers

def optim_case(make_opt, seed):
    g = torch.Generator().manual_seed(seed)
    shapes = [(3, 4), (5,)]
    params = [torch.randn(s, generator=g, dtype=torch.float64).requires_grad_() for s in shapes]
    initial = [tensor_entry(p) for p in params]
    grads_per_step = [[torch.randn(s, generator=g, dtype=torch.float64) for s in shapes] for _ in range(3)]
    opt = make_opt(params)
    steps = []
    for grads in grads_per_step:
        for p, gr in zip(params, grads):
            p.grad = gr.clone()
        opt.step()
        steps.append({"grads": [tensor_entry(gr) for gr in grads], "params": [tensor_entry(p) for p in params]})
    state = []
    for p in params:
        st = opt.state[p]
        state.append({k: (tensor_entry(v) if torch.is_tensor(v) and v.dim() > 0 else float(v))
                      for k, v in st.items()})
    return {"initial": initial, "steps": steps, "state": state}


def optim_section():
    A, R = torch.optim.Adam, torch.optim.RMSprop
    cases = {
        "adam_default": ({"kind": "adam"}, lambda ps: A(ps)),
        "adam_lr_betas": ({"kind": "adam", "lr": 0.01, "beta1": 0.5, "beta2": 0.9},
                          lambda ps: A(ps, lr=0.01, betas=(0.5, 0.9))),
        "adam_weight_decay": ({"kind": "adam", "lr": 0.01, "weight_decay": 0.1, "eps": 1e-6},
                              lambda ps: A(ps, lr=0.01, weight_decay=0.1, eps=1e-6)),
        "rmsprop_default": ({"kind": "rmsprop"}, lambda ps: R(ps)),
        "rmsprop_weight_decay": ({"kind": "rmsprop", "lr": 0.005, "alpha": 0.9, "weight_decay": 0.1},
                                 lambda ps: R(ps, lr=0.005, alpha=0.9, weight_decay=0.1)),
        "rmsprop_momentum": ({"kind": "rmsprop", "momentum": 0.9}, lambda ps: R(ps, momentum=0.9)),
        "rmsprop_centered": ({"kind": "rmsprop", "centered": True}, lambda ps: R(ps, centered=True)),
        "rmsprop_all": ({"kind": "rmsprop", "lr": 0.003, "alpha": 0.95, "eps": 1e-6, "weight_decay": 0.05,
                         "momentum": 0.5, "centered": True},
                        lambda ps: R(ps, lr=0.003, alpha=0.95, eps=1e-6, weight_decay=0.05, momentum=0.5,
                                     centered=True)),
    }
    out = {}
    for i, (name, (config, make)) in enumerate(cases.items()):
        out[name] = {"config": config, **optim_case(make, 60 + i)}
    return out


def main():
    doc = {
        "meta": {
            "torch": torch.__version__,
            "script": "tests/reference/nn/make_nn_references.py",
            "notes": "float32 values are stored as the exact float64 of each float32. sha256 is of the raw "
                     "little-endian bytes of a contiguous tensor.",
        },
        "init": init_section(),
        "forward": forward_section(),
        "spectral": spectral_section(),
        "optim": optim_section(),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nn_reference.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=None, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
