"""An export written by several processes at once, one slice of the answers each (consecutive in
the export's order, :meth:`Exporter.slices <bot.synthesis.export.Exporter.slices>`): reading the
rows and writing them as text holds Python's interpreter lock, so one process uses one core
however many the machine has. The first slice is written in this process into the file itself;
each other one in a forked process, into a temporary file beside it, appended in order once done
(``bench/README.md``: the CSV of a million answers in about half the time on two cores).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import shutil
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import TextIO

from bot.cores import cores
from bot.errors import OperatorError

PARALLEL_FROM = 50_000
"""Answers from which an export is cut into slices (below, starting a process costs more than it
saves)."""
MOST_PROCESSES = 4
WAKE_EVERY = 0.25
"""Seconds between two looks at the other processes' progress while waiting for them."""
SliceWriter = Callable[[int, TextIO, Callable[[int], object]], int]
"""Writes slice ``index`` to a file, calling ``progress`` with each batch's rows; returns the rows
written. In another process than the first, it opens the database anew."""


def processes(total: int, asked: int | None) -> int:
    """How many processes write an export of ``total`` answers: ``asked`` (``--jobs``), else one
    per core (at most :data:`MOST_PROCESSES`) from :data:`PARALLEL_FROM` answers on; one where
    processes cannot be forked."""
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    if asked is not None:
        return max(1, min(asked, total))
    if total < PARALLEL_FROM:
        return 1
    return max(1, min(cores(), MOST_PROCESSES))


class Slices:
    """The processes writing slices ``1 …`` of an export, forked on creation: create it before any
    thread starts (a progress bar's), and :meth:`finish` it after writing slice 0."""

    def __init__(self, count: int, beside: Path, write: SliceWriter) -> None:
        context = multiprocessing.get_context("fork")
        self._parts = [beside.with_name(f".{beside.name}.{index}.part") for index in range(1, count)]
        self._written = [context.Value("q", 0) for _ in self._parts]
        self._children: list[tuple[multiprocessing.process.BaseProcess, Connection]] = []
        self._remove()  # an earlier export's, stopped before its end (the children create theirs)
        try:
            for index, (part, written) in enumerate(zip(self._parts, self._written, strict=True), start=1):
                receive, send = context.Pipe(duplex=False)
                child = context.Process(target=_write_slice, args=(write, index, part, send, written))
                child.start()
                send.close()  # the child's end: the pipe reads as closed if the child dies
                self._children.append((child, receive))
        except BaseException:
            self.close()
            raise

    def done(self) -> int:
        """Answers the other processes have written so far."""
        return sum(int(written.value) for written in self._written)

    def finish(self, out: TextIO, progress: Callable[[int], object]) -> int:
        """Wait for each slice in order and append it to ``out``; returns their answers.
        ``progress`` is called with the other processes' answers as they write them."""
        shown = 0

        def show() -> None:
            nonlocal shown
            done = self.done()
            progress(done - shown)
            shown = done

        total = 0
        for (child, receive), part in zip(self._children, self._parts, strict=True):
            while not receive.poll(WAKE_EVERY):
                show()
            total += _outcome(receive, child)
            out.flush()
            with part.open("rb") as written:
                shutil.copyfileobj(written, out.buffer)
        show()
        return total

    def close(self) -> None:
        """Stop any process still writing and remove the temporary files."""
        for child, receive in self._children:
            if child.is_alive():
                child.kill()
            child.join()
            receive.close()
        self._remove()

    def _remove(self) -> None:
        for part in self._parts:
            with contextlib.suppress(IsADirectoryError):  # not an export's: left as it is
                part.unlink(missing_ok=True)


def _write_slice(
    write: SliceWriter, index: int, part: Path, send: Connection, written: Synchronized[int]
) -> None:
    """In a forked process: write slice ``index`` to ``part`` and send how it went."""

    def progress(rows: int) -> None:
        with written.get_lock():
            written.value += rows

    try:
        # "x": created here, never through a link someone left under its name
        with part.open("x", encoding="utf-8", newline="") as out:
            written_rows = write(index, out, progress)
        send.send(("ok", written_rows))  # once the file is closed: all of it on disk
    except OperatorError as exc:
        send.send(("mistake", str(exc)))
    except OSError as exc:  # the folder full, or the slice's file name taken
        send.send(
            (
                "mistake",
                f"cannot write {part.absolute()}: {exc.strerror or exc} (or run the export with --jobs 1)",
            )
        )
    except BaseException as exc:  # reported by the first process, without a traceback
        send.send(("unexpected", type(exc).__name__))


def _outcome(receive: Connection, child: multiprocessing.process.BaseProcess) -> int:
    """A slice's answers, or its error raised here."""
    try:
        kind, value = receive.recv()
    except EOFError:
        child.join()
        raise OperatorError(
            f"a process writing the export stopped (exit code {child.exitcode}): is memory short? "
            "Run the export again with --jobs 1"
        ) from None
    child.join()
    if kind == "mistake":
        raise OperatorError(value)
    if kind == "unexpected":
        raise SliceFailed(f"unexpected {value} in a process writing the export")
    if child.exitcode != 0:
        raise SliceFailed(f"a process writing the export ended with exit code {child.exitcode}")
    return int(value)


class SliceFailed(Exception):
    """An unexpected error in a process writing a slice, as one line naming its type (no
    traceback: it may hold a secret)."""
