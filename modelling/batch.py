"""Score a CSV in blocks: the input columns as given, the prediction columns and an `error` column.

Rows that fail validation keep their input and get a reason in `error`; good rows are scored.
Memory stays flat: Arrow's streaming reader yields one block of rows at a time, which is
validated, scored and appended to the output before the next is read.
"""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import Full, Queue
from typing import IO, TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from modelling.cells import neutralise_column
from modelling.levels import Bands
from modelling.predict import Predictor
from modelling.schemas import DuplicateColumn, NumericField, TaskSchema
from modelling.tasks import Task

DEFAULT_BLOCK_BYTES = 4 << 20

REFERENCE_HEADER = "student_ref"
REFERENCE_MAX_LENGTH = 64  # the single prediction's limit
T = TypeVar("T")


def results_first(columns: list[str], task: Task) -> list[str]:
    """`columns` of a scored file with the student reference, predictions and error in front
    (what a person looks for first), then the inputs as given."""
    front = [c for c in (REFERENCE_HEADER, *task.output_columns, "error") if c in columns]
    return front + [c for c in columns if c not in front]


class BatchInputError(ValueError):
    """The file as a whole cannot be scored (not CSV, or required columns missing)."""


@dataclass
class BatchSummary:
    rows: int = 0
    scored: int = 0
    rejected: int = 0
    examples: list[tuple[int, str]] = field(default_factory=list)


def _header(source: str | os.PathLike | IO[bytes]) -> list[str] | None:
    """The CSV's header cells, read without consuming the source (None when it cannot be peeked)."""
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, encoding="utf-8-sig", errors="replace", newline="") as handle:
                line = handle.readline()
        elif source.seekable():
            position = source.tell()
            line = source.readline().decode("utf-8-sig", errors="replace")
            source.seek(position)
        else:
            return None
    except OSError:
        return None
    return next(csv.reader([line]), None)


def read_blocks(source: str | IO[bytes], block_bytes: int) -> Iterator[pa.RecordBatch]:
    """The CSV as blocks of text columns (empty cells as missing), parsed as text from the start."""
    header = _header(source)
    try:
        reader = pacsv.open_csv(
            source,
            read_options=pacsv.ReadOptions(block_size=block_bytes),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header or []},
                strings_can_be_null=True,
                auto_dict_encode=False,
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise BatchInputError(f"The file is not a readable UTF-8 CSV ({exc}).") from exc
    while True:
        try:
            block = reader.read_next_batch()
            names = block.schema.names  # decodes the header: fails here for a file that is not UTF-8
            if not all(pa.types.is_string(column.type) for column in block.schema):
                block = block.cast(pa.schema([pa.field(name, pa.string()) for name in names]))
        except StopIteration:
            return
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise BatchInputError(f"The file is not a readable UTF-8 CSV ({exc}).") from exc
        yield block


