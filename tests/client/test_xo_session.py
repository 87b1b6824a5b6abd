"""The session state machine, event by event, with no sockets."""

from __future__ import annotations

import pytest

from client.session import (
    Created,
    Failed,
    Ignored,
    Joined,
    Moved,
    NotJoinedYet,
    OpponentBack,
    OpponentLeft,
    Over,
    Resend,
    Resumed,
    SeatTaken,
    Session,
    Unsettled,
)
from game.errors import GameError
from game.protocol import (
    Event,
    encode,
    init_message,
    join_message,
    parse_event,
    play_message,
    state_message,
)
from game.rules import Game, Mark, parse_tile

GAME_ID = "G" * 22
TOKEN = "T" * 22


def event(message: dict) -> Event:
    return parse_event(encode(message))


def started() -> Session:
    """x, with o joined, at the start of the game."""
    session = Session.create()
    session.handle(event(init_message(GAME_ID, TOKEN)))
    session.handle(event(join_message(GAME_ID, Mark.X)))
    return session


def test_hello_messages() -> None:
    """start / join / resume, each asking for `ack`: every move of ours gets the server's answer."""
    asks = {"ack": True, "watchers": True}
    assert Session.create().hello() == {"type": "start", **asks}
    assert Session.join(GAME_ID).hello() == {"type": "join", "id": GAME_ID, **asks}
    assert Session.resume(GAME_ID, TOKEN).hello() == {
        "type": "resume",
        "id": GAME_ID,
        "token": TOKEN,
        **asks,
    }


def test_create_then_opponent_joins() -> None:
    """init gives id, token and x; the creator's join copy lets x move."""
    session = Session.create()
    assert session.handle(event(init_message(GAME_ID, TOKEN))) == [Created(GAME_ID)]
    assert (session.game_id, session.token, session.mark) == (GAME_ID, TOKEN, Mark.X)
    assert not session.wants_move
    assert session.handle(event(join_message(GAME_ID, Mark.X))) == [Joined(us=False)]
    assert session.wants_move


def test_join_gets_token_and_waits_for_x() -> None:
    """The joiner's copy carries its token; o waits for x's first move."""
    session = Session.join(GAME_ID)
    assert session.handle(event(join_message(GAME_ID, Mark.O, TOKEN))) == [Joined(us=True)]
    assert (session.mark, session.token) == (Mark.O, TOKEN)
    assert not session.wants_move
    updates = session.handle(event(play_message(GAME_ID, "1,1", Mark.X, Game.from_moves(["1,1"]))))
    assert updates == [Moved("1,1")]
    assert session.wants_move and session.last_opponent_tile == "1,1"


def test_play_checks_locally_and_marks_pending() -> None:
    """A legal move is applied locally and pending until a board from the server shows it: the opponent's play."""
    session = started()
    assert session.play(parse_tile("1,1")) == {"type": "play", "id": GAME_ID, "tile": "1,1"}
    assert session.pending == 4 and session.game.board[4] == "x"
    answered = Game.from_moves(["1,1", "0,0"])
    assert session.handle(event(play_message(GAME_ID, "0,0", Mark.O, answered))) == [Moved("0,0")]
    assert session.pending is None and session.game == answered and session.wants_move


def test_a_refused_move_is_taken_back() -> None:
    """An error while a move is pending refuses that move: it leaves the local board."""
    session = started()
    session.play(4)
    failed = session.handle(
        event({"type": "error", "code": "unavailable", "message": "Try again."})
    )
    assert failed == [Failed("unavailable", "Try again.")]
    assert session.pending is None and session.game == Game() and session.wants_move


def test_illegal_moves_change_nothing() -> None:
    """A taken tile or a move out of turn raises the rules' sentence; nothing changes."""
    session = started()
    session.play(4)
    with pytest.raises(GameError, match=r"It is not your turn: o plays next\."):
        session.play(0)
    session.handle(event(play_message(GAME_ID, "0,0", Mark.O, Game.from_moves(["1,1", "0,0"]))))
    with pytest.raises(GameError, match=r"Tile 0,0 is already taken by o\."):
        session.play(0)
    assert session.game == Game.from_moves(["1,1", "0,0"])


