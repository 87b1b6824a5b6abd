"""A person at the page, as the browser tests drive them: open it, read it, play by mouse, touch
or keyboard. Every wait is bounded (`EXPECT_TIMEOUT_MS`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.web.screenshots import save_screenshot

EXPECT_TIMEOUT_MS = 15_000
"""Longest wait for the page to show something, on a loaded two-core machine."""
YOUR_TURN = re.compile(r"Your turn")
ARROWS = {(-1, 0): "ArrowUp", (1, 0): "ArrowDown", (0, -1): "ArrowLeft", (0, 1): "ArrowRight"}

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@dataclass
class Player:
    """One browser context (its own storage) with the page open."""

    name: str
    page: Page
    errors: list[str] = field(default_factory=list)

    @classmethod
    def new(cls, browser: Browser, name: str, **context: Any) -> Player:
        page = browser.new_context(**context).new_page()
        player = cls(name, page)
        page.on("pageerror", lambda error: player.errors.append(str(error)))
        page.on(
            "console",
            lambda message: player.errors.append(message.text) if message.type == "error" else None,
        )
        return player

    def open(self, url: str) -> None:
        self.page.goto(url)

    @property
    def status(self) -> Any:
        return self.page.locator("#status")

    def cell(self, index: int) -> Any:
        return self.page.locator(f".cell[data-index='{index}']")

    def board(self) -> str:
        """The board as it is shown: nine characters, row by row, ' ' for empty."""
        texts = self.page.locator(".cell").all_inner_texts()
        return "".join(text.strip().lower() or " " for text in texts)

    def wait_phase(self, phase: str) -> None:
        expect(self.page.locator("#board")).to_have_attribute("data-phase", phase)

    def wait_board(self, board: str) -> None:
        """Wait until the page shows `board` (nine characters, ' ' for empty)."""
        for index, mark in enumerate(board):
            expect(self.cell(index)).to_have_text(mark.strip().upper())

    def wait_turn(self) -> None:
        expect(self.status).to_contain_text(YOUR_TURN)

    def click(self, index: int) -> None:
        self.wait_turn()
        self.cell(index).click()

    def tap(self, index: int) -> None:
        self.wait_turn()
        self.cell(index).tap()

    def key(self, index: int) -> None:
        """Play `index` with the keyboard alone: Tab into the board, arrows to the square, Enter."""
        self.wait_turn()
        for _ in range(10):
            if self._focused() is not None:
                break
            self.page.keyboard.press("Tab")
        current = self._focused()
        assert current is not None, f"{self.name}: Tab never reached the board"
        rows, columns = index // 3 - current // 3, index % 3 - current % 3
        for _ in range(abs(rows)):
            self.page.keyboard.press(ARROWS[(1 if rows > 0 else -1, 0)])
        for _ in range(abs(columns)):
            self.page.keyboard.press(ARROWS[(0, 1 if columns > 0 else -1)])
        assert self._focused() == index, f"{self.name}: the arrows did not reach square {index}"
        self.page.keyboard.press("Enter")

    def _focused(self) -> int | None:
        value = self.page.evaluate("() => document.activeElement?.dataset?.index ?? null")
        return None if value is None else int(value)

    def token(self) -> str | None:
        """The token this browser keeps for its seat, if any."""
        value = self.page.evaluate(
            "() => { for (let i = 0; i < localStorage.length; i++) {"
            " const key = localStorage.key(i);"
            " if (key.startsWith('xo.seat.')) return JSON.parse(localStorage.getItem(key)).token; }"
            " return null; }"
        )
        return None if value is None else str(value)

    def finish(self, test: str) -> Path:
        """Screenshot the final page; the page must have had no script errors."""
        path = save_screenshot(self.page, f"{test}-{self.name}")
        assert not self.errors, f"{self.name}: the page reported errors: {self.errors}"
        return path

    def close(self) -> None:
        self.page.context.close()
