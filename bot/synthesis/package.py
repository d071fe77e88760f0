"""``fabrique-bot package synthesis.zip``: what the synthesis is built from, in one zip file that
it can cite.

The package holds the workbook, the CSV, the report and its charts, the themes' files (the
codebook used, the staff corrections if any, the themes of each wish when they were computed)
and ``manifest.json``: each file's SHA-256 and size, the export time (UTC), the content's
version (:func:`bot.content.content_version`), the program's version, the themes' settings.
Every file is made from the same answers: those confirmed before the export time.

Each file is written to a folder beside the package, then copied into the zip a block at a time
while its SHA-256 is computed, so memory stays flat however many answers there are (the
workbook streams, see :mod:`bot.synthesis.workbook`). The zip is written under a temporary name
and renamed once complete: a package at the given path is always whole.

The files are :data:`PARTS`: adding one (the votes, say) is one line there.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import IO, Any

from bot.clock import PARIS
from bot.config import Settings
from bot.content import Content, content_version
from bot.i18n import I18n, Translator
from bot.storage import Database
from bot.synthesis.export import Exporter, ExportFilter
from bot.synthesis.report import Report, build_report
from bot.themes.answers import write as write_wishes
from bot.themes.codebook import codebook_path
from bot.themes.model import E5Embedder
from bot.themes.summary import Themes
from bot.themes.synthesis import ThemeRequest, ThemesOrNot, compute_themes

MANIFEST = "manifest.json"
BLOCK = 1 << 20
"""Bytes copied into the zip at a time."""
STORED = (".xlsx", ".png", ".zip")
"""Already compressed: stored as they are."""


@dataclass
class Build:
    """One package being made: where the answers come from, and what was computed once for
    several files."""

    database: Database
    content: Content
    settings: Settings
    t: Translator
    now: datetime
    """The export time (UTC): the files hold the answers confirmed before it."""
    themes: ThemesOrNot
    request: ThemeRequest | None
    answers: int = 0
    report: Report | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """What a part adds to the manifest."""

    @property
    def where(self) -> ExportFilter:
        return ExportFilter(until=self.now)

    @property
    def exporter(self) -> Exporter:
        return Exporter(self.database, self.content)


Write = Callable[[Build, IO[bytes]], Awaitable[object]]
Part = Callable[[Build, Path], Awaitable[list[str]]]
"""Writes some of the package's files into a folder; returns their names (``/`` separated)."""


def one(name: str, write: Write) -> Part:
    """A part of one file, ``name``, written by ``write`` to a binary file."""

    async def part(build: Build, folder: Path) -> list[str]:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as out:
            await write(build, out)
        return [name]

    return part


@contextmanager
def _text(out: IO[bytes], encoding: str = "utf-8") -> Iterator[IO[str]]:
    """``out`` as text, left open (the part that opened it closes it)."""
    wrapper = io.TextIOWrapper(out, encoding=encoding, newline="")
    try:
        yield wrapper
    finally:
        wrapper.flush()
        wrapper.detach()


async def _workbook(build: Build, out: IO[bytes]) -> None:
    from bot.synthesis.workbook import write_workbook  # xlsxwriter: only for a workbook

    build.answers = await write_workbook(
        out, build.exporter, build.where, build.t, build.now.astimezone(PARIS), themes=build.themes
    )


async def _csv(build: Build, out: IO[bytes]) -> None:
    with _text(out, "utf-8-sig") as text:
        await build.exporter.write(text, build.where)


async def _report(build: Build, folder: Path) -> list[str]:
    """The report, and its charts as the files ``fabrique-bot stats --charts`` writes."""
    report = await build_report(
        build.database, build.content, build.t, build.now.astimezone(PARIS), build.themes, build.where
    )
    (folder / "report.html").write_text(report.html, encoding="utf-8")
    (folder / "charts").mkdir(exist_ok=True)
    for chart in report.charts:
        (folder / "charts" / chart.name).write_bytes(chart.png)
    return ["report.html", *(f"charts/{chart.name}" for chart in report.charts)]


async def _themes(build: Build, folder: Path) -> list[str]:
    """The codebook (the one used, or the one that would be), the staff corrections if any, and
    the themes of each wish (as ``fabrique-bot themes --output`` writes them) when computed."""
    (folder / "themes").mkdir(exist_ok=True)
    request = build.request
    source = request.codebook_file if request else codebook_path(build.settings.content_dir)
    names = ["themes/codebook.yaml"]
    shutil.copyfile(source, folder / names[0])
    if request is not None and request.corrections_file is not None:
        names.append("themes/corrections.csv")
        shutil.copyfile(request.corrections_file, folder / names[-1])
    if isinstance(build.themes, Themes):
        names.append("themes/wishes.csv")
        with (folder / names[-1]).open("w", encoding="utf-8-sig", newline="") as out:
            write_wishes(build.themes, out)
    return names


