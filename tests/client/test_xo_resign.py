"""Resigning and joining an absent creator, as the client's session and spectator see them."""

from __future__ import annotations

from client.moves import is_resign
from client.session import Joined, OpponentLeft, Over, Session
from client.watch import Spectator
from game.protocol import (
    Resign,
    encode,
    join_message,
    parse_event,
    parse_request,
    request_message,
    resigned_message,
)
from game.rules import Game, Mark

GAME_ID = "G" * 22
TOKEN = "T" * 22


def joined_session() -> Session:
    session = Session.join(GAME_ID)
    session.hello()
    session.handle(parse_event(encode(join_message(GAME_ID, Mark.O, TOKEN, "here"))))
    return session


def test_resign_is_typed_as_a_slash_command() -> None:
    assert is_resign("/resign") and is_resign("  /RESIGN \n")
    assert not is_resign("resign") and not is_resign("1,1")


def test_the_resign_request_round_trips() -> None:
    assert request_message(Resign(GAME_ID)) == {"type": "resign", "id": GAME_ID}
    assert parse_request(encode({"type": "resign", "id": GAME_ID})) == Resign(GAME_ID)


def test_a_resigning_session_waits_then_ends_as_a_resignation() -> None:
    session = joined_session()
    session.game = Game.from_moves(["1,1"])
    assert session.wants_move
    assert session.resign() == {"type": "resign", "id": GAME_ID}
    assert not session.wants_move and not session.can_resign
    updates = session.handle(
        parse_event(encode(resigned_message(GAME_ID, Mark.O, Game.from_moves(["1,1"]))))
    )
    assert updates == [Over()]
    assert (session.loser, session.resigned, session.over) == (Mark.O, True, True)


def test_a_resignation_refused_because_the_game_ended_first_waits_for_how_it_ended() -> None:
    session = joined_session()
    session.resign()
    refused = {"type": "error", "code": "game_over", "message": "The game is over: x won."}
    assert session.handle(parse_event(encode(refused))) == []
    assert not session.resigning


def test_joining_when_the_creator_is_away_says_so_at_once() -> None:
    session = Session.join(GAME_ID)
    session.hello()
    updates = session.handle(parse_event(encode(join_message(GAME_ID, Mark.O, TOKEN, "away"))))
    assert updates == [Joined(us=True), OpponentLeft(at_join=True)]
    assert session.opponent_away


def test_a_spectator_hears_who_resigned() -> None:
    spectator = Spectator(GAME_ID)
    lines = spectator.handle(encode(resigned_message(GAME_ID, Mark.X, Game())))
    assert lines == ["The game is over: x resigned, o won."]
    assert spectator.over
