"""Who spoke: the commune in the export (five respondents or nothing), the respondents by
territory and by age next to the population, and the value ranking weighted by territory.

Every figure below is checked by hand against the reference data of ``bot/places``
(``territories.csv``: 1 939 077 inhabitants in six territories; ``age_bands.yaml``: INSEE's
bands), read again in each test so that new figures there fail loudly rather than silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from bot.content import load_content
from bot.dialogs.question import columns_of
from bot.dialogs.questions import AGE, COMMUNE
from bot.places import OUTSIDE, load_places
from bot.storage import Answer, Database, Resident
from bot.synthesis.export import SMALL_GROUP, Exporter, ExportFilter
from bot.synthesis.representativeness import Count
from bot.synthesis.stats import NOT_SAID, SUPPRESSED, Stats, Table, as_text, compute, tables
from tests.words import words

CONTENT = load_content()
PLACES = load_places()
AUBAGNE = "13005"  # pays-d-aubagne-et-de-l-etoile
CASSIS = "13022"  # marseille-provence
AIX = "13001"  # pays-d-aix
MARTIGUES = "13056"  # pays-de-martigues
MARSEILLE_1 = "13201"  # Marseille 1er Arrondissement, marseille-provence
ORDER = "fraternite,innovation,authenticite,ouverture,responsabilite"
# The two ballots of the weighted example: they differ only in their first two places.
FRATERNITE_FIRST = ("fraternite", "innovation", "ouverture", "responsabilite", "authenticite")
INNOVATION_FIRST = ("innovation", "fraternite", "ouverture", "responsabilite", "authenticite")
MP, PA, PS, PAE, IOP, PM = (
    "marseille-provence", "pays-d-aix", "pays-salonais", "pays-d-aubagne-et-de-l-etoile",
    "istres-ouest-provence", "pays-de-martigues",
)  # fmt: skip
_telegram_ids = count(910_000)


@dataclass(frozen=True)
class Person:
    """A resident who answered ``paradoxes`` paradoxes (p1, p2…), each answer's wish being
    ``label`` (then « label p2 »…); ``forgotten`` residents asked to be forgotten afterwards."""

    label: str
    commune: str | None = None
    age: str | None = None
    ranking: str = ORDER
    paradoxes: int = 1
    forgotten: bool = False


async def write(database: Database, *people: Person) -> None:
    """The answers stored as the dialog stores them (``COMMUNE``/``AGE`` columns), then the
    forgotten residents erased as ``/forget`` does (their answers stay, without a resident)."""
    start = datetime(2017, 5, 9, 10, tzinfo=UTC)
    async with database.transaction() as repos:
        session = repos.session
        minute = 0
        for person in people:
            moment = start + timedelta(minutes=minute)
            resident = Resident(telegram_id=next(_telegram_ids), language="fr", consent_version="v",
                                consented_at=moment, subscribed=False, created_at=moment)  # fmt: skip
            session.add(resident)
            await session.flush()
            said = columns_of((COMMUNE, AGE), {"commune": person.commune, "age": person.age})
            for number in range(1, person.paradoxes + 1):
                minute += 1
                wish = person.label if number == 1 else f"{person.label} p{number}"
                session.add(
                    Answer(resident_id=resident.id, paradox_id=f"p{number}", persona_id="malika",
                           wish=wish, ranking=person.ranking, language="fr", consent_version="v",
                           submitted_at=start + timedelta(minutes=minute), **said)
                )  # fmt: skip
            await session.flush()
            if person.forgotten:
                await repos.residents.erase(resident)


async def export(database: Database) -> dict[str, dict[str, str]]:
    """The export's rows, by wish."""
    rows = [row async for row in Exporter(database, CONTENT).rows(ExportFilter())]
    by_wish = {row["wish"]: row for row in rows}
    assert len(by_wish) == len(rows)
    return by_wish


def said(row: dict[str, str]) -> tuple[str, str, str, str]:
    return row["commune"], row["commune_name"], row["territory"], row["age_band"]


def table(stats: Stats, title: str) -> Table:
    t = words("fr")
    return next(table for table in tables(stats, CONTENT, t) if table.title == t._(title))


