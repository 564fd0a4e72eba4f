"""Layers with one API for all (CS231n style), each backward right beside its forward.

    out, cache = layer.forward(x, train=True)   # x is (n_in, B): examples are COLUMNS
    dx = layer.backward(dout, cache)            # dout = ∂C/∂out; fills layer.grads; returns ∂C/∂x

Every layer has `.name`, `.params` (dict name -> array, maybe empty) and `.grads` (same keys).
Checks. `forward`/`backward` are the checked entry points; every layer checks there, and names
itself in any error:
  - dtype: integers and bools are cast to float, anything else is a TypeError; layers with
    parameters want the parameters' float dtype (astype() to change it);
  - shape: 2-D (n_in, B) with examples as columns, n_in rows where the layer knows n_in;
  - values: every layer rejects NaN; every layer except `Activation` also rejects ±inf.
    An activation maps ±inf to its limit (relu(−inf) = 0, σ(−inf) = 0, σ(inf) = 1,
    tanh(±inf) = ±1, as PyTorch does), so it accepts them.
  - backward: the upstream gradient must have the output's shape and be finite; a list (or any
    array-like) is converted, and its dtype becomes the layer's parameter dtype.
The math lives in `_forward`/`_backward`, which Network calls directly once it has checked the
widths at construction: inside a Network only the first layer checks its input (the user's X),
and NaN/inf born later (a diverged training run) is caught by the loss, which checks the
network's output. A subclass that overrides forward/backward is always called through its own
methods.

Names. A layer built without name= is named after its kind and its 1-based position in the list
that holds it (a Network's layers, or a composite's inner layers): Network([Dense, Activation,
Dense, Residual([Dense, BatchNorm])]) names them 'dense1', 'sigmoid2', 'dense3', 'residual4',
and the inner ones 'dense1', 'batchnorm2' inside 'residual4'. A composite exposes its inner
layers' parameters under dotted keys ("dense1.W"; "proj.W" for a Residual's projection), so a
Network reports 'residual4.dense1.W'. The arrays are the inner layers' own (live) arrays.
Positions make names unique; two layers given the same name explicitly are an error.

Buffers. `layer.buffers()` gives the non-trainable state (batch norm's running statistics),
dotted like params for composites; Network.state() and gradcheck use it.

Gradients are sums over the batch columns; the loss already divides by N (Cornell CS3780
lecture 22: a minibatch gradient is the average over the batch), so nothing here divides by B.
"""
import numpy as np

from . import init as _init
from .activations import ACTIVATIONS, _sigmoid

_add_reduce = np.add.reduce
_dot = np.dot
_isfinite = np.isfinite


_ONES = {}


def _ones(n, dtype):
    """A cached (n, 1) column of ones: row sums as x @ ones (BLAS) beat x.sum(axis=1) ~3x."""
    key = (n, dtype)
    o = _ONES.get(key)
    if o is None:
        if len(_ONES) > 64:
            _ONES.clear()
        o = _ONES[key] = np.ones((n, 1), dtype)
    return o


def _all_finite(x):
    """True if the float array x has no NaN/inf. For a large 2-D x, the row sums by BLAS
    (x @ ones: NaN and inf propagate into them) are ~2x cheaper than numpy's elementwise test;
    only if they are not finite (or overflowed) do we look elementwise."""
    if x.ndim == 2 and x.size > 1024:
        s = _dot(x, _ones(x.shape[1], x.dtype))
        if _isfinite(_add_reduce(s, None)):
            return True
    return bool(_isfinite(x).all())


def _no_nan(x):
    """True if x has no NaN (±inf allowed; a sum would warn on inf − inf)."""
    return not np.isnan(x).any()


def _recast(v, dtype):
    """v as a new array of dtype; the old v becomes read-only, so anyone still holding it (a
    list taken before astype) gets an error on an in-place update instead of a silent no-op."""
    new = v.astype(dtype)
    v.flags.writeable = False
    return new


__all__ = ["Layer", "Dense", "Activation", "BatchNorm", "Residual", "DenseConnection", "Dropout"]


def fast_forward(layer):
    """layer._forward if layer.forward is one of our checked wrappers, else layer.forward
    (so a subclass that overrides forward, e.g. to plant a bug, is still called)."""
    if getattr(type(layer).forward, "_checked", False):
        return layer._forward
    return layer.forward


