#!/usr/bin/env python3
"""Write tensorly_fixtures.json: golden outputs of TensorLy, NumPy and scikit-learn that the Go
tests of deeptucker/multilinear, deeptucker/hooi and deeptucker/metrics compare against.

Pinned versions (the fixtures in the repository were written with exactly these):
    python 3.11, tensorly==0.10.0, numpy==2.4.6, scikit-learn==1.9.1

Regenerate (the Go tests never need Python), from the repository root:
    python3 -m venv .tlvenv        # ignored by git
    .tlvenv/bin/pip install tensorly==0.10.0 numpy==2.4.6 scikit-learn==1.9.1
    .tlvenv/bin/python deeptucker/testdata/gen_tensorly_fixtures.py

A full regeneration moves the stored numbers by ~1e-14 on another machine (OpenBLAS picks its
kernels by CPU). To add cases without touching the others, rewrite only the hooi_init section
(tucker started from a given decomposition), computed from the inputs already stored:
    .tlvenv/bin/python deeptucker/testdata/gen_tensorly_fixtures.py --keep-existing
Every other section is then read back and written again byte for byte.

"Leaky" HOOI cases call tucker(x, rank, mask=m) with the COMPLETE tensor x, hidden values still
in it: TensorLy's SVD initialisation, its initial core and the norm in its error then read the
hidden entries (package hooi reproduces this with hooi.ReadHiddenEntries, a calibration tool,
not a baseline). The honest cases pass x * m, as a user without the hidden values must.

Every input tensor is written into the fixture, so the Go side never regenerates data from a
seed. Tensors are {"shape": [...], "data": [...]} in C (row-major) order; a matrix is a tensor
of order 2; a mask is a tensor of 0/1 (1 = observed, TensorLy's convention). Floats are written
with Python's shortest round-trip repr, so they load bit-exact.
"""
import json
import os
import sys

import numpy as np
import sklearn
import tensorly as tl
from sklearn.metrics import mean_squared_error, r2_score
from tensorly.decomposition import tucker
from tensorly.tenalg import mode_dot, multi_mode_dot
from tensorly.tucker_tensor import TuckerTensor

PINNED = {"tensorly": "0.10.0", "numpy": "2.4.6", "scikit-learn": "1.9.1"}
TOL = 1e-4  # TensorLy's default tol for tucker (written 10e-5 there)


def check_versions():
    got = {"tensorly": tl.__version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__}
    if got != PINNED:
        sys.exit(f"versions {got} differ from the pinned {PINNED}; install the pinned ones")


def enc(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.ravel(order="C").tolist()}


def low_rank(rng, shape, rank, noise):
    """A Tucker tensor with orthonormal factors and a core of decreasing slice norms, plus noise."""
    core = rng.standard_normal(rank) * 0.5
    core[(0,) * len(rank)] += 3.0
    factors = [np.linalg.qr(rng.standard_normal((d, r)))[0] for d, r in zip(shape, rank)]
    x = tl.tucker_to_tensor((core, factors))
    return x + noise * rng.standard_normal(shape)


def stop_margin(errors):
    """Smallest distance of |delta rec_error| from tol over the checks tucker makes: if it were
    tiny, rounding could change the iteration HOOI stops at and parity would be fragile."""
    margins = [abs(abs(errors[i - 1] - errors[i]) - TOL) for i in range(2, len(errors))]
    return min(margins) if margins else float("inf")