PARTS: Sequence[Part] = (
    one("answers.xlsx", _workbook),
    one("answers.csv", _csv),
    _report,
    _themes,
)
"""The package's files, in the zip's order."""


def program_version() -> str:
    """The installed package's version (its metadata), or « unknown » when run from sources
    that were never installed."""
    try:
        return version("fabrique-bot")
    except PackageNotFoundError:
        return "unknown"


def _themes_manifest(build: Build) -> dict[str, Any]:
    themes = build.themes
    if not isinstance(themes, Themes):
        return {"computed": False, "why": themes.why.value, "how": themes.line(I18n("en")("en"))}
    request = build.request
    assert request is not None
    return {
        "computed": True,
        "model": E5Embedder().name,  # computed: the extra is there
        "codebook": "themes/codebook.yaml",
        "corrections": "themes/corrections.csv" if request.corrections_file else None,
        "threshold": themes.threshold,
        "wishes": len(themes.records),
        "unclassified": themes.unclassified,
        "corrections_applied": themes.corrections_applied,
    }


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def manifest(build: Build, files: list[dict[str, Any]]) -> dict[str, Any]:
    """What the package holds and what it was made from."""
    content, digests = content_version(build.settings.content_dir)
    return {
        "package": "fabrique-bot synthesis",
        "exported_at": _utc(build.now),
        "program": {"name": "fabrique-bot", "version": program_version()},
        "content": {
            "version": f"sha256:{content}",
            "how": "SHA-256 of `sha256sum` of the content files, in the order of their names",
            "files": digests,
        },
        "consultation": build.content.consultation.name,
        "language": build.t.language,
        "answers": {
            "count": build.answers,
            "confirmed_before": _utc(build.now),
        },
        "themes": _themes_manifest(build),
        **build.extra,
        "files": files,
    }


def _member(name: str, moment: datetime) -> zipfile.ZipInfo:
    """A file of the zip, dated (Paris time, as zip files have no zone) and readable by all."""
    info = zipfile.ZipInfo(name, date_time=moment.astimezone(PARIS).timetuple()[:6])
    info.compress_type = zipfile.ZIP_STORED if name.endswith(STORED) else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def _add(archive: zipfile.ZipFile, source: Path, info: zipfile.ZipInfo) -> dict[str, Any]:
    """Copy a file into the zip a block at a time; its SHA-256 and size, for the manifest."""
    digest = hashlib.sha256()
    size = 0
    with source.open("rb") as data, archive.open(info, "w", force_zip64=True) as member:
        while block := data.read(BLOCK):
            digest.update(block)
            size += len(block)
            member.write(block)
    return {"path": info.filename, "sha256": digest.hexdigest(), "size": size}


async def write_package(
    path: Path,
    database: Database,
    content: Content,
    settings: Settings,
    t: Translator,
    now: datetime,
    request: ThemeRequest | None,
    parts: Sequence[Part] = PARTS,
) -> Build:
    """Write the package to ``path`` (whole or not at all); returns what was built. ``request``
    asks for the themes (None: left out, and the files say so)."""
    where = ExportFilter(until=now)
    themes = await compute_themes(database, content, request, where)
    build = Build(database, content, settings, t, now, themes, request)
    with tempfile.TemporaryDirectory(prefix=f".{path.name}.", dir=path.parent) as staging:
        names = [name for part in parts for name in await part(build, Path(staging))]
        _zip(path, Path(staging), names, build)
    return build


def _zip(path: Path, staging: Path, names: list[str], build: Build) -> None:
    """The zip of the staged files and their manifest, under a temporary name, then renamed."""
    handle, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(handle, "wb") as out, zipfile.ZipFile(out, "w", allowZip64=True) as archive:
            files = [_add(archive, staging / name, _member(name, build.now)) for name in names]
            text = json.dumps(manifest(build, files), ensure_ascii=False, indent=2) + "\n"
            archive.writestr(_member(MANIFEST, build.now), text.encode("utf-8"))
        os.chmod(partial, 0o666 & ~_umask())  # as a file opened for writing would be
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
