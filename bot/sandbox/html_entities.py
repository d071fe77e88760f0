"""Telegram's ``parse_mode="HTML"``: turn the supported HTML subset into text plus entities.

Follows the Telegram server's parser (tags, attributes, error texts, UTF-16 offsets). One
deliberate difference: a ``&`` that does not start a known entity is an error here, where
Telegram keeps it literally, so that unescaped user text is caught in tests.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.sandbox.errors import EntityParseError
from bot.sandbox.text import JsonDict, link_user_id, normalize_url, sort_entities, utf16_len

_SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins",
        "tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]{1,10}));")
_SPACES = " \t\r\n\v\f\0"


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    text_start: int  # index in the output text, for <a> without href


def _decode_entity(source: str, index: int) -> tuple[str, int] | None:
    """Decode the entity at ``source[index] == "&"``: (character, length in source)."""
    match = _ENTITY.match(source, index)
    if match is None:
        return None
    decimal, hexadecimal, name = match.groups()
    if name is not None:
        char = _NAMED_ENTITIES.get(name)
        return (char, match.end() - index) if char is not None else None
    code = int(decimal) if decimal is not None else int(hexadecimal, 16)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return None
    return chr(code), match.end() - index


class _HtmlParser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.out: list[str] = []
        self.out_len = 0  # characters in self.out, for <a> without href
        self.utf16 = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[JsonDict] = []

    def char(self, index: int) -> str:
        return self.source[index] if index < len(self.source) else "\0"

    def byte_offset(self, index: int) -> int:
        return len(self.source[:index].encode("utf-8"))

    def error(self, reason: str, index: int) -> EntityParseError:
        return EntityParseError(f"{reason} at byte offset {self.byte_offset(index)}")

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.out_len += len(text)
        self.utf16 += utf16_len(text)

    def parse(self) -> tuple[str, list[JsonDict]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "&":
                self.parse_entity()
            elif char == "<":
                if self.char(self.pos + 1) == "/":
                    self.parse_end_tag()
                else:
                    self.parse_start_tag()
            else:
                self.emit(char)
                self.pos += 1
        if self.stack:
            raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        return "".join(self.out), sort_entities(self.entities)

    def parse_entity(self) -> None:
        decoded = _decode_entity(self.source, self.pos)
        if decoded is None:
            match = re.match(r"&[#a-zA-Z0-9]+;", self.source[self.pos :])
            if match:
                raise self.error(f'Unsupported HTML entity "{match.group(0)}"', self.pos)
            raise self.error('Character "&" must be escaped as "&amp;"', self.pos)
        char, length = decoded
        self.emit(char)
        self.pos += length

    def parse_start_tag(self) -> None:
        begin = self.pos
        i = begin + 1
        while self.char(i) not in _SPACES and self.char(i) != ">":
            i += 1
        if i >= len(self.source):
            raise self.error("Unclosed start tag", begin)
        tag = self.source[begin + 1 : i].lower()
        if tag not in _SUPPORTED_TAGS:
            raise self.error(f'Unsupported start tag "{tag}"', begin)
        argument = ""
        while self.char(i) != ">":
            while i < len(self.source) and self.char(i) in _SPACES:
                i += 1
            if self.char(i) == ">":
                break
            name_start = i
            while self.char(i) not in _SPACES and self.char(i) not in "=>":
                i += 1
            attribute = self.source[name_start:i]
            if not attribute:
                raise self.error(f'Empty attribute name in the tag "{tag}"', begin)
            while i < len(self.source) and self.char(i) in _SPACES:
                i += 1
            if self.char(i) != "=":
                if tag == "blockquote" and attribute.lower() == "expandable":
                    argument = "1"
                    continue
                raise self.error(
                    f'Expected equal sign in declaration of an attribute of the tag "{tag}"', begin
                )
            i += 1
            while i < len(self.source) and self.char(i) in _SPACES:
                i += 1
            if i >= len(self.source):
                raise self.error(f'Unclosed start tag "{tag}"', begin)
            value, i = self.attribute_value(i)
            if i >= len(self.source):
                raise self.error("Unclosed start tag", begin)
            argument = self.tag_argument(tag, attribute, value, argument)
        if tag == "span" and argument != "spoiler":
            raise self.error('Tag "span" must have class "tg-spoiler"', begin)
        self.stack.append(_OpenTag(tag, argument, self.utf16, self.out_len))
        self.pos = i + 1

    def attribute_value(self, i: int) -> tuple[str, int]:
        quote = self.char(i)
        if quote not in "'\"":
            start = i
            while (self.char(i).isascii() and self.char(i).isalnum()) or self.char(i) in ".-":
                i += 1
            if self.char(i) not in _SPACES and self.char(i) != ">":
                raise self.error("Unexpected end of name token", start)
            return self.source[start:i].lower(), i
        i += 1
        value: list[str] = []
        while i < len(self.source) and self.source[i] != quote:
            if self.source[i] == "&":
                decoded = _decode_entity(self.source, i)
                if decoded is not None:
                    value.append(decoded[0])
                    i += decoded[1]
                    continue
            value.append(self.source[i])
            i += 1
        if i < len(self.source):
            i += 1
        return "".join(value), i

    @staticmethod
    def tag_argument(tag: str, attribute: str, value: str, current: str) -> str:
        attribute = attribute.lower()
        if tag == "a" and attribute == "href":
            return value
        if tag == "code" and attribute == "class" and value.startswith("language-"):
            return value[len("language-") :]
        if tag == "span" and attribute == "class" and value.startswith("tg-"):
            return value[len("tg-") :]
        if tag == "tg-emoji" and attribute == "emoji-id":
            return value
        return current

    def parse_end_tag(self) -> None:
        begin = self.pos
        if not self.stack:
            raise self.error("Unexpected end tag", begin)
        i = begin + 2
        while self.char(i) not in _SPACES and self.char(i) != ">":
            i += 1
        end_name = self.source[begin + 2 : i]
        while i < len(self.source) and self.char(i) in _SPACES:
            i += 1
        if self.char(i) != ">":
            raise self.error("Unclosed end tag", begin)
        open_tag = self.stack[-1]
        if end_name and end_name.lower() != open_tag.name:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{open_tag.name}>", found "</{end_name}>"'
            )
        self.close(open_tag)
        self.stack.pop()
        self.pos = i + 1

    def close(self, tag: _OpenTag) -> None:
        offset = tag.utf16_offset
        length = self.utf16 - offset
        if length <= 0:
            return
        span: JsonDict = {"offset": offset, "length": length}
        if tag.name in _SIMPLE_TAGS:
            self.entities.append({"type": _SIMPLE_TAGS[tag.name], **span})
        elif tag.name == "blockquote":
            kind = "expandable_blockquote" if tag.argument == "1" else "blockquote"
            self.entities.append({"type": kind, **span})
        elif tag.name == "tg-emoji":
            if not tag.argument.isdigit() or int(tag.argument) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            self.entities.append({"type": "custom_emoji", **span, "custom_emoji_id": tag.argument})
        elif tag.name == "a":
            self.close_link(tag, span)
        elif tag.name == "pre":
            last = self.entities[-1] if self.entities else None
            if last and last["type"] == "code" and last.get("language") and _same_span(last, span):
                last["type"] = "pre"
            else:
                self.entities.append({"type": "pre", **span})
        else:  # code
            last = self.entities[-1] if self.entities else None
            if last and last["type"] == "pre" and tag.argument and _same_span(last, span):
                last["language"] = tag.argument
            elif tag.argument:
                self.entities.append({"type": "code", **span, "language": tag.argument})
            else:
                self.entities.append({"type": "code", **span})

    def close_link(self, tag: _OpenTag, span: JsonDict) -> None:
        url = tag.argument or "".join(self.out)[tag.text_start :]
        user_id = link_user_id(url)
        if user_id is not None:
            self.entities.append({"type": "text_mention", **span, "user": {"id": user_id}})
            return
        normalized = normalize_url(url)
        if normalized is not None:
            self.entities.append({"type": "text_link", **span, "url": normalized})


def _same_span(entity: JsonDict, span: JsonDict) -> bool:
    return bool(entity["offset"] == span["offset"] and entity["length"] == span["length"])


def parse_html(source: str) -> tuple[str, list[JsonDict]]:
    """Parse Telegram HTML into (plain text, entities); raise EntityParseError when invalid."""
    return _HtmlParser(source).parse()
