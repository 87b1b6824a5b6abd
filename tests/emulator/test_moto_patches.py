"""emulator.moto_patches: every speed-up applies to the moto pyproject allows, names
itself at start-up, refuses another moto, and can be turned off."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from emulator import moto_patches
from emulator.dynamodb import DynamoDB, DynamoDBService


@pytest.fixture
def plain(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto without patches before and after the test (whatever EMULATOR_PLAIN_MOTO says)."""
    monkeypatch.delenv(moto_patches.PLAIN_MOTO, raising=False)
    moto_patches.undo()
    yield
    moto_patches.undo()


def test_every_patch_applies_to_the_installed_moto(plain: None) -> None:
    """Fails when a moto upgrade (or a change here) stops a patch from applying."""
    assert moto_patches.apply() == list(moto_patches.PATCHES)
    assert moto_patches.summary() == (
        f"moto {moto_patches.moto_version()}, patches applied: " + ", ".join(moto_patches.PATCHES)
    )


def test_undo_gives_back_moto_own_functions(plain: None) -> None:
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser
    from moto.dynamodb.responses import DynamoHandler

    def targets() -> list[object]:
        return [
            ConditionExpressionParser.parse,
            ConditionExpressionParser._lex_condition_expression,
            UpdateExpressionParser.make,
            validators.deepcopy,
            validators.UpdateExpressionValidator.__init__,
            validators.UpdateExpressionValidator.validate,
            DynamoHandler.serialized,
        ]

    before = targets()
    moto_patches.apply()
    assert all(getattr(t, "emulator_patch", False) for t in targets())
    moto_patches.undo()
    assert targets() == before
    assert not any(getattr(t, "emulator_patch", False) for t in targets())


def test_another_moto_gets_no_patch(plain: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(moto_patches, "moto_version", lambda: "5.3.0")
    assert moto_patches.apply() == []
    assert "written for moto 5.2.x, found 5.3.0" in moto_patches.summary()


def test_plain_moto_when_asked(plain: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(moto_patches.PLAIN_MOTO, "1")
    assert moto_patches.apply() == []
    assert moto_patches.applied() == []
    assert moto_patches.summary().endswith("plain (EMULATOR_PLAIN_MOTO=1): no patch applied")


async def _start_line(caplog: pytest.LogCaptureFixture) -> str:
    service = DynamoDBService(
        DynamoDB(), host="127.0.0.1", region="us-east-1", credentials=("testing", "testing")
    )
    with caplog.at_level(logging.INFO, logger="emulator"):
        await service.start()
        await service.stop()
    return next(r.getMessage() for r in caplog.records if "embedded DynamoDB" in r.getMessage())


async def test_the_embedded_dynamodb_logs_the_patches_it_applied(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(moto_patches.PLAIN_MOTO, raising=False)
    line = await _start_line(caplog)
    assert line == (
        f"embedded DynamoDB: moto {moto_patches.moto_version()}, patches applied: "
        + ", ".join([*moto_patches.PATCHES, "direct_dispatch"])
    )


async def test_the_embedded_dynamodb_runs_plain_moto_when_asked(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(moto_patches.PLAIN_MOTO, "1")
    line = await _start_line(caplog)
    assert line.endswith("plain (EMULATOR_PLAIN_MOTO=1): no patch applied")
