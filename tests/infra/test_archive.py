"""Which files `infra.archive` puts in the Lambda deployment archive."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pulumi
import pytest

from infra.archive import ArchiveError, lambda_archive, lambda_source_files
from tests.infra.stack_harness import REPO_ROOT


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A git checkout with handler code and everything that must stay out, all tracked."""
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
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "-A")
    return tmp_path


def test_only_python_files_of_functions_and_game_sorted(tree: Path) -> None:
    assert lambda_source_files(tree) == [
        "functions/__init__.py",
        "functions/play.py",
        "functions/sub/helpers.py",
        "game/__init__.py",
        "game/rules.py",
    ]


def test_files_added_to_git_later_are_picked_up(tree: Path) -> None:
    (tree / "game" / "protocol.py").write_text("# new\n")
    git(tree, "add", "game/protocol.py")
    assert "game/protocol.py" in lambda_source_files(tree)


def test_an_untracked_module_is_never_deployed(tree: Path) -> None:
    """A scratch file, a stray copy, someone else's secret: what git does not track stays out."""
    (tree / "functions" / "scratch.py").write_text("KEY = 'do not ship'\n")
    (tree / "game" / "new").mkdir()
    (tree / "game" / "new" / "draft.py").write_text("# draft\n")
    files = lambda_source_files(tree)
    assert "functions/scratch.py" not in files
    assert "game/new/draft.py" not in files
    assert "functions/play.py" in files


def test_a_tracked_file_deleted_from_the_working_tree_is_left_out(tree: Path) -> None:
    (tree / "functions" / "play.py").unlink()
    assert "functions/play.py" not in lambda_source_files(tree)


def test_outside_a_git_checkout_the_archive_is_refused_with_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "functions").mkdir()
    (tmp_path / "functions" / "play.py").write_text("# test\n")
    with pytest.raises(ArchiveError, match=r"not a git checkout.*\.$"):
        lambda_source_files(tmp_path)


def test_a_package_with_no_tracked_file_is_an_error(tree: Path) -> None:
    git(tree, "rm", "-q", "--cached", "-r", "game")
    with pytest.raises(ArchiveError, match=r"game/"):
        lambda_source_files(tree)


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
