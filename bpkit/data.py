"""Small data sets generated offline from a seed. X is (d, N): examples are columns.

Classification sets return (X, y) with integer labels y (N,); use one_hot(y, k) for targets.
`higham()` returns the 10 points of Higham & Higham's example with one-hot targets (2, 10).
`digits()` is the one real data set: UCI's optical handwritten digits, 8×8 (shipped in
bpkit/datasets/, CC BY 4.0, see bpkit/datasets/README.md; nothing is downloaded).
"""
import gzip
from pathlib import Path

import numpy as np

__all__ = ["higham", "xor", "circles", "blobs", "spirals", "moons", "regression_1d", "one_hot",
           "scale_to_unit", "train_test_split", "digits"]


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def higham():
    """Higham & Higham's 10 points: X (2, 10); Y (2, 10), [1,0] for points 1–5 (category A),
    [0,1] for points 6–10 (category B)."""
    x1 = [0.1, 0.3, 0.1, 0.6, 0.4, 0.6, 0.5, 0.9, 0.4, 0.7]
    x2 = [0.1, 0.4, 0.5, 0.9, 0.2, 0.3, 0.6, 0.2, 0.4, 0.6]
    X = np.array([x1, x2])
    Y = np.zeros((2, 10))
    Y[0, :5] = 1
    Y[1, 5:] = 1
    return X, Y


def xor(n=200, noise=0.1, rng=None):
    """Four Gaussian clusters at the corners of [0,1]²; label = x1 XOR x2 (corner-wise)."""
    rng = _rng(rng)
    corners = rng.integers(0, 2, size=(2, n))
    X = corners + noise * rng.standard_normal((2, n))
    return X, (corners[0] ^ corners[1]).astype(np.int64)


def circles(n=200, noise=0.05, factor=0.5, rng=None):
    """Two concentric circles (radius 1 and `factor`); label 1 = inner circle."""
    rng = _rng(rng)
    y = np.arange(n) % 2
    t = rng.uniform(0, 2 * np.pi, n)
    r = np.where(y == 1, factor, 1.0)
    X = np.vstack([r * np.cos(t), r * np.sin(t)]) + noise * rng.standard_normal((2, n))
    return X, y.astype(np.int64)


def blobs(n=200, centers=3, std=0.5, d=2, rng=None, spread=3.0):
    """`centers` Gaussian blobs in d dimensions with random centres in [−spread, spread]^d."""
    rng = _rng(rng)
    C = rng.uniform(-spread, spread, size=(d, centers))
    y = np.arange(n) % centers
    X = C[:, y] + std * rng.standard_normal((d, n))
    return X, y.astype(np.int64)


def spirals(n=200, noise=0.2, turns=1.5, rng=None):
    """Two interleaved spirals (CS231n style); label = arm."""
    rng = _rng(rng)
    y = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    t = turns * 2 * np.pi * r + np.pi * y + noise * rng.standard_normal(n)
    X = np.vstack([r * np.cos(t), r * np.sin(t)])
    return X, y.astype(np.int64)


def moons(n=200, noise=0.1, rng=None):
    """Two interleaving half circles; label = moon."""
    rng = _rng(rng)
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    X = np.where(y == 0, np.vstack([np.cos(t), np.sin(t)]),
                 np.vstack([1 - np.cos(t), 0.5 - np.sin(t)]))
    return X + noise * rng.standard_normal((2, n)), y.astype(np.int64)


def regression_1d(n=100, noise=0.1, rng=None):
    """x uniform on [−1, 1], y = sin(3x) + 0.5x + noise. Returns X (1, n), Y (1, n)."""
    rng = _rng(rng)
    x = np.sort(rng.uniform(-1, 1, n))
    y = np.sin(3 * x) + 0.5 * x + noise * rng.standard_normal(n)
    return x[None, :], y[None, :]


def one_hot(y, k=None):
    """Integer labels (N,) -> one-hot targets (k, N), one column per example."""
    y = np.asarray(y)
    if y.ndim != 1 or y.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected integer labels of shape (N,), got dtype {y.dtype} shape {y.shape}")
    k = int(y.max()) + 1 if k is None else k
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"one_hot: labels must lie in 0..{k - 1}")
    Y = np.zeros((k, y.size))
    Y[y, np.arange(y.size)] = 1.0
    return Y


def scale_to_unit(X, lo=None, hi=None, return_range=False):
    """Feature scaling to [0, 1] per row (Cornell CS3780 lecture 22: "scale features to within [0,1]").

    Returns X_scaled, or (X_scaled, (lo, hi)) with return_range=True; pass lo, hi from the
    training set to scale test data alike. Constant features map to 0."""
    X = np.asarray(X, dtype=float)
    if lo is None:
        lo = X.min(axis=1, keepdims=True)
        hi = X.max(axis=1, keepdims=True)
    span = np.where(hi > lo, hi - lo, 1.0)
    S = (X - lo) / span
    return (S, (lo, hi)) if return_range else S


def train_test_split(X, y, frac=0.8, rng=None):
    """Random split of the columns: (X_train, X_test, y_train, y_test); frac goes to training.
    y may be labels (N,) or targets (k, N)."""
    rng = _rng(rng)
    X, y = np.asarray(X), np.asarray(y)
    n = X.shape[1]
    if y.shape[-1] != n:
        raise ValueError(f"train_test_split: X has {n} columns but y has shape {y.shape}")
    perm = rng.permutation(n)
    m = int(round(frac * n))
    tr, te = perm[:m], perm[m:]
    return X[:, tr], X[:, te], y[..., tr], y[..., te]


_DIGITS = Path(__file__).resolve().parent / "datasets" / "digits.csv.gz"
_DIGITS_CACHE = {}


def digits():
    """UCI optical recognition of handwritten digits, 8×8 (Alpaydin & Kaynak; CC BY 4.0).

    Returns X (64, 1797), float64 pixel counts 0..16 with pixel (r, c) of the 8×8 image in row
    8r + c (one image per column: X[:, i].reshape(8, 8) shows it), and y (1797,) int64 labels
    0..9. Read from the file shipped in bpkit/datasets/ (no download); fresh arrays every call.
    """
    if "Xy" not in _DIGITS_CACHE:
        with gzip.open(_DIGITS, "rt") as f:
            table = np.loadtxt(f, delimiter=",")
        if table.shape != (1797, 65):
            raise ValueError(f"digits: {_DIGITS} holds a table of shape {table.shape}, expected "
                             "(1797, 65): 64 pixels and a label per row")
        _DIGITS_CACHE["Xy"] = (np.ascontiguousarray(table[:, :64].T), table[:, 64].astype(np.int64))
    X, y = _DIGITS_CACHE["Xy"]
    return X.copy(), y.copy()
