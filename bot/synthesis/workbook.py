"""The export as a workbook, for people: the answers, what each column means, and the figures.

Sheets: « Réponses » (one row per confirmed answer, typed cells), « Votes » (one row per vote
on a shared wish, :mod:`bot.synthesis.votes_export`), « Lisez-moi » (the columns, the values,
paradoxes and personas, the pseudonym and small-group rules, when the export was made), then
one sheet per table of the statistics, the very tables ``/stats`` shows
(:func:`bot.synthesis.stats.tables`), their figures written as numbers, and « Thèmes ».

With the themes of the wishes computed (:mod:`bot.themes.synthesis`), the answers have their
theme(s) and confidence beside the wish (« à classer » below the threshold), and « Thèmes » holds
the tables ``fabrique-bot themes`` prints (:func:`bot.themes.tables.tables`: each theme's share
overall, by paradox, persona and territory with the small-group rule, three representative
wishes per theme, the candidate themes); without them, « Thèmes » and « Lisez-moi » say they
were not computed and how to get them.

Written with xlsxwriter in constant-memory mode: each row goes to a temporary file as soon as
the next one begins, so memory stays flat however many answers there are. Every text is
written as text (``write_string``): nothing a resident typed becomes a formula, and it reads as
typed, without the CSV's leading apostrophe.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import IO, Any

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from bot.content import Content
from bot.dialogs.question import Column
from bot.i18n import N_, Translator
from bot.personas import NO_PERSONA
from bot.synthesis.export import SMALL_GROUP, SUPPRESSED, Cell, Exporter, ExportFilter, description, header
from bot.synthesis.stats import Table, compute, tables
from bot.synthesis.votes_export import COLUMNS as VOTE_COLUMNS
from bot.synthesis.votes_export import NOTE as VOTES_NOTE
from bot.synthesis.votes_export import SHEET as VOTES_SHEET
from bot.synthesis.votes_export import votes_sheet
from bot.themes.reading import Assignment
from bot.themes.summary import Themes
from bot.themes.synthesis import ThemesOrNot, Unthemed, Why
from bot.themes.tables import tables as theme_tables

SHEET_ROWS = 1_048_576
"""Rows in a sheet (Excel's limit): past them, the answers go on to a second sheet."""
SHEET_NAME = 31
"""Characters in a sheet's name, at most."""
SHEET_NAMES = {
    N_("Classement des valeurs, ensemble des réponses"): N_("Classement des valeurs"),
    N_("Classement des valeurs, brut et pondéré par territoire"): N_("Classement pondéré"),
    N_("Préférences deux à deux (ligne préférée à colonne, nombre de réponses)"): N_(
        "Préférences deux à deux"
    ),
    N_("Classement des valeurs par habitant choisi"): N_("Valeurs par habitant"),
    N_("Classement des valeurs par paradoxe"): N_("Valeurs par paradoxe"),
}
"""The tab of each statistics table whose title is longer than a tab can be (by its title's
message id); another long title is cut."""
MOMENT = "yyyy-mm-dd hh:mm:ss"
DAY = "yyyy-mm-dd"
WIDEST = 60
"""A column's width at most, in characters (longer texts wrap or overflow)."""
WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "remove_timezone": True,  # Paris times are written as the wall clock in Paris
}
CONFIDENCE = "0.00"


def _no_cell(_: Any, __: Any) -> None:
    return None


