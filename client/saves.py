"""`xo games`: the saves on this machine, whether each game can still be reached, and forgetting.

Reaching a server means opening a WebSocket to it and closing it at once: nothing is sent,
so no seat changes hands. A save is *finished* when its board is over, when it is older
than a game's lifetime (`GAME_TTL_SECONDS`' default: the server has forgotten it), or when
its server refuses connections (a server `xo new` hosted is gone with its games).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path

from websockets.asyncio.client import connect

from client import savefile
from functions.settings import DEFAULT_GAME_TTL_SECONDS
from game.rules import Game

PROBE_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Entry:
    game: savefile.SavedGame
    status: str
    """"playing here", "reachable", "over", "expired", "server gone" or "unreachable (...)"."""
    finished: bool


def forget(name: str, directory: Path) -> list[savefile.SavedGame]:
    """Delete the saves `name` (GAME_ID, or GAME_ID.x / GAME_ID.o) names; the ones deleted.
    Raises ValueError when none matches, or when another `xo` here plays one of them."""
    game_id, _, mark = name.strip().partition(".")
    matching = [
        game
        for game in savefile.saved_games(directory)
        if game.id == game_id and (not mark or game.mark.value == mark)
    ]
    if not matching:
        raise ValueError(f"There is no saved game {name!r} (see `xo games`).")
    for game in matching:
        if savefile.Seat(game.id, game.mark, directory).held_elsewhere():
            raise ValueError(
                f"Game {game.id} ({game.mark}) is being played by another xo on this machine."
            )
    for game in matching:
        savefile.delete(game.id, game.mark, directory)
    return matching


def survey(directory: Path, now: float | None = None) -> list[Entry]:
    """Every save with its status, most recent first (probes each server once, concurrently)."""
    games = savefile.saved_games(directory)
    at = time.time() if now is None else now
    servers = sorted({game.url for game in games})
    reached = dict(zip(servers, asyncio.run(_probe_all(servers)), strict=True)) if games else {}
    entries = []
    for game in games:
        if savefile.Seat(game.id, game.mark, directory).held_elsewhere():
            entries.append(Entry(game, "playing here", False))
        elif _over(game):
            entries.append(Entry(game, "over", True))
        elif at - game.saved_at > DEFAULT_GAME_TTL_SECONDS:
            entries.append(Entry(game, "expired", True))
        elif reached[game.url] is None:
            entries.append(Entry(game, "reachable", False))
        elif reached[game.url] == "refused":
            entries.append(Entry(game, "server gone", True))
        else:
            entries.append(Entry(game, f"unreachable ({reached[game.url]})", False))
    return entries


def table(entries: list[Entry]) -> list[str]:
    """The listing's lines: a header, then one line per save."""
    rows = [("GAME ID", "MARK", "MOVES", "SERVER", "STATUS")]
    for entry in entries:
        moves = sum(cell != " " for cell in entry.game.board)
        rows.append(
            (entry.game.id, entry.game.mark.value, str(moves), entry.game.url, entry.status)
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)), row[-1]])
        for row in rows
    ]


def _over(game: savefile.SavedGame) -> bool:
    try:
        return Game(game.board).is_over
    except ValueError:
        return False


async def _probe_all(servers: list[str]) -> list[str | None]:
    return list(await asyncio.gather(*(_probe(url) for url in servers)))


async def _probe(url: str) -> str | None:
    """None when a WebSocket to `url` opens; else "refused" or a short reason."""
    try:
        async with connect(url, open_timeout=PROBE_TIMEOUT_SECONDS, close_timeout=1):
            return None
    except ConnectionRefusedError:
        return "refused"
    except TimeoutError:
        return "timed out"
    except Exception as error:  # any other failure is shown, not raised: this is a listing
        return type(error).__name__