def fast_backward(layer):
    """Like fast_forward, for backward."""
    if getattr(type(layer).backward, "_checked", False):
        return layer._backward
    return layer.backward


class Layer:
    """Base class: naming, input checks and width bookkeeping."""
    n_in = None          # expected input rows, or None if the layer accepts any width
    params: dict
    grads: dict

    def __init__(self, name=None):
        self._auto_name = name is None
        self.name = name if name is not None else self.kind
        self.params, self.grads = {}, {}

    @property
    def kind(self):
        return type(self).__name__.lower()

    def __repr__(self):
        return f"{type(self).__name__}('{self.name}')"

    def _who(self):
        return f"{type(self).__name__} '{self.name}'"

    def out_width(self, n_in):
        """Output rows for n_in input rows (None: unknown); raises ValueError on a mismatch."""
        if self.n_in is not None and n_in is not None and n_in != self.n_in:
            raise ValueError(f"{self._who()}: expected input with {self.n_in} rows (n_in), "
                             f"but the previous layer outputs {n_in} rows")
        return n_in

    def _check(self, x, dtype=None, values=True):
        """Return x as a float (n, B) array or raise TypeError/ValueError naming this layer."""
        if type(x) is not np.ndarray:
            x = np.asarray(x)
        k = x.dtype.kind
        if k != "f":
            if k in "iub":
                x = x.astype(dtype or np.float64)
            else:
                raise TypeError(f"{self._who()}: expected a float array, got dtype {x.dtype}")
        if x.ndim != 2:
            hint = " (a single example x should be a column: x.reshape(-1, 1))" if x.ndim == 1 else ""
            rows = f"{self.n_in}" if self.n_in is not None else "n_in"
            raise ValueError(f"{self._who()}: expected a 2-D input of shape ({rows}, B) with examples "
                             f"as columns, got shape {x.shape}{hint}")
        if self.n_in is not None and x.shape[0] != self.n_in:
            raise ValueError(f"{self._who()}: expected input with {self.n_in} rows (n_in), got shape {x.shape}")
        if values:
            self._check_values(x, "input")
        return x

    def _check_values(self, x, what):
        """NaN or ±inf in x -> ValueError naming the layer (Activation allows ±inf)."""
        if not _all_finite(x):
            raise ValueError(f"{self._who()}: {what} of shape {x.shape} contains NaN or inf")

    def _param_dtype(self):
        for v in self.params.values():
            return v.dtype
        return None

    def _check_dout(self, dout, shape, values=True):
        """Return dout as an array of the expected shape (and the parameters' dtype) or raise."""
        given = type(dout)
        if given is not np.ndarray:
            dout = np.asarray(dout)                      # a list, a tuple, ...: converted
        if dout.dtype.kind not in "fiub":
            raise TypeError(f"{self._who()}: expected a float upstream gradient, got dtype {dout.dtype}")
        if dout.shape != shape:
            how = "" if given is np.ndarray else f" (from a {given.__name__})"
            raise ValueError(f"{self._who()}: expected upstream gradient of shape {shape}, "
                             f"got shape {dout.shape}{how}")
        dt = self._param_dtype()
        if dt is not None and dout.dtype != dt:
            dout = dout.astype(dt)
        elif dout.dtype.kind != "f":
            dout = dout.astype(np.float64)
        if values and not _all_finite(dout):
            raise ValueError(f"{self._who()}: upstream gradient of shape {dout.shape} contains NaN or inf")
        return dout

    def forward(self, x, train=True):
        """Checked entry point: out, cache = forward(x) for x of shape (n_in, B)."""
        return self._forward(self._check(x), train)
    forward._checked = True

    def backward(self, dout, cache, need_dx=True):
        """Checked entry point: ∂C/∂x from dout = ∂C/∂out (an array of the output's shape; a
        list is converted); fills self.grads."""
        dout = self._check_dout(dout, self._dout_shape(cache))
        return self._backward(dout, cache, need_dx)
    backward._checked = True

    def _forward(self, x, train):
        raise NotImplementedError

    def _backward(self, dout, cache, need_dx):
        raise NotImplementedError

    def _dout_shape(self, cache):
        raise NotImplementedError

    def buffers(self):
        """{name: live array} of non-trainable state (batch norm's running statistics)."""
        return {}

    def astype(self, dtype):
        """Cast parameters, gradients and buffers to the float dtype; returns self.

        A numpy array cannot change its dtype, so each array whose dtype differs is replaced
        by a new one in the same dict (self.params, self.grads) and the old one is made
        read-only: code still holding an old array gets numpy's "read-only" error on an
        in-place update instead of silently training a detached copy. Network.astype also
        refreshes, in place, every list its parameters()/gradients() returned."""
        dtype = _float_dtype(dtype, self._who())
        for k, v in list(self.params.items()):
            if v.dtype != dtype:
                self.params[k] = _recast(v, dtype)
                self.grads[k] = _recast(self.grads[k], dtype)
        return self