THEME_COLUMNS = (
    Column("theme", _no_cell, header=N_("Thème"), description=N_(
        "Le thème que la machine donne au souhait (voir la feuille « Thèmes »), ou « à classer » "
        "quand elle n’en est pas assez sûre ; celui de l’équipe quand elle l’a corrigé.")),
    Column("confidence", _no_cell, header=N_("Confiance"), description=N_(
        "La confiance de la machine dans ce thème, de 0 à 1 (1 : corrigé par l’équipe) ; pour un "
        "souhait « à classer », celle du thème le plus proche.")),
    Column("theme_2", _no_cell, header=N_("Thème 2"), description=N_(
        "Un second thème, quand le souhait relève aussi de celui-ci.")),
    Column("confidence_2", _no_cell, header=N_("Confiance 2"), description=N_(
        "La confiance de la machine dans le second thème.")),
    Column("wish_key", _no_cell, header=N_("Clé du souhait"), description=N_(
        "La clé du souhait (W- et 16 chiffres hexadécimaux, la même pour les mêmes mots) : pour "
        "corriger son thème, copiez-la dans le fichier des corrections avec le bon thème.")),
)  # fmt: skip
"""The themes' columns of the answers, after the wish, when the themes were computed (the
names are those of ``fabrique-bot themes --output``)."""
_UNSAFE_IN_NAMES = re.compile(r"[\[\]:*?/\\]")
_DIGITS = re.compile(r"[0-9]+")


class Figure(str):
    """A figure of the statistics: the text the tables show, and the value a sheet writes."""

    value: float | dt.date
    number_format: str

    @classmethod
    def of(cls, shown: str, value: float | dt.date, number_format: str) -> Figure:
        figure = cls(shown)
        figure.value, figure.number_format = value, number_format
        return figure


class _Figures(Translator):
    """The reader's translator, whose numbers, shares and days remember their value: the
    statistics' tables, built once (:func:`tables`), give the sheets their figures as numbers."""

    def __init__(self, t: Translator) -> None:  # the same translator, and so the same words
        vars(self).update(vars(t))

    def number(self, n: float) -> str:
        return Figure.of(super().number(n), n, "#,##0" if float(n).is_integer() else "#,##0.##")

    def decimal(self, x: float) -> str:
        return Figure.of(super().decimal(x), x, "0.00")

    def percent(self, share: float) -> str:
        return Figure.of(super().percent(share), share, "0.0%")

    def date(self, day: dt.date) -> str:
        return Figure.of(super().date(day), day, DAY)


class _Sheets:
    """The workbook's sheets and formats; every cell is written through :meth:`cell`."""

    def __init__(self, out: str | IO[bytes]) -> None:
        self.book = xlsxwriter.Workbook(out, WORKBOOK_OPTIONS)
        self._names: set[str] = set()
        self._formats: dict[tuple[tuple[str, object], ...], Format] = {}
        self.plain = self.format()
        self.bold = self.format(bold=True)
        self.title = self.format(bold=True, font_size=14)
        self.heading = self.format(bold=True, text_wrap=True, valign="top", bottom=1, bg_color="#E8EEF4")
        self.wrapped = self.format(text_wrap=True, valign="top")
        self.moment = self.format(num_format=MOMENT, valign="top")

    def format(self, **properties: object) -> Format:
        key = tuple(sorted(properties.items()))
        if key not in self._formats:
            self._formats[key] = self.book.add_format(properties)
        return self._formats[key]

    def add(self, name: str) -> Worksheet:
        """A new sheet, its name made valid for Excel and unique."""
        name = _UNSAFE_IN_NAMES.sub(" ", name).strip(" '")[:SHEET_NAME].strip() or "?"
        unique, number = name, 2
        while unique.casefold() in self._names:
            suffix = f" ({number})"
            unique, number = name[: SHEET_NAME - len(suffix)] + suffix, number + 1
        self._names.add(unique.casefold())
        sheet: Worksheet = self.book.add_worksheet(unique)
        return sheet

    def cell(
        self, sheet: Worksheet, row: int, col: int, value: Cell | float | Figure, style: Format | None = None
    ) -> None:
        """Write one typed cell: numbers as numbers, moments as dates, every text as text."""
        if value is None:
            return
        if isinstance(value, Figure):
            if isinstance(value.value, dt.date):
                day = value.value
                moment = day if isinstance(day, dt.datetime) else dt.datetime(day.year, day.month, day.day)
                sheet.write_datetime(row, col, moment, self.format(num_format=value.number_format))
            else:
                sheet.write_number(row, col, value.value, self.format(num_format=value.number_format))
        elif isinstance(value, str):
            self._text(sheet, row, col, value, style)
        elif isinstance(value, dt.datetime):
            sheet.write_datetime(row, col, value, self.moment)
        else:
            sheet.write_number(row, col, value, style)

    def _text(self, sheet: Worksheet, row: int, col: int, text: str, style: Format | None) -> None:
        if text.startswith("<r>") and text.endswith("</r>"):
            # xlsxwriter takes such a text, in constant-memory mode, for rich-text markup of its
            # own and copies it unescaped: written as two runs of plain text, it reads as typed.
            runs: list[Any] = [text[:1], self.plain, text[1:]]
            sheet.write_rich_string(row, col, *runs, *([style] if style else []))
        else:
            sheet.write_string(row, col, text, style)

    def close(self) -> None:
        self.book.close()


