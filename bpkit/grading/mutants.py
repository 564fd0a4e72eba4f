"""Automatic mutants of a reference: plausible wrong programs, each described in plain words.

When a wrong answer matches no catalogued variant, the judge tries these: the reference and the
helper functions it calls, each with ONE small change a student makes — operands of a matrix
product swapped, `@` for `*` (or back), a factor or a divisor dropped, a difference the wrong
way round, a transpose dropped, the other axis, σ where σ′ belongs, a sum for a mean, an index
off by one, a sign dropped. If a mutant reproduces the student's output, its description is the
diagnosis. The descriptions speak of the lecture's objects, never quote the reference's code.

Runs only where the answer key is (the judge's parent, and `bpkit release`, which stores the
mutants' outputs on the visible cases with the released data).
"""
from __future__ import annotations

import ast
import copy
import inspect
import signal
import textwrap
import types

SYMBOLS = {  # helper and variable names -> the lecture's words
    "sigmoid": "σ", "sigmoid_prime": "σ′", "tanh": "tanh", "tanh_prime": "tanh′",
    "relu": "ReLU", "relu_prime": "ReLU′", "softmax": "softmax", "leaky_relu": "leaky ReLU",
    "leaky_relu_prime": "leaky ReLU′", "elu": "ELU", "elu_prime": "ELU′",
}
NAMES = [  # (test on a variable name, the lecture's words), first match wins
    (lambda n: n.lower().startswith("delta") or n in ("d", "dz", "dZ"), "δ"),
    (lambda n: n.startswith("W"), "the weight matrix W"),
    (lambda n: n.lower() in ("a_prev", "aprev", "a", "x", "a_in", "x_hat", "xhat"), "the activations"),
    (lambda n: n in ("B", "N", "n", "m", "batch"), "the batch size B"),
    (lambda n: n in ("eta", "lr"), "the learning rate η"),
    (lambda n: n in ("lam", "lmbda", "weight_decay"), "λ"),
    (lambda n: n.lower().startswith("mask"), "the mask"),
    (lambda n: n in ("p", "keep", "q"), "the keep probability"),
    (lambda n: n in ("gamma", "g"), "γ"), (lambda n: n == "beta", "β"), (lambda n: n == "mu", "μ"),
    (lambda n: n.lower() in ("std", "sd", "inv_std", "istd", "sigma"), "the standard deviation"),
    (lambda n: n.lower() in ("scale",), "the 1/B of the batch mean"),
]


def _word(node) -> str:
    """The lecture's name for the expression `node` (a factor, a divisor), never its code."""
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    for c in calls:
        name = (_callee(c) or "").strip("_")
        if name in SYMBOLS and name.endswith("prime"):
            return f"the {SYMBOLS[name]} factor"
    if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pow) for n in ast.walk(node)) and \
            any((_callee(c) or "") == "tanh" for c in calls):
        return "the tanh′ = 1 − tanh² factor"
    for c in calls:
        name = (_callee(c) or "").strip("_")
        if name in SYMBOLS:
            return f"the {SYMBOLS[name]} factor"
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return {2: "2", 0.5: "½", 1: "1"}.get(node.value, "a constant factor")
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            for test, words in NAMES:
                if test(n.id):
                    return words
    return "a factor"


def _callee(call):
    f = call.func
    if isinstance(f, ast.Name):
        return f.id
    if isinstance(f, ast.Attribute):
        return f.attr
    return None


