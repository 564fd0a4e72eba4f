"""Networks: a `Network` that chains layers, `mlp` to build the lecture's MLP, and
`mlp_forward` / `mlp_backward`, the plain MLP of Applied Mathematics lecture 5 with Lemma 1 written line by line.

Indexing used by mlp_forward / mlp_backward (the lecture's, Applied Mathematics lecture 5): layer 1 is the input,
layer L the output, so lists are indexed 0..L and entries 0 (and 1 for z, W, b) are None:

    activations[1] = x,  zs[l] = W^[l] a^[l-1] + b^[l]  (19),  activations[l] = σ(zs[l])  (20)
    for l = 2..L.  Ws/bs may be given lecture-indexed ([None, None, W2, ..., WL]) or as a plain
    list [W2, ..., WL]; dWs/dbs come back in the same form.
"""
import weakref

import numpy as np

from .layers import Activation, Dense, Layer, _float_dtype, fast_backward, fast_forward
from .losses import LOSSES

__all__ = ["Network", "mlp", "mlp_forward", "mlp_backward"]


class ParamList(list):
    """The list Network.parameters()/gradients() return: [(name, array)]. A plain list, except
    that Network.astype() refreshes it in place, so an optimiser holding it keeps working."""
    __slots__ = ("__weakref__",)


