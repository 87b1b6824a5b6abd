"""Properties of the rules over many games: whatever is played, the game stays a game."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import event, example, given
from hypothesis import strategies as st

from game.errors import ErrorCode, GameError
from game.rules import Game, Mark, format_tile, parse_tile

# Spelled out here rather than imported, so a wrong `LINES` cannot agree with itself.
LINES = [(0, 1, 2), (3, 4, 5), (6, 7, 8), (0, 3, 6), (1, 4, 7), (2, 5, 8), (0, 4, 8), (2, 4, 6)]
REFUSALS = {
    ErrorCode.INVALID_TILE,
    ErrorCode.GAME_OVER,
    ErrorCode.NOT_YOUR_TURN,
    ErrorCode.TILE_TAKEN,
}


def line_owners(game: Game) -> set[str]:
    """The marks that own a complete line on `game`'s board."""
    board = game.board
    return {board[a] for a, b, c in LINES if board[a] != " " and board[a] == board[b] == board[c]}


@dataclass(frozen=True)
class Move:
    mark: Mark
    index: int


@st.composite
def playthroughs(draw: st.DrawFn) -> tuple[list[Game], list[Move]]:
    """A whole game of legal moves: each one drawn from the blank cells, until the game is over."""
    game = Game()
    games, moves = [game], []
    while not game.is_over and len(moves) < 9:
        blanks = [index for index, cell in enumerate(game.board) if cell == " "]
        index = draw(st.sampled_from(blanks))
        mark = Mark.X if len(moves) % 2 == 0 else Mark.O
        game = game.play(mark, index)
        games.append(game)
        moves.append(Move(mark, index))
    return games, moves


@st.composite
def reachable_games(draw: st.DrawFn) -> Game:
    """A game some legal play reaches: anywhere from blank to over."""
    games, _ = draw(playthroughs())
    return draw(st.sampled_from(games))


@given(playthroughs())
def test_legal_play_never_has_two_winners(played: tuple[list[Game], list[Move]]) -> None:
    """Given any game of legal moves, then at no point do both x and o own a line."""
    games, _ = played
    for game in games:
        assert len(line_owners(game)) <= 1


@given(playthroughs())
def test_legal_play_keeps_x_level_with_o_or_one_ahead(
    played: tuple[list[Game], list[Move]],
) -> None:
    """Given any game of legal moves, then x has as many marks as o or one more, at every point."""
    games, _ = played
    for game in games:
        assert game.board.count("x") - game.board.count("o") in {0, 1}


@given(playthroughs())
def test_legal_play_ends_by_the_ninth_move(played: tuple[list[Game], list[Move]]) -> None:
    """Given any game of legal moves, then it is over after at most nine moves, and not before it ends."""
    games, moves = played
    assert len(moves) <= 9
    assert games[-1].is_over
    assert not any(game.is_over for game in games[:-1])


@given(playthroughs())
def test_outcome_is_none_exactly_while_the_game_goes_on(
    played: tuple[list[Game], list[Move]],
) -> None:
    """Given any game of legal moves, then outcome and turn are None exactly when the game is over or not."""
    games, _ = played
    for game in games:
        assert (game.outcome is None) == (not game.is_over)
        assert (game.turn is None) == game.is_over


@given(playthroughs())
def test_the_outcome_matches_the_board(played: tuple[list[Game], list[Move]]) -> None:
    """Given a finished game, then its outcome is the line owner, or a draw on a full board with no line."""
    games, _ = played
    final = games[-1]
    event(f"outcome: {final.outcome}")
    owners = line_owners(final)
    if owners:
        assert {final.outcome} == owners
    else:
        assert final.outcome == "draw"
        assert " " not in final.board