class _Mutate(ast.NodeTransformer):
    """Apply mutation number `target` (counting sites in walk order); `.what` describes it."""

    def __init__(self, target, names):
        self.target, self.count, self.what, self.names = target, -1, None, names

    def _hit(self):
        self.count += 1
        return self.count == self.target

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = type(node.op)
        options = []
        if op is ast.MatMult:
            options = [(ast.BinOp(node.right, ast.MatMult(), node.left),
                        "the operands of a matrix product are swapped"),
                       (ast.BinOp(node.left, ast.Mult(), node.right),
                        "an elementwise product (*) where a matrix product (@) belongs")]
        elif op is ast.Mult:
            options = [(node.left, f"{_word(node.right)} is missing (dropped from a product)"),
                       (node.right, f"{_word(node.left)} is missing (dropped from a product)")]
            if not any(isinstance(x, ast.Constant) for x in (node.left, node.right)):
                options.append((ast.BinOp(node.left, ast.MatMult(), node.right),
                                "a matrix product (@) where an elementwise product (*) belongs"))
        elif op is ast.Div:
            options = [(node.left, f"the division by {_word(node.right)} is missing"),
                       (ast.BinOp(node.left, ast.Mult(), node.right),
                        f"multiplied by {_word(node.right)} where it should divide")]
        elif op is ast.Sub:
            options = [(ast.BinOp(node.right, ast.Sub(), node.left),
                        "a difference taken the wrong way round (a sign flip)")]
        for new, what in options:
            if self._hit():
                self.what = what
                return ast.copy_location(new, node)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.USub) and self._hit():
            self.what = "a minus sign is missing (a sign flip)"
            return node.operand
        return node

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if node.attr == "T" and self._hit():
            self.what = "a transpose (ᵀ) is missing"
            return node.value
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        name = _callee(node)
        for kw in node.keywords:
            if kw.arg == "axis" and isinstance(kw.value, ast.Constant) and kw.value.value in (0, 1):
                if self._hit():
                    self.what = ("a sum or normalisation over the wrong axis "
                                 "(examples are the columns, axis=1; units the rows, axis=0)")
                    kw.value = ast.Constant(1 - kw.value.value)
                    return node
        if name in ("sum", "mean") and isinstance(node.func, ast.Attribute) and self._hit():
            other = "mean" if name == "sum" else "sum"
            self.what = f"a {other} where a {name} belongs (a factor of the count)"
            node.func.attr = other
            return node
        if isinstance(node.func, ast.Name) and name:
            partner = name[:-6] if name.endswith("_prime") else name + "_prime"
            if partner in self.names and self._hit():
                a, b = SYMBOLS.get(name.strip("_"), name), SYMBOLS.get(partner.strip("_"), partner)
                self.what = f"{b} where {a} belongs"
                node.func = ast.Name(partner, ast.Load())
                return node
        if name == "range":
            for i, arg in enumerate(node.args):
                if isinstance(arg, ast.Constant) and isinstance(arg.value, int):
                    for delta in (1, -1):
                        if self._hit():
                            self.what = "a loop over the layers starts or stops one step off"
                            node.args[i] = ast.Constant(arg.value + delta)
                            return node
        return node

    def visit_Subscript(self, node):
        self.generic_visit(node)
        sl = node.slice
        if isinstance(sl, ast.Slice):
            for part in ("lower", "upper"):
                bound = getattr(sl, part)
                if isinstance(bound, ast.BinOp) and isinstance(bound.right, ast.Constant) \
                        and isinstance(bound.right.value, int):
                    if self._hit():
                        self.what = "an index or slice bound is off by one"
                        setattr(sl, part, bound.left)
                        return node
        return node


def _reachable(fn, module) -> dict[str, types.FunctionType]:
    """The module's functions that `fn` calls, directly or through each other."""
    found, todo = {}, [fn.__code__]
    while todo:
        code = todo.pop()
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                todo.append(const)
        for name in code.co_names:
            obj = vars(module).get(name)
            if isinstance(obj, types.FunctionType) and obj.__module__ == module.__name__ \
                    and name not in found:
                found[name] = obj
                todo.append(obj.__code__)
    return found


def _rebind(fn, ns):
    new = types.FunctionType(fn.__code__, ns, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = copy.copy(fn.__kwdefaults__)
    return new


def mutants(reference, module, limit: int = 200) -> list[tuple[str, types.FunctionType]]:
    """[(description, mutated reference)], one small change each."""
    helpers = _reachable(reference, module)
    out = []
    for name, helper in helpers.items():
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(helper)))
        except (OSError, TypeError, SyntaxError):
            continue
        k = 0
        while len(out) < limit:
            m = _Mutate(k, set(vars(module)))
            new_tree = m.visit(copy.deepcopy(tree))
            if m.what is None:
                break
            k += 1
            ast.fix_missing_locations(new_tree)
            ns = dict(vars(module))
            for other, f in helpers.items():
                ns[other] = _rebind(f, ns)
            try:
                exec(compile(new_tree, f"<mutant of {name}>", "exec"), ns)
            except Exception:  # noqa: BLE001 - a mutation that does not compile is no mutant
                continue
            out.append((m.what, _rebind(reference, ns)))
    return out


class _Slow(Exception):
    pass


def run(fn, case, seconds: float = 2.0):
    """fn(**case) with a time limit (a mutant may loop); None if it fails or is too slow."""
    def stop(*_):
        raise _Slow()
    old = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        import numpy as np
        with np.errstate(all="ignore"):
            return fn(**copy.deepcopy(case))
    except BaseException:  # noqa: BLE001 - anything a mutant does wrong means no match
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
