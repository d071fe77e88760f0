"""What residents made of each other's wishes: votes per wish, opinion groups and consensus.

Reads the votes on published wishes (a resident forgotten by the retention purge keeps one
respondent number, so they stay one participant) and analyses them as Pol.is does
(:mod:`bot.synthesis.opinions`). The wishes quoted are published ones, as residents saw them,
with their paradox and persona; never who wrote or voted. Each analysis — ``fabrique-bot
stats``, ``/stats``, the report, the workbook — keeps each wish's extremity in the database,
where the dealer reads it to offer divisive wishes more often.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from bot.content import Content
from bot.dialogs.text import shorten
from bot.i18n import Translator
from bot.storage import Database
from bot.storage.deliberation import APPROVED
from bot.storage.models import SharedWish, Vote
from bot.synthesis.export import SMALL_GROUP, SUPPRESSED
from bot.synthesis.opinions import Counts, Opinions, Representative, analyse

log = logging.getLogger(__name__)
QUOTED = 90
"""A wish is quoted up to this many characters in the tables (the workbook has it whole)."""
MOST_VOTED = 20
SEED = 2017
"""The analysis is seeded: the same votes always give the same groups."""


@dataclass(frozen=True)
class Published:
    """A published wish, as residents saw it."""

    text: str
    paradox_id: str
    persona_id: str


@dataclass(frozen=True)
class Deliberation:
    wishes: dict[int, Published]
    opinions: Opinions


async def deliberation(database: Database, *, remember: bool = True) -> Deliberation:
    """Every vote on a published wish, analysed. Each wish's extremity is kept in the database
    for the dealer, which offers divisive wishes more often (unless not to ``remember``, or the
    database cannot be written: the analysis is given all the same)."""
    voter = func.coalesce(Vote.resident_id, Vote.respondent)
    query = (
        select(voter, Vote.wish_id, Vote.value)
        .join(SharedWish, SharedWish.id == Vote.wish_id)
        .where(SharedWish.state == APPROVED, voter.is_not(None))
    )
    async with database.reading() as session:
        votes = [(int(p), int(w), int(v)) for p, w, v in (await session.execute(query)).all()]
        rows = await session.execute(
            select(SharedWish.id, SharedWish.text, SharedWish.paradox_id, SharedWish.persona_id).where(
                SharedWish.state == APPROVED
            )
        )
        wishes = {wish: Published(text, paradox, persona) for wish, text, paradox, persona in rows.all()}
    opinions = analyse(votes, seed=SEED)
    if remember:
        await remember_extremity(database, opinions)
    return Deliberation(wishes, opinions)


async def remember_extremity(database: Database, opinions: Opinions) -> bool:
    """Keep each wish's extremity from this analysis, for the dealer; False (and a warning) when
    the database cannot be written (a read-only copy, a lock held too long)."""
    try:
        async with database.transaction() as repos:
            await repos.deliberation.remember_extremity(opinions.extremity, datetime.now(UTC))
    except DBAPIError as exc:
        log.warning("the wishes' extremity could not be kept for routing: %s", type(exc.orig).__name__)
        return False
    return True


def _quote(text: str) -> str:
    return f"« {shorten(text, QUOTED)} »"


def _share(t: Translator, part: int, counts: Counts) -> str:
    return f"{t.number(part)} ({t.percent(part / counts.seen)})" if counts.seen else "0"


def group_name(index: int) -> str:
    """Groups are named A, B, C… (largest first)."""
    return chr(ord("A") + index)


def rows(t: Translator, content: Content, result: Deliberation) -> list[tuple[str, ...]]:
    """The most voted published wishes: agree, disagree and pass, each with its share."""
    counts = result.opinions.counts
    ranked = sorted(counts, key=lambda wish: (-counts[wish].seen, wish))[:MOST_VOTED]
    lines: list[tuple[str, ...]] = []
    for wish_id in ranked:
        wish, tally = result.wishes.get(wish_id), counts[wish_id]
        if wish is None:
            continue
        paradox = content.paradox(wish.paradox_id)
        number = content.paradoxes.index(paradox) + 1 if paradox else ""
        lines.append(
            (
                _quote(wish.text),
                str(number),
                _share(t, tally.agree, tally),
                _share(t, tally.disagree, tally),
                _share(t, tally.passed, tally),
                t.number(tally.seen),
            )
        )
    return lines


def groups(t: Translator, result: Deliberation) -> list[tuple[str, ...]] | None:
    """Each opinion group, its size and the wishes that set it apart; None while a group has
    fewer than SMALL_GROUP participants."""
    opinions = result.opinions
    if not opinions.shown:
        return None
    lines: list[tuple[str, ...]] = []
    for group in opinions.groups:
        for index, representative in enumerate(group.representatives or (None,)):
            wish = result.wishes.get(representative.wish) if representative else None
            stance = _stance(t, representative) if representative else ""
            lines.append(
                (
                    group_name(group.id) if index == 0 else "",
                    t.number(group.size) if index == 0 else "",
                    _quote(wish.text) if wish else "—",
                    stance,
                )
            )
    return lines


def _stance(t: Translator, representative: Representative) -> str:
    """How the group sees the wish: the share of its voters agreeing (or not), « < 5 » when too
    few of them voted on it to show a share."""
    if representative.n_trials < SMALL_GROUP:
        share = SUPPRESSED
    else:
        share = t.percent(representative.n_success / representative.n_trials)
    if representative.stance == "agree":
        return t._("d’accord : {share}", share=share)
    return t._("pas d’accord : {share}", share=share)


def consensus(t: Translator, result: Deliberation) -> list[tuple[str, ...]] | None:
    """The wishes a majority of every group agrees with, each group's share of agreement."""
    opinions = result.opinions
    if not opinions.shown:
        return None
    lines: list[tuple[str, ...]] = []
    for agreed in opinions.consensus:
        wish = result.wishes.get(agreed.wish)
        if wish is None:
            continue
        shares = " · ".join(
            f"{group_name(n)} {t.percent(c.agree / c.seen) if c.seen >= SMALL_GROUP else SUPPRESSED}"
            for n, c in enumerate(agreed.by_group)
        )
        lines.append((_quote(wish.text), shares))
    return lines


def note(t: Translator, result: Deliberation) -> str:
    opinions = result.opinions
    if opinions.shown:
        return t._(
            "Groupes d’opinion calculés comme Pol.is : {placed} participants ayant donné au moins "
            "{votes} avis, analyse en composantes principales, k-moyennes.",
            placed=t.number(opinions.placed),
            votes=t.number(opinions.min_votes),
        )
    return t._(
        "Pas encore de groupes d’opinion : il faut au moins {n} participants dans chaque groupe.",
        n=SMALL_GROUP,
    )
