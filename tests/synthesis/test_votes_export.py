"""The votes' export (CSV, JSON lines, the workbook's « Votes » sheet): one row per vote, the voter
under the same pseudonym as their answers, never a Telegram id nor a wish's author, a forgotten
voter anonymous, and nothing a resident typed ever read as a formula."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
from sqlalchemy import select

from bot.content import load_content
from bot.storage import Answer, Database
from bot.storage.deliberation import AGREE, APPROVED, DISAGREE, PASS
from bot.storage.models import SharedWish, Vote
from bot.synthesis.export import Exporter, ExportFilter, header
from bot.synthesis.votes_export import COLUMNS, VoteExporter, write_votes
from bot.synthesis.workbook import write_workbook
from tests.synthesis.test_workbook import by_first_cell, formulas, rows
from tests.test_cli import cli, one_line
from tests.words import words

CONTENT = load_content()
t = words("fr")
en = words("en")
NOW = datetime(2017, 5, 2, 10, 0, tzinfo=UTC)  # 12:00 in Paris
FORMULA = '=HYPERLINK("http://evil.example","clic")'
NAMES = ["respondent", "voted_at", "wish_id", "paradox_id", "wish", "vote"]
TELEGRAM = {"author": 8_100_001, "voter": 8_100_002, "purged": 8_100_003, "forgotten": 8_100_004}


@dataclass(frozen=True)
class Planted:
    wishes: dict[str, int]
    """Shared wish ids: « formula » (published), « withdrawn » (its author stopped sharing it)."""
    respondents: set[int]
    """The random numbers the purged voter's answers and votes were given."""


async def plant(database: Database) -> Planted:
    """Four residents who answered; the author's wish (a formula) is published, the voter's was
    published then withdrawn; everyone votes; then the purge unlinks one resident and another
    asks to be forgotten."""
    async with database.transaction() as repos:
        residents, answers = {}, {}
        for n, (who, telegram_id) in enumerate(TELEGRAM.items()):
            residents[who] = await repos.residents.add(telegram_id, "fr", "v", NOW)
            wish = FORMULA if who == "author" else f"- le souhait de {who}"
            answers[who] = await repos.answers.save(
                Answer(resident_id=residents[who].id, paradox_id="p3", persona_id="malika", wish=wish,
                       ranking="fraternite,innovation,authenticite,ouverture,responsabilite", language="fr",
                       source=None, consent_version="v", submitted_at=NOW + timedelta(minutes=n))
            )  # fmt: skip
        formula = await repos.deliberation.share(answers["author"], NOW)
        withdrawn = await repos.deliberation.share(answers["voter"], NOW)
        formula.state = withdrawn.state = APPROVED
        await repos.session.flush()
        votes: list[tuple[str, SharedWish, int]] = [
            ("voter", formula, AGREE), ("purged", formula, DISAGREE), ("forgotten", formula, AGREE),
            ("author", withdrawn, PASS), ("purged", withdrawn, AGREE), ("voter", formula, DISAGREE),
        ]  # fmt: skip
        for minute, (who, shared, value) in enumerate(votes, start=10):
            await repos.deliberation.vote(residents[who], shared.id, value, NOW + timedelta(minutes=minute))
        await repos.deliberation.withdraw(answers["voter"])
        await repos.answers.unlink([residents["purged"].id])  # what the retention purge does
        await repos.residents.erase(residents["forgotten"])  # /forget
        kept = await repos.session.scalars(select(Vote.respondent).where(Vote.respondent.is_not(None)))
        return Planted({"formula": formula.id, "withdrawn": withdrawn.id}, {n for n in kept.all() if n})


async def answers_by_wish(database: Database) -> dict[str, str]:
    """The answers' export: each wish's respondent (the wish as the CSV gives it, formula-safe)."""
    out = io.StringIO()
    await Exporter(database, CONTENT).write(out, ExportFilter())
    return {row["wish"]: row["respondent"] for row in csv.DictReader(io.StringIO(out.getvalue()))}


def no_identity(text: str, planted: Planted) -> None:
    for telegram_id in TELEGRAM.values():
        assert str(telegram_id) not in text, "never a Telegram id"
    for number in planted.respondents:
        assert str(number) not in text and str(-number) not in text, "never the purge's random number"


