#!/usr/bin/python3
"""Independent float64 reference values for GanDsl's image metrics (src/Runtime/Evaluation/ImageMetrics.cs).

Written from the papers' definitions with plain numpy (Debian's python3-numpy; no torch, no scipy), by other
routes than the C# code where one exists:
  * FID: tr((S1 S2)^1/2) as the sum of square roots of the eigenvalues of the non-symmetric product S1 S2
    (np.linalg.eigvals; they are real and >= 0 for PSD S1, S2), where GanDsl takes eigh of S1^1/2 S2 S1^1/2;
    plus closed forms: diagonal covariances, and S2 = c S1 (FID = |dmu|^2 + (1 - sqrt c)^2 tr S1).
  * KID: unbiased MMD^2 with k(x, y) = (x.y/d + 1)^3 written as explicit double sums over i != j (Bińkowski et
    al. 2018, eq. of Gretton et al. 2012), over subsets whose indices are stored here; mean and population std.
  * Precision/recall (Kynkäänniemi et al. 2019, k = 3): radii from sorted explicit Euclidean distances,
    membership by "<= radius of some sample".
  * Unbiasedness: the mean of the unbiased MMD^2 over 200 pairs of independent draws from one distribution.

Run:  /usr/bin/python3 tests/reference/evaluation/make_evaluation_reference.py > tests/reference/evaluation/evaluation_reference.json
"""
import json
import sys

import numpy as np


def cov(x):
    return np.cov(x, rowvar=False, ddof=1)


def fid_eigvals(mu1, s1, mu2, s2):
    eig = np.linalg.eigvals(s1 @ s2)
    assert np.max(np.abs(eig.imag)) < 1e-8 * max(1.0, np.max(np.abs(eig.real))), eig
    root_trace = np.sum(np.sqrt(np.clip(eig.real, 0, None)))
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * root_trace)


def kernel(x, y):
    d = x.shape[1]
    return (x @ y.T / d + 1.0) ** 3


def mmd2_unbiased(x, y):
    m, n = len(x), len(y)
    kxx = kernel(x, x)
    kyy = kernel(y, y)
    kxy = kernel(x, y)
    sxx = sum(kxx[i, j] for i in range(m) for j in range(m) if i != j)
    syy = sum(kyy[i, j] for i in range(n) for j in range(n) if i != j)
    return float(sxx / (m * (m - 1)) + syy / (n * (n - 1)) - 2 * kxy.sum() / (m * n))


def radii(x, k):
    d = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    return np.sort(d, axis=1)[:, k]          # column 0 is the point itself


def inside(queries, manifold, r):
    d = np.sqrt(((queries[:, None, :] - manifold[None, :, :]) ** 2).sum(-1))
    return float(np.mean((d <= r[None, :]).any(axis=1)))


def main():
    rng = np.random.default_rng(20240610)
    out = {"generator": "tests/reference/evaluation/make_evaluation_reference.py", "numpy": np.__version__}

    # Two feature sets of different sizes and distributions, d = 8 (correlated, shifted, scaled).
    d = 8
    a = rng.normal(size=(300, d)) @ rng.normal(size=(d, d)) * 0.5 + 0.2
    b = rng.normal(size=(250, d)) @ rng.normal(size=(d, d)) * 0.6 - 0.1
    b[:, 0] += 1.0
    out["features"] = {"a": a.tolist(), "b": b.tolist()}
    out["fid_ab"] = fid_eigvals(a.mean(0), cov(a), b.mean(0), cov(b))
    out["fid_aa"] = fid_eigvals(a.mean(0), cov(a), a.mean(0), cov(a))
    out["mean_a"] = a.mean(0).tolist()
    out["cov_a"] = cov(a).tolist()

    # Closed forms.
    mu1 = np.array([0.0, 1.0, -2.0, 0.5])
    mu2 = np.array([1.0, 1.0, 0.0, 0.0])
    v1 = np.array([1.0, 4.0, 0.25, 2.0])
    v2 = np.array([9.0, 1.0, 0.25, 0.5])
    out["gauss_diag"] = {"mu1": mu1.tolist(), "mu2": mu2.tolist(), "s1": np.diag(v1).tolist(), "s2": np.diag(v2).tolist(),
                         "closed_form": float(np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2))}
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    s1 = q @ np.diag([3.0, 1.0, 0.5, 0.1, 2.0]) @ q.T
    c = 2.5
    m1 = rng.normal(size=5)
    m2 = rng.normal(size=5)
    out["gauss_scaled"] = {"mu1": m1.tolist(), "mu2": m2.tolist(), "s1": s1.tolist(), "s2": (c * s1).tolist(),
                           "closed_form": float(np.sum((m1 - m2) ** 2) + (1 - np.sqrt(c)) ** 2 * np.trace(s1)),
                           "eigvals_route": fid_eigvals(m1, s1, m2, c * s1)}
    # A singular covariance (rank 2 in 4 dimensions): the square roots must stay real.
    z = rng.normal(size=(50, 2)) @ rng.normal(size=(2, 4))
    w = rng.normal(size=(60, 4))
    out["singular"] = {"a": z.tolist(), "b": w.tolist(), "fid": fid_eigvals(z.mean(0), cov(z), w.mean(0), cov(w))}

    # KID: unbiased MMD^2 of the whole sets, and over 5 stored subsets of 40.
    out["mmd2_ab"] = mmd2_unbiased(a, b)
    subsets = [(rng.choice(300, 40, replace=False).tolist(), rng.choice(250, 40, replace=False).tolist()) for _ in range(5)]
    values = [mmd2_unbiased(a[np.array(i)], b[np.array(j)]) for i, j in subsets]
    out["kid_subsets"] = [{"x": i, "y": j} for i, j in subsets]
    out["kid_mean"] = float(np.mean(values))
    out["kid_std"] = float(np.std(values))

    # Unbiasedness: same distribution, many independent draws of 50 against 50.
    draws = []
    for _ in range(200):
        x = rng.normal(size=(50, 4))
        y = rng.normal(size=(50, 4))
        draws.append(mmd2_unbiased(x, y))
    out["unbiased_mean_of_200"] = float(np.mean(draws))
    out["unbiased_std_of_200"] = float(np.std(draws))

    # Precision and recall, k = 3.
    ra = radii(a, 3)
    rb = radii(b, 3)
    out["precision_b_vs_a"] = inside(b, a, ra)   # generated b inside the real manifold of a
    out["recall_b_vs_a"] = inside(a, b, rb)      # real a inside the generated manifold of b
    out["radii_a_first5"] = ra[:5].tolist()

    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
