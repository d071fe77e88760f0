"""The dialog engine: routes a resident's input to the current step and applies its move.

The flow is computed from the declared questions: the paradox, the questions asked with each
answer (those whose condition holds), the summary; after a confirmed answer, the questions
asked once per resident that they have not been asked yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.dialogs.context import Cast, Confirm, Deal, DialogContext, Done, GoTo, Move, Redraw, Reject
from bot.dialogs.question import Question
from bot.dialogs.questions import QUESTIONS
from bot.dialogs.screen import Screen
from bot.dialogs.steps import (
    IdleStep,
    ParadoxStep,
    ProfileStep,
    QuestionStep,
    Step,
    StepName,
    SummaryStep,
    VoteStep,
)


@dataclass(frozen=True)
class Result:
    """A move and the screen to show after it (none once the answer is confirmed)."""

    move: Move
    screen: Screen | None

    @property
    def changed(self) -> bool:
        return not isinstance(self.move, Reject)


class ResidentDialog:
    """The declared questions and the steps around them; all dialog state lives in ``DialogState``."""

    def __init__(self, questions: Sequence[Question] = QUESTIONS) -> None:
        self.questions = tuple(questions)
        self._steps: dict[str, Step] = {
            StepName.IDLE: IdleStep(),
            StepName.PARADOX: ParadoxStep(),
            StepName.SUMMARY: SummaryStep(self.answer_questions),
            StepName.PROFILE: ProfileStep(self.profile_questions),
            StepName.VOTE: VoteStep(),
        }
        self._steps.update((q.id, QuestionStep(q, self._heading)) for q in self.questions)

    def answer_questions(self, ctx: DialogContext) -> list[Question]:
        """The questions asked with each answer, in order, whose condition holds."""
        return [q for q in self.questions if not q.once and q.asked(ctx)]

    def profile_questions(self, ctx: DialogContext) -> list[Question]:
        """The questions asked once per resident whose condition holds."""
        return [q for q in self.questions if q.once and q.asked(ctx)]

    def _heading(self, ctx: DialogContext, question: Question) -> str:
        if question.once:
            flow = self.profile_questions(ctx)
            number, total = flow.index(question) + 1, len(flow)
            return ctx.t._("<b>Question facultative {number} sur {total}.</b>", number=number, total=total)
        flow = self.answer_questions(ctx)
        return ctx.t._(
            "<b>Question {number} sur {total}.</b>", number=flow.index(question) + 1, total=len(flow)
        )

    def step(self, ctx: DialogContext) -> Step:
        return self._steps.get(ctx.state.step) or self._steps[StepName.IDLE]

    def screen(self, ctx: DialogContext) -> Screen:
        return self.step(ctx).screen(ctx)

    @staticmethod
    def in_progress(ctx: DialogContext) -> bool:
        return ctx.state.step != StepName.IDLE

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def begin(self, ctx: DialogContext, paradox_id: str) -> Screen:
        """Open a paradox: a new draft answer starts with its presentation."""
        self._clear(ctx, StepName.PARADOX)
        ctx.state.paradox_id = paradox_id
        return self.screen(ctx)

    def reset(self, ctx: DialogContext) -> None:
        """Drop the draft and go back to idle."""
        self._clear(ctx, StepName.IDLE)

    def after_answer(self, ctx: DialogContext) -> None:
        """The answer is stored: ask what was never asked once per resident, or go idle."""
        self._clear(ctx, StepName.IDLE)
        pending = [q for q in self.profile_questions(ctx) if q.id not in ctx.profile]
        if pending:
            ctx.state.step = pending[0].id

    def open_profile(self, ctx: DialogContext) -> Screen:
        """``/profile``: the answers given once, each changeable; closing it resumes the answer."""
        self._aside(ctx, StepName.PROFILE, (StepName.PROFILE, *(q.id for q in self.profile_questions(ctx))))
        return self.screen(ctx)

    def open_votes(self, ctx: DialogContext) -> None:
        """Other residents' wishes to weigh, one card at a time; stopping resumes the answer.
        The service deals the card before the screen is drawn."""
        self._aside(ctx, StepName.VOTE, (StepName.VOTE,))

    @staticmethod
    def _aside(ctx: DialogContext, step: StepName, already: tuple[str, ...]) -> None:
        """Go to ``step``, remembering the step to resume unless it is one of ``already``."""
        state = ctx.state
        if state.step not in already:
            state.resume = state.step
        state.version += 1
        state.step = step
        state.return_to = None
        state.view = None

    def press(self, ctx: DialogContext, action: str, arg: str) -> Result:
        return self._apply(ctx, self.step(ctx).on_action(ctx, action, arg))

    def text(self, ctx: DialogContext, text: str) -> Result:
        return self._apply(ctx, self.step(ctx).on_text(ctx, text))

    def other(self, ctx: DialogContext) -> Result:
        return self._apply(ctx, self.step(ctx).on_other(ctx))

    def _apply(self, ctx: DialogContext, move: Move) -> Result:
        state = ctx.state
        if isinstance(move, Reject):
            return Result(move, self.screen(ctx).with_notice(move.message))
        state.version += 1
        if isinstance(move, Confirm | Cast | Deal):
            return Result(move, None)  # the service stores or deals, then draws the screen
        if isinstance(move, GoTo | Done):
            target = move.step if isinstance(move, GoTo) else self._next(ctx)
            if target in (StepName.IDLE, state.resume):
                state.resume = None
            state.step = target
            state.view = None
        screen = self.screen(ctx)
        if isinstance(move, Done):
            screen = screen.with_notice(f"✓ {move.echo}")
        assert isinstance(move, Redraw | Done | GoTo)
        return Result(move, screen)

    def _next(self, ctx: DialogContext) -> str:
        state = ctx.state
        question = self.question(state.step)
        if question is not None and question.once:
            ctx.profile[question.id] = ctx.draft.get(question.id)
            ctx.drop_draft(question.id)
        if state.return_to:
            target, state.return_to = state.return_to, None
            return target
        if question is not None and question.once:
            later = self.profile_questions(ctx)
            pending = [q for q in later[later.index(question) + 1 :] if q.id not in ctx.profile]
            return pending[0].id if pending else state.resume or StepName.IDLE
        flow = [StepName.PARADOX, *(q.id for q in self.answer_questions(ctx)), StepName.SUMMARY]
        return flow[flow.index(state.step) + 1] if state.step in flow else StepName.SUMMARY

    @staticmethod
    def _clear(ctx: DialogContext, step: StepName) -> None:
        state = ctx.state
        state.version += 1
        state.step = step
        state.paradox_id = None
        state.draft = None
        state.view = None
        state.return_to = None
        state.resume = None
        state.reminder_id = None  # a new answer may be reminded once
