"""Telegram's ``parse_mode="MarkdownV2"`` and legacy ``"Markdown"`` parsers."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.errors import EntityParseError
from bot.sandbox.text import JsonDict, link_user_id, normalize_url, sort_entities, utf16_len

_RESERVED = "_*[]()~`>#+-=|{}.!"
_SPACES = " \t\r\n\v\f\0"
# Names used by Telegram in "Can't find end of <Type> entity" errors.
_TYPE_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
}


@dataclass
class _Open:
    type: str
    language: str
    utf16_offset: int
    byte_offset: int
    text_start: int


def _reserved_error(char: str) -> EntityParseError:
    return EntityParseError(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")


def _link_entity(url: str, span: JsonDict) -> JsonDict | None:
    user_id = link_user_id(url)
    if user_id is not None:
        return {"type": "text_mention", **span, "user": {"id": user_id}}
    normalized = normalize_url(url)
    return {"type": "text_link", **span, "url": normalized} if normalized else None


def _skip_pre_header(source: str, i: int) -> tuple[str, int]:
    """After an opening ```: read an optional language and skip one line break."""
    end = i
    while end < len(source) and source[end] not in _SPACES and source[end] != "`":
        end += 1
    language = ""
    if end != i and end < len(source) and source[end] != "`":
        language = source[i:end]
        i = end
    if i < len(source) and source[i] in "\r\n":
        pair = source[i : i + 2]
        i += 2 if len(pair) == 2 and pair[1] in "\r\n" and pair[0] != pair[1] else 1
    return language, i


class _MarkdownV2Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.out: list[str] = []
        self.out_len = 0
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[JsonDict] = []
        self.quote_start: int | None = None

    def char(self, index: int) -> str:
        return self.source[index] if index < len(self.source) else "\0"

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.out_len += len(text)
        self.utf16 += utf16_len(text)

    def parse(self) -> tuple[str, list[JsonDict]]:
        i = 0
        line_start = True
        while i < len(self.source):
            char = self.source[i]
            if line_start and not self.stack:
                if char == ">":
                    if self.quote_start is None:
                        self.quote_start = self.utf16
                    i += 1
                    line_start = False
                    continue
                self.close_quote()
            line_start = False
            if char == "\\" and "\0" < self.char(i + 1) <= "~":
                self.emit(self.source[i + 1])
                i += 2
                continue
            reserved = "`" if self.stack and self.stack[-1].type in ("code", "pre") else _RESERVED
            if char not in reserved:
                self.emit(char)
                line_start = char == "\n"
                i += 1
                continue
            i = self.close(i) if self.stack and self.ends_entity(self.stack[-1].type, i) else self.open(i)
        if self.stack:
            top = self.stack[-1]
            name = "PreCode" if top.type == "pre" and top.language else _TYPE_NAMES[top.type]
            raise EntityParseError(f"Can't find end of {name} entity at byte offset {top.byte_offset}")
        self.close_quote()
        return "".join(self.out), sort_entities(self.entities)

    def close_quote(self) -> None:
        if self.quote_start is None:
            return
        end = self.utf16 - (1 if self.out and self.out[-1] == "\n" else 0)
        if end > self.quote_start:
            self.entities.append(
                {"type": "blockquote", "offset": self.quote_start, "length": end - self.quote_start}
            )
        self.quote_start = None

    def ends_entity(self, kind: str, i: int) -> bool:
        char, following = self.source[i], self.char(i + 1)
        ends = {
            "bold": char == "*",
            "italic": char == "_" and following != "_",
            "code": char == "`",
            "pre": char == "`" and following == "`" and self.char(i + 2) == "`",
            "text_link": char == "]",
            "custom_emoji": char == "]",
            "underline": char == "_" and following == "_",
            "strikethrough": char == "~",
            "spoiler": char == "|" and following == "|",
        }
        return ends[kind]

    def open(self, i: int) -> int:
        char, following = self.source[i], self.char(i + 1)
        start = i
        language = ""
        if char == "_":
            kind = "underline" if following == "_" else "italic"
            i += 2 if following == "_" else 1
        elif char == "*":
            kind, i = "bold", i + 1
        elif char == "~":
            kind, i = "strikethrough", i + 1
        elif char == "|" and following == "|":
            kind, i = "spoiler", i + 2
        elif char == "[":
            kind, i = "text_link", i + 1
        elif char == "!" and following == "[":
            kind, i = "custom_emoji", i + 2
        elif char == "`":
            if following == "`" and self.char(i + 2) == "`":
                kind = "pre"
                language, i = _skip_pre_header(self.source, i + 3)
            else:
                kind, i = "code", i + 1
        else:
            raise _reserved_error(char)
        self.stack.append(_Open(kind, language, self.utf16, self.byte_offset(start), self.out_len))
        return i

    def close(self, i: int) -> int:
        top = self.stack.pop()
        span: JsonDict = {"offset": top.utf16_offset, "length": self.utf16 - top.utf16_offset}
        entity: JsonDict | None = {"type": top.type, **span}
        if top.type in ("underline", "spoiler"):
            i += 2
        elif top.type == "pre":
            i += 3
            if top.language and entity is not None:
                entity["language"] = top.language
        elif top.type == "text_link":
            url, i = self.link_target(top, i + 1)
            entity = _link_entity(url, span)
        elif top.type == "custom_emoji":
            if self.char(i + 1) != "(":
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            url, i = self.link_target(top, i + 1)
            prefix = "tg://emoji?id="
            emoji_id = url[len(prefix) :] if url.startswith(prefix) else ""
            if not emoji_id.isdigit() or int(emoji_id) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity = {"type": "custom_emoji", **span, "custom_emoji_id": emoji_id}
        else:
            i += 1
        if entity is not None and span["length"] > 0:
            self.entities.append(entity)
        return i

    def link_target(self, top: _Open, i: int) -> tuple[str, int]:
        """Read ``(url)`` after ``]`` at ``i``; without it the link text is the URL."""
        if self.char(i) != "(":
            return "".join(self.out)[top.text_start :], i
        i += 1
        url_start = i
        url: list[str] = []
        while i < len(self.source) and self.source[i] != ")":
            if self.source[i] == "\\" and "\0" < self.char(i + 1) <= "~":
                url.append(self.source[i + 1])
                i += 2
                continue
            url.append(self.source[i])
            i += 1
        if i >= len(self.source):
            raise EntityParseError(f"Can't find end of a URL at byte offset {self.byte_offset(url_start)}")
        return "".join(url), i + 1


