"""A Babel extractor for the content files, so their texts land in the ``content`` catalog.

Used by ``pybabel extract -F babel-content.cfg`` (see README, « Translations »).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import yaml

TRANSLATABLE = frozenset({"name", "organiser", "title", "text", "description", "portrait", "detail"})
LABELS = frozenset({"sources"})
"""Mappings whose every value is a translatable label (``sources: {id: label}``)."""


def _walk(node: yaml.Node) -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(value, yaml.ScalarNode) and key.value in TRANSLATABLE:
                yield key.start_mark.line + 1, str(value.value).strip()
            elif isinstance(value, yaml.MappingNode) and key.value in LABELS:
                for label_key, label in value.value:
                    if isinstance(label, yaml.ScalarNode) and str(label.value).strip():
                        yield label_key.start_mark.line + 1, str(label.value).strip()
            else:
                yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def extract_yaml(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method: every translatable text of a content file, with its line."""
    root = yaml.compose(fileobj.read().decode("utf-8"))
    if root is not None:
        for line, text in _walk(root):
            yield line, "", text, []
