"""Weight initialisation. Each initialiser returns an (n_out, n_in) array (the shape of W^[l]).

Scaled:  `xavier` (Glorot normal, std √(2/(n_in+n_out))), `he` (std √(2/n_in)), `uniform`
(Glorot uniform on [−√(6/(n_in+n_out)), +√(6/(n_in+n_out))]).
Naive (for the lecture that contrasts them): `zeros`, `constant`, `standard_normal` (N(0,1))
and `normal` (scale·N(0,1), scale=0.5 is Higham & Higham's choice for weights and biases).
"""
import numpy as np

__all__ = ["xavier", "he", "normal", "standard_normal", "zeros", "constant", "uniform", "INITS"]


def _rng(rng):
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def xavier(n_out, n_in, rng=None, dtype=np.float64):
    """Glorot/Xavier normal: N(0, 2/(n_in + n_out)) — keeps activation variance for tanh/sigmoid."""
    return (_rng(rng).standard_normal((n_out, n_in)) * np.sqrt(2.0 / (n_in + n_out))).astype(dtype)


def he(n_out, n_in, rng=None, dtype=np.float64):
    """He/Kaiming normal: N(0, 2/n_in) — keeps activation variance for relu."""
    return (_rng(rng).standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)).astype(dtype)


def normal(n_out, n_in, rng=None, scale=0.5, dtype=np.float64):
    """scale·N(0, 1); scale=0.5 is Higham & Higham's 0.5*randn."""
    return (_rng(rng).standard_normal((n_out, n_in)) * scale).astype(dtype)


def standard_normal(n_out, n_in, rng=None, dtype=np.float64):
    """N(0, 1) regardless of width: saturates sigmoids in wide layers."""
    return _rng(rng).standard_normal((n_out, n_in)).astype(dtype)


def zeros(n_out, n_in, rng=None, dtype=np.float64):
    """All zeros: every hidden unit stays identical (the symmetry problem)."""
    return np.zeros((n_out, n_in), dtype=dtype)


def constant(n_out, n_in, rng=None, value=0.1, dtype=np.float64):
    """All equal to `value`: the same symmetry problem as zeros."""
    return np.full((n_out, n_in), value, dtype=dtype)


def uniform(n_out, n_in, rng=None, limit=None, dtype=np.float64):
    """U(−limit, limit); limit defaults to Glorot's √(6/(n_in + n_out))."""
    if limit is None:
        limit = np.sqrt(6.0 / (n_in + n_out))
    return _rng(rng).uniform(-limit, limit, (n_out, n_in)).astype(dtype)


INITS = {"xavier": xavier, "glorot": xavier, "he": he, "normal": normal,
         "standard_normal": standard_normal, "zeros": zeros, "constant": constant,
         "uniform": uniform}
