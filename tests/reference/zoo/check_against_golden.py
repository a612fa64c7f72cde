#!/usr/bin/python3
"""Recomputes every loss in a golden-format file with zoo_losses.py and asserts agreement.

Usage (Debian's python3-torch, float64):
    /usr/bin/python3 tests/reference/zoo/check_against_golden.py [FILE ...]

Without arguments it checks ../golden/core.json (computed outside the project by an
independent implementation: agreement proves both share conventions) and this folder's zoo.json
(proves the committed file is what the code computes). For each file it uses THE
FILE'S nets, inputs and coefficients and compares d_loss, g_loss, grad_d, grad_g,
grad_d_aux and every aux key the file has to 1e-9 relative (1e-12 absolute near 0).
Exit status 0 when everything agrees, 1 otherwise (each mismatch is printed).
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import zoo_losses as zl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_FILES = [
    os.environ.get("GANDSL_GOLDEN", os.path.join(HERE, "..", "golden", "core.json")),
    os.path.join(HERE, "zoo.json"),
]


def check_file(path: str, require_all_names: bool = False) -> tuple[int, int, list[str]]:
    """Returns (losses checked, scalars compared, failure messages)."""
    try:
        with open(path) as f:
            data = json.load(f)
    except FileNotFoundError:
        return 0, 0, [f"{path}: not found (run make_zoo_reference.py to create zoo.json)"]
    except json.JSONDecodeError as e:
        return 0, 0, [f"{path}: not valid JSON ({e}); regenerate it with make_zoo_reference.py"]

    failures: list[str] = []
    labels = zl.labels_from_json(data)
    nets = zl.nets_from_json(data["nets"], labels.classes if labels else 0)
    x, z, z2 = zl.inputs_from_json(data["inputs"])
    scalars = 0
    with torch.no_grad():
        gz, gz2 = zl.generated(nets, z, z2)
    scalars += zl.compare(f"{path}: inputs.Gz", data["inputs"]["Gz"], gz.tolist(), failures)
    scalars += zl.compare(f"{path}: inputs.Gz2", data["inputs"]["Gz2"], gz2.tolist(), failures)

    checked = 0
    for name, expected in data["losses"].items():
        if name not in zl.LOSSES:
            failures.append(f"{path}: loss '{name}' has no implementation in zoo_losses.py")
            continue
        if zl.LOSSES[name].plays and labels is None:
            failures.append(f"{path}: loss '{name}' reads class labels, but the file has no inputs.y / inputs.yz / classes")
            continue
        actual = zl.evaluate(name, nets, x, z, z2, expected.get("coefficients"), labels)
        label = f"{path}: {name}"
        if expected.get("critic") != actual["critic"]:
            failures.append(f"{label}.critic: expected {expected.get('critic')!r}, got {actual['critic']!r}")
        if expected.get("generator", "G") != actual.get("generator", "G"):
            failures.append(f"{label}.generator: expected {expected.get('generator')!r}, got {actual.get('generator')!r}")
        for key in ("d_loss", "g_loss", "grad_d", "grad_g", "grad_d_aux"):
            if key in expected or key in actual:
                scalars += zl.compare(f"{label}.{key}", expected.get(key), actual.get(key), failures)
        for key, value in (expected.get("aux") or {}).items():
            if key not in actual["aux"]:
                failures.append(f"{label}.aux.{key}: not computed by zoo_losses.py")
                continue
            scalars += zl.compare(f"{label}.aux.{key}", value, actual["aux"][key], failures)
        checked += 1
    if require_all_names:
        missing = sorted(set(zl.LOSSES) - set(data["losses"]))
        if missing:
            failures.append(f"{path}: missing entries for {missing}")
    return checked, scalars, failures


def main(argv: list[str]) -> int:
    files = argv or DEFAULT_FILES
    ok = True
    for path in files:
        is_zoo = os.path.basename(path) == "zoo.json"
        checked, scalars, failures = check_file(path, require_all_names=is_zoo)
        status = "OK" if not failures else "FAIL"
        print(f"{status} {path}: {checked} losses, {scalars} numbers compared to 1e-9 relative, "
              f"{len(failures)} mismatches")
        for msg in failures[:50]:
            print("   ", msg)
        ok = ok and not failures
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
