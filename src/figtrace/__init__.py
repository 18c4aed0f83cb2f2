"""figtrace: every number in the ledger traced to its exact passage in hashed source bytes."""

__version__ = "0.1.0"