def _width(texts: Sequence[str]) -> float:
    longest = max((max(map(len, text.split("\n"))) for text in texts if text), default=0)
    return min(WIDEST, max(8, longest + 2))


async def write_workbook(
    out: str | IO[bytes],
    exporter: Exporter,
    where: ExportFilter,
    t: Translator,
    now: dt.datetime,
    progress: Callable[[int], object] | None = None,
    themes: ThemesOrNot | None = None,
) -> int:
    """Write the workbook to ``out`` (a path or a binary file), labels in ``t``'s language;
    returns the number of answers. ``themes`` are computed by the caller, on the same answers
    (:func:`bot.themes.synthesis.compute_themes`); without them, the workbook says they were
    not asked for."""
    themes = themes if themes is not None else Unthemed(Why.NOT_ASKED)
    stats = await compute(exporter.database, exporter.content, where, exporter.questions, exporter.places)
    figuring = _Figures(t)
    figures = tables(stats, exporter.content, figuring, exporter.questions, exporter.places)
    sheets = _Sheets(out)
    try:
        count = await _answers(sheets, exporter, where, t, progress, themes)
        await votes_sheet(sheets, exporter.database, where, t)
        _readme(sheets, sheets.add(t._("Lisez-moi")), exporter, where, t, now, count, themes)
        for table in figures:
            _table(sheets, sheets.add(_tab(table.title, t)), table)
        _themes(sheets, sheets.add(t._("Thèmes")), exporter.content, t, figuring, themes)
    finally:
        sheets.close()
    return count


def _tab(title: str, t: Translator) -> str:
    """A table's tab: its title, or a shorter name for a title too long for a tab."""
    return next((t._(short) for long, short in SHEET_NAMES.items() if t._(long) == title), title)


async def _answers(
    sheets: _Sheets,
    exporter: Exporter,
    where: ExportFilter,
    t: Translator,
    progress: Callable[[int], object] | None,
    themes: ThemesOrNot,
) -> int:
    """One row per answer, under a frozen header row with filters, on as many sheets as Excel's
    row limit asks for; with the themes, theirs after the wish."""
    columns = exporter.columns
    themed = _Themed(themes, t, columns) if isinstance(themes, Themes) else None
    if themed is not None:
        columns = [*columns[: themed.after], *THEME_COLUMNS, *columns[themed.after :]]
    headers = [header(column, t) for column in columns]
    styles = [sheets.wrapped if column.free_text else None for column in columns]
    last = len(columns) - 1

    def start(sheet: Worksheet) -> None:
        for col, text in enumerate(headers):
            sheets.cell(sheet, 0, col, text, sheets.heading)
        sheet.freeze_panes(1, 0)
        sheet.set_row(0, None, sheets.heading)

    def finish(sheet: Worksheet, rows: int) -> None:
        sheet.autofilter(0, 0, max(rows, 1), last)

    sheet = sheets.add(t._("Réponses"))
    start(sheet)
    row = count = 0
    number = 1
    widths: list[float] | None = None
    async for answers in exporter.cells(where):
        batch = answers if themed is None else list(map(themed.row, answers))
        if widths is None:  # from the headers and the first answers
            widths = [
                WIDEST if column.free_text else _width([name, *(_shown(r[i]) for r in batch[:200])])
                for i, (column, name) in enumerate(zip(columns, headers, strict=True))
            ]
            for col, width in enumerate(widths):
                sheet.set_column(col, col, width, styles[col])
        for answer in batch:
            if row == SHEET_ROWS - 1:
                finish(sheet, row)
                number += 1
                sheet = sheets.add(f"{t._('Réponses')} ({number})")
                start(sheet)
                for col, width in enumerate(widths):
                    sheet.set_column(col, col, width, styles[col])
                row = 0
            row += 1
            for col, cell in enumerate(answer):
                if cell is not None:
                    sheets.cell(sheet, row, col, cell, styles[col])
        count += len(batch)
        if progress is not None:
            progress(len(batch))
    if widths is None:
        for col, name in enumerate(headers):
            sheet.set_column(col, col, _width([name]))
    finish(sheet, row)
    return count