def test_resume_state_with_the_move_on_it_clears_pending() -> None:
    """The move landed before the drop: no resend."""
    session = started()
    session.play(4)
    session.hello()
    updates = session.handle(event(state_message(GAME_ID, Mark.X, Game.from_moves(["1,1"]))))
    assert updates == [Resumed(())]
    assert session.pending is None


def test_resume_state_without_the_move_resends_it() -> None:
    """The move was lost: it is still x's turn, so the same move goes again."""
    session = started()
    session.play(4)
    session.hello()
    updates = session.handle(event(state_message(GAME_ID, Mark.X, Game())))
    assert updates == [Resumed(()), Resend({"type": "play", "id": GAME_ID, "tile": "1,1"})]
    assert session.pending == 4 and session.game.board[4] == "x"


def test_resume_reports_moves_made_while_away() -> None:
    """o's moves that only the resumed state shows are reported."""
    session = started()
    session.play(4)
    session.hello()
    updates = session.handle(event(state_message(GAME_ID, Mark.X, Game.from_moves(["1,1", "2,2"]))))
    assert updates == [Resumed(("2,2",))]
    assert session.wants_move and session.last_opponent_tile == "2,2"


def x_about_to_win() -> tuple[Session, list[str]]:
    """x on 0,0 and 0,1, o on 1,0 and 1,1: x plays next."""
    session = started()
    moves: list[str] = []
    for mine, theirs in [("0,0", "1,0"), ("0,1", "1,1")]:
        session.play(parse_tile(mine))
        moves += [mine, theirs]
        session.handle(event(play_message(GAME_ID, theirs, Mark.O, Game.from_moves(moves))))
    return session, moves


def test_winning_move_ends_the_game_locally() -> None:
    """x's winning move ends the game on the local board; it stays pending (the runner's grace period settles it)."""
    session, moves = x_about_to_win()
    session.play(parse_tile("0,2"))
    assert session.over and session.pending == 2
    assert session.game == Game.from_moves([*moves, "0,2"]) and not session.wants_move


def test_a_refused_winning_move_means_the_game_goes_on() -> None:
    """An error for the winning move takes it back: the game is not over."""
    session, moves = x_about_to_win()
    session.play(parse_tile("0,2"))
    failed = session.handle(
        event({"type": "error", "code": "unavailable", "message": "Try again."})
    )
    assert failed == [Failed("unavailable", "Try again.")]
    assert not session.over and session.pending is None and session.game == Game.from_moves(moves)


def test_resume_after_the_winning_move_settles_it() -> None:
    """The connection dropped after the winning move: the resumed state shows it, and the game is over."""
    session, moves = x_about_to_win()
    session.play(parse_tile("0,2"))
    session.hello()
    final = Game.from_moves([*moves, "0,2"])
    assert session.handle(event(state_message(GAME_ID, Mark.X, final))) == [Resumed(()), Over()]
    assert session.over and session.pending is None


def test_game_over_from_the_opponent() -> None:
    """o's winning play ends the game for x."""
    session = started()
    for tile, reply in [("0,0", "1,0"), ("0,1", "1,1")]:
        session.play(parse_tile(tile))
        session.handle(
            event(
                play_message(GAME_ID, reply, Mark.O, session.game.play(Mark.O, parse_tile(reply)))
            )
        )
    session.play(parse_tile("2,2"))
    final = Game.from_moves(["0,0", "1,0", "0,1", "1,1", "2,2", "1,2"])
    assert session.handle(event(play_message(GAME_ID, "1,2", Mark.O, final))) == [
        Moved("1,2"),
        Over(),
    ]
    assert session.over and not session.wants_move


def test_presence() -> None:
    """opponent_left then opponent_back; a repeated back is quiet."""
    session = started()
    assert session.handle(event({"type": "opponent_left", "id": GAME_ID})) == [OpponentLeft()]
    assert session.opponent_away
    assert session.handle(event({"type": "opponent_back", "id": GAME_ID})) == [OpponentBack()]
    assert session.handle(event({"type": "opponent_back", "id": GAME_ID})) == []


def test_errors_and_unknown_frames() -> None:
    """Errors become Failed (API Gateway's own frames too); pong and unknown types are ignored."""
    session = started()
    failed = session.handle(event({"type": "error", "code": "game_full", "message": "Full."}))
    assert failed == [Failed("game_full", "Full.")]
    internal = session.handle(
        event({"message": "Internal server error", "connectionId": "c", "requestId": "r"})
    )
    assert internal == [Failed("internal", "The server failed: Internal server error.")]
    assert session.handle(event({"type": "pong"})) == []
    assert session.handle(event({"type": "from_the_future"})) == []


