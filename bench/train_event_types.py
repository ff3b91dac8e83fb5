"""Train the event-type model (``ceasefire/data/models/event_types.v1.json``) from hand labels.

    .venv/bin/python -m bench.train_event_types [--check]

Training data: the development split of ``tests/data/fakes_event_types.csv`` and of
``tests/data/fakes_tolls_dates.csv`` (ids and labels; the texts are read from the shared FA-KES
file).  Held-out rows are never read here.  Each article is cleaned by the pipeline's clean
stage (all labelled articles in one batch, as ``bench/eval_event_types.py`` runs them); its lead
(:func:`ceasefire.pipeline.stories.lead_text`) is embedded with the packaged MiniLM, and the
features are that vector plus one 0/1 per English trigger pattern of the lexicon.  The model is
multinomial logistic regression fitted by full-batch gradient descent from zero weights (no
randomness): the same labels give the same file, byte for byte.  The script prints the 10-fold
cross-validated accuracy on the development rows, then the file's SHA-256, which goes into
``EXPECTED_SHA256`` in ``ceasefire/pipeline/event_model.py``.  ``--check`` writes nothing and
fails if the packaged file differs from what training gives.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import re
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from ceasefire.pipeline.embeddings import embed, load_minilm
from ceasefire.pipeline.event_model import EventTypeModel, model_path
from ceasefire.pipeline.events import TRIGGERS
from ceasefire.pipeline.records import Document
from ceasefire.pipeline.runner import default_config, run_pipeline
from ceasefire.pipeline.stories import lead_text

ROOT = Path(__file__).resolve().parent.parent
FAKES = ROOT.parent / "shared/data/news/fa_kes_syrian_war_news.csv.gz"
LABEL_FILES = (ROOT / "tests/data/fakes_event_types.csv", ROOT / "tests/data/fakes_tolls_dates.csv")
TZ = ZoneInfo("Asia/Damascus")
TYPES = (
    "Battles",
    "Explosions/Remote violence",
    "Violence against civilians",
    "Strategic developments",
)
L2 = 1e-3
STEPS = 1000
RATE = 0.5


def labels(split: str) -> list[tuple[str, str]]:
    """(unit_id, event type) of the split ("dev", "heldout" or "all") in both label files; rows
    labelled only for their toll (blank type) are skipped."""
    out = []
    for path in LABEL_FILES:
        with path.open(encoding="utf-8") as fh:
            out += [(r["unit_id"], r["event_type"]) for r in csv.DictReader(fh)
                    if r["event_type"] and (split == "all" or r["split"] == split)]  # fmt: skip
    return out


def fakes_rows() -> dict[str, dict[str, str]]:
    with gzip.open(FAKES, "rt", encoding="utf-8") as fh:
        return {r["unit_id"]: r for r in csv.DictReader(fh)}


def documents(ids: list[str], rows: dict[str, dict[str, str]]) -> list[Document]:
    """The articles as the pipeline takes them, published at noon of the FA-KES date."""
    docs = []
    for unit_id in ids:
        row = rows[unit_id]
        month, day, year = (int(x) for x in row["date"].split("/"))
        docs.append(Document(id=unit_id, source=row["source"], published=datetime(year, month, day, 12, tzinfo=TZ),
                             published_precision="day", title=row["article_title"], raw=row["article_content"]))  # fmt: skip
    return docs


def cleaned_leads(ids: list[str]) -> list[str]:
    """The lead of each article after the pipeline's clean stage (all labelled articles at once)."""
    everyone = sorted({unit_id for unit_id, _ in labels("all")})
    config = default_config()
    clean = replace(config, stages=config.stages[:1])
    result = run_pipeline(documents(everyone, fakes_rows()), clean, errors="strict")
    by_id = {doc.id: doc for doc in result.documents}
    return [lead_text(by_id[unit_id]) for unit_id in ids]


def fit(x: npt.NDArray[np.float64], y: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:  # fmt: skip
    """Multinomial logistic regression, L2, full-batch gradient descent from zero."""
    n, d = x.shape
    w = np.zeros((d, len(TYPES)))
    b = np.zeros(len(TYPES))
    target = np.eye(len(TYPES))[y]
    for _ in range(STEPS):
        scores = x @ w + b
        scores -= scores.max(axis=1, keepdims=True)
        p = np.exp(scores)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - target) / n
        w -= RATE * (x.T @ grad + L2 * w)
        b -= RATE * grad.sum(axis=0)
    return w, b


def cross_validated(x: npt.NDArray[np.float64], y: npt.NDArray[np.int64], folds: int = 10) -> float:
    """Accuracy of fits on 9/10 of the rows predicting the other tenth (rows dealt in turn)."""
    hits = 0
    for fold in range(folds):
        test = np.arange(fold, len(y), folds)
        train = np.setdiff1d(np.arange(len(y)), test)
        w, b = fit(x[train], y[train])
        hits += int(((x[test] @ w + b).argmax(axis=1) == y[test]).sum())
    return hits / len(y)


def model_json() -> tuple[str, float]:
    """(file text, cross-validated development accuracy)."""
    rows = labels("dev")
    ids = [unit_id for unit_id, _ in rows]
    leads = cleaned_leads(ids)
    vectors = embed(load_minilm(), leads)
    patterns = [p for p, _, _ in TRIGGERS]
    shape = EventTypeModel(TYPES, tuple(re.compile(rf"\b(?:{p})\b", re.I) for p in patterns),
                           np.zeros((0, 0)), np.zeros(0))  # fmt: skip
    x = np.stack([shape.features(lead, v) for lead, v in zip(leads, vectors, strict=True)])
    y = np.array([TYPES.index(t) for _, t in rows], dtype=np.int64)
    accuracy = cross_validated(x, y)
    w, b = fit(x, y)
    body = {
        "about": "ACLED type of an English article's main event; bench/train_event_types.py",
        "types": list(TYPES),
        "dimensions": int(vectors.shape[1]),
        "patterns": patterns,
        "trained_on": len(ids),
        "weights": [[round(float(v), 6) for v in row] for row in w],
        "bias": [round(float(v), 6) for v in b],
    }
    return json.dumps(body, separators=(",", ":")) + "\n", accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the packaged file")
    args = parser.parse_args()
    text, accuracy = model_json()
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    print(f"10-fold cross-validated accuracy on the development rows: {accuracy:.3f}")
    path = model_path()
    if args.check:
        same = path.is_file() and path.read_text(encoding="utf-8") == text
        print(f"{path}: {'identical' if same else 'DIFFERS'} (trained SHA-256 {digest})")
        sys.exit(0 if same else 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}\nSHA-256 {digest}")


if __name__ == "__main__":
    main()