def _float_dtype(dtype, who):
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"{who}.astype: expected a float dtype, got {dtype}")
    return dtype


# --------------------------------------------------------------------------- Dense
class Dense(Layer):
    """z = W x + b  (19).  W (n_out, n_in), b (n_out, 1); x (n_in, B) -> z (n_out, B).

    init: "he" | "xavier" | "normal" (scale·N(0,1), scale=0.5 by default: Higham's choice, also
    used for b) | "zeros" | any name in bpkit.init.INITS | callable(n_out, n_in, rng) -> array.
    Biases start at zero except for "normal"/"standard_normal", which draw b like W.
    """

    def __init__(self, n_in, n_out, init="he", scale=None, rng=None, name=None, bias=True,
                 dtype=np.float64):
        super().__init__(name)
        for v, what in ((n_in, "n_in"), (n_out, "n_out")):
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
                raise ValueError(f"Dense: {what} must be a positive int, got {v!r}")
        self.n_in, self.n_out, self.bias = int(n_in), int(n_out), bias
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        if callable(init):
            W = np.asarray(init(self.n_out, self.n_in, rng), dtype=dtype)
            b = np.zeros((self.n_out, 1), dtype)
        else:
            if init not in _init.INITS:
                raise ValueError(f"Dense: unknown init {init!r}; choose from {sorted(_init.INITS)} or pass a callable")
            f = _init.INITS[init]
            kw = {} if scale is None else ({"scale": scale} if init == "normal" else {})
            W = f(self.n_out, self.n_in, rng, dtype=dtype, **kw)
            if scale is not None and init != "normal":
                W *= scale
            if init in ("normal", "standard_normal"):
                b = f(self.n_out, 1, rng, dtype=dtype, **kw)
            else:
                b = np.zeros((self.n_out, 1), dtype)
        if W.shape != (self.n_out, self.n_in):
            raise ValueError(f"Dense '{self.name}': init returned shape {W.shape}, expected {(self.n_out, self.n_in)}")
        self.params = {"W": W, "b": b} if bias else {"W": W}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def out_width(self, n_in):
        super().out_width(n_in)
        return self.n_out

    def _check(self, x):
        W = self.params["W"]
        x = super()._check(x, W.dtype)
        if x.dtype != W.dtype:
            raise TypeError(f"{self._who()}: input dtype {x.dtype} but parameters are {W.dtype}; "
                            f"build the layer with dtype=np.{x.dtype} or call net.astype(np.{x.dtype})")
        return x

    def _forward(self, x, train):
        z = _dot(self.params["W"], x)                               # (19)  (np.dot: less overhead than @)
        if self.bias:
            z += self.params["b"]
        return z, x

    def _dout_shape(self, cache):
        return (self.n_out, cache.shape[1])

    def _backward(self, dout, cache, need_dx):
        x = cache
        if dout.dtype != x.dtype:
            dout = dout.astype(x.dtype)
        g = self.grads
        B = x.shape[1]
        if B == 1:                                   # single example: an outer product
            np.multiply(dout, x.T, out=g["W"])       # ∂C/∂W = δ a^T  (25)
            if self.bias:
                g["b"][...] = dout                   # ∂C/∂b = δ  (24)
        else:
            _dot(dout, x.T, out=g["W"])              # (25), summed over the batch columns
            if self.bias:
                _dot(dout, _ones(B, dout.dtype), out=g["b"])   # (24), Σ over columns (BLAS)
        if need_dx:
            return _dot(self.params["W"].T, dout)    # W^T δ, the heart of (23)
        return None