class _Themed:
    """The themes' cells of each answer, found by its wish (the same words, the same themes)."""

    def __init__(self, themes: Themes, t: Translator, columns: Sequence[Column]) -> None:
        self.after = next(i for i, column in enumerate(columns) if column.name == "wish") + 1
        self.wish = self.after - 1
        pairs = zip(themes.records, themes.assignments, strict=True)
        self.by_wish: dict[str, Assignment] = {record.text: assignment for record, assignment in pairs}
        self.labels = {theme.id: t.content(theme.label) for theme in themes.codebook.themes}
        self.unclassified = t._("à classer")
        self.none: tuple[Cell | Figure, ...] = (None,) * len(THEME_COLUMNS)

    def cells(self, wish: Cell) -> tuple[Cell | Figure, ...]:
        assignment = self.by_wish.get(wish) if isinstance(wish, str) else None
        if assignment is None:  # an answer confirmed after the themes were read
            return self.none
        first = assignment.confidences[0] if assignment.themes else assignment.nearest_confidence
        themes = [self.labels.get(theme, theme) for theme in assignment.themes] or [self.unclassified]
        second = assignment.confidences[1] if len(assignment.confidences) > 1 else None
        return (
            themes[0],
            Figure.of(f"{first:.2f}", first, CONFIDENCE),
            themes[1] if len(themes) > 1 else None,
            None if second is None else Figure.of(f"{second:.2f}", second, CONFIDENCE),
            assignment.key,
        )

    def row(self, answer: tuple[Cell, ...]) -> tuple[Cell | Figure, ...]:
        return (*answer[: self.after], *self.cells(answer[self.wish]), *answer[self.after :])


def _themes(
    sheets: _Sheets,
    sheet: Worksheet,
    content: Content,
    t: Translator,
    figuring: Translator,
    themes: ThemesOrNot,
) -> None:
    """The themes' tables one under the other (:func:`bot.themes.tables.tables`, figures as
    numbers), or the line saying they were not computed and how to get them."""
    if isinstance(themes, Unthemed):
        sheet.set_column(0, 0, 100, sheets.wrapped)
        sheets.cell(sheet, 0, 0, t._("Thèmes des souhaits"), sheets.title)
        sheets.cell(sheet, 2, 0, themes.line(t), sheets.wrapped)
        return
    stacked = theme_tables(themes, content, figuring)
    row = 0
    for table in stacked:
        row = _table(sheets, sheet, table, row, widths=False) + 2
    _widths(sheet, stacked)


def _shown(cell: Cell) -> str:
    return "0000-00-00 00:00:00" if isinstance(cell, dt.datetime) else "" if cell is None else str(cell)