def parse_markdown_v2(source: str) -> tuple[str, list[JsonDict]]:
    """Parse MarkdownV2 into (plain text, entities); raise EntityParseError when invalid."""
    return _MarkdownV2Parser(source).parse()


def parse_markdown(source: str) -> tuple[str, list[JsonDict]]:
    """Parse legacy Markdown (``*bold*``, ``_italic_``, ``` `code` ```, ``[text](url)``)."""
    out: list[str] = []
    utf16 = 0
    entities: list[JsonDict] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "\\" and i + 1 < len(source) and source[i + 1] in "_*`[":
            out.append(source[i + 1])
            utf16 += 1
            i += 2
            continue
        if char not in "_*`[":
            out.append(char)
            utf16 += utf16_len(char)
            i += 1
            continue
        begin = i
        end_char = "]" if char == "[" else char
        i += 1
        is_pre = char == "`" and source[i : i + 2] == "``"
        language = ""
        if is_pre:
            language, i = _skip_pre_header(source, i + 2)
        start_offset = utf16
        start_len = len(out)
        while i < len(source) and (source[i] != end_char or (is_pre and source[i + 1 : i + 3] != "``")):
            out.append(source[i])
            utf16 += utf16_len(source[i])
            i += 1
        if i >= len(source):
            byte_offset = len(source[:begin].encode("utf-8"))
            raise EntityParseError(f"Can't find end of the entity starting at byte offset {byte_offset}")
        span: JsonDict = {"offset": start_offset, "length": utf16 - start_offset}
        entity: JsonDict | None
        if char == "[":
            url = "".join(out[start_len:])
            if source[i + 1 : i + 2] == "(":
                close = source.find(")", i + 2)
                close = len(source) if close < 0 else close
                url = source[i + 2 : close]
                i = close
            entity = _link_entity(url, span)
        elif char == "`":
            entity = {"type": "pre" if is_pre else "code", **span}
            if is_pre and language:
                entity["language"] = language
        else:
            entity = {"type": "italic" if char == "_" else "bold", **span}
        if entity is not None and span["length"] > 0:
            entities.append(entity)
        i += 3 if is_pre else 1
    return "".join(out), sort_entities(entities)