# --------------------------------------------------------------------------- Activation
class Activation(Layer):
    """a = σ(z) elementwise  (20); backward multiplies by σ′(z) (the ∘ σ′(z^[l]) of (22), (23)).

    kind: "sigmoid" | "tanh" | "relu" | "leaky_relu" | "identity". Shape-preserving.
    Accepts ±inf (mapped to σ's limits, e.g. relu(−inf) = 0); rejects NaN. The sigmoid is
    bpkit.activations.sigmoid: 1/(1 + e^{−z}), accurate in both tails, no overflow warning.
    """

    def __init__(self, kind="sigmoid", name=None, slope=0.01):
        if kind not in ACTIVATIONS:
            raise ValueError(f"Activation: unknown kind {kind!r}; choose from {sorted(ACTIVATIONS)}")
        self.activation = kind
        self.slope = slope
        super().__init__(name)

    @property
    def kind(self):
        return self.activation

    def __repr__(self):
        return f"Activation('{self.activation}', name='{self.name}')"

    def _check_values(self, x, what):
        if not _no_nan(x):
            raise ValueError(f"{self._who()}: {what} of shape {x.shape} contains NaN")

    def _forward(self, z, train):
        k = self.activation
        if k == "relu":
            # max(z, 0), not z·1[z > 0]: that gives NaN for z = −inf (−inf·0)
            return np.maximum(z, 0), (z > 0, None)
        if k == "sigmoid":
            a = _sigmoid(z)                          # 1/(1 + e^{−z}), one array, in place
        elif k == "tanh":
            a = np.tanh(z)
        elif k == "leaky_relu":
            a = np.where(z > 0, z, z * z.dtype.type(self.slope))
        else:
            a = z
        return a, (z, a)

    def _dout_shape(self, cache):
        return cache[0].shape

    def _backward(self, dout, cache, need_dx):
        z, a = cache                                 # for relu: (z > 0, None)
        k = self.activation
        if k == "relu":
            return dout * z                          # relu′(z) = 1[z > 0]
        if k == "sigmoid":
            t = 1 - a
            t *= a                                   # σ′(z) = σ(z)(1 − σ(z))
        elif k == "tanh":
            t = a * a
            np.subtract(1, t, out=t)                 # tanh′ = 1 − tanh²
        if k in ("sigmoid", "tanh"):
            if t.dtype == dout.dtype:
                t *= dout
                return t
            return dout * t
        if k == "leaky_relu":
            return dout * np.where(z > 0, z.dtype.type(1), z.dtype.type(self.slope))
        return dout.copy()


# --------------------------------------------------------------------------- BatchNorm
# --------------------------------------------------------------------------- a tape of array primitives
# BatchNorm's train-mode forward pass is composed of the primitives below, and its backward pass
# is whatever the chain rule makes of that composition: the tape replays each primitive's own
# local rule in reverse and adds up what a value receives from its several uses (reverse mode,
# lecture 10, section 3, on arrays instead of scalars). No batch-norm derivative is written down
# anywhere; lecture 06, section 3 follows the same graph by hand.
#
# A primitive takes arrays and returns (value, local), where local(g) maps the gradient g of the
# value to the gradients of the inputs, in order. A "column" is an (n, 1) array that stands for
# itself repeated along the B columns; a gradient with respect to an (n, B) input may come back as
# such a column (numpy broadcasts it where it meets a full one).

def _row_sums(a):
    return _dot(a, _ones(a.shape[1], a.dtype))


_vecdot = getattr(np, "vecdot", None)   # numpy >= 2: a ufunc, a third cheaper than einsum here


def _row_dots(a, b):
    """(n, B), (n, B) -> (n, 1): each row of a dotted with the same row of b."""
    return (np.einsum("ij,ij->i", a, b) if _vecdot is None else _vecdot(a, b))[:, None]


def _mean_over_columns(a):
    """(n, B) -> (n, 1): the mean of each row. Each entry of a carries 1/B of the gradient."""
    B = a.shape[1]
    mean = _row_sums(a)
    mean /= B
    return mean, lambda g: (g / B,)


