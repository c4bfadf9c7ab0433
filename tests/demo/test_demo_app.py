"""The demo app is development-only: production settings leave it out, and no other code depends on it."""

import ast
from pathlib import Path

from tests.test_production_settings import _manage, _production_env

BASE_DIR = Path(__file__).resolve().parent.parent.parent
# Code that may use the demo: the demo itself, its tests, and the benchmarks that seed through it.
MAY_IMPORT_DEMO = {"demo", "tests", "bench", ".venv", ".data"}


def test_production_has_no_seed_demo_command():
    result = _manage(_production_env(), "seed_demo", "--persons", "1")

    assert result.returncode != 0
    assert "Unknown command: 'seed_demo'" in result.stderr


def _imports_demo(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name.split(".")[0] == "demo" for name in names):
            return True
    return False


def test_no_other_code_imports_the_demo():
    sources = [
        path for path in BASE_DIR.rglob("*.py") if path.relative_to(BASE_DIR).parts[0] not in MAY_IMPORT_DEMO
    ]
    assert len(sources) > 50  # the walk found the apps
    assert [str(path.relative_to(BASE_DIR)) for path in sources if _imports_demo(path)] == []