async def test_one_row_per_vote_under_the_answers_pseudonyms(database: Database) -> None:
    planted = await plant(database)
    pseudonym = await answers_by_wish(database)
    out = io.StringIO()
    assert await write_votes(out, database) == 4
    text = out.getvalue()
    votes = list(csv.DictReader(io.StringIO(text)))

    assert list(votes[0]) == NAMES
    voter, author = pseudonym["'- le souhait de voter"], pseudonym["'" + FORMULA]
    formula, withdrawn = str(planted.wishes["formula"]), str(planted.wishes["withdrawn"])
    assert votes == [
        {"respondent": "", "voted_at": "2017-05-02T12:11:00+02:00", "wish_id": formula, "paradox_id": "p3",
         "wish": "'" + FORMULA, "vote": "disagree"},
        {"respondent": author, "voted_at": "2017-05-02T12:13:00+02:00", "wish_id": withdrawn,
         "paradox_id": "p3", "wish": "", "vote": "pass"},
        {"respondent": "", "voted_at": "2017-05-02T12:14:00+02:00", "wish_id": withdrawn, "paradox_id": "p3",
         "wish": "", "vote": "agree"},
        {"respondent": voter, "voted_at": "2017-05-02T12:15:00+02:00", "wish_id": formula, "paradox_id": "p3",
         "wish": "'" + FORMULA, "vote": "disagree"},
    ]  # fmt: skip
    assert voter.startswith("R-") and author.startswith("R-") and voter != author
    assert pseudonym["'- le souhait de purged"] == "", "the purged voter is anonymous in both exports"
    # The forgotten resident's vote is gone; the votes of the purged one stay, tied to nobody.
    no_identity(text, planted)

    lines = io.StringIO()
    assert await write_votes(lines, database, fmt="jsonl") == 4
    parsed = [json.loads(line) for line in lines.getvalue().splitlines()]
    assert parsed == votes, "JSON lines say what the CSV says"


async def test_french_headers_a_filter_and_a_delimiter(database: Database) -> None:
    planted = await plant(database)
    out = io.StringIO()
    since = datetime(2017, 5, 2, 12, 14, tzinfo=UTC) - timedelta(hours=2)  # 12:14 in Paris
    where = ExportFilter(since=since, paradox="p3")
    assert await VoteExporter(database).write(out, where, delimiter=";", language="fr") == 2
    got = list(csv.reader(io.StringIO(out.getvalue()), delimiter=";"))
    assert got[0] == [header(column, t) for column in COLUMNS]
    assert got[0][:3] == [t._("Répondant"), t._("Date de l’avis"), t._("Souhait partagé")]
    assert [row[5] for row in got[1:]] == ["agree", "disagree"]
    assert await VoteExporter(database).count(ExportFilter(paradox="p1")) == 0
    assert await VoteExporter(database).count() == 4
    no_identity(out.getvalue(), planted)


async def test_the_workbook_has_the_votes_as_typed(database: Database) -> None:
    planted = await plant(database)
    out = io.BytesIO()
    await write_workbook(out, Exporter(database, CONTENT), ExportFilter(), t, NOW)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames[:3] == [t._("Réponses"), t._("Votes"), t._("Lisez-moi")]

    answers = rows(book[t._("Réponses")])
    respondent, wish = answers[0].index(t._("Répondant")), answers[0].index(t._("Métropole idéale en 2030"))
    pseudonym = {row[wish]: row[respondent] for row in answers[1:]}
    header_row, *votes = rows(book[t._("Votes")])
    assert list(header_row) == [header(column, t) for column in COLUMNS]
    anonymous = pseudonym["- le souhait de purged"]
    assert anonymous in ("", None), "no pseudonym for the purged resident's answer"
    assert votes[0] == (anonymous, datetime(2017, 5, 2, 12, 11), planted.wishes["formula"], "p3", FORMULA,
                        "disagree")  # fmt: skip
    assert votes[3] == (pseudonym["- le souhait de voter"], datetime(2017, 5, 2, 12, 15),
                        planted.wishes["formula"], "p3", FORMULA, "disagree")  # fmt: skip
    assert votes[1][0] == pseudonym[FORMULA] and votes[1][4] is None, "a withdrawn wish is not quoted"
    assert formulas(out.getvalue()) == [], "the formula is text, as typed"
    no_identity(" ".join(str(cell) for row in votes for cell in row), planted)

    readme = by_first_cell(book[t._("Lisez-moi")])
    for column in COLUMNS:
        assert readme[header(column, t)][1] == column.name
    assert readme[t._("Souhait partagé")][2]


async def test_no_votes_no_sheet(database: Database) -> None:
    out = io.BytesIO()
    await write_workbook(out, Exporter(database, CONTENT), ExportFilter(), en, NOW)
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert en._("Votes") not in book.sheetnames
    empty = io.StringIO()
    assert await write_votes(empty, database) == 0
    assert empty.getvalue() == ",".join(NAMES) + "\r\n"


async def test_fabrique_bot_export_table_votes(database: Database, database_url: str, tmp_path: Path) -> None:
    planted = await plant(database)
    result = await cli(tmp_path, "export", "votes.csv", "--table", "votes", DATABASE_URL=database_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok: 4 votes written to votes.csv"
    raw = (tmp_path / "votes.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with a BOM, for spreadsheets"
    votes = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert [row["wish_id"] for row in votes] == [str(planted.wishes[w]) for w in ("formula", "withdrawn",
                                                                                  "withdrawn", "formula")]  # fmt: skip
    no_identity(raw.decode("utf-8-sig"), planted)

    result = await cli(tmp_path, "export", "votes.jsonl", "--table", "votes", "--paradox", "p3",
                       DATABASE_URL=database_url)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len((tmp_path / "votes.jsonl").read_text(encoding="utf-8").splitlines()) == 4

    refused = await cli(tmp_path, "export", "votes.xlsx", "--table", "votes", DATABASE_URL=database_url)
    assert "« Votes » sheet" in one_line(refused)
    assert not (tmp_path / "votes.xlsx").exists()
