"""`/resign` typed at a terminal, the way a person does (a pseudo-terminal)."""

from __future__ import annotations

from client.exitcodes import ExitCode
from emulator.server import ThreadedEmulator
from tests.client.terminal import Terminal
from tests.client.test_xo_terminal import (  # noqa: F401  (fixtures)
    ENTER,
    emulator,
    env,
    receive,
    terminals,
    x_against_a_raw_o,
)


def test_resign_typed_at_the_prompt_ends_the_game_for_both(
    emulator: ThreadedEmulator,  # noqa: F811
    env: dict[str, str],  # noqa: F811
    terminals: list[Terminal],  # noqa: F811
) -> None:
    x, ws, game_id = x_against_a_raw_o(emulator, env, terminals)
    with ws:
        x.type("/resign" + ENTER)
        resigned = receive(ws, "resigned")
        assert (resigned["id"], resigned["loser"], resigned["winner"]) == (game_id, "x", "o")
        x.expect(r"You resigned\.")
        x.expect(r"Play again\? \[y/N\] ")
        x.type("n" + ENTER)
        assert x.wait() == ExitCode.LOST, x.output
    assert "/resign gives up." in x.output  # the hint at the first prompt says how
    assert "You resigned." in x.output, x.output
    assert "Traceback" not in x.output, x.output
