"""How long a game lives: the one number the server's expiry, the turn clock's longest move
and the client's saved games all follow. Pure data, no I/O."""

from __future__ import annotations

DEFAULT_SECONDS = 24 * 3600
"""A game is forgotten this long after its last move, unless the deployment sets another
lifetime (`GAME_TTL_SECONDS`, read by `functions.settings`)."""
