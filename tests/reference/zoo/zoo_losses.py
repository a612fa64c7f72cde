"""Independent float64 PyTorch implementations of every seed objective of the zoo (docs/losses.md) and the zoo's additions.

Used by make_zoo_reference.py (writes zoo.json) and check_against_golden.py
(recomputes tests/reference/golden/core.json and zoo.json with these functions).

Every loss is one entry of LOSSES (bottom of file): a critic-step function and
a generator-step function, both ``f(ctx) -> (loss, aux)``. The driver
(``evaluate``) calls the critic-step function with G(z), G(z2) detached (the
critic step treats generated samples as constants) and the generator-step
function with them live, then differentiates with torch.autograd.grad w.r.t.
exactly the parameters each step trains. The formulas and the choices made
where LOSSES.md leaves room are documented in conventions.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

DTYPE = torch.float64
LEAKY_SLOPE = 0.2


# --------------------------------------------------------------------------
# Networks: y = W v + b per layer, LeakyReLU(0.2) after every layer but the last
# --------------------------------------------------------------------------

class Mlp:
    """A tiny fully connected net held as plain leaf tensors so gradients are easy to read."""

    def __init__(self, layers: List[Tuple[torch.Tensor, torch.Tensor]]):
        self.layers = [(w.detach().clone().to(DTYPE).requires_grad_(True),
                        b.detach().clone().to(DTYPE).requires_grad_(True)) for w, b in layers]

    @staticmethod
    def from_json(net: dict) -> "Mlp":
        return Mlp([(torch.tensor(l["W"], dtype=DTYPE), torch.tensor(l["b"], dtype=DTYPE))
                    for l in net["layers"]])

    def to_json(self, activation: bool = True) -> dict:
        arch = [self.layers[0][0].shape[1]] + [w.shape[0] for w, _ in self.layers]
        out = {"arch": arch}
        if activation:
            out["activation"] = "LeakyReLU(0.2) after every layer but the last"
        out["layers"] = [{"W": w.tolist(), "b": b.tolist()} for w, b in self.layers]
        return out

    def params(self) -> List[torch.Tensor]:
        return [t for wb in self.layers for t in wb]

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        for i, (w, b) in enumerate(self.layers):
            v = v @ w.T + b
            if i < len(self.layers) - 1:
                v = F.leaky_relu(v, LEAKY_SLOPE)
        return v


class OneHotMlp(Mlp):
    """A label-taking net (issue 16): the Mlp applied to the batch with its labels' one-hot appended,
    [v, one_hot(label, K)] (features first), so D 2+K -> 8 -> 1 reads (v, label) as D(v, label)."""

    def __init__(self, layers: List[Tuple[torch.Tensor, torch.Tensor]], classes: int):
        super().__init__(layers)
        self.classes = classes

    def to_json(self, activation: bool = True) -> dict:
        out = {"label_input": "one-hot"}
        out.update(super().to_json(activation))
        return out

    def __call__(self, v: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        one_hot = F.one_hot(labels, self.classes).to(DTYPE)
        return super().__call__(torch.cat([v, one_hot], dim=1))


def grads_to_json(net_name: str, net: Mlp, grads: List[torch.Tensor]) -> dict:
    """Lays a flat list of parameter gradients out like the net: {net, layers: [{W, b}]}."""
    layers = []
    for i in range(len(net.layers)):
        layers.append({"W": grads[2 * i].tolist(), "b": grads[2 * i + 1].tolist()})
    return {"net": net_name, "layers": layers}


# --------------------------------------------------------------------------
# Step context and shared pieces
# --------------------------------------------------------------------------

@dataclass
class Ctx:
    """What a loss reads: nets by name, real batch, generated batches and the fixed coefficients."""
    nets: Dict[str, Mlp]
    x: torch.Tensor
    Gz: torch.Tensor
    Gz2: torch.Tensor
    coef: dict = field(default_factory=dict)
    z: Optional[torch.Tensor] = None   # the noise batch, for losses that perturb it (zCR)
    critic_step: bool = False          # True: generated samples are constants (detached)
    y: Optional[torch.Tensor] = None   # int64 class labels of x (conditional losses, issue 16)
    yz: Optional[torch.Tensor] = None  # int64 class labels drawn with z, the classes G is asked for
    classes: int = 0                   # K

    def c(self, name: str) -> torch.Tensor:
        return torch.tensor(self.coef[name], dtype=DTYPE)


def per_sample(alpha: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Reshape one coefficient per sample to broadcast over the sample's features."""
    return alpha.reshape([-1] + [1] * (like.dim() - 1))


def interpolate(ctx: Ctx) -> torch.Tensor:
    """x̂_i = α_i x_i + (1-α_i) G(z)_i  (Gulrajani et al. 2017, Alg. 1)."""
    a = per_sample(ctx.c("alpha"), ctx.x)
    return a * ctx.x + (1 - a) * ctx.Gz


def input_grad_norms(scalar_fn: Callable[[torch.Tensor], torch.Tensor], at: torch.Tensor) -> torch.Tensor:
    """Per-sample L2 norm of d(sum_i f(v_i))/dv at v = `at`, graph kept (create_graph) so the
    penalty built from it can itself be differentiated w.r.t. the critic's parameters."""
    v = at.detach().clone().requires_grad_(True)
    g, = torch.autograd.grad(scalar_fn(v).sum(), v, create_graph=True)
    return g.flatten(1).norm(dim=1)


def softplus(t: torch.Tensor) -> torch.Tensor:
    # log(1 + e^t) in the stable form torch uses (no overflow for large t).
    return F.softplus(t)


def mean(t: torch.Tensor) -> torch.Tensor:
    return t.mean()


def outputs_aux(d_x: torch.Tensor, d_gz: torch.Tensor) -> dict:
    return {"D_x": d_x.reshape(-1), "D_Gz": d_gz.reshape(-1)}


# --------------------------------------------------------------------------
# Jensen–Shannon family (Goodfellow et al. 2014; Kodali et al. 2017)
# --------------------------------------------------------------------------

def ns_d(ctx: Ctx):
    """-E log σ(D(x)) - E log(1-σ(D(G(z)))) = E softplus(-D(x)) + E softplus(D(G(z)))."""
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    return mean(softplus(-d_x)) + mean(softplus(d_gz)), outputs_aux(d_x, d_gz)


def minimax_g(ctx: Ctx):
    """E log(1-σ(D(G(z)))) = -E softplus(D(G(z)))  (Goodfellow et al. 2014, eq. 1)."""
    return -mean(softplus(ctx.nets["D"](ctx.Gz))), {}


def ns_g(ctx: Ctx):
    """-E log σ(D(G(z))) = E softplus(-D(G(z)))  (Goodfellow et al. 2014, Sec. 3)."""
    return mean(softplus(-ctx.nets["D"](ctx.Gz))), {}


def dragan_d(ctx: Ctx):
    """Non-saturating D loss + λ E(‖∇D(x̂)‖-1)², x̂ = x + α·C·std(x)·u (Kodali et al. 2017)."""
    base, aux = ns_d(ctx)
    D = ctx.nets["D"]
    std = ctx.x.std(unbiased=False)  # population std over all elements, a constant
    delta = ctx.coef["C"] * std * ctx.c("u")
    xhat = ctx.x + per_sample(ctx.c("alpha"), ctx.x) * delta
    norms = input_grad_norms(D, xhat)
    gp = mean((norms - 1) ** 2)
    aux.update({"std_x": std, "xhat": xhat, "grad_norms": norms, "gp": gp})
    return base + ctx.coef["lambda"] * gp, aux


