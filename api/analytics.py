"""The analytics resource (administrators): the aggregates the analytics page draws."""

from __future__ import annotations

from flask import Blueprint
from flask_jwt_extended import current_user

from api.contract import operation
from api.schemas.analytics import AnalyticsQuery, CorrelationsOut, FeaturesOut, LevelsOut, SummaryOut
from services import analytics

bp = Blueprint("analytics", __name__, url_prefix="/analytics")


@bp.get("/summary")
@operation(auth="admin", query=AnalyticsQuery, response=SummaryOut, tags=("analytics",))
def summary(query: AnalyticsQuery):
    """KPIs over stored predictions: counts, students, this week, high-risk share, active models."""
    return analytics.summary(current_user, query.filters())


@bp.get("/<task:task>/levels")
@operation(auth="admin", query=AnalyticsQuery, response=LevelsOut, errors=(404,), tags=("analytics",))
def levels(task: str, query: AnalyticsQuery):
    """Stored predictions per level (or risk level) and per day."""
    return analytics.levels(current_user, task, query.filters())


@bp.get("/<task:task>/features")
@operation(auth="admin", query=AnalyticsQuery, response=FeaturesOut, errors=(404,), tags=("analytics",))
def features(task: str, query: AnalyticsQuery):
    """Distribution of every field, and averages or shares by level group."""
    return {"fields": analytics.features(current_user, task, query.source, query.filters())}


@bp.get("/<task:task>/correlations")
@operation(auth="admin", query=AnalyticsQuery, response=CorrelationsOut, errors=(404,), tags=("analytics",))
def correlations(task: str, query: AnalyticsQuery):
    """Correlations between the numeric fields and the prediction (or the target, for training data)."""
    return analytics.correlations(current_user, task, query.source, query.filters())