def cells(text: str, label: str) -> list[str]:
    """The cells of the line of ``text`` starting with ``label`` (as_text pads with spaces);
    the percent sign's narrow no-break space becomes a plain one."""
    line = next(line for line in text.splitlines() if line.startswith(f"{label}  "))
    return re.split(r"  +", line.replace("\u202f", " ").replace("\u00a0", " "))


def shares() -> dict[str, float]:
    population = {territory.id: territory.population for territory in PLACES.territories}
    return {key: people / sum(population.values()) for key, people in population.items()}


# 1. The export: a commune is given only where five respondents share it.


async def test_the_export_gives_a_commune_only_where_five_respondents_share_it(database: Database) -> None:
    await write(
        database,
        *(Person(f"aubagne {i}", AUBAGNE, "30-44") for i in range(5)),
        Person("aubagne forgotten", AUBAGNE, "15-29", forgotten=True),
        Person("cassis", CASSIS, "60-74"),
        Person("not said", None, None),
        Person("outside", OUTSIDE, "75-plus"),
        Person("aix, age not said", AIX, None),
    )

    rows = await export(database)

    # Aubagne: 5 residents + 1 forgotten answer = 6 respondents, at least 5: named.
    for i in range(5):
        assert said(rows[f"aubagne {i}"]) == (AUBAGNE, "Aubagne", PAE, "30-44")
        assert rows[f"aubagne {i}"]["respondent"].startswith("R-")
    assert said(rows["aubagne forgotten"]) == (AUBAGNE, "Aubagne", PAE, "15-29")
    assert rows["aubagne forgotten"]["respondent"] == ""
    # Cassis, Aix: one respondent each, so no commune; the territory is still given (it is large).
    assert said(rows["cassis"]) == ("", "", MP, "60-74")
    assert said(rows["aix, age not said"]) == ("", "", PA, "")
    # Outside: one respondent; « hors » is guarded like a commune, the territory says it anyway.
    assert said(rows["outside"]) == ("", "", OUTSIDE, "75-plus")
    assert said(rows["not said"]) == ("", "", "", "")


async def test_the_threshold_counts_people_not_answers_and_each_forgotten_answer_as_one(
    database: Database,
) -> None:
    # Four residents in Aubagne, two answers each: 8 answers but 4 respondents, fewer than 5.
    await write(database, *(Person(f"aubagne {i}", AUBAGNE, paradoxes=2) for i in range(SMALL_GROUP - 1)))
    rows = await export(database)
    assert len(rows) == 8
    assert {said(row) for row in rows.values()} == {("", "", PAE, "")}

    # One more answer in Aubagne, by a resident since forgotten: still a respondent (their answers
    # share a random respondent number), so Aubagne now has 5.
    await write(database, Person("aubagne forgotten", AUBAGNE, forgotten=True))
    rows = await export(database)
    assert len(rows) == 9
    assert {said(row) for row in rows.values()} == {(AUBAGNE, "Aubagne", PAE, "")}


async def test_forgetting_never_publishes_the_commune_of_a_single_person(database: Database) -> None:
    await write(database, Person("cassis", CASSIS, "60-74", paradoxes=SMALL_GROUP))
    assert {said(row) for row in (await export(database)).values()} == {("", "", MP, "60-74")}

    async with database.transaction() as repos:
        resident = (await repos.session.scalars(select(Resident))).one()
        await repos.residents.erase(resident)

    # The same single person's five answers, now without a resident: still one person in Cassis.
    assert {said(row) for row in (await export(database)).values()} == {("", "", MP, "60-74")}


async def test_the_retention_purge_keeps_each_resident_one_respondent(database: Database) -> None:
    await write(
        database,
        Person("cassis", CASSIS, paradoxes=SMALL_GROUP),
        *(Person(f"aubagne {i}", AUBAGNE, paradoxes=2) for i in range(SMALL_GROUP)),
    )
    async with database.transaction() as repos:
        assert await repos.answers.unlink_all() == SMALL_GROUP + 2 * SMALL_GROUP
    async with database.session() as session:
        answers = (await session.scalars(select(Answer))).all()
    assert all(answer.resident_id is None for answer in answers)
    by_commune = {a.commune: {b.respondent for b in answers if b.commune == a.commune} for a in answers}
    assert len(by_commune[CASSIS]) == 1, "one person's answers share one respondent number"
    assert len(by_commune[AUBAGNE]) == SMALL_GROUP
    rows = await export(database)
    assert {said(row)[:2] for row in rows.values()} == {("", ""), (AUBAGNE, "Aubagne")}
    assert (await compute(database, CONTENT)).respondents == 1 + SMALL_GROUP


