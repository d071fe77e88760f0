"""``/mydata``: everything stored about a resident, readable in one message and whole as JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from bot.dialogs import Screen, StepName, h
from bot.dialogs.context import Value
from bot.dialogs.question import Question, Reader
from bot.dialogs.text import shorten
from bot.i18n import Translator
from bot.services.replies import MAX_TEXT, Attachment, Reply, shown_length
from bot.storage import DialogState, Repositories, Resident

SUMMARY_WISH = 300
"""A wish is shown up to this many characters in the summary (the file has it all)."""
SUMMARY_TITLE = 80
VOTE_NAMES = {1: "agree", -1: "disagree", 0: "pass"}
"""Votes as the file names them."""


def profile_of(resident: Resident) -> dict[str, Value]:
    """What the resident said of themselves, by question id (a question once asked has a key)."""
    loaded = json.loads(resident.profile or "{}")
    return loaded if isinstance(loaded, dict) else {}


async def personal_data(
    repos: Repositories, resident: Resident, state: DialogState, reader: Reader, questions: Sequence[Question]
) -> Reply:
    """The summary and the JSON file of everything stored about ``resident``."""
    t, content = reader.t, reader.content
    answers = await repos.answers.of(resident)
    profile = profile_of(resident)
    shared = await repos.deliberation.shared(resident)
    votes = await repos.deliberation.votes(resident)
    reminders = await repos.reminders.of(resident)
    data = {
        "telegram_id": resident.telegram_id,
        "language": resident.language,
        "consent_version": resident.consent_version,
        "consented_at": resident.consented_at.isoformat(),
        "subscribed_to_announcements": resident.subscribed,
        "reminders_of_unfinished_answers": resident.reminders,
        "source": state.source,
        "message_with_buttons": state.keyboard_message_id,
        "profile": profile,
        "answer_in_progress": {"step": state.step, "paradox": state.paradox_id,
                               "draft": json.loads(state.draft or "{}")}
        if state.step != StepName.IDLE
        else None,
        "answers": [
            {"paradox": a.paradox_id, **{q.id: q.restored(a) for q in questions},
             "submitted_at": a.submitted_at.isoformat(), "source": a.source}
            for a in answers
        ],
        "shared_wishes": [{"paradox": w.paradox_id, "wish": w.text, "state": w.state}
                          for w in shared.values()],
        "votes": [{"wish": w.text, "paradox": w.paradox_id, "vote": VOTE_NAMES[v.value],
                   "voted_at": v.voted_at.isoformat()} for v, w in votes],
        "reminders": [{"paradox": r.paradox_id, "sent_at": _moment(r.sent_at),
                       "resumed_at": _moment(r.resumed_at), "completed_at": _moment(r.completed_at)}
                      for r in reminders],
    }  # fmt: skip
    said = [
        t._(q.summary, value=h(q.widget.shown(reader, profile[q.id])))
        for q in questions
        if q.once and profile.get(q.id) is not None
    ]
    head = [
        t._("<b>Ce qui est enregistré sur vous</b>"),
        t._("Accord donné le {date} (notice {version}).", date=t.datetime(resident.consented_at),
            version=h(resident.consent_version)),
        t._("Annonces : oui.") if resident.subscribed else t._("Annonces : non."),
        t._("Rappel d’une réponse laissée en cours : oui.") if resident.reminders
        else t._("Rappel d’une réponse laissée en cours : non."),
        *said,
        t._("Souhaits partagés : {shared} ; avis donnés sur ceux des autres : {votes}.",
            shared=t.number(len(shared)), votes=t.number(len(votes))),
        t.ngettext("{n} réponse :", "{n} réponses :", len(answers)),
    ]  # fmt: skip
    entries = []
    for answer in answers:
        paradox = content.paradox(answer.paradox_id)
        title = t.content(paradox.title) if paradox else answer.paradox_id
        entries.append(
            f"• <b>{h(shorten(title, SUMMARY_TITLE))}</b> — {h(shorten(answer.wish, SUMMARY_WISH))}"
        )
    text = _fitting(t, head, entries, t._("Le fichier joint contient tout, au format JSON."))
    document = json.dumps(data, ensure_ascii=False, indent=2).encode()
    return Reply(send=[Screen(text)], files=[Attachment("document", "mes-donnees-fabrique.json", document)])


def _moment(moment: datetime | None) -> str | None:
    """A moment in ISO 8601, or None."""
    return moment.isoformat() if moment is not None else None


def _fitting(t: Translator, head: list[str], entries: list[str], tail: str) -> str:
    """``head``, as many ``entries`` as fit in one Telegram message, a line counting those left
    out, then ``tail``."""
    kept = len(entries)
    while True:
        left = len(entries) - kept
        more = (
            [t.ngettext("… et {n} autre, dans le fichier.", "… et {n} autres, toutes dans le fichier.", left)]
            if left
            else []
        )
        text = "\n".join([*head, *entries[:kept], *more]) + "\n\n" + tail
        if kept == 0 or shown_length(text) <= MAX_TEXT:
            return text
        kept -= 1
