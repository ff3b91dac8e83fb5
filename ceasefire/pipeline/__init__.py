"""News → evidence: a pipeline that is data.

Stages are registered under versioned names (``ceasefire.clean.v1``), declare what they require
and assign, and are listed with their arguments in a config file
(``ceasefire/data/pipeline/news.yaml``).  Records are frozen; a stage takes the batch of documents
and returns a new one.  Failures are data: a document a stage cannot handle is quarantined with
the stage, a code and the reason, and the run goes on.
"""
