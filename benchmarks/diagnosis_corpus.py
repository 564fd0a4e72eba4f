"""A corpus of student answers for measuring the diagnosis (benchmarks/diagnosis.py).

Written the way students write (loops, einsum, their own names, the mistakes they really make),
independently of the catalogue in bpkit_instructor/exercises: each entry is plain Python source
that defines the graded function under its notebook name, run after the assignment's setup cell
(SETUP) as in the notebook.

WRONG entries: `ex` the exercise, `what` the actual mistake in words, `mistake` a regex (searched
case-insensitively in the judge's message and misconception name) that a diagnosis pointing at
that mistake must match, `code` the answer. CORRECT entries: answers written differently from the
reference that must be accepted.
"""

FUNCTION = {  # the graded function's name in each notebook
    "01.softplus_prime": "softplus_prime", "01.elu_prime": "elu_prime", "01.graph_grad": "graph_grad",
    "01.xent_neuron_grads": "xent_neuron_grads", "01.richardson": "richardson",
    "02.n_params_dense": "n_params_dense", "02.forward_diff_cost": "forward_diff_cost",
    "02.chain_grads": "chain_grads", "02.naive_grads": "naive_grads", "02.standardize": "standardize",
    "03.forward": "forward", "03.softmax_jacobian": "softmax_jacobian", "03.delta_L": "delta_L",
    "03.delta_prev": "delta_prev", "03.backward": "backward",
    "04.sgd_update": "sgd_update", "04.minibatches": "minibatches", "04.ce_cost": "ce_cost",
    "04.max_stable_eta": "max_stable_eta",
    "05.nesterov": "nesterov_descent", "05.warmup_cosine": "warmup_cosine",
    "05.leaky_init": "leaky_relu_init", "05.gd_speed": "gd_speed", "05.max_stable_eta": "max_stable_eta",
    "06.torch_bn_forward": "bn_forward_torch", "06.bn_backward_graph": "batchnorm_backward_graph",
    "06.layernorm_backward": "layernorm_backward",
    "07.residual_proj_backward": "residual_proj_backward", "07.dense_stack_forward": "dense_stack_forward",
    "07.dense_stack_backward": "dense_stack_backward", "07.forward_signal": "forward_signal",
    "07.grad_norms": "grad_norms", "07.train_deep": "train_deep",
    "08.l2_loss_and_grads": "l2_loss_and_grads", "08.dropout_net_train": "dropout_net_forward",
    "08.dropout_net_eval": "dropout_net_forward", "08.dropout_net_backward": "dropout_net_backward",
    "08.early_stopping": "early_stopping",
}

SETUP = {  # what each notebook's setup cell defines before the student's cell runs
    "01": '''
import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
''',
    "02": '''
import numpy as np
def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))
def xent_cost(Ws, bs, X, Y):
    a = X
    for W, b in zip(Ws, bs):
        a = sigmoid(W @ a + b)
    return -np.sum(Y * np.log(a) + (1 - Y) * np.log(1 - a)) / X.shape[1]
''',
    "03": '''
import numpy as np
def n_layers(params):
    return 1 + sum(1 for k in params if k.startswith("W"))
''',
    "04": '''
import numpy as np
''',
    "05": '''
import numpy as np
''',
    "06": '''
import numpy as np
''',
    "07": '''
import numpy as np
def relu(z):
    return np.maximum(z, 0.0)
def relu_prime(z):
    return (z > 0).astype(float)
''',
    "08": '''
import numpy as np
def relu(z):
    return np.maximum(z, 0.0)
def relu_prime(z):
    return (z > 0).astype(float)
''',
}

# a forward pass several 03 answers share (a student's own, correct)
_FWD03 = '''
def my_forward(params, X):
    L = n_layers(params)
    acts, zs = {1: X}, {}
    for l in range(2, L + 1):
        zs[l] = params["W" + str(l)] @ acts[l - 1] + params["b" + str(l)]
        if l < L:
            acts[l] = np.tanh(zs[l])
        else:
            e = np.exp(zs[l] - np.max(zs[l], axis=0))
            acts[l] = e / np.sum(e, axis=0)
    return acts, zs
'''

