"""The commands residents and staff see in Telegram's menu and in /help."""

from bot.i18n import N_

RESIDENT_COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("commencer ou reprendre")),
    ("paradoxes", N_("choisir un paradoxe")),
    ("agenda", N_("le calendrier de la consultation")),
    ("language", N_("changer de langue")),
    ("privacy", N_("vos données et vos droits")),
    ("avis", N_("donner votre avis sur les souhaits d’autres habitants")),
    ("partage", N_("choisir quels souhaits montrer aux autres habitants")),
    ("resultats", N_("voir où vous vous situez dans les résultats")),
    ("profile", N_("votre commune et votre âge, à changer")),
    ("mydata", N_("recevoir tout ce qui est enregistré sur vous")),
    ("forget", N_("effacer vos données")),
    ("cancel", N_("abandonner la réponse en cours")),
    ("stop", N_("ne plus recevoir les annonces")),
    ("subscribe", N_("recevoir les annonces des prochaines étapes")),
    ("help", N_("l’aide")),
)

STAFF_COMMANDS: tuple[tuple[str, str], ...] = (
    ("broadcast", N_("préparer une annonce")),
    ("broadcasts", N_("annonces récentes et programmées")),
    ("export", N_("exporter les réponses (CSV)")),
    ("stats", N_("les chiffres de la consultation")),
    ("moderate", N_("relire les souhaits partagés")),
)