def _table(sheets: _Sheets, sheet: Worksheet, table: Table, top: int = 0, *, widths: bool = True) -> int:
    """A table of the statistics from row ``top``: its title, its headers, its rows, its note;
    figures written as numbers (a suppressed one stays « < 5 »). The first table of a sheet
    freezes its headers; ``widths`` fits the columns to it. Returns the row after it."""
    sheets.cell(sheet, top, 0, table.title, sheets.title)
    row = top + 2
    if table.headers:
        for col, text in enumerate(table.headers):
            sheets.cell(sheet, row, col, text, sheets.heading)
        if top == 0:
            sheet.freeze_panes(row + 1, 1)
        row += 1
    for cells in table.rows:
        for col, text in enumerate(cells):
            if col > 0 and not isinstance(text, Figure) and _DIGITS.fullmatch(text):
                sheets.cell(sheet, row, col, int(text))  # a rank
            else:
                sheets.cell(sheet, row, col, text)
        row += 1
    if table.note:
        row += 1
        sheets.cell(sheet, row, 0, table.note)
    if widths:
        _widths(sheet, [table])
    return row


def _widths(sheet: Worksheet, stacked: Sequence[Table]) -> None:
    """Each column as wide as its longest cell in these tables (titles and notes overflow)."""
    texts = [cells for table in stacked for cells in (table.headers, *table.rows)]
    for col in range(max((len(cells) for cells in texts), default=0)):
        column = [str(cells[col]) for cells in texts if col < len(cells)]
        sheet.set_column(col, col, _width(column))