def _minus_column(a, c):
    """a − c, the column c taken from every column of a."""
    return a - c, lambda g: (g, -_row_sums(g))


def _times(a, b):
    """a ∘ b, two arrays of one shape."""
    return a * b, lambda g: (g * b, g * a)


def _mean_square_over_columns(a):
    """(n, B) -> (n, 1): the mean of the squares of each row's entries."""
    B = a.shape[1]
    ms = _row_dots(a, a)
    ms /= B
    return ms, lambda g: (a * (g * (2 / B)),)


def _inverse_sqrt(v, eps):
    """1/√(σ_B² + ε) for the batch variance `v` (code name), elementwise (ε inside the root)."""
    r = 1.0 / np.sqrt(v + eps)
    return r, lambda g: (g * (-0.5 * r ** 3),)


def _scale_shift(a, k, b):
    """a ∘ k + b, every column of a scaled by the column k and shifted by the column b."""
    out = a * k
    out += b
    return out, lambda g: (g * k, _row_dots(g, a), _row_sums(g))


class _Tape:
    """Values (by index) and the primitives that made them; `grads` replays them in reverse."""

    def __init__(self):
        self.values, self.records = [], []   # records: (local, input indices, output index)

    def leaf(self, value):
        self.values.append(value)
        return len(self.values) - 1

    def apply(self, primitive, *inputs, **constants):
        values = self.values
        value, local = primitive(*[values[i] for i in inputs], **constants)
        values.append(value)
        self.records.append((local, inputs, len(values) - 1))
        return len(values) - 1

    def close(self):
        """The forward pass is over: drop the values (each local keeps what it needs)."""
        self.size, self.values = len(self.values), None

    def grads(self, out, g, wrt):
        """[∂C/∂value for the value indices in `wrt`], given g = ∂C/∂(value `out`). Replays the
        records back to the first one that reads a value of `wrt`; a value read twice gets the
        sum of what both readers send back (the multivariable chain rule)."""
        first = next(r for r, (_, inputs, _) in enumerate(self.records)
                     if any(k in wrt for k in inputs))
        pending, own = [None] * self.size, [False] * self.size   # own: made here, may add into
        pending[out] = g
        for local, inputs, node in reversed(self.records[first:]):
            g_node, pending[node] = pending[node], None
            if g_node is None:
                continue
            for k, g_k in zip(inputs, local(g_node)):
                p = pending[k]
                if p is None:
                    pending[k], own[k] = g_k, g_k is not g_node or own[node]
                elif own[k] and (p.shape == g_k.shape or g_k.shape == (p.shape[0], 1)):
                    p += g_k
                else:
                    pending[k], own[k] = p + g_k, True
        return [pending[v] for v in wrt]


