"""The page in a real browser: complete games against `xo web`, in Debian's headless Chromium.

Each test plays what a person would: two browsers; a browser against the `xo` command (which
wins, resigns, claims the win on time, or asks for a rematch); resigning from the page, with the
mouse or the keyboard; rematches between two browsers, including frames that arrive out of order
or a request the server could not store (the test relays the page's WebSocket); joining a game
whose creator is away; a reload or a dropped connection in the middle of a game; a game played
with the keyboard alone; and the errors a person sees for a full or an unknown game. Each saves
screenshots of its final boards (see the run's summary).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator

import pytest

from client.exitcodes import ExitCode
from functions.store import game_not_found, store_unavailable


def chromium_executable() -> str | None:
    """The Chromium to drive: `XO_CHROMIUM`, else Debian's `chromium` or `chromium-browser` on PATH."""
    configured = os.environ.get("XO_CHROMIUM")
    if configured:
        return configured
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the playwright package (pip install -e '.[test]')"
    if chromium_executable() is None:
        return (
            "browser tests need Chromium: apt-get install chromium "
            "(or set XO_CHROMIUM to a Chromium executable)"
        )
    return None


if (_reason := _missing()) is not None:
    if os.environ.get("XO_REQUIRE_CHROMIUM"):
        pytest.fail(f"XO_REQUIRE_CHROMIUM is set, but {_reason}", pytrace=False)
    pytest.skip(_reason, allow_module_level=True)

from playwright.sync_api import (  # noqa: E402
    Browser,
    Playwright,
    WebSocketRoute,
    expect,
    sync_playwright,
)
from websockets.sync.client import connect  # noqa: E402

from tests.web.players import Player  # noqa: E402
from tests.web.servers import Command, WebServer  # noqa: E402

CHROMIUM_ARGS = ["--disable-quic", "--disable-gpu"]
"""Besides Playwright's own flags (no sandbox, no background networking, no first run)."""
UNKNOWN_GAME_ID = "A" * 22
"""Has the shape of a game id; no game has it."""
CLI_TIMEOUT_S = 30.0
BUSY = store_unavailable().message
"""What the server says when nothing was written (its table busy or out of reach)."""


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    executable = chromium_executable()
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def players(browser: Browser) -> Iterator[list[Player]]:
    """The players a test opens; their browser contexts are closed after it."""
    opened: list[Player] = []
    yield opened
    for player in opened:
        player.close()


def new_player(players: list[Player], browser: Browser, name: str, **context: object) -> Player:
    player = Player.new(browser, name, **context)
    players.append(player)
    return player


Relay = Callable[[WebSocketRoute], None]
"""Stands between a page and the server: Playwright hands it each WebSocket the page opens."""


def start_and_join(
    browser: Browser,
    players: list[Player],
    xo_web: WebServer,
    *,
    relay_x: Relay | None = None,
    relay_o: Relay | None = None,
    **second: object,
) -> tuple[Player, Player]:
    """x opens the page (a new game), o opens the join link the page shows; a relay, if
    given, carries that player's WebSocket."""
    x = new_player(players, browser, "x")
    if relay_x is not None:
        x.page.route_web_socket(re.compile(r"^ws://"), relay_x)
    x.open(xo_web.page_url)
    x.wait_phase("playing")
    expect(x.status).to_have_text("Waiting for an opponent: share the join link. You play X.")
    o = new_player(players, browser, "o", **second)
    if relay_o is not None:
        o.page.route_web_socket(re.compile(r"^ws://"), relay_o)
    o.open(x.page.locator("#share-link").input_value())
    o.wait_phase("playing")
    x.wait_turn()
    return x, o


def x_wins(x: Player, o: Player) -> None:
    """x wins on the diagonal 2, 4, 6 while o plays 0 and 1 (five clicks, x first)."""
    for player, index in [(x, 4), (o, 0), (x, 2), (o, 1), (x, 6)]:
        player.click(index)


