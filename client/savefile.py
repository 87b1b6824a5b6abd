"""The resume file: what `xo resume` needs to rejoin a game after the process restarts.

One small JSON file per game, `<GAME_ID>.json`, in the user's state directory:

- `$XO_STATE_DIR` when set (tests use it);
- Linux and other Unixes: `$XDG_STATE_HOME/xo`, else `~/.local/state/xo`;
- macOS: `~/Library/Application Support/xo`;
- Windows: `%LOCALAPPDATA%\\xo`.

It holds `url`, `id`, `token`, `mark` and `saved_at`, is readable by its owner only
(mode 0600), and is deleted when the game ends. The token is what lets a connection
act as a player, so it is never printed.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from game.protocol import ID_PATTERN
from game.rules import Mark

STATE_DIR_ENV = "XO_STATE_DIR"


@dataclass(frozen=True)
class SavedGame:
    url: str
    id: str
    token: str
    mark: Mark
    saved_at: float = field(default_factory=time.time)


def state_dir(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """The directory that holds resume files (not created here)."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if env.get(STATE_DIR_ENV):
        return Path(env[STATE_DIR_ENV])
    home = Path(env.get("HOME") or Path.home())
    if platform == "win32":
        base = env.get("LOCALAPPDATA")
        return Path(base) / "xo" if base else home / "AppData" / "Local" / "xo"
    if platform == "darwin":
        return home / "Library" / "Application Support" / "xo"
    xdg = env.get("XDG_STATE_HOME")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "xo"
    return home / ".local" / "state" / "xo"


def _path(directory: Path, game_id: str) -> Path:
    if not ID_PATTERN.fullmatch(game_id):
        raise ValueError(f"{game_id!r} is not a game id")
    return directory / f"{game_id}.json"


def save(game: SavedGame, directory: Path | None = None) -> Path:
    """Write `game`'s file atomically with mode 0600; returns its path."""
    directory = state_dir() if directory is None else directory
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = _path(directory, game.id)
    data = {**asdict(game), "mark": game.mark.value}
    fd, temporary = tempfile.mkstemp(
        dir=directory, prefix=".xo-", suffix=".tmp"
    )  # mkstemp: mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load(game_id: str, directory: Path | None = None) -> SavedGame | None:
    """The saved game with this id, or None if there is none (or it is unreadable)."""
    directory = state_dir() if directory is None else directory
    try:
        return _read(_path(directory, game_id))
    except ValueError:
        return None


def latest(directory: Path | None = None) -> SavedGame | None:
    """The most recently saved game, or None."""
    directory = state_dir() if directory is None else directory
    games = [game for path in directory.glob("*.json") if (game := _read(path)) is not None]
    return max(games, key=lambda game: game.saved_at, default=None)


def delete(game_id: str, directory: Path | None = None) -> None:
    """Forget a game (no error if it was never saved)."""
    directory = state_dir() if directory is None else directory
    try:
        _path(directory, game_id).unlink(missing_ok=True)
    except (ValueError, OSError):
        pass


def _read(path: Path) -> SavedGame | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        game = SavedGame(
            url=str(data["url"]),
            id=str(data["id"]),
            token=str(data["token"]),
            mark=Mark(data["mark"]),
            saved_at=float(data.get("saved_at", 0.0)),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not ID_PATTERN.fullmatch(game.id) or path.name != f"{game.id}.json":
        return None
    return game