# 2. Respondents by territory, next to the population.


async def test_respondents_by_territory_next_to_the_population(database: Database) -> None:
    await write(
        database,
        *(Person(f"mp {i}", CASSIS if i % 2 else MARSEILLE_1) for i in range(10)),
        *(Person(f"pa {i}", AIX) for i in range(2)),
        *(Person(f"not said {i}") for i in range(6)),
        Person("outside", OUTSIDE),
    )

    stats = await compute(database, CONTENT)

    assert (stats.respondents, stats.answers) == (19, 19)
    assert [(g.key, g.respondents, g.suppressed) for g in stats.declared["territory"]] == [
        (MP, 10, False), (PA, 2, True), (PS, 0, True), (PAE, 0, True), (IOP, 0, True), (PM, 0, True),
        (OUTSIDE, 1, True), (NOT_SAID, 6, False),
    ]  # fmt: skip
    represented = stats.represented["territory"]
    # Known: the 12 who named a commune of the metropolis; total: all 19.
    assert (represented.known, represented.total) == (12, 19)
    assert represented.unknown == [Count(OUTSIDE, None), Count(NOT_SAID, 6)]
    rows = {row.group: row for row in represented.rows}
    assert list(rows) == [MP, PA, PS, PAE, IOP, PM]
    # Population shares: population / 1 939 077, e.g. Marseille-Provence 1 093 860 / 1 939 077.
    assert {group: row.population_share for group, row in rows.items()} == pytest.approx(shares(), abs=1e-9)
    assert rows[MP].population_share == pytest.approx(0.564113751)
    # Marseille-Provence: 10 of the 12 known, (10 / 12) / 0.564113751 = 1.4772434…: over-represented.
    mp = rows[MP]
    assert mp.respondents == 10
    assert mp.sample_share == pytest.approx(10 / 12)
    assert mp.ratio == pytest.approx((10 / 12) / shares()[MP], abs=1e-9)
    assert mp.ratio == pytest.approx(1.477243432)
    assert mp.under_represented is False
    # Pays d'Aix: 2 respondents, « < 5 »: neither count, share nor ratio. Its share is 0.2119, so
    # 1 respondent would give a ratio of (1/12) / 0.2119 = 0.39 (flagged) but 4 would give 1.57:
    # the flag would give the count away, it is left out.
    pa = rows[PA]
    assert (pa.respondents, pa.sample_share, pa.ratio, pa.under_represented) == (None, None, None, None)
    assert pa.suppressed
    # Nobody from the four other territories: 0, shown, ratio 0, flagged.
    for group in (PS, PAE, IOP, PM):
        assert (rows[group].respondents, rows[group].sample_share, rows[group].ratio) == (0, 0.0, 0.0)
        assert rows[group].under_represented is True

    text = as_text(table(stats, "Répondants par territoire"))
    assert text.splitlines()[0] == "Répondants par territoire"
    assert cells(text, "Marseille-Provence") == ["Marseille-Provence", "10", "83,3 %", "56,4 %", "1,48"]
    assert cells(text, "Pays d'Aix") == ["Pays d'Aix", SUPPRESSED, "—", "21,2 %", "—"]
    assert cells(text, "Pays Salonais") == ["Pays Salonais", "0", "0,0 %", "7,7 %", "0,00", "⚠"]
    assert cells(text, "Hors de la métropole") == ["Hors de la métropole", SUPPRESSED]
    assert cells(text, "Non renseigné") == ["Non renseigné", "6"]


# 3. The value ranking weighted by territory.


