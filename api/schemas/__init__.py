"""Request and response models of the API, declared once for validation and documentation."""
