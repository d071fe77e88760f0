"""The consultation's questions, each declared once.

To add a question: declare it here with a widget (``Choice``, ``PlaceSearch``, ``FreeText``,
``Ranking``), add it to :data:`QUESTIONS` where it is asked, and translate its texts. Its answer
is kept in the answer's ``details`` unless it declares typed columns (``store``/``restore``,
which need a migration); the summary, ``/mydata``, the export and the statistics follow.
"""

from __future__ import annotations

from bot.dialogs.question import Breakdown, Column, Question, Reading
from bot.dialogs.widgets import (
    Choice,
    ChoiceTexts,
    FreeText,
    Item,
    PlaceSearch,
    Ranking,
    SearchTexts,
    TextTexts,
)
from bot.i18n import N_
from bot.personas import NO_PERSONA
from bot.places import OUTSIDE, load_places

WISH_MIN = 10
WISH_MAX = 1000
CONSULTED_FROM = 15
"""The age from which residents take part: respondents are compared with the population of
that age (younger respondents are counted apart)."""


def _personas(reading: Reading) -> list[Item]:
    t = reading.t
    return [
        Item(p.id, t.content(p.name), t.content(p.portrait), t.content(p.detail))
        for p in reading.content.personas
    ]


def _values(reading: Reading) -> list[Item]:
    t = reading.t
    return [Item(v.id, t.content(v.name), t.content(v.description)) for v in reading.content.values]


def _age_bands(reading: Reading) -> list[Item]:
    t = reading.t
    return [
        Item(
            band.id,
            t._("{low} ans et plus", low=band.low)
            if band.high is None
            else t._("Moins de {high} ans", high=band.high + 1)
            if band.low == 0
            else t._("{low} à {high} ans", low=band.low, high=band.high),
        )
        for band in reading.places.age_bands
    ]


def _persona_name(reading: Reading, persona_id: object) -> str:
    persona = reading.content.persona(str(persona_id))
    return persona.name if persona else ("Aucun" if persona_id == NO_PERSONA else "")


def _rank_columns(reading: Reading) -> list[Column]:
    def rank(value_id: str, name: str) -> Column:
        return Column(
            f"rank_{value_id}",
            lambda _, order: order.index(value_id) + 1 if value_id in (order or []) else None,
            header=N_("Rang : {value}"),
            description=N_("Le rang donné à la valeur « {value} », de 1 (la plus importante) au dernier."),
            subject=name,
        )

    def names(reading: Reading, order: object) -> str:
        return " > ".join((v.name if (v := reading.content.value(i)) else i) for i in order or [])  # type: ignore[attr-defined]

    ranking = Column(
        "ranking",
        names,
        header=N_("Classement"),
        description=N_("Les valeurs en toutes lettres, de la plus importante à la moins importante."),
    )
    return [*(rank(value.id, value.name) for value in reading.content.values), ranking]


def _commune_name(reading: Reading, code: object) -> str:
    commune = reading.places.commune(str(code))
    return commune.name if commune else ("Hors métropole" if code == OUTSIDE else "")


def _territories(reading: Reading) -> list[tuple[str, str]]:
    return [(territory.id, territory.name) for territory in reading.places.territories]


def _shares(populations: dict[str, int]) -> dict[str, float]:
    total = sum(populations.values())
    return {key: population / total for key, population in populations.items()}


def _bands(reading: Reading) -> list[tuple[str, str]]:
    return [(item.id, item.name) for item in _age_bands(reading)]


PERSONA = Question(
    id="persona",
    prompt=N_("De quel habitant vous sentez-vous le plus proche ?"),
    widget=Choice(
        _personas,
        ChoiceTexts(
            hint=N_(
                "Touchez un prénom pour le choisir, ou ℹ️ pour en savoir plus. "
                "Vous pouvez aussi taper son numéro (0 : aucun d’entre eux)."
            ),
            typed_hint=N_(
                "Pour choisir un habitant, touchez son prénom ou tapez son numéro, de 1 à {count} "
                "(0 : aucun d’entre eux)."
            ),
            chosen=N_("Habitant choisi : {name}"),
            gone=N_("Cet habitant ne fait plus partie de la liste."),
            pick=N_("Je choisis {name}"),
            back=N_("◀ Tous les habitants"),
            previous=N_("Comme la dernière fois : {name}"),
        ),
        none=Item(NO_PERSONA, N_("Aucun d’entre eux")),
    ),
    summary=N_("<b>Habitant :</b> {value}"),
    edit=N_("✏️ Habitant"),
    store=lambda value: {"persona_id": value},
    restore=lambda answer: answer.persona_id,
    columns=lambda _: [
        Column(
            "persona_id",
            lambda _, v: v,
            header=N_("Habitant"),
            description=N_(
                "L’habitant dont le résident se sent le plus proche (son identifiant ; none : aucun "
                "d’entre eux)."
            ),
        ),
        Column(
            "persona_name",
            _persona_name,
            header=N_("Prénom de l’habitant"),
            description=N_("Son prénom (« Aucun » : aucun d’entre eux)."),
        ),
    ],
    breakdowns=(
        Breakdown(
            "persona",
            N_("Habitants choisis"),
            key=lambda value: value,
            groups=lambda reading: [
                (item.id, item.name)
                for item in [*_personas(reading), Item(NO_PERSONA, reading.t._("Aucun d’entre eux"))]
            ],
        ),
    ),
)

