"""PyTorch side of the weight interop tests (tests/GanDsl.Cli.Tests/PyTorchInteropTests.cs, docs/interop.md).

Builds the `mlp` family's G and D exactly as a PyTorch user would (nn.Sequential of Linear/ReLU, width 512) and
  check DIR      loads DIR/G.pt and DIR/D.pt with torch.load and DIR/G.safetensors, DIR/D.safetensors (parsed
                 here: the Debian system has no `safetensors` package; the format is 8 bytes of header length,
                 a JSON header, raw little-endian data) into them with load_state_dict(strict=True), and prints
                 JSON {"pt": {"G": [...], "D": [...]}, "safetensors": {...}} of their outputs on the fixed input;
  make DIR       seeds 1234, saves fresh G and D with torch.save(model.state_dict(), DIR/NAME.pt) and prints
                 the outputs of those weights on the fixed input, for the import direction.
  keys           prints JSON {"mlp.G": {key: shape}, ..., "dcgan28.G": ..., "dcgan28.D": ...} of the state_dicts of
                 the built-in families written in PyTorch (docs/interop.md), for the test that GanDsl's keys are these.
The fixed input: z = x = torch.linspace(-2, 2, 16).reshape(8, 2), float32.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

HIDDEN = 512


def trunk(inputs, outputs):
    return nn.Sequential(nn.Linear(inputs, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(),
                         nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, outputs))


def networks():
    return {"G": trunk(2, 2), "D": trunk(2, 1)}


def dcgan28():
    g = nn.Sequential(nn.Linear(64, 6272), nn.BatchNorm1d(6272), nn.ReLU(), nn.Unflatten(1, (128, 7, 7)),
                      nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.BatchNorm2d(64), nn.ReLU(),
                      nn.ConvTranspose2d(64, 1, 4, 2, 1), nn.Tanh())
    d = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
                      nn.Flatten(), nn.Linear(6272, 1))
    return {"G": g, "D": d}


def load_safetensors(path):
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    state = {}
    for key, entry in header.items():
        if key == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
        state[key] = torch.from_numpy(array.copy())
    return state


def outputs(nets):
    x = torch.linspace(-2, 2, 16).reshape(8, 2)
    with torch.no_grad():
        return {name: net(x).reshape(-1).tolist() for name, net in nets.items()}


def main():
    mode, folder = sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None
    if mode == "keys":
        families = {"mlp": networks(), "dcgan28": dcgan28()}
        print(json.dumps({f"{family}.{name}": {k: list(v.shape) for k, v in net.state_dict().items()}
                          for family, nets in families.items() for name, net in nets.items()}))
    elif mode == "check":
        result = {}
        for fmt, load in (("pt", torch.load), ("safetensors", load_safetensors)):
            nets = networks()
            for name, net in nets.items():
                net.load_state_dict(load(f"{folder}/{name}.{fmt}"), strict=True)
            result[fmt] = outputs(nets)
        print(json.dumps(result))
    elif mode == "make":
        torch.manual_seed(1234)
        nets = networks()
        for name, net in nets.items():
            torch.save(net.state_dict(), f"{folder}/{name}.pt")
        print(json.dumps(outputs(nets)))
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
