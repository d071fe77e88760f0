"""Write the place files the bot ships (``communes.csv``, ``territories.csv``,
``outside_postal_codes.csv``, ``SOURCES.md``) from the official Etalab/INSEE data.

Run from the repository's root::

    python -m bot.places.extract <unpacked npm package> <amp-territories.csv> [<output folder>]

where the package is ``@etalab/decoupage-administratif`` (``npm pack
@etalab/decoupage-administratif@6.0.0 && tar xzf etalab-*.tgz`` gives a ``package/`` folder) and the
CSV assigns each of the metropolis' communes to its territory (the copy beside this file,
``bot/places/amp-territories.csv``, is the one to pass).

To refresh for a later vintage: ``npm pack`` the package's newer version (its README maps years to
versions), re-run the command, check the changes with ``git diff bot/places`` (a commune that
joined or left the metropolis makes the script stop: update ``amp-territories.csv`` first), update
``PACKAGE_VERSION`` in ``tests/places/test_data.py`` and run ``pytest tests/places``.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLACES_DIR = Path(__file__).parent
METROPOLIS_SIREN = "200054807"
MARSEILLE = "13055"
ASSIGNMENT = "amp-territories.csv"
OUTPUTS = ("communes.csv", "territories.csv", "outside_postal_codes.csv", "SOURCES.md")
_KINDS = ("commune-actuelle", "arrondissement-municipal")


class ExtractError(Exception):
    """The inputs do not fit together: the message says what to check."""


@dataclass(frozen=True)
class _Row:
    code: str
    name: str
    territory: str
    postal_codes: tuple[str, ...]
    population: int
    parent: str


def slug(name: str) -> str:
    """``Pays d'Aubagne et de l'Étoile`` → ``pays-d-aubagne-et-de-l-etoile``."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def _csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _load_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExtractError(f"{path}: not found (is this the unpacked npm package?)") from None


def _vintage(package: Path, version: str) -> str:
    """The data year the package's README gives for ``version`` (« | 2026 | 6.0.0 | »)."""
    readme = (package / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"^\|\s*(\d{{4}})\s*\|\s*{re.escape(version)}\s*\|", readme, re.MULTILINE)
    if not match:
        raise ExtractError(f"{package / 'README.md'}: no year for version {version}")
    return match.group(1)


def build(package: Path, assignment: Path) -> dict[str, str]:
    """The content of each output file, by name."""
    meta = _load_json(package / "package.json")
    every = _load_json(package / "data" / "communes.json")
    known = {c["code"]: c for c in every if c.get("type") in _KINDS}
    epcis = _load_json(package / "data" / "epci.json")
    epci = next((e for e in epcis if e["code"] == METROPOLIS_SIREN), None)
    if epci is None:
        raise ExtractError(f"epci.json: no EPCI {METROPOLIS_SIREN}")
    territories, rows = _assigned(assignment, known, {m["code"] for m in epci["membres"]})
    codes = {row.code for row in rows}
    marseille = next(row for row in rows if row.code == MARSEILLE)
    arrondissements = [
        _row(c, marseille.territory, MARSEILLE) for c in known.values() if c.get("commune") == MARSEILLE
    ]
    if sum(a.population for a in arrondissements) != marseille.population:
        raise ExtractError("communes.json: Marseille's arrondissements do not add up to Marseille")
    rows = sorted(rows + arrondissements, key=lambda row: row.code)
    towns = [r for r in rows if not r.parent]
    population = {t: sum(r.population for r in towns if r.territory == t) for t in territories}
    outside = _shared_postal_codes(every, rows)
    year = _vintage(package, meta["version"])
    sources = SOURCES.format(
        package=meta["name"],
        version=meta["version"],
        year=year,
        census=int(year) - 3,
        communes=len(codes),
        arrondissements=len(arrondissements),
        total=_spaced(sum(population.values())),
        epci_total=_spaced(epci["populationMunicipale"]),
        shared=len(outside),
    )
    return {
        "communes.csv": _csv(
            ("code", "name", "territory", "postal_codes", "population", "parent"),
            ((r.code, r.name, r.territory, " ".join(r.postal_codes), r.population, r.parent) for r in rows),
        ),
        "territories.csv": _csv(
            ("id", "name", "population"), ((t, territories[t], population[t]) for t in territories)
        ),
        "outside_postal_codes.csv": _csv(
            ("postal_code", "outside_communes"), ((p, "; ".join(outside[p])) for p in sorted(outside))
        ),
        "SOURCES.md": sources,
    }