WRONG = [
    # ------------------------------------------------------------------ 01.softplus_prime
    dict(ex="01.softplus_prime", what="σ(−z): the minus sign of the inner derivative lost",
         mistake=r"sign|inner|eᶻ|e\^z", code='''
def softplus_prime(z):
    e = np.exp(-z)
    return e / (1 + e)
'''),
    dict(ex="01.softplus_prime", what="differentiated twice: eᶻ/(1 + eᶻ)² = σ′(z)",
         mistake=r"σ′|second derivative|once too often|differentiated", code='''
def softplus_prime(z):
    return np.exp(z) / (1 + np.exp(z)) ** 2
'''),
    dict(ex="01.softplus_prime", what="1/(1 + eᶻ): kept 1/u, dropped u′",
         mistake=r"inner|eᶻ|e\^z|u′|sign", code='''
def softplus_prime(z):
    u = 1 + np.exp(z)
    return 1 / u
'''),
    # ------------------------------------------------------------------ 01.elu_prime
    dict(ex="01.elu_prime", what="slope α on the positive side too", kinds={'branch'},
         mistake=r"z > 0|positive|where z|α", code='''
def elu_prime(z, alpha):
    return np.where(z > 0, alpha, alpha * np.exp(z))
'''),
    dict(ex="01.elu_prime", what="no branch: α eᶻ everywhere", kinds={'branch'},
         mistake=r"z > 0|positive|where z|branch", code='''
def elu_prime(z, alpha):
    return alpha * np.exp(z)
'''),
    dict(ex="01.elu_prime", what="a Python loop over the first axis only: fails on 2-D arrays",
         mistake=r"truth value|ValueError|any shape|2-D|shape", code='''
def elu_prime(z, alpha):
    out = np.zeros(len(z))
    for i in range(len(z)):
        if z[i] > 0:
            out[i] = 1.0
        else:
            out[i] = alpha * np.exp(z[i])
    return out
'''),
    dict(ex="01.elu_prime", what="ELU itself on the negative side (the −α kept)", kinds={'branch'},
         mistake=r"−1|−α|constant|ELU itself|kept", code='''
def elu_prime(z, alpha):
    neg = alpha * (np.exp(z) - 1)
    return np.where(z > 0, 1.0, neg)
'''),
    # ------------------------------------------------------------------ 01.graph_grad
    dict(ex="01.graph_grad", what="the two derivatives returned in swapped order", kinds={'order'},
         mistake=r"swapped|order", code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    m2 = np.tanh(x1 + m1)
    s = sigmoid(m1)
    t = 1 - m2 ** 2
    dm1 = s * (1 - s) * m2 + s * t
    return dm1 * x1, dm1 * x2 + s * t
'''),
    dict(ex="01.graph_grad", what="tanh′ written as sech (the square missing)",
         mistake=r"tanh′|sech|square", code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    u = x1 + m1
    m2 = np.tanh(u)
    s = sigmoid(m1)
    dtanh = 1 / np.cosh(u)
    dm1 = s * (1 - s) * m2 + s * dtanh
    return dm1 * x2 + s * dtanh, dm1 * x1
'''),
    dict(ex="01.graph_grad", what="σ(m₁) used where σ′(m₁) belongs",
         mistake=r"σ′|sigma'|derivative of σ", code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    m2 = np.tanh(x1 + m1)
    s = sigmoid(m1)
    dm1 = s * m2 + s * (1 - m2 ** 2)
    return dm1 * x2 + s * (1 - m2 ** 2), dm1 * x1
'''),
    dict(ex="01.graph_grad", what="∂y/∂x₂ misses the path through m₂ (only ∂y/∂x₂ wrong)",
         mistake=r"output 2|path|m₂|∂y/∂x₂", code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    m2 = np.tanh(x1 + m1)
    s = sigmoid(m1)
    t = 1 - m2 ** 2
    dy_dx1 = (s * (1 - s) * m2 + s * t) * x2 + s * t
    dy_dx2 = s * (1 - s) * m2 * x1
    return dy_dx1, dy_dx2
'''),
    # ------------------------------------------------------------------ 01.xent_neuron_grads
    dict(ex="01.xent_neuron_grads", what="summed over the batch in a loop, no 1/B", kinds={'batch-mean'},
         mistake=r"1/B|÷B|batch mean|divide by B", code='''
def xent_neuron_grads(w, b, X, y):
    dw, db = np.zeros_like(w), 0.0
    for i in range(X.shape[1]):
        a = sigmoid(w @ X[:, i] + b)
        dw += (a - y[i]) * X[:, i]
        db += a - y[i]
    return dw, db
'''),
    dict(ex="01.xent_neuron_grads", what="weights averaged, bias not", kinds={'batch-mean'},
         mistake=r"output 2|bias|1/B|÷B|B too many", code='''
def xent_neuron_grads(w, b, X, y):
    B = X.shape[1]
    err = sigmoid(w @ X + b) - y
    return X @ err / B, np.sum(err)
'''),
    dict(ex="01.xent_neuron_grads", what="∂C/∂b returned per example (not summed)",
         mistake=r"shape|sum", code='''
def xent_neuron_grads(w, b, X, y):
    err = (sigmoid(w @ X + b) - y) / X.shape[1]
    return X @ err, err
'''),
    dict(ex="01.xent_neuron_grads", what="the quadratic cost's σ′ kept (z(1 − z) form on a)",
         mistake=r"σ′|quadratic", code='''
def xent_neuron_grads(w, b, X, y):
    a = sigmoid(np.einsum("i,ij->j", w, X) + b)
    dz = (a - y) * a * (1 - a) / len(y)
    return np.einsum("ij,j->i", X, dz), dz.sum()
'''),
    dict(ex="01.xent_neuron_grads", what="y − a: a sign flip", kinds={'sign'},
         mistake=r"sign", code='''
def xent_neuron_grads(w, b, X, y):
    a = sigmoid(w @ X + b)
    g = (y - a) / X.shape[1]
    return X @ g, float(g.sum())
'''),
    # ------------------------------------------------------------------ 01.richardson
    dict(ex="01.richardson", what="the two estimates averaged instead of extrapolated", kinds={'approximation'},
         mistake=r"weights|combine|cancel|4", code='''
def richardson(f, x, h):
    d1 = (f(x + h) - f(x - h)) / (2 * h)
    d2 = (f(x + h / 2) - f(x - h / 2)) / h
    return (d1 + d2) / 2
'''),
    dict(ex="01.richardson", what="the weights' sign: (4·D(h/2) + D(h))/3",
         mistake=r"sign|minus|−", code='''
def richardson(f, x, h):
    D = lambda step: (f(x + step) - f(x - step)) / (2 * step)
    return (4 * D(h / 2) + D(h)) / 3
'''),
    dict(ex="01.richardson", what="O(h) weights: 2·D(h/2) − D(h)", kinds={'approximation'},
         mistake=r"O\(h\)|weights|h²|halving|4", code='''
def richardson(f, x, h):
    big = (f(x + h) - f(x - h)) / (2 * h)
    small = (f(x + h / 2) - f(x - h / 2)) / h
    return 2 * small - big
'''),
    # ------------------------------------------------------------------ 02.n_params_dense
    dict(ex="02.n_params_dense", what="no biases",
         mistake=r"bias", code='''
def n_params_dense(sizes):
    total = 0
    for l in range(1, len(sizes)):
        total += sizes[l] * sum(sizes[:l])
    return total
'''),
    dict(ex="02.n_params_dense", what="a plain MLP counted (fan-in n_{l−1} only)",
         mistake=r"plain|previous layer|fan-in|concatenated", code='''
def n_params_dense(sizes):
    return sum(sizes[i + 1] * sizes[i] + sizes[i + 1] for i in range(len(sizes) - 1))
'''),
    dict(ex="02.n_params_dense", what="the loop over layers starts one layer late",
         mistake=r"off|one step|layer|start", code='''
def n_params_dense(sizes):
    count = 0
    for l in range(2, len(sizes)):
        count += sizes[l] * (sum(sizes[:l]) + 1)
    return count
'''),
    # ------------------------------------------------------------------ 02.forward_diff_cost
    dict(ex="02.forward_diff_cost", what="two passes per parameter (central differences)",
         mistake=r"two passes|central|shares C\(w\)|one pass", code='''
def forward_diff_cost(sizes, N):
    P = E = 0
    for a, b in zip(sizes, sizes[1:]):
        P += b * a + b
        E += b * a
    return 2 * P * E * N
'''),
    dict(ex="02.forward_diff_cost", what="biases counted as multiply-adds of a forward pass",
         mistake=r"per-pass|multiply-add|edge|bias", code='''
def forward_diff_cost(sizes, N):
    P = sum(m * n + m for n, m in zip(sizes[:-1], sizes[1:]))
    return (P + 1) * P * N
'''),
    # ------------------------------------------------------------------ 02.chain_grads
    dict(ex="02.chain_grads", what="tanh′ written as 1 − z² (the weighted input squared)",
         mistake=r"tanh′|1 − a²|activation|square", code='''
def chain_grads(w, b, x, y):
    a, zs = [x], []
    for wl, bl in zip(w, b):
        zs.append(wl * a[-1] + bl)
        a.append(np.tanh(zs[-1]))
    dw, db = np.zeros(len(w)), np.zeros(len(w))
    for i in range(len(w)):
        g = a[-1] - y
        for k in range(len(w) - 1, i, -1):
            g = g * (1 - zs[k] ** 2) * w[k]
        db[i] = g * (1 - zs[i] ** 2)
        dw[i] = db[i] * a[i]
    return dw, db
'''),
    dict(ex="02.chain_grads", what="the weights along the path left out",
         mistake=r"weight|w\^|path|factor", code='''
def chain_grads(w, b, x, y):
    acts = [x]
    for wl, bl in zip(w, b):
        acts.append(np.tanh(wl * acts[-1] + bl))
    L = len(w)
    dw, db = np.zeros(L), np.zeros(L)
    for i in range(L):
        g = acts[-1] - y
        for k in range(i + 1, L):
            g *= 1 - acts[k + 1] ** 2
        db[i] = g * (1 - acts[i + 1] ** 2)
        dw[i] = db[i] * acts[i]
    return dw, db
'''),
    dict(ex="02.chain_grads", what="(db, dw) returned in swapped order", kinds={'order'},
         mistake=r"swapped|order", code='''
def chain_grads(w, b, x, y):
    acts = [x]
    for wl, bl in zip(w, b):
        acts.append(np.tanh(wl * acts[-1] + bl))
    dw, db = [], []
    for i in range(len(w)):
        g = acts[-1] - y
        for k in range(i + 1, len(w)):
            g = g * (1 - acts[k + 1] ** 2) * w[k]
        d = g * (1 - acts[i + 1] ** 2)
        db.append(d)
        dw.append(d * acts[i])
    return np.array(db), np.array(dw)
'''),
    dict(ex="02.chain_grads", what="C = (a − y)²: the ½ dropped, a factor 2", kinds={'factor'},
         mistake=r"factor 2|twice|½", code='''
def chain_grads(w, b, x, y):
    acts = [x]
    for wl, bl in zip(w, b):
        acts.append(np.tanh(wl * acts[-1] + bl))
    n = len(w)
    dw, db = np.empty(n), np.empty(n)
    for i in range(n):
        g = 2 * (acts[-1] - y)
        for k in range(i + 1, n):
            g = g * (1 - acts[k + 1] ** 2) * w[k]
        db[i] = g * (1 - acts[i + 1] ** 2)
        dw[i] = db[i] * acts[i]
    return dw, db
'''),
    dict(ex="02.chain_grads", what="the neuron's own output a^[l] used for ∂z/∂w (off by one layer)",
         mistake=r"a\^\[l−1\]|off-by-one|index|own output|input of the weight", code='''
def chain_grads(w, b, x, y):
    acts = [x]
    for wl, bl in zip(w, b):
        acts.append(np.tanh(wl * acts[-1] + bl))
    dw, db = np.zeros(len(w)), np.zeros(len(w))
    for i in range(len(w)):
        g = acts[-1] - y
        for k in range(i + 1, len(w)):
            g = g * (1 - acts[k + 1] ** 2) * w[k]
        db[i] = g * (1 - acts[i + 1] ** 2)
        dw[i] = db[i] * acts[i + 1]
    return dw, db
'''),
    # ------------------------------------------------------------------ 02.naive_grads
    dict(ex="02.naive_grads", what="the perturbed weight not restored after C(w − h)",
         mistake=r"restor|put the old value back|changed its inputs", code='''
def naive_grads(Ws, bs, X, Y, h):
    out = []
    for group in (Ws, bs):
        grads = []
        for P in group:
            G = np.zeros(P.shape)
            for j in range(P.shape[0]):
                for k in range(P.shape[1]):
                    P[j, k] += h
                    c_plus = xent_cost(Ws, bs, X, Y)
                    P[j, k] -= 2 * h
                    c_minus = xent_cost(Ws, bs, X, Y)
                    G[j, k] = (c_plus - c_minus) / (2 * h)
            grads.append(G)
        out.append(grads)
    return out[0], out[1]
'''),
    dict(ex="02.naive_grads", what="perturbs a copy the cost never sees: all derivatives 0",
         mistake=r"zero|0 everywhere|never|perturb|copy", code='''
def naive_grads(Ws, bs, X, Y, h):
    def grad(P):
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            Q = P.copy()
            Q[idx] += h
            up = xent_cost(Ws, bs, X, Y)
            Q[idx] -= 2 * h
            down = xent_cost(Ws, bs, X, Y)
            G[idx] = (up - down) / (2 * h)
        return G
    return [grad(W) for W in Ws], [grad(b) for b in bs]
'''),
    dict(ex="02.naive_grads", what="divided by h instead of 2h",
         mistake=r"2h|factor 2|twice", code='''
def naive_grads(Ws, bs, X, Y, h):
    dWs, dbs = [], []
    for P, out in [(P, dWs) for P in Ws] + [(P, dbs) for P in bs]:
        G = np.zeros_like(P)
        for idx in np.ndindex(*P.shape):
            old = P[idx]
            P[idx] = old + h
            f1 = xent_cost(Ws, bs, X, Y)
            P[idx] = old - h
            f2 = xent_cost(Ws, bs, X, Y)
            P[idx] = old
            G[idx] = (f1 - f2) / h
        out.append(G)
    return dWs, dbs
'''),
    dict(ex="02.naive_grads", what="one list of all gradients instead of (dWs, dbs)",
         mistake=r"output|returned|structure|expected \d", code='''
def naive_grads(Ws, bs, X, Y, h):
    grads = []
    for P in Ws + bs:
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            old = P[idx]
            P[idx] = old + h; a = xent_cost(Ws, bs, X, Y)
            P[idx] = old - h; c = xent_cost(Ws, bs, X, Y)
            P[idx] = old
            G[idx] = (a - c) / (2 * h)
        grads.append(G)
    return grads
'''),
    dict(ex="02.naive_grads", what="forward difference (one-sided)",
         mistake=r"forward difference|one-sided|central", code='''
def naive_grads(Ws, bs, X, Y, h):
    base = xent_cost(Ws, bs, X, Y)
    def one(P):
        G = np.zeros_like(P)
        for idx in np.ndindex(P.shape):
            P[idx] += h
            G[idx] = (xent_cost(Ws, bs, X, Y) - base) / h
            P[idx] -= h
        return G
    return [one(W) for W in Ws], [one(b) for b in bs]
'''),
    # ------------------------------------------------------------------ 02.standardize
    dict(ex="02.standardize", what="statistics over axis 0 (per example)",
         mistake=r"axis|row|feature", code='''
def standardize(X):
    return (X - X.mean(axis=0)) / X.std(axis=0)
'''),
    dict(ex="02.standardize", what="keepdims missing: the row statistics do not broadcast",
         mistake=r"keepdims|broadcast|ValueError|shape", code='''
def standardize(X):
    mu = np.mean(X, axis=1)
    sd = np.std(X, axis=1)
    return (X - mu) / sd
'''),
    dict(ex="02.standardize", what="per-feature centring, one global std", kinds={'scale'},
         mistake=r"std|standard deviation|per feature|each feature", code='''
def standardize(X):
    centred = X - X.mean(axis=1, keepdims=True)
    return centred / centred.std()
'''),
    dict(ex="02.standardize", what="divided by the variance", kinds={'scale'},
         mistake=r"variance|std|√", code='''
def standardize(X):
    m = X.mean(axis=1, keepdims=True)
    v = ((X - m) ** 2).mean(axis=1, keepdims=True)
    return (X - m) / v
'''),
    dict(ex="02.standardize", what="Bessel's correction",
         mistake=r"Bessel|ddof|N − 1|population", code='''
def standardize(X):
    N = X.shape[1]
    m = X.sum(axis=1, keepdims=True) / N
    s = np.sqrt(((X - m) ** 2).sum(axis=1, keepdims=True) / (N - 1))
    return (X - m) / s
'''),
    # ------------------------------------------------------------------ 03.forward
    dict(ex="03.forward", what="softmax over the whole matrix", kinds={'scale', 'batch-mixing'},
         mistake=r"whole|all entries|axis|column|each column", code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    a = X
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ a + params[f"b{l}"]
        if l < L:
            a = np.tanh(z)
        else:
            e = np.exp(z - z.max())
            a = e / e.sum()
        cache[f"z{l}"], cache[f"a{l}"] = z, a
    return cache
'''),
    dict(ex="03.forward", what="softmax stabilised along the wrong axis (row maximum)",
         mistake=r"axis|maximum|max", code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    for l in range(2, L + 1):
        z = params["W%d" % l] @ cache["a%d" % (l - 1)] + params["b%d" % l]
        cache["z%d" % l] = z
        if l == L:
            e = np.exp(z - z.max(axis=1, keepdims=True))
            cache["a%d" % l] = e / e.sum(axis=0, keepdims=True)
        else:
            cache["a%d" % l] = np.tanh(z)
    return cache
'''),
    dict(ex="03.forward", what="no maximum subtracted: overflow for large logits", kinds={'overflow', 'nonfinite'},
         mistake=r"overflow|maximum|NaN|inf|large", code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ cache[f"a{l-1}"] + params[f"b{l}"]
        cache[f"z{l}"] = z
        cache[f"a{l}"] = np.tanh(z) if l < L else np.exp(z) / np.exp(z).sum(axis=0)
    return cache
'''),
    dict(ex="03.forward", what="the output layer's z not stored in the cache",
         mistake=r"missing|z\^?\[?4|zL|z4|output", code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    for l in range(2, L):
        cache[f"z{l}"] = params[f"W{l}"] @ cache[f"a{l-1}"] + params[f"b{l}"]
        cache[f"a{l}"] = np.tanh(cache[f"z{l}"])
    zL = params[f"W{L}"] @ cache[f"a{L-1}"] + params[f"b{L}"]
    e = np.exp(zL - zL.max(axis=0))
    cache[f"a{L}"] = e / e.sum(axis=0)
    return cache
'''),
    dict(ex="03.forward", what="the bias left out of z",
         mistake=r"bias|b\^", code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    for l in range(2, L + 1):
        z = np.dot(params[f"W{l}"], cache[f"a{l-1}"])
        cache[f"z{l}"] = z
        if l < L:
            cache[f"a{l}"] = np.tanh(z)
        else:
            z = z - z.max(axis=0)
            cache[f"a{l}"] = np.exp(z) / np.exp(z).sum(axis=0)
    return cache
'''),
    dict(ex="03.forward", what="sigmoid hidden layers (the lecture's network)",
         mistake=r"tanh|sigmoid|σ", code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ cache[f"a{l-1}"] + params[f"b{l}"]
        cache[f"z{l}"] = z
        if l < L:
            cache[f"a{l}"] = 1 / (1 + np.exp(-z))
        else:
            s = np.exp(z - z.max(0))
            cache[f"a{l}"] = s / s.sum(0)
    return cache
'''),
    # ------------------------------------------------------------------ 03.softmax_jacobian
    dict(ex="03.softmax_jacobian", what="no maximum subtracted: overflow for large logits", kinds={'overflow', 'nonfinite'},
         mistake=r"overflow|maximum|NaN|inf|large", code='''
def softmax_jacobian(z):
    e = np.exp(z)
    s = (e / e.sum()).ravel()
    return np.diag(s) - np.outer(s, s)
'''),
    dict(ex="03.softmax_jacobian", what="sᵀs (a scalar) where the outer product s sᵀ belongs",
         mistake=r"outer|off-diagonal|matrix product|operands|transpose", code='''
def softmax_jacobian(z):
    e = np.exp(z - z.max())
    s = e / e.sum()
    return np.diagflat(s) - s.T @ s
'''),
    dict(ex="03.softmax_jacobian", what="only the diagonal s(1 − s)",
         mistake=r"diagonal|elementwise|off-diagonal", code='''
def softmax_jacobian(z):
    s = np.exp(z - np.max(z))
    s = s / np.sum(s)
    J = np.zeros((len(s), len(s)))
    for i in range(len(s)):
        J[i, i] = s[i, 0] * (1 - s[i, 0])
    return J
'''),
    # ------------------------------------------------------------------ 03.delta_L
    dict(ex="03.delta_L", what="1/B inside δ^[L]", kinds={'batch-mean'},
         mistake=r"1/B|÷B|per example|batch mean", code='''
def delta_L(Z, Y):
    B = Z.shape[1]
    P = np.exp(Z - Z.max(axis=0, keepdims=True))
    P /= P.sum(axis=0, keepdims=True)
    return (P - Y) / B
'''),
    dict(ex="03.delta_L", what="softmax over the whole matrix", kinds={'axis', 'scale', 'batch-mixing'},
         mistake=r"whole|all entries|axis|each column|column", code='''
def delta_L(Z, Y):
    e = np.exp(Z - np.max(Z))
    return e / np.sum(e) - Y
'''),
    dict(ex="03.delta_L", what="stabilised with the row maximum (wrong axis)",
         mistake=r"axis|max", code='''
def delta_L(Z, Y):
    e = np.exp(Z - Z.max(axis=1, keepdims=True))
    return e / e.sum(axis=0, keepdims=True) - Y
'''),
    dict(ex="03.delta_L", what="the softmax returned, y never subtracted", kinds={'term'},
         mistake=r"\bY\b|\by\b|target", code='''
def delta_L(Z, Y):
    shifted = Z - Z.max(axis=0)
    return np.exp(shifted) / np.exp(shifted).sum(axis=0)
'''),
    dict(ex="03.delta_L", what="averaged over all entries (÷ n_L·B)", kinds={'batch-mean'},
         mistake=r"n_L|per example|1/B|every entry|÷ ?B", code='''
def delta_L(Z, Y):
    e = np.exp(Z - Z.max(axis=0))
    return (e / e.sum(axis=0) - Y) / Z.size
'''),
    dict(ex="03.delta_L", what="target minus prediction (sign)", kinds={'sign'},
         mistake=r"sign", code='''
def delta_L(Z, Y):
    out = np.empty_like(Z)
    for i in range(Z.shape[1]):
        z = Z[:, i] - Z[:, i].max()
        s = np.exp(z) / np.exp(z).sum()
        out[:, i] = Y[:, i] - s
    return out
'''),
    dict(ex="03.delta_L", what="no maximum subtracted: overflow", kinds={'overflow', 'nonfinite'},
         mistake=r"overflow|maximum|NaN|inf|large", code='''
def delta_L(Z, Y):
    E = np.exp(Z)
    return E / E.sum(axis=0, keepdims=True) - Y
'''),
    # ------------------------------------------------------------------ 03.delta_prev
    dict(ex="03.delta_prev", what="tanh′ written as (1 − tanh z)²",
         mistake=r"tanh′|\(1 − tanh z\)²|1 − tanh²", code='''
def delta_prev(W_next, delta_next, z):
    return (1 - np.tanh(z)) ** 2 * (W_next.T @ delta_next)
'''),
    dict(ex="03.delta_prev", what="tanh′ written as sech(z)",
         mistake=r"sech|square|tanh′", code='''
def delta_prev(W_next, delta_next, z):
    back = np.einsum("ji,jb->ib", W_next, delta_next)
    return back / np.cosh(z)
'''),
    dict(ex="03.delta_prev", what="tanh(z) used where tanh′(z) belongs",
         mistake=r"tanh′|derivative", code='''
def delta_prev(W_next, delta_next, z):
    return np.tanh(z) * np.dot(W_next.T, delta_next)
'''),
    dict(ex="03.delta_prev", what="relu′ (the step) used for a tanh layer",
         mistake=r"tanh′|derivative|relu", code='''
def delta_prev(W_next, delta_next, z):
    return (z > 0) * (W_next.T @ delta_next)
'''),
    dict(ex="03.delta_prev", what="1 − tanh(z²) for tanh′",
         mistake=r"tanh′|square|1 − tanh²", code='''
def delta_prev(W_next, delta_next, z):
    return (1 - np.tanh(z ** 2)) * (W_next.T @ delta_next)
'''),
    dict(ex="03.delta_prev", what="tanh′ missing from the recursion",
         mistake=r"tanh′|slope|derivative", code='''
def delta_prev(W_next, delta_next, z):
    n, B = z.shape
    out = np.zeros((n, B))
    for b in range(B):
        out[:, b] = W_next.T @ delta_next[:, b]
    return out
'''),
    # ------------------------------------------------------------------ 03.backward
    dict(ex="03.backward", what="bias gradient not averaged (weights are)", kinds={'batch-mean'},
         mistake=r"bias|∂C/∂b|÷B|1/B", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = acts[L] - Y
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T / B
        grads[f"b{l}"] = np.sum(delta, axis=1, keepdims=True)
        if l > 2:
            delta = (1 - np.tanh(zs[l - 1]) ** 2) * (params[f"W{l}"].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="1/B applied again at every step of the recursion", kinds={'batch-mean'},
         mistake=r"1/B|÷B|divided by B|recursion", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = (acts[L] - Y) / B
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True)
        if l > 2:
            delta = (1 - acts[l - 1] ** 2) * (params[f"W{l}"].T @ delta) / B
    return grads
'''),
    dict(ex="03.backward", what="a(1 − a) (σ′'s form) for tanh′", kinds={'delta-recursion'},
         mistake=r"tanh′|recursion|derivative|σ′", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = acts[L] - Y
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T / B
        grads[f"b{l}"] = delta.mean(axis=1, keepdims=True)
        if l > 2:
            a = acts[l - 1]
            delta = a * (1 - a) * (params[f"W{l}"].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="unstable softmax: NaN for large logits", kinds={'overflow', 'nonfinite'},
         mistake=r"overflow|maximum|NaN|inf|large", code='''
def backward(params, X, Y):
    L, B = n_layers(params), X.shape[1]
    a, zs = [X], []
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ a[-1] + params[f"b{l}"]
        zs.append(z)
        a.append(np.tanh(z) if l < L else np.exp(z) / np.exp(z).sum(axis=0, keepdims=True))
    delta = a[-1] - Y
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = delta @ a[l - 2].T / B
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True) / B
        if l > 2:
            delta = (1 - a[l - 2] ** 2) * (params[f"W{l}"].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="the biases left out of the forward pass", kinds={'bias', 'forward'},
         mistake=r"bias|b\^", code='''
def backward(params, X, Y):
    L, B = n_layers(params), X.shape[1]
    a = {1: X}
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ a[l - 1]
        if l < L:
            a[l] = np.tanh(z)
        else:
            z = z - z.max(axis=0)
            a[l] = np.exp(z) / np.exp(z).sum(axis=0)
    d = a[L] - Y
    g = {}
    for l in range(L, 1, -1):
        g[f"W{l}"] = d @ a[l - 1].T / B
        g[f"b{l}"] = d.sum(axis=1, keepdims=True) / B
        if l > 2:
            d = (1 - a[l - 1] ** 2) * (params[f"W{l}"].T @ d)
    return g
'''),
    dict(ex="03.backward", what="bias gradient without keepdims: shape (n,)", kinds={'shape'},
         mistake=r"keepdims|2-D|\(n, 1\)|column", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = acts[L] - Y
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T / B
        grads[f"b{l}"] = delta.sum(axis=1) / B
        if l > 2:
            delta = (1 - acts[l - 1] ** 2) * (params[f"W{l}"].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="∂C/∂W as a^[l−1] δᵀ (transposed)", kinds={'transpose'},
         mistake=r"transpose|ᵀ|order of the factors", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = acts[L] - Y
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = acts[l - 1] @ delta.T / B
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True) / B
        if l > 2:
            delta = (1 - acts[l - 1] ** 2) * (params[f"W{l}"].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="keys named dW2, db2, ... instead of W2, b2",
         mistake=r"names|keys", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = acts[L] - Y
    grads = {}
    for l in range(L, 1, -1):
        grads[f"dW{l}"] = delta @ acts[l - 1].T / B
        grads[f"db{l}"] = delta.sum(axis=1, keepdims=True) / B
        if l > 2:
            delta = (1 - acts[l - 1] ** 2) * (params[f"W{l}"].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="tanh′ applied to the output error too", kinds={'delta-L'},
         mistake=r"δ\^\[L\]|output|a − y|a\^\[L\] − y", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = (acts[L] - Y) * (1 - np.tanh(zs[L]) ** 2)
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = delta @ acts[l - 1].T / B
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True) / B
        if l > 2:
            delta = (1 - acts[l - 1] ** 2) * (params[f"W{l}"].T @ delta)
    return grads
'''),
    dict(ex="03.backward", what="the next layer's weights without the transpose", kinds={'delta-recursion'},
         mistake=r"transpose|ᵀ", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    delta = acts[L] - Y
    grads = {}
    for l in range(L, 1, -1):
        grads[f"W{l}"] = np.einsum("ib,jb->ij", delta, acts[l - 1]) / B
        grads[f"b{l}"] = delta.sum(axis=1, keepdims=True) / B
        if l > 2:
            delta = (1 - acts[l - 1] ** 2) * (params[f"W{l}"] @ delta)
    return grads
'''),
    # ------------------------------------------------------------------ 04.sgd_update
    dict(ex="04.sgd_update", what="updates the caller's arrays in place",
         mistake=r"read-only|in place|modif|new dict", code='''
def sgd_update(params, grads, eta):
    for k in params:
        params[k] -= eta * grads[k]
    return params
'''),
    dict(ex="04.sgd_update", what="a shallow copy: the arrays are still updated in place",
         mistake=r"read-only|in place|modif|new dict", code='''
def sgd_update(params, grads, eta):
    new = dict(params)
    for k, g in grads.items():
        new[k] -= eta * g
    return new
'''),
    dict(ex="04.sgd_update", what="the step returned instead of the updated parameters", kinds={'term'},
         mistake=r"step|updated parameters|p − η", code='''
def sgd_update(params, grads, eta):
    return {name: -eta * g for name, g in grads.items()}
'''),
    dict(ex="04.sgd_update", what="only the weights returned (biases dropped from the dict)",
         mistake=r"missing|bias|b\^|b2", code='''
def sgd_update(params, grads, eta):
    return {k: v - eta * grads[k] for k, v in params.items() if k.startswith("W")}
'''),
    dict(ex="04.sgd_update", what="divided by η instead of multiplied", kinds={'factor'},
         mistake=r"η|learning rate|eta", code='''
def sgd_update(params, grads, eta):
    return {k: params[k] - grads[k] / eta for k in params}
'''),
    dict(ex="04.sgd_update", what="gradient ascent", kinds={'sign'},
         mistake=r"sign|ascent|against the gradient", code='''
def sgd_update(params, grads, eta):
    out = {}
    for key in params:
        out[key] = params[key] + eta * grads[key]
    return out
'''),
    # ------------------------------------------------------------------ 04.minibatches
    dict(ex="04.minibatches", what="the seed ignored (unseeded generator)",
         mistake=r"seed", code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng()
    out = []
    for e in range(epochs):
        p = rng.permutation(n)
        out.extend(p[i:i + batch_size] for i in range(0, n, batch_size))
    return out
'''),
    dict(ex="04.minibatches", what="numpy's global generator, the seed unused",
         mistake=r"seed", code='''
def minibatches(n, batch_size, epochs, seed):
    batches = []
    for _ in range(epochs):
        idx = np.random.permutation(n)
        for start in range(0, n, batch_size):
            batches.append(idx[start:start + batch_size])
    return batches
'''),
    dict(ex="04.minibatches", what="np.array_split into n // B pieces",
         mistake=r"array_split|batch sizes", code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        out += np.array_split(rng.permutation(n), n // batch_size)
    return out
'''),
    dict(ex="04.minibatches", what="one permutation for all epochs",
         mistake=r"same order|new permutation|every epoch", code='''
def minibatches(n, batch_size, epochs, seed):
    perm = np.random.default_rng(seed).permutation(n)
    return [perm[i:i + batch_size] for _ in range(epochs) for i in range(0, n, batch_size)]
'''),
    dict(ex="04.minibatches", what="the last, smaller batch dropped",
         mistake=r"last|smaller batch", code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        perm = rng.permutation(n)
        for b in range(n // batch_size):
            out.append(perm[b * batch_size:(b + 1) * batch_size])
    return out
'''),
    dict(ex="04.minibatches", what="sampling with replacement",
         mistake=r"replacement|exactly once|permutation", code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.choice(n, size=n)
        out += [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return out
'''),
    dict(ex="04.minibatches", what="one array of all batches per epoch instead of a list of batches",
         mistake=r"list|batches|index arrays", code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    return np.concatenate([rng.permutation(n) for _ in range(epochs)])
'''),
    # ------------------------------------------------------------------ 04.ce_cost
    dict(ex="04.ce_cost", what="averaged over all entries (÷ k·B)", kinds={'batch-mean'},
         mistake=r"n_L|all entries|k·B|every entry|examples", code='''
def ce_cost(Z, Y):
    m = Z.max(axis=0, keepdims=True)
    logp = Z - m - np.log(np.sum(np.exp(Z - m), axis=0, keepdims=True))
    return float(np.mean(-Y * logp))
'''),
    dict(ex="04.ce_cost", what="divided by the number of classes k, not by B", kinds={'batch-mean'},
         mistake=r"where B|examples|columns|÷ ?B|1/B", code='''
def ce_cost(Z, Y):
    m = Z.max(axis=0)
    lse = m + np.log(np.exp(Z - m).sum(axis=0))
    return float(-(Y * (Z - lse)).sum() / Y.shape[0])
'''),
    dict(ex="04.ce_cost", what="log of a stabilised softmax: log 0 for large logits", kinds={'overflow', 'nonfinite'},
         mistake=r"log|underflow|logsumexp|inf|overflow", code='''
def ce_cost(Z, Y):
    e = np.exp(Z - Z.max(axis=0))
    p = e / e.sum(axis=0)
    return float(-np.sum(Y * np.log(p)) / Z.shape[1])
'''),
    dict(ex="04.ce_cost", what="logsumexp without the maximum: overflow", kinds={'overflow', 'nonfinite'},
         mistake=r"overflow|maximum|inf|large", code='''
def ce_cost(Z, Y):
    lse = np.log(np.sum(np.exp(Z), axis=0))
    return float(np.sum(lse - np.sum(Y * Z, axis=0)) / Z.shape[1])
'''),
    dict(ex="04.ce_cost", what="the maximum subtracted but not added back",
         mistake=r"maximum|logsumexp|m \+", code='''
def ce_cost(Z, Y):
    m = Z.max(axis=0, keepdims=True)
    lse = np.log(np.exp(Z - m).sum(axis=0, keepdims=True))
    return float(-np.sum(Y * (Z - lse)) / Z.shape[1])
'''),
    dict(ex="04.ce_cost", what="the minus sign dropped", kinds={'sign'},
         mistake=r"sign|minus|negative", code='''
def ce_cost(Z, Y):
    m = Z.max(0)
    log_soft = Z - (m + np.log(np.exp(Z - m).sum(0)))
    return float((Y * log_soft).sum() / Z.shape[1])
'''),
    # ------------------------------------------------------------------ 04.max_stable_eta
    dict(ex="04.max_stable_eta", what="the smallest eigenvalue (eigvalsh sorts ascending)",
         mistake=r"λ_min|smallest|flattest|largest|steepest", code='''
def max_stable_eta(H):
    lam = np.linalg.eigvalsh(H)
    return 2 / lam[0]
'''),
    dict(ex="04.max_stable_eta", what="1/λ_max",
         mistake=r"1/λ|2/λ|overshoot|factor 2|half", code='''
def max_stable_eta(H):
    return 1.0 / np.max(np.linalg.eigvalsh(H))
'''),
    dict(ex="04.max_stable_eta", what="the Frobenius norm instead of λ_max",
         mistake=r"eigenvalue|λ_max|norm", code='''
def max_stable_eta(H):
    return 2.0 / np.linalg.norm(H)
'''),
]

CORRECT = [
    dict(ex="01.softplus_prime", what="eᶻ/(1 + eᶻ)", code='''
def softplus_prime(z):
    return np.exp(z) / (1.0 + np.exp(z))
'''),
    dict(ex="01.elu_prime", what="loop over the flat entries", code='''
def elu_prime(z, alpha):
    z = np.asarray(z, dtype=float)
    out = np.empty_like(z)
    for i, v in enumerate(z.flat):
        out.flat[i] = 1.0 if v > 0 else alpha * np.exp(v)
    return out
'''),
    dict(ex="01.graph_grad", what="derivatives written out term by term", code='''
def graph_grad(x1, x2):
    m1 = x1 * x2
    u = x1 + m1
    m2 = np.tanh(u)
    sig = 1 / (1 + np.exp(-m1))
    dy_dm2 = sig
    dy_dm1_direct = sig * (1 - sig) * m2
    dy_du = dy_dm2 * (1 - np.tanh(u) ** 2)
    dy_dm1 = dy_dm1_direct + dy_du
    return dy_dm1 * x2 + dy_du, dy_dm1 * x1
'''),
    dict(ex="01.xent_neuron_grads", what="einsum and a mean", code='''
def xent_neuron_grads(w, b, X, y):
    r = sigmoid(np.einsum("i,ib->b", w, X) + b) - y
    return np.einsum("ib,b->i", X, r) / len(y), np.mean(r)
'''),
    dict(ex="01.xent_neuron_grads", what="(a − y) Xᵀ", code='''
def xent_neuron_grads(w, b, X, y):
    a = sigmoid(w @ X + b)
    return (a - y) @ X.T / X.shape[1], (a - y).sum() / X.shape[1]
'''),
    dict(ex="01.richardson", what="the combination expanded", code='''
def richardson(f, x, h):
    return (8 * (f(x + h / 2) - f(x - h / 2)) - (f(x + h) - f(x - h))) / (6 * h)
'''),
    dict(ex="02.n_params_dense", what="a running fan-in", code='''
def n_params_dense(sizes):
    total = 0
    for l in range(1, len(sizes)):
        fan_in = 0
        for m in range(l):
            fan_in += sizes[m]
        total += sizes[l] * fan_in + sizes[l]
    return total
'''),
    dict(ex="02.chain_grads", what="backward sweep along the chain", code='''
def chain_grads(w, b, x, y):
    acts = [x]
    for wl, bl in zip(w, b):
        acts.append(np.tanh(wl * acts[-1] + bl))
    n = len(w)
    dw, db = np.zeros(n), np.zeros(n)
    g = acts[-1] - y
    for i in reversed(range(n)):
        d = g * (1 - acts[i + 1] ** 2)
        db[i], dw[i] = d, d * acts[i]
        g = d * w[i]
    return dw, db
'''),
    dict(ex="02.naive_grads", what="copies of the lists with one entry changed", code='''
def naive_grads(Ws, bs, X, Y, h):
    def shifted(lst, i, idx, d):
        new = [p.copy() for p in lst]
        new[i][idx] += d
        return new
    dWs = []
    for i, W in enumerate(Ws):
        G = np.zeros_like(W)
        for idx in np.ndindex(W.shape):
            G[idx] = (xent_cost(shifted(Ws, i, idx, h), bs, X, Y)
                      - xent_cost(shifted(Ws, i, idx, -h), bs, X, Y)) / (2 * h)
        dWs.append(G)
    dbs = []
    for i, b in enumerate(bs):
        G = np.zeros_like(b)
        for idx in np.ndindex(b.shape):
            G[idx] = (xent_cost(Ws, shifted(bs, i, idx, h), X, Y)
                      - xent_cost(Ws, shifted(bs, i, idx, -h), X, Y)) / (2 * h)
        dbs.append(G)
    return dWs, dbs
'''),
    dict(ex="02.standardize", what="statistics written out", code='''
def standardize(X):
    N = X.shape[1]
    mean = X @ np.ones((N, 1)) / N
    var = ((X - mean) ** 2).sum(axis=1, keepdims=True) / N
    return (X - mean) / np.sqrt(var)
'''),
    dict(ex="03.forward", what="log-softmax through logsumexp", code='''
def forward(params, X):
    L = n_layers(params)
    cache = {"a1": X}
    a = X
    for l in range(2, L + 1):
        z = params[f"W{l}"] @ a + params[f"b{l}"]
        cache[f"z{l}"] = z
        if l < L:
            a = np.tanh(z)
        else:
            m = z.max(axis=0)
            a = np.exp(z - m - np.log(np.exp(z - m).sum(axis=0)))
        cache[f"a{l}"] = a
    return cache
'''),
    dict(ex="03.softmax_jacobian", what="s sᵀ with s a column", code='''
def softmax_jacobian(z):
    s = np.exp(z - z.max())
    s = s / s.sum()
    return np.diagflat(s) - s @ s.T
'''),
    dict(ex="03.delta_L", what="one column at a time", code='''
def delta_L(Z, Y):
    D = np.zeros(Z.shape)
    for i in range(Z.shape[1]):
        z = Z[:, i]
        p = np.exp(z - z.max())
        D[:, i] = p / p.sum() - Y[:, i]
    return D
'''),
    dict(ex="03.delta_prev", what="(δᵀ W)ᵀ and the derivative as 1/cosh²", code='''
def delta_prev(W_next, delta_next, z):
    return (delta_next.T @ W_next).T / np.cosh(z) ** 2
'''),
    dict(ex="03.backward", what="per-example outer products, averaged", code=_FWD03 + '''
def backward(params, X, Y):
    acts, zs = my_forward(params, X)
    L, B = n_layers(params), X.shape[1]
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    for i in range(B):
        d = acts[L][:, [i]] - Y[:, [i]]
        for l in range(L, 1, -1):
            grads[f"W{l}"] += np.outer(d, acts[l - 1][:, i]) / B
            grads[f"b{l}"] += d / B
            if l > 2:
                d = (1 - np.tanh(zs[l - 1][:, [i]]) ** 2) * (params[f"W{l}"].T @ d)
    return grads
'''),
    dict(ex="04.sgd_update", what="a deep copy updated in place", code='''
import copy
def sgd_update(params, grads, eta):
    new = copy.deepcopy(params)
    for k in new:
        new[k] = new[k] - eta * grads[k]
    return new
'''),
    dict(ex="04.minibatches", what="a generator seeded per epoch from the seed", code='''
def minibatches(n, batch_size, epochs, seed):
    out = []
    for e in range(epochs):
        perm = np.random.default_rng([seed, e]).permutation(n)
        out += [perm[i:i + batch_size] for i in range(0, n, batch_size)]
    return out
'''),
    dict(ex="04.minibatches", what="rng.shuffle of an index array, np.split", code='''
def minibatches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    idx = np.arange(n)
    batches = []
    for _ in range(epochs):
        rng.shuffle(idx)
        batches.extend(np.split(idx.copy(), range(batch_size, n, batch_size)))
    return batches
'''),
    dict(ex="04.ce_cost", what="np.logaddexp.reduce", code='''
def ce_cost(Z, Y):
    lse = np.logaddexp.reduce(Z, axis=0)
    return float(np.mean(lse - (Y * Z).sum(axis=0)))
'''),
    dict(ex="04.max_stable_eta", what="the largest singular value", code='''
def max_stable_eta(H):
    return 2.0 / np.linalg.svd(H, compute_uv=False)[0]
'''),
]

WRONG += [
    # ------------------------------------------------------------------ 05.nesterov
    dict(ex="05.nesterov", what="classic momentum (gradient at w)",
         mistake=r"classic|look-ahead|w \+ βv", code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    w, v = w0.astype(float), np.zeros(len(w0))
    out = [w.copy()]
    for _ in range(n_steps):
        v = beta * v - eta * (H @ w - b)
        w = w + v
        out.append(w.copy())
    return np.array(out)
'''),
    dict(ex="05.nesterov", what="the iterate updated in place: every row is the last w", kinds={'aliasing'},
         mistake=r"copy|same array|in place|every row|rows", code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    w = np.array(w0, dtype=float)
    v = np.zeros_like(w)
    path = [w]
    for _ in range(n_steps):
        g = H @ (w + beta * v) - b
        v *= beta
        v -= eta * g
        w += v
        path.append(w)
    return np.array(path)
'''),
    dict(ex="05.nesterov", what="n_steps rows: one step short",
         mistake=r"n_steps \+ 1|rows|shape|one step|off by", code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    w = np.array(w0, float)
    v = np.zeros_like(w)
    path = [w.copy()]
    for _ in range(n_steps - 1):
        v = beta * v - eta * (H @ (w + beta * v) - b)
        w = w + v
        path.append(w.copy())
    return np.vstack(path)
'''),
    dict(ex="05.nesterov", what="∇C = Hw + b",
         mistake=r"sign|Hw − b|linear term", code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    w = w0.copy()
    v = 0 * w
    rows = [w]
    for k in range(n_steps):
        g = H @ (w + beta * v) + b
        v = beta * v - eta * g
        w = w + v
        rows.append(w)
    return np.array(rows)
'''),
    # ------------------------------------------------------------------ 05.warmup_cosine
    dict(ex="05.warmup_cosine", what="cos(t) without π",
         mistake=r"π|half|period|cos", code='''
def warmup_cosine(eta_max, eta_min, warmup, n_epochs):
    out = []
    for e in range(n_epochs):
        if e < warmup:
            out.append(eta_max * (e + 1) / warmup)
        else:
            t = (e - warmup) / (n_epochs - 1 - warmup)
            out.append(eta_min + 0.5 * (eta_max - eta_min) * (1 + np.cos(t)))
    return np.array(out)
'''),
    dict(ex="05.warmup_cosine", what="the cosine reaches η_min one epoch after the last",
         mistake=r"off by one|one epoch|last epoch|n_epochs − 1", code='''
def warmup_cosine(eta_max, eta_min, warmup, n_epochs):
    e = np.arange(n_epochs)
    t = (e - warmup) / (n_epochs - warmup)
    cos = eta_min + (eta_max - eta_min) * (1 + np.cos(np.pi * t)) / 2
    return np.where(e < warmup, eta_max * (e + 1) / warmup, cos)
'''),
    dict(ex="05.warmup_cosine", what="warmup starts at 0",
         mistake=r"warmup|η = 0|epoch 0|starts", code='''
def warmup_cosine(eta_max, eta_min, warmup, n_epochs):
    eta = np.zeros(n_epochs)
    for e in range(n_epochs):
        if e < warmup:
            eta[e] = eta_max * e / warmup
        else:
            t = (e - warmup) / (n_epochs - 1 - warmup)
            eta[e] = eta_min + 0.5 * (eta_max - eta_min) * (1 + np.cos(np.pi * t))
    return eta
'''),
    # ------------------------------------------------------------------ 05.leaky_init
    dict(ex="05.leaky_init", what="He's √(2/n_in): α ignored",
         mistake=r"Var|variance|spread|α|slope", code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    std = np.sqrt(2 / n_in)
    if dist == "uniform":
        return rng.uniform(-np.sqrt(3) * std, np.sqrt(3) * std, size=(n_out, n_in))
    return std * rng.standard_normal((n_out, n_in))
'''),
    dict(ex="05.leaky_init", what="uniform limit taken as the standard deviation",
         mistake=r"Var|variance|spread|a²/3|√3", code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    std = np.sqrt(2.0 / ((1 + alpha ** 2) * n_in))
    if dist == "uniform":
        return rng.uniform(-std, std, (n_out, n_in))
    return rng.normal(0, std, (n_out, n_in))
'''),
    dict(ex="05.leaky_init", what="shape (n_in, n_out)", kinds={'transpose'},
         mistake=r"transpose|shape", code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    std = np.sqrt(2.0 / ((1 + alpha ** 2) * n_in))
    if dist == "uniform":
        a = np.sqrt(3) * std
        return rng.uniform(-a, a, size=(n_in, n_out))
    return rng.normal(0, std, size=(n_in, n_out))
'''),
    dict(ex="05.leaky_init", what="dist ignored: always normal",
         mistake=r"uniform|kurtosis|normal", code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    return rng.normal(0.0, np.sqrt(2.0 / ((1 + alpha ** 2) * n_in)), size=(n_out, n_in))
'''),
    # ------------------------------------------------------------------ 05.gd_speed
    dict(ex="05.gd_speed", what="log(1 − 1/κ) is negative: the step count's sign",
         mistake=r"sign|negative|−1", code='''
def gd_speed(A, lam):
    N, k = A.shape
    ev = np.linalg.eigvalsh(A.T @ A / N + lam * np.eye(k))
    kappa = ev.max() / ev.min()
    return 2 / ev.max(), kappa, np.log(10) / np.log(1 - 1 / kappa)
'''),
    dict(ex="05.gd_speed", what="(κ, η_max, steps): the first two swapped", kinds={'order'},
         mistake=r"swapped|order", code='''
def gd_speed(A, lam):
    H = A.T @ A / len(A) + lam * np.identity(A.shape[1])
    lo, hi = np.linalg.eigvalsh(H)[[0, -1]]
    kappa = hi / lo
    return kappa, 2 / hi, -np.log(10) / np.log1p(-1 / kappa)
'''),
    dict(ex="05.gd_speed", what="κ inverted (λ_min/λ_max)", kinds={'reciprocal'},
         mistake=r"κ|kappa|λ_max|condition|ratio", code='''
def gd_speed(A, lam):
    N, k = A.shape
    ev = np.linalg.eigvalsh(A.T @ A / N + lam * np.eye(k))
    kappa = ev[0] / ev[-1]
    return 2 / ev[-1], kappa, np.log(10) / -np.log(1 - kappa)
'''),
    dict(ex="05.gd_speed", what="no 1/N in the Hessian",
         mistake=r"1/N|N rows|averages|÷ ?N", code='''
def gd_speed(A, lam):
    H = A.T @ A + lam * np.eye(A.shape[1])
    ev = np.linalg.eigvalsh(H)
    k = ev[-1] / ev[0]
    return 2 / ev[-1], k, np.log(10) / -np.log(1 - 1 / k)
'''),
    # ------------------------------------------------------------------ 05.max_stable_eta
    dict(ex="05.max_stable_eta", what="momentum ignored: 2/c",
         mistake=r"momentum|β|2/λ", code='''
def max_stable_eta(c, beta):
    return 2 / c
'''),
    dict(ex="05.max_stable_eta", what="2/(c(1 − β))",
         mistake=r"β|momentum|1 \+ β|root", code='''
def max_stable_eta(c, beta):
    return 2 / (c * (1 - beta))
'''),
    # ------------------------------------------------------------------ 06.torch_bn_forward
    dict(ex="06.torch_bn_forward", what="statistics over axis=1 (examples as columns habit)", kinds={'axis'},
         mistake=r"axis|rows|examples|shape", code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    mu = x.mean(axis=1, keepdims=True)
    var = x.var(axis=1, keepdims=True)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    B = x.shape[0]
    return (out, (1 - momentum) * running_mean + momentum * x.mean(0),
            (1 - momentum) * running_var + momentum * x.var(0, ddof=1))
'''),
    dict(ex="06.torch_bn_forward", what="running statistics returned in swapped order", kinds={'order'},
         mistake=r"swapped|order", code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    mu, var = x.mean(0), x.var(0)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    rv = (1 - momentum) * running_var + momentum * x.var(0, ddof=1)
    rm = (1 - momentum) * running_mean + momentum * mu
    return out, rv, rm
'''),
    dict(ex="06.torch_bn_forward", what="the running mean corrected by B/(B − 1) too",
         mistake=r"running_mean|output 2|mean", code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    B = x.shape[0]
    mu, var = x.mean(axis=0), x.var(axis=0)
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    c = B / (B - 1)
    return out, (1 - momentum) * running_mean + momentum * mu * c, (1 - momentum) * running_var + momentum * var * c
'''),
    dict(ex="06.torch_bn_forward", what="momentum weighs the old value",
         mistake=r"momentum|new batch|old value|0\.9", code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    mu = np.mean(x, axis=0)
    v = np.var(x, axis=0)
    xhat = (x - mu) / np.sqrt(v + eps)
    new_m = momentum * running_mean + (1 - momentum) * mu
    new_v = momentum * running_var + (1 - momentum) * np.var(x, axis=0, ddof=1)
    return gamma * xhat + beta, new_m, new_v
'''),
    dict(ex="06.torch_bn_forward", what="normalised with the unbiased variance",
         mistake=r"Bessel|B − 1|biased|unbiased", code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    mu = x.mean(0)
    var_u = x.var(0, ddof=1)
    out = gamma * (x - mu) / np.sqrt(var_u + eps) + beta
    return out, (1 - momentum) * running_mean + momentum * mu, (1 - momentum) * running_var + momentum * var_u
'''),
    # ------------------------------------------------------------------ 06.bn_backward_graph
    dict(ex="06.bn_backward_graph", what="∂C/∂x̂ without γ",
         mistake=r"γ|gamma", code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    var = u.var(axis=1, keepdims=True)
    s = np.sqrt(var + eps)
    xhat = (u - mu) / s
    dxhat = dout
    dvar = np.sum(dxhat * (u - mu), axis=1, keepdims=True) * -0.5 * s ** -3
    dmu = -dxhat.sum(axis=1, keepdims=True) / s
    du = dxhat / s + dvar * 2 * (u - mu) / B + dmu / B
    return {"dbeta": dout.sum(axis=1, keepdims=True), "dgamma": (dout * xhat).sum(axis=1, keepdims=True),
            "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}
'''),
    dict(ex="06.bn_backward_graph", what="∂C/∂u without the mean path (dmu itself right)",
         mistake=r"mean|μ|du|∂C/∂u", code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    xc = u - mu
    var = (xc ** 2).mean(axis=1, keepdims=True)
    s = np.sqrt(var + eps)
    xhat = xc / s
    dxhat = gamma * dout
    dvar = -0.5 * (dxhat * xc).sum(axis=1, keepdims=True) / s ** 3
    dmu = -dxhat.sum(axis=1, keepdims=True) / s - 2 * dvar * xc.mean(axis=1, keepdims=True)
    du = dxhat / s + 2 * dvar * xc / B
    return {"dbeta": dout.sum(axis=1, keepdims=True), "dgamma": (dout * xhat).sum(axis=1, keepdims=True),
            "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}
'''),
    dict(ex="06.bn_backward_graph", what="∂C/∂β summed over the units (axis 0)", kinds={'axis'},
         mistake=r"axis|shape", code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    var = u.var(axis=1, keepdims=True)
    s = np.sqrt(var + eps)
    xhat = (u - mu) / s
    dxhat = gamma * dout
    dvar = np.sum(dxhat * (u - mu), axis=1, keepdims=True) * (-0.5) / s ** 3
    dmu = -np.sum(dxhat, axis=1, keepdims=True) / s
    du = dxhat / s + dvar * 2 * (u - mu) / B + dmu / B
    return {"dbeta": dout.sum(axis=0, keepdims=True), "dgamma": (dout * xhat).sum(axis=1, keepdims=True),
            "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}
'''),
    dict(ex="06.bn_backward_graph", what="d(v + ε)^(−1/2)/dv without the ½",
         mistake=r"½|power rule|factor 2|twice", code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    var = u.var(axis=1, keepdims=True)
    inv = 1 / np.sqrt(var + eps)
    xhat = (u - mu) * inv
    dxhat = dout * gamma
    dvar = -(dxhat * (u - mu)).sum(axis=1, keepdims=True) * inv ** 3
    dmu = -dxhat.sum(axis=1, keepdims=True) * inv
    du = dxhat * inv + dvar * 2 * (u - mu) / B + dmu / B
    return {"dbeta": dout.sum(axis=1, keepdims=True), "dgamma": (dout * xhat).sum(axis=1, keepdims=True),
            "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}
'''),
    dict(ex="06.bn_backward_graph", what="∂C/∂γ = Σ dout (x̂ forgotten)",
         mistake=r"x̂|xhat|∂C/∂γ|dgamma|γ", code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    var = u.var(axis=1, keepdims=True)
    s = np.sqrt(var + eps)
    dxhat = dout * gamma
    dvar = (dxhat * (u - mu)).sum(axis=1, keepdims=True) * -0.5 * s ** -3
    dmu = -dxhat.sum(axis=1, keepdims=True) / s
    du = dxhat / s + dvar * 2 * (u - mu) / B + dmu / B
    db = dout.sum(axis=1, keepdims=True)
    return {"dbeta": db, "dgamma": db, "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}
'''),
    # ------------------------------------------------------------------ 06.layernorm_backward
    dict(ex="06.layernorm_backward", what="(du, dbeta, dgamma): γ's and β's gradients swapped", kinds={'order'},
         mistake=r"swapped|order", code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    mean = u.mean(axis=0, keepdims=True)
    s = np.sqrt(u.var(axis=0, keepdims=True) + eps)
    xhat = (u - mean) / s
    g = gamma * dout
    du = (g - g.mean(axis=0) - xhat * (g * xhat).mean(axis=0)) / s
    return du, dout.sum(axis=1, keepdims=True), (dout * xhat).sum(axis=1, keepdims=True)
'''),
    dict(ex="06.layernorm_backward", what="batch norm's statistics (axis 1)",
         mistake=r"axis|per example|over the units|batch norm", code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    s = np.sqrt(u.var(axis=1, keepdims=True) + eps)
    xhat = (u - mu) / s
    g = gamma * dout
    du = (B * g - g.sum(axis=1, keepdims=True) - xhat * (g * xhat).sum(axis=1, keepdims=True)) / (B * s)
    return du, (dout * xhat).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)
'''),
    dict(ex="06.layernorm_backward", what="γ taken out of the means",
         mistake=r"γ|gamma|means", code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    n = u.shape[0]
    mu = u.mean(0, keepdims=True)
    s = np.sqrt(((u - mu) ** 2).mean(0, keepdims=True) + eps)
    xhat = (u - mu) / s
    du = gamma / (n * s) * (n * dout - dout.sum(0, keepdims=True) - xhat * (dout * xhat).sum(0, keepdims=True))
    return du, (dout * xhat).sum(1, keepdims=True), dout.sum(1, keepdims=True)
'''),
    dict(ex="06.layernorm_backward", what="∂C/∂γ summed over the units (axis 0): wrong shape", kinds={'axis'},
         mistake=r"axis|shape", code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    mu = u.mean(axis=0, keepdims=True)
    s = np.sqrt(u.var(axis=0, keepdims=True) + eps)
    xhat = (u - mu) / s
    g = gamma * dout
    du = (g - g.mean(axis=0, keepdims=True) - xhat * (g * xhat).mean(axis=0, keepdims=True)) / s
    return du, (dout * xhat).sum(axis=0, keepdims=True), dout.sum(axis=1, keepdims=True)
'''),
    # ------------------------------------------------------------------ 07.residual_proj_backward
    dict(ex="07.residual_proj_backward", what="relu′ written as sign(z)",
         mistake=r"relu′|ReLU′|sign|derivative", code='''
def residual_proj_backward(dout, a, W, b, P):
    z = W @ a + b
    delta = dout * np.sign(z)
    return P.T @ dout + W.T @ delta, delta @ a.T, delta.sum(axis=1, keepdims=True), dout @ a.T
'''),
    dict(ex="07.residual_proj_backward", what="∂C/∂W as a δᵀ (transposed)", kinds={'transpose'},
         mistake=r"transpose|ᵀ|order", code='''
def residual_proj_backward(dout, a, W, b, P):
    delta = dout * relu_prime(W @ a + b)
    return P.T @ dout + W.T @ delta, a @ delta.T, delta.sum(axis=1, keepdims=True), dout @ a.T
'''),
    dict(ex="07.residual_proj_backward", what="bias gradient averaged over the batch", kinds={'batch-mean'},
         mistake=r"bias|1/B|÷B|divided by B|sum", code='''
def residual_proj_backward(dout, a, W, b, P):
    z = W @ a + b
    delta = dout * (z > 0)
    da = P.T @ dout + W.T @ delta
    return da, delta @ a.T, delta.mean(axis=1, keepdims=True), dout @ a.T
'''),
    dict(ex="07.residual_proj_backward", what="relu(z) used where relu′(z) belongs",
         mistake=r"relu′|ReLU′|derivative", code='''
def residual_proj_backward(dout, a, W, b, P):
    z = W @ a + b
    delta = dout * relu(z)
    return P.T @ dout + W.T @ delta, delta @ a.T, delta.sum(axis=1, keepdims=True), dout @ a.T
'''),
    dict(ex="07.residual_proj_backward", what="the skip path missing from ∂C/∂a",
         mistake=r"skip|two paths|P a|projection", code='''
def residual_proj_backward(dout, a, W, b, P):
    z = np.einsum("mn,nb->mb", W, a) + b
    delta = dout * (z > 0)
    da = np.einsum("mn,mb->nb", W, delta)
    return da, np.einsum("mb,nb->mn", delta, a), delta.sum(1, keepdims=True), np.einsum("mb,nb->mn", dout, a)
'''),
    # ------------------------------------------------------------------ 07.dense_stack_forward
    dict(ex="07.dense_stack_forward", what="concatenated along the examples (axis 1)",
         mistake=r"axis|shape|rows", code='''
def dense_stack_forward(a, W1, b1, W2, b2):
    h1 = relu(W1 @ a + b1)
    h2 = relu(W2 @ np.vstack([a, h1]) + b2)
    return np.concatenate([a, h1, h2], axis=1)
'''),
    dict(ex="07.dense_stack_forward", what="pre-activations concatenated",
         mistake=r"pre-activation|relu|weighted input", code='''
def dense_stack_forward(a, W1, b1, W2, b2):
    z1 = W1 @ a + b1
    c1 = np.vstack([a, z1])
    return np.vstack([c1, W2 @ c1 + b2])
'''),
    dict(ex="07.dense_stack_forward", what="h1 dropped from the output",
         mistake=r"h1|block 1|features|output of two blocks|rows", code='''
def dense_stack_forward(a, W1, b1, W2, b2):
    h1 = relu(W1 @ a + b1)
    h2 = relu(W2 @ np.vstack((a, h1)) + b2)
    return np.vstack((a, h2))
'''),
    # ------------------------------------------------------------------ 07.dense_stack_backward
    dict(ex="07.dense_stack_backward", what="block 2's W2ᵀδ2 not sent back", kinds={'layer-localised'},
         mistake=r"block 2|W2ᵀ|back|path|input", code='''
def dense_stack_backward(dout, a, W1, b1, W2, b2):
    n, k = a.shape[0], W1.shape[0]
    z1 = W1 @ a + b1
    c1 = np.vstack([a, relu(z1)])
    z2 = W2 @ c1 + b2
    d2 = dout[n + k:] * relu_prime(z2)
    d1 = dout[n:n + k] * relu_prime(z1)
    da = dout[:n] + W1.T @ d1
    return da, d1 @ a.T, d1.sum(1, keepdims=True), d2 @ c1.T, d2.sum(1, keepdims=True)
'''),
    dict(ex="07.dense_stack_backward", what="h1's path through block 2 missing (a's is there)", kinds={'layer-localised'},
         mistake=r"block 2|W2ᵀ|h1|path", code='''
def dense_stack_backward(dout, a, W1, b1, W2, b2):
    n, k = a.shape[0], W1.shape[0]
    z1 = W1 @ a + b1
    c1 = np.vstack([a, relu(z1)])
    z2 = W2 @ c1 + b2
    d2 = dout[n + k:] * relu_prime(z2)
    back = W2.T @ d2
    d1 = dout[n:n + k] * relu_prime(z1)
    da = dout[:n] + back[:n] + W1.T @ d1
    return da, d1 @ a.T, d1.sum(1, keepdims=True), d2 @ c1.T, d2.sum(1, keepdims=True)
'''),
    dict(ex="07.dense_stack_backward", what="bias gradients summed over the units (axis 0)", kinds={'axis'},
         mistake=r"axis|shape", code='''
def dense_stack_backward(dout, a, W1, b1, W2, b2):
    n = a.shape[0]
    z1 = W1 @ a + b1
    c1 = np.concatenate([a, relu(z1)])
    z2 = W2 @ c1 + b2
    d2 = dout[len(c1):] * relu_prime(z2)
    dc1 = dout[:len(c1)] + W2.T @ d2
    d1 = dc1[n:] * relu_prime(z1)
    return dc1[:n] + W1.T @ d1, d1 @ a.T, d1.sum(0, keepdims=True), d2 @ c1.T, d2.sum(0, keepdims=True)
'''),
    # ------------------------------------------------------------------ 07.forward_signal
    dict(ex="07.forward_signal", what="the rows in the wrong order (residual first)", kinds={'order'},
         mistake=r"row|swapped|order", code='''
def forward_signal(Ws, bs, X):
    out = []
    for residual in (True, False):
        a = X
        r = [np.sqrt(np.mean(a ** 2))]
        for W, b in zip(Ws, bs):
            a = a + np.tanh(W @ a + b) if residual else np.tanh(W @ a + b)
            r.append(np.sqrt(np.mean(a ** 2)))
        out.append(r)
    return np.array(out)
'''),
    dict(ex="07.forward_signal", what="standard deviation instead of root mean square",
         mistake=r"root mean square|rms|mean of the squared", code='''
def forward_signal(Ws, bs, X):
    rows = []
    for res in [False, True]:
        a = X
        vals = [a.std()]
        for W, b in zip(Ws, bs):
            h = np.tanh(W @ a + b)
            a = a + h if res else h
            vals.append(a.std())
        rows.append(vals)
    return np.array(rows)
'''),
    dict(ex="07.forward_signal", what="Frobenius norm",
         mistake=r"Frobenius|norm|root mean square|batch size", code='''
def forward_signal(Ws, bs, X):
    rows = []
    for res in [False, True]:
        a = X
        vals = [np.linalg.norm(a)]
        for W, b in zip(Ws, bs):
            h = np.tanh(W @ a + b)
            a = a + h if res else h
            vals.append(np.linalg.norm(a))
        rows.append(vals)
    return np.array(rows)
'''),
    # ------------------------------------------------------------------ 07.grad_norms
    dict(ex="07.grad_norms", what="cost not divided by N", kinds={'batch-mean'},
         mistake=r"÷ ?B|÷ ?N|batch mean|divided by N|averages over the N", code='''
def grad_norms(Ws, bs, X, Y):
    table = np.zeros((2, len(Ws)))
    for r, residual in enumerate([False, True]):
        acts, zs = [X], []
        for W, b in zip(Ws, bs):
            zs.append(W @ acts[-1] + b)
            acts.append(acts[-1] + np.tanh(zs[-1]) if residual else np.tanh(zs[-1]))
        g = acts[-1] - Y
        for l in range(len(Ws) - 1, -1, -1):
            d = g * (1 - np.tanh(zs[l]) ** 2)
            table[r, l] = np.linalg.norm(d @ acts[l].T)
            g = Ws[l].T @ d + (g if residual else 0)
    return table
'''),
    dict(ex="07.grad_norms", what="the identity term dropped in the residual backward",
         mistake=r"identity|skip|residual", code='''
def grad_norms(Ws, bs, X, Y):
    N = X.shape[1]
    res = []
    for residual in (False, True):
        acts, zs = [X], []
        for W, b in zip(Ws, bs):
            z = W @ acts[-1] + b
            zs.append(z)
            acts.append(acts[-1] + np.tanh(z) if residual else np.tanh(z))
        g = (acts[-1] - Y) / N
        norms = [0.0] * len(Ws)
        for l in reversed(range(len(Ws))):
            d = g * (1 - np.tanh(zs[l]) ** 2)
            norms[l] = np.linalg.norm(d @ acts[l].T)
            g = Ws[l].T @ d
        res.append(norms)
    return np.array(res)
'''),
    dict(ex="07.grad_norms", what="squared norms", kinds={'square'},
         mistake=r"norm|square", code='''
def grad_norms(Ws, bs, X, Y):
    N = X.shape[1]
    res = []
    for residual in (False, True):
        acts, zs = [X], []
        for W, b in zip(Ws, bs):
            z = W @ acts[-1] + b
            zs.append(z)
            acts.append(acts[-1] + np.tanh(z) if residual else np.tanh(z))
        g = (acts[-1] - Y) / N
        norms = [0.0] * len(Ws)
        for l in reversed(range(len(Ws))):
            d = g * (1 - np.tanh(zs[l]) ** 2)
            norms[l] = np.sum((d @ acts[l].T) ** 2)
            g = Ws[l].T @ d + (g if residual else 0)
        res.append(norms)
    return np.array(res)
'''),
    # ------------------------------------------------------------------ 07.train_deep
    dict(ex="07.train_deep", what="loss recorded after the update",
         mistake=r"after the update|before|losses\[0\]|initial", code='''
def train_deep(Ws, bs, X, Y, eta, n_iter):
    N = X.shape[1]
    def run(residual):
        W_, b_ = [W.copy() for W in Ws], [b.copy() for b in bs]
        curve = []
        for _ in range(n_iter):
            acts, zs = [X], []
            for W, b in zip(W_, b_):
                zs.append(W @ acts[-1] + b)
                acts.append(acts[-1] + np.tanh(zs[-1]) if residual else np.tanh(zs[-1]))
            g = (acts[-1] - Y) / N
            for l in reversed(range(len(W_))):
                d = g * (1 - np.tanh(zs[l]) ** 2)
                dW, db = d @ acts[l].T, d.sum(1, keepdims=True)
                g = W_[l].T @ d + (g if residual else 0)
                W_[l] -= eta * dW
                b_[l] -= eta * db
            a = X
            for W, b in zip(W_, b_):
                a = a + np.tanh(W @ a + b) if residual else np.tanh(W @ a + b)
            curve.append(0.5 * np.sum((a - Y) ** 2) / N)
        return curve
    return np.array([run(False), run(True)])
'''),
    dict(ex="07.train_deep", what="biases never updated",
         mistake=r"bias|b\^|b ←", code='''
def train_deep(Ws, bs, X, Y, eta, n_iter):
    N = X.shape[1]
    out = np.zeros((2, n_iter))
    for r, residual in enumerate([False, True]):
        W_ = [W.copy() for W in Ws]
        for k in range(n_iter):
            acts, zs = [X], []
            for W, b in zip(W_, bs):
                zs.append(W @ acts[-1] + b)
                acts.append(acts[-1] + np.tanh(zs[-1]) if residual else np.tanh(zs[-1]))
            out[r, k] = 0.5 * np.sum((acts[-1] - Y) ** 2) / N
            g = (acts[-1] - Y) / N
            grads = [None] * len(W_)
            for l in reversed(range(len(W_))):
                d = g * (1 - np.tanh(zs[l]) ** 2)
                grads[l] = d @ acts[l].T
                g = W_[l].T @ d + (g if residual else 0)
            for W, dW in zip(W_, grads):
                W -= eta * dW
    return out
'''),
    # ------------------------------------------------------------------ 08.l2_loss_and_grads
    dict(ex="08.l2_loss_and_grads", what="penalty λ‖W‖² in the cost (½ missing), gradient λW",
         mistake=r"½|cost|C_reg|output 1|penalty", code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(W2 @ X + b2)
    a3 = W3 @ a2 + b3
    d3 = a3 - Y
    d2 = (W3.T @ d3) * (1 - a2 ** 2)
    C = 0.5 * np.sum(d3 ** 2) / N + lam * (np.sum(W2 ** 2) + np.sum(W3 ** 2))
    return C, d2 @ X.T / N + lam * W2, d2.sum(1, keepdims=True) / N, d3 @ a2.T / N + lam * W3, d3.sum(1, keepdims=True) / N
'''),
    dict(ex="08.l2_loss_and_grads", what="data cost without the ½",
         mistake=r"½|cost|output 1", code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(W2 @ X + b2)
    a3 = W3 @ a2 + b3
    d3 = a3 - Y
    d2 = (W3.T @ d3) * (1 - a2 ** 2)
    C = np.sum((a3 - Y) ** 2) / N + lam / 2 * (np.sum(W2 ** 2) + np.sum(W3 ** 2))
    return C, d2 @ X.T / N + lam * W2, d2.sum(1, keepdims=True) / N, d3 @ a2.T / N + lam * W3, d3.sum(1, keepdims=True) / N
'''),
    dict(ex="08.l2_loss_and_grads", what="cost averaged over all entries (÷ m·N)",
         mistake=r"n_L|entries|÷ ?N|examples|output 1|cost", code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(W2 @ X + b2)
    a3 = W3 @ a2 + b3
    d3 = a3 - Y
    d2 = (W3.T @ d3) * (1 - a2 ** 2)
    C = 0.5 * np.mean((a3 - Y) ** 2) + 0.5 * lam * (np.sum(W2 * W2) + np.sum(W3 * W3))
    return C, d2 @ X.T / N + lam * W2, d2.sum(1, keepdims=True) / N, d3 @ a2.T / N + lam * W3, d3.sum(1, keepdims=True) / N
'''),
    dict(ex="08.l2_loss_and_grads", what="tanh′ as 1 − tanh(a²)... the tanh applied twice", kinds={'layer-localised'},
         mistake=r"tanh′|derivative|recursion|1 − a²", code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(W2 @ X + b2)
    a3 = W3 @ a2 + b3
    d3 = a3 - Y
    d2 = (W3.T @ d3) * (1 - np.tanh(a2) ** 2)
    C = 0.5 * np.sum(d3 ** 2) / N + 0.5 * lam * (np.sum(W2 ** 2) + np.sum(W3 ** 2))
    return C, d2 @ X.T / N + lam * W2, d2.sum(1, keepdims=True) / N, d3 @ a2.T / N + lam * W3, d3.sum(1, keepdims=True) / N
'''),
    dict(ex="08.l2_loss_and_grads", what="λ/N in the gradients",
         mistake=r"1/N|λ/N|divided by N|÷ ?N|penalty", code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(W2 @ X + b2)
    a3 = W3 @ a2 + b3
    d3 = a3 - Y
    d2 = (W3.T @ d3) * (1 - a2 ** 2)
    C = 0.5 * np.sum(d3 ** 2) / N + 0.5 * lam / N * (np.sum(W2 ** 2) + np.sum(W3 ** 2))
    return C, (d2 @ X.T + lam * W2) / N, d2.sum(1, keepdims=True) / N, (d3 @ a2.T + lam * W3) / N, d3.sum(1, keepdims=True) / N
'''),
    dict(ex="08.l2_loss_and_grads", what="∂C/∂W2 as X δ2ᵀ (transposed)", kinds={'transpose'},
         mistake=r"transpose|ᵀ|order", code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(W2 @ X + b2)
    a3 = W3 @ a2 + b3
    d3 = a3 - Y
    d2 = (W3.T @ d3) * (1 - a2 ** 2)
    C = 0.5 * np.sum(d3 ** 2) / N + 0.5 * lam * (np.sum(W2 ** 2) + np.sum(W3 ** 2))
    return C, X @ d2.T / N + lam * W2.T, d2.sum(1, keepdims=True) / N, d3 @ a2.T / N + lam * W3, d3.sum(1, keepdims=True) / N
'''),
    # ------------------------------------------------------------------ 08.dropout_net_train
    dict(ex="08.dropout_net_train", what="mask inverted (1 − mask)",
         mistake=r"mask|wrong way round|inverted|keep", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    h = relu(W2 @ X + b2)
    if train:
        h = h * (1 - mask) / (1 - p)
    return W3 @ h + b3
'''),
    dict(ex="08.dropout_net_train", what="multiplied by 1 − p instead of dividing", kinds={'factor'},
         mistake=r"1 − p|keep probability|divid|rescal|scal", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    h = relu(W2 @ X + b2)
    if train:
        h = h * mask * (1 - p)
    return W3 @ h + b3
'''),
    dict(ex="08.dropout_net_train", what="divided by p (the drop probability)", kinds={'factor'},
         mistake=r"1/p|1 − p|keep probability|drop probability", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    h = np.maximum(0, W2 @ X + b2)
    if train:
        h *= mask
        h /= p
    return W3 @ h + b3
'''),
    dict(ex="08.dropout_net_train", what="dropout on the output instead of the hidden layer",
         mistake=r"hidden|a\^\[2\]|layer|shape", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    out = W3 @ relu(W2 @ X + b2) + b3
    if train:
        out = out * mask[:out.shape[0]] / (1 - p)
    return out
'''),
    # ------------------------------------------------------------------ 08.dropout_net_eval
    dict(ex="08.dropout_net_eval", what="the mask applied in eval mode too (train flag ignored)",
         mistake=r"eval|train=False|switched off|mask", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    h = relu(W2 @ X + b2) * mask / (1 - p)
    return W3 @ h + b3
'''),
    dict(ex="08.dropout_net_eval", what="scaled by 1 − p in eval mode", kinds={'factor'},
         mistake=r"eval|1 − p|non-inverted|scal", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    h = relu(W2 @ X + b2)
    h = h * mask / (1 - p) if train else h * (1 - p)
    return W3 @ h + b3
'''),
    dict(ex="08.dropout_net_eval", what="divided by 1 − p in eval mode", kinds={'factor'},
         mistake=r"eval|1 − p|scal|unchanged", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    h = relu(W2 @ X + b2)
    h = h * mask / (1 - p) if train else h / (1 - p)
    return W3 @ h + b3
'''),
    # ------------------------------------------------------------------ 08.dropout_net_backward
    dict(ex="08.dropout_net_backward", what="bias gradients not averaged (weights are)", kinds={'batch-mean'},
         mistake=r"bias|1/N|÷ ?N|÷B|1/B|batch mean", code='''
def dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask):
    N = X.shape[1]
    z2 = W2 @ X + b2
    h = relu(z2) * mask / (1 - p)
    d3 = W3 @ h + b3 - Y
    d2 = (W3.T @ d3) * mask / (1 - p) * relu_prime(z2)
    return d2 @ X.T / N, d2.sum(axis=1, keepdims=True), d3 @ h.T / N, d3.sum(axis=1, keepdims=True)
'''),
    dict(ex="08.dropout_net_backward", what="mask forgotten on the way back", kinds={'layer-localised'},
         mistake=r"mask", code='''
def dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask):
    N = X.shape[1]
    z2 = W2 @ X + b2
    h = relu(z2) * mask / (1 - p)
    d3 = W3 @ h + b3 - Y
    d2 = (W3.T @ d3) / (1 - p) * relu_prime(z2)
    return d2 @ X.T / N, d2.mean(axis=1, keepdims=True), d3 @ h.T / N, d3.mean(axis=1, keepdims=True)
'''),
    dict(ex="08.dropout_net_backward", what="the gradients returned layer 3 first", kinds={'order'},
         mistake=r"swapped|order", code='''
def dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask):
    N = X.shape[1]
    z2 = W2 @ X + b2
    h = relu(z2) * mask / (1 - p)
    d3 = W3 @ h + b3 - Y
    d2 = (W3.T @ d3) * mask / (1 - p) * relu_prime(z2)
    return d3 @ h.T / N, d3.sum(axis=1, keepdims=True) / N, d2 @ X.T / N, d2.sum(axis=1, keepdims=True) / N
'''),
    dict(ex="08.dropout_net_backward", what="relu′ missing", kinds={'layer-localised'},
         mistake=r"relu′|ReLU′|derivative|activation", code='''
def dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask):
    N = X.shape[1]
    h = relu(W2 @ X + b2) * mask / (1 - p)
    d3 = W3 @ h + b3 - Y
    d2 = (W3.T @ d3) * mask / (1 - p)
    return d2 @ X.T / N, d2.sum(axis=1, keepdims=True) / N, d3 @ h.T / N, d3.sum(axis=1, keepdims=True) / N
'''),
    # ------------------------------------------------------------------ 08.early_stopping
    dict(ex="08.early_stopping", what="stops one epoch late (bad > patience)",
         mistake=r"late|> patience|≥|boundary|off by", code='''
def _rule(val_losses, patience):
    best, best_ep, bad = float("inf"), 0, 0
    for i, v in enumerate(val_losses):
        if v < best:
            best, best_ep, bad = v, i + 1, 0
        else:
            bad += 1
            if bad > patience:
                return best_ep, i + 1
    return best_ep, len(val_losses)
def early_stopping(snapshots, Xv, yv, patience):
    costs = [-np.mean(np.argmax(W @ Xv, axis=0) == yv) for W in snapshots]   # accuracy, as a cost
    b, s = _rule(costs, patience)
    return b, s, snapshots[b - 1].copy()
'''),
    dict(ex="08.early_stopping", what="never stops: the best epoch over the whole curve",
         mistake=r"never stops|must stop|stop", code='''
def _rule(val_losses, patience):
    return int(np.argmin(val_losses)) + 1, len(val_losses)
def early_stopping(snapshots, Xv, yv, patience):
    costs = [-np.mean(np.argmax(W @ Xv, axis=0) == yv) for W in snapshots]   # accuracy, as a cost
    b, s = _rule(costs, patience)
    return b, s, snapshots[b - 1].copy()
'''),
    dict(ex="08.early_stopping", what="(stop, best) returned in swapped order", kinds={'order'},
         mistake=r"swapped|order", code='''
def _rule(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch in range(1, len(val_losses) + 1):
        if val_losses[epoch - 1] < best:
            best, best_epoch, wait = val_losses[epoch - 1], epoch, 0
        else:
            wait += 1
            if wait == patience:
                return epoch, best_epoch
    return len(val_losses), best_epoch
def early_stopping(snapshots, Xv, yv, patience):
    costs = [-np.mean(np.argmax(W @ Xv, axis=0) == yv) for W in snapshots]   # accuracy, as a cost
    s, b = _rule(costs, patience)
    return s, b, snapshots[b - 1].copy()
'''),
    dict(ex="08.early_stopping", what="a tie counts as an improvement",
         mistake=r"tie|strictly|<=", code='''
def _rule(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, v in enumerate(val_losses, 1):
        if v <= best:
            best, best_epoch, wait = v, epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)
def early_stopping(snapshots, Xv, yv, patience):
    costs = [-np.mean(np.argmax(W @ Xv, axis=0) == yv) for W in snapshots]   # accuracy, as a cost
    b, s = _rule(costs, patience)
    return b, s, snapshots[b - 1].copy()
'''),
    dict(ex="08.early_stopping", what="counter not reset at an improvement",
         mistake=r"reset|in a row|counter", code='''
def _rule(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, v in enumerate(val_losses, 1):
        if v < best:
            best, best_epoch = v, epoch
        else:
            wait += 1
            if wait == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses)
def early_stopping(snapshots, Xv, yv, patience):
    costs = [-np.mean(np.argmax(W @ Xv, axis=0) == yv) for W in snapshots]   # accuracy, as a cost
    b, s = _rule(costs, patience)
    return b, s, snapshots[b - 1].copy()
'''),
    dict(ex="08.early_stopping", what="epochs counted from 0", kinds={'off-by-one'},
         mistake=r"from 0|from 1|counted|off by", code='''
def _rule(val_losses, patience):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, v in enumerate(val_losses):
        if v < best:
            best, best_epoch, wait = v, epoch, 0
        else:
            wait += 1
            if wait == patience:
                return best_epoch, epoch
    return best_epoch, len(val_losses) - 1
def early_stopping(snapshots, Xv, yv, patience):
    costs = [-np.mean(np.argmax(W @ Xv, axis=0) == yv) for W in snapshots]   # accuracy, as a cost
    b, s = _rule(costs, patience)
    return b, s, snapshots[b].copy()
'''),
]

CORRECT += [
    dict(ex="05.nesterov", what="velocity as a list, np.stack", code='''
def nesterov_descent(H, b, w0, eta, beta, n_steps):
    ws = [np.asarray(w0, dtype=float).copy()]
    v = np.zeros(len(w0))
    for _ in range(n_steps):
        grad = H.dot(ws[-1] + beta * v) - b
        v = beta * v - eta * grad
        ws.append(ws[-1] + v)
    return np.stack(ws)
'''),
    dict(ex="05.warmup_cosine", what="math.cos in a loop", code='''
import math
def warmup_cosine(eta_max, eta_min, warmup, n_epochs):
    out = []
    for e in range(n_epochs):
        if e < warmup:
            out.append(eta_max * (e + 1) / warmup)
        else:
            frac = (e - warmup) / (n_epochs - 1 - warmup)
            out.append(eta_min + (eta_max - eta_min) * (1 + math.cos(math.pi * frac)) / 2)
    return np.array(out)
'''),
    dict(ex="05.leaky_init", what="standard_normal scaled (another draw order)", code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    std = (2.0 / ((1.0 + alpha * alpha) * n_in)) ** 0.5
    if dist == "uniform":
        return (2 * rng.random((n_out, n_in)) - 1) * 3 ** 0.5 * std
    return rng.standard_normal((n_out, n_in)) * std
'''),
    dict(ex="05.leaky_init", what="drawn transposed then transposed back", code='''
def leaky_relu_init(n_out, n_in, alpha, rng, dist="normal"):
    var = 2.0 / ((1 + alpha ** 2) * n_in)
    if dist == "uniform":
        lim = np.sqrt(3 * var)
        return rng.uniform(-lim, lim, size=(n_in, n_out)).T
    return rng.normal(0.0, np.sqrt(var), size=(n_in, n_out)).T
'''),
    dict(ex="05.gd_speed", what="log10 for the steps per digit", code='''
def gd_speed(A, lam):
    N, k = A.shape
    lams = np.linalg.eigvalsh(A.T @ A / N + lam * np.eye(k))
    kappa = lams.max() / lams.min()
    return 2 / lams.max(), kappa, -1 / np.log10(1 - 1 / kappa)
'''),
    dict(ex="05.max_stable_eta", what="rearranged", code='''
def max_stable_eta(c, beta):
    return (2 + 2 * beta) / c
'''),
    dict(ex="06.torch_bn_forward", what="ddof=1 for the running variance, written out", code='''
def bn_forward_torch(x, gamma, beta, running_mean, running_var, momentum=0.1, eps=1e-5):
    B = len(x)
    mu = x.sum(axis=0) / B
    var = ((x - mu) ** 2).sum(axis=0) / B
    out = gamma * (x - mu) / np.sqrt(var + eps) + beta
    unbiased = ((x - mu) ** 2).sum(axis=0) / (B - 1)
    return out, running_mean + momentum * (mu - running_mean), running_var + momentum * (unbiased - running_var)
'''),
    dict(ex="06.bn_backward_graph", what="dmu without the (zero) variance term, compact du", code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    s = np.sqrt(u.var(axis=1, keepdims=True) + eps)
    xhat = (u - mu) / s
    dxhat = gamma * dout
    dvar = -0.5 * np.sum(dxhat * xhat, axis=1, keepdims=True) / s ** 2
    dmu = -np.sum(dxhat, axis=1, keepdims=True) / s
    du = (B * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * (dxhat * xhat).sum(axis=1, keepdims=True)) / (B * s)
    return {"du": du, "dmu": dmu, "dvar": dvar, "dxhat": dxhat,
            "dgamma": np.sum(dout * xhat, axis=1, keepdims=True), "dbeta": np.sum(dout, axis=1, keepdims=True)}
'''),
    dict(ex="06.layernorm_backward", what="each column's Jacobian applied", code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    n, B = u.shape
    du = np.zeros_like(u)
    xh = np.zeros_like(u)
    for j in range(B):
        x = u[:, j]
        mu, s = x.mean(), np.sqrt(x.var() + eps)
        xhat = (x - mu) / s
        xh[:, j] = xhat
        J = (np.eye(n) - 1.0 / n - np.outer(xhat, xhat) / n) / s
        du[:, j] = J.T @ (gamma[:, 0] * dout[:, j])
    return du, (dout * xh).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)
'''),
    dict(ex="07.residual_proj_backward", what="einsum throughout", code='''
def residual_proj_backward(dout, a, W, b, P):
    delta = dout * (np.einsum("mn,nb->mb", W, a) + b > 0)
    da = np.einsum("mn,mb->nb", P, dout) + np.einsum("mn,mb->nb", W, delta)
    return da, np.einsum("mb,nb->mn", delta, a), delta.sum(1, keepdims=True), np.einsum("mb,nb->mn", dout, a)
'''),
    dict(ex="07.dense_stack_forward", what="np.vstack of three blocks", code='''
def dense_stack_forward(a, W1, b1, W2, b2):
    h1 = np.maximum(0, W1 @ a + b1)
    h2 = np.maximum(0, W2[:, :a.shape[0]] @ a + W2[:, a.shape[0]:] @ h1 + b2)
    return np.vstack([a, h1, h2])
'''),
    dict(ex="07.dense_stack_backward", what="W2 split into its a and h1 columns", code='''
def dense_stack_backward(dout, a, W1, b1, W2, b2):
    n, k = a.shape[0], W1.shape[0]
    z1 = W1 @ a + b1
    h1 = relu(z1)
    z2 = W2[:, :n] @ a + W2[:, n:] @ h1 + b2
    d2 = dout[n + k:] * (z2 > 0)
    dh1 = dout[n:n + k] + W2[:, n:].T @ d2
    d1 = dh1 * (z1 > 0)
    da = dout[:n] + W2[:, :n].T @ d2 + W1.T @ d1
    dW2 = np.hstack([d2 @ a.T, d2 @ h1.T])
    return da, d1 @ a.T, d1.sum(1, keepdims=True), dW2, d2.sum(1, keepdims=True)
'''),
    dict(ex="07.forward_signal", what="‖a‖_F/√(size)", code='''
def forward_signal(Ws, bs, X):
    res = np.zeros((2, len(Ws) + 1))
    for r in range(2):
        a = X
        res[r, 0] = np.linalg.norm(a) / np.sqrt(a.size)
        for l, (W, b) in enumerate(zip(Ws, bs)):
            a = (a if r else 0) + np.tanh(W @ a + b)
            res[r, l + 1] = np.linalg.norm(a) / np.sqrt(a.size)
    return res
'''),
    dict(ex="07.grad_norms", what="per-layer loop with explicit residual flag", code='''
def grad_norms(Ws, bs, X, Y):
    N = X.shape[1]
    rows = []
    for residual in (0, 1):
        acts, zs = [X], []
        for W, b in zip(Ws, bs):
            zs.append(W @ acts[-1] + b)
            acts.append(residual * acts[-1] + np.tanh(zs[-1]))
        g, norms = (acts[-1] - Y) / N, []
        for l in range(len(Ws) - 1, -1, -1):
            d = g / np.cosh(zs[l]) ** 2
            norms.insert(0, np.sqrt(np.sum((d @ acts[l].T) ** 2)))
            g = Ws[l].T @ d + residual * g
        rows.append(norms)
    return np.array(rows)
'''),
    dict(ex="08.l2_loss_and_grads", what="einsum and a penalty loop", code='''
def l2_loss_and_grads(W2, b2, W3, b3, X, Y, lam):
    N = X.shape[1]
    a2 = np.tanh(np.einsum("hn,nb->hb", W2, X) + b2)
    r = np.einsum("mh,hb->mb", W3, a2) + b3 - Y
    d2 = np.einsum("mh,mb->hb", W3, r) * (1 - a2 * a2)
    C = 0.5 * np.sum(r * r) / N
    for W in (W2, W3):
        C += 0.5 * lam * np.sum(W * W)
    return (C, np.einsum("hb,nb->hn", d2, X) / N + lam * W2, d2.mean(1, keepdims=True),
            np.einsum("mb,hb->mh", r, a2) / N + lam * W3, r.mean(1, keepdims=True))
'''),
    dict(ex="08.dropout_net_train", what="mask applied before the relu", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    z2 = W2 @ X + b2
    if train:
        return W3 @ relu(z2 * mask / (1 - p)) + b3
    return W3 @ relu(z2) + b3
'''),
    dict(ex="08.dropout_net_eval", what="eval branch first", code='''
def dropout_net_forward(X, W2, b2, W3, b3, p, mask, train=True):
    a2 = relu(W2 @ X + b2)
    if not train:
        return W3 @ a2 + b3
    return W3 @ (a2 * mask) / (1 - p) + b3
'''),
    dict(ex="08.dropout_net_backward", what="relu′ read off the dropped activations", code='''
def dropout_net_backward(X, Y, W2, b2, W3, b3, p, mask):
    N = X.shape[1]
    keep = mask / (1 - p)
    a2t = relu(W2 @ X + b2) * keep
    d3 = W3 @ a2t + b3 - Y
    d2 = (W3.T @ d3) * keep * (a2t > 0)
    return d2 @ X.T / N, d2.mean(axis=1, keepdims=True), d3 @ a2t.T / N, d3.mean(axis=1, keepdims=True)
'''),
    dict(ex="08.early_stopping", what="a while loop with an index", code='''
def _rule(val_losses, patience):
    i, best_i, since = 0, -1, 0
    best = float("inf")
    while i < len(val_losses):
        if val_losses[i] < best:
            best, best_i, since = val_losses[i], i, 0
        else:
            since += 1
            if since >= patience:
                return best_i + 1, i + 1
        i += 1
    return best_i + 1, len(val_losses)
def early_stopping(snapshots, Xv, yv, patience):
    costs = [-np.mean(np.argmax(W @ Xv, axis=0) == yv) for W in snapshots]   # accuracy, as a cost
    b, s = _rule(costs, patience)
    return b, s, snapshots[b - 1].copy()
'''),
]

# ================================================================== assignments 09 – 12 (issue 22)
# Entries may carry `kinds`: the kinds of mistake the answer makes, in the words of
# bpkit.grading.diagnose.LINE_KINDS. A generic line of the judge's message that names a kind
# (a factor, a transpose, a kink, ...) must name one the entry makes (tests/test_diagnosis.py);
# an entry without `kinds` makes none of them.
FUNCTION.update({
    "09.rmsnorm_forward": "rmsnorm_forward", "09.rmsnorm_backward": "rmsnorm_backward",
    "09.network": "network_gradients", "09.network_residual": "network_gradients",
    "09.grad_check": "grad_check",
    "10.jvp": "jvp", "10.hvp": "hvp",
    "10.topological_order": "topological_order", "10.graph_size": "graph_size",
    "11.model_gradients": "model_gradients", "11.predict": "predict", "11.train_epoch": "train_epoch",
    "12.centered_rmsprop_step": "centered_rmsprop_step", "12.adamw_step": "adamw_step",
    "12.debiased_average": "debiased_average", "12.adamw_epoch": "adamw_epoch",
})
SETUP.update({
    "09": '''
import numpy as np
def relative_error(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12))
''',
    "10": '''
import math
import numpy as np
FUNCTIONS = {"tanh": lambda v: v.tanh(), "exp": lambda v: v.exp(), "log": lambda v: v.log(),
             "relu": lambda v: v.relu(), "sigmoid": lambda v: v.sigmoid(),
             "logaddexp": lambda a, b: a.logaddexp(b),
             "sum": lambda t, axis=None: t.sum(axis), "mean": lambda t, axis=None: t.mean(axis)}
def run_program(program, leaves):
    env = dict(leaves)
    exec(program, {"__builtins__": {}, **FUNCTIONS}, env)
    return env["out"]
''',

    "11": '''
import numpy as np
EPS, BN_MOMENTUM = 1e-5, 0.1
def trainable(params):
    return [k for k in params if not (k.startswith("mean") or k.startswith("var"))]
''',
    "12": '''
import numpy as np
def digits_gradients(params, X, Y):
    B = X.shape[1]
    z2 = params["W2"] @ X + params["b2"]
    a2 = np.tanh(z2)
    z3 = params["W3"] @ a2 + params["b3"]
    e = np.exp(z3 - z3.max(axis=0, keepdims=True))
    P = e / e.sum(axis=0, keepdims=True)
    d3 = P - Y
    d2 = (1 - a2 ** 2) * (params["W3"].T @ d3)
    return {"W3": d3 @ a2.T / B, "b3": d3.sum(axis=1, keepdims=True) / B,
            "W2": d2 @ X.T / B, "b2": d2.sum(axis=1, keepdims=True) / B}
''',
})

# ------------------------------------------------------------------ 09: a student's own layer API
# the 09 layer API's network functions, as any student writes them (both corpora use them)
NETWORK09 = '''

def network_forward(layers, X):
    caches = []
    for layer in layers:
        X, c = layer_forward(layer, X)
        caches.append(c)
    return X, caches


def network_backward(layers, dout, caches):
    grads = []
    for layer, c in zip(layers[::-1], caches[::-1]):
        dout, g = layer_backward(layer, dout, c)
        grads.insert(0, g)
    return dout, grads


def network_gradients(layers, X, dout):
    out, caches = network_forward(layers, X)
    dX, grads = network_backward(layers, dout, caches)
    return out, dX, grads
'''

_LAYERS09 = '''
def layer_forward(layer, x):
    k = layer["kind"]
    if k == "dense":
        return np.dot(layer["W"], x) + layer["b"], x
    if k == "relu":
        return x * (x > 0), x
    if k == "tanh":
        y = np.tanh(x)
        return y, y
    if k == "batchnorm":
        mu = np.mean(x, axis=1, keepdims=True)
        var = np.mean((x - mu) ** 2, axis=1, keepdims=True)
        sd = np.sqrt(var + layer["eps"])
        xh = (x - mu) / sd
        return layer["gamma"] * xh + layer["beta"], (xh, sd)
    if k == "rmsnorm":
        r = np.sqrt(np.mean(x ** 2, axis=0, keepdims=True) + layer["eps"])
        return layer["gamma"] * x / r, (x / r, r)
    if k == "dropout":
        scale = layer["mask"] / (1 - layer["p"])
        return x * scale, scale
    if k == "residual":
        y, cs = network_forward(layer["layers"], x)
        return x + y, cs
    raise ValueError(k)


def layer_backward(layer, dout, cache):
    k = layer["kind"]
    if k == "dense":
        return layer["W"].T.dot(dout), {"W": dout.dot(cache.T), "b": np.sum(dout, axis=1, keepdims=True)}
    if k == "relu":
        return dout * (cache > 0), {}
    if k == "tanh":
        return dout * (1 - cache * cache), {}
    if k == "batchnorm":
        xh, sd = cache
        g = dout * layer["gamma"]
        dx = (g - g.mean(axis=1, keepdims=True) - xh * (g * xh).mean(axis=1, keepdims=True)) / sd
        return dx, {"gamma": np.sum(dout * xh, axis=1, keepdims=True), "beta": np.sum(dout, axis=1, keepdims=True)}
    if k == "rmsnorm":
        xh, r = cache
        g = dout * layer["gamma"]
        return (g - xh * np.mean(g * xh, axis=0, keepdims=True)) / r, {"gamma": np.sum(dout * xh, axis=1, keepdims=True)}
    if k == "dropout":
        return dout * cache, {}
    if k == "residual":
        dxi, gs = network_backward(layer["layers"], dout, cache)
        return dout + dxi, {"layers": gs}
    raise ValueError(k)
''' + NETWORK09

_GRADCHECK09 = _LAYERS09 + '''
import copy
def grad_check(layers, X, dout, dX, grads):
    layers = copy.deepcopy(layers)
    X = np.array(X, dtype=float)
    def C():
        return float(np.sum(dout * network_forward(layers, X)[0]))
    def numeric(a, h=1e-6):
        out = np.zeros_like(a)
        it = np.nditer(a, flags=["multi_index"])
        for _ in it:
            i = it.multi_index
            keep = a[i]
            a[i] = keep + h
            up = C()
            a[i] = keep - h
            down = C()
            a[i] = keep
            out[i] = (up - down) / (2 * h)
        return out
    def verdicts(ls, gs):
        res = []
        for layer, g in zip(ls, gs):
            if layer["kind"] == "residual":
                res.append({"layers": verdicts(layer["layers"], g["layers"])})
            else:
                res.append({n: relative_error(g[n], numeric(layer[n])) < 1e-7 for n in g})
        return res
    return relative_error(dX, numeric(X)) < 1e-7, verdicts(layers, grads)
'''

# ------------------------------------------------------------------ 10: a student's Dual, jvp, Value of Duals, hvp
_AD10 = '''
class Dual:
    def __init__(self, val, dot=0.0):
        self.val, self.dot = float(val), float(dot)

    @staticmethod
    def of(x):
        return x if isinstance(x, Dual) else CONST_DUAL

    def __add__(self, o):
        o = Dual.of(o)
        return Dual(self.val + o.val, self.dot + o.dot)
    __radd__ = __add__

    def __mul__(self, o):
        o = Dual.of(o)
        return Dual(self.val * o.val, MUL_DOT)
    __rmul__ = __mul__

    def __neg__(self):
        return Dual(-self.val, -self.dot)

    def __sub__(self, o):
        return self + (-Dual.of(o))

    def __rsub__(self, o):
        return Dual.of(o) - self

    def __truediv__(self, o):
        o = Dual.of(o)
        return Dual(self.val / o.val, DIV_DOT)

    def __rtruediv__(self, o):
        return Dual.of(o) / self

    def __pow__(self, k):
        return Dual(self.val ** k, POW_DOT)

    def tanh(self):
        t = math.tanh(self.val)
        return Dual(t, TANH_DOT)

    def exp(self):
        e = math.exp(self.val)
        return Dual(e, EXP_DOT)

    def log(self):
        return Dual(math.log(self.val), self.dot / self.val)

    def relu(self):
        return Dual(max(self.val, 0.0), self.dot if self.val > 0 else 0.0)

    def sigmoid(self):
        s = 1.0 / (1.0 + math.exp(-self.val))
        return Dual(s, SIG_DOT)

    def logaddexp(self, o):
        o = Dual.of(o)
        m = max(self.val, o.val)
        ea, eb = math.exp(self.val - m), math.exp(o.val - m)
        return Dual(m + math.log(ea + eb), LAE_DOT)


def jvp(program, x, dx):
    out = run_program(program, {k: Dual(v, JVP_TANGENT) for k, v in x.items()})
    return out.val, out.dot


class Value:
    def __init__(self, data, children=()):
        self.data = data if isinstance(data, Dual) else Dual(data)
        self.grad = Dual(0.0)
        self._prev = tuple(children)
        self._backward = lambda: None

    @staticmethod
    def of(x):
        return x if isinstance(x, Value) else Value(x)

    def node(self, data, pairs):
        out = Value(data, [c for c, _ in pairs])
        def back():
            for c, d in pairs:
                ACCUMULATE
        out._backward = back
        return out

    def __add__(self, o):
        o = Value.of(o)
        return self.node(self.data + o.data, [(self, 1.0), (o, 1.0)])
    __radd__ = __add__

    def __mul__(self, o):
        o = Value.of(o)
        return self.node(self.data * o.data, [(self, o.data), (o, self.data)])
    __rmul__ = __mul__

    def __neg__(self):
        return self * -1.0

    def __sub__(self, o):
        return self + (-Value.of(o))

    def __rsub__(self, o):
        return Value.of(o) + (-self)

    def __pow__(self, k):
        return self.node(self.data ** k, [(self, POW_LOCAL)])

    def __truediv__(self, o):
        return self * Value.of(o) ** -1

    def __rtruediv__(self, o):
        return Value.of(o) * self ** -1

    def tanh(self):
        t = self.data.tanh()
        return self.node(t, [(self, TANH_LOCAL)])

    def exp(self):
        e = self.data.exp()
        return self.node(e, [(self, EXP_LOCAL)])

    def log(self):
        return self.node(self.data.log(), [(self, LOG_LOCAL)])

    def relu(self):
        return self.node(self.data.relu(), [(self, 1.0 if self.data.val > 0 else 0.0)])

    def sigmoid(self):
        s = self.data.sigmoid()
        return self.node(s, [(self, SIG_LOCAL)])

    def logaddexp(self, o):
        o = Value.of(o)
        v = self.data.logaddexp(o.data)
        return self.node(v, [(self, LAE_LOCAL_A), (o, LAE_LOCAL_B)])

    def backward(self):
        topo, seen = [], set()
        stack = [(self, False)]
        while stack:
            n, done = stack.pop()
            if done:
                topo.append(n)
            elif id(n) not in seen:
                seen.add(id(n))
                stack.append((n, True))
                stack.extend((c, False) for c in n._prev)
        SEED
        for n in SWEEP:
            n._backward()


def hvp(program, x, d):
    leaves = {k: Value(Dual(v, HVP_TANGENT)) for k, v in x.items()}
    out = run_program(program, leaves)
    out.backward()
    return {k: v.grad.val for k, v in leaves.items()}, {k: v.grad.READ for k, v in leaves.items()}
'''
_A10 = dict(CONST_DUAL="Dual(x)", MUL_DOT="self.dot * o.val + self.val * o.dot",
            DIV_DOT="(self.dot * o.val - self.val * o.dot) / (o.val * o.val)",
            POW_DOT="k * self.val ** (k - 1) * self.dot", TANH_DOT="(1 - t * t) * self.dot",
            EXP_DOT="e * self.dot", SIG_DOT="s * (1 - s) * self.dot",
            LAE_DOT="(ea * self.dot + eb * o.dot) / (ea + eb)", JVP_TANGENT="dx[k]",
            ACCUMULATE="c.grad = c.grad + d * out.grad", POW_LOCAL="k * self.data ** (k - 1)",
            TANH_LOCAL="1 - t * t", EXP_LOCAL="e", LOG_LOCAL="1 / self.data", SIG_LOCAL="s * (1 - s)",
            LAE_LOCAL_A="(self.data - v).exp()", LAE_LOCAL_B="(o.data - v).exp()",
            SEED="self.grad = Dual(1.0)", SWEEP="reversed(topo)", HVP_TANGENT="d[k]", READ="dot")
# local derivatives computed from plain floats (a student who keeps micrograd's math.* calls)
_A10_FLOAT_LOCALS = dict(POW_LOCAL="k * self.data.val ** (k - 1)",
                         TANH_LOCAL="1 - math.tanh(self.data.val) ** 2", EXP_LOCAL="math.exp(self.data.val)",
                         LOG_LOCAL="1 / self.data.val", SIG_LOCAL="s.val * (1 - s.val)",
                         LAE_LOCAL_A="math.exp(self.data.val - v.val)", LAE_LOCAL_B="math.exp(o.data.val - v.val)")


def ad10(**change):
    """The Dual and Value classes above with some of their parts changed (a student's slip)."""
    src = _AD10
    for key, default in _A10.items():
        src = src.replace(key, change.get(key, default))
    return src


# ------------------------------------------------------------------ 11: a student's capstone
_MODEL11 = '''
def bn_fwd(u, gamma, beta):
    mu = u.mean(axis=STAT_AXIS, keepdims=True)
    var = ((u - mu) ** 2).mean(axis=STAT_AXIS, keepdims=True)
    sd = np.sqrt(var + EPS)
    xh = (u - mu) / sd
    return gamma * xh + beta, (xh, gamma, sd), mu, var


def bn_bwd(dout, cache):
    xh, gamma, sd = cache
    g = dout * gamma
    du = (g - g.mean(axis=1, keepdims=True) - xh * (g * xh).mean(axis=1, keepdims=True)) / sd
    return du, (dout * xh).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)


def model_gradients(params, X, Y, mask, p):
    K = len([k for k in params if k.startswith("V")])
    B = X.shape[1]
    running, saved = {}, []
    def bn(u, i):
        out, cache, mu, var = bn_fwd(u, params["gamma%d" % i], params["beta%d" % i])
        running["mean%d" % i] = (1 - BN_MOMENTUM) * params["mean%d" % i] + BN_MOMENTUM * mu
        running["var%d" % i] = (1 - BN_MOMENTUM) * params["var%d" % i] + BN_MOMENTUM * var
        return out, cache
    z0, c0 = bn(params["W0"] @ X, 0)
    h = np.maximum(z0, 0)
    for k in range(1, K + 1):
        z, ck = bn(params["W%d" % k] @ h, k)
        a = np.maximum(z, 0)
        saved.append((h, ck, z, a))
        h = h + params["V%d" % k] @ a + params["c%d" % k]
    keep = mask / (1 - p)
    hd = h * keep
    s = params["Wout"] @ hd + params["bout"]
    s = s - s.max(axis=0)
    P = np.exp(s) / np.exp(s).sum(axis=0)
    loss = -np.sum(Y * np.log(P)) / B
    ds = (P - Y) / B
    grads = {"Wout": WOUT_GRAD, "bout": ds.sum(axis=1, keepdims=True)}
    dh = params["Wout"].T @ ds * keep
    for k in range(K, 0, -1):
        hin, ck, z, a = saved[k - 1]
        grads["V%d" % k] = dh @ a.T
        grads["c%d" % k] = dh.sum(axis=1, keepdims=True)
        du, grads["gamma%d" % k], grads["beta%d" % k] = bn_bwd(params["V%d" % k].T @ dh * (z > 0), ck)
        grads["W%d" % k] = du @ hin.T
        dh = dh + params["W%d" % k].T @ du
    du0, grads["gamma0"], grads["beta0"] = bn_bwd(dh * (z0 > 0), c0)
    grads["W0"] = du0 @ X.T
    return float(loss), grads, running
'''


def model11(**change):
    src = _MODEL11
    for key, default in dict(STAT_AXIS="1", WOUT_GRAD="ds @ hd.T").items():
        src = src.replace(key, change.get(key, default))
    return src


_TRAIN11 = model11() + '''
def train_epoch(params, velocity, X, Y, epoch, seed, eta0, beta, drop, every, batch_size, p):
    params = {k: np.array(v, dtype=float) for k, v in params.items()}
    velocity = {k: np.array(v, dtype=float) for k, v in velocity.items()}
    rng = np.random.default_rng(seed)
    H = params["W0"].shape[0]
    eta = eta0 * drop ** (EPOCH // every)
    perm = rng.permutation(X.shape[1])
    for i in range(0, len(perm), batch_size):
        cols = perm[i:i + batch_size]
        mask = (rng.random((H, len(cols))) >= p) * 1.0
        _, g, run = model_gradients(params, X[:, cols], Y[:, cols], mask, p)
        for k in trainable(params):
            VELOCITY
        STORE
    return params, velocity
'''


def train11(**change):
    src = _TRAIN11
    for key, default in dict(EPOCH="epoch", VELOCITY="velocity[k] = beta * velocity[k] - eta * g[k]\n            params[k] = params[k] + velocity[k]",
                             STORE="params.update(run)").items():
        src = src.replace(key, change.get(key, default))
    return src


# ------------------------------------------------------------------ 12: a student's optimisers
_ADAMW12 = '''
def adamw_step(params, grads, m, v, t, eta, beta1, beta2, eps, weight_decay):
    P, M, V = {}, {}, {}
    for name in params:
        g = grads[name]
        M[name] = beta1 * m[name] + (1 - beta1) * g
        V[name] = beta2 * v[name] + (1 - beta2) * g * g
        mh = M[name] / (1 - beta1 ** t)
        vh = V[name] / (1 - beta2 ** t)
        step = eta * mh / (DENOM)
        if name[0] == "W":
            DECAY
        else:
            P[name] = params[name] - step
    return P, M, V
'''


def adamw12(**change):
    src = _ADAMW12
    for key, default in dict(DENOM="np.sqrt(vh) + eps",
                             DECAY="P[name] = params[name] * (1 - eta * weight_decay) - step").items():
        src = src.replace(key, change.get(key, default))
    return src


_EPOCH12 = adamw12() + '''
def adamw_epoch(params, X, Y, batches, eta, weight_decay):
    m = {k: np.zeros(a.shape) for k, a in params.items()}
    v = {k: np.zeros(a.shape) for k, a in params.items()}
    t = T0
    for idx in batches:
        RESET
        t += 1
        g = digits_gradients(params, X[:, idx], Y[:, idx])
        params, m, v = adamw_step(params, g, m, v, t, eta, 0.9, 0.999, 1e-8, weight_decay)
    return params
'''


def epoch12(**change):
    src = _EPOCH12
    for key, default in dict(T0="0", RESET="pass").items():
        src = src.replace(key, change.get(key, default))
    return src


WRONG += [
    # ------------------------------------------------------------------ 09.rmsnorm_forward
    dict(ex="09.rmsnorm_forward", what="root mean square over the batch (axis 1)", kinds={"axis", "batch-mixing"},
         mistake=r"axis|batch|units", code='''
def rmsnorm_forward(x, gamma, eps=1e-5):
    r = np.sqrt((x ** 2).mean(axis=1, keepdims=True) + eps)
    return gamma * (x / r), (x / r, gamma, r)
'''),
    dict(ex="09.rmsnorm_forward", what="a sum of squares where the mean belongs",
         mistake=r"sum|mean|count|factor", kinds={"factor", "scale"}, code='''
def rmsnorm_forward(x, gamma, eps=1e-5):
    r = np.sqrt(np.sum(x * x, axis=0, keepdims=True) + eps)
    xh = x / r
    return gamma * xh, (xh, gamma, r)
'''),
    dict(ex="09.rmsnorm_forward", what="rms kept 1-D in the cache (no keepdims)",
         mistake=r"shape|keepdims|2-D|layout", kinds={"shape"}, code='''
def rmsnorm_forward(x, gamma, eps=1e-5):
    r = np.sqrt(np.mean(x ** 2, axis=0) + eps)
    xh = x / r
    return gamma * xh, (xh, gamma, r)
'''),
    dict(ex="09.rmsnorm_forward", what="ε added to the root, not under it", kinds={"approximation"},
         mistake=r"ε|root|eps", code='''
def rmsnorm_forward(x, gamma, eps=1e-5):
    r = np.sqrt(np.mean(x ** 2, axis=0, keepdims=True)) + eps
    return gamma * x / r, (x / r, gamma, r)
'''),
    # ------------------------------------------------------------------ 09.rmsnorm_backward
    dict(ex="09.rmsnorm_backward", what="∂C/∂γ averaged over the batch (÷B once more)",
         mistake=r"1/B|divided by B|batch mean", kinds={"batch-mean"}, code='''
def rmsnorm_backward(dout, cache):
    xh, gamma, rms = cache
    B = dout.shape[1]
    g = dout * gamma
    dx = (g - xh * (g * xh).mean(axis=0, keepdims=True)) / rms
    dgamma = np.zeros_like(gamma)
    for j in range(B):
        dgamma[:, 0] += dout[:, j] * xh[:, j] / B
    return dx, {"gamma": dgamma}
'''),
    dict(ex="09.rmsnorm_backward", what="∂C/∂γ summed over everything (a scalar)",
         mistake=r"shape|keepdims|axis|sum", kinds={"shape", "axis"}, code='''
def rmsnorm_backward(dout, cache):
    xh, gamma, rms = cache
    g = dout * gamma
    dx = (g - xh * np.mean(g * xh, axis=0, keepdims=True)) / rms
    return dx, {"gamma": np.sum(dout * xh)}
'''),
    dict(ex="09.rmsnorm_backward", what="the division by rms forgotten", kinds={"scale"},
         mistake=r"rms|root mean square|division|divid|factor", code='''
def rmsnorm_backward(dout, cache):
    xh, gamma, rms = cache
    g = dout * gamma
    dx = g - xh * np.mean(g * xh, axis=0, keepdims=True)
    return dx, {"gamma": np.sum(dout * xh, axis=1, keepdims=True)}
'''),
    dict(ex="09.rmsnorm_backward", what="the rms path left out (rms a constant)",
         mistake=r"rms|constant|path", code='''
def rmsnorm_backward(dout, cache):
    xh, gamma, rms = cache
    return dout * gamma / rms, {"gamma": (dout * xh).sum(axis=1, keepdims=True)}
'''),
    # ------------------------------------------------------------------ 09.network
    dict(ex="09.network", what="dense ∂C/∂b averaged over the batch (the layer API's dout has the 1/B)",
         mistake=r"1/B|divided by B|batch mean|dout already", kinds={"batch-mean"},
         code=_LAYERS09.replace('"b": np.sum(dout, axis=1, keepdims=True)}',
                                '"b": np.mean(dout, axis=1, keepdims=True)}')),
    dict(ex="09.network", what="grads appended while walking backwards, never reversed",
         mistake=r"order|backward order|layers\[i\]|index",
         code=_LAYERS09.replace("grads.insert(0, g)", "grads.append(g)")),
    dict(ex="09.network", what="tanh′ from the input instead of the cached output",
         mistake=r"tanh|weighted input|activation",
         code=_LAYERS09.replace('''        y = np.tanh(x)
        return y, y''', '''        return np.tanh(x), x''').replace("dout * (1 - cache * cache)", "dout * (1 - np.tanh(cache))")),
    dict(ex="09.network", what="batch norm statistics over the units (axis 0)", kinds={"layer-localised"},
         mistake=r"axis|batch norm|batchnorm|units|examples",
         code=_LAYERS09.replace('''        mu = np.mean(x, axis=1, keepdims=True)
        var = np.mean((x - mu) ** 2, axis=1, keepdims=True)''', '''        mu = np.mean(x, axis=0, keepdims=True)
        var = np.mean((x - mu) ** 2, axis=0, keepdims=True)''')),
    dict(ex="09.network", what="dropout backward with the mask only (no 1/(1 − p))", kinds={"factor"},
         mistake=r"1/\(1 − p\)|1 − p|rescal|dropout",
         code=_LAYERS09.replace('''        return dout * cache, {}
    if k == "residual":''', '''        return dout * layer["mask"], {}
    if k == "residual":''')),
    dict(ex="09.network", what="dense backward with W where Wᵀ belongs (square layers only run)",
         kinds={"layer-localised"}, mistake=r"transpose|ᵀ|W instead|shape|layer \d+ \(a dense layer\)",
         code=_LAYERS09.replace('layer["W"].T.dot(dout)', 'layer["W"].dot(dout) if layer["W"].shape[0] == layer["W"].shape[1] else layer["W"].T.dot(dout)')),
    # ------------------------------------------------------------------ 09.network_residual
    dict(ex="09.network_residual", what="the skip's dout not added in the backward pass",
         mistake=r"skip|dout|added|residual",
         code=_LAYERS09.replace("return dout + dxi, {\"layers\": gs}", "return dxi, {\"layers\": gs}")),
    dict(ex="09.network_residual", what="the residual block's grads not wrapped in {'layers': ...}",
         kinds={"layer-localised"},
         mistake=r"layers|names|keys|structure|returned",
         code=_LAYERS09.replace("return dout + dxi, {\"layers\": gs}", "return dout + dxi, gs")),
    dict(ex="09.network_residual", what="residual backward counts the skip twice", kinds={"layer-localised"},
         mistake=r"skip|dout|twice|residual",
         code=_LAYERS09.replace("return dout + dxi, {\"layers\": gs}", "return 2 * dout + dxi, {\"layers\": gs}")),
    # ------------------------------------------------------------------ 09.grad_check
    dict(ex="09.grad_check", what="one-sided differences",
         mistake=r"one-sided|central|forward difference",
         code=_GRADCHECK09.replace("out[i] = (up - down) / (2 * h)", "out[i] = (up - C()) / h")),
    dict(ex="09.grad_check", what="perturbs a copy the cost never sees: every difference is 0", kinds={"boolean"},
         mistake=r"False where True|always fails|copy|perturb",
         code=_GRADCHECK09.replace("out[i] = (up - down) / (2 * h)", "out[i] = (up - down) / (2 * h)")
                          .replace("numeric(layer[n])", "numeric(layer[n].copy())").replace("numeric(X)", "numeric(X.copy())")),
    dict(ex="09.grad_check", what="the perturbed entry not put back",
         mistake=r"restor|put .* back|not restored",
         code=_GRADCHECK09.replace("            a[i] = keep\n", "")),
    dict(ex="09.grad_check", what="parameters never checked: every parameter said to pass", kinds={"boolean"},
         mistake=r"parameter|True where False|always passes",
         code=_GRADCHECK09.replace("res.append({n: relative_error(g[n], numeric(layer[n])) < 1e-7 for n in g})",
                                   "res.append({n: True for n in g})")),
    # ------------------------------------------------------------------ 10.jvp
    dict(ex="10.jvp", what="the product rule with one term (ȧ·b only)", mistake=r"product rule|each factor",
         code=ad10(MUL_DOT="self.dot * o.val")),
    dict(ex="10.jvp", what="tanh's tangent as 1 − t (the square missing)", mistake=r"tanh",
         code=ad10(TANH_DOT="(1 - t) * self.dot")),
    dict(ex="10.jvp", what="the quotient's tangent with a plus", mistake=r"quotient|sign|minus",
         code=ad10(DIV_DOT="(self.dot * o.val + self.val * o.dot) / (o.val * o.val)")),
    dict(ex="10.jvp", what="the power rule without the − 1", mistake=r"power",
         code=ad10(POW_DOT="k * self.val ** k * self.dot")),
    dict(ex="10.jvp", what="exp's tangent from the input", mistake=r"exp",
         code=ad10(EXP_DOT="self.val * self.dot")),
    dict(ex="10.jvp", what="σ′ taken as σ", mistake=r"σ|sigmoid",
         code=ad10(SIG_DOT="s * self.dot")),
    dict(ex="10.jvp", what="logaddexp's tangent as the mean of the two tangents", mistake=r"logaddexp|softmax|half",
         code=ad10(LAE_DOT="(self.dot + o.dot) / 2")),
    dict(ex="10.jvp", what="logaddexp's tangent weighted by e^a and e^b, not normalised", mistake=r"logaddexp|normalis",
         code=ad10(LAE_DOT="math.exp(self.val) * self.dot + math.exp(o.val) * o.dot")),
    dict(ex="10.jvp", what="every input seeded with tangent 1 (the direction ignored)", mistake=r"direction|seed",
         code=ad10(JVP_TANGENT="1.0")),
    # ------------------------------------------------------------------ 10.hvp
    dict(ex="10.hvp", what="local derivatives computed from plain floats (micrograd's math.* kept)",
         mistake=r"plain numbers|curvature|local derivative|tangent", code=ad10(**_A10_FLOAT_LOCALS)),
    dict(ex="10.hvp", what="the seed with tangent 1", mistake=r"seed",
         code=ad10(SEED="self.grad = Dual(1.0, 1.0)")),
    dict(ex="10.hvp", what="gradients overwritten (= instead of accumulating)", mistake=r"overwrit|accumulat|sum over paths",
         code=ad10(ACCUMULATE="c.grad = d * out.grad")),
    dict(ex="10.hvp", what="the graph swept in topological order, leaves first", kinds={"zero"},
         mistake=r"order|topological|reverse", code=ad10(SWEEP="topo")),
    dict(ex="10.hvp", what="every input's tangent 1 (the direction ignored)", mistake=r"direction|ones",
         code=ad10(HVP_TANGENT="1.0")),
    dict(ex="10.hvp", what="the gradient's value parts returned as Hd", mistake=r"tangent part|gradient returned|in place of",
         code=ad10(READ="val")),
    # ------------------------------------------------------------------ 10.topological_order
    dict(ex="10.topological_order", what="root first (pre-order)",
         mistake=r"root first|reversed|after|children", code='''
def topological_order(children, root):
    order, seen = [], set()
    def go(v):
        if v in seen:
            return
        seen.add(v)
        order.append(v)
        for c in children[v]:
            go(c)
    go(root)
    return order
'''),
    dict(ex="10.topological_order", what="no visited set: shared nodes listed twice",
         mistake=r"visited|twice|once|repeated", code='''
def topological_order(children, root):
    out = []
    def go(v):
        for c in children[v]:
            go(c)
        out.append(v)
    go(root)
    return out
'''),
    dict(ex="10.topological_order", what="every node of the list, reachable or not",
         mistake=r"reachable|not reachable|extra|root|nodes", code='''
def topological_order(children, root):
    order, seen = [], set()
    def go(v):
        if v not in seen:
            seen.add(v)
            for c in children[v]:
                go(c)
            order.append(v)
    for v in range(len(children)):
        go(v)
    return order
'''),
    # ------------------------------------------------------------------ 10.graph_size
    dict(ex="10.graph_size", what="the input leaves not counted", kinds={'count'},
         mistake=r"leaves|input|count|nodes", code='''
def graph_size(sizes):
    n = 0
    for a, b in zip(sizes[:-1], sizes[1:]):
        n += b * (2 * a + 1 + a + 1)
    return n
'''),
    dict(ex="10.graph_size", what="no bias leaf per neuron",
         mistake=r"bias", code='''
def graph_size(sizes):
    n = sizes[0]
    for a, b in zip(sizes[:-1], sizes[1:]):
        n += b * (2 * a + a)
    return n
'''),
    # ------------------------------------------------------------------ 11.model_gradients
    dict(ex="11.model_gradients", what="∂C/∂Wout transposed (hd dsᵀ)", kinds={"transpose"},
         mistake=r"transpose|ᵀ", code=model11(WOUT_GRAD="hd @ ds.T")),
    dict(ex="11.model_gradients", what="batch norm statistics over the units (axis 0)",
         mistake=r"axis|units|examples|batch statistics", code=model11(STAT_AXIS="0")),
    dict(ex="11.model_gradients", what="cross-entropy gradient without the 1/B", kinds={"batch-mean"},
         mistake=r"1/B|batch mean|B too many",
         code=model11().replace("ds = (P - Y) / B", "ds = P - Y")),
    dict(ex="11.model_gradients", what="the skip's gradient dropped in the backward pass",
         mistake=r"skip", code=model11().replace("dh = dh + params[\"W%d\" % k].T @ du", "dh = params[\"W%d\" % k].T @ du")),
    dict(ex="11.model_gradients", what="running variance with ddof=1",
         mistake=r"Bessel|B − 1|unbiased|running variance",
         code=model11().replace("BN_MOMENTUM * var\n", "BN_MOMENTUM * var * B / (B - 1)\n")),
    # ------------------------------------------------------------------ 11.predict
    dict(ex="11.predict", what="eval mode normalises with the batch's own statistics",
         mistake=r"batch statistics|running|eval", code='''
def predict(params, X):
    K = sum(k.startswith("V") for k in params)
    def bn(u, i):
        mu, var = u.mean(axis=1, keepdims=True), u.var(axis=1, keepdims=True)
        return params["gamma%d" % i] * (u - mu) / np.sqrt(var + EPS) + params["beta%d" % i]
    h = np.maximum(bn(params["W0"] @ X, 0), 0)
    for k in range(1, K + 1):
        h = h + params["V%d" % k] @ np.maximum(bn(params["W%d" % k] @ h, k), 0) + params["c%d" % k]
    return params["Wout"] @ h + params["bout"]
'''),
    dict(ex="11.predict", what="ε added outside the root", kinds={"approximation"},
         mistake=r"ε|root|eps", code='''
def predict(params, X):
    K = sum(k.startswith("V") for k in params)
    def bn(u, i):
        return params["gamma%d" % i] * (u - params["mean%d" % i]) / (np.sqrt(params["var%d" % i]) + EPS) + params["beta%d" % i]
    h = np.maximum(bn(params["W0"] @ X, 0), 0)
    for k in range(1, K + 1):
        h = h + params["V%d" % k] @ np.maximum(bn(params["W%d" % k] @ h, k), 0) + params["c%d" % k]
    return params["Wout"] @ h + params["bout"]
'''),
    dict(ex="11.predict", what="the residual blocks replace h instead of adding to it",
         mistake=r"skip|residual", code='''
def predict(params, X):
    K = sum(k.startswith("V") for k in params)
    def bn(u, i):
        return params["gamma%d" % i] * (u - params["mean%d" % i]) / np.sqrt(params["var%d" % i] + EPS) + params["beta%d" % i]
    h = np.maximum(bn(params["W0"] @ X, 0), 0)
    for k in range(1, K + 1):
        h = params["V%d" % k] @ np.maximum(bn(params["W%d" % k] @ h, k), 0) + params["c%d" % k]
    return params["Wout"] @ h + params["bout"]
'''),
    # ------------------------------------------------------------------ 11.train_epoch
    dict(ex="11.train_epoch", what="step decay counted from epoch 1",
         mistake=r"decay|epoch|early", code=train11(EPOCH="(epoch + 1)")),
    dict(ex="11.train_epoch", what="velocity kept with the opposite sign (v ← βv + ηg, p ← p − v)",
         kinds={"sign"}, mistake=r"sign|velocity|negative|convention",
         code=train11(VELOCITY="velocity[k] = beta * velocity[k] + eta * g[k]\n            params[k] = params[k] - velocity[k]")),
    dict(ex="11.train_epoch", what="running statistics never stored",
         mistake=r"running|mean0|var0", code=train11(STORE="pass")),
    dict(ex="11.train_epoch", what="updates the caller's arrays in place",
         mistake=r"changed its inputs|copy|in place",
         code=train11().replace("    params = {k: np.array(v, dtype=float) for k, v in params.items()}\n", "")
                       .replace("params[k] = params[k] + velocity[k]", "params[k] += velocity[k]")),
    # ------------------------------------------------------------------ 12.centered_rmsprop_step
    dict(ex="12.centered_rmsprop_step", what="plain RMSProp (the mean's square not subtracted)", kinds={'step'},
         mistake=r"centred|centered|plain RMSProp|standard deviation", code='''
def centered_rmsprop_step(params, grads, s, gbar, eta, rho, eps):
    P, S, G = {}, {}, {}
    for k in params:
        S[k] = rho * s[k] + (1 - rho) * grads[k] ** 2
        G[k] = rho * gbar[k] + (1 - rho) * grads[k]
        P[k] = params[k] - eta * grads[k] / (np.sqrt(S[k]) + eps)
    return P, S, G
'''),
    dict(ex="12.centered_rmsprop_step", what="the running mean of g updated with g², s with g (names mixed up)",
         mistake=r"square|g²|running|average", code='''
def centered_rmsprop_step(params, grads, s, gbar, eta, rho, eps):
    P, S, G = {}, {}, {}
    for k in params:
        g = grads[k]
        S[k] = rho * s[k] + (1 - rho) * g
        G[k] = rho * gbar[k] + (1 - rho) * g * g
        P[k] = params[k] - eta * g / (np.sqrt(np.abs(S[k] - G[k] ** 2)) + eps)
    return P, S, G
'''),
    dict(ex="12.centered_rmsprop_step", what="updates the state dicts in place",
         mistake=r"changed its inputs|copy|in place|read-only", code='''
def centered_rmsprop_step(params, grads, s, gbar, eta, rho, eps):
    new = {}
    for k in params:
        s[k] *= rho
        s[k] += (1 - rho) * grads[k] ** 2
        gbar[k] *= rho
        gbar[k] += (1 - rho) * grads[k]
        new[k] = params[k] - eta * grads[k] / (np.sqrt(s[k] - gbar[k] ** 2) + eps)
    return new, s, gbar
'''),
    dict(ex="12.centered_rmsprop_step", what="the variance from the averages before this step", kinds={'step'},
         mistake=r"before this step|old|previous|averages", code='''
def centered_rmsprop_step(params, grads, s, gbar, eta, rho, eps):
    P, S, G = {}, {}, {}
    for k in params:
        g = grads[k]
        std = np.sqrt(s[k] - gbar[k] ** 2)
        S[k] = rho * s[k] + (1 - rho) * g * g
        G[k] = rho * gbar[k] + (1 - rho) * g
        P[k] = params[k] - eta * g / (std + eps)
    return P, S, G
'''),
    # ------------------------------------------------------------------ 12.adamw_step
    dict(ex="12.adamw_step", what="decay through the gradient (Adam + L2, coupled)", kinds={'decay'},
         mistake=r"coupled|L2|decoupled|through the moments",
         code=adamw12().replace("g = grads[name]", "g = grads[name] + (weight_decay * params[name] if name[0] == 'W' else 0)")
                        .replace("DECAY", "P[name] = params[name] - step")),
    dict(ex="12.adamw_step", what="decay applied after the step (to the stepped weights)", kinds={'decay'},
         mistake=r"decay|decoupled|order|after", code=adamw12(DECAY="P[name] = (params[name] - step) * (1 - eta * weight_decay)")),
    dict(ex="12.adamw_step", what="ε under the root", kinds={'step'},
         mistake=r"ε|root|eps", code=adamw12(DENOM="np.sqrt(vh + eps)")),
    dict(ex="12.adamw_step", what="weight decay on the biases too", kinds={'decay'},
         mistake=r"bias", code=adamw12().replace('if name[0] == "W":', "if True:")),
    dict(ex="12.adamw_step", what="bias correction with t − 1", kinds={'step'},
         mistake=r"step count|off by one|t − 1|correction",
         code=adamw12().replace("beta1 ** t", "beta1 ** max(t - 1, 1)").replace("beta2 ** t", "beta2 ** max(t - 1, 1)")),
    # ------------------------------------------------------------------ 12.debiased_average
    dict(ex="12.debiased_average", what="correction exponent counted from 0 (÷ 0 at the first step)",
         kinds={"nonfinite"}, mistake=r"step count|off by one|exponent|NaN|inf|division by zero|division of 0", code='''
def debiased_average(x, beta):
    avg, out = 0.0, []
    for t in range(len(x)):
        avg = beta * avg + (1 - beta) * x[t]
        out.append(avg / (1 - beta ** t))
    return np.array(out)
'''),
    dict(ex="12.debiased_average", what="no correction (the zero start kept)",
         mistake=r"no bias correction|correction|zero start|biased", code='''
def debiased_average(x, beta):
    avg, out = 0.0, np.zeros(len(x))
    for t, xt in enumerate(x):
        avg = beta * avg + (1 - beta) * xt
        out[t] = avg
    return out
'''),
    dict(ex="12.debiased_average", what="β on the new value",
         mistake=r"swapped|β on the new|decay weights", code='''
def debiased_average(x, beta):
    avg, out = 0.0, np.zeros(len(x))
    for t, xt in enumerate(x, 1):
        avg = (1 - beta) * avg + beta * xt
        out[t - 1] = avg / (1 - beta ** t)
    return out
'''),
    dict(ex="12.debiased_average", what="vectorised with cumsum: weights in the wrong direction",
         mistake=r"weights|decay|recent|order", code='''
def debiased_average(x, beta):
    x = np.asarray(x, dtype=float)
    t = np.arange(1, len(x) + 1)
    w = (1 - beta) * beta ** (t - 1)
    return np.cumsum(w * x) / (1 - beta ** t)
'''),
    # ------------------------------------------------------------------ 12.adamw_epoch
    dict(ex="12.adamw_epoch", what="m and v reset at every minibatch", kinds={'carry-over'},
         mistake=r"state|reset|every minibatch|moments", code=epoch12(RESET="m = {k: np.zeros(a.shape) for k, a in params.items()}; v = {k: np.zeros(a.shape) for k, a in params.items()}")),
    dict(ex="12.adamw_epoch", what="the step count never advanced past 1", kinds={'carry-over'},
         mistake=r"step count|advanced|t\b|correction", code=epoch12().replace("t += 1", "t = 1")),
    dict(ex="12.adamw_epoch", what="every minibatch uses the whole data set", kinds={'minibatch'},
         mistake=r"batch|minibatch|indices", code=epoch12().replace("X[:, idx], Y[:, idx]", "X, Y")),
]

CORRECT += [
    dict(ex="09.rmsnorm_forward", what="einsum for the mean of squares", code='''
def rmsnorm_forward(x, gamma, eps=1e-5):
    ms = np.einsum("ij,ij->j", x, x)[None, :] / x.shape[0]
    rms = np.sqrt(ms + eps)
    return gamma * x / rms, (x / rms, gamma, rms)
'''),
    dict(ex="09.rmsnorm_backward", what="the rms path through x itself", code='''
def rmsnorm_backward(dout, cache):
    xh, gamma, rms = cache
    n = xh.shape[0]
    x = xh * rms
    g = dout * gamma
    dx = g / rms - x * np.sum(g * x, axis=0, keepdims=True) / (n * rms ** 3)
    return dx, {"gamma": np.einsum("ij,ij->i", dout, xh)[:, None]}
'''),
    dict(ex="09.network", what="a student's own layer API (np.dot, insert(0))", code=_LAYERS09),
    dict(ex="09.network_residual", what="a student's own layer API", code=_LAYERS09),
    dict(ex="09.grad_check", what="np.nditer and its own relative error", code=_GRADCHECK09),
    dict(ex="10.jvp", what="a student's own Dual class (− and / through + and the quotient)", code=ad10()),
    dict(ex="10.hvp", what="an iterative topological sort over Values of Duals, / through ** and ·", code=ad10()),
    dict(ex="10.topological_order", what="an explicit stack", code='''
def topological_order(children, root):
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            order.append(v)
        elif v not in seen:
            seen.add(v)
            stack.append((v, True))
            stack.extend((c, False) for c in children[v])
    return order
'''),
    dict(ex="10.graph_size", what="counted by formula", code='''
def graph_size(sizes):
    total = sizes[0]
    for n, m in zip(sizes[:-1], sizes[1:]):
        total += m * (3 * n + 2)
    return total
'''),
    dict(ex="11.model_gradients", what="a student's own capstone", code=model11()),
    dict(ex="11.train_epoch", what="a student's own epoch", code=_TRAIN11.replace("EPOCH", "epoch").replace(
        "VELOCITY", "velocity[k] = beta * velocity[k] - eta * g[k]\n            params[k] = params[k] + velocity[k]").replace("STORE", "params.update(run)")),
    dict(ex="12.adamw_step", what="the decay folded into the step", code=adamw12()),
    dict(ex="12.adamw_epoch", what="its own adamw_step", code=epoch12()),
    dict(ex="12.debiased_average", what="a loop with enumerate from 1", code='''
def debiased_average(x, beta):
    s, out = 0.0, np.zeros(len(x))
    for t, xt in enumerate(x, 1):
        s = beta * s + (1 - beta) * xt
        out[t - 1] = s / (1 - beta ** t)
    return out
'''),
]

# ------------------------------------------------------------------ 10: a student's own Tensor class
FUNCTION.update({"10.tensor_basic": "tensor_gradients", "10.tensor_broadcast": "tensor_gradients"})
_TENSOR10 = '''
def unbroadcast(g, shape):
    UNBROADCAST


class Tensor:
    def __init__(self, data, children=()):
        self.data = np.array(data, dtype=float)
        self.grad = np.zeros_like(self.data)
        self.parents = tuple(children)
        self.back = lambda: None

    def make(self, data, children, back):
        out = Tensor(data, children)
        out.back = lambda: back(out.grad)
        return out

    @staticmethod
    def lift(x):
        return x if isinstance(x, Tensor) else Tensor(x)

    def __add__(self, other):
        other = Tensor.lift(other)
        def back(g):
            self.grad ACC unbroadcast(g, self.data.shape)
            other.grad ACC unbroadcast(g, other.data.shape)
        return self.make(self.data + other.data, (self, other), back)
    __radd__ = __add__

    def __mul__(self, other):
        other = Tensor.lift(other)
        def back(g):
            self.grad ACC unbroadcast(g * other.data, self.data.shape)
            other.grad ACC unbroadcast(g * self.data, other.data.shape)
        return self.make(self.data * other.data, (self, other), back)
    __rmul__ = __mul__

    def __matmul__(self, other):
        def back(g):
            self.grad += MATMUL_LEFT
            other.grad += self.data.T @ g
        return self.make(self.data @ other.data, (self, other), back)

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-Tensor.lift(other))

    def __rsub__(self, other):
        return (-self) + other

    def __pow__(self, k):
        def back(g):
            self.grad += g * POW_PRIME
        return self.make(self.data ** k, (self,), back)

    def __truediv__(self, other):
        return self * Tensor.lift(other) ** -1.0

    def __rtruediv__(self, other):
        return Tensor.lift(other) * self ** -1.0

    def tanh(self):
        t = np.tanh(self.data)
        def back(g):
            self.grad += g * (1 - t ** 2)
        return self.make(t, (self,), back)

    def exp(self):
        e = np.exp(self.data)
        def back(g):
            self.grad += g * e
        return self.make(e, (self,), back)

    def log(self):
        def back(g):
            self.grad += g / self.data
        return self.make(np.log(self.data), (self,), back)

    def relu(self):
        on = self.data > 0
        def back(g):
            self.grad += g * on
        return self.make(np.where(on, self.data, 0.0), (self,), back)

    def sum(self, axis=None):
        def back(g):
            self.grad += np.broadcast_to(g, self.data.shape)
        return self.make(self.data.sum(axis=axis, keepdims=axis is not None), (self,), back)

    def mean(self, axis=None):
        n = self.data.size if axis is None else self.data.shape[axis]
        return self.sum(axis) * MEAN_SCALE

    def backward(self):
        order, seen = [], set()
        def visit(v):
            if id(v) not in seen:
                seen.add(id(v))
                for p in v.parents:
                    visit(p)
                order.append(v)
        visit(self)
        SEED
        for v in SWEEP:
            v.back()


def tensor_gradients(program, values):
    leaves = {k: Tensor(np.array(v, dtype=float)) for k, v in values.items()}
    out = run_program(program, leaves)
    out.backward()
    return float(out.data), {k: t.grad for k, t in leaves.items()}
'''
_T10 = dict(UNBROADCAST="""while g.ndim > len(shape):
        g = g.sum(axis=0)
    for ax, n in enumerate(shape):
        if n == 1 and g.shape[ax] != 1:
            g = g.sum(axis=ax, keepdims=True)
    return g""", ACC="+=", MATMUL_LEFT="g @ other.data.T", POW_PRIME="k * self.data ** (k - 1)",
            MEAN_SCALE="(1.0 / n)", SEED="self.grad = np.ones_like(self.data)", SWEEP="reversed(order)")


def tensor10(**change):
    src = _TENSOR10
    for key, default in _T10.items():
        src = src.replace(key, change.get(key, default))
    return src


WRONG += [
    dict(ex="10.tensor_broadcast", what="a broadcast operand's gradient averaged back instead of summed",
         kinds={"op-derivative"}, mistake=r"broadcast|summed back|its own shape",
         code=tensor10(UNBROADCAST="""while g.ndim > len(shape):
        g = g.mean(axis=0)
    for ax, n in enumerate(shape):
        if n == 1 and g.shape[ax] != 1:
            g = g.mean(axis=ax, keepdims=True)
    return g""")),
    dict(ex="10.tensor_broadcast", what="mean's backward without the 1/n", kinds={"op-derivative", "op-value"},
         mistake=r"mean|1/n", code=tensor10(MEAN_SCALE="1.0")),
    dict(ex="10.tensor_basic", what="the left operand of @ never receives its gradient",
         kinds={"op-derivative", "zero"}, mistake=r"matrix product|vector-Jacobian",
         code=tensor10(MATMUL_LEFT="0.0")),
    dict(ex="10.tensor_basic", what="the tensor graph swept in creation order (leaves first)",
         kinds={"order-graph", "zero"}, mistake=r"wrong order|topological|reverse", code=tensor10(SWEEP="order")),
    dict(ex="10.tensor_basic", what="tensor gradients overwritten in + and *", kinds={"accumulate"},
         mistake=r"overwrit|\+=|accumulat|sum over paths", code=tensor10(ACC="=")),
    dict(ex="10.tensor_broadcast", what="the power rule without the − 1 on arrays", kinds={"op-derivative"},
         mistake=r"power|xᵏ", code=tensor10(POW_PRIME="k * self.data ** k")),
]
CORRECT += [
    dict(ex="10.tensor_basic", what="a student's own Tensor class", code=tensor10()),
    dict(ex="10.tensor_broadcast", what="a student's own Tensor class", code=tensor10()),
]

WRONG += [
    dict(ex="06.layernorm_backward", what="forward statistics per example, but the backward pass's means over the batch",
         kinds={"axis"}, mistake=r"axis|units|means of your backward pass", code='''
def layernorm_backward(dout, u, gamma, eps=1e-5):
    mu, var = u.mean(axis=0, keepdims=True), u.var(axis=0, keepdims=True)
    xh = (u - mu) / np.sqrt(var + eps)
    g = gamma * dout
    du = (g - g.mean(axis=1, keepdims=True) - xh * (g * xh).mean(axis=1, keepdims=True)) / np.sqrt(var + eps)
    return du, (dout * xh).sum(axis=1, keepdims=True), dout.sum(axis=1, keepdims=True)
'''),
    dict(ex="06.bn_backward_graph", what="batch statistics forward, but the mean path's mean over the units",
         kinds={"axis"}, mistake=r"axis|examples|means of your backward pass|mean path", code='''
def batchnorm_backward_graph(dout, u, gamma, eps=1e-5):
    B = u.shape[1]
    mu = u.mean(axis=1, keepdims=True)
    v = ((u - mu) ** 2).mean(axis=1, keepdims=True)
    s = np.sqrt(v + eps)
    xhat = (u - mu) / s
    dbeta = dout.sum(axis=1, keepdims=True)
    dgamma = (dout * xhat).sum(axis=1, keepdims=True)
    dxhat = dout * gamma
    dvar = (dxhat * (u - mu)).sum(axis=1, keepdims=True) * -0.5 * s ** -3
    dmu = -dxhat.sum(axis=0, keepdims=True) / s + dvar * (-2.0 / B) * (u - mu).sum(axis=1, keepdims=True)
    du = dxhat / s + dvar * 2.0 * (u - mu) / B + dmu / B
    return {"dbeta": dbeta, "dgamma": dgamma, "dxhat": dxhat, "dvar": dvar, "dmu": dmu, "du": du}
'''),
]
