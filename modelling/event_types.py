"""The seven types of learner activity event, declared once for every layer."""

EVENT_TYPES = ("navigate", "access", "page_close", "problem", "video", "discussion", "wiki")
