"""pyproject.toml's ranges, constraints.txt's pins and constraints-oldest.txt's lower bounds agree.

constraints.txt is what CI and the README install: each declared package must be pinned there
inside its range, or a fresh clone would install something untested. constraints-oldest.txt
proves each lower bound: it pins exactly that version (README.md says how both are made).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent


def _name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(file: str) -> dict[str, str]:
    pins = {}
    for line in (ROOT / file).read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[_name(name)] = version
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"].values()
    return [Requirement(r) for r in [*project["dependencies"], *(r for e in extras for r in e)]]


def test_every_declared_package_is_pinned_inside_its_range() -> None:
    pins = _pins("constraints.txt")
    outside = [
        (str(r), pins.get(_name(r.name)))
        for r in _declared()
        if not r.specifier.contains(pins.get(_name(r.name), "0"), prereleases=True)
    ]
    assert outside == [], "refresh constraints.txt as README.md says"


def test_every_lower_bound_is_the_version_the_oldest_run_pins() -> None:
    pins = _pins("constraints-oldest.txt")
    differ = []
    for requirement in _declared():
        lower = [s.version for s in requirement.specifier if s.operator == ">="]
        pinned = pins.get(_name(requirement.name))
        if lower and (pinned is None or Version(pinned) != Version(lower[0])):
            differ.append((str(requirement), pinned))
    assert differ == [], "a lower bound changed: run the oldest check (constraints-oldest.txt)"