def hosvd_case(name, x, ranks):
    """HOSVD the TensorLy way: tucker with n_iter_max=0 returns its SVD init,
    factors = signed leading left singular vectors of each unfolding, core = x x_n U_n^T."""
    shape = x.shape
    full_sv = []
    for n, d in enumerate(shape):
        s = np.linalg.svd(tl.unfold(x, n), compute_uv=False)
        full_sv.append(np.pad(s, (0, d - len(s))).tolist())
    out = {"name": name, "input": enc(x), "singular_values": full_sv}
    for key, rank in (("full", list(shape)), ("truncated", ranks)):
        core, factors = tucker(x, rank, n_iter_max=0, random_state=0)
        # Factor columns past min(d_n, prod of the other sizes) are an arbitrary orthonormal
        # completion (TensorLy 0.10 draws them at random, _complete_factor), and so are the
        # matching core slices (zero): the Go tests compare only the first comparable_columns.
        min_cols = [min(d, x.size // d) for d in shape]
        out[key] = {
            "rank": list(rank),
            "core": enc(core),
            "factors": [enc(f) for f in factors],
            "comparable_columns": [min(r, c) for r, c in zip(rank, min_cols)],
            "reconstruction": enc(tl.tucker_to_tensor((core, factors))),
        }
    return out


def hooi_case(name, x, rank, mask=None, leaky=False):
    if leaky and mask is None:
        sys.exit(f"{name}: a leaky case needs a mask")
    if not leaky and mask is not None and np.any(x[mask == 0] != 0):
        sys.exit(f"{name}: an honest case must hold 0 at its missing entries")
    kwargs = {"return_errors": True}
    if mask is not None:
        kwargs["mask"] = mask
    tt, errors = tucker(x, rank, **kwargs)
    core, factors = tt
    margin = stop_margin(errors)
    print(f"{name}: {len(errors)} iterations, smallest |delta - tol| = {margin:.3g}", file=sys.stderr)
    if margin < 1e-8:
        sys.exit(f"{name}: the stopping test is too close to tol; choose another input")
    out = {
        "name": name,
        "input": enc(x),
        "rank": list(rank),
        "core": enc(core),
        "factors": [enc(f) for f in factors],
        "rec_errors": [float(e) for e in errors],
        "iterations": len(errors),
        "reconstruction": enc(tl.tucker_to_tensor((core, factors))),
    }
    if mask is not None:
        out["mask"] = enc(mask)
    if leaky:
        out["leaky"] = True
    return out


def hooi_init_case(name, x, rank, init, mask=None, leaky=False, n_iter_max=100):
    """tucker(x, rank, init=init, mask=mask, n_iter_max=n_iter_max, return_errors=True), init a
    TuckerTensor, a (core, factors) tuple or a list of factors alone (TensorLy then computes the
    core as x x_n U_n^T from the input). The init is written as given (init_core null for a list
    of factors); TensorLy gets copies, since partial_tucker overwrites the factor list in place."""
    if leaky and mask is None:
        sys.exit(f"{name}: a leaky case needs a mask")
    if not leaky and mask is not None and np.any(x[mask == 0] != 0):
        sys.exit(f"{name}: an honest case must hold 0 at its missing entries")
    if isinstance(init, TuckerTensor):
        kind, core0, factors0 = "tucker_tensor", init[0], list(init[1])
        arg = TuckerTensor((core0.copy(), [f.copy() for f in factors0]))
    elif isinstance(init, tuple):
        kind, (core0, factors0) = "tuple", init
        arg = (core0.copy(), [f.copy() for f in factors0])
    else:
        kind, core0, factors0 = "factors", None, list(init)
        arg = [f.copy() for f in factors0]
    kwargs = {"return_errors": True, "init": arg, "n_iter_max": n_iter_max}
    if mask is not None:
        kwargs["mask"] = mask
    tt, errors = tucker(x, rank, **kwargs)
    core, factors = tt
    margin = stop_margin(errors)
    print(f"{name}: {len(errors)} iterations, smallest |delta - tol| = {margin:.3g}", file=sys.stderr)
    if margin < 1e-8:
        sys.exit(f"{name}: the stopping test is too close to tol; choose another input")
    out = {
        "name": name,
        "input": enc(x),
        "rank": list(rank),
        "init_kind": kind,
        "init_core": None if core0 is None else enc(core0),
        "init_factors": [enc(f) for f in factors0],
        "n_iter_max": n_iter_max,
        "core": enc(core),
        "factors": [enc(f) for f in factors],
        "rec_errors": [float(e) for e in errors],
        "iterations": len(errors),
        "reconstruction": enc(tl.tucker_to_tensor((core, factors))),
    }
    if mask is not None:
        out["mask"] = enc(mask)
    if leaky:
        out["leaky"] = True
    return out


def random_like(rng, shape, rank):
    """A decomposition drawn as TensorLy's init="random" draws one: core uniform in
    [0.01, 1.01), factors uniform in [0, 1)."""
    core = rng.random(rank) + 0.01
    return core, [rng.random((d, r)) for d, r in zip(shape, rank)]


def perturbed(rng, x, rank, mask, scale):
    """The truncated HOSVD of x (TensorLy's SVD init, with the mask's imputation rounds) with
    Gaussian noise of relative size `scale` added to the core and to every factor."""
    core, factors = tucker(x, rank, n_iter_max=0, mask=mask, random_state=0)
    core = core + scale * np.linalg.norm(core) / np.sqrt(core.size) * rng.standard_normal(core.shape)
    factors = [f + scale / np.sqrt(f.shape[0]) * rng.standard_normal(f.shape) for f in factors]
    return core, factors


def metrics_case(name, pred, target, mask):
    sel = mask.astype(bool)
    t, p = target[sel], pred[sel]
    r2x = 1.0 - np.sum((t - p) ** 2) / np.sum(t**2)
    return {
        "name": name,
        "pred": enc(pred),
        "target": enc(target),
        "mask": enc(mask),
        "mse": float(mean_squared_error(t, p)),
        "r2": float(r2_score(t, p)),  # force_finite=True: constant target gives 1.0 or 0.0
        "r2x": float(r2x),
    }


def hooi_init_cases(t):
    """HOOI started from a given decomposition (init=TuckerTensor, a (core, factors) tuple or a
    list of factors; hooi.WithInitTucker) on the tensors `t` of the hosvd and hooi sections, written
    again. The inits come from a generator of their own, so that the sections above keep their values."""
    a, d, e, f, f_in, f_mask = t["a"], t["d"], t["e"], t["f"], t["f_in"], t["f_mask"]
    g, g_in, g_mask, h, h_mask = t["g"], t["g_in"], t["g_mask"], t["h"], t["h_mask"]
    ri = np.random.default_rng(20261203)
    return [
        hooi_init_case("init_random_6x5x4", d, [2, 3, 2], TuckerTensor(random_like(ri, d.shape, [2, 3, 2]))),
        hooi_init_case("init_random_gauss_4x5x6", a, [2, 2, 2], random_like(ri, a.shape, [2, 2, 2])),
        hooi_init_case("init_random_masked_8x7x6", f_in, [3, 2, 3], random_like(ri, f.shape, [3, 2, 3]), mask=f_mask),
        hooi_init_case("init_perturbed_masked_8x7x6", f_in, [3, 2, 3], perturbed(ri, f_in, [3, 2, 3], f_mask, 0.5), mask=f_mask),
        hooi_init_case("init_perturbed_masked_10x6x11_70missing", h * h_mask, [3, 3, 3],
                       perturbed(ri, h * h_mask, [3, 3, 3], h_mask, 0.5), mask=h_mask),
        hooi_init_case("init_factors_masked_5x4x3x4", g_in, [2, 2, 2, 2], random_like(ri, g.shape, [2, 2, 2, 2])[1], mask=g_mask),
        hooi_init_case("init_factors_masked_8x7x6_0iter", f_in, [3, 2, 3], random_like(ri, f.shape, [3, 2, 3])[1], mask=f_mask,
                       n_iter_max=0),
        hooi_init_case("init_random_masked_5x4x3x4_2iter", g_in, [2, 2, 2, 2], random_like(ri, g.shape, [2, 2, 2, 2]), mask=g_mask,
                       n_iter_max=2),
        hooi_init_case("init_warm_lowrank_4x3x5x3", e, [2, 2, 3, 2], tucker(e, [2, 2, 3, 2])),
        hooi_init_case("leaky_init_random_masked_8x7x6", f, [3, 2, 3], random_like(ri, f.shape, [3, 2, 3]), mask=f_mask, leaky=True),
        hooi_init_case("leaky_init_factors_10x6x11_70missing", h, [3, 3, 3], random_like(ri, h.shape, [3, 3, 3])[1], mask=h_mask,
                       leaky=True),
    ]


def stored_inputs(fx):
    """The tensors hooi_init_cases needs, read back from a fixture file's hosvd and hooi sections."""
    def dec(arr):
        return np.array(arr["data"], dtype=np.float64).reshape(arr["shape"])

    cases = {c["name"]: c for c in fx["hooi"]}
    return {
        "a": dec(fx["hosvd"][0]["input"]),
        "d": dec(cases["lowrank_6x5x4"]["input"]),
        "e": dec(cases["lowrank_4x3x5x3"]["input"]),
        "f": dec(cases["leaky_masked_8x7x6"]["input"]),
        "f_in": dec(cases["masked_8x7x6"]["input"]),
        "f_mask": dec(cases["masked_8x7x6"]["mask"]),
        "g": dec(cases["leaky_masked_5x4x3x4"]["input"]),
        "g_in": dec(cases["masked_5x4x3x4"]["input"]),
        "g_mask": dec(cases["masked_5x4x3x4"]["mask"]),
        "h": dec(cases["leaky_10x6x11_70missing"]["input"]),
        "h_mask": dec(cases["leaky_10x6x11_70missing"]["mask"]),
    }


def write(fixtures, path):
    with open(path, "w") as fh:
        json.dump(fixtures, fh, indent=None, separators=(",", ":"))
        fh.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)", file=sys.stderr)


def main():
    check_versions()
    tl.set_backend("numpy")
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tensorly_fixtures.json")
    if "--keep-existing" in sys.argv[1:]:
        with open(path) as fh:
            fixtures = json.load(fh)
        fixtures["hooi_init"] = hooi_init_cases(stored_inputs(fixtures))
        write(fixtures, path)
        return
    rng = np.random.default_rng(20240502)

    a = rng.standard_normal((4, 5, 6))
    b = rng.standard_normal((3, 4, 5, 2))
    c = rng.standard_normal((7, 2, 3))  # d_0 = 7 > 2*3: U_0 needs a completion
    m = rng.standard_normal((3, 5))  # for mode_dot on mode 2 of b (size 5)

    ops = {
        "input": enc(b),
        "unfold": [enc(tl.unfold(b, n)) for n in range(b.ndim)],
        "mode_dot_matrix": enc(m),
        "mode_dot_mode": 2,
        "mode_dot": enc(mode_dot(b, m, 2)),
        "multi_mode_dot_matrices": [enc(rng.standard_normal((k, d))) for k, d in zip((2, 3, 4, 2), b.shape)],
    }
    mats = [np.array(mm["data"]).reshape(mm["shape"]) for mm in ops["multi_mode_dot_matrices"]]
    ops["multi_mode_dot"] = enc(multi_mode_dot(b, mats))
    small = rng.standard_normal((2, 3, 4, 2))  # projected back by the transposed matrices
    ops["multi_mode_dot_transpose_input"] = enc(small)
    ops["multi_mode_dot_transpose"] = enc(multi_mode_dot(small, mats, transpose=True))

    hosvd = [
        hosvd_case("gauss_4x5x6", a, [2, 3, 4]),
        hosvd_case("gauss_3x4x5x2", b, [2, 2, 3, 1]),
        hosvd_case("gauss_7x2x3", c, [3, 2, 2]),
    ]

    d = low_rank(rng, (6, 5, 4), (2, 3, 2), noise=0.05)
    e = low_rank(rng, (4, 3, 5, 3), (2, 2, 3, 2), noise=0.05)
    f = low_rank(rng, (8, 7, 6), (3, 2, 3), noise=0.01)
    f_mask = (rng.random(f.shape) >= 0.3).astype(np.float64)  # 30% missing
    f_in = f * f_mask  # missing entries are 0 in TensorLy's input: NaN * 0 would be NaN
    g = low_rank(rng, (5, 4, 3, 4), (2, 2, 2, 2), noise=0.01)
    g_mask = (rng.random(g.shape) >= 0.3).astype(np.float64)
    g_in = g * g_mask
    hooi = [
        hooi_case("lowrank_6x5x4", d, [2, 3, 2]),
        hooi_case("lowrank_4x3x5x3", e, [2, 2, 3, 2]),
        hooi_case("gauss_4x5x6_slow", a, [2, 2, 2]),
        hooi_case("masked_8x7x6", f_in, [3, 2, 3], mask=f_mask),
        hooi_case("masked_5x4x3x4", g_in, [2, 2, 2, 2], mask=g_mask),
    ]

    target = rng.standard_normal((4, 5, 3))
    pred = target + 0.3 * rng.standard_normal(target.shape)
    mask = (rng.random(target.shape) < 0.4).astype(np.float64)
    const_target = np.full((2, 3), 1.5)
    one_mask = np.ones((2, 3))
    metrics = [
        metrics_case("noisy_4x5x3", pred, target, mask),
        metrics_case("all_observed_4x5x3", pred, target, np.ones(target.shape)),
        metrics_case("constant_target_imperfect", const_target + 0.1 * rng.standard_normal((2, 3)), const_target, one_mask),
        metrics_case("constant_target_perfect", const_target.copy(), const_target, one_mask),
    ]

    # Leaky calls (the complete tensor with the mask), drawn after everything above so that the
    # other fixtures keep their values: the two masked tensors again, and a COVID-sized
    # (10, 6, 11) tensor with 70% of its entries hidden (the paper's literal real-data protocol).
    h = low_rank(rng, (10, 6, 11), (3, 3, 3), noise=0.1)
    h_mask = (rng.random(h.shape) >= 0.7).astype(np.float64)
    hooi += [
        hooi_case("leaky_masked_8x7x6", f, [3, 2, 3], mask=f_mask, leaky=True),
        hooi_case("leaky_masked_5x4x3x4", g, [2, 2, 2, 2], mask=g_mask, leaky=True),
        hooi_case("leaky_10x6x11_70missing", h, [3, 3, 3], mask=h_mask, leaky=True),
        hooi_case("masked_10x6x11_70missing", h * h_mask, [3, 3, 3], mask=h_mask),
    ]

    inputs = {"a": a, "d": d, "e": e, "f": f, "f_in": f_in, "f_mask": f_mask, "g": g, "g_in": g_in, "g_mask": g_mask,
              "h": h, "h_mask": h_mask}
    fixtures = {
        "generator": "deeptucker/testdata/gen_tensorly_fixtures.py",
        "versions": PINNED,
        "tol": TOL,
        "ops": ops,
        "hosvd": hosvd,
        "hooi": hooi,
        "metrics": metrics,
        "hooi_init": hooi_init_cases(inputs),
    }
    write(fixtures, path)


if __name__ == "__main__":
    main()