@given(playthroughs())
def test_the_winners_last_move_completes_a_line(played: tuple[list[Game], list[Move]]) -> None:
    """Given a game someone won, then the winner made the last move and it lies on a line the winner owns."""
    games, moves = played
    final, last = games[-1], moves[-1]
    if final.outcome in ("x", "o"):
        assert last.mark.value == final.outcome
        assert any(
            last.index in line and all(final.board[i] == final.outcome for i in line)
            for line in LINES
        )


@given(playthroughs())
def test_turns_alternate_starting_with_x(played: tuple[list[Game], list[Move]]) -> None:
    """Given any game of legal moves, then the turn before each move is x, o, x, ... in order."""
    games, moves = played
    # games holds one more than moves: the game after the last move
    for number, (game, move) in enumerate(zip(games, moves, strict=False)):
        assert game.turn is (Mark.X if number % 2 == 0 else Mark.O)
        assert game.turn is move.mark


@given(playthroughs())
def test_from_moves_replays_a_game(played: tuple[list[Game], list[Move]]) -> None:
    """Given any game of legal moves, when its tiles are replayed with from_moves, then the same game results."""
    games, moves = played
    assert Game.from_moves([format_tile(move.index) for move in moves]) == games[-1]


def expected_refusal(game: Game, mark: Mark, index: int) -> ErrorCode | None:
    """What the rules say about `mark` playing `index` on `game`, worked out independently."""
    if not 0 <= index < 9:
        return ErrorCode.INVALID_TILE
    if line_owners(game) or " " not in game.board:
        return ErrorCode.GAME_OVER
    if mark.value != ("x" if game.board.count("x") == game.board.count("o") else "o"):
        return ErrorCode.NOT_YOUR_TURN
    if game.board[index] != " ":
        return ErrorCode.TILE_TAKEN
    return None


CELLS_MOSTLY_ON_THE_BOARD = st.one_of(
    st.integers(min_value=0, max_value=8), st.integers(min_value=-2, max_value=10)
)
ATTEMPTS = st.lists(st.tuples(st.sampled_from(Mark), CELLS_MOSTLY_ON_THE_BOARD), max_size=60)


@given(reachable_games(), ATTEMPTS)
def test_any_attempt_is_one_more_mark_or_a_refusal(
    game: Game, attempts: list[tuple[Mark, int]]
) -> None:
    """Given a reachable game and (mark, cell) attempts, then each adds that mark or is refused with the right code."""
    for mark, index in attempts:
        expected = expected_refusal(game, mark, index)
        try:
            after = game.play(mark, index)
        except GameError as error:
            assert error.code in REFUSALS
            assert error.code is expected
            assert error.message
            event(f"refused: {error.code.value}")
        else:
            assert expected is None
            assert after.moves == game.moves + 1
            assert [i for i in range(9) if after.board[i] != game.board[i]] == [index]
            assert after.board[index] == mark.value
            game = after
    event(f"ended with outcome {game.outcome}")


@given(reachable_games(), ATTEMPTS)
def test_play_never_changes_the_game_it_is_called_on(
    game: Game, attempts: list[tuple[Mark, int]]
) -> None:
    """Given any reachable game and any (mark, cell) attempts, then the game each is made on keeps its board."""
    for mark, index in attempts:
        original, snapshot = game, tuple(game.board)
        try:
            game = game.play(mark, index)
        except GameError:
            pass
        assert original.board == snapshot


TILE_LIKE = st.text(alphabet="0123-+_., \t\n a", max_size=8)


@given(st.one_of(st.text(), TILE_LIKE))
@example("-0,1")
@example("2, -0")
def test_parse_tile_only_ever_raises_invalid_tile(text: str) -> None:
    """Given any text, when parsed as a tile, then it is a cell 0..8 that formats back, or an invalid_tile GameError."""
    try:
        index = parse_tile(text)
    except GameError as error:
        assert error.code is ErrorCode.INVALID_TILE
        assert error.message
    else:
        assert 0 <= index < 9
        assert parse_tile(format_tile(index)) == index
        assert "-" not in text  # "-0" is not a row or a column
