"""The layering of DESIGN §11.8 is checked by import-linter (``[tool.importlinter]`` in pyproject.toml).

``make lint`` runs it on the tree; these tests prove the contracts bite: a copy of ``crm`` with one planted
violation breaks the contract that forbids it, with the offending import named.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(not LINT_IMPORTS.exists(), reason="import-linter is not installed")


def lint(cwd: Path, *contracts: str) -> subprocess.CompletedProcess:
    args = [str(LINT_IMPORTS), "--no-cache", "--no-logo", "--config", str(cwd / "pyproject.toml")]
    for contract in contracts:
        args += ["--contract", contract]
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120)


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of the code base (Python files only) that a test may break."""
    shutil.copytree(
        ROOT / "crm",
        tmp_path / "crm",
        ignore=shutil.ignore_patterns("static", "locale", "templates", "__pycache__", "*.mo", "*.po"),
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def plant(tree: Path, module: str, source: str) -> None:
    path = tree.joinpath(*module.split(".")).with_suffix(".py")
    path.write_text(source, encoding="utf-8")


def test_contracts_that_hold_today_are_kept():
    result = lint(ROOT, "devdata", "matching")
    assert result.returncode == 0, result.stdout


def test_a_selector_importing_a_service_breaks_the_layers(tree):
    before = lint(tree, "layers")
    assert "crm.selectors.planted" not in before.stdout
    plant(tree, "crm.selectors.planted", "from crm.services.needs import need_accept  # noqa\n")
    result = lint(tree, "layers")
    assert result.returncode != 0
    assert "crm.selectors is not allowed to import crm.services" in result.stdout
    assert "crm.selectors.planted -> crm.services.needs (l.1)" in result.stdout


def test_a_model_importing_a_selector_breaks_the_layers_and_makes_a_cycle(tree):
    plant(tree, "crm.models.planted", "import crm.selectors.needs  # noqa\n")
    result = lint(tree, "layers", "acyclic")
    assert result.returncode != 0
    assert "crm.models is not allowed to import crm.selectors" in result.stdout
    assert ".selectors -> .models" in result.stdout or ".models -> .selectors" in result.stdout


def test_a_new_module_must_be_given_its_layer(tree):
    plant(tree, "crm.planted", "")
    result = lint(tree, "layers")
    assert result.returncode != 0
    assert "crm.planted" in result.stdout


def test_a_function_level_import_counts_too(tree):
    plant(tree, "crm.choices", (tree / "crm" / "choices.py").read_text() + "\n\ndef f():\n    import crm.models\n")
    result = lint(tree, "layers")
    assert "crm.choices is not allowed to import crm.models" in result.stdout


def test_runtime_code_importing_the_demo_data_breaks_the_devdata_contract(tree):
    assert lint(tree, "devdata").returncode == 0
    plant(tree, "crm.services.planted", "from crm.devdata import demo  # noqa\n")
    result = lint(tree, "devdata")
    assert result.returncode != 0
    assert "crm.services.planted -> crm.devdata.demo" in result.stdout


def test_views_importing_each_other_break_the_views_contract(tree):
    plant(tree, "crm.views.planted", "from crm.views.visits import VisitCreateView  # noqa\n")
    result = lint(tree, "views")
    assert "crm.views.planted is not allowed to import crm.views.visits" in result.stdout
