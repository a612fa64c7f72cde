#!/usr/bin/python3
"""Writes tests/reference/zoo/zoo.json: float64 reference values for every seed objective of the zoo (docs/losses.md) and the zoo's additions.

Run with Debian's interpreter (python3-torch 1.13.1):
    /usr/bin/python3 tests/reference/zoo/make_zoo_reference.py

Before writing anything it
  1. recomputes tests/reference/golden/core.json with the same loss code (zoo_losses.py) on the
     golden file's nets, inputs and coefficients and asserts agreement to 1e-9 relative;
  2. compares every autograd gradient (grad_d, grad_d_aux, grad_g) of every loss with
     central finite differences in float64 (this covers the double-backprop losses
     wgan-gp, wgan-lp, cramer, dragan, r1, r2, zero-gp);
  3. asserts the hyperparameters put the losses in an informative regime (EBGAN hinge
     active for some samples only, MAGAN margin rule firing, no sample near a kink).
zoo.json is written to a temp file and renamed, so a failed run never leaves half a file.
Formulas and choices: conventions.md in this folder.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import torch  # noqa: E402

import check_against_golden  # noqa: E402
import zoo_losses as zl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_PATH = os.path.join(HERE, "zoo.json")
SEED = 20240611
BATCH = 4

# Architectures (in, hidden, out); see docs/golden-files.md. A is ragan-aux's second critic.
ARCHS = {"D": [2, 8, 1], "G": [2, 8, 2], "AE": [2, 8, 2], "H": [2, 8, 4], "A": [2, 8, 1]}

# Hyperparameters (conventions.md says where each comes from).
LAMBDA_GP = 10.0          # wgan-gp, wgan-lp, dragan, cramer, zero-gp
DRAGAN_C = 0.5
RWGAN_C_LO, RWGAN_C_HI = 0.01, 0.02
FISHER_LAMBDA_STATE = 0.3  # λ before the step (λ₀ = 0 in training; non-zero here so the term is tested)
FISHER_RHO = 1e-6
RAGAN_AUX_LAMBDA = 1.0
EBGAN_MARGIN = 1.0        # between the fake energies of this batch: hinge active for 3 of 4 samples
MAGAN_MARGIN_STATE = 4.0  # above E e(x) and E e(Gz) > E e(x): the margin rule fires
BEGAN = {"k": 0.25, "gamma": 0.5, "lambda_k": 0.001}
SIGMAS = [1.0, 2.0, 4.0, 8.0, 16.0]
R_GAMMA = 10.0
# Issue 17's additions (conventions.md, "Additions"): paper defaults unless said otherwise.
WGAN_DIV = {"k": 2.0, "p": 6.0}
LECAM = {"lambda": 0.3, "decay": 0.99, "alpha_r": 0.5, "alpha_f": -0.4}   # anchors: state before the step
TOPK = {"fraction": 0.6, "gamma": 0.99, "nu": 0.5}                         # fraction: state, k = ceil(0.6*4) = 3
POINT_JITTER = 0.05                                                        # Augment on 2-D points: v + 0.05 n
BCR = {"lambda_real": 10.0, "lambda_fake": 10.0, "sigma": POINT_JITTER}
ZCR = {"lambda_dis": 5.0, "lambda_gen": 0.5, "sigma_noise": 0.03}
F_GAN = ["tv", "kl", "rkl", "pearson", "hellinger", "gan"]
# Issue 16's conditional additions (conventions.md, "Conditional additions"): K classes, labels y (of x) and yz (with z).
CLASSES = 3
# Label-taking nets read [v, one_hot(label, K)]; Dq and Dqq are score nets with 1 and 2 class heads of K logits.
CONDITIONAL_ARCHS = {"Gy": ([2 + CLASSES, 8, 2], True), "Dy": ([2 + CLASSES, 8, 1], True),
                     "Dq": ([2, 8, 1 + CLASSES], False), "Dqq": ([2, 8, 1 + 2 * CLASSES], False)}
# Dy's weights twice the usual scale: its outputs then fall on both sides of projection-hinge's kinks at ±1
# (at 1.5/√in every output of this draw was inside (-1, 1), every relu active).
CONDITIONAL_SCALE = {"Dy": 3.0}
CLASS_LAMBDA = 0.5  # acgan, tac-gan: not the papers' 1, so a λ missing from one class term shows

CANONICAL_ORDER = ["minimax", "nonsaturating", "dragan", "lsgan", "hinge", "wgan", "wgan-gp", "wgan-lp",
                   "rwgan", "mcgan", "fisher", "cramer", "rsgan", "ragan", "ralsgan", "ragan-aux", "ebgan",
                   "began", "magan", "gmmn", "mmdgan", "r1", "r2", "zero-gp"]
ADDED_ORDER = ([f"fgan-{d}{form}" for d in F_GAN for form in ("", "-saturating")]
               + ["wgan-div", "softmax-gan", "lecam", "topk", "diffaug-hinge", "bcr", "zcr"])
CONDITIONAL_ORDER = ["cgan", "acgan", "projection-hinge", "tac-gan"]

FD_STEP = 1e-5
FD_REL, FD_ABS = 1e-6, 1e-8


def make_layers(gen: torch.Generator, arch: list, scale: float = 1.5) -> list:
    layers = []
    for n_in, n_out in zip(arch[:-1], arch[1:]):
        w = torch.randn(n_out, n_in, generator=gen, dtype=zl.DTYPE) * (scale / n_in ** 0.5)
        b = torch.randn(n_out, generator=gen, dtype=zl.DTYPE) * 0.3
        layers.append((w, b))
    return layers


def make_nets(gen: torch.Generator) -> dict:
    return {name: zl.Mlp(make_layers(gen, arch)) for name, arch in ARCHS.items()}


def make_conditional(gen: torch.Generator):
    """Issue 16's nets and labels, drawn after every earlier draw so the earlier entries stay byte-identical."""
    nets = {}
    for name, (arch, takes_labels) in CONDITIONAL_ARCHS.items():
        layers = make_layers(gen, arch, CONDITIONAL_SCALE.get(name, 1.5))
        nets[name] = zl.OneHotMlp(layers, CLASSES) if takes_labels else zl.Mlp(layers)
    y = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    yz = torch.randint(0, CLASSES, (BATCH,), generator=gen)
    return nets, zl.Labels(y, yz, CLASSES)