def test_two_browsers_play_a_game_to_a_win(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """x on a desktop with a mouse, o on a 360 px phone in the dark scheme with touch: x wins,
    both pages say who won. The share button copies the join link, which holds no token."""
    x = new_player(players, browser, "x", viewport={"width": 1280, "height": 800})
    x.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    x.open(xo_web.page_url)
    x.wait_phase("playing")
    x.page.get_by_role("button", name="Copy link").click()
    expect(x.page.locator("#share-note")).to_have_text(
        "Join link copied: send it to your opponent."
    )
    link = str(x.page.evaluate("() => navigator.clipboard.readText()"))
    game_id = x.page.url.split("game=")[1].split("&")[0]
    assert link == f"{xo_web.page_url}?join={game_id}"
    token = x.token()
    assert token and token not in link and token not in x.page.url

    o = new_player(
        players,
        browser,
        "o",
        viewport={"width": 360, "height": 740},
        color_scheme="dark",
        has_touch=True,
        is_mobile=True,
    )
    o.open(link)
    o.wait_phase("playing")
    expect(o.status).to_have_text("Their turn: waiting for X.")
    for player, index in [(x, 4), (o, 0), (x, 2), (o, 1)]:
        (player.tap if player is o else player.click)(index)
    x.click(6)

    for player in (x, o):
        player.wait_phase("over")
        player.wait_board("oox x x  ")
    expect(x.status).to_have_text("You won as X!")
    expect(o.status).to_have_text("You lost: X won.")
    expect(x.page.get_by_role("link", name="New game")).to_be_visible()
    expect(o.cell(6)).to_have_attribute("aria-label", "Row 3, column 1: X")
    # The phone: nothing wider than the screen, the board wholly on it, dark colours.
    assert o.page.evaluate("() => document.documentElement.scrollWidth") <= 360
    box = o.page.locator("#board").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 360
    background = o.page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 22, 27)", background
    x.finish("two-browsers")
    o.finish("two-browsers")


def test_a_browser_joins_a_game_started_by_the_xo_command(
    browser: Browser, players: list[Player], xo_web: WebServer, tmp_path: object
) -> None:
    """`xo new` plays x with scripted moves; a browser opens the join link and wins as o."""
    env = {k: v for k, v in os.environ.items() if k != "WEBSOCKET_URL"}
    env["XO_STATE_DIR"] = str(tmp_path)
    cli = Command.start("new", "--url", xo_web.websocket_url, "--moves", "1,1 2,2 2,0", env=env)
    try:
        game_id = cli.line_matching(r"^Game id: (\S+)$", CLI_TIMEOUT_S)[1]
        o = new_player(players, browser, "o")
        o.open(f"{xo_web.page_url}?join={game_id}")
        o.click(0)
        o.click(1)
        o.click(2)
        o.wait_phase("over")
        o.wait_board("ooo x x x")
        expect(o.status).to_have_text("You won as O!")
        assert cli.finish(CLI_TIMEOUT_S) == ExitCode.LOST, cli.text
        assert cli.lines[-1] == "You lost: o won.", cli.text
    finally:
        cli.stop()
    o.finish("browser-vs-xo")


def test_the_xo_command_resigns_and_the_browser_wins(
    browser: Browser, players: list[Player], xo_web: WebServer, tmp_path: object
) -> None:
    """`xo new` plays x, then types /resign: the browser (o) says its opponent resigned and it
    won, the game is over there (no more moves, a new game offered), and `xo` exits as lost."""
    env = {k: v for k, v in os.environ.items() if k != "WEBSOCKET_URL"}
    env["XO_STATE_DIR"] = str(tmp_path)
    cli = Command.start("new", "--url", xo_web.websocket_url, "--moves", "1,1 /resign", env=env)
    try:
        game_id = cli.line_matching(r"^Game id: (\S+)$", CLI_TIMEOUT_S)[1]
        o = new_player(players, browser, "o")
        o.open(f"{xo_web.page_url}?join={game_id}")
        o.click(0)
        o.wait_phase("over")
        expect(o.status).to_have_text("Your opponent resigned: you won as O!")
        o.wait_board("o   x    ")
        expect(o.page.get_by_role("link", name="New game")).to_be_visible()
        expect(o.cell(8)).to_have_attribute("aria-disabled", "true")
        assert cli.finish(CLI_TIMEOUT_S) == ExitCode.LOST, cli.text
        assert cli.lines[-1] == "You resigned.", cli.text
    finally:
        cli.stop()
    o.finish("xo-resigns")


