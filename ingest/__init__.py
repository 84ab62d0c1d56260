"""Article extraction engine: citable figures and direct quotes from news text (no Slack, no database)."""

from ingest.extract import Extraction, FigureCandidate, QuoteCandidate, extract, value_display

__all__ = ["Extraction", "FigureCandidate", "QuoteCandidate", "extract", "value_display"]