async def test_weighting_by_territory_turns_the_ranking_over(database: Database) -> None:
    # Pays d'Aix answered in numbers and prefers innovation; Marseille-Provence, three times as
    # many people, sent fewer respondents and prefers fraternité; Pays de Martigues sent one.
    await write(
        database,
        *(Person(f"mp {i}", CASSIS, ranking=",".join(FRATERNITE_FIRST)) for i in range(4)),
        *(Person(f"pa {i}", AIX, ranking=",".join(INNOVATION_FIRST)) for i in range(6)),
        Person("pm", MARTIGUES, ranking=",".join(FRATERNITE_FIRST)),
        *(Person(f"not said {i}", ranking=",".join(INNOVATION_FIRST)) for i in range(2)),
        Person("outside", OUTSIDE, ranking=",".join(INNOVATION_FIRST)),
    )

    stats = await compute(database, CONTENT)

    # Unweighted: 5 ballots fraternité first, 9 innovation first (14 respondents).
    # Borda (4 points for first … 0 for last): fraternité 4·5 + 3·9 = 47, innovation 3·5 + 4·9 = 51.
    assert stats.overall is not None
    assert stats.overall.borda == {
        "innovation": 51, "ouverture": 28, "fraternite": 47, "responsabilite": 14, "authenticite": 0,
    }  # fmt: skip
    assert stats.overall.borda_ranking[0] == ("innovation",)
    assert stats.overall.condorcet_winner == "innovation"

    # Weighted: n_known = 11 (4 + 6 + 1); the three territories with respondents cover
    # (1 093 860 + 410 916 + 70 275) / 1 939 077 of the population; shares renormalised over them:
    #   w_mp = (1 093 860 / 1 575 051) / (4 / 11) = 1.909852…  (4 ballots: 7.639410)
    #   w_pa = (  410 916 / 1 575 051) / (6 / 11) = 0.478299…  (6 ballots: 2.869797)
    #   w_pm = (   70 275 / 1 575 051) / (1 / 11) = 0.490794…
    # and the 3 who did not say or live outside weigh 1. Weighted ballots:
    #   fraternité first: 4·w_mp + w_pm = 8.130203, innovation first: 6·w_pa + 3 = 5.869797 (sum 14)
    # Borda: fraternité 4·8.130203 + 3·5.869797 = 50.130203, innovation 3·8.130203 + 4·5.869797 =
    # 47.869797, ouverture 2·14 = 28, responsabilité 14, authenticité 0.
    share = shares()
    covered = share[MP] + share[PA] + share[PM]
    known = 11
    expected_weights = {
        MP: share[MP] / covered / (4 / known),
        PA: share[PA] / covered / (6 / known),
        PM: share[PM] / covered / (1 / known),
        OUTSIDE: 1.0,
        NOT_SAID: 1.0,
    }
    assert expected_weights[MP] == pytest.approx(1.909852443)
    assert expected_weights[PA] == pytest.approx(0.478299433)
    assert expected_weights[PM] == pytest.approx(0.490793631)
    fraternite_first = 4 * expected_weights[MP] + expected_weights[PM]
    innovation_first = 6 * expected_weights[PA] + 3
    assert fraternite_first == pytest.approx(8.130203403)
    assert innovation_first == pytest.approx(5.869796597)

    assert stats.weighted is not None
    weighting = stats.weighted.weighting
    assert weighting.weights == pytest.approx(expected_weights)
    assert weighting.missing == (PS, PAE, IOP)
    assert weighting.covered_share == pytest.approx(1_575_051 / 1_939_077)
    # Kish: (Σw)² / Σw² = 14² / (4·w_mp² + 6·w_pa² + w_pm² + 3) = 196 / 19.301… ≈ 10.15
    squares = 4 * expected_weights[MP] ** 2 + 6 * expected_weights[PA] ** 2 + expected_weights[PM] ** 2 + 3
    assert weighting.effective_respondents == pytest.approx(14**2 / squares)

    ranking = stats.weighted.ranking
    assert ranking.ballots == pytest.approx(14)
    assert ranking.borda == pytest.approx(
        {
            "innovation": 3 * fraternite_first + 4 * innovation_first,
            "ouverture": 28.0,
            "fraternite": 4 * fraternite_first + 3 * innovation_first,
            "responsabilite": 14.0,
            "authenticite": 0.0,
        },
        abs=1e-6,
    )
    assert ranking.borda["fraternite"] == pytest.approx(50.130203, abs=1e-6)
    assert ranking.borda["innovation"] == pytest.approx(47.869797, abs=1e-6)
    assert ranking.borda_ranking[0] == ("fraternite",)
    assert ranking.borda_ranking == [
        ("fraternite",), ("innovation",), ("ouverture",), ("responsabilite",), ("authenticite",),
    ]  # fmt: skip
    assert ranking.condorcet_winner == "fraternite"

    t = words("fr")
    text = as_text(table(stats, "Classement des valeurs, brut et pondéré par territoire"))
    fraternite = t.content("Fraternité & solidarité")
    innovation = t.content("Innovation & audace")
    # Value, Borda rank, weighted Borda rank, Schulze rank, weighted Schulze rank.
    assert cells(text, fraternite) == [fraternite, "2", "1", "2", "1"]
    assert cells(text, innovation) == [innovation, "1", "2", "1", "2"]
    missing = "Pays Salonais, Pays d'Aubagne et de l'Étoile, Istres-Ouest Provence"
    assert (
        t._("Aucun répondant de : {groups} ; la pondération ne peut pas le corriger.", groups=missing) in text
    )


