"""The test suite's own layout: a fixture has one home (conftest.py or the one module that uses it), and no
module switches a fixture on by importing it."""

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def _modules() -> dict[str, ast.Module]:
    return {str(path.relative_to(TESTS)): ast.parse(path.read_text()) for path in sorted(TESTS.rglob("*.py"))}


def _is_fixture(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef) and any("fixture" in ast.unparse(d) for d in node.decorator_list)


def _without_docstring(body: list[ast.stmt]) -> list[ast.stmt]:
    first = body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
        return body[1:]
    return body


def fixture_copies(modules: dict[str, ast.Module]) -> list[list[str]]:
    """Groups of fixtures, in different files, with the same parameters and the same code (whatever their names)."""
    seen: dict[str, list[str]] = {}
    for name, tree in modules.items():
        for node in ast.walk(tree):
            if _is_fixture(node):
                key = ast.dump(node.args) + "".join(ast.dump(s) for s in _without_docstring(node.body))
                seen.setdefault(key, []).append(f"{name}::{node.name}")
    return [places for places in seen.values() if len({p.split("::")[0] for p in places}) > 1]


def imported_fixtures(modules: dict[str, ast.Module]) -> list[str]:
    """``from tests.x import some_fixture`` in a module: pytest would register (and autouse) it there."""
    fixtures = {
        name.removesuffix(".py").replace("/", "."): {n.name for n in ast.walk(tree) if _is_fixture(n)}
        for name, tree in modules.items()
    }
    found = []
    for name, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests."):
                source = fixtures.get(node.module.removeprefix("tests."), set())
                found += [f"{name}: {alias.name} from {node.module}" for alias in node.names if alias.name in source]
    return found


def test_no_fixture_is_copied_between_files():
    assert fixture_copies(_modules()) == []


def test_no_module_imports_a_fixture():
    assert imported_fixtures(_modules()) == []


def test_the_checks_find_a_copy_and_an_imported_fixture():
    fixture = "import pytest\n@pytest.fixture\ndef lead(city_bureau):\n    return make(city_bureau)\n"
    modules = {
        "a.py": ast.parse(fixture),
        "b.py": ast.parse(fixture.replace("def lead", "def other")),
        "c.py": ast.parse("from tests.a import lead  # noqa: F401\n"),
    }
    assert fixture_copies(modules) == [["a.py::lead", "b.py::other"]]
    assert imported_fixtures(modules) == ["c.py: lead from tests.a"]
