# ruff: noqa: E501 - students' answers as they would write them
"""A held-out corpus of student answers for measuring the diagnosis (benchmarks/diagnosis.py).

    python -m benchmarks.diagnosis --corpus heldout

Written by a second author who read only what a student reads — the assignment notebooks
(solutions/NN-*/NN-*.ipynb: the task text, the docstrings and, for the correct answer, the
solution code) — and neither the catalogues of bpkit_instructor/exercises, nor
bpkit/grading/diagnose.py, nor the entries of benchmarks/diagnosis_corpus.py. Assignments 01–09.
Every `mistake` pattern was written before the corpus was first judged and has not been tuned
since; what a miss means is in benchmarks/DIAGNOSIS.md ("Held-out corpus").

Same format as benchmarks/diagnosis_corpus.py, whose FUNCTION and SETUP it reuses: WRONG entries
have `ex`, `what` (the actual mistake in words), `mistake` (a regex that a diagnosis naming that
mistake matches; each starts with (?i), so it is case-insensitive), `kinds` (the kinds of mistake
the answer makes, in the words of bpkit.grading.diagnose.LINE_KINDS, for the misleading-lines
count) and `code`; CORRECT entries are answers written differently from the reference that must
be accepted.
"""
from benchmarks.diagnosis_corpus import FUNCTION, NETWORK09, SETUP  # noqa: F401 - benchmarks/diagnosis.py reads them here

# ------------------------------------------------------------------ a student's own layer API (09)
_API09 = '''
import copy

def layer_forward(layer, x):
    kind = layer["kind"]
    if kind == "dense":
        return layer["W"] @ x + layer["b"], x
    if kind == "relu":
        return np.maximum(x, 0), (x > 0).astype(float)
    if kind == "tanh":
        t = np.tanh(x)
        return t, t
    if kind == "batchnorm":
        mu = np.mean(x, axis=1, keepdims=True)
        var = np.mean((x - mu) ** 2, axis=1, keepdims=True)
        sd = np.sqrt(var + layer["eps"])
        xh = (x - mu) / sd
        return layer["gamma"] * xh + layer["beta"], (xh, sd)
    if kind == "rmsnorm":
        r = np.sqrt(np.mean(x ** 2, axis=0, keepdims=True) + layer["eps"])
        return layer["gamma"] * x / r, (x / r, r)
    if kind == "dropout":
        return x * layer["mask"] / (1 - layer["p"]), None
    if kind == "residual":
        y, caches = network_forward(layer["layers"], x)
        return x + y, caches
    raise ValueError(kind)


def layer_backward(layer, dout, cache):
    kind = layer["kind"]
    if kind == "dense":
        return layer["W"].T @ dout, {"W": DENSE_DW, "b": DENSE_DB}
    if kind == "relu":
        return dout * cache, {}
    if kind == "tanh":
        return TANH_DX, {}
    if kind == "batchnorm":
        xh, sd = cache
        g = dout * layer["gamma"]
        dx = BN_DX
        return dx, {"gamma": np.sum(dout * xh, axis=1, keepdims=True),
                    "beta": np.sum(dout, axis=1, keepdims=True)}
    if kind == "rmsnorm":
        xh, r = cache
        g = dout * layer["gamma"]
        dx = (g - xh * np.mean(g * xh, axis=0, keepdims=True)) / r
        return dx, {"gamma": np.sum(dout * xh, axis=1, keepdims=True)}
    if kind == "dropout":
        return DROP_DX, {}
    if kind == "residual":
        dx, inner = network_backward(layer["layers"], dout, cache)
        return RES_DX, RES_GRADS
    raise ValueError(kind)
''' + NETWORK09
_A09 = dict(DENSE_DW="dout @ cache.T", DENSE_DB="dout.sum(axis=1, keepdims=True)",
            TANH_DX="dout * (1 - cache ** 2)",
            BN_DX="(g - g.mean(axis=1, keepdims=True) - xh * (g * xh).mean(axis=1, keepdims=True)) / sd",
            DROP_DX="dout * layer['mask'] / (1 - layer['p'])",
            RES_DX="dout + dx", RES_GRADS='{"layers": inner}')


def api09(**change):
    """The layer API above with some of its parts changed (a student's slip)."""
    src = _API09
    for key, default in _A09.items():
        src = src.replace(key, change.get(key, default))
    return src


_GRADCHECK09 = '''
def grad_check(layers, X, dout, dX, grads):
    net = copy.deepcopy(layers)
    X0 = X.astype(float).copy()

    def C():
        return np.sum(dout * network_forward(net, X0)[0])

    def numgrad(arr):
        g = np.zeros(arr.shape)
        it = np.nditer(arr, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            keep = arr[i]
            arr[i] = keep + 1e-6
            up = C()
            arr[i] = keep - 1e-6
            down = C()
            RESTORE
            g[i] = (up - down) / 2e-6
        return g

    def check_list(lays, gs):
        res = []
        for lay, g in zip(lays, gs):
            if lay["kind"] == "residual":
                res.append({"layers": check_list(lay["layers"], g["layers"])})
                continue
            d = {}
            for name in g:
                d[name] = bool(relative_error(g[name], numgrad(lay[name])) < THRESHOLD)
            res.append(d)
        return res

    ok_x = bool(relative_error(dX, numgrad(X0)) < THRESHOLD)
    return ok_x, check_list(net, grads)
'''


def gradcheck09(**change):
    src = _GRADCHECK09
    for key, default in dict(RESTORE="arr[i] = keep", THRESHOLD="1e-7").items():
        src = src.replace(key, change.get(key, default))
    return src


