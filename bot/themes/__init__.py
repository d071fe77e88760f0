"""The themes of the wishes: a codebook the team controls, with the machine doing the reading.

Each wish (« En 2030, ma métropole idéale est… ») is given to at most two themes of the
codebook (``codebook.yaml``, or ``themes.yaml`` in ``CONTENT_DIR``) by a multilingual
sentence-embedding model shipped in a package (:mod:`bot.themes.model`, the ``themes`` extra),
with a confidence; a wish close to no theme goes « à classer », where groups of similar wishes
are proposed as candidate themes. Staff corrections (:mod:`bot.themes.corrections`) override
the machine. Shares by paradox, persona and territory, and the quotes, follow the small-group
rule.

The API, for the report, the workbook and the statistics:

- :func:`load_codebook`, :func:`load_corrections`, :func:`wish_key`;
- :func:`theme_answers` (the bot's database) and :func:`theme_records` (any :class:`Record`\\ s)
  return :class:`Themes`: per wish an :class:`Assignment`, shares overall and by group, quotes
  and candidate themes;
- :class:`ThemeReader` reads wishes against a codebook (``assign`` for many texts at once);
- :func:`bot.themes.tables.tables` renders :class:`Themes` as tables;
  :func:`bot.themes.answers.rows` as one row per wish.
- :func:`bot.themes.synthesis.compute_themes` gives the report, the workbook and the package
  their themes when asked for (the vectors kept in ``DATA_DIR``), or why they are left out;
  :func:`bot.themes.synthesis.chat_themes` does so for the chat, never reading many wishes;
- :class:`bot.themes.ahead.WishReader` reads each wish in the bot as it comes in, so that all of
  them are read whenever the themes are asked for.

Importing this package needs no extra; reading wishes does (:func:`require_extra`).
"""

from bot.themes.answers import read_records, theme_answers
from bot.themes.codebook import UNCLASSIFIED, Codebook, Theme, load_codebook
from bot.themes.corrections import Corrections, load_corrections, wish_key
from bot.themes.model import CachedEmbedder, E5Embedder, Embedder, MissingExtra, require_extra
from bot.themes.reading import THRESHOLD, Assignment, ThemeReader
from bot.themes.summary import Candidate, Group, Quote, Record, Share, Themes, summarise, theme_records

__all__ = [
    "THRESHOLD",
    "UNCLASSIFIED",
    "Assignment",
    "CachedEmbedder",
    "Candidate",
    "Codebook",
    "Corrections",
    "E5Embedder",
    "Embedder",
    "Group",
    "MissingExtra",
    "Quote",
    "Record",
    "Share",
    "Theme",
    "ThemeReader",
    "Themes",
    "load_codebook",
    "load_corrections",
    "read_records",
    "require_extra",
    "summarise",
    "theme_answers",
    "theme_records",
    "wish_key",
]
