"""Importing learner activity: parse the platform's files (formats) and keep it per day (store)."""
