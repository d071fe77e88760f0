"""HTML / MarkdownV2 / Markdown parsing into text + entities, like Telegram's server."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Message

from bot.sandbox.errors import ApiError
from bot.sandbox.formatting import format_text, plain_text
from bot.sandbox.text import utf16_len


def no_users(user_id: int) -> dict[str, Any] | None:
    return None


def html(source: str) -> tuple[str, list[dict[str, Any]]]:
    formatted = format_text(source, "HTML", None, no_users)
    return formatted.text, formatted.entities


def html_error(source: str) -> str:
    with pytest.raises(ApiError) as caught:
        format_text(source, "HTML", None, no_users)
    assert caught.value.error_code == 400
    return caught.value.description


def test_utf16_offsets_count_emoji_as_two_units() -> None:
    text, entities = html("👋🏽 <b>Bonjour</b> <i>é😀</i>")
    assert text == "👋🏽 Bonjour é😀"
    assert entities == [
        {"type": "bold", "offset": 5, "length": 7},
        {"type": "italic", "offset": 13, "length": 3},
    ]
    assert utf16_len(text) == 16
    # python-telegram-bot reads the same parts back with its own UTF-16 arithmetic.
    message = Message.de_json(
        {
            "message_id": 1,
            "date": 0,
            "chat": {"id": 1, "type": "private"},
            "text": text,
            "entities": entities,
        },
        None,
    )
    assert list(message.parse_entities().values()) == ["Bonjour", "é😀"]


def test_all_supported_tags() -> None:
    source = (
        "<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s>"
        '<strike>k</strike><del>d</del><span class="tg-spoiler">p</span>'
        '<tg-spoiler>q</tg-spoiler><code>c</code><a href="https://example.org/x">l</a>'
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    text, entities = html(source)
    assert text == "bsieunskdpqcl👍"
    assert [e["type"] for e in entities] == [
        "bold", "bold", "italic", "italic", "underline", "underline", "strikethrough",
        "strikethrough", "strikethrough", "spoiler", "spoiler", "code", "text_link",
        "custom_emoji",
    ]  # fmt: skip
    assert entities[12]["url"] == "https://example.org/x"
    assert entities[13] == {
        "type": "custom_emoji",
        "offset": 13,
        "length": 2,
        "custom_emoji_id": "5368324170671202286",
    }


def test_pre_with_language_blockquotes_and_links() -> None:
    text, entities = html(
        '<pre><code class="language-python">print(1)</code></pre>\n'
        "<blockquote>cité</blockquote>\n<blockquote expandable>long</blockquote>\n"
        '<a href="example.com">site</a> <a href="tg://user?id=42">x</a> <pre>raw</pre>'
    )
    assert text == "print(1)\ncité\nlong\nsite x raw"
    assert entities == [
        {"type": "pre", "offset": 0, "length": 8, "language": "python"},
        {"type": "blockquote", "offset": 9, "length": 4},
        {"type": "expandable_blockquote", "offset": 14, "length": 4},
        {"type": "text_link", "offset": 19, "length": 4, "url": "http://example.com/"},
        {"type": "pre", "offset": 26, "length": 3},
    ]  # the mention of an unknown user is dropped


def test_nested_entities_and_html_entities() -> None:
    text, entities = html("<b>a <i>b &lt;&gt;&amp;&quot; &#233;&#x1F600;</i></b>")
    assert text == 'a b <>&" é😀'
    assert entities == [
        {"type": "bold", "offset": 0, "length": 12},
        {"type": "italic", "offset": 2, "length": 10},
    ]


def test_text_mention_of_a_known_user() -> None:
    user = {"id": 42, "is_bot": False, "first_name": "Zoé"}
    formatted = format_text(
        '<a href="tg://user?id=42">Zoé</a>', "HTML", None, lambda i: user if i == 42 else None
    )
    assert formatted.entities == [{"type": "text_mention", "offset": 0, "length": 3, "user": user}]


def test_whitespace_is_trimmed_and_entities_shifted() -> None:
    text, entities = html("\n  <b>hi</b>  \n")
    assert (text, entities) == ("hi", [{"type": "bold", "offset": 0, "length": 2}])


def test_commands_mentions_hashtags_and_urls_are_detected() -> None:
    formatted = plain_text("/start@fabrique_sandbox_bot p3 @someone #tag https://ex.org/a.")
    assert formatted.entities == [
        {"type": "bot_command", "offset": 0, "length": 27},
        {"type": "mention", "offset": 31, "length": 8},
        {"type": "hashtag", "offset": 40, "length": 4},
        {"type": "url", "offset": 45, "length": 16},
    ]
    assert html("<code>/start</code>")[1] == [{"type": "code", "offset": 0, "length": 6}]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("é <b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("a <b", "Unclosed start tag at byte offset 2"),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("😀 & co", 'Character "&" must be escaped as "&amp;" at byte offset 5'),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;" at byte offset 0'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("<b>x</b >y</b", "Unexpected end tag at byte offset 10"),
        ('<a href="x>y', "Unclosed start tag at byte offset 0"),
    ],
)
def test_html_errors_like_telegram(source: str, reason: str) -> None:
    assert html_error(source) == f"Bad Request: can't parse entities: {reason}"


def test_unknown_parse_mode() -> None:
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        format_text("x", "BBCode", None, no_users)


def test_markdown_v2() -> None:
    formatted = format_text(
        "*gras* _ita_ __sous__ ~barré~ ||spoil|| `code` [lien](https://ex.org) \\. 😀\n"
        "```python\nprint(1)\n```\n>cité\n>suite",
        "MarkdownV2",
        None,
        no_users,
    )
    assert formatted.text == "gras ita sous barré spoil code lien . 😀\nprint(1)\n\ncité\nsuite"
    assert formatted.entities == [
        {"type": "bold", "offset": 0, "length": 4},
        {"type": "italic", "offset": 5, "length": 3},
        {"type": "underline", "offset": 9, "length": 4},
        {"type": "strikethrough", "offset": 14, "length": 5},
        {"type": "spoiler", "offset": 20, "length": 5},
        {"type": "code", "offset": 26, "length": 4},
        {"type": "text_link", "offset": 31, "length": 4, "url": "https://ex.org/"},
        {"type": "pre", "offset": 41, "length": 9, "language": "python"},
        {"type": "blockquote", "offset": 51, "length": 10},
    ]


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("Fin.", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("a-b", "Character '-' is reserved and must be escaped with the preceding '\\'"),
        ("é *gras", "Can't find end of Bold entity at byte offset 3"),
        ("[lien](https://x", "Can't find end of a URL at byte offset 7"),
    ],
)
def test_markdown_v2_errors(source: str, reason: str) -> None:
    with pytest.raises(ApiError) as caught:
        format_text(source, "MarkdownV2", None, no_users)
    assert caught.value.description == f"Bad Request: can't parse entities: {reason}"


def test_legacy_markdown() -> None:
    formatted = format_text("*b* _i_ `c` [l](https://ex.org/p)", "Markdown", None, no_users)
    assert formatted.text == "b i c l"
    assert [e["type"] for e in formatted.entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 2"):
        format_text("a *b", "Markdown", None, no_users)


def test_explicit_entities_win_over_parse_mode() -> None:
    formatted = format_text("<b>x</b>", "HTML", '[{"type": "italic", "offset": 0, "length": 3}]', no_users)
    assert formatted.text == "<b>x</b>"
    assert formatted.entities == [{"type": "italic", "offset": 0, "length": 3}]