class BatchNorm(Layer):
    """Batch normalisation of each row (feature) over the batch columns (Cornell CS3780 lecture 22).

    train:  μ = mean_B(x), σ² = mean_B((x − μ)²) (biased), x̂ = (x − μ)/√(σ² + ε),
            out = γ ∘ x̂ + β; running averages updated with the PyTorch convention
            running = (1 − m)·running + m·batch_stat, m = momentum = 0.1
            (CS231n writes 0.9·running + 0.1·batch: the same thing).
            running_var stores the biased batch variance σ² (our convention, the one
            normalisation uses) unless unbiased_running_var=True, which stores σ²·B/(B − 1)
            like PyTorch's BatchNorm1d (so eval outputs match PyTorch after identical training).
    eval:   x̂ = (x − running_mean)/√(running_var + ε): a fixed affine map.
    backward (train): the forward pass is a composition of array primitives on a tape (above);
            the gradient is the tape replayed in reverse, not a closed form.
    params gamma (n, 1), beta (n, 1); x, out (n, B); buffers running_mean, running_var (n, 1).
    """

    def __init__(self, n, momentum=0.1, eps=1e-5, name=None, dtype=np.float64,
                 unbiased_running_var=False):
        super().__init__(name)
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"BatchNorm: n must be a positive int, got {n!r}")
        self.n_in = int(n)
        self.momentum, self.eps = momentum, eps
        self.unbiased_running_var = bool(unbiased_running_var)
        self.params = {"gamma": np.ones((n, 1), dtype), "beta": np.zeros((n, 1), dtype)}
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.running_mean = np.zeros((n, 1), dtype)
        self.running_var = np.ones((n, 1), dtype)

    def buffers(self):
        return {"running_mean": self.running_mean, "running_var": self.running_var}

    def astype(self, dtype):
        super().astype(dtype)
        dtype = np.dtype(dtype)
        if self.running_mean.dtype != dtype:
            self.running_mean = _recast(self.running_mean, dtype)
            self.running_var = _recast(self.running_var, dtype)
        return self

    def forward(self, x, train=True):
        """Checked entry point. In train mode NaN/inf are caught for free: they reach the row
        sums that give the batch mean (see _forward); eval mode checks x itself."""
        x = self._check(x)
        if not train:
            self._check_values(x, "input")
        return self._forward(x, train)
    forward._checked = True

    def backward(self, dout, cache, need_dx=True):
        """Checked entry point; NaN/inf in dout are caught by its row sums (∂C/∂β, _backward)."""
        dout = self._check_dout(dout, self._dout_shape(cache), values=False)
        return self._backward(dout, cache, need_dx)
    backward._checked = True

    def _check(self, x):
        x = super()._check(x, self.params["gamma"].dtype, values=False)
        if x.dtype != self.params["gamma"].dtype:
            raise TypeError(f"{self._who()}: input dtype {x.dtype} but parameters are "
                            f"{self.params['gamma'].dtype}; call .astype(np.{x.dtype})")
        return x

    def _forward(self, x, train):
        gamma, beta = self.params["gamma"], self.params["beta"]
        if not train:
            inv_std = 1.0 / np.sqrt(self.running_var + self.eps)
            xc = x - self.running_mean
            out = xc * (gamma * inv_std)
            out += beta
            return out, (False, x.shape, xc, inv_std)
        B = x.shape[1]
        if B < 2:
            raise ValueError(f"{self._who()}: train mode needs a batch of at least 2 columns to "
                             f"estimate a variance, got shape {x.shape}; use forward(x, train=False)")
        t = _Tape()
        x_, gamma_, beta_ = t.leaf(x), t.leaf(gamma), t.leaf(beta)
        mu = t.apply(_mean_over_columns, x_)                   # μ, the batch mean of each row
        if not _isfinite(_add_reduce(t.values[mu], None)):     # NaN/inf in x reach the row sums
            self._check_values(x, "input")                     # (or finite ones overflowed)
        centred = t.apply(_minus_column, x_, mu)               # x − μ
        var = t.apply(_mean_square_over_columns, centred)      # σ², biased (÷ B)
        inv_std = t.apply(_inverse_sqrt, var, eps=self.eps)    # 1/√(σ² + ε), ε inside the root
        k = t.apply(_times, inv_std, gamma_)                   # γ/√(σ² + ε), one per row
        out = t.apply(_scale_shift, centred, k, beta_)         # (x − μ) ∘ k + β = γ ∘ x̂ + β
        m = self.momentum
        self.running_mean *= 1 - m
        self.running_mean += m * t.values[mu]
        self.running_var *= 1 - m
        self.running_var += (m * B / (B - 1) if self.unbiased_running_var else m) * t.values[var]
        y = t.values[out]
        t.close()
        return y, (True, x.shape, t, (out, x_, gamma_, beta_))

    def _dout_shape(self, cache):
        return cache[1]

    def _backward(self, dout, cache, need_dx):
        g = self.grads
        if not cache[0]:                                        # eval: a fixed affine map
            _, _, xc, inv_std = cache
            np.dot(dout, _ones(dout.shape[1], dout.dtype), out=g["beta"])
            self._check_finite_dout(dout)
            g["gamma"][...] = _row_dots(dout, xc) * inv_std
            return dout * (self.params["gamma"] * inv_std) if need_dx else None
        _, _, tape, (out, x_, gamma_, beta_) = cache
        wrt = [beta_, gamma_, x_] if need_dx else [beta_, gamma_]
        found = tape.grads(out, dout, wrt)
        g["beta"][...] = found[0]
        self._check_finite_dout(dout)
        g["gamma"][...] = found[1]
        return found[2] if need_dx else None

    def _check_finite_dout(self, dout):
        """NaN/inf in dout reach ∂C/∂β = Σ dout (row sums) for free; look closer only then."""
        if not _isfinite(_add_reduce(self.grads["beta"], None)) and not _all_finite(dout):
            raise ValueError(f"{self._who()}: upstream gradient of shape {dout.shape} contains NaN or inf")