# 4. Respondents by age, next to the population.


async def test_respondents_by_age_next_to_the_population(database: Database) -> None:
    await write(
        database,
        *(Person(f"15-29 {i}", age="15-29") for i in range(25)),
        *(Person(f"30-44 {i}", age="30-44") for i in range(25)),
        *(Person(f"45-59 {i}", age="45-59") for i in range(5)),
        *(Person(f"60-74 {i}", age="60-74") for i in range(5)),
        *(Person(f"not said {i}") for i in range(2)),
    )

    stats = await compute(database, CONTENT)

    assert [(g.key, g.respondents) for g in stats.declared["age"]] == [
        ("0-14", 0), ("15-29", 25), ("30-44", 25), ("45-59", 5), ("60-74", 5), ("75-plus", 0), (NOT_SAID, 2),
    ]  # fmt: skip
    represented = stats.represented["age"]
    assert (represented.known, represented.total) == (60, 62)
    # Under 15 is counted apart: respondents are compared with the population aged 15 and over.
    assert represented.unknown == [Count("0-14", 0), Count(NOT_SAID, None)]
    rows = {row.group: row for row in represented.rows}
    assert list(rows) == ["15-29", "30-44", "45-59", "60-74", "75-plus"]
    # Shares: INSEE's counts of the bands from 15 on, over their sum (1 898 560 - 334 470 = 1 564 090).
    bands = {band.id: band.share for band in PLACES.age_bands if band.low >= 15}
    population = {band: share / sum(bands.values()) for band, share in bands.items()}
    assert {band: row.population_share for band, row in rows.items()} == pytest.approx(population, abs=1e-9)
    assert rows["45-59"].population_share == pytest.approx(373_383 / 1_564_090)
    # 45-59: 5 of 60 = 0.0833 against 0.2387 of those aged 15 and over: ratio 0.3491, flagged.
    assert rows["45-59"].ratio == pytest.approx((5 / 60) / (373_383 / 1_564_090))
    assert rows["45-59"].ratio == pytest.approx(0.349081, abs=1e-6)
    assert rows["45-59"].under_represented is True
    # 60-74: the same 5 of 60 against 0.1971: ratio 0.4228, also under by more than a half.
    assert rows["60-74"].ratio == pytest.approx(0.422765, abs=1e-6)
    assert rows["60-74"].under_represented is True
    # 15-29: 25 of 60 = 0.4167 against 0.2181: ratio 1.9103.
    assert rows["15-29"].ratio == pytest.approx(1.910310, abs=1e-6)
    assert rows["15-29"].under_represented is False
    # Nobody aged 75 and over: flagged.
    assert (rows["75-plus"].ratio, rows["75-plus"].under_represented) == (0.0, True)

    t = words("fr")
    text = as_text(table(stats, "Répondants par âge"))
    assert cells(text, t._("{low} à {high} ans", low=45, high=59)) == [
        "45 à 59 ans",
        "5",
        "8,3 %",
        "23,9 %",
        "0,35",
        "⚠",
    ]
    assert cells(text, t._("{low} à {high} ans", low=60, high=74)) == [
        "60 à 74 ans",
        "5",
        "8,3 %",
        "19,7 %",
        "0,42",
        "⚠",
    ]
    assert cells(text, t._("Non renseigné")) == ["Non renseigné", SUPPRESSED]
