"""Composition of the Flask server: configuration, factory, security, CLI."""
