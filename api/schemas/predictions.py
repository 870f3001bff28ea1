"""Prediction request and response models, generated from the modelling schemas."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic_core import PydanticCustomError

from api.schemas.common import StrictModel
from modelling.schemas import CategoryField, TaskSchema, parse_number
from modelling.tasks.dropout import SCHEMA as DROPOUT
from modelling.tasks.exam import SCHEMA as EXAM


def _plain_number(value: Any) -> Any:
    """The number by the rule the form and batch CSV use; pydantic's own would take true or "1_0"."""
    if value is None:
        return value
    number = parse_number(value)
    if number is None:
        raise PydanticCustomError("number", "Must be a number.")
    return number


PlainNumber = BeforeValidator(_plain_number)


def _input_fields(schema: TaskSchema) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for f in schema.fields:
        description = f"{f.label}. {f.help}".strip()
        if isinstance(f, CategoryField):
            kind: Any = Literal[f.categories]  # type: ignore[valid-type]
            if f.optional:
                fields[f.name] = (kind | None, Field(None, description=description + " May be missing."))
            else:
                fields[f.name] = (kind, Field(description=description))
        else:
            number = int if f.integer else float
            unit = f" ({f.unit})" if f.unit else ""
            fields[f.name] = (
                Annotated[number, PlainNumber],
                Field(
                    ge=f.minimum,
                    le=f.maximum,
                    description=f"{description}{unit}. Training range "
                    f"{f.train_min:g}..{f.train_max:g}; values outside it are flagged as extrapolated.",
                ),
            )
    fields["save"] = (bool, Field(False, description="Store the prediction as a record."))
    fields["student_ref"] = (
        str | None,
        Field(None, max_length=64, description="Your reference for the student."),
    )
    return fields


_strict = ConfigDict(extra="forbid")
ExamScoreIn = create_model("ExamScoreIn", __config__=_strict, **_input_fields(EXAM))
DropoutIn = create_model("DropoutIn", __config__=_strict, **_input_fields(DROPOUT))


class Contribution(BaseModel):
    field: str
    label: str
    value: str | float | None
    contribution: float = Field(description="Effect on the output relative to a typical student.")


class Recommendation(BaseModel):
    field: str
    change: str
    values: dict[str, str | float]
    predicted: float
    gain: float = Field(description="Exam: points gained. Dropout: probability points of risk removed.")


class Interval(BaseModel):
    low: float
    high: float
    level: float


class PredictionBase(BaseModel):
    model_version: int
    algorithm: str
    contributions: list[Contribution]
    contribution_base: float
    contribution_unit: Literal["points", "log-odds"]
    top_factors: list[str]
    recommendations: list[Recommendation]
    extrapolated: list[str] = Field(description="Fields outside the training range.")
    id: int | None = Field(None, description="The saved record's id (when `save` was true).")


class ExamScoreOut(PredictionBase):
    score: float
    level: str
    interval: Interval


class DropoutOut(PredictionBase):
    probability: float
    risk_level: str


class BatchQuery(StrictModel):
    save: bool = Field(False, description="Also store every good row as a record.")