def test_resigning_from_the_page_asks_first_then_ends_the_game_for_both(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """o, on a 360 px phone, presses Resign: the page asks first (focus on Keep playing, so a
    stray press loses nothing); Keep playing and Escape each leave the game as it was. Yes,
    resign ends it: o lost, x won, on both pages and again after o reloads."""
    x = new_player(players, browser, "x")
    x.open(xo_web.page_url)
    x.wait_phase("playing")
    expect(x.page.get_by_role("button", name="Resign")).to_be_hidden()  # nobody to resign to
    o = new_player(players, browser, "o", viewport={"width": 360, "height": 740}, has_touch=True)
    o.open(x.page.locator("#share-link").input_value())
    x.click(4)
    o.click(0)
    x.wait_turn()
    resign = o.page.get_by_role("button", name="Resign")
    keep = o.page.get_by_role("button", name="Keep playing")
    confirm = o.page.get_by_role("button", name="Yes, resign")

    resign.click()
    expect(o.page.get_by_text("Resign this game? Your opponent wins.")).to_be_visible()
    expect(keep).to_be_focused()
    assert o.page.evaluate("() => document.documentElement.scrollWidth") <= 360
    keep.click()
    expect(confirm).to_be_hidden()
    expect(resign).to_be_focused()
    resign.click()
    o.page.keyboard.press("Escape")
    expect(confirm).to_be_hidden()
    x.click(8)
    o.wait_turn()
    expect(x.status).to_have_text("Their turn: waiting for O.")

    resign.click()
    confirm.click()
    for player in (x, o):
        player.wait_phase("over")
        player.wait_board("o   x   x")
    expect(o.status).to_have_text("You resigned: X won.")
    expect(x.status).to_have_text("Your opponent resigned: you won as X!")
    expect(resign).to_be_hidden()
    expect(o.page.get_by_role("link", name="New game")).to_be_visible()
    o.page.reload()
    o.wait_phase("over")
    expect(o.status).to_have_text("You resigned: X won.")
    x.finish("resign")
    o.finish("resign")


def test_a_move_that_loses_the_race_with_a_resignation_leaves_the_ending_as_it_was(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """o's move is held on its way (the test relays o's WebSocket) while x resigns: o's page says
    it won by resignation. The held move then reaches the server, which refuses it (game_over):
    o's page still says only how the game ended (and, after it, x's offer of a rematch)."""
    holding = [False]
    held: list[str | bytes] = []
    to_page: list[dict[str, object]] = []
    servers: list[WebSocketRoute] = []

    def relay(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()
        servers.append(server_side)

        def from_page(message: str | bytes) -> None:
            if holding[0] and '"play"' in str(message):
                held.append(message)
            else:
                server_side.send(message)

        def from_server(message: str | bytes) -> None:
            to_page.append(json.loads(message))
            page_side.send(message)

        page_side.on_message(from_page)
        server_side.on_message(from_server)

    x, o = start_and_join(browser, players, xo_web, relay_o=relay)
    x.click(4)
    holding[0] = True
    o.click(0)
    expect(o.status).to_have_text("Sending your move…")
    x.page.get_by_role("button", name="Resign").click()
    x.page.get_by_role("button", name="Yes, resign").click()
    o.wait_phase("over")
    expect(o.status).to_have_text("Your opponent resigned: you won as O!")
    assert len(held) == 1, held
    servers[0].send(held[0])
    deadline = time.monotonic() + CLI_TIMEOUT_S
    while not any(frame.get("code") == "game_over" for frame in to_page):
        assert time.monotonic() < deadline, f"no game_over refusal reached the page: {to_page}"
        o.page.wait_for_timeout(50)  # lets Playwright relay frames meanwhile
    # Frames reach the page in order: once x's rematch offer shows, the refusal was handled.
    x.page.get_by_role("button", name="Play again").click()
    expect(o.status).to_have_text(
        "Your opponent resigned: you won as O! Your opponent asks for a rematch."
    )
    o.wait_board("    x    ")
    x.finish("resign-race")
    o.finish("resign-race")


def test_a_browser_that_lets_its_clock_run_out_loses_on_time(
    browser: Browser, players: list[Player], xo_web: WebServer, tmp_path: object
) -> None:
    """`xo new --clock 5` plays x; the browser joins as o and never moves: its status says time
    is short, `xo` claims the win when o's 5 seconds are up, and the browser says it ran out of
    time."""
    env = {k: v for k, v in os.environ.items() if k != "WEBSOCKET_URL"}
    env["XO_STATE_DIR"] = str(tmp_path)
    cli = Command.start(
        "new", "--url", xo_web.websocket_url, "--clock", "5", "--moves", "1,1", env=env
    )
    try:
        game_id = cli.line_matching(r"^Game id: (\S+)$", CLI_TIMEOUT_S)[1]
        o = new_player(players, browser, "o")
        o.open(f"{xo_web.page_url}?join={game_id}")
        expect(o.status).to_have_text("Your turn: you play O. Your time is nearly up.")
        o.wait_phase("over")
        expect(o.status).to_have_text("You ran out of time: X won.")
        o.wait_board("    x    ")
        expect(o.page.get_by_role("link", name="New game")).to_be_visible()
        assert cli.finish(CLI_TIMEOUT_S) == ExitCode.WON, cli.text
    finally:
        cli.stop()
    o.finish("clock-runs-out")


def test_a_browser_shows_the_clock_and_claims_the_win_when_the_opponents_runs_out(
    browser: Browser, players: list[Player], xo_web: WebServer, tmp_path: object
) -> None:
    """`xo new --clock 15` plays x's one scripted move, then leaves (its script is over). The
    browser (o) shows its own time to move, then x's; when x's time is up it claims the win by
    itself, rather than waiting forever for a player who is gone."""
    env = {k: v for k, v in os.environ.items() if k != "WEBSOCKET_URL"}
    env["XO_STATE_DIR"] = str(tmp_path)
    cli = Command.start(
        "new", "--url", xo_web.websocket_url, "--clock", "15", "--moves", "1,1", env=env
    )
    try:
        game_id = cli.line_matching(r"^Game id: (\S+)$", CLI_TIMEOUT_S)[1]
        o = new_player(players, browser, "o")
        o.open(f"{xo_web.page_url}?join={game_id}")
        timer = o.page.get_by_role("timer")
        expect(timer).to_have_text(re.compile(r"^Your time: \d+ s left\.$"))
        o.click(0)
        expect(timer).to_have_text(re.compile(r"^X's time: \d+ s left\.$"))
        assert cli.finish(CLI_TIMEOUT_S) == ExitCode.USAGE, cli.text
        expect(o.status).to_have_text(  # x's 15 s, then the claim's round trip
            "Your opponent ran out of time: you won as O!", timeout=(15 + CLI_TIMEOUT_S) * 1000
        )
        o.wait_board("o   x    ")
        expect(timer).to_be_hidden()
    finally:
        cli.stop()
    o.finish("clock-claim")


def test_joining_a_game_whose_creator_is_away_says_so_until_they_come_back(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """x starts a game and leaves the page (a spectator sees x's connection go); o opens the
    join link: o's page says the opponent is away, not that it is x's turn as if x were there.
    x comes back to its game's address, resumes the seat, and o's page says whose turn it is."""
    x = new_player(players, browser, "x")
    x.open(xo_web.page_url)
    x.wait_phase("playing")
    link = x.page.locator("#share-link").input_value()
    game_id = link.split("join=")[1]
    with connect(xo_web.websocket_url) as spectator:
        spectator.send(json.dumps({"type": "watch", "id": game_id}))
        assert json.loads(spectator.recv(timeout=CLI_TIMEOUT_S))["type"] == "watching"
        x.open("about:blank")
        while True:  # each recv is bounded: a missing presence fails the test
            message = json.loads(spectator.recv(timeout=CLI_TIMEOUT_S))
            if message["type"] == "presence" and message["mark"] == "x":
                assert message["present"] is False, message
                break
    o = new_player(players, browser, "o")
    o.open(link)
    o.wait_phase("playing")
    expect(o.status).to_have_text(
        "Your opponent is away; the game waits for them to come back. Their turn: waiting for X."
    )
    x.open(f"{xo_web.page_url}?game={game_id}&mark=x")
    x.wait_turn()
    expect(o.status).to_have_text("Their turn: waiting for X.")
    x.click(4)
    o.wait_turn()
    o.wait_board("    x    ")
    x.finish("join-away")
    o.finish("join-away")


def test_two_browsers_play_again_with_the_marks_swapped(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """x wins and presses Play again; o's page says x asks for a rematch, and o accepts: a new
    game starts on both pages with the marks swapped (o now plays X and moves first), under a
    new address that a reload resumes."""
    x, o = start_and_join(browser, players, xo_web)
    first_address = x.page.url
    x_wins(x, o)
    for player in (x, o):
        player.wait_phase("over")
    x.page.get_by_role("button", name="Play again").click()
    expect(x.status).to_have_text("You won as X! Asked your opponent for a rematch…")
    expect(o.status).to_have_text("You lost: X won. Your opponent asks for a rematch.")
    o.page.get_by_role("button", name="Play again").click()
    for player in (x, o):
        player.wait_phase("playing")
        player.wait_board("         ")
    expect(o.status).to_have_text("Your turn: you play X.")
    expect(x.status).to_have_text("Their turn: waiting for X.")
    assert x.page.url != first_address and x.page.url.endswith("&mark=o"), x.page.url
    o.click(4)
    x.wait_turn()
    x.page.reload()
    x.wait_board("    x    ")
    expect(x.status).to_have_text("Your turn: you play O.")
    x.finish("rematch")
    o.finish("rematch")


def test_a_rematchs_first_move_that_arrives_before_the_rematch_itself_is_not_lost(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """Delivery order is not guaranteed: x's page gets the new game's first move before the
    `rematch` that starts it (the test relays x's WebSocket and holds the `rematch` back until
    that move has passed). x's page still shows the move and that it is its turn."""
    held: list[str | bytes] = []

    def relay(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def from_server(message: str | bytes) -> None:
            kind = json.loads(message).get("type")
            if kind == "rematch":
                held.append(message)
                return
            page_side.send(message)
            if kind == "play" and held:
                page_side.send(held.pop())

        server_side.on_message(from_server)

    x, o = start_and_join(browser, players, xo_web, relay_x=relay)
    x_wins(x, o)
    for player in (x, o):
        player.wait_phase("over")
    o.page.get_by_role("button", name="Play again").click()
    x.page.get_by_role("button", name="Play again").click()
    o.click(4)  # o plays X now, and moves first
    x.wait_board("    x    ")
    expect(x.status).to_have_text("Your turn: you play O.")
    assert not held, "the rematch was never passed on"
    x.click(0)
    o.wait_board("o   x    ")
    x.finish("rematch-order")
    o.finish("rematch-order")


def test_a_rematch_request_the_server_could_not_store_can_be_sent_again(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """x's first Play again meets a busy table (the test relays x's WebSocket: it keeps that
    request from the server and answers `unavailable`, as the server does when nothing was
    written). x's page says so and offers Play again again; the second one starts the rematch."""
    refusals = [1]

    def relay(page_side: WebSocketRoute) -> None:
        server_side = page_side.connect_to_server()

        def from_page(message: str | bytes) -> None:
            if json.loads(message).get("type") == "rematch" and refusals[0]:
                refusals[0] -= 1
                page_side.send(
                    json.dumps({"type": "error", "code": "unavailable", "message": BUSY})
                )
            else:
                server_side.send(message)

        page_side.on_message(from_page)

    x, o = start_and_join(browser, players, xo_web, relay_x=relay)
    x_wins(x, o)
    x.wait_phase("over")
    play_again = x.page.get_by_role("button", name="Play again")
    play_again.click()
    expect(x.status).to_have_text(f"{BUSY} You won as X!")
    play_again.click()
    expect(o.status).to_have_text("You lost: X won. Your opponent asks for a rematch.")
    o.page.get_by_role("button", name="Play again").click()
    x.wait_phase("playing")
    expect(x.status).to_have_text("Their turn: waiting for X.")
    x.finish("rematch-busy")
    o.finish("rematch-busy")


def test_a_rematch_the_xo_command_asks_for_can_be_declined(
    browser: Browser, players: list[Player], xo_web: WebServer, tmp_path: object
) -> None:
    """`xo new --rematch` loses to the browser, then asks for a rematch: the page (a 360 px phone)
    shows the offer with Play again and No thanks; No thanks tells `xo`, which exits as lost."""
    env = {k: v for k, v in os.environ.items() if k != "WEBSOCKET_URL"}
    env["XO_STATE_DIR"] = str(tmp_path)
    cli = Command.start(
        "new", "--url", xo_web.websocket_url, "--moves", "1,1 2,2 2,0", "--rematch", env=env
    )
    try:
        game_id = cli.line_matching(r"^Game id: (\S+)$", CLI_TIMEOUT_S)[1]
        o = new_player(players, browser, "o", viewport={"width": 360, "height": 740})
        o.open(f"{xo_web.page_url}?join={game_id}")
        for index in (0, 1, 2):
            o.click(index)
        o.wait_phase("over")
        expect(o.status).to_have_text("You won as O! Your opponent asks for a rematch.")
        expect(o.page.get_by_role("button", name="Play again")).to_be_visible()
        assert o.page.evaluate("() => document.documentElement.scrollWidth") <= 360
        o.page.get_by_role("button", name="No thanks").click()
        expect(o.status).to_have_text("You won as O! You declined the rematch.")
        expect(o.page.get_by_role("button", name="Play again")).to_be_hidden()
        expect(o.page.get_by_role("link", name="New game")).to_be_visible()
        assert cli.finish(CLI_TIMEOUT_S) == ExitCode.LOST, cli.text
        cli.line_matching(r"^Your opponent declined the rematch\.$", CLI_TIMEOUT_S)
    finally:
        cli.stop()
    o.finish("rematch-declined")


def test_a_reload_in_the_middle_of_a_game_resumes_it(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """Each player reloads mid-game: the page resumes the seat with the token this browser kept,
    shows the board so far, and the game goes on to a draw."""
    x, o = start_and_join(browser, players, xo_web)
    x.click(4)
    o.click(0)
    x.wait_turn()
    x.page.reload()
    x.wait_phase("playing")
    x.wait_board("o   x    ")
    expect(x.status).to_have_text("Your turn: you play X.")
    for player, index in [(x, 2), (o, 6), (x, 3)]:
        player.click(index)
    o.wait_turn()
    o.page.reload()
    o.wait_board("o xxx o  ")
    expect(o.status).to_have_text("Your turn: you play O.")
    for player, index in [(o, 5), (x, 1), (o, 7), (x, 8)]:
        player.click(index)
    for player in (x, o):
        player.wait_phase("over")
        player.wait_board("oxxxxooox")
        expect(player.status).to_have_text("Draw: nobody won.")
    x.finish("reload")
    o.finish("reload")


def test_a_dropped_connection_resumes_by_itself(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """x's connection is cut mid-game and the network stays down a while (the test relays x's
    WebSocket, closes it, and turns away new ones): x's page says it is reconnecting, o's
    that the opponent left; once the network is back x resumes its seat by itself, o sees it
    back, and the game goes on to x's win."""
    relays: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    network_up = [True]

    def relay(page_side: WebSocketRoute) -> None:
        if network_up[0]:
            relays.append((page_side, page_side.connect_to_server()))
        else:
            page_side.close(code=1001, reason="network down")

    x, o = start_and_join(browser, players, xo_web, relay_x=relay)
    x.click(4)
    o.click(0)
    x.wait_turn()
    network_up[0] = False
    page_side, server_side = relays[0]
    server_side.close()  # from the browser, as a WebSocket may: 1000 (1001 would be refused)
    expect(o.status).to_have_text(
        "Your opponent left; the game waits for them to come back. Their turn: waiting for X."
    )
    page_side.close(code=1001, reason="going away")
    expect(x.status).to_have_text("Connection lost: reconnecting…")
    network_up[0] = True
    x.wait_turn()
    assert len(relays) == 2, "the page did not connect again"
    expect(o.status).to_have_text("Their turn: waiting for X.")
    x.click(2)
    o.click(1)
    x.click(6)
    for player in (x, o):
        player.wait_phase("over")
        player.wait_board("oox x x  ")
    expect(x.status).to_have_text("You won as X!")
    x.finish("dropped")
    o.finish("dropped")


def test_a_game_played_with_the_keyboard_alone(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """Tab into the board, arrow keys between squares, Enter to play: o wins a whole game."""
    x, o = start_and_join(browser, players, xo_web)
    for player, index in [(x, 4), (o, 0), (x, 8), (o, 1), (x, 6), (o, 2)]:
        player.key(index)
    for player in (x, o):
        player.wait_phase("over")
        player.wait_board("ooo x x x")
    expect(o.status).to_have_text("You won as O!")
    expect(x.status).to_have_text("You lost: O won.")
    x.finish("keyboard")
    o.finish("keyboard")


def test_resigning_and_playing_again_with_the_keyboard_never_drops_the_focus(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """With the keyboard alone: o resigns (Enter on Resign, Shift+Tab to Yes, resign, Enter) and
    lands on Play again; x answers Play again with Enter. Each button that goes away hands the
    focus on (to Play again, New game, then the new game's board), never to nowhere."""
    x, o = start_and_join(browser, players, xo_web)
    x.key(4)
    o.wait_turn()
    o.page.get_by_role("button", name="Resign").focus()
    o.page.keyboard.press("Enter")
    expect(o.page.get_by_role("button", name="Keep playing")).to_be_focused()
    o.page.keyboard.press("Shift+Tab")
    expect(o.page.get_by_role("button", name="Yes, resign")).to_be_focused()
    o.page.keyboard.press("Enter")
    o.wait_phase("over")
    expect(o.status).to_have_text("You resigned: X won.")
    expect(o.page.get_by_role("button", name="Play again")).to_be_focused()
    o.page.keyboard.press("Enter")
    expect(o.page.get_by_role("link", name="New game")).to_be_focused()
    x.page.get_by_role("button", name="Play again").focus()
    x.page.keyboard.press("Enter")
    for player in (x, o):
        player.wait_phase("playing")
        expect(player.page.locator(".cell[tabindex='0']")).to_be_focused()
    o.key(4)  # o plays X now: arrows from the focused square, then Enter
    x.wait_board("    x    ")
    x.finish("keyboard-resign")
    o.finish("keyboard-resign")


def test_a_full_game_and_an_unknown_game_are_explained(
    browser: Browser, players: list[Player], xo_web: WebServer
) -> None:
    """A third browser opening a join link of a game with two players, and a link with a game id
    no game has: the status says so in words, and offers a new game."""
    x, _ = start_and_join(browser, players, xo_web)
    third = new_player(players, browser, "third")
    third.open(x.page.locator("#share-link").input_value())
    third.wait_phase("failed")
    expect(third.status).to_have_text("This game already has two players: start a new one.")
    expect(third.page.get_by_role("link", name="New game")).to_be_visible()

    stranger = new_player(players, browser, "stranger")
    stranger.open(f"{xo_web.page_url}?join={UNKNOWN_GAME_ID}")
    stranger.wait_phase("failed")
    expect(stranger.status).to_have_text(game_not_found().message)
    third.finish("game-full")
    stranger.finish("unknown-game")
