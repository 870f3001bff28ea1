"""Cohort analytics: one profile of a cohort (stored predictions in SQL, or the active model's
training data in pandas), drawn by the analytics page and served by the API's /analytics views.

cohort.py filters, stats.py bins and correlations, stored.py and frame.py the two stores,
profile.py the profile, density.py the pair scatter, views.py the API's views."""

from services.analytics.cohort import Cohort, group_names, make_cohort, value_field
from services.analytics.density import pair_density
from services.analytics.profile import cohort_profile
from services.analytics.views import correlations, features, levels, summary

__all__ = [
    "Cohort",
    "cohort_profile",
    "correlations",
    "features",
    "group_names",
    "levels",
    "make_cohort",
    "pair_density",
    "summary",
    "value_field",
]
