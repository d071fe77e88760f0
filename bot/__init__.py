"""Fabrique: the Telegram bot of « La Fabrique du projet métropolitain » (Aix-Marseille-Provence)."""

__version__ = "0.1.0"