# --------------------------------------------------------------------------
# Least squares and margin (Mao et al. 2016; Lim & Ye 2017)
# --------------------------------------------------------------------------

def lsgan_d(ctx: Ctx):
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    return mean((d_x - 1) ** 2) + mean(d_gz ** 2), outputs_aux(d_x, d_gz)


def lsgan_g(ctx: Ctx):
    return mean((ctx.nets["D"](ctx.Gz) - 1) ** 2), {}


def hinge_d(ctx: Ctx):
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    return mean(F.relu(1 - d_x)) + mean(F.relu(1 + d_gz)), outputs_aux(d_x, d_gz)


def critic_g(ctx: Ctx):
    """-E D(G(z)): the generator loss of hinge and of the whole WGAN family."""
    return -mean(ctx.nets["D"](ctx.Gz)), {}


# --------------------------------------------------------------------------
# Wasserstein / IPM family
# --------------------------------------------------------------------------

def wgan_d(ctx: Ctx):
    """E D(G(z)) - E D(x)  (Arjovsky et al. 2017, Alg. 1)."""
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    return mean(d_gz) - mean(d_x), outputs_aux(d_x, d_gz)


def wgan_gp_d(ctx: Ctx):
    """WGAN critic loss + λ E(‖∇D(x̂)‖-1)²  (Gulrajani et al. 2017, Alg. 1)."""
    base, _ = wgan_d(ctx)
    xhat = interpolate(ctx)
    norms = input_grad_norms(ctx.nets["D"], xhat)
    gp = mean((norms - 1) ** 2)
    return base + ctx.coef["lambda"] * gp, {"gp": gp, "xhat": xhat, "grad_norms": norms}


def wgan_lp_d(ctx: Ctx):
    """WGAN critic loss + λ E max(0, ‖∇D(x̂)‖-1)²  (Petzka et al. 2018, eq. 8)."""
    base, _ = wgan_d(ctx)
    xhat = interpolate(ctx)
    norms = input_grad_norms(ctx.nets["D"], xhat)
    lp = mean(F.relu(norms - 1) ** 2)
    return base + ctx.coef["lambda"] * lp, {"gp": lp, "xhat": xhat, "grad_norms": norms}


def rwgan_d(ctx: Ctx):
    """RWGAN (Guo et al. 2017): the WGAN critic loss; the relaxation lives in the asymmetric
    weight clamp [-c_lo, c_hi] applied after the step (reported in aux, see conventions.md)."""
    loss, aux = wgan_d(ctx)
    lo, hi = -ctx.coef["c_lo"], ctx.coef["c_hi"]
    aux["D_clamped"] = [[w.clamp(lo, hi), b.clamp(lo, hi)] for w, b in ctx.nets["D"].layers]
    return loss, aux


def mcgan_gap(ctx: Ctx):
    """‖E Φ(x) - E Φ(G(z))‖₂ with Φ = H, means over the batch per feature (Mroueh et al. 2017, eq. 4)."""
    H = ctx.nets["H"]
    diff = H(ctx.x).mean(dim=0) - H(ctx.Gz).mean(dim=0)
    return diff.norm(), diff


def mcgan_d(ctx: Ctx):
    gap, diff = mcgan_gap(ctx)
    return -gap, {"mean_diff": diff, "gap": gap}


def mcgan_g(ctx: Ctx):
    gap, _ = mcgan_gap(ctx)
    return gap, {}


def fisher_terms(ctx: Ctx):
    f = ctx.nets["D"]
    f_x, f_gz = f(ctx.x), f(ctx.Gz)
    e_hat = mean(f_x) - mean(f_gz)
    omega = 0.5 * (mean(f_x ** 2) + mean(f_gz ** 2))
    return f_x, f_gz, e_hat, omega


def fisher_d(ctx: Ctx):
    """-L_F, L_F = Ê + λ(1-Ω) - ρ/2 (1-Ω)²  (Mroueh & Sercu 2017, Alg. 1)."""
    f_x, f_gz, e_hat, omega = fisher_terms(ctx)
    lam, rho = ctx.coef["lambda"], ctx.coef["rho"]
    constraint = 1 - omega
    l_f = e_hat + lam * constraint - rho / 2 * constraint ** 2
    aux = outputs_aux(f_x, f_gz)
    # λ ← λ - ρ(1-Ω) with Ω at the parameters the loss was evaluated at: the reference code's
    # `Lambda += rho * Lambda.grad`, where d(-L_F)/dλ = -(1-Ω).
    aux.update({"E_hat": e_hat, "Omega": omega, "constraint": constraint,
                "lambda_next": lam - rho * constraint})
    return -l_f, aux


def fisher_g(ctx: Ctx):
    return -mean(ctx.nets["D"](ctx.Gz)), {}


def cramer_h(ctx: Ctx, v: torch.Tensor) -> torch.Tensor:
    """h(v)_i = ‖H(v_i) - H(G(z2)_i)‖₂ - ‖H(v_i)‖₂  (Bellemare et al. 2017, Alg. 1)."""
    H = ctx.nets["H"]
    hv = H(v)
    return (hv - H(ctx.Gz2)).norm(dim=1) - hv.norm(dim=1)


def cramer_d(ctx: Ctx):
    h_x, h_gz = cramer_h(ctx, ctx.x), cramer_h(ctx, ctx.Gz)
    l_g = mean(h_x) - mean(h_gz)
    xhat = interpolate(ctx)
    norms = input_grad_norms(lambda v: cramer_h(ctx, v), xhat)
    gp = mean((norms - 1) ** 2)
    return -l_g + ctx.coef["lambda"] * gp, {"h_x": h_x, "h_Gz": h_gz, "L_g": l_g, "gp": gp,
                                            "xhat": xhat, "grad_norms": norms}


def cramer_g(ctx: Ctx):
    return mean(cramer_h(ctx, ctx.x)) - mean(cramer_h(ctx, ctx.Gz)), {}


# --------------------------------------------------------------------------
# Relativistic (Jolicoeur-Martineau 2018)
# --------------------------------------------------------------------------

def rsgan_d(ctx: Ctx):
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    return mean(softplus(-(d_x - d_gz))), outputs_aux(d_x, d_gz)


def rsgan_g(ctx: Ctx):
    D = ctx.nets["D"]
    return mean(softplus(-(D(ctx.Gz) - D(ctx.x)))), {}


def ragan_pair(net: Mlp, ctx: Ctx):
    a_x, a_gz = net(ctx.x), net(ctx.Gz)
    return a_x, a_gz, mean(a_x), mean(a_gz)


def ragan_d_of(net: Mlp, ctx: Ctx):
    a_x, a_gz, mr, mf = ragan_pair(net, ctx)
    return mean(softplus(-(a_x - mf))) + mean(softplus(a_gz - mr)), a_x, a_gz


