"""The client's side of a game against the computer: what it asks for and what it sends."""

from __future__ import annotations

from client.session import Created, Session
from game.bot import Level
from game.protocol import parse_event
from game.rules import Game


def test_a_computer_game_starts_with_vs_computer_and_is_ready_at_init() -> None:
    session = Session.create(Level.RANDOM)
    assert session.hello() == {
        "type": "start",
        "vs": "computer",
        "level": "random",
        "ack": True,
        "watchers": True,
    }
    updates = session.handle(
        parse_event(
            '{"type":"init","id":"g","mark":"x","token":"t","vs":"computer","level":"random"}'
        )
    )
    assert updates == [Created("g")] and session.wants_move  # no `join` to wait for


def test_each_move_carries_the_board_it_was_made_on_and_the_level() -> None:
    session = Session.create(Level.PERFECT)
    session.handle(
        parse_event(
            '{"type":"init","id":"g","mark":"x","token":"t","vs":"computer","level":"perfect"}'
        )
    )
    assert session.play(4) == {
        "type": "play",
        "id": "g",
        "tile": "1,1",
        "board": Game().rows(),
        "level": "perfect",
    }


def test_a_two_player_game_sends_the_tutorial_requests_and_asks_for_spectator_counts() -> None:
    session = Session.create()
    assert session.hello() == {"type": "start", "ack": True, "watchers": True}
    session.handle(parse_event('{"type":"init","id":"g","mark":"x","token":"t"}'))
    session.handle(parse_event('{"type":"join","id":"g","mark":"x"}'))
    assert session.play(4) == {"type": "play", "id": "g", "tile": "1,1"}