class _Lines:
    """A sheet written line by line, from the top."""

    def __init__(self, sheets: _Sheets, sheet: Worksheet) -> None:
        self.sheets, self.sheet, self.row = sheets, sheet, 0

    def line(self, cells: Sequence[str], style: Format | None = None) -> None:
        for col, text in enumerate(cells):
            self.sheets.cell(self.sheet, self.row, col, text, style)
        self.row += 1

    def paragraph(self, text: str, width: int) -> None:
        """A text across the sheet's first three columns (``width`` characters), wrapped."""
        lines = sum(len(part) // width + 1 for part in text.split("\n"))
        self.sheet.set_row(self.row, 15 * lines)
        self.sheet.merge_range(self.row, 0, self.row, 2, "", self.sheets.wrapped)
        self.sheets.cell(self.sheet, self.row, 0, text, self.sheets.wrapped)
        self.row += 1

    def section(self, title: str) -> None:
        self.row += 1
        self.line([title], self.sheets.title)


def _readme(
    sheets: _Sheets,
    sheet: Worksheet,
    exporter: Exporter,
    where: ExportFilter,
    t: Translator,
    now: dt.datetime,
    count: int,
    themes: ThemesOrNot,
) -> None:
    """What the workbook holds: the consultation, when and what was exported, each column of
    the answers, the values, paradoxes and personas, the pseudonym and small-group rules, and
    how the themes were computed (or that they were not, and how to get them)."""
    content: Content = exporter.content
    widths = (30, 36, 90)
    for col, width in enumerate(widths):
        sheet.set_column(col, col, width, sheets.wrapped)
    out = _Lines(sheets, sheet)
    out.line([t.content(content.consultation.name)], sheets.title)
    out.line([t.content(content.consultation.organiser)], sheets.plain)
    out.line([t._("Export du {moment} (heure de Paris).", moment=t.datetime(now))], sheets.plain)
    out.line([t.ngettext("{n} réponse confirmée.", "{n} réponses confirmées.", count)], sheets.plain)
    if where.since is not None:
        since = t._("Réponses confirmées à partir du {moment}.", moment=t.datetime(where.since))
        out.line([since], sheets.plain)
    if where.until is not None:
        until = t._("Réponses confirmées avant le {moment}.", moment=t.datetime(where.until))
        out.line([until], sheets.plain)
    if where.paradox is not None:
        out.line([t._("Réponses au paradoxe {id} seulement.", id=where.paradox)], sheets.plain)

    out.section(t._("Les colonnes de la feuille « {sheet} »", sheet=t._("Réponses")))
    out.line([t._("Colonne"), t._("Nom (CSV en anglais, JSON)"), t._("Contenu")], sheets.heading)
    for column in exporter.columns:
        out.line([header(column, t), column.name, description(column, t)])
        if column.name == "wish" and isinstance(themes, Themes):
            for theme_column in THEME_COLUMNS:
                out.line([header(theme_column, t), theme_column.name, description(theme_column, t)])
    out.section(t._("Les colonnes de la feuille « {sheet} »", sheet=t._(VOTES_SHEET)))
    out.paragraph(t._(VOTES_NOTE), sum(widths))
    out.line([t._("Colonne"), t._("Nom (CSV en anglais, JSON)"), t._("Contenu")], sheets.heading)
    for column in VOTE_COLUMNS:
        out.line([header(column, t), column.name, description(column, t)])
    out.section(t._("Les valeurs"))
    out.line([t._("Identifiant"), t._("Valeur"), t._("Description")], sheets.heading)
    for value in content.values:
        out.line([value.id, t.content(value.name), t.content(value.description)])
    out.section(t._("Les paradoxes"))
    out.line([t._("Identifiant"), t._("Paradoxe")], sheets.heading)
    for paradox in content.paradoxes:
        out.line([paradox.id, t.content(paradox.title)])
    out.section(t._("Les habitants"))
    out.line([t._("Identifiant"), t._("Habitant"), t._("Portrait")], sheets.heading)
    for persona in content.personas:
        out.line([persona.id, t.content(persona.name), t.content(persona.portrait)])
    out.line([NO_PERSONA, t._("Aucun d’entre eux")])
    across = sum(widths)
    out.section(t._("Pseudonymes"))
    out.paragraph(
        t._(
            "Un répondant n’est jamais désigné par son identifiant Telegram, son nom ou son "
            "pseudo, mais par un pseudonyme : un hachage à clé (HMAC-SHA-256) du résident, dont "
            "la clé secrète ne quitte pas la base de données. Un résident garde le même "
            "pseudonyme d’un export à l’autre ; sans la clé, on ne peut pas remonter de l’un à "
            "l’autre. Les réponses d’un résident qui a demandé à être oublié, ou dont le délai de "
            "conservation est passé, restent, sans pseudonyme."
        ),
        across,
    )
    out.section(t._("Petits groupes"))
    out.paragraph(
        t._(
            "Aucun chiffre ne désigne moins de {n} répondants : dans les feuilles de chiffres, un "
            "groupe plus petit est affiché « {suppressed} », et la commune d’une réponse n’est donnée "
            "que si au moins {n} répondants la partagent.",
            n=SMALL_GROUP,
            suppressed=SUPPRESSED,
        ),
        across,
    )
    out.section(t._("Thèmes des souhaits"))
    if isinstance(themes, Unthemed):
        out.paragraph(themes.line(t), across)
    else:
        corrections = (
            t._("Corrections de l’équipe appliquées : {n}.", n=t.number(themes.corrections_applied))
            if themes.corrections_applied
            else ""
        )
        out.paragraph(
            " ".join(
                filter(
                    None,
                    (
                        t._(
                            "Chaque souhait est lu par un modèle de langue multilingue, sur cette "
                            "machine, et rangé dans au plus deux thèmes du codebook de l’équipe ({n} "
                            "thèmes, décrits en une ou deux lignes) ; quand sa confiance est sous "
                            "{threshold}, il est « à classer ». Les mêmes souhaits et le même codebook "
                            "donnent toujours le même résultat. La feuille « {sheet} » donne la part "
                            "de chaque thème, en tout et par paradoxe, habitant et territoire, trois "
                            "souhaits représentatifs par thème, et des thèmes candidats parmi les "
                            "souhaits à classer.",
                            n=t.number(len(themes.codebook.themes)),
                            threshold=t.decimal(themes.threshold),
                            sheet=t._("Thèmes"),
                        ),
                        corrections,
                    ),
                )
            ),
            across,
        )
    out.section(t._("Les autres feuilles"))
    out.paragraph(
        t._(
            "Les chiffres de la consultation, les tableaux de « fabrique-bot stats » et du rapport "
            "de /stats, calculés sur les mêmes réponses : une feuille par tableau."
        ),
        across,
    )