# --------------------------------------------------------------------------- composite helpers
def _chain_width(layers, n_in, who):
    w = n_in
    for L in layers:
        w = L.out_width(w)
    return w


def _first_n_in(layers):
    for L in layers:
        if L.n_in is not None:
            return L.n_in
        if isinstance(L, Dense):
            break
    return None


class _Composite(Layer):
    def _name_inner(self):
        seen = set()
        for j, L in enumerate(self.layers, 1):
            if getattr(L, "_auto_name", False):
                L.name = f"{L.kind}{j}"
            if L.name in seen:
                raise ValueError(f"{self._who()}: two inner layers are named '{L.name}'")
            seen.add(L.name)

    def _all(self):
        return list(self.layers)

    @property
    def params(self):
        return {f"{L.name}.{k}": v for L in self._all() for k, v in L.params.items()}

    @params.setter
    def params(self, value):
        pass

    @property
    def grads(self):
        return {f"{L.name}.{k}": v for L in self._all() for k, v in L.grads.items()}

    @grads.setter
    def grads(self, value):
        pass

    def buffers(self):
        return {f"{L.name}.{k}": v for L in self._all() for k, v in L.buffers().items()}

    def astype(self, dtype):
        for L in self._all():
            L.astype(dtype)
        return self

    def _inner_forward(self, x, train):
        caches = []
        for f in self._fwd:
            x, c = f(x, train)
            caches.append(c)
        return x, caches

    def _inner_backward(self, dout, caches):
        for b, c in zip(reversed(self._bwd), reversed(caches)):
            dout = b(dout, c, True)
        return dout

    def _resolve_inner(self):
        # widths were checked by _chain_width, so inner layers may skip their checks
        self._fwd = [fast_forward(L) for L in self.layers]
        self._bwd = [fast_backward(L) for L in self.layers]


# --------------------------------------------------------------------------- Residual
class Residual(_Composite):
    """out = F(x) + x (identity skip), or F(x) + P x when F changes the width (P: Dense, no bias).

    F is the chain of `inner_layers`. backward: ∂C/∂x = ∂F/∂x^T dout + dout (or + P^T dout):
    the skip lets the gradient flow straight through (Cornell CS3780 lecture 22: "helps with the
    problem of vanishing gradients").
    """

    def __init__(self, inner_layers, n_in=None, n_out=None, rng=None, name=None, dtype=None):
        super().__init__(name)
        self.layers = list(inner_layers)
        if not self.layers:
            raise ValueError("Residual: inner_layers must not be empty")
        self._name_inner()
        self._resolve_inner()
        n_in = n_in if n_in is not None else _first_n_in(self.layers)
        if n_in is None:
            raise ValueError(f"{self._who()}: cannot infer the input width; pass n_in=")
        w = _chain_width(self.layers, n_in, self._who())
        if n_out is not None and w is not None and n_out != w:
            raise ValueError(f"{self._who()}: inner layers output {w} rows but n_out={n_out}")
        w = n_out if w is None else w
        if w is None:
            w = n_in
        self.n_in, self.n_out = n_in, w
        self.proj = None
        if w != n_in:
            if dtype is None:
                ps = [v for L in self.layers for v in L.params.values()]
                dtype = ps[0].dtype if ps else np.float64
            self.proj = Dense(n_in, w, init="xavier", rng=rng, name="proj", bias=False, dtype=dtype)

    def _all(self):
        return self.layers + ([self.proj] if self.proj is not None else [])

    def out_width(self, n_in):
        super().out_width(n_in)
        return self.n_out

    def _forward(self, x, train):
        f, caches = self._inner_forward(x, train)
        if self.proj is None:
            out = f + x                                   # identity skip
            pc = None
        else:
            px, pc = self.proj._forward(x, train)
            out = f + px                                  # not in place: f is cached inside
        return out, (caches, pc, x.shape)

    def _dout_shape(self, cache):
        return (self.n_out, cache[2][1])

    def _backward(self, dout, cache, need_dx):
        caches, pc, xshape = cache
        dx = self._inner_backward(dout, caches)
        if self.proj is None:
            return dx + dout                              # the skip passes dout unchanged
        dx = dx + self.proj._backward(dout, pc, True)
        return dx