def read_ahead(blocks: Iterator[T], depth: int = 2) -> Iterator[T]:
    """`blocks`, produced by a background thread up to `depth` ahead (Arrow releases the GIL)."""
    queue: Queue = Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for block in blocks:
                while not stop.is_set():
                    try:
                        queue.put(block, timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(done)
        except BaseException as exc:  # handed to the consumer, which raises it
            queue.put(exc)

    thread = threading.Thread(target=produce, name="csv-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = queue.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


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


def _with_fields(
    blocks: Iterator[pa.RecordBatch], schema: TaskSchema
) -> Iterator[tuple[pa.RecordBatch, pd.DataFrame]]:
    """Each block with its fields as a frame (the file must hold every field's column)."""
    for block in blocks:
        try:
            columns = schema.rename_columns(list(block.schema.names))
        except DuplicateColumn as exc:
            raise BatchInputError(str(exc)) from exc
        missing = [name for name in schema.names if name not in columns.values()]
        if missing:
            raise BatchInputError(f"The file lacks the column(s): {', '.join(missing)}.")
        yield block, _as_frame(block, schema, columns)


def _references(block: pa.RecordBatch) -> tuple[np.ndarray | None, np.ndarray]:
    """The block's student references (trimmed, empty as None) when the file has a `student_ref`
    column, and each row's reason a reference is refused ("" when none)."""
    headers = [h for h in block.schema.names if h.strip().lower() == REFERENCE_HEADER]
    problems = np.full(block.num_rows, "", dtype=object)
    if not headers:
        return None, problems
    text = block.column(headers[0]).to_pandas().fillna("").str.strip()
    refs = np.array([ref or None for ref in text], dtype=object)
    problems[(text.str.len() > REFERENCE_MAX_LENGTH).to_numpy()] = (
        f"student_ref: at most {REFERENCE_MAX_LENGTH} characters"
    )
    # PostgreSQL text cannot hold NUL, and no reference needs control characters.
    problems[text.str.contains(r"[\x00-\x1f\x7f]", regex=True).to_numpy()] = "student_ref: control character"
    return refs, problems


def _with_reason(errors: np.ndarray, reasons: np.ndarray) -> np.ndarray:
    """Each row's errors with the extra reason appended (rows without one unchanged)."""
    return np.array(
        [f"{e}; {r}" if e and r else (e or r) for e, r in zip(errors, reasons, strict=True)], dtype=object
    )


def _output_block(block: pa.RecordBatch, predictions: pd.DataFrame, errors: np.ndarray) -> pa.RecordBatch:
    """The block's inputs (formula-like text neutralised, as the records export does), the
    predictions and the error column."""
    arrays = [neutralise_column(column) for column in block.columns]
    names = list(block.schema.names)
    for column in predictions.columns:
        values = predictions[column]
        arrays.append(pa.array(values.to_numpy(), from_pandas=True))
        names.append(column)
    arrays.append(neutralise_column(pa.array(errors, type=pa.string())))
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
    on_scored: Callable[[pd.DataFrame, pd.DataFrame, list | None], None] | None = None,
) -> BatchSummary:
    """Stream `source` through the predictor into `sink`; return counts and a few error examples.

    `on_scored(inputs, predictions, refs)` is called with each block's good rows (e.g. to save
    them); `refs` are their student references, or None when the file has no `student_ref`.
    Reading the next block and writing the previous one overlap with scoring, on two threads."""
    schema = predictor.schema
    outputs = predictor.task.output_columns
    summary = BatchSummary()
    writer: pacsv.CSVWriter | None = None
    writing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="csv-write")
    pending: Future | None = None
    try:
        for block, frame in read_ahead(_with_fields(read_blocks(source, block_bytes), schema)):
            clean, error_series = schema.validate_frame(frame)
            refs, ref_problems = _references(block)
            errors = _with_reason(error_series.to_numpy(dtype=object), ref_problems)
            good = errors == ""
            predictions = pd.DataFrame(index=clean.index, columns=outputs, dtype=object)
            if good.all():
                predictions = scored = predictor.predict_frame(clean, bands)
                if on_scored:
                    on_scored(clean, scored, None if refs is None else refs.tolist())
            elif good.any():
                scored = predictor.predict_frame(clean[good], bands)
                predictions = scored.reindex(clean.index)
                if on_scored:
                    on_scored(clean[good], scored, None if refs is None else refs[good].tolist())
            result = _output_block(block, predictions, errors.astype(str))
            if writer is None:
                writer = pacsv.CSVWriter(sink, result.schema)
            if pending is not None:
                pending.result()
            pending = writing.submit(writer.write_batch, result)
            for position in np.flatnonzero(~good)[: max(0, 10 - len(summary.examples))]:
                summary.examples.append((summary.rows + int(position) + 2, str(errors[position])))
            summary.rows += len(clean)
            summary.scored += int(good.sum())
            summary.rejected += int((~good).sum())
            if on_block:
                on_block(summary)
        if pending is not None:
            pending.result()
    finally:
        writing.shutdown(wait=True)
        if writer is not None:
            writer.close()
    if summary.rows == 0:
        raise BatchInputError("The file has no rows to score.")
    return summary
