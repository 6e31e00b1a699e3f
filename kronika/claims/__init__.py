"""Numeric claims about casualties and attacks, as a source stated them (issue 21).

`extract_claims(text)` finds each figure ("at least 27 killed", "за словами ОВА, 16 людей
госпіталізовано") with its category, qualifier, speaker and character span. A claim is what a source
said, never a verified fact. `extract_denials(text)` finds the statements without a figure that
deny one ("the ministry denied any missiles were launched"). How it works and how accurate it is: docs/claims.md.
"""
from kronika.claims.denials import Denial, extract_denials
from kronika.claims.extract import Claim, extract_claims

__all__ = ["Claim", "Denial", "extract_claims", "extract_denials"]
