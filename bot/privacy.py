"""The privacy notice residents accept before anything about them is stored."""

from __future__ import annotations

from bot.content import Content
from bot.dialogs.screen import h
from bot.i18n import Translator

NOTICE_VERSION = "2026-12-01.1"
"""Change it whenever the notice's substance changes."""


def privacy_notice(t: Translator, content: Content) -> str:
    """The notice in one screen: what is stored, why, for how long, and the resident's rights."""
    return "\n\n".join(
        [
            t._("<b>Vos données</b>"),
            t._(
                "<b>Ce qui est enregistré :</b> votre identifiant Telegram, votre langue, "
                "vos réponses (paradoxe, habitant choisi, métropole idéale, classement des "
                "valeurs) et le lien ou l’affiche par lequel vous êtes arrivé ; si vous "
                "voulez bien les donner, votre commune et votre tranche d’âge ; si vous le "
                "choisissez, votre souhait montré sans votre nom à d’autres habitants après "
                "relecture, et les avis que vous donnez sur les leurs."
            ),
            t._(
                "<b>Pourquoi :</b> nourrir la synthèse des ateliers du projet métropolitain. "
                "Les réponses sont analysées sans votre nom ni votre identifiant Telegram."
            ),
            t._(
                "<b>Un seul rappel :</b> si vous laissez une réponse en cours, je vous le "
                "rappelle une fois, en journée ; « Ne plus me relancer » ou /stop l’évitent."
            ),
            t._(
                "<b>Combien de temps :</b> jusqu’à la fin de la consultation ; ensuite, vos "
                "réponses ne sont plus reliées à vous."
            ),
            t._(
                "<b>Vos droits :</b> /mydata vous envoie tout ce qui est enregistré sur vous ; "
                "/forget l’efface et retire vos souhaits partagés (vos réponses restent, sans "
                "plus aucun lien avec vous, avec "
                "la commune, le territoire et la tranche d’âge que vous aviez indiqués ; une "
                "commune où moins de cinq personnes ont répondu n’est jamais publiée). Pour "
                "toute autre demande, écrivez à {email}. Responsable : {organiser}.",
                email=h(content.consultation.contact_email),
                organiser=h(t.content(content.consultation.organiser)),
            ),
        ]
    )