def ragan_g_of(net: Mlp, ctx: Ctx):
    a_x, a_gz, mr, mf = ragan_pair(net, ctx)
    return mean(softplus(-(a_gz - mr))) + mean(softplus(a_x - mf))


def ragan_d(ctx: Ctx):
    loss, d_x, d_gz = ragan_d_of(ctx.nets["D"], ctx)
    return loss, outputs_aux(d_x, d_gz)


def ragan_g(ctx: Ctx):
    return ragan_g_of(ctx.nets["D"], ctx), {}


def ralsgan_d(ctx: Ctx):
    d_x, d_gz, mr, mf = ragan_pair(ctx.nets["D"], ctx)
    return mean((d_x - mf - 1) ** 2) + mean((d_gz - mr + 1) ** 2), outputs_aux(d_x, d_gz)


def ralsgan_g(ctx: Ctx):
    d_x, d_gz, mr, mf = ragan_pair(ctx.nets["D"], ctx)
    return mean((d_gz - mr - 1) ** 2) + mean((d_x - mf + 1) ** 2), {}


def ragan_aux_d(ctx: Ctx):
    """RaGAN D loss on D plus the same RaGAN D loss on the auxiliary critic A (trained too);
    the parameter sets are disjoint, so D's gradient is exactly the RaGAN D gradient."""
    loss_d, d_x, d_gz = ragan_d_of(ctx.nets["D"], ctx)
    loss_a, a_x, a_gz = ragan_d_of(ctx.nets["A"], ctx)
    aux = outputs_aux(d_x, d_gz)
    aux.update({"A_x": a_x.reshape(-1), "A_Gz": a_gz.reshape(-1), "d_loss_D": loss_d, "d_loss_A": loss_a})
    return loss_d + loss_a, aux


def ragan_aux_g(ctx: Ctx):
    """RaGAN G loss + λ E log(1 - σ(A(G(z)) - E A(x))), log(1-σ(t)) = -softplus(t)."""
    base = ragan_g_of(ctx.nets["D"], ctx)
    A = ctx.nets["A"]
    t = A(ctx.Gz) - mean(A(ctx.x))
    aux_term = mean(-softplus(t))
    return base + ctx.coef["lambda"] * aux_term, {"g_loss_ragan": base, "aux_term": aux_term}


# --------------------------------------------------------------------------
# Autoencoder discriminators (Zhao et al. 2016; Berthelot et al. 2017; Wang et al. 2017)
# --------------------------------------------------------------------------

def ebgan_energy(ctx: Ctx, v: torch.Tensor) -> torch.Tensor:
    """e(v)_i = mean over sample i's elements of (AE(v_i) - v_i)²."""
    return ((ctx.nets["AE"](v) - v) ** 2).flatten(1).mean(dim=1)


def ebgan_d(ctx: Ctx):
    """E e(x) + E relu(m - e(G(z))), hinge per sample (Zhao et al. 2016, eq. 1)."""
    e_x, e_gz = ebgan_energy(ctx, ctx.x), ebgan_energy(ctx, ctx.Gz)
    m = ctx.coef["margin"]
    return mean(e_x) + mean(F.relu(m - e_gz)), {"e_x": e_x, "e_Gz": e_gz,
                                               "E_e_x": mean(e_x), "E_e_Gz": mean(e_gz)}


def ebgan_g(ctx: Ctx):
    """E e(G(z)) (Zhao et al. 2016, eq. 2), without the optional pulling-away term."""
    return mean(ebgan_energy(ctx, ctx.Gz)), {}


def magan_d(ctx: Ctx):
    """EBGAN D loss with margin state m; the margin rule (Wang et al. 2017, Alg. 1) is evaluated
    as if this batch were the whole epoch: if E e(x) < m and E e(G(z)) > E e(x), m ← E e(x)."""
    loss, aux = ebgan_d(ctx)
    m = ctx.coef["margin"]
    real, fake = aux["E_e_x"], aux["E_e_Gz"]
    fires = bool(real.item() < m and fake.item() > real.item())
    aux["margin_next"] = real if fires else torch.tensor(m, dtype=DTYPE)
    return loss, aux


def began_l(ctx: Ctx, v: torch.Tensor) -> torch.Tensor:
    """L(v) = mean over all elements of |AE(v) - v|  (Berthelot et al. 2017, eq. 1 with η = 1)."""
    return (ctx.nets["AE"](v) - v).abs().mean()


def began_d(ctx: Ctx):
    l_x, l_gz = began_l(ctx, ctx.x), began_l(ctx, ctx.Gz)
    k, gamma, lam_k = ctx.coef["k"], ctx.coef["gamma"], ctx.coef["lambda_k"]
    k_next = min(max(k + lam_k * (gamma * l_x.item() - l_gz.item()), 0.0), 1.0)
    m_global = l_x + (gamma * l_x - l_gz).abs()
    return l_x - k * l_gz, {"L_real": l_x, "L_fake": l_gz, "k_next": k_next, "M": m_global}


def began_g(ctx: Ctx):
    return began_l(ctx, ctx.Gz), {}


# --------------------------------------------------------------------------
# Moment matching (Li, Swersky & Zemel 2015; Li et al. 2017)
# --------------------------------------------------------------------------

def mix_gaussian_kernel(a: torch.Tensor, b: torch.Tensor, sigmas) -> torch.Tensor:
    """K_ij = Σ_σ exp(-‖a_i - b_j‖² / (2σ²)), samples flattened."""
    a, b = a.flatten(1), b.flatten(1)
    sq = ((a[:, None, :] - b[None, :, :]) ** 2).sum(dim=2)
    return sum(torch.exp(-sq / (2 * s * s)) for s in sigmas)


def mmd2_biased(a: torch.Tensor, b: torch.Tensor, sigmas) -> torch.Tensor:
    """V-statistic MMD²: mean K(a,a) + mean K(b,b) - 2 mean K(a,b), diagonals included."""
    return (mix_gaussian_kernel(a, a, sigmas).mean() + mix_gaussian_kernel(b, b, sigmas).mean()
            - 2 * mix_gaussian_kernel(a, b, sigmas).mean())


def gmmn_g(ctx: Ctx):
    return mmd2_biased(ctx.x, ctx.Gz, ctx.coef["sigmas"]), {}


def mmdgan_d(ctx: Ctx):
    H = ctx.nets["H"]
    mmd2 = mmd2_biased(H(ctx.x), H(ctx.Gz), ctx.coef["sigmas"])
    return -mmd2, {"mmd2": mmd2}


def mmdgan_g(ctx: Ctx):
    H = ctx.nets["H"]
    return mmd2_biased(H(ctx.x), H(ctx.Gz), ctx.coef["sigmas"]), {}


# --------------------------------------------------------------------------
# Regularisers, each on top of the non-saturating loss (Mescheder et al. 2018)
# --------------------------------------------------------------------------

def r1_d(ctx: Ctx):
    """NS D loss + γ/2 E‖∇_x D(x)‖²  (Mescheder et al. 2018, eq. 9)."""
    base, aux = ns_d(ctx)
    norms = input_grad_norms(ctx.nets["D"], ctx.x)
    pen = mean(norms ** 2)
    aux.update({"penalty": pen, "grad_norms": norms})
    return base + ctx.coef["gamma"] / 2 * pen, aux