class Network:
    """A chain of layers and a loss.

    Unnamed layers are named by kind and 1-based position in the list: mlp([2, 3, 2]) gives
    'dense1', 'sigmoid2', 'dense3', 'sigmoid4'; dense1 holds the lecture's W^[2] (layer 1 is the
    input). Inner layers of a composite are numbered inside it: 'residual3.dense1.W' (see
    bpkit.layers). Widths are checked at construction where they are known.

    backward() differentiates the last loss(): loss() keeps the caches it used, so a forward()
    or predict() in between does not change what backward() computes.
    """

    def __init__(self, layers, loss="quadratic"):
        self.layers = list(layers)
        for L in self.layers:
            if not isinstance(L, Layer):
                raise TypeError(f"Network: expected Layer objects, got {type(L).__name__}")
        if isinstance(loss, str):
            if loss not in LOSSES:
                raise ValueError(f"Network: unknown loss {loss!r}; choose from {sorted(LOSSES)}")
            loss = LOSSES[loss]()
        self.loss_fn = loss
        self._name_layers()
        # Check widths now, so that forward/backward can skip per-layer checks: the first layer
        # (which sees the user's X) and any layer whose input width is unknown here stay checked.
        w = None
        self._fwd, self._bwd = [], []
        for i, L in enumerate(self.layers):
            checked = i == 0 or (w is None and L.n_in is not None)
            self._fwd.append(L.forward if checked else fast_forward(L))
            self._bwd.append(fast_backward(L))
            w = L.out_width(w)                # raises ValueError naming the layer on a mismatch
        self.n_out = w
        self._param_dtype = next((p.dtype for _, p in self._pairs("params")), None)
        self._last_loss = None            # (layer caches, loss cache) of the last loss()
        self._handed_out = []             # weak references to the ParamLists we returned

    def _name_layers(self):
        seen = set()
        for i, L in enumerate(self.layers, 1):
            if getattr(L, "_auto_name", False):
                L.name = f"{L.kind}{i}"
            if L.name in seen:
                raise ValueError(f"Network: two layers are named '{L.name}'")
            seen.add(L.name)

    def __repr__(self):
        inner = ", ".join(repr(L) for L in self.layers)
        return f"Network([{inner}], loss='{getattr(self.loss_fn, 'name', self.loss_fn)}')"

    @property
    def dtype(self):
        for _, p in self._pairs("params"):
            return p.dtype
        return np.dtype(np.float64)

    def astype(self, dtype):
        """Cast every parameter, gradient and buffer to the float dtype; returns self.

        numpy arrays cannot change dtype, so the layers get new arrays (see Layer.astype: the
        old ones become read-only). Every list parameters()/gradients() returned before is
        refreshed in place, so `P, G = net.parameters(), net.gradients(); net.astype(np.float32);
        opt.step(P, G)` updates the network. Arrays you took out of those lists yourself are
        stale: take them again."""
        dtype = _float_dtype(dtype, "Network")
        for L in self.layers:
            L.astype(dtype)
        self._param_dtype = dtype if self._param_dtype is not None else None
        self._last_loss = None                      # its caches hold arrays of the old dtype
        alive = []
        for ref, which in self._handed_out:
            lst = ref()
            if lst is not None:
                lst[:] = self._pairs(which)
                alive.append((ref, which))
        self._handed_out = alive
        return self

    def _forward(self, X, train):
        caches = []
        fwd = self._fwd
        out, c = fwd[0](X, train)             # checked: names the first layer on bad input
        caches.append(c)
        if self._param_dtype is not None and out.dtype != self._param_dtype:
            raise TypeError(f"Network: input dtype {out.dtype} but parameters are {self._param_dtype}; "
                            f"call net.astype(np.{out.dtype}) or cast X")
        for f in fwd[1:]:
            out, c = f(out, train)
            caches.append(c)
        return out, caches

    def forward(self, X, train=True):
        """Output of the last layer for X (n_1, B). Does not touch what backward() uses."""
        return self._forward(X, train)[0]

    def loss(self, X, Y, train=True):
        """Forward pass and cost C (a float). Y as the loss expects it (targets or labels).
        Keeps the caches for backward()."""
        out, caches = self._forward(X, train)
        C, loss_cache = self.loss_fn.forward(out, Y)
        self._last_loss = (caches, loss_cache)
        return C

    def backward(self, need_dx=False):
        """Fill every layer's grads for the last loss(X, Y) (whatever forward()/predict() ran
        since); returns ∂C/∂X if need_dx."""
        if self._last_loss is None:
            raise RuntimeError("Network.backward: call loss(X, Y) first (astype() also clears "
                               "the last loss: its caches had the old dtype)")
        caches, loss_cache = self._last_loss
        dout = self.loss_fn.backward(loss_cache)
        bwd = self._bwd
        for i in range(len(bwd) - 1, -1, -1):
            dout = bwd[i](dout, caches[i], need_dx or i > 0)
        return dout

    def loss_and_grads(self, X, Y):
        """C, after filling all gradients (train mode)."""
        C = self.loss(X, Y, train=True)
        self.backward()
        return C

    def _pairs(self, which):
        """[(dotted name, live array)] of every layer's params / grads / buffers."""
        if which == "buffers":
            return [(f"{L.name}.{k}", v) for L in self.layers for k, v in L.buffers().items()]
        return [(f"{L.name}.{k}", v) for L in self.layers for k, v in getattr(L, which).items()]

    def _hand_out(self, which):
        lst = ParamList(self._pairs(which))
        self._handed_out = [(r, w) for r, w in self._handed_out if r() is not None]
        self._handed_out.append((weakref.ref(lst), which))
        return lst

    def parameters(self):
        """[(name, array)] — live arrays, e.g. ('dense1.W', W^[2]), ('residual3.dense1.W', ...);
        update them in place. astype() keeps this list up to date."""
        return self._hand_out("params")

    def gradients(self):
        """[(name, array)] in the same order as parameters()."""
        return self._hand_out("grads")

    def buffers(self):
        """[(name, array)] of the non-trainable state, e.g. ('batchnorm2.running_var', ...),
        including layers inside composites ('residual3.batchnorm2.running_mean')."""
        return self._pairs("buffers")

    def state(self):
        """A copy of all parameters and buffers (for early stopping); restore with load_state."""
        return {n: p.copy() for n, p in self._pairs("params") + self.buffers()}

    def load_state(self, state):
        """Copy a state() back into the live arrays."""
        live = self._pairs("params") + self.buffers()
        missing = [n for n, _ in live if n not in state]
        if missing:
            raise KeyError(f"Network.load_state: the state has no {missing[:3]} "
                           f"(was it taken from another network?)")
        for n, p in live:
            p[...] = state[n]

    def predict(self, X):
        """Output in eval mode (raw logits for softmax_ce). Classes: predict_class."""
        return self.forward(X, train=False)

    def predict_class(self, X):
        """argmax over axis 0 of the eval-mode output: one class index per column."""
        return np.argmax(self.predict(X), axis=0)

    def accuracy(self, X, y):
        """Fraction of columns whose predicted class matches y (labels (N,) or one-hot (k, N))."""
        y = np.asarray(y)
        if y.ndim == 2:
            y = np.argmax(y, axis=0)
        return float(np.mean(self.predict_class(X) == y))