def rand_list(gen: torch.Generator, *shape) -> list:
    return torch.rand(*shape, generator=gen, dtype=zl.DTYPE).tolist()


def make_coefficients(gen: torch.Generator) -> dict:
    """Per-loss coefficients; random ones drawn here so implementations inject them."""
    alpha = lambda: rand_list(gen, BATCH)  # noqa: E731  one interpolation coefficient per sample
    coefficients = {
        "dragan": {"alpha": alpha(), "u": rand_list(gen, BATCH, 2), "lambda": LAMBDA_GP, "C": DRAGAN_C},
        "wgan-gp": {"alpha": alpha(), "lambda": LAMBDA_GP},
        "wgan-lp": {"alpha": alpha(), "lambda": LAMBDA_GP},
        "rwgan": {"c_lo": RWGAN_C_LO, "c_hi": RWGAN_C_HI},
        "fisher": {"lambda": FISHER_LAMBDA_STATE, "rho": FISHER_RHO},
        "cramer": {"alpha": alpha(), "lambda": LAMBDA_GP},
        "ragan-aux": {"lambda": RAGAN_AUX_LAMBDA},
        "ebgan": {"margin": EBGAN_MARGIN},
        "began": dict(BEGAN),
        "magan": {"margin": MAGAN_MARGIN_STATE},
        "gmmn": {"sigmas": SIGMAS},
        "mmdgan": {"sigmas": SIGMAS},
        "r1": {"gamma": R_GAMMA},
        "r2": {"gamma": R_GAMMA},
        "zero-gp": {"alpha": alpha(), "lambda": LAMBDA_GP},
    }
    # Drawn after the original entries' draws, so those stay byte-identical.
    n = torch.randn(BATCH, 2, generator=gen, dtype=zl.DTYPE).tolist()   # N(0,1) per element: the augmentation's draw
    coefficients.update({
        "wgan-div": dict(WGAN_DIV),
        "lecam": dict(LECAM),
        "topk": dict(TOPK),
        "diffaug-hinge": {"sigma": POINT_JITTER, "n": n},
        "bcr": dict(BCR, n=n),
        "zcr": dict(ZCR, n=n),
    })
    return coefficients


# ---------------------------------------------------------------- finite differences