def r2_d(ctx: Ctx):
    """NS D loss + γ/2 E‖∇ D(G(z))‖² at the (constant) generated samples (ibid., eq. 10)."""
    base, aux = ns_d(ctx)
    norms = input_grad_norms(ctx.nets["D"], ctx.Gz)
    pen = mean(norms ** 2)
    aux.update({"penalty": pen, "grad_norms": norms})
    return base + ctx.coef["gamma"] / 2 * pen, aux


def zero_gp_d(ctx: Ctx):
    """NS D loss + λ E‖∇D(x̂)‖² at x̂ = α x + (1-α) G(z)  (zero-centred GP, Thanh-Tung et al. 2019)."""
    base, aux = ns_d(ctx)
    xhat = interpolate(ctx)
    norms = input_grad_norms(ctx.nets["D"], xhat)
    pen = mean(norms ** 2)
    aux.update({"penalty": pen, "xhat": xhat, "grad_norms": norms})
    return base + ctx.coef["lambda"] * pen, aux


# --------------------------------------------------------------------------
# f-GAN (Nowozin, Cseke & Tomioka 2016, Table 2 and Sec. 3.2)
# --------------------------------------------------------------------------
# F(θ, ω) = E_P g_f(V(x)) - E_Q f*(g_f(V(G(z)))). The critic maximises F; the generator minimises it
# ("saturating": g = -E f*(g_f(V(G(z))))) or maximises E g_f(V(G(z))) (Sec. 3.2, the form used in their
# experiments: g = -E g_f(V(G(z)))). Each entry: (g_f(v), f*(g_f(v)) written in closed, stable form).

F_DIVERGENCES = {
    # total variation: g_f = ½ tanh v, f*(t) = t
    "tv": (lambda v: 0.5 * torch.tanh(v), lambda v: 0.5 * torch.tanh(v)),
    # Kullback-Leibler: g_f = v, f*(t) = exp(t - 1)
    "kl": (lambda v: v, lambda v: torch.exp(v - 1)),
    # reverse KL: g_f = -exp(-v), f*(t) = -1 - log(-t) = -1 + v
    "rkl": (lambda v: -torch.exp(-v), lambda v: -1 + v),
    # Pearson chi^2: g_f = v, f*(t) = t^2/4 + t
    "pearson": (lambda v: v, lambda v: v * v / 4 + v),
    # squared Hellinger: g_f = 1 - exp(-v), f*(t) = t/(1-t) = exp(v) - 1
    "hellinger": (lambda v: -torch.expm1(-v), lambda v: torch.expm1(v)),
    # GAN: g_f = -log(1 + exp(-v)) = -softplus(-v), f*(t) = -log(1 - exp(t)) = softplus(v)
    "gan": (lambda v: -softplus(-v), lambda v: softplus(v)),
}


def fgan_d(div: str):
    g_f, conj = F_DIVERGENCES[div]

    def d(ctx: Ctx):
        D = ctx.nets["D"]
        d_x, d_gz = D(ctx.x), D(ctx.Gz)
        return -mean(g_f(d_x)) + mean(conj(d_gz)), outputs_aux(d_x, d_gz)
    return d


def fgan_g(div: str, saturating: bool):
    g_f, conj = F_DIVERGENCES[div]

    def g(ctx: Ctx):
        v = ctx.nets["D"](ctx.Gz)
        return (-mean(conj(v)) if saturating else -mean(g_f(v))), {}
    return g


# --------------------------------------------------------------------------
# WGAN-div (Wu et al. 2018), Softmax GAN (Lin 2017)
# --------------------------------------------------------------------------

def wgan_div_d(ctx: Ctx):
    """E D(Gz) - E D(x) + k E_{P_u} ||grad D||^p, P_u = ½(P_r + P_g): k/2 (E||grad D(x)||^p + E||grad D(Gz)||^p)."""
    base, aux = wgan_d(ctx)
    D = ctx.nets["D"]
    k, p = ctx.coef["k"], ctx.coef["p"]
    n_x, n_gz = input_grad_norms(D, ctx.x), input_grad_norms(D, ctx.Gz)
    div = k / 2 * (mean(n_x ** p) + mean(n_gz ** p))
    aux.update({"div": div, "grad_norms_x": n_x, "grad_norms_Gz": n_gz})
    return base + div, aux


def softmax_log_partition(d_x: torch.Tensor, d_gz: torch.Tensor) -> torch.Tensor:
    """ln Z_B = ln sum over the real and generated batch of exp(-D), stable (torch.logsumexp)."""
    return torch.logsumexp(torch.cat([-d_x.reshape(-1), -d_gz.reshape(-1)]), dim=0)


def softmax_d(ctx: Ctx):
    """L_D = sum_{B+} D(x)/|B+| + ln Z_B  (Lin 2017, eq. 5)."""
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    log_z = softmax_log_partition(d_x, d_gz)
    aux = outputs_aux(d_x, d_gz)
    aux["log_partition"] = log_z
    return mean(d_x) + log_z, aux


def softmax_g(ctx: Ctx):
    """L_G = sum_{B} D(x)/|B| + ln Z_B, B = B+ ∪ B- of equal sizes  (Lin 2017, eq. 6)."""
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    return 0.5 * (mean(d_x) + mean(d_gz)) + softmax_log_partition(d_x, d_gz), {}


# --------------------------------------------------------------------------
# LeCam regularisation (Tseng et al. 2021) on hinge; top-k training (Sinha et al. 2020)
# --------------------------------------------------------------------------

def lecam_d(ctx: Ctx):
    """Hinge D loss + λ R_LC, R_LC = E (D(x) - α_F)² + E (D(Gz) - α_R)² (Tseng et al. 2021, eq. 3);
    α_R, α_F: moving averages (decay γ) of E D(x), E D(Gz), state before the step; aux *_next after it."""
    base, aux = hinge_d(ctx)
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x), D(ctx.Gz)
    a_r, a_f, lam, decay = ctx.coef["alpha_r"], ctx.coef["alpha_f"], ctx.coef["lambda"], ctx.coef["decay"]
    r_lc = mean((d_x - a_f) ** 2) + mean((d_gz - a_r) ** 2)
    aux.update({"r_lc": r_lc,
                "alpha_r_next": decay * a_r + (1 - decay) * mean(d_x).item(),
                "alpha_f_next": decay * a_f + (1 - decay) * mean(d_gz).item()})
    return base + lam * r_lc, aux


def topk_count(fraction: float, batch: int) -> int:
    """k = ceil(fraction * B), at least 1."""
    import math
    return max(1, math.ceil(fraction * batch))


def topk_g(ctx: Ctx):
    """Non-saturating G loss over the k = ceil(f·B) generated samples the critic scores highest
    (Sinha et al. 2020, Alg. 1): mean over those of softplus(-D(Gz)). End of epoch: f ← max(γ f, ν)."""
    d_gz = ctx.nets["D"](ctx.Gz).reshape(-1)
    f = ctx.coef["fraction"]
    k = topk_count(f, d_gz.numel())
    top = torch.topk(d_gz, k).values
    return mean(softplus(-top)), {"k": k, "fraction_next": max(ctx.coef["gamma"] * f, ctx.coef["nu"])}


