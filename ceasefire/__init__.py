"""ceasefire: a ceasefire Joint Implementation Centre in software.

It holds an agreement as code, takes in what happens on the ground, and says — with evidence —
whether the ceasefire holds, who broke which term where, where the clock stands, and whether aid
gets through.  It monitors and verifies; it never plans, nominates or scores targets.
"""

from ceasefire.agreements import load_agreement
from ceasefire.compliance.clock import build_clock, status_at
from ceasefire.compliance.engine import Finding, evaluate, evaluate_all
from ceasefire.errors import CeasefireError
from ceasefire.model.actors import ActorRegistry
from ceasefire.model.incidents import Incident
from ceasefire.store import Store

__all__ = [
    "ActorRegistry",
    "CeasefireError",
    "Finding",
    "Incident",
    "Store",
    "build_clock",
    "evaluate",
    "evaluate_all",
    "load_agreement",
    "status_at",
]

__version__ = "0.1.0"
