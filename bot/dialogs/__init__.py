"""The resident dialog: declared questions (``questions``) asked through reusable widgets
(``widgets``), the steps around them (``steps``), and the engine that runs them (``dialog``)."""

from bot.dialogs.context import DialogContext, Previous
from bot.dialogs.dialog import ResidentDialog, Result
from bot.dialogs.screen import Button, Screen, h
from bot.dialogs.steps import StepName

__all__ = [
    "Button",
    "DialogContext",
    "Previous",
    "ResidentDialog",
    "Result",
    "Screen",
    "StepName",
    "h",
]
