"""The records that flow through the news pipeline, defined in :mod:`ceasefire.model.documents`.

News intake makes :class:`Document` objects too, and intake sits below the pipeline, so the records
live in the model layer; this module keeps the pipeline's name for them.
"""

from ceasefire.model.documents import (
    ActorMention,
    ClaimMention,
    DateMention,
    Document,
    EventMention,
    PlaceMention,
)

__all__ = [
    "ActorMention",
    "ClaimMention",
    "DateMention",
    "Document",
    "EventMention",
    "PlaceMention",
]
