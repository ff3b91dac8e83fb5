"""The ACLED event type of an English article's main event, from its lead: a small linear model.

Features are the MiniLM embedding of the lead (:func:`ceasefire.pipeline.stories.lead_text`, the
vector the stories stage uses) and, per trigger pattern the model was trained with, whether the
lead matches it.  The patterns travel inside the model file, so a later change to the trigger
lexicon cannot silently feed the model features it never saw.  Weights are multinomial logistic
regression trained by ``bench/train_event_types.py`` on hand labels (``tests/data/
fakes_event_types.csv``, development split).

The file ships in the package (``ceasefire/data/models/event_types.v1.json``); :func:`load_event_model`
checks its SHA-256 before reading it, as :func:`ceasefire.pipeline.embeddings.load_minilm` does
for MiniLM, and refuses a file that does not match.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ceasefire.errors import ConfigError

__all__ = [
    "EVENT_MODEL_RESOURCE",
    "EXPECTED_SHA256",
    "EventTypeModel",
    "load_event_model",
    "model_path",
]

EVENT_MODEL_RESOURCE = "events.type_model"
MODEL_FILE = "event_types.v1.json"
# bench/train_event_types.py prints this after writing the file; retraining means updating it here
EXPECTED_SHA256 = "d4b07711d2357024a250d5ab1add7f6322eb7c76a9c1254302137ac420d475ec"


@dataclass(frozen=True)
class EventTypeModel:
    """Types, the trigger patterns of the lexicon features, and the weights (features × types)."""

    types: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    weights: npt.NDArray[np.float64]
    bias: npt.NDArray[np.float64]

    def features(self, lead: str, vector: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """The lead's embedding followed by one 0/1 per trigger pattern it matches."""
        hits = [1.0 if p.search(lead) else 0.0 for p in self.patterns]
        return np.concatenate([vector.astype(np.float64), np.array(hits, dtype=np.float64)])

    def probabilities(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Softmax over :attr:`types` for one feature row."""
        scores = features @ self.weights + self.bias
        scores = np.exp(scores - scores.max())
        return np.asarray(scores / scores.sum(), dtype=np.float64)

    def predict(self, lead: str, vector: npt.NDArray[np.float32]) -> tuple[str, float]:
        """(type, probability) of the lead's main event."""
        p = self.probabilities(self.features(lead, vector))
        best = int(np.argmax(p))
        return self.types[best], float(p[best])


def model_path() -> Path:
    """Where the packaged model file is."""
    return Path(str(resources.files("ceasefire") / "data" / "models" / MODEL_FILE))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_event_model(path: Path | None = None, expected: str | None = None) -> EventTypeModel:
    """The verified model: a missing file, another SHA-256 or a malformed body is a ConfigError."""
    path = path or model_path()
    expected = expected or EXPECTED_SHA256
    if not path.is_file():
        raise ConfigError(f"The event-type model file {path} is missing; reinstall ceasefire.")
    actual = _sha256(path)
    if actual != expected:
        raise ConfigError(
            f"The event-type model file {path} has SHA-256 {actual}, expected {expected}; refusing "
            "to load it. Reinstall ceasefire, or retrain with bench/train_event_types.py and "
            "update EXPECTED_SHA256 in ceasefire/pipeline/event_model.py."
        )
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        types = tuple(str(t) for t in data["types"])
        patterns = tuple(re.compile(rf"\b(?:{p})\b", re.I) for p in data["patterns"])
        weights = np.array(data["weights"], dtype=np.float64)
        bias = np.array(data["bias"], dtype=np.float64)
    except (ValueError, KeyError, TypeError, re.error) as exc:
        raise ConfigError(f"The event-type model file {path} cannot be read: {exc}.") from exc
    rows = int(data.get("dimensions", -1)) + len(patterns)
    if weights.shape != (rows, len(types)) or bias.shape != (len(types),):
        raise ConfigError(
            f"The event-type model file {path} has weights of shape {weights.shape} for "
            f"{len(types)} types."
        )
    return EventTypeModel(types, patterns, weights, bias)
