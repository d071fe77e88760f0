"""Tables. Times are stored in UTC; every column type is portable between SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime that comes back aware in UTC, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Resident(Base):
    """A Telegram user who accepted the privacy notice (nothing is stored for anyone else)."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    language: Mapped[str] = mapped_column(String(8))
    consent_version: Mapped[str] = mapped_column(String(32))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime())
    subscribed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    profile: Mapped[str | None] = mapped_column(Text, default=None)
    """The answers to the questions asked once (commune, age…), as JSON by question id."""
    reminders: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    """Whether the resident may be reminded of an answer left unfinished: no longer once they
    used /stop or « Ne plus me relancer »."""


class DialogState(Base):
    """Where a resident is in the dialog, and their draft answer.

    ``version`` grows with every change; buttons carry it, so a button from an earlier
    screen is recognised as stale. ``draft`` holds the answer in progress as JSON, by question
    id, and ``view`` what the current step shows (a page, a partial ranking…), so a new question
    needs no migration. ``keyboard_message_id`` is the one message whose buttons the resident
    can still use (their live keyboard): it loses them when another takes over.
    """

    __tablename__ = "dialog_states"

    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=0)
    step: Mapped[str] = mapped_column(String(16), default="idle")
    paradox_id: Mapped[str | None] = mapped_column(String(16), default=None)
    draft: Mapped[str | None] = mapped_column(Text, default=None)
    view: Mapped[str | None] = mapped_column(Text, default=None)
    return_to: Mapped[str | None] = mapped_column(String(16), default=None)
    """The step to go back to once the current one is answered (the summary, the profile)."""
    resume: Mapped[str | None] = mapped_column(String(16), default=None)
    """The step to resume once the profile, opened in the middle of an answer, is closed."""
    source: Mapped[str | None] = mapped_column(String(64), default=None)
    keyboard_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    remind_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None, index=True)
    """When the answer in progress, left untouched, is due for its reminder (none once reminded)."""
    reminder_id: Mapped[int | None] = mapped_column(Integer, default=None)
    """The reminder of the answer in progress, once one is scheduled: one per answer, never more."""


