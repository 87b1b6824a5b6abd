"""No module of `functions` or `game` reaches into another module's private (underscore)
names: what one module needs of another is that module's public function."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "functions").glob("*.py")) + sorted((ROOT / "game").glob("*.py"))


def private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def reaches_into(source: str) -> list[str]:
    """`module._name` uses and `from module import _name` imports of a sibling module, as
    `line: text`."""
    tree = ast.parse(source)
    modules: set[str] = set()
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
                else:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update(alias.asname or alias.name.split(".")[0] for alias in node.names)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and private(node.attr)
        ):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return sorted(found)


def test_the_check_finds_a_reach_into_a_private_name() -> None:
    source = "from functions import store\nfrom game.rules import _Board\nstore._call()\n"
    assert reaches_into(source) == ["2: from game.rules import _Board", "3: store._call"]


@pytest.mark.parametrize("path", MODULES, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_no_module_uses_another_module_s_private_names(path: Path) -> None:
    assert reaches_into(path.read_text()) == []