def mlp(sizes, activation="sigmoid", output_activation=None, loss="quadratic", init="he",
        rng=None, scale=None, dtype=np.float64):
    """The lecture's MLP: sizes = [n_1, ..., n_L]; Dense + Activation per layer l = 2..L.

    output_activation defaults to `activation` for the quadratic cost and to "identity"
    (logits; the softmax is fused into the loss) for "softmax_ce".
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"mlp: sizes needs at least an input and an output width, got {sizes}")
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if output_activation is None:
        output_activation = "identity" if loss in ("softmax_ce", "cross_entropy") else activation
    layers = []
    for i in range(1, len(sizes)):
        layers.append(Dense(sizes[i - 1], sizes[i], init=init, scale=scale, rng=rng, dtype=dtype))
        act = output_activation if i == len(sizes) - 1 else activation
        if act != "identity":
            layers.append(Activation(act))
    return Network(layers, loss=loss)


# --------------------------------------------------------------------------- Lemma 1, line by line
def _lecture_indexed(Ws):
    Ws = list(Ws)
    if len(Ws) >= 2 and Ws[0] is None and Ws[1] is None:
        return Ws, True
    return [None, None] + Ws, False


def mlp_forward(Ws, bs, x, sigma):
    """Forward pass of Applied Mathematics lecture 5 ((19), (20)): returns (zs, activations),
    both indexed 0..L like the lecture.

    x: (n_1,) or (n_1, B); a 1-D x is treated as one column. zs[0] = zs[1] = activations[0] = None.
    """
    Ws, _ = _lecture_indexed(Ws)
    bs, _ = _lecture_indexed(bs)
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    L = len(Ws) - 1
    zs = [None] * (L + 1)
    activations = [None] * (L + 1)
    activations[1] = x                                       # a^[1] = x
    for l in range(2, L + 1):
        W, b = Ws[l], np.asarray(bs[l]).reshape(-1, 1)
        if W.shape[1] != activations[l - 1].shape[0]:
            prev = activations[l - 1]
            raise ValueError(f"mlp_forward: W^[{l}] has shape {W.shape}, expected {W.shape[1]} to equal "
                             f"n_{l - 1} = {prev.shape[0]} (a^[{l - 1}] has shape {prev.shape})")
        zs[l] = W @ activations[l - 1] + b                  # (19)
        activations[l] = sigma(zs[l])                        # (20)
    return zs, activations


def mlp_backward(Ws, bs, zs, activations, y, sigma_prime):
    """Lemma 1 for the quadratic cost; returns (dWs, dbs) = (∂C/∂W^[l], ∂C/∂b^[l]).

    With one column this is exactly (22)–(25) for C = ½‖y − a^[L]‖²  (18). With B columns,
    C = (1/B) Σ ½‖y − a^[L]‖²  (9), so δ^[L] carries a factor 1/B and the sums over columns
    in (24), (25) give the batch average. dbs[l] has shape (n_l, 1).
    """
    Ws, lecture = _lecture_indexed(Ws)
    L = len(Ws) - 1
    y = np.asarray(y)
    if y.ndim == 1:
        y = y[:, None]
    aL = activations[L]
    if y.shape != aL.shape:
        raise ValueError(f"mlp_backward: y has shape {y.shape}, expected a^[L]'s shape {aL.shape}")
    B = aL.shape[1]
    delta = [None] * (L + 1)
    dWs = [None] * (L + 1)
    dbs = [None] * (L + 1)
    delta[L] = sigma_prime(zs[L]) * (aL - y) / B                      # (22)
    for l in range(L - 1, 1, -1):
        delta[l] = sigma_prime(zs[l]) * (Ws[l + 1].T @ delta[l + 1])   # (23)
    for l in range(2, L + 1):
        dbs[l] = delta[l].sum(axis=1, keepdims=True)                  # (24)
        dWs[l] = delta[l] @ activations[l - 1].T                      # (25)
    if not lecture:
        return dWs[2:], dbs[2:]
    return dWs, dbs
