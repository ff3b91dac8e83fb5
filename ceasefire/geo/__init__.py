"""Geography: the Syria gazetteer, name matching over running text, and OCHA admin units."""

from ceasefire.geo.admin import AdminUnit, AdminUnits, admin_units
from ceasefire.geo.gazetteer import Gazetteer, GazetteerHit, Place, place_key, tokenise

__all__ = [
    "AdminUnit",
    "AdminUnits",
    "Gazetteer",
    "GazetteerHit",
    "Place",
    "admin_units",
    "place_key",
    "tokenise",
]