# --------------------------------------------------------------------------
# Augmentation: DiffAugment (Zhao et al. 2020), bCR and zCR (Zhao et al. 2021)
# --------------------------------------------------------------------------
# On 2-D point batches the augmentation T is a jitter T(v) = v + σ n, n ~ N(0, 1) per element; the
# reference injects n (coefficients.n) and every draw of a step returns it, as alpha and u elsewhere.

def jitter(ctx: Ctx, v: torch.Tensor, sigma: float) -> torch.Tensor:
    return v + sigma * ctx.c("n")


def augment(ctx: Ctx, v: torch.Tensor) -> torch.Tensor:
    return jitter(ctx, v, ctx.coef["sigma"])


def diffaug_hinge_d(ctx: Ctx):
    """Hinge D loss on augmented batches: E relu(1 - D(T(x))) + E relu(1 + D(T(Gz))) (Zhao et al. 2020, eq. 2)."""
    D = ctx.nets["D"]
    d_x, d_gz = D(augment(ctx, ctx.x)), D(augment(ctx, ctx.Gz))
    return mean(F.relu(1 - d_x)) + mean(F.relu(1 + d_gz)), {"D_Tx": d_x.reshape(-1), "D_TGz": d_gz.reshape(-1)}


def diffaug_hinge_g(ctx: Ctx):
    """-E D(T(G(z))): the generator's gradient flows through the augmentation (Zhao et al. 2020, eq. 3)."""
    return -mean(ctx.nets["D"](augment(ctx, ctx.Gz))), {}


def bcr_d(ctx: Ctx):
    """NS D loss + λ_real E (D(x) - D(T(x)))² + λ_fake E (D(Gz) - D(T(Gz)))²  (Zhao et al. 2021, Alg. 1)."""
    base, aux = ns_d(ctx)
    D = ctx.nets["D"]
    real = mean((D(ctx.x) - D(augment(ctx, ctx.x))) ** 2)
    fake = mean((D(ctx.Gz) - D(augment(ctx, ctx.Gz))) ** 2)
    aux.update({"real_consistency": real, "fake_consistency": fake})
    return base + ctx.coef["lambda_real"] * real + ctx.coef["lambda_fake"] * fake, aux


def perturbed_generated(ctx: Ctx) -> torch.Tensor:
    """G(T(z)), T(z) = z + σ_noise n; a constant in the critic step like G(z)."""
    gtz = ctx.nets["G"](jitter(ctx, ctx.z, ctx.coef["sigma_noise"]))
    return gtz.detach() if ctx.critic_step else gtz


def zcr_d(ctx: Ctx):
    """NS D loss + λ_dis E (D(G(z)) - D(G(T(z))))²  (Zhao et al. 2021, Alg. 2)."""
    base, aux = ns_d(ctx)
    D = ctx.nets["D"]
    pen = mean((D(ctx.Gz) - D(perturbed_generated(ctx))) ** 2)
    aux["discriminator_consistency"] = pen
    return base + ctx.coef["lambda_dis"] * pen, aux


def zcr_g(ctx: Ctx):
    """NS G loss - λ_gen E ||G(z) - G(T(z))||², per-sample squared L2 norm  (Zhao et al. 2021, Alg. 2)."""
    base, _ = ns_g(ctx)
    spread = mean(((ctx.Gz - perturbed_generated(ctx)) ** 2).flatten(1).sum(dim=1))
    return base - ctx.coef["lambda_gen"] * spread, {"generator_spread": spread}


# --------------------------------------------------------------------------
# Conditional GANs (issue 16): class labels y (of x) and yz (drawn with z, G(z, yz))
# --------------------------------------------------------------------------
# Label-taking nets read one-hot labels appended to their input (OneHotMlp); a net with class heads returns
# [B, 1 + H·K]: column 0 the score, then H heads of K class logits each, in declaration order.

def cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-sample CE(logits, label) = -log softmax(logits)[label], via log_softmax (stable for any logit)."""
    return -F.log_softmax(logits, dim=1).gather(1, labels.unsqueeze(1)).squeeze(1)


def score_column(out: torch.Tensor) -> torch.Tensor:
    """Column 0 of a net with class heads: its score, [B]."""
    return out[:, 0]


def class_head(out: torch.Tensor, index: int, classes: int) -> torch.Tensor:
    """Head `index` (from 0) of a net with class heads: columns 1 + index·K to (index + 1)·K, [B, K]."""
    return out[:, 1 + index * classes: 1 + (index + 1) * classes]


def cgan_d(ctx: Ctx):
    """-E log σ(D(x, y)) - E log(1 - σ(D(G(z, yz), yz))) = E softplus(-D(x, y)) + E softplus(D(G(z, yz), yz))
    (Mirza & Osindero 2014, eq. 2, in logits)."""
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x, ctx.y), D(ctx.Gz, ctx.yz)
    return mean(softplus(-d_x)) + mean(softplus(d_gz)), outputs_aux(d_x, d_gz)


def cgan_g(ctx: Ctx):
    """Non-saturating -E log σ(D(G(z, yz), yz)) = E softplus(-D(G(z, yz), yz)) (Goodfellow et al. 2014, Sec. 3)."""
    return mean(softplus(-ctx.nets["D"](ctx.Gz, ctx.yz))), {}


def projection_hinge_d(ctx: Ctx):
    """E relu(1 - D(x, y)) + E relu(1 + D(G(z, yz), yz)): the hinge loss (Lim & Ye 2017) on a conditional D,
    as SNGAN's projection discriminator is trained (Miyato & Koyama 2018)."""
    D = ctx.nets["D"]
    d_x, d_gz = D(ctx.x, ctx.y), D(ctx.Gz, ctx.yz)
    return mean(F.relu(1 - d_x)) + mean(F.relu(1 + d_gz)), outputs_aux(d_x, d_gz)


def projection_hinge_g(ctx: Ctx):
    """-E D(G(z, yz), yz) (Miyato & Koyama 2018)."""
    return -mean(ctx.nets["D"](ctx.Gz, ctx.yz)), {}


def acgan_parts(ctx: Ctx, v: torch.Tensor, labels: torch.Tensor):
    """D's score and the per-head mean CE of its class heads against `labels`, from one forward pass."""
    out = ctx.nets["D"](v)
    heads = (out.shape[1] - 1) // ctx.classes
    return score_column(out), [mean(cross_entropy(class_head(out, i, ctx.classes), labels)) for i in range(heads)]


def acgan_d(ctx: Ctx):
    """L_D = E softplus(-s(x)) + E softplus(s(G(z, yz))) + λ (E CE(Q(x), y) + E CE(Q(G(z, yz)), yz))
    with s = D's score column and Q its class head (Odena, Olah & Shlens 2017, eqs. 2-3: D maximises L_S + L_C)."""
    s_x, (ce_x, *_) = acgan_parts(ctx, ctx.x, ctx.y)
    s_gz, (ce_gz, *_) = acgan_parts(ctx, ctx.Gz, ctx.yz)
    source = mean(softplus(-s_x)) + mean(softplus(s_gz))
    aux = {"D_x": s_x, "D_Gz": s_gz, "source": source, "ce_Q_x": ce_x, "ce_Q_Gz": ce_gz}
    return source + ctx.coef["lambda"] * (ce_x + ce_gz), aux