def test_first_move_before_anyone_joined_is_taken_back() -> None:
    """After a resume x cannot tell whether o joined; a refused first move is undone."""
    session = Session.resume(GAME_ID, TOKEN, Mark.X)
    session.hello()
    session.handle(event(state_message(GAME_ID, Mark.X, Game())))
    assert session.wants_move
    session.play(4)
    updates = session.handle(
        event({"type": "error", "code": "not_your_turn", "message": "Wait for an opponent."})
    )
    assert updates == [NotJoinedYet("1,1", "Wait for an opponent.")]
    assert session.game == Game() and not session.opponent_joined and not session.wants_move
    session.handle(event(join_message(GAME_ID, Mark.X)))
    assert session.wants_move


def test_an_unasked_confirmation_does_not_undo_the_opponents_answer() -> None:
    """A server that confirms moves anyway (a `state` outside a resume) is tolerated; an older board in it is ignored."""
    session = started()
    session.play(4)
    answered = Game.from_moves(["1,1", "0,0"])
    session.handle(event(play_message(GAME_ID, "0,0", Mark.O, answered)))
    assert session.handle(event(state_message(GAME_ID, Mark.X, Game.from_moves(["1,1"])))) == []
    assert session.game == answered and session.wants_move


def test_frames_for_another_game_are_ignored() -> None:
    """A frame naming another game id changes nothing and is reported as ignored."""
    session = started()
    other = "H" * 22
    updates = session.handle(
        event(play_message(other, "0,0", Mark.O, Game.from_moves(["1,1", "0,0"])))
    )
    assert updates == [Ignored(f"a 'play' frame for another game ({other})")]
    assert session.game == Game() and session.wants_move


def test_a_forged_win_on_a_board_without_our_move_is_ignored() -> None:
    """Issue 10: "o won" on a board that does not hold x's own move is not believed."""
    session = started()
    session.play(parse_tile("1,1"))
    session.handle(event(play_message(GAME_ID, "0,0", Mark.O, Game.from_moves(["1,1", "0,0"]))))
    forged = Game(("o", "o", "o", "x", " ", "x", " ", " ", "x"))
    updates = session.handle(event(play_message(GAME_ID, "0,2", Mark.O, forged)))
    assert len(updates) == 1 and isinstance(updates[0], Ignored)
    assert not session.over and session.game == Game.from_moves(["1,1", "0,0"])


def test_a_board_with_a_move_of_ours_we_never_played_is_ignored() -> None:
    """A `play` that puts our mark where we never played is not believed."""
    session = started()
    session.play(parse_tile("1,1"))
    forged = Game.from_moves(["1,1", "0,0", "2,2", "0,1"])
    updates = session.handle(event(play_message(GAME_ID, "0,1", Mark.O, forged)))
    assert updates == [
        Ignored("a 'play' frame whose board shows a move of ours on 2,2 that we never played")
    ]


def test_a_play_that_says_it_is_ours_is_ignored() -> None:
    """A `play` frame claiming our own mark moved is not the opponent's move."""
    session = started()
    updates = session.handle(event(play_message(GAME_ID, "0,0", Mark.X, Game.from_moves(["0,0"]))))
    assert updates == [Ignored("a 'play' frame that says x where o belongs")]


def test_an_internal_error_after_our_move_leaves_it_unsettled() -> None:
    """API Gateway's failure after our move: the move may be stored, so it is neither taken back
    nor believed; the runner resynchronises."""
    session = started()
    session.play(4)
    updates = session.handle(event({"message": "Internal server error", "connectionId": "c"}))
    assert updates == [Unsettled("The server failed: Internal server error.")]
    assert session.pending == 4


def test_not_a_player_after_our_move_means_the_seat_was_taken() -> None:
    """Our move refused as not_a_player: another connection holds our seat; the move is taken back."""
    session = started()
    session.play(4)
    updates = session.handle(event({"type": "error", "code": "not_a_player", "message": "No."}))
    assert len(updates) == 1 and isinstance(updates[0], SeatTaken)
    assert session.game == Game()
