"""Modelling: calibration, synthetic default data and fidelity checks."""