def acgan_g(ctx: Ctx):
    """L_G = E softplus(-s(G(z, yz))) + λ E CE(Q(G(z, yz)), yz): the paper's G maximises L_C - L_S; the source term
    in its non-saturating form (the authors' and common code)."""
    s_gz, (ce_gz, *_) = acgan_parts(ctx, ctx.Gz, ctx.yz)
    return mean(softplus(-s_gz)) + ctx.coef["lambda"] * ce_gz, {}


def tac_gan_d(ctx: Ctx):
    """E softplus(-s(x)) + E softplus(s(G(z, yz))) + λ (E CE(Q(x), y) + E CE(Qmi(G(z, yz)), yz)): Q learns the real
    samples' classes, the twin classifier Qmi (D's second head) the generated samples' (Gong et al. 2019, as the
    authors' code trains it, loss type Twin_AC: unlike AC-GAN's L_D, no Q term on generated samples)."""
    s_x, (ce_x, _) = acgan_parts(ctx, ctx.x, ctx.y)
    s_gz, (_, ce_mi) = acgan_parts(ctx, ctx.Gz, ctx.yz)
    source = mean(softplus(-s_x)) + mean(softplus(s_gz))
    aux = {"D_x": s_x, "D_Gz": s_gz, "source": source, "ce_Q_x": ce_x, "ce_Qmi_Gz": ce_mi}
    return source + ctx.coef["lambda"] * (ce_x + ce_mi), aux


def tac_gan_g(ctx: Ctx):
    """E softplus(-s(G(z, yz))) + λ (E CE(Q(G(z, yz)), yz) - E CE(Qmi(G(z, yz)), yz)): the generator maximises the
    twin classifier's loss, removing AC-GAN's bias to easily classified samples (Gong et al. 2019)."""
    s_gz, (ce_gz, ce_mi) = acgan_parts(ctx, ctx.Gz, ctx.yz)
    return mean(softplus(-s_gz)) + ctx.coef["lambda"] * (ce_gz - ce_mi), {}


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

@dataclass
class LossSpec:
    formula: str
    critic: Optional[str]              # net trained by d_loss (grad_d), None for GMMN
    d: Optional[Callable]              # critic-step loss, None when there is no critic
    g: Callable                        # generator-step loss
    aux_critic: Optional[str] = None   # a second critic-side net also trained by d_loss (grad_d_aux)
    # Conditional losses: which file net plays each of the loss's networks ({"D": "Dy", "G": "Gy"}); the critic
    # above is the file net playing D. Every other loss reads the file's nets under their own names.
    plays: Optional[Dict[str, str]] = None

    @property
    def generator(self) -> str:
        """The file net that plays G (grad_g is w.r.t. its parameters)."""
        return (self.plays or {}).get("G", "G")


LOSSES: Dict[str, LossSpec] = {
    "minimax": LossSpec("d = E softplus(-D(x)) + E softplus(D(Gz)); g = -E softplus(D(Gz)) [= E log(1-sigmoid(D(Gz)))]",
                        "D", ns_d, minimax_g),
    "nonsaturating": LossSpec("d = E softplus(-D(x)) + E softplus(D(Gz)); g = E softplus(-D(Gz))", "D", ns_d, ns_g),
    "dragan": LossSpec("d = nonsaturating d + lambda*E(||grad D(xhat)_i||-1)^2, xhat = x + alpha_i*C*std(x)*u, "
                       "std population over all elements of x (constant); g = nonsaturating g", "D", dragan_d, ns_g),
    "lsgan": LossSpec("d = E (D(x)-1)^2 + E D(Gz)^2; g = E (D(Gz)-1)^2 (no 1/2 factors)", "D", lsgan_d, lsgan_g),
    "hinge": LossSpec("d = E relu(1-D(x)) + E relu(1+D(Gz)); g = -E D(Gz)", "D", hinge_d, critic_g),
    "wgan": LossSpec("d = E D(Gz) - E D(x); g = -E D(Gz) (weight clipping [-0.01,0.01] after the step, not part of the loss)",
                     "D", wgan_d, critic_g),
    "wgan-gp": LossSpec("xhat_i = alpha_i x_i + (1-alpha_i) Gz_i; d = E D(Gz) - E D(x) + lambda*E(||grad D(xhat)_i||-1)^2; g = -E D(Gz)",
                        "D", wgan_gp_d, critic_g),
    "wgan-lp": LossSpec("xhat as wgan-gp; d = E D(Gz) - E D(x) + lambda*E max(0, ||grad D(xhat)_i||-1)^2; g = -E D(Gz)",
                        "D", wgan_lp_d, critic_g),
    "rwgan": LossSpec("d = E D(Gz) - E D(x) (WGAN critic loss; after the step clamp critic weights to [-c_lo, c_hi], "
                      "aux.D_clamped); g = -E D(Gz)", "D", rwgan_d, critic_g),
    "mcgan": LossSpec("critic H (features). d = -||E H(x) - E H(Gz)||_2 (means over the batch per feature); g = +||E H(x) - E H(Gz)||_2",
                      "H", mcgan_d, mcgan_g),
    "fisher": LossSpec("critic D (score f). E_hat = E f(x) - E f(Gz); Omega = (E f(x)^2 + E f(Gz)^2)/2; "
                       "d = -(E_hat + lambda(1-Omega) - rho/2 (1-Omega)^2); g = -E f(Gz); lambda_next = lambda - rho(1-Omega)",
                       "D", fisher_d, fisher_g),
    "cramer": LossSpec("critic H. h(v)_i = ||H(v_i) - H(Gz2_i)||_2 - ||H(v_i)||_2; L_g = E h(x) - E h(Gz); "
                       "d = -L_g + lambda*E(||grad_xhat sum_i h(xhat_i)||_i - 1)^2 at xhat = alpha x + (1-alpha) Gz, Gz and Gz2 constant; "
                       "g = L_g with gradients through Gz and Gz2", "H", cramer_d, cramer_g),
    "rsgan": LossSpec("d = E softplus(-(D(x)_i - D(Gz)_i)); g = E softplus(-(D(Gz)_i - D(x)_i))", "D", rsgan_d, rsgan_g),
    "ragan": LossSpec("mr = E D(x), mf = E D(Gz). d = E softplus(-(D(x)-mf)) + E softplus(D(Gz)-mr); "
                      "g = E softplus(-(D(Gz)-mr)) + E softplus(D(x)-mf)", "D", ragan_d, ragan_g),
    "ralsgan": LossSpec("d = E (D(x)-mf-1)^2 + E (D(Gz)-mr+1)^2; g = E (D(Gz)-mr-1)^2 + E (D(x)-mf+1)^2", "D", ralsgan_d, ralsgan_g),
    "ragan-aux": LossSpec("d = RaGAN d on D + RaGAN d on A (A trained by the same critic step; grad_d = D's gradient, "
                          "grad_d_aux = A's); g = RaGAN g on D + lambda*E(-softplus(A(Gz) - E A(x))) "
                          "[= lambda*E log(1 - sigmoid(A(Gz) - E A(x)))]", "D", ragan_aux_d, ragan_aux_g, aux_critic="A"),
    "ebgan": LossSpec("critic AE. e(v)_i = mean over sample i's elements of (AE(v_i)-v_i)^2; d = E e(x) + E relu(m - e(Gz)_i); g = E e(Gz)",
                      "AE", ebgan_d, ebgan_g),
    "began": LossSpec("L(v) = mean over all elements |v-AE(v)|. d = L(x) - k*L(Gz); g = L(Gz); "
                      "k_next = clip(k + lambda_k*(gamma*L(x) - L(Gz)), 0, 1); M = L(x) + |gamma*L(x) - L(Gz)|", "AE", began_d, began_g),
    "magan": LossSpec("EBGAN losses with margin state m (coefficients.margin). margin_next = E e(x) if E e(x) < m and "
                      "E e(Gz) > E e(x) (this batch taken as the epoch), else m", "AE", magan_d, ebgan_g),
    "gmmn": LossSpec("no critic. g = MMD^2 biased = mean K(x,x) + mean K(Gz,Gz) - 2 mean K(x,Gz), "
                     "K(u,v) = sum_s exp(-||u-v||^2/(2 s^2)), diagonals included", None, None, gmmn_g),
    "mmdgan": LossSpec("critic H as features f. d = -MMD^2(H(x), H(Gz)); g = +MMD^2(H(x), H(Gz)); MMD^2 and kernel as gmmn; "
                       "no reconstruction term, no one-sided term", "H", mmdgan_d, mmdgan_g),
    "r1": LossSpec("base nonsaturating. d = E softplus(-D(x)) + E softplus(D(Gz)) + gamma/2 * E ||grad_x D(x)_i||^2; g = E softplus(-D(Gz))",
                   "D", r1_d, ns_g),
    "r2": LossSpec("base nonsaturating. d = E softplus(-D(x)) + E softplus(D(Gz)) + gamma/2 * E ||grad D(Gz)_i||^2 (Gz constant); "
                   "g = E softplus(-D(Gz))", "D", r2_d, ns_g),
    "zero-gp": LossSpec("base nonsaturating. xhat = alpha x + (1-alpha) Gz; d = E softplus(-D(x)) + E softplus(D(Gz)) + "
                        "lambda * E ||grad D(xhat)_i||^2; g = E softplus(-D(Gz))", "D", zero_gp_d, ns_g),
}


