"""The one string a player shares to invite someone: `ws://HOST:PORT/STAGE#GAME_ID`.

The server URL and the game id together, as `xo new` prints it and `xo join` takes it. A
URL's fragment never reaches the server, so the string is also a valid URL to connect to.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import sys
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit, urlunsplit

from client import urls
from game.protocol import ID_PATTERN


class JoinTarget(NamedTuple):
    url: str | None
    """The server, when the shared string named it (else `--url` or the environment decide)."""
    game_id: str


def this_command() -> str:
    """How another terminal runs xo: `xo` when that is on PATH, else this program's full path
    (for example `/home/me/xo/.venv/bin/xo` from the README, where the venv is not activated)."""
    program = Path(sys.argv[0])
    found = shutil.which("xo")
    if program.name != "xo" or (found and Path(found).resolve() == program.resolve()):
        return "xo"
    return str(program.resolve())


def join_string(url: str, game_id: str) -> str:
    """What a player shares: the server's URL with the game id as its fragment."""
    return f"{url.split('#', 1)[0]}#{game_id}"


def parse_join(game: str | None, game_id: str | None) -> JoinTarget:
    """What `xo join GAME` / `xo join --id ID` names. Raises ValueError with a sentence."""
    if game is not None and game_id is not None:
        raise ValueError("Give the game either as GAME or with --id, not both.")
    text = (game if game is not None else game_id or "").strip()
    if not text:
        raise ValueError(
            "Which game? Pass the line `xo new` printed: xo join ws://HOST:PORT/STAGE#GAME_ID."
        )
    url: str | None = None
    if "#" in text:
        base, text = text.split("#", 1)
        url = urls.check_url(base)
    elif "://" in text:
        raise ValueError(f"{text!r} has no game id: it should end with #GAME_ID.")
    if not ID_PATTERN.fullmatch(text):
        raise ValueError(f"{text!r} is not a game id: ids are 22 letters, digits, - or _.")
    return JoinTarget(url, text)


def reachable_url(url: str, host: str | None) -> str:
    """`url` (a server this machine hosts on `host`) as another machine reaches it: a wildcard
    address (0.0.0.0, ::) becomes this machine's name or address. Nothing is connected to."""
    if not host:
        return url
    try:
        wildcard = ipaddress.ip_address(host).is_unspecified
    except ValueError:
        wildcard = False
    if not wildcard:
        return url
    parts = urlsplit(url)
    address = _this_machine()
    netloc = f"{address}:{parts.port}" if parts.port else address
    return urlunsplit(parts._replace(netloc=netloc))


def _this_machine() -> str:
    """This machine's address as others on the LAN see it: from its name, without sending
    anything; its name when that gives no address other than loopback."""
    name = socket.gethostname()
    try:
        infos = socket.getaddrinfo(name, None, socket.AF_INET, socket.SOCK_STREAM)
    except OSError:
        return name
    for info in infos:
        address = str(info[4][0])
        if not ipaddress.ip_address(address).is_loopback:
            return address
    return name
