"""Score a CSV in blocks: the input columns as given, the prediction columns and an `error` column.

Rows that fail validation keep their input and get a reason in `error`; good rows are scored.
Memory stays flat: Arrow's streaming reader yields one block of rows at a time, which is
validated, scored and appended to the output before the next is read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from modelling.levels import Bands
from modelling.predict import Predictor
from modelling.schemas import NumericField, TaskSchema

PREDICTION_COLUMNS = {
    "exam-score": ["score", "level", "interval_low", "interval_high"],
    "dropout": ["probability", "risk_level"],
}
DEFAULT_BLOCK_BYTES = 4 << 20


class BatchInputError(ValueError):
    """The file as a whole cannot be scored (not CSV, or required columns missing)."""


@dataclass
class BatchSummary:
    rows: int = 0
    scored: int = 0
    rejected: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)


def read_blocks(source: str | IO[bytes], block_bytes: int) -> Iterator[pa.RecordBatch]:
    """The CSV as blocks of text columns (empty cells as missing)."""
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=block_bytes),
            convert_options=pacsv.ConvertOptions(strings_can_be_null=True, auto_dict_encode=False),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise BatchInputError(f"The file is not a readable UTF-8 CSV ({exc}).") from exc
    while True:
        try:
            block = reader.read_next_batch()
            block = block.cast(pa.schema([pa.field(name, pa.string()) for name in block.schema.names]))
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise BatchInputError(f"The file is not a readable UTF-8 CSV ({exc}).") from exc
        yield block


def _as_frame(block: pa.RecordBatch, schema: TaskSchema, columns: dict[str, str]) -> pd.DataFrame:
    """The block's fields for validation: numbers cast by Arrow where every cell is numeric."""
    data = {}
    for header, name in columns.items():
        column = block.column(header)
        if isinstance(schema.field(name), NumericField):
            try:
                data[name] = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
                continue
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
        data[name] = column.to_pandas()
    return pd.DataFrame(data)


def _output_block(block: pa.RecordBatch, predictions: pd.DataFrame, errors: np.ndarray) -> pa.RecordBatch:
    arrays = list(block.columns)
    names = list(block.schema.names)
    for column in predictions.columns:
        values = predictions[column]
        arrays.append(pa.array(values.to_numpy(), from_pandas=True))
        names.append(column)
    arrays.append(pa.array(errors, type=pa.string()))
    names.append("error")
    return pa.RecordBatch.from_arrays(arrays, names=names)


def score_csv(
    predictor: Predictor,
    bands: Bands,
    source: str | IO[bytes],
    sink: str | IO[bytes],
    *,
    block_bytes: int = DEFAULT_BLOCK_BYTES,
    on_block: Callable[[BatchSummary], None] | None = None,
    on_scored: Callable[[pd.DataFrame, pd.DataFrame], None] | None = None,
) -> BatchSummary:
    """Stream `source` through the predictor into `sink`; return counts and a few error examples.

    `on_scored(inputs, predictions)` is called with each block's good rows (e.g. to save them)."""
    schema = predictor.schema
    outputs = PREDICTION_COLUMNS[predictor.task]
    summary = BatchSummary()
    writer: pacsv.CSVWriter | None = None
    try:
        for block in read_blocks(source, block_bytes):
            columns = schema.rename_columns(list(block.schema.names))
            missing = [name for name in schema.names if name not in columns.values()]
            if missing:
                raise BatchInputError(f"The file lacks the column(s): {', '.join(missing)}.")
            clean, error_series = schema.validate_frame(_as_frame(block, schema, columns))
            errors = error_series.to_numpy(dtype=object)
            good = errors == ""
            predictions = pd.DataFrame(index=clean.index, columns=outputs, dtype=object)
            if good.all():
                predictions = scored = predictor.predict_frame(clean, bands)
                if on_scored:
                    on_scored(clean, scored)
            elif good.any():
                scored = predictor.predict_frame(clean[good], bands)
                predictions = scored.reindex(clean.index)
                if on_scored:
                    on_scored(clean[good], scored)
            result = _output_block(block, predictions, errors.astype(str))
            if writer is None:
                writer = pacsv.CSVWriter(sink, result.schema)
            writer.write_batch(result)
            for position in np.flatnonzero(~good)[: max(0, 10 - len(summary.examples))]:
                summary.examples.append((summary.rows + int(position) + 2, str(errors[position])))
            summary.rows += len(clean)
            summary.scored += int(good.sum())
            summary.rejected += int((~good).sum())
            if on_block:
                on_block(summary)
    finally:
        if writer is not None:
            writer.close()
    if summary.rows == 0:
        raise BatchInputError("The file has no rows to score.")
    return summary
