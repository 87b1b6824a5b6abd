"""Saves: what `xo resume` needs to take a seat back after the process restarts.

A save belongs to a seat, not to a game: one small JSON file per game id and mark,
`<GAME_ID>.<MARK>.json`, so two players of one game on one machine never overwrite
each other. It lives in the user's state directory:

- `$XO_STATE_DIR` when set (tests use it);
- Linux and other Unixes: `$XDG_STATE_HOME/xo`, else `~/.local/state/xo`;
- macOS: `~/Library/Application Support/xo`;
- Windows: `%LOCALAPPDATA%\\xo`.

It holds `url`, `id`, `token`, `mark`, `saved_at` and the last board seen (`board`, nine
cells), is readable by its owner only (mode 0600), and is deleted when the game ends.
The token is what lets a connection act as a player, so it is never printed.

While an `xo` process plays a seat it holds `Seat.claim()`, an advisory lock on
`<GAME_ID>.<MARK>.lock` that the operating system releases when the process dies
(`fcntl.flock`; where that does not exist, no lock is taken). `xo resume` never
takes a seat that another process on this machine holds.
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
from typing import IO

from game.protocol import ID_PATTERN
from game.rules import BLANK, CELLS, Mark

STATE_DIR_ENV = "XO_STATE_DIR"
SUFFIX = ".json"


@dataclass(frozen=True)
class SavedGame:
    url: str
    id: str
    token: str
    mark: Mark
    saved_at: float = field(default_factory=time.time)
    board: tuple[str, ...] = (BLANK,) * CELLS
    """The board as this player last saw it (for `xo games`)."""

    @property
    def key(self) -> str:
        """How a person names this seat: `GAME_ID` alone, or `GAME_ID.x` where both seats are saved."""
        return f"{self.id}.{self.mark.value}"


def state_dir(environ: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """The directory that holds saves (not created here)."""
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


def _path(directory: Path, game_id: str, mark: Mark, suffix: str = SUFFIX) -> Path:
    if not ID_PATTERN.fullmatch(game_id):
        raise ValueError(f"{game_id!r} is not a game id")
    return directory / f"{game_id}.{Mark(mark).value}{suffix}"


def save(game: SavedGame, directory: Path | None = None) -> Path:
    """Write `game`'s file atomically with mode 0600; returns its path."""
    directory = state_dir() if directory is None else directory
    path = _path(directory, game.id, game.mark)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {**asdict(game), "mark": game.mark.value, "board": list(game.board)}
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".xo-", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            json.dump(data, file)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def load(game_id: str, mark: Mark, directory: Path | None = None) -> SavedGame | None:
    """The save of `game_id`'s seat `mark`, or None if there is none (or it is unreadable)."""
    directory = state_dir() if directory is None else directory
    try:
        return _read(_path(directory, game_id, mark))
    except ValueError:
        return None


def saved_games(directory: Path | None = None) -> list[SavedGame]:
    """Every readable save, most recent first."""
    directory = state_dir() if directory is None else directory
    games = [game for path in directory.glob(f"*{SUFFIX}") if (game := _read(path)) is not None]
    return sorted(games, key=lambda game: game.saved_at, reverse=True)


def delete(game_id: str, mark: Mark, directory: Path | None = None) -> None:
    """Forget one seat's save (no error if it was never saved)."""
    directory = state_dir() if directory is None else directory
    try:
        _path(directory, game_id, mark).unlink(missing_ok=True)
        _path(directory, game_id, mark, ".lock").unlink(missing_ok=True)
    except (ValueError, OSError):
        pass


def _read(path: Path) -> SavedGame | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        board = tuple(str(cell) for cell in data.get("board", (BLANK,) * CELLS))
        game = SavedGame(
            url=str(data["url"]),
            id=str(data["id"]),
            token=str(data["token"]),
            mark=Mark(data["mark"]),
            saved_at=float(data.get("saved_at", 0.0)),
            board=board if len(board) == CELLS else (BLANK,) * CELLS,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not ID_PATTERN.fullmatch(game.id) or path.name != f"{game.key}{SUFFIX}":
        return None
    return game


# ---- who plays a seat on this machine -----------------------------------------------------


class Seat:
    """The lock that says "a process on this machine plays this seat". Claim it before playing."""

    def __init__(self, game_id: str, mark: Mark, directory: Path | None = None) -> None:
        self.path = _path(state_dir() if directory is None else directory, game_id, mark, ".lock")
        self._file: IO[bytes] | None = None

    def claim(self) -> bool:
        """Take the lock for this process; False if another process holds it."""
        if self._file is not None:
            return True
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks here; the server still refuses takeovers
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        file = open(self.path, "ab")  # noqa: SIM115 (held open for the life of the game)
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            file.close()
            return False
        self._file = file
        return True

    def held_elsewhere(self) -> bool:
        """True when another process plays this seat now."""
        if self._file is not None or not self.path.exists():
            return False
        if self.claim():
            self.release()
            return False
        return True

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
