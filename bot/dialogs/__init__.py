"""The resident dialog: declared steps (``steps``), the engine that runs them (``dialog``)."""

from bot.dialogs.dialog import ResidentDialog, Result
from bot.dialogs.screen import Button, Screen, h
from bot.dialogs.steps import DialogContext, Previous, StepName

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
