"""A fresh clone deploys: Pulumi's pip toolchain installs everything the program imports."""

from __future__ import annotations

import ast
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

from tests.infra.stack_harness import REPO_ROOT

REPO_PACKAGES = {"game", "functions", "emulator", "client", "infra"}


def _imports(path: Path) -> set[str]:
    """Dotted names of every module `path` imports (absolute imports only)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _program_third_party_imports() -> set[str]:
    """Top-level third-party modules that `__main__.py` imports, following our own modules."""
    seen: set[Path] = set()
    pending = [REPO_ROOT / "__main__.py"]
    third_party: set[str] = set()
    while pending:
        path = pending.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in _imports(path):
            top = name.split(".")[0]
            if top in REPO_PACKAGES:
                module = REPO_ROOT / Path(*name.split("."))
                for candidate in (module.with_suffix(".py"), module / "__init__.py"):
                    if candidate.is_file():
                        pending.append(candidate)
            elif top not in sys.stdlib_module_names and top != "__future__":
                third_party.add(top)
    return third_party


def _normalise(distribution: str) -> str:
    return distribution.lower().replace("_", "-")


def _requirement_name(line: str) -> str:
    for separator in "[<>=!~; ":
        line = line.split(separator)[0]
    return _normalise(line)


def _distributions_installed_by_requirements() -> set[str]:
    """Distributions `pip install -r requirements.txt` names (directly), run from the repo root."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    names: set[str] = set()
    for raw in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = raw.split("#")[0].strip()
        if not line:
            continue
        if line.startswith(("-e .", ".")):
            extras = line.partition("[")[2].partition("]")[0]
            names.add(_normalise(project["name"]))
            names.update(_requirement_name(r) for r in project["dependencies"])
            for extra in filter(None, (e.strip() for e in extras.split(","))):
                names.update(_requirement_name(r) for r in project["optional-dependencies"][extra])
        else:
            names.add(_requirement_name(line))
    return names


def test_requirements_install_every_module_the_program_imports() -> None:
    """Pulumi's pip toolchain installs requirements.txt and nothing else into .venv."""
    assert (REPO_ROOT / "requirements.txt").is_file(), "pulumi install would make an empty .venv"
    imported = _program_third_party_imports()
    assert {"pulumi", "pulumi_aws"} <= imported
    installed = _distributions_installed_by_requirements()
    providers = packages_distributions()
    for module in sorted(imported):
        distributions = {_normalise(d) for d in providers.get(module, [])}
        assert distributions & installed, (
            f"the program imports {module} ({sorted(distributions)}), "
            "which requirements.txt does not install"
        )
