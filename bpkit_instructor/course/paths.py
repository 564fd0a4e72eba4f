"""Where the course lives: the folders of nbgrader's one-way flow, and how to call nbgrader."""
from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def course_root(root=None) -> Path:
    return Path(root) if root is not None else Path(os.environ.get("BPKIT_COURSE", ROOT))


def assignments(root=None) -> list[str]:
    """Assignment ids ("01-chain-rule", ...) found in solutions/."""
    src = course_root(root) / "solutions"
    return sorted(p.name for p in src.iterdir() if p.is_dir() and not p.name.startswith("."))


def notebook(folder: str, assignment: str, root=None, student: str | None = None) -> Path:
    base = course_root(root) / folder
    if student is not None:
        base = base / student
    return base / assignment / f"{assignment}.ipynb"


def db_url(root=None) -> str:
    """The gradebook's URL from the course's nbgrader_config.py (a relative SQLite path is made
    absolute; a PostgreSQL URL, for a course shared by several graders, is used as it is)."""
    root = course_root(root)
    url = "sqlite:///gradebook.db"
    config = root / "nbgrader_config.py"
    if config.exists():
        # traitlets: only when the course has a config file to read
        from traitlets.config.loader import PyFileConfigLoader
        cfg = PyFileConfigLoader(config.name, path=str(root)).load_config()
        url = cfg.CourseDirectory.get("db_url", url) or url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        url = f"sqlite:///{root / url[len('sqlite:///'):]}"
    return url


def nbgrader_env() -> dict:
    """nbgrader runs `alembic` by name: put this interpreter's bin/ first on PATH."""
    env = dict(os.environ)
    env.pop("BPKIT_ANSWERS", None)  # kernels record answers next to their own notebook
    bindir = str(Path(sys.executable).parent)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def nbgrader_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "nbgrader", *args]