F_GAN_FORMULAS = {
    "tv": "g_f(v) = tanh(v)/2, f*(g_f(v)) = tanh(v)/2",
    "kl": "g_f(v) = v, f*(g_f(v)) = exp(v-1)",
    "rkl": "g_f(v) = -exp(-v), f*(g_f(v)) = -1 + v",
    "pearson": "g_f(v) = v, f*(g_f(v)) = v^2/4 + v",
    "hellinger": "g_f(v) = 1 - exp(-v) = -expm1(-v), f*(g_f(v)) = exp(v) - 1 = expm1(v)",
    "gan": "g_f(v) = -softplus(-v), f*(g_f(v)) = softplus(v)",
}
for _div, _formula in F_GAN_FORMULAS.items():
    LOSSES[f"fgan-{_div}"] = LossSpec(
        f"f-GAN {_div}: {_formula}; d = -E g_f(D(x)) + E f*(g_f(D(Gz))); g = -E g_f(D(Gz)) (Sec. 3.2 alternative)",
        "D", fgan_d(_div), fgan_g(_div, saturating=False))
    LOSSES[f"fgan-{_div}-saturating"] = LossSpec(
        f"f-GAN {_div}: {_formula}; d = -E g_f(D(x)) + E f*(g_f(D(Gz))); g = -E f*(g_f(D(Gz))) (saddle point form)",
        "D", fgan_d(_div), fgan_g(_div, saturating=True))

LOSSES.update({
    "wgan-div": LossSpec("d = E D(Gz) - E D(x) + k/2 (E ||grad D(x)_i||^p + E ||grad D(Gz)_i||^p); g = -E D(Gz)",
                         "D", wgan_div_d, critic_g),
    "softmax-gan": LossSpec("ln Z = logsumexp over x and Gz of -D; d = E D(x) + ln Z; g = (E D(x) + E D(Gz))/2 + ln Z",
                            "D", softmax_d, softmax_g),
    "lecam": LossSpec("hinge d + lambda (E (D(x) - alpha_f)^2 + E (D(Gz) - alpha_r)^2), alpha_* state; "
                      "alpha_r_next = decay alpha_r + (1-decay) E D(x), alpha_f_next likewise with D(Gz); g = -E D(Gz)",
                      "D", lecam_d, critic_g),
    "topk": LossSpec("d = nonsaturating d; g = mean over the ceil(fraction B) largest D(Gz)_i of softplus(-D(Gz)_i); "
                     "fraction_next = max(gamma fraction, nu) (end of epoch)", "D", ns_d, topk_g),
    "diffaug-hinge": LossSpec("T(v) = v + sigma n (points); d = E relu(1 - D(T(x))) + E relu(1 + D(T(Gz))); g = -E D(T(Gz))",
                              "D", diffaug_hinge_d, diffaug_hinge_g),
    "bcr": LossSpec("T(v) = v + sigma n (points); d = nonsaturating d + lambda_real E (D(x) - D(T(x)))^2 "
                    "+ lambda_fake E (D(Gz) - D(T(Gz)))^2; g = nonsaturating g", "D", bcr_d, ns_g),
    "zcr": LossSpec("T(z) = z + sigma_noise n; d = nonsaturating d + lambda_dis E (D(Gz) - D(G(T(z))))^2 (G(T(z)) constant); "
                    "g = nonsaturating g - lambda_gen E ||Gz - G(T(z))||^2 (per-sample squared L2)", "D", zcr_d, zcr_g),
})


LOSSES.update({
    "cgan": LossSpec("nets D = Dy, G = Gy (one-hot labels appended to the input). d = E softplus(-D(x,y)) + "
                     "E softplus(D(Gz,yz)); g = E softplus(-D(Gz,yz)), Gz = G(z,yz)", "Dy", cgan_d, cgan_g,
                     plays={"D": "Dy", "G": "Gy"}),
    "acgan": LossSpec("nets D = Dq (score, then Q's K logits), G = Gy. s = column 0, Q = columns 1..K; CE(l, c) = -log_softmax(l)[c]; "
                      "d = E softplus(-s(x)) + E softplus(s(Gz)) + lambda (E CE(Q(x),y) + E CE(Q(Gz),yz)); "
                      "g = E softplus(-s(Gz)) + lambda E CE(Q(Gz),yz), Gz = G(z,yz)", "Dq", acgan_d, acgan_g,
                      plays={"D": "Dq", "G": "Gy"}),
    "projection-hinge": LossSpec("nets D = Dy, G = Gy. d = E relu(1 - D(x,y)) + E relu(1 + D(Gz,yz)); g = -E D(Gz,yz), Gz = G(z,yz)",
                                 "Dy", projection_hinge_d, projection_hinge_g, plays={"D": "Dy", "G": "Gy"}),
    "tac-gan": LossSpec("nets D = Dqq (score, Q's K logits, then Qmi's K logits), G = Gy. d = E softplus(-s(x)) + E softplus(s(Gz)) + "
                        "lambda (E CE(Q(x),y) + E CE(Qmi(Gz),yz)) (Q on real samples only, as the authors' code); "
                        "g = E softplus(-s(Gz)) + lambda (E CE(Q(Gz),yz) - E CE(Qmi(Gz),yz)), Gz = G(z,yz)",
                        "Dqq", tac_gan_d, tac_gan_g, plays={"D": "Dqq", "G": "Gy"}),
})


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

