"""The commands residents see in Telegram's menu and in /help."""

from bot.i18n import N_

RESIDENT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("commencer ou reprendre")),
    ("paradoxes", N_("choisir un paradoxe")),
    ("agenda", N_("le calendrier de la consultation")),
    ("language", N_("changer de langue")),
    ("privacy", N_("vos données et vos droits")),
    ("cancel", N_("abandonner la réponse en cours")),
    ("help", N_("l’aide")),
)
