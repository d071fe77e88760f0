"""Callback data: round trips, stays within Telegram's 64 bytes, and rejects foreign data."""

import pytest

from bot.dialogs.callbacks import Callback


@pytest.mark.parametrize(
    "callback",
    [
        Callback("pick", "malika", 12),
        Callback("confirm", version=0),
        Callback("ok", "fr:poster-vieux-port"),
        Callback("list"),
    ],
)
def test_callback_data_round_trips(callback: Callback) -> None:
    assert Callback.decode(callback.encode()) == callback


def test_callback_data_over_64_bytes_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        Callback("ok", "fr:" + "é" * 30).encode()


@pytest.mark.parametrize(
    "data",
    [
        None, "", "hello", "d:pick", "dx:pick:a", "g:", "g:PICK", "d1:" + "a" * 13,
        "g:ok:fr:<script>alert(1)</script>=1+1", "d3:page:²", "d٣:start", "g:lang:fr\n", "g:open:",
        "g:ok:fr:" + "a" * 57, "g:ok:fr:caf\u00e9", "g:join:p3 ", "g:lang:fr\x00",
    ],
)  # fmt: skip
def test_data_this_bot_never_produced_is_not_decoded(data: str | None) -> None:
    assert Callback.decode(data) is None
