"""Geography: the Syria gazetteer and name matching over running text."""

from ceasefire.geo.gazetteer import Gazetteer, GazetteerHit, Place, place_key, tokenise

__all__ = ["Gazetteer", "GazetteerHit", "Place", "place_key", "tokenise"]