def finite_difference(loss_fn, params) -> list:
    """Central differences of loss_fn() w.r.t. every element of every tensor in params."""
    grads = []
    for p in params:
        g = torch.zeros_like(p)
        flat, gflat = p.data.view(-1), g.view(-1)
        for i in range(flat.numel()):
            orig = flat[i].item()
            flat[i] = orig + FD_STEP
            up = loss_fn().item()
            flat[i] = orig - FD_STEP
            down = loss_fn().item()
            flat[i] = orig
            gflat[i] = (up - down) / (2 * FD_STEP)
        grads.append(g)
    return grads


def check_gradients_fd(name: str, nets, x, z, z2, coef, entry, labels=None) -> int:
    """Asserts autograd gradients in `entry` match finite differences; returns numbers compared."""
    spec = zl.LOSSES[name]
    failures: list[str] = []
    n = 0
    if spec.d is not None:
        d_fn = lambda: zl.d_loss_value(spec, nets, x, z, z2, coef, labels)[0]  # noqa: E731
        fd = finite_difference(d_fn, nets[spec.critic].params())
        n += zl.compare(f"{name}.grad_d vs FD", zl.grads_to_json(spec.critic, nets[spec.critic], fd),
                        entry["grad_d"], failures, FD_REL, FD_ABS)
        if spec.aux_critic:
            fd = finite_difference(d_fn, nets[spec.aux_critic].params())
            n += zl.compare(f"{name}.grad_d_aux vs FD", zl.grads_to_json(spec.aux_critic, nets[spec.aux_critic], fd),
                            entry["grad_d_aux"], failures, FD_REL, FD_ABS)
    g_fn = lambda: zl.g_loss_value(spec, nets, x, z, z2, coef, labels)[0]  # noqa: E731
    G = nets[spec.generator]
    fd = finite_difference(g_fn, G.params())
    n += zl.compare(f"{name}.grad_g vs FD", zl.grads_to_json(spec.generator, G, fd), entry["grad_g"],
                    failures, FD_REL, FD_ABS)
    assert not failures, "finite-difference check failed:\n" + "\n".join(failures)
    return n


# ---------------------------------------------------------------- regime assertions

def check_regimes(entries: dict) -> None:
    """The hyperparameters must exercise every branch the formulas have."""
    e_gz = entries["ebgan"]["aux"]["e_Gz"]
    active = [e < EBGAN_MARGIN for e in e_gz]
    assert any(active) and not all(active), f"EBGAN margin {EBGAN_MARGIN} must split {e_gz}"
    assert min(abs(e - EBGAN_MARGIN) for e in e_gz) > 1e-3, "an EBGAN fake energy sits at the hinge kink"
    mag = entries["magan"]["aux"]
    assert mag["E_e_x"] < MAGAN_MARGIN_STATE and mag["E_e_Gz"] > mag["E_e_x"], "MAGAN margin rule should fire"
    assert mag["margin_next"] == mag["E_e_x"]
    assert any(e < MAGAN_MARGIN_STATE for e in mag["e_Gz"]), "MAGAN hinge inactive for every sample"
    norms = entries["wgan-lp"]["aux"]["grad_norms"]
    assert min(abs(v - 1) for v in norms) > 1e-3, "a WGAN-LP gradient norm sits at the one-sided kink"
    assert any(v < 1 for v in norms) and any(v > 1 for v in norms), f"WGAN-LP should test both sides: {norms}"
    # ragan-aux trains A with the RaGAN D loss; D's part must equal the plain ragan entry.
    assert zl.close(entries["ragan-aux"]["aux"]["d_loss_D"], entries["ragan"]["d_loss"])
    fails: list[str] = []
    zl.compare("ragan-aux.grad_d vs ragan.grad_d", entries["ragan"]["grad_d"], entries["ragan-aux"]["grad_d"], fails)
    assert not fails, fails
    # hinge: no D output may sit at a kink of relu(1 -+ D), or finite differences would be meaningless.
    for k in ("D_x", "D_Gz"):
        for v in entries["hinge"]["aux"][k]:
            assert min(abs(v - 1), abs(v + 1)) > 1e-3, "a hinge D output sits at a kink"
    fake_active = [1 + v > 0 for v in entries["hinge"]["aux"]["D_Gz"]]
    assert any(fake_active) and not all(fake_active), "hinge fake term should be active for some samples only"
    # The augmented hinge: no output at a kink, and the augmentation really moves the outputs.
    for k in ("D_Tx", "D_TGz"):
        for v in entries["diffaug-hinge"]["aux"][k]:
            assert min(abs(v - 1), abs(v + 1)) > 1e-3, "an augmented hinge D output sits at a kink"
    assert entries["diffaug-hinge"]["d_loss"] != entries["hinge"]["d_loss"]
    # top-k keeps 3 of 4 samples (the fourth's gradient must vanish), and no two scores tie.
    assert entries["topk"]["aux"]["k"] == 3
    d_gz = entries["hinge"]["aux"]["D_Gz"]
    assert min(abs(a - b) for i, a in enumerate(d_gz) for b in d_gz[i + 1:]) > 1e-3, "tied critic scores make top-k ambiguous"
    for key in ("real_consistency", "fake_consistency"):
        assert entries["bcr"]["aux"][key] > 0
    assert entries["zcr"]["aux"]["discriminator_consistency"] > 0 and entries["zcr"]["aux"]["generator_spread"] > 0
    check_conditional_regimes(entries)


