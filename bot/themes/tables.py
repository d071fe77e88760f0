"""The themes as titled tables (:class:`bot.synthesis.stats.Table`), in the reader's language:
what ``fabrique-bot themes`` prints, and what the report can render."""

from __future__ import annotations

from bot.content import Content
from bot.i18n import N_, Translator
from bot.personas import NO_PERSONA
from bot.places import OUTSIDE, Places, load_places
from bot.synthesis.export import SMALL_GROUP
from bot.synthesis.stats import SUPPRESSED, Table
from bot.themes.codebook import UNCLASSIFIED
from bot.themes.summary import NOT_SAID, Group, Share, Themes

TITLES = {
    "paradox": N_("Thèmes par paradoxe"),
    "persona": N_("Thèmes par habitant choisi"),
    "territory": N_("Thèmes par territoire"),
}


def theme_label(t: Translator, themes: Themes, theme_id: str) -> str:
    theme = themes.codebook.theme(theme_id)
    return t.content(theme.label) if theme else t._("À classer")


def group_label(t: Translator, content: Content, places: Places, dimension: str, key: str) -> str:
    if dimension == "paradox":
        return key
    if dimension == "persona":
        persona = content.persona(key)
        return t._("Aucun d’entre eux") if key == NO_PERSONA else (persona.name if persona else key)
    if key == NOT_SAID:
        return t._("Non renseigné")
    if key == OUTSIDE:
        return t._("Hors de la métropole")
    territory = places.territory(key)
    return territory.name if territory else key


def _ordered(content: Content, places: Places, dimension: str, groups: list[Group]) -> list[Group]:
    """Groups in the content's order (paradoxes, personas then « none », territories then
    « outside » and « not said »), any other key after them."""
    declared = {
        "paradox": [p.id for p in content.paradoxes],
        "persona": [p.id for p in content.personas] + [NO_PERSONA],
        "territory": [t.id for t in places.territories] + [OUTSIDE, NOT_SAID],
    }[dimension]
    rank = {key: index for index, key in enumerate(declared)}
    return sorted(groups, key=lambda g: (rank.get(g.key, len(rank)), g.key))


def _cell(t: Translator, share: Share, group: Group) -> str:
    if group.suppressed or share.suppressed:
        return SUPPRESSED
    return t.percent(share.share or 0.0)


def tables(themes: Themes, content: Content, t: Translator, places: Places | None = None) -> list[Table]:
    """The overall shares, one table per breakdown, the quotes and the candidate themes."""
    places = places or load_places()
    ids = (*themes.codebook.ids, UNCLASSIFIED)
    overall = themes.overall
    small = t._("« {suppressed} » : moins de {n} répondants.", n=SMALL_GROUP, suppressed=SUPPRESSED)
    shares = Table(
        t._("Thèmes des souhaits"),
        ("", t._("Souhaits"), t._("Part des souhaits")),
        [
            (
                theme_label(t, themes, theme),
                SUPPRESSED
                if overall.suppressed or overall.shares[theme].suppressed
                else t.number(overall.shares[theme].answers),
                _cell(t, overall.shares[theme], overall),
            )
            for theme in ids
        ],
        " ".join(
            (
                t.ngettext("{n} souhait.", "{n} souhaits.", len(themes.records)),
                t._("Un souhait peut relever de deux thèmes : les parts ne font pas 100 %."),
                t._("Corrections de l’équipe appliquées : {n}.", n=t.number(themes.corrections_applied)),
                small,
            )
        ),
    )
    result = [shares]
    for dimension, unordered in themes.breakdowns.items():
        groups = _ordered(content, places, dimension, unordered)
        headers = ("", *(group_label(t, content, places, dimension, g.key) for g in groups))
        rows = [
            (t._("Souhaits"), *(SUPPRESSED if g.suppressed else t.number(g.answers) for g in groups)),
            *(
                (theme_label(t, themes, theme), *(_cell(t, g.shares[theme], g) for g in groups))
                for theme in ids
            ),
        ]
        result.append(Table(t._(TITLES[dimension]), headers, rows, small))
    quotes: list[tuple[str, ...]] = [
        (theme_label(t, themes, theme) if n == 0 else "", f"« {quote.text} »", quote.paradox,
         group_label(t, content, places, "persona", quote.persona) if quote.persona else "—")
        for theme in themes.codebook.ids
        for n, quote in enumerate(themes.quotes.get(theme, ()))
    ]  # fmt: skip
    result.append(
        Table(
            t._("Souhaits représentatifs de chaque thème"),
            ("", t._("Souhait"), t._("Paradoxe"), t._("Habitant choisi")),
            quotes,
            t._(
                "Cités tels quels. L’habitant n’est pas nommé quand moins de {n} répondants l’ont "
                "choisi pour ce paradoxe ; aucun souhait d’un thème ou d’un paradoxe de moins de {n} "
                "répondants n’est cité.",
                n=SMALL_GROUP,
            ),
        )
    )
    candidates: list[tuple[str, ...]] = []
    for candidate in themes.candidates:
        examples = [f"« {quote.text} »" for quote in candidate.examples] or [""]
        candidates.append((", ".join(candidate.words) or "—", t.number(candidate.answers), examples[0]))
        candidates.extend(("", "", example) for example in examples[1:])
    result.append(
        Table(
            t._("Thèmes candidats, parmi les souhaits à classer"),
            (t._("Mots caractéristiques"), t._("Souhaits"), t._("Exemples")),
            candidates,
            t._(
                "Des souhaits à classer qui se ressemblent : nommez-les et ajoutez-les au codebook "
                "s’ils forment un thème."
            )
            if candidates
            else t._("Aucun groupe de souhaits à classer ne se dégage."),
        )
    )
    return result
