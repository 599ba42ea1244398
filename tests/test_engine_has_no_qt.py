"""House rule: the engine never imports Qt (or the UI). Checked statically and by really importing it."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ENGINE = REPO / "studio" / "engine"
FORBIDDEN = ("PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "pyqtgraph", "qtpy",
             "studio.ui")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _engine_files() -> list[Path]:
    return sorted(p for p in ENGINE.rglob("*.py") if "__pycache__" not in p.parts)


def _forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports: import/from statements (relative ones resolved) and
    importlib.import_module / __import__ calls with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def test_engine_sources_import_no_qt():
    files = _engine_files()
    assert ENGINE / "jobs.py" in files  # the walk really sees the engine
    offenders = [f"{p.relative_to(REPO)}:{line}: {name}"
                 for p in files for line, name in _imports(p) if _forbidden(name)]
    assert offenders == [], "engine modules must not import Qt or the UI:\n" + "\n".join(offenders)


def test_checker_catches_a_qt_import(tmp_path, monkeypatch):
    """The static check itself works (an always-green checker would prove nothing)."""
    fake_repo = tmp_path
    pkg = fake_repo / "studio" / "engine" / "gan"
    pkg.mkdir(parents=True)
    bad = pkg / "bad.py"
    bad.write_text("import numpy\nfrom PySide6.QtCore import QObject\nfrom ...ui import job_runner\n"
                   "import importlib\nimportlib.import_module('pyqtgraph')\n")
    monkeypatch.setattr(sys.modules[__name__], "REPO", fake_repo)
    names = [name for _, name in _imports(bad) if _forbidden(name)]
    assert "PySide6.QtCore" in names
    assert "studio.ui" in names
    assert "pyqtgraph" in names
    assert "numpy" not in names


def test_importing_the_engine_loads_no_qt():
    modules = [_module_name(p) for p in _engine_files()]
    script = (
        "import importlib, sys\n"
        f"mods = {modules!r}\n"
        "for m in mods:\n"
        "    importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in "
        "('PySide6', 'PySide2', 'PyQt5', 'PyQt6', 'shiboken6', 'shiboken2', 'pyqtgraph', 'qtpy')"
        " or k.startswith('studio.ui'))\n"
        "print('QT_MODULES', bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=240)
    assert "studio.engine.jobs" in modules and "studio.engine.images" in modules
    assert proc.returncode == 0, f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-5000:]}"
    assert "QT_MODULES []" in proc.stdout
