"""Importing learner activity: parse the platform's files (formats) and keep it per day (store)."""

from services.ingest.outcomes import OutcomesReport, import_outcomes
from services.ingest.runs import ImportReport
from services.ingest.store import FORMATS, import_file, write_chunks

__all__ = ["FORMATS", "ImportReport", "OutcomesReport", "import_file", "import_outcomes", "write_chunks"]