WRONG = [
    # ------------------------------------------------------------------ 01.softplus_prime
    dict(ex="01.softplus_prime", what="the derivative of the sigmoid, σ(z)(1 − σ(z)), instead of σ(z)",
         kinds={"op-derivative"},
         mistake=r"(?i)σ′|σ'|sigmoid'|sigmoid′|derivative of (the )?sigmoid|σ\(z\)\s*\(1 ?[−-] ?σ|σ ?\(1 ?[−-] ?σ\)",
         code='''
def softplus_prime(z):
    s = sigmoid(z)
    return s * (1 - s)
'''),
    # ------------------------------------------------------------------ 01.elu_prime
    dict(ex="01.elu_prime", what="α forgotten in the negative branch", kinds={"branch", "factor"},
         mistake=r"(?i)α|alpha",
         code='''
def elu_prime(z, alpha):
    out = np.ones_like(z, dtype=float)
    neg = z <= 0
    out[neg] = np.exp(z[neg])
    return out
'''),
    # ------------------------------------------------------------------ 01.graph_grad
    dict(ex="01.graph_grad", what="the direct path x₁ → m₂ → y left out of ∂y/∂x₁", kinds={"term"},
         mistake=r"(?i)path|direct|x₁ ?→ ?m₂|x1 ?→ ?m2|missing term|a term",
         code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    m2 = np.tanh(x1 + m1)
    sig = sigmoid(m1)
    dy_dm1 = sig * (1 - sig) * m2 + sig * (1 - m2 ** 2)
    return dy_dm1 * x2, dy_dm1 * x1
'''),
    dict(ex="01.graph_grad", what="the path m₁ → m₂ → y left out of ∂y/∂m₁ (only σ′ · m₂)", kinds={"term"},
         mistake=r"(?i)path|m₁ ?→ ?m₂|m1 ?→ ?m2|through m|missing term|a term",
         code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    m2 = np.tanh(x1 + m1)
    sig = sigmoid(m1)
    dy_dm1 = sig * (1 - sig) * m2
    dy_dx1 = dy_dm1 * x2 + sig * (1 - m2 ** 2)
    dy_dx2 = dy_dm1 * x1
    return dy_dx1, dy_dx2
'''),
    dict(ex="01.graph_grad", what="tanh′ written as 1 − tanh (the square forgotten)", kinds={"op-derivative", "square"},
         mistake=r"(?i)tanh′|tanh'|1 ?[−-] ?tanh|1 ?[−-] ?m₂|square|derivative of tanh",
         code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    m2 = np.tanh(x1 + m1)
    sig = sigmoid(m1)
    dtanh = 1 - m2
    d_m1 = sig * (1 - sig) * m2 + sig * dtanh
    return d_m1 * x2 + sig * dtanh, d_m1 * x1
'''),
    # ------------------------------------------------------------------ 01.xent_neuron_grads
    dict(ex="01.xent_neuron_grads", what="σ′ kept: (a − y)·a(1 − a), the quadratic cost's habit", kinds={"op-derivative"},
         mistake=r"(?i)σ′|σ'|sigmoid'|cancel|a ?\(1 ?[−-] ?a\)|slope",
         code='''
def xent_neuron_grads(w, b, X, y):
    B = X.shape[1]
    a = sigmoid(w @ X + b)
    d = (a - y) * a * (1 - a)
    return X @ d / B, float(d.sum() / B)
'''),
    dict(ex="01.xent_neuron_grads", what="sign: (y − a) instead of (a − y)", kinds={"sign"},
         mistake=r"(?i)sign|negat|opposite",
         code='''
def xent_neuron_grads(w, b, X, y):
    n, B = X.shape
    dw = np.zeros(n)
    db = 0.0
    for i in range(B):
        a = sigmoid(np.dot(w, X[:, i]) + b)
        dw += (y[i] - a) * X[:, i]
        db += y[i] - a
    return dw / B, db / B
'''),
    dict(ex="01.xent_neuron_grads", what="divided by n (the number of features) instead of B", kinds={"factor", "batch-mean"},
         mistake=r"(?i)1/B|÷ ?B|batch mean|number of examples|factor",
         code='''
def xent_neuron_grads(w, b, X, y):
    a = sigmoid(w @ X + b)
    err = a - y
    return X @ err / X.shape[0], float(np.sum(err) / X.shape[0])
'''),
    # ------------------------------------------------------------------ 01.richardson
    dict(ex="01.richardson", what="the Richardson weights the wrong way round: (4D(h) − D(h/2))/3", kinds={"approximation"},
         mistake=r"(?i)weight|r₁|r₂|r1|r2|swapped|extrapolat",
         code='''
def richardson(f, x, h):
    D = lambda step: (f(x + step) - f(x - step)) / (2 * step)
    return (4 * D(h) - D(h / 2)) / 3
'''),
    # ------------------------------------------------------------------ 02.n_params_dense
    dict(ex="02.n_params_dense", what="biases forgotten", kinds={"bias"},
         mistake=r"(?i)bias",
         code='''
def n_params_dense(sizes):
    count = 0
    seen = sizes[0]
    for n in sizes[1:]:
        count += n * seen
        seen += n
    return count
'''),
    dict(ex="02.n_params_dense", what="counted as a plain network (each layer sees only the previous one)", kinds=set(),
         mistake=r"(?i)dense|concatenat|all earlier|every earlier|previous layer only|sees only|plain",
         code='''
def n_params_dense(sizes):
    return sum(sizes[i] * (sizes[i - 1] + 1) for i in range(1, len(sizes)))
'''),
    # ------------------------------------------------------------------ 02.forward_diff_cost
    dict(ex="02.forward_diff_cost", what="the one unperturbed pass C(w) not counted (P passes, not P + 1)", kinds={"off-by-one"},
         mistake=r"(?i)C\(w\)|unperturbed|base(line)? pass|one (extra|more) (forward )?pass|\+ ?1\b|off.by.one",
         code='''
def forward_diff_cost(sizes, N):
    edges = 0
    params = 0
    for i in range(len(sizes) - 1):
        edges += sizes[i] * sizes[i + 1]
        params += sizes[i] * sizes[i + 1] + sizes[i + 1]
    return params * edges * N
'''),
    # ------------------------------------------------------------------ 02.chain_grads
    dict(ex="02.chain_grads", what="σ′ = a(1 − a) used for the tanh layers", kinds={"op-derivative"},
         mistake=r"(?i)tanh′|tanh'|1 ?[−-] ?a²|σ′|sigmoid|derivative of tanh|activation'?s? derivative",
         code='''
def chain_grads(w, b, x, y):
    L1 = len(w)
    a = [x]
    for i in range(L1):
        a.append(np.tanh(w[i] * a[i] + b[i]))
    dw, db = np.zeros(L1), np.zeros(L1)
    for i in range(L1):
        g = a[-1] - y
        for k in range(L1 - 1, i, -1):
            g = g * a[k + 1] * (1 - a[k + 1]) * w[k]
        db[i] = g * a[i + 1] * (1 - a[i + 1])
        dw[i] = db[i] * a[i]
    return dw, db
'''),
    dict(ex="02.chain_grads", what="the product stops one layer short: the output layer's factor w·tanh′ left out",
         kinds={"off-by-one", "layer-localised"},
         mistake=r"(?i)last layer|output layer|w\^\[L\]|tanh′\(z\^\[L\]\)|loop|one factor (too )?few|missing factor|off.by.one",
         code='''
def chain_grads(w, b, x, y):
    acts = [x]
    for wl, bl in zip(w, b):
        acts.append(np.tanh(wl * acts[-1] + bl))
    n = len(w)
    dw, db = np.zeros(n), np.zeros(n)
    for i in range(n):
        p = acts[-1] - y
        for k in range(i + 1, n - 1):
            p *= (1 - acts[k + 1] ** 2) * w[k]
        db[i] = p * (1 - acts[i + 1] ** 2)
        dw[i] = db[i] * acts[i]
    return dw, db
'''),
    # ------------------------------------------------------------------ 02.standardize
    dict(ex="02.standardize", what="divided by the variance, not the standard deviation", kinds={"scale"},
         mistake=r"(?i)variance|standard deviation|\bstd\b|square root|σ²|√",
         code='''
def standardize(X):
    mu = X.mean(axis=1, keepdims=True)
    return (X - mu) / X.var(axis=1, keepdims=True)
'''),
    dict(ex="02.standardize", what="statistics per example (axis 0) instead of per feature", kinds={"axis"},
         mistake=r"(?i)axis|per example|per feature|rows|columns",
         code='''
def standardize(X):
    return (X - np.mean(X, axis=0)) / np.std(X, axis=0)
'''),
    # ------------------------------------------------------------------ 03.forward
    dict(ex="03.forward", what="softmax without subtracting the max: overflow on large logits", kinds={"overflow", "nonfinite"},
         mistake=r"(?i)overflow|\binf\b|nan|large logits|shift|max|stable",
         code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    a = X
    for l in range(2, L + 1):
        z = params["W%d" % l] @ a + params["b%d" % l]
        if l == L:
            a = np.exp(z) / np.sum(np.exp(z), axis=0, keepdims=True)
        else:
            a = np.tanh(z)
        cache["z%d" % l] = z
        cache["a%d" % l] = a
    return cache
'''),
    dict(ex="03.forward", what="softmax normalised over the batch (axis 1) instead of over the classes", kinds={"axis", "batch-mixing"},
         mistake=r"(?i)axis|column|row|over the batch|examples",
         code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ cache[f"a{l-1}"] + params[f"b{l}"]
        cache[f"z{l}"] = z
        if l < L:
            cache[f"a{l}"] = np.tanh(z)
        else:
            e = np.exp(z - z.max())
            cache[f"a{l}"] = e / e.sum(axis=1, keepdims=True)
    return cache
'''),
    dict(ex="03.forward", what="tanh applied to the output layer too, before the softmax", kinds={"layer-localised", "forward"},
         mistake=r"(?i)tanh|output layer|activation|last layer|layer L|a\^\[L\]",
         code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ cache[f"a{l-1}"] + params[f"b{l}"]
        cache[f"z{l}"] = z
        a = np.tanh(z)
        if l == L:
            a = np.exp(a - a.max(axis=0)) / np.exp(a - a.max(axis=0)).sum(axis=0)
        cache[f"a{l}"] = a
    return cache
'''),
    # ------------------------------------------------------------------ 03.softmax_jacobian
    dict(ex="03.softmax_jacobian", what="only the diagonal s_i(1 − s_i): the i ≠ j entries left at 0", kinds={"term"},
         mistake=r"(?i)off-diagonal|diagonal|i ?≠ ?j|i ?!= ?j|cross terms",
         code='''
def softmax_jacobian(z):
    s = np.exp(z - np.max(z))
    s = (s / s.sum()).ravel()
    return np.diag(s * (1 - s))
'''),
    # ------------------------------------------------------------------ 03.delta_L
    dict(ex="03.delta_L", what="divided by B (the batch mean put into δ)", kinds={"batch-mean", "factor"},
         mistake=r"(?i)1/B|÷ ?B|per example|batch mean|factor B",
         code='''
def delta_L(Z, Y):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    P = E / E.sum(axis=0, keepdims=True)
    return (P - Y) / Z.shape[1]
'''),
    dict(ex="03.delta_L", what="multiplied by the softmax's diagonal slope s(1 − s), the sigmoid habit", kinds={"op-derivative"},
         mistake=r"(?i)s ?\(1 ?[−-] ?s\)|a ?\(1 ?[−-] ?a\)|σ′|slope|cancel|diagonal|Jacobian",
         code='''
def delta_L(Z, Y):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    S = E / E.sum(axis=0, keepdims=True)
    return (S - Y) * S * (1 - S)
'''),
    # ------------------------------------------------------------------ 03.delta_prev
    dict(ex="03.delta_prev", what="tanh(z) used instead of its derivative 1 − tanh²(z)", kinds={"op-derivative"},
         mistake=r"(?i)tanh′|tanh'|derivative|1 ?[−-] ?tanh|slope",
         code='''
def delta_prev(W_next, delta_next, z):
    return np.tanh(z) * (W_next.T @ delta_next)
'''),
    # ------------------------------------------------------------------ 03.backward
    dict(ex="03.backward", what="1/B twice: δ^[L] divided by B and the parameter gradients again", kinds={"batch-mean", "factor"},
         mistake=r"(?i)B²|B\^2|twice|1/B|÷ ?B|factor B|batch mean",
         code='''
def backward(params, X, Y):
    L = n_layers(params)
    B = X.shape[1]
    a, z = {1: X}, {}
    for l in range(2, L + 1):
        z[l] = params["W%d" % l] @ a[l - 1] + params["b%d" % l]
        if l < L:
            a[l] = np.tanh(z[l])
        else:
            e = np.exp(z[l] - z[l].max(axis=0, keepdims=True))
            a[l] = e / e.sum(axis=0, keepdims=True)
    delta = (a[L] - Y) / B
    grads = {}
    for l in range(L, 1, -1):
        grads["W%d" % l] = delta @ a[l - 1].T / B
        grads["b%d" % l] = np.sum(delta, axis=1, keepdims=True) / B
        if l > 2:
            delta = (1 - a[l - 1] ** 2) * (params["W%d" % l].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="the hidden layers' derivative taken as the sigmoid's a(1 − a)", kinds={"op-derivative", "delta-recursion"},
         mistake=r"(?i)tanh′|tanh'|1 ?[−-] ?a²|σ′|sigmoid|derivative of|a ?\(1 ?[−-] ?a\)",
         code='''
def backward(params, X, Y):
    L = n_layers(params)
    B = X.shape[1]
    acts = [None, X]
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ acts[-1] + params[f"b{l}"]
        if l == L:
            z = z - z.max(axis=0)
            acts.append(np.exp(z) / np.exp(z).sum(axis=0))
        else:
            acts.append(np.tanh(z))
    d = acts[L] - Y
    g = {}
    for l in range(L, 1, -1):
        g[f"W{l}"] = d @ acts[l - 1].T / B
        g[f"b{l}"] = d.mean(axis=1, keepdims=True)
        d = acts[l - 1] * (1 - acts[l - 1]) * (params[f"W{l}"].T @ d)
    return g
'''),
    # ------------------------------------------------------------------ 04.sgd_update
    dict(ex="04.sgd_update", what="in-place update of the caller's params (-=), the dict returned", kinds={"aliasing"},
         mistake=r"(?i)in.place|modif|read-only|mutat|chang\w* (its|the caller'?s?|your) input|copy",
         code='''
def sgd_update(params, grads, eta):
    for k in params:
        params[k] -= eta * grads[k]
    return params
'''),
    dict(ex="04.sgd_update", what="uphill: p + η∇C", kinds={"sign"},
         mistake=r"(?i)sign|uphill|ascent|opposite|\+ ?η|against the gradient",
         code='''
def sgd_update(params, grads, eta):
    new = {}
    for name, value in params.items():
        new[name] = value + eta * grads[name]
    return new
'''),
    # ------------------------------------------------------------------ 04.minibatches
    dict(ex="04.minibatches", what="shuffled once, the same permutation reused every epoch", kinds={"order"},
         mistake=r"(?i)every epoch|each epoch|same (order|permutation)|reshuffl|once|repeat",
         code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    out = []
    for e in range(epochs):
        for start in range(0, n, batch_size):
            out.append(perm[start:start + batch_size])
    return out
'''),
    dict(ex="04.minibatches", what="the last, smaller batch of each epoch dropped", kinds={"count"},
         mistake=r"(?i)last batch|smaller|remainder|drop|missing batch|number of batches|count",
         code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(epochs):
        idx = rng.permutation(n)
        for i in range(n // batch_size):
            batches.append(idx[i * batch_size:(i + 1) * batch_size])
    return batches
'''),
    dict(ex="04.minibatches", what="the global np.random with np.random.seed instead of default_rng(seed)", kinds={"seed"},
         mistake=r"(?i)default_rng|generator|seed|np\\.random\\.|global",
         code='''
def minibatches(n, batch_size, epochs, seed):
    np.random.seed(seed)
    result = []
    for _ in range(epochs):
        order = np.random.permutation(n)
        result += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return result
'''),
    # ------------------------------------------------------------------ 04.ce_cost
    dict(ex="04.ce_cost", what="log of a (shifted) softmax: log 0 = −inf for logits far below the max", kinds={"nonfinite", "overflow"},
         mistake=r"(?i)log ?\(?0|underflow|\binf\b|nan|logsumexp|log-sum-exp|stable|finite",
         code='''
def ce_cost(Z, Y):
    E = np.exp(Z - Z.max(axis=0, keepdims=True))
    P = E / E.sum(axis=0, keepdims=True)
    return float(-np.sum(Y * np.log(P)) / Z.shape[1])
'''),
    dict(ex="04.ce_cost", what="summed over the batch, not averaged", kinds={"batch-mean", "factor"},
         mistake=r"(?i)1/B|÷ ?B|mean|factor B|batch",
         code='''
def ce_cost(Z, Y):
    total = 0.0
    for i in range(Z.shape[1]):
        z = Z[:, i]
        m = z.max()
        lse = m + np.log(np.sum(np.exp(z - m)))
        total -= np.sum(Y[:, i] * (z - lse))
    return total
'''),
    # ------------------------------------------------------------------ 04.max_stable_eta
    dict(ex="04.max_stable_eta", what="the smallest eigenvalue instead of the largest", kinds=set(),
         mistake=r"(?i)largest|smallest|λ_?max|λ_?min|eigenvalue",
         code='''
def max_stable_eta(H):
    lams = np.linalg.eigvalsh(H)
    return 2.0 / lams[0]
'''),
    # ------------------------------------------------------------------ 05.nesterov
    dict(ex="05.nesterov", what="∇C = Hw + b: the sign of the linear term", kinds={"sign", "term"},
         mistake=r"(?i)∇C|gradient|[−-] ?b\b|sign|linear term",
         code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    w = np.array(w0, dtype=float)
    v = np.zeros_like(w)
    path = [w.copy()]
    for _ in range(n_steps):
        g = H @ (w + beta * v) + b
        v = beta * v - eta * g
        w = w + v
        path.append(w.copy())
    return np.array(path)
'''),
    dict(ex="05.nesterov", what="w updated in place (+=) and appended: every row is the last iterate", kinds={"aliasing"},
         mistake=r"(?i)in.place|same array|alias|copy|every row|all rows|identical",
         code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    w = np.array(w0, dtype=float)
    v = np.zeros(len(w))
    rows = [w]
    for _ in range(n_steps):
        v = beta * v - eta * (H @ (w + beta * v) - b)
        w += v
        rows.append(w)
    return np.vstack(rows)
'''),
    # ------------------------------------------------------------------ 05.warmup_cosine
    dict(ex="05.warmup_cosine", what="warmup η_max·e/warmup (starts at 0, off by one)", kinds={"off-by-one"},
         mistake=r"(?i)e ?\+ ?1|off.by.one|warmup|first epoch|starts? at 0|shift",
         code='''
def warmup_cosine(eta_max, eta_min, warmup, n_epochs):
    out = []
    for e in range(n_epochs):
        if e < warmup:
            out.append(eta_max * e / warmup)
        else:
            t = (e - warmup) / (n_epochs - 1 - warmup)
            out.append(eta_min + (eta_max - eta_min) * 0.5 * (1 + np.cos(np.pi * t)))
    return np.array(out)
'''),
    dict(ex="05.warmup_cosine", what="the cosine decays to 0: η_min ignored", kinds={"term", "scale"},
         mistake=r"(?i)η_?min|eta_min|minimum|floor|offset",
         code='''
def warmup_cosine(eta_max, eta_min, warmup, n_epochs):
    eta = np.zeros(n_epochs)
    for e in range(n_epochs):
        if e < warmup:
            eta[e] = eta_max * (e + 1) / warmup
        else:
            t = (e - warmup) / (n_epochs - 1 - warmup)
            eta[e] = eta_max * 0.5 * (1 + np.cos(np.pi * t))
    return eta
'''),
    # ------------------------------------------------------------------ 05.leaky_init
    dict(ex="05.leaky_init", what="He's variance 2/n_in: α ignored", kinds={"scale"},
         mistake=r"(?i)α|alpha|1 ?\+ ?α²|leak|\bHe\b",
         code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    std = np.sqrt(2.0 / n_in)
    if dist == "uniform":
        lim = np.sqrt(3.0) * std
        return rng.uniform(-lim, lim, size=(n_out, n_in))
    return rng.normal(0.0, std, size=(n_out, n_in))
'''),
    dict(ex="05.leaky_init", what="uniform on [−σ, σ]: the √3 of a uniform's bound forgotten", kinds={"scale"},
         mistake=r"(?i)√3|sqrt\(3\)|uniform|bound|a²/3",
         code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    var = 2 / ((1 + alpha ** 2) * n_in)
    if dist == "normal":
        return rng.normal(0, np.sqrt(var), (n_out, n_in))
    a = np.sqrt(var)
    return rng.uniform(-a, a, (n_out, n_in))
'''),
    # ------------------------------------------------------------------ 05.gd_speed
    dict(ex="05.gd_speed", what="the ridge term λI left out of the Hessian", kinds={"term"},
         mistake=r"(?i)λ|lambda|ridge|penalty",
         code='''
def gd_speed(A, lam):
    H = A.T @ A / A.shape[0]
    lo, hi = np.linalg.eigvalsh(H)[[0, -1]]
    kappa = hi / lo
    return 2 / hi, kappa, np.log(10) / -np.log(1 - 1 / kappa)
'''),
    dict(ex="05.gd_speed", what="steps per digit approximated as κ ln 10 instead of the exact ln 10 / −ln(1 − 1/κ)",
         kinds={"approximation"},
         mistake=r"(?i)exact|approximat|κ ?ln ?10|ln ?\(1 ?[−-] ?1/κ\)|log ?\(1",
         code='''
def gd_speed(A, lam):
    N, k = A.shape
    H = A.T @ A / N + lam * np.eye(k)
    ev = np.linalg.eigvalsh(H)
    kappa = ev.max() / ev.min()
    return 2 / ev.max(), kappa, kappa * np.log(10)
'''),
    # ------------------------------------------------------------------ 05.max_stable_eta
    dict(ex="05.max_stable_eta", what="2/c: the momentum β ignored", kinds=set(),
         mistake=r"(?i)β|beta|momentum|1 ?\+ ?β",
         code='''
def max_stable_eta(c, beta):
    return 2.0 / c
'''),
    # ------------------------------------------------------------------ 06.torch_bn_forward
    dict(ex="06.torch_bn_forward", what="running variance updated with the biased batch variance (the course's rule)",
         kinds={"factor"},
         mistake=r"(?i)unbiased|B ?[−-] ?1|Bessel|running var",
         code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    return out, (1 - momentum) * running_mean + momentum * mu, (1 - momentum) * running_var + momentum * var
'''),
    dict(ex="06.torch_bn_forward", what="momentum on the old running value: momentum·running + (1 − momentum)·batch",
         kinds={"decay"},
         mistake=r"(?i)momentum|weigh|swapped|1 ?[−-] ?momentum|decay",
         code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    B = x.shape[0]
    mu = np.mean(x, axis=0)
    var = np.var(x, axis=0)
    y = (x - mu) / np.sqrt(var + eps) * gamma + beta
    rm = momentum * running_mean + (1 - momentum) * mu
    rv = momentum * running_var + (1 - momentum) * var * B / (B - 1)
    return y, rm, rv
'''),
    # ------------------------------------------------------------------ 06.bn_backward_graph
    dict(ex="06.bn_backward_graph", what="du without the variance path (direct and mean paths only)", kinds={"term"},
         mistake=r"(?i)variance path|dvar|∂C/∂v|three paths|path",
         code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    var = ((u - mu) ** 2).mean(axis=1, keepdims=True)
    s = np.sqrt(var + eps)
    xhat = (u - mu) / s
    dxhat = dout * gamma
    dvar = -0.5 * np.sum(dxhat * (u - mu), axis=1, keepdims=True) / s ** 3
    dmu = -np.sum(dxhat, axis=1, keepdims=True) / s - 2 * dvar * np.mean(u - mu, axis=1, keepdims=True)
    du = dxhat / s + dmu / B
    return {"dbeta": dout.sum(axis=1, keepdims=True), "dgamma": np.sum(dout * xhat, axis=1, keepdims=True),
            "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}
'''),
    dict(ex="06.bn_backward_graph", what="dvar without the −½ of the derivative of (v + ε)^(−½)", kinds={"factor"},
         mistake=r"(?i)dvar|∂C/∂v|−1/2|-1/2|-0\.5|½|factor|variance",
         code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    n, B = u.shape
    mu = np.mean(u, axis=1, keepdims=True)
    v = np.var(u, axis=1, keepdims=True)
    s = np.sqrt(v + eps)
    xhat = (u - mu) / s
    dxhat = gamma * dout
    dvar = np.sum(dxhat * (u - mu), axis=1, keepdims=True) * s ** -3
    dmu = -np.sum(dxhat, axis=1, keepdims=True) / s
    du = dxhat / s + dvar * 2 * (u - mu) / B + dmu / B
    return dict(dbeta=np.sum(dout, axis=1, keepdims=True), dgamma=np.sum(dout * xhat, axis=1, keepdims=True),
                dxhat=dxhat, dvar=dvar, dmu=dmu, du=du)
'''),
    # ------------------------------------------------------------------ 06.layernorm_backward
    dict(ex="06.layernorm_backward", what="the batch-norm formula pasted: means over the batch (axis 1)", kinds={"axis"},
         mistake=r"(?i)axis|units|examples|over the batch|column",
         code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    mu = u.mean(axis=0, keepdims=True)
    s = np.sqrt(u.var(axis=0, keepdims=True) + eps)
    xhat = (u - mu) / s
    g = gamma * dout
    du = (g - g.mean(axis=1, keepdims=True) - xhat * (g * xhat).mean(axis=1, keepdims=True)) / s
    return du, np.sum(dout * xhat, axis=1, keepdims=True), np.sum(dout, axis=1, keepdims=True)
'''),
    dict(ex="06.layernorm_backward", what="γ taken out of the means, as if constant along the normalised axis", kinds={"order"},
         mistake=r"(?i)γ|gamma|constant along|inside the mean|before the mean",
         code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    n = u.shape[0]
    mu = u.sum(axis=0, keepdims=True) / n
    s = np.sqrt(((u - mu) ** 2).sum(axis=0, keepdims=True) / n + eps)
    xhat = (u - mu) / s
    du = gamma * (dout - dout.mean(axis=0, keepdims=True) - xhat * (dout * xhat).mean(axis=0, keepdims=True)) / s
    return du, (dout * xhat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)
'''),
    # ------------------------------------------------------------------ 07.residual_proj_backward
    dict(ex="07.residual_proj_backward", what="da without the skip path Pᵀ dout", kinds={"term"},
         mistake=r"(?i)skip|P\s*ᵀ|P\.T|P\^T|path|projection",
         code='''
def residual_proj_backward(dout, a, W, b, P):
    z = W @ a + b
    d = dout * relu_prime(z)
    return W.T @ d, d @ a.T, np.sum(d, axis=1, keepdims=True), dout @ a.T
'''),
    # ------------------------------------------------------------------ 07.dense_stack_backward
    dict(ex="07.dense_stack_backward", what="the direct rows dout[:n+k] of c₁ forgotten: c₁'s gradient only through block 2",
         kinds={"term", "layer-localised"},  # fixed after the first run: layer 2's gradients are right
         mistake=r"(?i)direct|path|dout\[|concatenat|skip|rows of dout",
         code='''
def dense_stack_backward(dout, a, W1, b1, W2, b2):
    n, k = a.shape[0], W1.shape[0]
    z1 = W1 @ a + b1
    h1 = relu(z1)
    c1 = np.vstack([a, h1])
    z2 = W2 @ c1 + b2
    d2 = dout[n + k:] * relu_prime(z2)
    dc1 = W2.T @ d2
    d1 = dc1[n:] * relu_prime(z1)
    da = dc1[:n] + W1.T @ d1
    return da, d1 @ a.T, d1.sum(axis=1, keepdims=True), d2 @ c1.T, d2.sum(axis=1, keepdims=True)
'''),
    # ------------------------------------------------------------------ 07.forward_signal
    dict(ex="07.forward_signal", what="the mean of per-unit rms values instead of one root mean square over all entries",
         kinds={"axis"},
         mistake=r"(?i)root mean square|\brms\b|mean of (the )?roots|axis|square root",
         code='''
def forward_signal(Ws, bs, X):
    def rms(a):
        return np.mean(np.sqrt(np.mean(a ** 2, axis=1)))
    out = np.zeros((2, len(Ws) + 1))
    for r in range(2):
        a = X
        out[r, 0] = rms(a)
        for l, (W, b) in enumerate(zip(Ws, bs)):
            h = np.tanh(W @ a + b)
            a = a + h if r == 1 else h
            out[r, l + 1] = rms(a)
    return out
'''),
    # ------------------------------------------------------------------ 07.grad_norms
    dict(ex="07.grad_norms", what="the residual backward pass without the skip's + g", kinds={"term", "layer-localised"},
         mistake=r"(?i)skip|residual|\+ ?g|identity|path",
         code='''
def deep_loss_and_grads(Ws, bs, X, Y, residual):
    A, Z = [X], []
    for W, b in zip(Ws, bs):
        Z.append(W @ A[-1] + b)
        A.append(A[-1] + np.tanh(Z[-1]) if residual else np.tanh(Z[-1]))
    N = X.shape[1]
    g = (A[-1] - Y) / N
    dWs, dbs = [], []
    for l in range(len(Ws) - 1, -1, -1):
        d = g * (1 - np.tanh(Z[l]) ** 2)
        dWs.insert(0, d @ A[l].T)
        dbs.insert(0, d.sum(axis=1, keepdims=True))
        g = Ws[l].T @ d
    return 0.5 * np.sum((A[-1] - Y) ** 2) / N, dWs, dbs


def grad_norms(Ws, bs, X, Y):
    rows = []
    for residual in [False, True]:
        _, dWs, _ = deep_loss_and_grads(Ws, bs, X, Y, residual)
        rows.append([np.sqrt(np.sum(dW ** 2)) for dW in dWs])
    return np.array(rows)
'''),
    # ------------------------------------------------------------------ 07.train_deep
    dict(ex="07.train_deep", what="the caller's Ws updated in place: the residual run starts from the trained plain weights",
         kinds={"aliasing", "carry-over"},
         mistake=r"(?i)in.place|modif|copy|same start|caller|mutat|alias",
         code='''
def deep_loss_and_grads(Ws, bs, X, Y, residual):
    acts, zs = [X], []
    for W, b in zip(Ws, bs):
        zs.append(W @ acts[-1] + b)
        acts.append(acts[-1] + np.tanh(zs[-1]) if residual else np.tanh(zs[-1]))
    N = X.shape[1]
    g = (acts[-1] - Y) / N
    dWs, dbs = [None] * len(Ws), [None] * len(Ws)
    for l in reversed(range(len(Ws))):
        d = g * (1 - np.tanh(zs[l]) ** 2)
        dWs[l], dbs[l] = d @ acts[l].T, d.sum(axis=1, keepdims=True)
        g = Ws[l].T @ d + (g if residual else 0)
    return 0.5 * np.sum((acts[-1] - Y) ** 2) / N, dWs, dbs


def train_deep(Ws, bs, X, Y, eta, n_iter):
    losses = np.zeros((2, n_iter))
    for r, residual in enumerate([False, True]):
        for k in range(n_iter):
            C, dWs, dbs = deep_loss_and_grads(Ws, bs, X, Y, residual)
            losses[r, k] = C
            for l in range(len(Ws)):
                Ws[l] -= eta * dWs[l]
                bs[l] -= eta * dbs[l]
    return losses
'''),
    # ------------------------------------------------------------------ 08.l2_loss_and_grads
    dict(ex="08.l2_loss_and_grads", what="the biases penalised too", kinds={"bias"},
         mistake=r"(?i)bias|\bb\^|\bdb",
         code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(W2 @ X + b2)
    out = W3 @ a2 + b3
    e = out - Y
    d2 = (W3.T @ e) * (1 - a2 ** 2)
    C = np.sum(e ** 2) / (2 * N) + lam / 2 * sum(np.sum(p ** 2) for p in (W2, b2, W3, b3))
    return (C, d2 @ X.T / N + lam * W2, d2.sum(axis=1, keepdims=True) / N + lam * b2,
            e @ a2.T / N + lam * W3, e.sum(axis=1, keepdims=True) / N + lam * b3)
'''),
    dict(ex="08.l2_loss_and_grads", what="the penalty's gradient λW divided by N like the data term", kinds={"factor", "batch-mean"},
         mistake=r"(?i)λ ?W|penalty|1/N|÷ ?N|regulari|decay",
         code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    z2 = W2 @ X + b2
    a2 = np.tanh(z2)
    a3 = W3 @ a2 + b3
    d3 = a3 - Y
    d2 = (1 - np.tanh(z2) ** 2) * (W3.T @ d3)
    C = 0.5 * np.sum(d3 ** 2) / N + 0.5 * lam * (np.sum(W2 ** 2) + np.sum(W3 ** 2))
    dW2 = (d2 @ X.T + lam * W2) / N
    dW3 = (d3 @ a2.T + lam * W3) / N
    return C, dW2, d2.sum(axis=1, keepdims=True) / N, dW3, d3.sum(axis=1, keepdims=True) / N
'''),
    # ------------------------------------------------------------------ 08.dropout_net_train
    dict(ex="08.dropout_net_train", what="the inverted-dropout scaling 1/(1 − q) forgotten", kinds={"scale", "factor"},
         mistake=r"(?i)1 ?[−-] ?[pq]|1/\(1|invert|scal|keep probability",
         code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    h = relu(W2 @ X + b2)
    if train:
        h = h * mask
    return W3 @ h + b3
'''),
    # ------------------------------------------------------------------ 08.dropout_net_eval
    dict(ex="08.dropout_net_eval", what="classic dropout at evaluation: multiplied by (1 − q)", kinds={"scale", "factor"},
         mistake=r"(?i)1 ?[−-] ?[pq]|scal|invert|eval",
         code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    a2 = relu(W2 @ X + b2)
    a2 = a2 * mask / (1 - p) if train else a2 * (1 - p)
    return W3 @ a2 + b3
'''),
    # ------------------------------------------------------------------ 08.dropout_net_backward
    dict(ex="08.dropout_net_backward", what="the gradient not sent back through the dropout (mask/(1 − q) forgotten on the way down)",
         kinds={"layer-localised", "factor"},
         mistake=r"(?i)mask|dropout|1 ?[−-] ?[pq]|way down",
         code='''
def dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask):
    N = X.shape[1]
    z2 = W2 @ X + b2
    at = relu(z2) * mask / (1 - p)
    d3 = W3 @ at + b3 - Y
    d2 = (W3.T @ d3) * relu_prime(z2)
    return d2 @ X.T / N, d2.sum(axis=1, keepdims=True) / N, d3 @ at.T / N, d3.sum(axis=1, keepdims=True) / N
'''),
    dict(ex="08.dropout_net_backward", what="dW3 from a^[2] before dropout instead of what layer 3 saw", kinds=set(),
         mistake=r"(?i)ã|a2_tilde|tilde|after (the )?dropout|layer 3 saw|mask|dropout",
         code='''
def dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask):
    N = X.shape[1]
    z2 = W2 @ X + b2
    a2 = relu(z2)
    out = W3 @ (a2 * mask / (1 - p)) + b3
    d3 = out - Y
    d2 = (W3.T @ d3) * mask / (1 - p) * relu_prime(z2)
    return d2 @ X.T / N, np.sum(d2, axis=1, keepdims=True) / N, d3 @ a2.T / N, np.sum(d3, axis=1, keepdims=True) / N
'''),
    # ------------------------------------------------------------------ 08.early_stopping
    dict(ex="08.early_stopping", what="a tie counted as an improvement (>=, not strictly greater)", kinds={"boolean"},
         mistake=r"(?i)strict|tie|≥|>=|equal",
         code='''
def early_stopping(snapshots, Xv, yv, patience):
    best, best_t, waited = -1.0, 0, 0
    T = len(snapshots)
    for t in range(1, len(snapshots) + 1):
        acc = np.mean(np.argmax(snapshots[t - 1] @ Xv, axis=0) == yv)
        if acc >= best:
            best, best_t, waited = acc, t, 0
        else:
            waited += 1
            if waited >= patience:
                T = t
                break
    return best_t, T, snapshots[best_t - 1].copy()
'''),
    dict(ex="08.early_stopping", what="the last trained weights returned instead of the best", kinds=set(),
         mistake=r"(?i)best|restor|last snapshot|last weights",
         code='''
def early_stopping(snapshots, Xv, yv, patience):
    best, best_t, waited = -np.inf, 0, 0
    T = len(snapshots)
    for t, W in enumerate(snapshots, 1):
        acc = np.mean((W @ Xv).argmax(axis=0) == yv)
        if acc > best:
            best, best_t, waited = acc, t, 0
        else:
            waited += 1
            if waited == patience:
                T = t
                break
    return best_t, T, np.array(snapshots[T - 1])
'''),
    # ------------------------------------------------------------------ 09.rmsnorm_forward
    dict(ex="09.rmsnorm_forward", what="the mean subtracted first (layer norm's habit)", kinds={"term"},
         mistake=r"(?i)mean|centr|layer norm|subtract",
         code='''
def rmsnorm_forward(x, gamma, eps=1e-5):
    xc = x - x.mean(axis=0, keepdims=True)
    rms = np.sqrt((xc ** 2).mean(axis=0, keepdims=True) + eps)
    xhat = xc / rms
    return gamma * xhat, (xhat, gamma, rms)
'''),
    dict(ex="09.rmsnorm_forward", what="ε outside the root: √mean(x²) + ε",
         kinds={"term", "approximation"},  # fixed after the first run: the output is close (ε misplaced)
         mistake=r"(?i)ε|eps|inside|outside|root",
         code='''
def rmsnorm_forward(x, gamma, eps=1e-5):
    n = x.shape[0]
    rms = np.sqrt(np.sum(x ** 2, axis=0, keepdims=True) / n) + eps
    return gamma * (x / rms), (x / rms, gamma, rms)
'''),
    # ------------------------------------------------------------------ 09.rmsnorm_backward
    dict(ex="09.rmsnorm_backward", what="only the direct path: dx = γ·dout/rms, the path through rms forgotten", kinds={"term"},
         mistake=r"(?i)path|through (the )?rms|mean\(|second term|a term|missing term",
         code='''
def rmsnorm_backward(dout, cache):
    xhat, gamma, rms = cache
    return gamma * dout / rms, {"gamma": (dout * xhat).sum(axis=1, keepdims=True)}
'''),
    dict(ex="09.rmsnorm_backward", what="the mean in dx over the batch (axis 1) instead of over the units", kinds={"axis"},
         mistake=r"(?i)axis|units|over the batch|examples|column",
         code='''
def rmsnorm_backward(dout, cache):
    xhat, gamma, rms = cache
    g = dout * gamma
    dx = (g - xhat * np.mean(g * xhat, axis=1, keepdims=True)) / rms
    return dx, {"gamma": np.sum(dout * xhat, axis=1, keepdims=True)}
'''),
    # ------------------------------------------------------------------ 09.network
    dict(ex="09.network", what="the dense layer's gradients divided by B", kinds={"batch-mean", "factor", "layer-localised"},
         mistake=r"(?i)1/B|÷ ?B|factor B|batch mean|never divid|\bdense\b",
         code=api09(DENSE_DW="dout @ cache.T / dout.shape[1]",
                    DENSE_DB="dout.sum(axis=1, keepdims=True) / dout.shape[1]")),
    dict(ex="09.network", what="batch norm's backward without the mean term (−mean of γ·dout)", kinds={"term", "layer-localised"},
         mistake=r"(?i)batch ?norm|mean term|μ|the mean",
         code=api09(BN_DX="(g - xh * (g * xh).mean(axis=1, keepdims=True)) / sd")),
    dict(ex="09.network", what="dropout's backward without the 1/(1 − q)", kinds={"layer-localised", "factor"},
         mistake=r"(?i)dropout|1 ?[−-] ?[pq]|scal",
         code=api09(DROP_DX="dout * layer['mask']")),
    # ------------------------------------------------------------------ 09.network_residual
    dict(ex="09.network_residual", what="the residual block's backward drops the identity path (+ dout)", kinds={"term", "layer-localised"},
         mistake=r"(?i)skip|identity|residual|\+ ?dout|x ?\+",
         code=api09(RES_DX="dx")),
    # ------------------------------------------------------------------ 09.grad_check
    dict(ex="09.grad_check", what="the perturbed entry never restored (left at x − h)", kinds=set(),
         mistake=r"(?i)restor|perturb|in place|put back",
         code=api09() + gradcheck09(RESTORE="pass")),
    dict(ex="09.grad_check", what="threshold 1e-5 instead of 1e-7: subtly wrong claims pass", kinds=set(),
         mistake=r"(?i)1e-7|10\^?[−-]7|10⁻⁷|threshold|tolerance|fine",
         code=api09() + gradcheck09(THRESHOLD="1e-5")),
]

CORRECT = [
    dict(ex="01.softplus_prime", what="via logaddexp, never exp of a large number", code='''
def softplus_prime(z):
    return np.exp(-np.logaddexp(0.0, -z))
'''),
    dict(ex="01.elu_prime", what="boolean masks into a ones array", code='''
def elu_prime(z, alpha):
    z = np.asarray(z, dtype=float)
    out = np.ones(z.shape)
    neg = z <= 0
    out[neg] = alpha * np.exp(z[neg])
    return out
'''),
    dict(ex="01.graph_grad", what="path by path, every path written out", code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    u = x1 + m1
    m2 = np.tanh(u)
    s = sigmoid(m1)
    ds = s * (1 - s)
    dt = 1 - np.tanh(u) ** 2
    # x1 -> m1 -> y, x1 -> m1 -> m2 -> y, x1 -> m2 -> y
    g1 = x2 * ds * m2 + x2 * dt * s + dt * s
    # x2 -> m1 -> y, x2 -> m1 -> m2 -> y
    g2 = x1 * ds * m2 + x1 * dt * s
    return g1, g2
'''),
    dict(ex="01.xent_neuron_grads", what="a loop over the examples", code='''
def xent_neuron_grads(w, b, X, y):
    n, B = X.shape
    gw, gb = np.zeros(n), 0.0
    for i in range(B):
        a = 1 / (1 + np.exp(-(X[:, i] @ w + b)))
        gw = gw + (a - y[i]) * X[:, i]
        gb = gb + (a - y[i])
    return gw / B, float(gb / B)
'''),
    dict(ex="02.n_params_dense", what="closed form with cumulative sums", code='''
def n_params_dense(sizes):
    fan_ins = np.cumsum(sizes)[:-1]
    return int(sum(n * (f + 1) for n, f in zip(sizes[1:], fan_ins)))
'''),
    dict(ex="02.standardize", what="row by row", code='''
def standardize(X):
    out = np.empty(X.shape)
    for r in range(X.shape[0]):
        row = X[r]
        m = row.sum() / row.size
        sd = np.sqrt(((row - m) ** 2).sum() / row.size)
        out[r] = (row - m) / sd
    return out
'''),
    dict(ex="03.backward", what="one example (column) at a time, then averaged", code='''
def backward(params, X, Y):
    L = n_layers(params)
    B = X.shape[1]
    total = {k: np.zeros_like(v) for k, v in params.items()}
    for i in range(B):
        a = {1: X[:, [i]]}
        for l in range(2, L + 1):
            z = params[f"W{l}"] @ a[l - 1] + params[f"b{l}"]
            if l < L:
                a[l] = np.tanh(z)
            else:
                e = np.exp(z - z.max())
                a[l] = e / e.sum()
        d = a[L] - Y[:, [i]]
        for l in range(L, 1, -1):
            total[f"W{l}"] += d @ a[l - 1].T
            total[f"b{l}"] += d
            if l > 2:
                d = (1 - a[l - 1] ** 2) * (params[f"W{l}"].T @ d)
    return {k: v / B for k, v in total.items()}
'''),
    dict(ex="04.minibatches", what="a while loop over the permutation", code='''
def minibatches(n, batch_size, epochs, seed):
    gen = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        p = gen.permutation(n)
        start = 0
        while start < n:
            out.append(p[start:start + batch_size])
            start += batch_size
    return out
'''),
    dict(ex="04.ce_cost", what="np.logaddexp.reduce per column", code='''
def ce_cost(Z, Y):
    lse = np.logaddexp.reduce(Z, axis=0)
    return float(np.mean(-np.sum(Y * (Z - lse), axis=0)))
'''),
    dict(ex="05.nesterov", what="a preallocated array and a gradient function", code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    grad = lambda w: H @ w - b
    W = np.zeros((n_steps + 1, len(w0)))
    W[0] = w0
    v = np.zeros(len(w0))
    for k in range(n_steps):
        v = beta * v - eta * grad(W[k] + beta * v)
        W[k + 1] = W[k] + v
    return W
'''),
    dict(ex="06.layernorm_backward", what="node by node: dvar and dmu per column", code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    n = u.shape[0]
    mu = u.mean(axis=0, keepdims=True)
    var = u.var(axis=0, keepdims=True)
    s = np.sqrt(var + eps)
    xhat = (u - mu) / s
    dxhat = dout * gamma
    dvar = np.sum(dxhat * (u - mu), axis=0, keepdims=True) * -0.5 * s ** -3
    dmu = -np.sum(dxhat, axis=0, keepdims=True) / s
    du = dxhat / s + dvar * 2 * (u - mu) / n + dmu / n
    return du, np.sum(dout * xhat, axis=1, keepdims=True), np.sum(dout, axis=1, keepdims=True)
'''),
    dict(ex="07.dense_stack_backward", what="slices by name, block 2 then block 1", code='''
def dense_stack_backward(dout, a, W1, b1, W2, b2):
    n, k = a.shape[0], W1.shape[0]
    z1 = W1 @ a + b1
    h1 = np.maximum(z1, 0)
    c1 = np.concatenate([a, h1])
    z2 = W2 @ c1 + b2
    d_a_direct, d_h1_direct, d_h2 = dout[:n], dout[n:n + k], dout[n + k:]
    e2 = d_h2 * (z2 > 0)
    back2 = W2.T @ e2
    e1 = (d_h1_direct + back2[n:]) * (z1 > 0)
    da = d_a_direct + back2[:n] + W1.T @ e1
    return da, e1 @ a.T, e1.sum(1, keepdims=True), e2 @ c1.T, e2.sum(1, keepdims=True)
'''),
    dict(ex="08.early_stopping", what="all accuracies first, then the patience rule", code='''
def early_stopping(snapshots, Xv, yv, patience):
    accs = [float(np.mean(np.argmax(W @ Xv, axis=0) == yv)) for W in snapshots]
    best_i, since = 0, 0
    stop_i = len(accs) - 1
    for i in range(1, len(accs)):
        if accs[i] > accs[best_i]:
            best_i, since = i, 0
        else:
            since += 1
        if since == patience:
            stop_i = i
            break
    if patience == 1 or len(accs) == 1:
        pass
    return best_i + 1, stop_i + 1, np.copy(snapshots[best_i])
'''),
    dict(ex="09.rmsnorm_backward", what="node by node through mean(x²)", code='''
def rmsnorm_backward(dout, cache):
    xhat, gamma, rms = cache
    n = xhat.shape[0]
    x = xhat * rms
    dxhat = dout * gamma
    drms = -np.sum(dxhat * x, axis=0, keepdims=True) / rms ** 2
    dms = drms / (2 * rms)
    dx = dxhat / rms + dms * 2 * x / n
    return dx, {"gamma": np.sum(dout * xhat, axis=1, keepdims=True)}
'''),
    dict(ex="09.network", what="a student's own layer API", code=api09()),
    dict(ex="09.network_residual", what="a student's own layer API", code=api09()),
    dict(ex="09.grad_check", what="a student's own gradient check with nditer", code=api09() + gradcheck09()),
]
