"""The code stays readable: modules and functions a newcomer can take in at once."""

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parent.parent / "portal"
MODULE_LINES = 350
FUNCTION_LINES = 40
# Declarative tables written as functions: one line per setting, nothing to follow.
TABLES = {"portal/config.py:load"}


def _modules() -> list[Path]:
    return sorted(PORTAL.rglob("*.py"))


def _name(path: Path) -> str:
    return str(path.relative_to(PORTAL.parent))


@pytest.mark.parametrize("path", _modules(), ids=_name)
def test_no_module_is_longer_than_it_can_be_read(path):
    lines = path.read_text(encoding="utf-8").count("\n")
    assert lines <= MODULE_LINES, f"{_name(path)} has {lines} lines: split it by meaning"


def test_no_function_is_longer_than_a_screen():
    long = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = node.end_lineno - start + 1
                where = f"{_name(path)}:{node.name}"
                if length > FUNCTION_LINES and where not in TABLES:
                    long.append(f"{where} ({length} lines)")
    assert long == [], f"functions over {FUNCTION_LINES} lines: {long}"


def test_the_table_exceptions_still_exist():
    """An exception for a function that is gone or short again is stale: remove it."""
    found = set()
    for entry in TABLES:
        module, name = entry.split(":")
        tree = ast.parse((PORTAL.parent / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            named = isinstance(node, ast.FunctionDef) and node.name == name
            if named and node.end_lineno - node.lineno + 1 > FUNCTION_LINES:
                found.add(entry)
    assert found == TABLES


def test_no_file_holds_a_merge_conflict_marker():
    root = PORTAL.parent
    marked = [
        str(path.relative_to(root))
        for folder in ("portal", "templates", "tests", "migrations", "docs", "static")
        for path in (root / folder).rglob("*")
        if path.is_file()
        and path.suffix in {".py", ".html", ".md", ".css", ".js", ".txt"}
        and any(
            line.startswith(("<<<<<<< ", ">>>>>>> "))
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        )
    ]
    assert marked == []