def check_conditional_regimes(entries: dict) -> None:
    """Issue 16: the projection hinge has kinks; the class terms must matter; the labels must vary."""
    aux = entries["projection-hinge"]["aux"]
    for k in ("D_x", "D_Gz"):
        for v in aux[k]:
            assert min(abs(v - 1), abs(v + 1)) > 1e-3, f"a projection-hinge D output sits at a kink: {aux[k]}"
    real_active = [1 - v > 0 for v in aux["D_x"]]
    fake_active = [1 + v > 0 for v in aux["D_Gz"]]
    assert any(real_active + fake_active) and not all(real_active + fake_active), \
        f"projection-hinge relu should be active for some samples only: D(x,y) {aux['D_x']}, D(Gz,yz) {aux['D_Gz']}"
    assert entries["acgan"]["aux"]["ce_Q_x"] > 0.05 and entries["acgan"]["aux"]["ce_Q_Gz"] > 0.05, "acgan: class terms vanish"
    assert entries["tac-gan"]["aux"]["ce_Q_x"] > 0.05 and entries["tac-gan"]["aux"]["ce_Qmi_Gz"] > 0.05, "tac-gan: class terms vanish"


# ---------------------------------------------------------------- main

META = {
    "what": "zoo reference values for every seed objective of the zoo (docs/losses.md); independent implementation "
            "tests/reference/zoo/zoo_losses.py (PyTorch %s, float64), written by make_zoo_reference.py" % torch.__version__,
    "seed": SEED,
    "dtype": "float64",
    "batch": BATCH,
    "layout": "nets.<name>.layers[i] = {W: [out][in], b: [out]}, y = W v + b, LeakyReLU(0.2) after every layer but the last",
    "nets": "D 2-8-1 (logit/score), G 2-8-2, AE 2-8-2 (reconstruction), H 2-8-4 (features), A 2-8-1 (ragan-aux's second critic); "
            "conditional (issue 16): Gy 5-8-2 and Dy 5-8-1 take [v, one_hot(label, 3)] (label_input one-hot), "
            "Dq 2-8-4 (score, 3 class logits), Dqq 2-8-7 (score, 2 heads of 3 class logits)",
    "labels": "conditional losses: inputs.y labels x, inputs.yz is drawn with z (G(z, yz)), classes K = 3; "
              "the entry's generator key names the file net playing G",
    "grad_d": "d d_loss / d critic params (the net named by `critic`), with G(z) and G(z2) treated as constants (detached)",
    "grad_d_aux": "extra key, ragan-aux only: d d_loss / d A params (A is a second critic trained in the same critic step)",
    "grad_g": "d g_loss / d G params (gradient flows through the unchanged critic; cramer: through G(z) and G(z2))",
    "mean": "every mean is over all elements unless stated per-sample",
    "gradient_penalty": "per-sample L2 norm of d(sum_i critic(xhat_i))/d xhat, penalty mean_i of the row's function of the norm",
    "coefficients": "alpha (per sample), u (dragan, per element), n (N(0,1) per element: jitter and point augmentation), "
                    "lambda, C (dragan), c_lo/c_hi (rwgan clamp [-c_lo, c_hi]), "
                    "rho and lambda-state (fisher), margin (ebgan; magan state), k/gamma/lambda_k (began), sigmas, gamma (r1, r2)",
    "aux": "intermediate values; state after the step: k_next (began), lambda_next (fisher), margin_next (magan); "
           "rwgan D_clamped = critic layers [[W, b], ...] after clamping to [-c_lo, c_hi]",
    "tolerance": "a float64 reimplementation should match d_loss, g_loss, all gradients and aux to 1e-9 relative (1e-12 absolute)",
    "names": "loss names are the canonical names of docs/losses.md, then the zoo's additions (fgan-*, wgan-div, softmax-gan, lecam, "
             "topk, diffaug-hinge, bcr, zcr), the conditional losses (cgan, acgan, projection-hinge, tac-gan); "
             "formulas and choices in tests/reference/zoo/conventions.md",
    "checks": "make_zoo_reference.py recomputes tests/reference/golden/core.json with the same code (1e-9) and checks every gradient "
              "against central finite differences before writing",
}