# --------------------------------------------------------------------------- DenseConnection
class DenseConnection(_Composite):
    """out = concat([x, F(x)], axis=0) (Cornell CS3780 lecture 22: "concatenate input to output activations").

    x (n_in, B) -> out (n_in + n_F, B). backward: ∂C/∂x = dout[:n_in] + ∂F/∂x^T dout[n_in:].
    """

    def __init__(self, inner_layers, n_in=None, name=None):
        super().__init__(name)
        self.layers = list(inner_layers)
        if not self.layers:
            raise ValueError("DenseConnection: inner_layers must not be empty")
        self._name_inner()
        self._resolve_inner()
        n_in = n_in if n_in is not None else _first_n_in(self.layers)
        if n_in is None:
            raise ValueError(f"{self._who()}: cannot infer the input width; pass n_in=")
        self.n_in = n_in
        w = _chain_width(self.layers, n_in, self._who())
        self.n_out = n_in + (w if w is not None else n_in)

    def out_width(self, n_in):
        super().out_width(n_in)
        return self.n_out

    def _forward(self, x, train):
        f, caches = self._inner_forward(x, train)
        return np.concatenate([x, f], axis=0), (caches, x.shape)

    def _dout_shape(self, cache):
        return (self.n_out, cache[1][1])

    def _backward(self, dout, cache, need_dx):
        caches, xshape = cache
        n = self.n_in
        dx = self._inner_backward(dout[n:], caches)
        dx += dout[:n]
        return dx


# --------------------------------------------------------------------------- Dropout
class Dropout(Layer):
    """Inverted dropout: in train mode out = x ∘ mask / (1 − p), mask ~ Bernoulli(1 − p) from the
    layer's seeded rng; in eval mode out = x. p is the probability to DROP a unit.

    The mask: 1 (or True) means KEEP the unit, 0 (False) means drop it. Set `layer.mask` or pass
    forward(..., mask=m) to fix it, e.g. for gradient checks: an array of x's shape holding only
    0/1 (bool, int or float; any dtype, the output keeps x's dtype). Shape-preserving.
    """

    def __init__(self, p=0.5, rng=None, name=None, mask=None):
        super().__init__(name)
        if not 0 <= p < 1:
            raise ValueError(f"Dropout: p must lie in [0, 1), got {p}")
        self.p = p
        self.rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        self.mask = mask

    def forward(self, x, train=True, mask=None):
        """Checked entry point; mask (0/1, x's shape) overrides layer.mask and the rng."""
        return self._forward(self._check(x), train, mask)
    forward._checked = True

    def _forward(self, x, train, mask=None):
        if not train or self.p == 0:
            return x, (None, x.shape)
        mask = self.mask if mask is None else mask
        if mask is None:
            keep = self.rng.random(x.shape, dtype=np.float64 if x.dtype == np.float64 else np.float32) >= self.p
        else:
            keep = np.asarray(mask)
            if keep.shape != x.shape:
                raise ValueError(f"{self._who()}: mask has shape {keep.shape}, expected the input's shape {x.shape}")
            if keep.dtype != bool and not ((keep == 0) | (keep == 1)).all():
                raise ValueError(f"{self._who()}: mask must hold only 0 (drop) and 1 (keep), "
                                 f"got values in [{keep.min()}, {keep.max()}]")
        # the mask's dtype never leaks into the output: scaled is in x's dtype
        scaled = np.multiply(keep, 1.0 / (1.0 - self.p), dtype=x.dtype)
        return x * scaled, (scaled, x.shape)

    def _dout_shape(self, cache):
        return cache[1]

    def _backward(self, dout, cache, need_dx):
        scaled = cache[0]
        if scaled is None:
            return dout.copy()
        return dout * scaled
