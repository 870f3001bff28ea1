"""Models of a model version's fairness report."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Estimate(BaseModel):
    value: float | None = Field(description="The figure (null: it cannot be measured).")
    low: float | None = Field(description="Low end of its bootstrap 95% interval.")
    high: float | None = Field(description="High end of its bootstrap 95% interval.")


class GroupFigures(BaseModel):
    model_config = ConfigDict(extra="allow")  # the accuracy figure is named by the report's metric

    group: str
    size: int
    compared: bool = Field(description="Large enough to enter the gaps (at least `min_group` rows).")
    base_rate: Estimate = Field(description="Share whose actual outcome is of concern.")
    mean_predicted: Estimate
    observed: Estimate = Field(description="Mean actual outcome (dropout rate, or exam score).")
    calibration: Estimate = Field(description="Mean predicted minus observed.")
    flag_rate: Estimate = Field(description="Share flagged (predicted at the level of concern).")
    precision: Estimate = Field(description="Of those flagged, the share whose outcome is of concern.")
    recall: Estimate = Field(description="Of those whose outcome is of concern, the share flagged.")


class Gap(Estimate):
    between: list[str] = Field(description="The groups with the highest and the lowest figure.")


class AttributeReport(BaseModel):
    name: str = Field(description="The attribute's column, e.g. gender.")
    label: str
    rows: int = Field(description="Rows whose group is known.")
    groups: list[GroupFigures]
    gaps: dict[str, Gap] = Field(
        description="Largest difference between two compared groups per figure (the metric, calibration, "
        "flag_rate, precision, recall; abroca for ROC AUC: the area between a group's ROC curve and the "
        "largest group's)."
    )


class FairnessReport(BaseModel):
    metric: str = Field(description="roc_auc or mae: the figure of accuracy per group.")
    flag_label: str = Field(description="The predicted level(s) counted as flagged.")
    boots: int = Field(description="Bootstrap draws (rows drawn within each group).")
    level: float
    min_group: int
    rows: int
    attributes: list[AttributeReport]


class TitledReport(BaseModel):
    title: str = Field(description="What the report is of, e.g. the checkpoint day.")
    report: FairnessReport


class FairnessGate(BaseModel):
    passed: bool
    reasons: list[str]
    limit: float | None = Field(description="FAIRNESS_MAX_GAP when the version was trained (null: off).")


class FairnessOut(BaseModel):
    task: str
    version: int
    reports: list[TitledReport] = Field(description="Empty when the data carried no group attributes.")
    gate: FairnessGate
