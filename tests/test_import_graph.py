"""Who depends on whom reads at a glance: the key depends on the student part, never the other
way; no import cycle among bpkit's and bpkit_instructor's modules; an import inside a function
says why beside it (lazy plots and widgets keep `import bpkit` fast, a kernel's own machinery,
...), so none hides a dependency."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bpkit", "bpkit_instructor")


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _target(node, module: str, is_pkg: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    base = node.module or ""
    if node.level:
        parts = module.split(".")
        parts = parts if is_pkg else parts[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join(parts + ([base] if base else []))
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]


def _imports(module: str, path: Path, top_level: bool):
    tree = ast.parse(path.read_text())
    is_pkg = path.name == "__init__.py"
    nodes = tree.body if top_level else [n for f in ast.walk(tree)
                                         if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                                         for n in ast.walk(f)]
    for node in nodes:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for name in _target(node, module, is_pkg):
                yield node, name


def _internal(name: str) -> str | None:
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def test_the_student_part_imports_nothing_of_the_key():
    bad = [(m, name) for m, p in MODULES.items() if m.split(".")[0] == "bpkit"
           for top in (True, False) for _, name in _imports(m, p, top)
           if name.split(".")[0] == "bpkit_instructor"]
    assert bad == []


def test_no_import_cycles():
    graph = {m: {t for _, n in _imports(m, p, True) if (t := _internal(n)) and t != m}
             for m, p in MODULES.items()}
    # a package's __init__ importing its own submodules is how packages re-export: not a cycle
    for m in graph:
        graph[m] = {t for t in graph[m] if not t.startswith(m + ".")}
    state, cycles = {}, []

    def visit(m, stack):
        state[m] = "open"
        for t in sorted(graph.get(m, ())):
            if state.get(t) == "open":
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t, stack + [t])
        state[m] = "done"

    for m in sorted(graph):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_function_local_imports_say_why():
    silent = []
    for m, path in MODULES.items():
        lines = path.read_text().splitlines()
        for node, _ in _imports(m, path, False):
            line = lines[node.lineno - 1]
            k = node.lineno - 2  # the comment may head a block of imports
            while k >= 0 and lines[k].strip().startswith(("import ", "from ")) and "#" not in lines[k]:
                k -= 1
            above = lines[k].strip() if k >= 0 else ""
            if "#" not in line and not above.startswith("#"):
                silent.append(f"{path.relative_to(ROOT)}:{node.lineno}: {line.strip()}")
    assert silent == [], "\n".join(silent)