WISH = Question(
    id="wish",
    prompt=N_("Projetez-vous en 2030. Complétez la phrase : « En 2030, ma métropole idéale est… »"),
    widget=FreeText(
        TextTexts(
            hint=N_("Écrivez votre réponse en un message, de {min} à {max} caractères."),
            current=N_("Votre réponse actuelle : « {wish} »"),
            keep=N_("Garder ma réponse"),
            kept=N_("Réponse conservée."),
            too_short=N_(
                "C’est un peu court : écrivez au moins {min} caractères pour décrire votre métropole idéale."
            ),
            too_long=N_(
                "C’est un peu long : {length} caractères pour {max} au plus. "
                "Raccourcissez votre texte et renvoyez-le."
            ),
            not_text=N_(
                "Ici, j’ai besoin d’un texte écrit : les messages vocaux, photos et "
                "autocollants ne peuvent pas être enregistrés comme réponse."
            ),
            noted=N_("Merci, c’est noté."),
        ),
        minimum=WISH_MIN,
        maximum=WISH_MAX,
    ),
    summary=N_("<b>En 2030, ma métropole idéale est…</b> {value}"),
    edit=N_("✏️ Métropole idéale"),
    store=lambda value: {"wish": value},
    restore=lambda answer: answer.wish,
    columns=lambda _: [
        Column(
            "wish",
            lambda _, v: v,
            header=N_("Métropole idéale en 2030"),
            description=N_(
                "La phrase du résident, telle qu’il l’a écrite : « En 2030, ma métropole idéale est… »."
            ),
            free_text=True,
        )
    ],
)

VALUES = Question(
    id="values",
    prompt=N_(
        "Classez les {count} valeurs de la métropole, de la plus importante à la moins importante pour vous."
    ),
    widget=Ranking(_values),
    summary=N_("<b>Vos valeurs :</b>\n{value}"),
    edit=N_("✏️ Valeurs"),
    store=lambda value: {"ranking": ",".join(value)},
    restore=lambda answer: answer.ranking.split(","),
    columns=_rank_columns,
)

COMMUNE = Question(
    id="commune",
    prompt=N_("Dans quelle commune habitez-vous ?"),
    widget=PlaceSearch(
        SearchTexts(
            hint=N_(
                "Tapez le nom de votre commune ou son code postal ; à Marseille, vous pouvez "
                "taper votre arrondissement (par exemple 13e ou 13013)."
            ),
            suggestions=N_("Laquelle est la vôtre ?"),
            not_found=N_(
                "Je ne trouve pas « {text} » parmi les communes de la métropole. Vérifiez "
                "l’orthographe, ou tapez le code postal."
            ),
            elsewhere=N_(
                "Ce code postal n’est pas celui d’une commune de la métropole. Si vous habitez "
                "ailleurs, touchez « {outside} »."
            ),
            chosen=N_("Commune : {name}"),
            outside=N_("Hors de la métropole"),
        ),
        outside=OUTSIDE,
    ),
    summary=N_("<b>Commune :</b> {value}"),
    edit=N_("✏️ Commune"),
    once=True,
    skippable=True,
    store=lambda code: {
        "commune": code,
        "territory": load_places().territory_of(code) if code else None,
    },
    restore=lambda answer: answer.commune,
    columns=lambda _: [
        Column(
            "commune",
            lambda _, code: code,
            guard="commune",
            header=N_("Code commune"),
            description=N_(
                "Le code Insee de la commune du résident (un arrondissement de Marseille a le sien ; "
                "hors : hors de la métropole), donné seulement si au moins {n} répondants la "
                "partagent, vide sinon ou s’il ne l’a pas dite."
            ),
        ),
        Column(
            "commune_name",
            _commune_name,
            guard="commune",
            header=N_("Commune"),
            description=N_("Le nom de la commune, donné aux mêmes conditions."),
        ),
        Column(
            "territory",
            lambda reading, code: reading.places.territory_of(code) if code else None,
            header=N_("Territoire"),
            description=N_(
                "Le territoire de la commune (son identifiant ; hors : hors de la métropole), donné "
                "dès que la commune est connue."
            ),
        ),
    ],
    breakdowns=(
        Breakdown(
            "territory",
            N_("Répondants par territoire"),
            key=lambda code: load_places().territory_of(code) if code else None,
            groups=_territories,
            population=lambda places: _shares({t.id: t.population for t in places.territories}),
        ),
    ),
)

AGE = Question(
    id="age",
    prompt=N_("Quel âge avez-vous ?"),
    widget=Choice(
        _age_bands,
        ChoiceTexts(
            hint=N_("Touchez votre tranche d’âge."),
            typed_hint=N_("Touchez votre tranche d’âge, ou tapez son numéro, de 1 à {count}."),
            chosen=N_("Tranche d’âge : {name}"),
            gone=N_("Cette tranche d’âge ne fait plus partie de la liste."),
        ),
    ),
    summary=N_("<b>Âge :</b> {value}"),
    edit=N_("✏️ Âge"),
    once=True,
    skippable=True,
    store=lambda band: {"age_band": band},
    restore=lambda answer: answer.age_band,
    columns=lambda _: [
        Column(
            "age_band",
            lambda _, band: band,
            header=N_("Tranche d’âge"),
            description=N_("La tranche d’âge du résident (celles de l’Insee), vide s’il ne l’a pas dite."),
        )
    ],
    breakdowns=(
        Breakdown(
            "age",
            N_("Répondants par âge"),
            key=lambda band: band,
            groups=_bands,
            population=lambda places: {b.id: b.share for b in places.age_bands if b.low >= CONSULTED_FROM},
        ),
    ),
)

QUESTIONS: tuple[Question, ...] = (PERSONA, WISH, VALUES, COMMUNE, AGE)
"""Asked in this order: with each answer, then once per resident (``once``)."""