@dataclass
class Labels:
    """The class labels of a conditional file: y (of x), yz (drawn with z) and K."""
    y: torch.Tensor
    yz: torch.Tensor
    classes: int


def loss_nets(spec: LossSpec, nets: Dict[str, Mlp]) -> Dict[str, Mlp]:
    """The nets as the loss names them: the file's, with the ones `plays` maps under the loss's names."""
    if not spec.plays:
        return nets
    out = dict(nets)
    out.update({role: nets[file_net] for role, file_net in spec.plays.items()})
    return out

def _to_plain(v):
    """Tensors and nested lists/tuples of tensors -> Python floats and lists (for JSON)."""
    if isinstance(v, torch.Tensor):
        return v.item() if v.dim() == 0 else v.detach().tolist()
    if isinstance(v, (list, tuple)):
        return [_to_plain(e) for e in v]
    if isinstance(v, bool):
        return v
    return float(v)


def generated(nets: Dict[str, Mlp], z: torch.Tensor, z2: torch.Tensor, labels: Optional[Labels] = None):
    """G(z), G(z2); a label-taking G is given yz with each: G(z, yz), G(z2, yz)."""
    G = nets["G"]
    if isinstance(G, OneHotMlp):
        return G(z, labels.yz), G(z2, labels.yz)
    return G(z), G(z2)


def _ctx(spec: LossSpec, nets, x, z, z2, coef, labels: Optional[Labels], critic_step: bool) -> Ctx:
    named = loss_nets(spec, nets)
    Gz, Gz2 = generated(named, z, z2, labels)
    if critic_step:
        Gz, Gz2 = Gz.detach(), Gz2.detach()
    ctx = Ctx(named, x, Gz, Gz2, coef or {}, z=z, critic_step=critic_step)
    if labels is not None:
        ctx.y, ctx.yz, ctx.classes = labels.y, labels.yz, labels.classes
    return ctx


def d_loss_value(spec: LossSpec, nets, x, z, z2, coef, labels: Optional[Labels] = None):
    """Critic-step loss with G(z), G(z2) as constants."""
    return spec.d(_ctx(spec, nets, x, z, z2, coef, labels, critic_step=True))


def g_loss_value(spec: LossSpec, nets, x, z, z2, coef, labels: Optional[Labels] = None):
    """Generator-step loss through the (unchanged) critic."""
    return spec.g(_ctx(spec, nets, x, z, z2, coef, labels, critic_step=False))


def evaluate(name: str, nets: Dict[str, Mlp], x, z, z2, coef, labels: Optional[Labels] = None) -> dict:
    """One golden-format entry for loss `name` (values, gradients, aux)."""
    spec = LOSSES[name]
    entry = {"formula": spec.formula, "critic": spec.critic}
    if spec.plays:
        entry["generator"] = spec.generator
    aux: dict = {}
    if spec.d is not None:
        d_loss, d_aux = d_loss_value(spec, nets, x, z, z2, coef, labels)
        critic = nets[spec.critic]
        trained = critic.params() + (nets[spec.aux_critic].params() if spec.aux_critic else [])
        grads = torch.autograd.grad(d_loss, trained)
        n = len(critic.params())
        entry["d_loss"] = d_loss.item()
        entry["grad_d"] = grads_to_json(spec.critic, critic, list(grads[:n]))
        if spec.aux_critic:
            entry["grad_d_aux"] = grads_to_json(spec.aux_critic, nets[spec.aux_critic], list(grads[n:]))
        aux.update(d_aux)
    else:
        entry["d_loss"] = None
        entry["grad_d"] = None
    g_loss, g_aux = g_loss_value(spec, nets, x, z, z2, coef, labels)
    G = nets[spec.generator]
    entry["g_loss"] = g_loss.item()
    entry["grad_g"] = grads_to_json(spec.generator, G, list(torch.autograd.grad(g_loss, G.params())))
    aux.update(g_aux)
    entry["aux"] = {k: _to_plain(v) for k, v in aux.items()}
    entry["coefficients"] = coef
    return entry


# --------------------------------------------------------------------------
# Comparison helpers (shared by the finite-difference and golden checks)
# --------------------------------------------------------------------------

REL_TOL = 1e-9
ABS_TOL = 1e-12


def flatten_numbers(v) -> List[float]:
    if v is None:
        return []
    if isinstance(v, dict):
        out = []
        for layer in v["layers"]:
            out += flatten_numbers(layer["W"]) + flatten_numbers(layer["b"])
        return out
    if isinstance(v, (list, tuple)):
        return [f for e in v for f in flatten_numbers(e)]
    return [float(v)]


def close(a: float, b: float, rel=REL_TOL, abs_=ABS_TOL) -> bool:
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def compare(label: str, expected, actual, failures: List[str], rel=REL_TOL, abs_=ABS_TOL) -> int:
    """Compares two (nested) numeric values element-wise; appends a message per mismatch.
    Returns the number of scalars compared."""
    if (expected is None) != (actual is None):
        failures.append(f"{label}: expected {expected!r}, got {actual!r}")
        return 0
    e, a = flatten_numbers(expected), flatten_numbers(actual)
    if len(e) != len(a):
        failures.append(f"{label}: expected {len(e)} numbers, got {len(a)}")
        return 0
    for i, (u, v) in enumerate(zip(e, a)):
        if not close(u, v, rel, abs_):
            failures.append(f"{label}[{i}]: expected {u!r}, got {v!r} (rel diff {abs(u - v) / max(abs(u), abs(v)):.3e})")
    return len(e)


def nets_from_json(nets_json: dict, classes: int = 0) -> Dict[str, Mlp]:
    """The file's nets; one with `label_input: "one-hot"` takes labels (K = the file's `classes`)."""
    nets: Dict[str, Mlp] = {}
    for name, net in nets_json.items():
        mlp = Mlp.from_json(net)
        label_input = net.get("label_input")
        if label_input is None:
            nets[name] = mlp
        elif label_input == "one-hot" and classes > 0:
            nets[name] = OneHotMlp(mlp.layers, classes)
        else:
            raise ValueError(f"net {name}: label_input {label_input!r} with classes {classes} (expected 'one-hot' and classes > 0)")
    return nets


def labels_from_json(data: dict) -> Optional[Labels]:
    """inputs.y, inputs.yz and classes of a conditional file; None for a file without labels."""
    inputs = data["inputs"]
    if "y" not in inputs:
        return None
    t = lambda k: torch.tensor(inputs[k], dtype=torch.int64)  # noqa: E731
    return Labels(t("y"), t("yz"), int(data["classes"]))


def inputs_from_json(inputs_json: dict):
    t = lambda k: torch.tensor(inputs_json[k], dtype=DTYPE)
    return t("x"), t("z"), t("z2")
