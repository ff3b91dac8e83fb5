"""The built-in stages. Importing this package registers them, exactly as a plugin would."""

import ceasefire.pipeline.actors
import ceasefire.pipeline.claims
import ceasefire.pipeline.clean
import ceasefire.pipeline.dates
import ceasefire.pipeline.events
import ceasefire.pipeline.places
import ceasefire.pipeline.stories
import ceasefire.pipeline.syndication  # noqa: F401