def main() -> int:
    # 1. Same code, golden file's nets/inputs/coefficients.
    checked, scalars, failures = check_against_golden.check_file(check_against_golden.DEFAULT_FILES[0])
    for msg in failures:
        print("   ", msg)
    assert not failures, "zoo_losses.py disagrees with the golden file; nothing written"
    print(f"golden cross-check: {checked} losses, {scalars} numbers agree to 1e-9 relative")

    gen = torch.Generator().manual_seed(SEED)
    nets = make_nets(gen)
    x = torch.randn(BATCH, 2, generator=gen, dtype=zl.DTYPE) * 1.2
    z = torch.randn(BATCH, 2, generator=gen, dtype=zl.DTYPE)
    z2 = torch.randn(BATCH, 2, generator=gen, dtype=zl.DTYPE)
    coefficients = make_coefficients(gen)
    conditional_nets, labels = make_conditional(gen)
    nets.update(conditional_nets)
    coefficients.update({"acgan": {"lambda": CLASS_LAMBDA}, "tac-gan": {"lambda": CLASS_LAMBDA}})
    assert len(set(labels.y.tolist())) > 1 and len(set(labels.yz.tolist())) > 1, f"labels should vary: {labels}"
    with torch.no_grad():
        gz, gz2 = zl.generated(nets, z, z2)

    order = CANONICAL_ORDER + ADDED_ORDER + CONDITIONAL_ORDER
    assert set(order) == set(zl.LOSSES), "CANONICAL_ORDER/ADDED_ORDER/CONDITIONAL_ORDER and zoo_losses.LOSSES disagree"
    entries = {}
    fd_numbers = 0
    for name in order:
        coef = coefficients.get(name)
        entries[name] = zl.evaluate(name, nets, x, z, z2, coef, labels)
        # 2. Every gradient against finite differences (double backprop included).
        fd_numbers += check_gradients_fd(name, nets, x, z, z2, coef, entries[name], labels)
    print(f"finite differences: {len(entries)} losses, {fd_numbers} gradient elements agree "
          f"(rel {FD_REL:g}, abs {FD_ABS:g}, step {FD_STEP:g})")
    check_regimes(entries)
    print("regime checks: ok")

    doc = {
        "meta": META,
        "nets": {name: net.to_json() for name, net in nets.items()},
        "inputs": {"x": x.tolist(), "z": z.tolist(), "z2": z2.tolist(), "Gz": gz.tolist(), "Gz2": gz2.tolist(),
                   "y": labels.y.tolist(), "yz": labels.yz.tolist()},
        "classes": CLASSES,
        "losses": entries,
    }
    fd, tmp = tempfile.mkstemp(prefix=".zoo.", suffix=".json.tmp", dir=HERE)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(doc, f, indent=1)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the file is committed and read by others
        os.replace(tmp, OUT_PATH)
    except BaseException:
        os.unlink(tmp)
        raise
    print(f"wrote {OUT_PATH} ({len(entries)} losses)")

    # 3. The written file reproduces from its own contents.
    checked, scalars, failures = check_against_golden.check_file(OUT_PATH, require_all_names=True)
    for msg in failures:
        print("   ", msg)
    assert not failures, "zoo.json does not reproduce from its own nets/inputs/coefficients"
    print(f"zoo.json re-check: {checked} losses, {scalars} numbers agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())