def _assigned(
    assignment: Path, known: dict[str, Any], members: set[str]
) -> tuple[dict[str, str], list[_Row]]:
    """The territories (slug → official name, in the CSV's order) and the communes' rows."""
    with assignment.open(encoding="utf-8", newline="") as handle:
        assigned = list(csv.DictReader(handle))
    territories: dict[str, str] = {}
    rows: list[_Row] = []
    for line, entry in enumerate(assigned, start=2):
        code, territory = entry["insee_code"], entry["territory"]
        commune = known.get(code)
        if commune is None or commune["type"] != "commune-actuelle":
            raise ExtractError(f"{assignment}:{line}: {code} is not a current commune in communes.json")
        if commune["nom"] != entry["commune"]:
            raise ExtractError(f"{assignment}:{line}: {code} is named {commune['nom']!r} in communes.json")
        territories.setdefault(slug(territory), territory)
        rows.append(_row(commune, slug(territory), ""))
    codes = {row.code for row in rows}
    if members != codes:
        raise ExtractError(
            f"{assignment}: the metropolis' members differ: missing {sorted(members - codes)}, "
            f"not members {sorted(codes - members)}"
        )
    if MARSEILLE not in codes:
        raise ExtractError(f"{assignment}: Marseille ({MARSEILLE}) is missing")
    return territories, rows


def _shared_postal_codes(every: list[dict[str, Any]], rows: list[_Row]) -> dict[str, list[str]]:
    """The metropolis' postal codes that communes outside it also have, with those communes."""
    ours = {p for r in rows for p in r.postal_codes}
    codes = {r.code for r in rows}
    outside: dict[str, list[str]] = {}
    for commune in every:
        if commune.get("type") not in _KINDS or commune["code"] in codes:
            continue
        for postal in commune.get("codesPostaux", []):
            if postal in ours:
                outside.setdefault(postal, []).append(f"{commune['code']} {commune['nom']}")
    return {postal: sorted(names) for postal, names in outside.items()}


def _spaced(number: int) -> str:
    return f"{number:,}".replace(",", " ")


def _row(commune: dict[str, Any], territory: str, parent: str) -> _Row:
    postal = tuple(sorted(commune.get("codesPostaux") or ()))
    if not postal:
        raise ExtractError(f"communes.json: {commune['code']} has no postal code")
    return _Row(commune["code"], commune["nom"], territory, postal, int(commune["population"]), parent)


SOURCES = """\
# Sources of the place files

Generated by `python -m bot.places.extract` (see its docstring to refresh); do not edit
`communes.csv`, `territories.csv` or `outside_postal_codes.csv` by hand.

- **Vintage**: npm package `{package}` version {version}, data year {year} (Etalab, Licence
  Ouverte). Its sources: INSEE's Code officiel géographique, the DGCL list of EPCI members,
  INSEE's legal populations, La Poste's official postal codes.
- **`communes.csv`**: the {communes} communes of the Métropole d'Aix-Marseille-Provence (EPCI
  SIREN {siren}, members from the package's `data/epci.json`), plus Marseille's {arrondissements}
  arrondissements municipaux (`parent` 13055; Marseille itself is kept as a row). `code`, `name`,
  `postal_codes` and `population` come from `data/communes.json`: the population is INSEE's
  *population municipale*, legal population of vintage {census} (in force on 1 January {year});
  Marseille's is the sum of its arrondissements'.
- **`territory`**: the commune's conseil de territoire, from `amp-territories.csv` (public
  administrative fact, the six former intercommunalities merged in 2016; no package carries it),
  as a slug of its name. Arrondissements belong to Marseille's territory.
- **`territories.csv`**: each territory's official name (as in `amp-territories.csv`) and the sum
  of its communes' populations: {total} inhabitants in all. The package's EPCI file gives the
  metropolis {epci_total} (`populationMunicipale` in `data/epci.json`, from the DGCL list, of another
  population vintage); it is not used.
- **`outside_postal_codes.csv`**: the {shared} postal codes of the metropolis that communes outside
  it share, with those communes, so a postal code alone never silently places someone inside.
- **`age_bands.yaml`** is not generated: its source is recorded in the file.
""".replace("{siren}", METROPOLIS_SIREN)


def main(argv: Sequence[str] | None = None) -> int:
    """``extract PACKAGE ASSIGNMENT [OUTPUT_DIR]``: write the files (into ``bot/places`` by default)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    package, assignment = Path(args[0]), Path(args[1])
    output = Path(args[2]) if len(args) == 3 else PLACES_DIR
    try:
        files = build(package, assignment)
    except (ExtractError, OSError, KeyError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, content in files.items():
        (output / name).write_text(content, encoding="utf-8", newline="")
    copy = output / ASSIGNMENT
    if assignment.resolve() != copy.resolve():
        copy.write_bytes(assignment.read_bytes())
    print(f"wrote {', '.join([*files, ASSIGNMENT])} in {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
