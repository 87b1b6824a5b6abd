"""Which files `infra.archive` puts in the Lambda deployment archive."""

from __future__ import annotations

from pathlib import Path

import pulumi
import pytest

from infra.archive import lambda_archive, lambda_source_files
from tests.infra.stack_harness import REPO_ROOT


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A repository-like tree with handler code and everything that must stay out."""
    for name in [
        "functions/__init__.py",
        "functions/play.py",
        "functions/sub/helpers.py",
        "functions/__pycache__/play.cpython-313.pyc",
        "functions/__pycache__/stray.py",
        "functions/notes.md",
        "game/__init__.py",
        "game/rules.py",
        "game/__pycache__/rules.cpython-313.pyc",
        "tests/unit/test_rules.py",
        "client/app.py",
        "emulator/server.py",
        "infra/websocket_game.py",
        ".venv/lib/python3.13/site-packages/boto3/__init__.py",
        "__main__.py",
    ]:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("# test\n")
    return tmp_path


def test_only_python_files_of_functions_and_game_sorted(tree: Path) -> None:
    assert lambda_source_files(tree) == [
        "functions/__init__.py",
        "functions/play.py",
        "functions/sub/helpers.py",
        "game/__init__.py",
        "game/rules.py",
    ]


def test_files_added_later_are_picked_up(tree: Path) -> None:
    (tree / "game" / "protocol.py").write_text("# new\n")
    assert "game/protocol.py" in lambda_source_files(tree)


def test_a_missing_package_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "functions").mkdir()
    with pytest.raises(FileNotFoundError):
        lambda_source_files(tmp_path)


def test_archive_maps_each_relative_path_to_its_file(tree: Path) -> None:
    archive = lambda_archive(tree)
    assert sorted(archive.assets) == lambda_source_files(tree)
    for name, asset in archive.assets.items():
        assert isinstance(asset, pulumi.FileAsset)
        assert Path(asset.path) == tree / name


def test_repository_archive_holds_only_the_handler_packages() -> None:
    files = lambda_source_files(REPO_ROOT)
    assert "functions/routes.py" in files
    assert {name.split("/")[0] for name in files} == {"functions", "game"}