class Answer(Base):
    """A confirmed answer to one paradox. A resident has at most one per paradox."""

    __tablename__ = "answers"
    __table_args__ = (
        UniqueConstraint("resident_id", "paradox_id"),
        # What the census of the rankings reads instead of the answers (bot/storage/tallies.py).
        Index("ix_answers_ranking_persona_territory", "ranking", "persona_id", "territory"),
        Index("ix_answers_persona_resident", "persona_id", "resident_id", "ranking"),
        Index("ix_answers_territory_resident", "territory", "resident_id", "ranking"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    paradox_id: Mapped[str] = mapped_column(String(16))
    persona_id: Mapped[str] = mapped_column(String(16))
    wish: Mapped[str] = mapped_column(Text)
    ranking: Mapped[str] = mapped_column(String(200))
    commune: Mapped[str | None] = mapped_column(String(5), default=None, index=True)
    """The resident's commune when they answered (INSEE code, or ``hors``); it stays when the
    resident is forgotten, like the territory and the age band."""
    territory: Mapped[str | None] = mapped_column(String(32), default=None)
    age_band: Mapped[str | None] = mapped_column(String(8), default=None)
    respondent: Mapped[int | None] = mapped_column(BigInteger, default=None)
    """Set when the answer is unlinked from its resident: a random number the resident's answers
    share, so that they still count as one respondent in the statistics, tied to nobody."""
    details: Mapped[str | None] = mapped_column(Text, default=None)
    """Answers to declared questions without typed columns, as JSON by question id."""
    language: Mapped[str] = mapped_column(String(8))
    source: Mapped[str | None] = mapped_column(String(64))
    consent_version: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class SharedWish(Base):
    """A wish its author agreed to show, anonymously, to other residents: as written, once staff
    approve it. ``text`` is the wish as it was shared, so that votes are about exactly that;
    if the author changes their answer, this one is withdrawn and the new one waits for
    moderation. States: ``pending``, ``approved``, ``rejected`` (with a ``reason``),
    ``withdrawn``. A moderator holds a pending wish until ``claimed_until``, so that two
    moderators never read the same one at the same time."""

    __tablename__ = "shared_wishes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("answers.id", ondelete="SET NULL"), index=True, default=None
    )
    paradox_id: Mapped[str] = mapped_column(String(16))
    persona_id: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12), index=True)
    reason: Mapped[str | None] = mapped_column(String(16), default=None)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger, default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    shared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Vote(Base):
    """A resident's opinion of another resident's shared wish: agree (1), disagree (-1) or pass
    (0). Deleted with the resident (``/forget``); the retention purge unlinks it, keeping the
    random ``respondent`` number their answers got."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("wish_id", "resident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wish_id: Mapped[int] = mapped_column(ForeignKey("shared_wishes.id", ondelete="CASCADE"), index=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="CASCADE"), index=True, default=None
    )
    respondent: Mapped[int | None] = mapped_column(BigInteger, default=None)
    value: Mapped[int] = mapped_column(Integer)
    voted_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WishExtremity(Base):
    """How far a published wish separates opinions (Pol.is's comment extremity), as the last
    analysis of the votes found it (``bot.synthesis.deliberation``): the dealer offers divisive
    wishes more often (``bot.synthesis.opinions.next_wish``). One row per wish that analysis
    saw; a wish without a row counts as 0."""

    __tablename__ = "wish_extremities"

    wish_id: Mapped[int] = mapped_column(ForeignKey("shared_wishes.id", ondelete="CASCADE"), primary_key=True)
    extremity: Mapped[float] = mapped_column(Float)
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ThemeCount(Base):
    """A theme of the codebook as the last computation of the themes over every confirmed
    answer found it (``bot.themes.synthesis``): what ``/resultats`` shows of the themes without
    the model. One row per theme of that computation's codebook, all replaced at the next."""

    __tablename__ = "theme_counts"

    theme_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    label: Mapped[str] = mapped_column(String(80))
    """As the codebook wrote it then."""
    wishes: Mapped[int] = mapped_column(Integer)
    respondents: Mapped[int] = mapped_column(Integer)
    all_wishes: Mapped[int] = mapped_column(Integer)
    """The wishes the computation read, of every theme or none: the share's denominator."""
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Broadcast(Base):
    """A stage announcement written by staff, from draft to the last delivery."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    author_id: Mapped[int] = mapped_column(BigInteger, index=True)
    author_language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), index=True)
    draft_step: Mapped[str | None] = mapped_column(String(16), default=None)
    text_fr: Mapped[str | None] = mapped_column(Text, default=None)
    entities_fr: Mapped[str | None] = mapped_column(Text, default=None)
    text_en: Mapped[str | None] = mapped_column(Text, default=None)
    entities_en: Mapped[str | None] = mapped_column(Text, default=None)
    link_url: Mapped[str | None] = mapped_column(String(512), default=None)
    stage_id: Mapped[str | None] = mapped_column(String(32), default=None)
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    progress_chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    progress_message_id: Mapped[int | None] = mapped_column(Integer, default=None)
    total: Mapped[int] = mapped_column(Integer, default=0)


class Reminder(Base):
    """The one reminder of an answer a resident left unfinished, delivered through the broadcast
    engine (its delivery's ``reminder_id``). The button it carries is valid at ``version`` of the
    dialog. ``/forget`` and the retention purge cut ``resident_id``: the outcomes stay for the
    statistics, tied to nobody."""

    __tablename__ = "reminders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL"), index=True
    )
    paradox_id: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    left_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the resident last moved on in the answer."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    resumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When the resident came back to the answer: the reminder's button, or any step of it."""
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    """When the resident confirmed the answer."""


class Delivery(Base):
    """One announcement, or one reminder, to one resident; the sender works from these rows only.

    States: ``pending`` → ``claimed`` (reserved by a sender) → ``sending`` (request in flight)
    → ``sent``, ``blocked`` or ``failed``. After a crash, ``claimed`` rows go back to pending
    and a ``sending`` row is the one message whose outcome could not be known.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "resident_id"),
        Index("ix_deliveries_broadcast_state", "broadcast_id", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int | None] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="CASCADE"), unique=True, default=None
    )
    """Set for a reminder (its ``broadcast_id`` is empty)."""
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    sender: Mapped[str | None] = mapped_column(String(64), default=None)
    error: Mapped[str | None] = mapped_column(String(200), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class SenderLease(Base):
    """A broadcast sender that is alive until ``expires_at``; rows of dead senders are recovered."""

    __tablename__ = "sender_leases"

    sender: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AppSecret(Base):
    """A secret the bot generated for itself on first run (e.g. the pseudonym key)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
