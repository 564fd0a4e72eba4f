"""Activation functions σ and their derivatives σ′ (seed 001, eq. (20): a^[l] = σ(z^[l])).

Every function is elementwise on an array z of any shape (a batch is (n_l, B), examples are
columns) and keeps z's float dtype. `softmax` works over axis 0 (one column per example).
"""
import numpy as np

__all__ = ["sigmoid", "sigmoid_prime", "tanh", "tanh_prime", "relu", "relu_prime",
           "leaky_relu", "leaky_relu_prime", "identity", "identity_prime", "softmax",
           "ACTIVATIONS"]


def _float(z):
    z = np.asarray(z)
    if z.dtype.kind == "f":
        return z
    if z.dtype.kind in "iub":
        return z.astype(np.float64)
    raise TypeError(f"activation: expected a float array, got dtype {z.dtype}")


def sigmoid(z):
    """σ(z) = 1 / (1 + e^{-z}), computed as exp(−log(1 + e^{−z})): no overflow for any z."""
    z = _float(z)
    return np.exp(-np.logaddexp(0.0, -z))


def sigmoid_prime(z):
    """σ′(z) = σ(z)(1 − σ(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z):
    """tanh(z)."""
    return np.tanh(_float(z))


def tanh_prime(z):
    """tanh′(z) = 1 − tanh(z)²."""
    t = np.tanh(_float(z))
    return 1.0 - t * t


def relu(z):
    """max(z, 0)."""
    z = _float(z)
    return np.maximum(z, 0.0, dtype=z.dtype)


def relu_prime(z):
    """1 where z > 0, else 0 (we take the derivative at 0 to be 0, like PyTorch)."""
    z = _float(z)
    return (z > 0).astype(z.dtype)


def leaky_relu(z, slope=0.01):
    """z for z > 0, slope·z otherwise."""
    z = _float(z)
    return np.where(z > 0, z, z * z.dtype.type(slope))


def leaky_relu_prime(z, slope=0.01):
    """1 for z > 0, slope otherwise."""
    z = _float(z)
    return np.where(z > 0, z.dtype.type(1), z.dtype.type(slope))


def identity(z):
    """z (a linear output layer)."""
    return _float(z)


def identity_prime(z):
    """1 everywhere."""
    return np.ones_like(_float(z))


def softmax(z):
    """softmax over axis 0 (each column is an example); stable: subtracts the column max."""
    z = _float(z)
    e = np.exp(z - z.max(axis=0, keepdims=True))
    e /= e.sum(axis=0, keepdims=True)
    return e


ACTIVATIONS = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "identity": (identity, identity_prime),
}
