"""The dialog engine: routes a resident's input to the current step and applies its move."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.dialogs.screen import Screen
from bot.dialogs.steps import (
    FLOW,
    STEPS,
    Confirm,
    DialogContext,
    Done,
    GoTo,
    Move,
    Redraw,
    Reject,
    Step,
    StepName,
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
    """The declared steps and the order of the flow; all dialog state lives in ``DialogState``."""

    def __init__(self, steps: Iterable[Step] = STEPS, flow: tuple[StepName, ...] = FLOW) -> None:
        self._steps = {step.name: step for step in steps}
        self._flow = flow

    def step(self, ctx: DialogContext) -> Step:
        return self._steps[StepName(ctx.state.step)]

    def screen(self, ctx: DialogContext) -> Screen:
        return self.step(ctx).screen(ctx)

    @staticmethod
    def in_progress(ctx: DialogContext) -> bool:
        return ctx.state.step != StepName.IDLE

    def begin(self, ctx: DialogContext, paradox_id: str) -> Screen:
        """Open a paradox: a new draft answer starts with its presentation."""
        self._clear(ctx, StepName.PARADOX)
        ctx.state.paradox_id = paradox_id
        return self.screen(ctx)

    def reset(self, ctx: DialogContext) -> None:
        """Drop the draft and go back to idle."""
        self._clear(ctx, StepName.IDLE)

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
        if isinstance(move, Confirm):
            return Result(move, None)
        if isinstance(move, GoTo):
            state.step = move.step
        elif isinstance(move, Done):
            state.step = self._next(ctx)
        screen = self.screen(ctx)
        if isinstance(move, Done):
            screen = screen.with_notice(f"✓ {move.echo}")
        assert isinstance(move, Redraw | Done | GoTo)
        return Result(move, screen)

    def _next(self, ctx: DialogContext) -> StepName:
        if ctx.state.return_to_summary:
            ctx.state.return_to_summary = False
            return StepName.SUMMARY
        return self._flow[self._flow.index(StepName(ctx.state.step)) + 1]

    @staticmethod
    def _clear(ctx: DialogContext, step: StepName) -> None:
        state = ctx.state
        state.version += 1
        state.step = step
        state.paradox_id = None
        state.persona_id = None
        state.persona_page = 0
        state.persona_detail = None
        state.wish = None
        state.ranking = ""
        state.return_to_summary = False
