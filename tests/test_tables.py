"""Lookup tables of additive models: compiled only when exact, served in place of the model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelling.schemas import NumericField
from modelling.synthetic import generate_dropout, generate_exam
from modelling.tables import TABLES_FILE, AdditiveTables, compile_tables
from modelling.tasks import TASKS, schema_for, task_for
from modelling.tasks.dropout import SCHEMA as DROPOUT
from services import model_versions
from services.errors import InvalidInput
from tests.helpers import imported_while_serving, train


def _edge_rows(schema) -> pd.DataFrame:
    """Rows at the edges of every allowed range: all lowest (first category, missing where allowed),
    and all highest (last category)."""
    low, high = {}, {}
    for f in schema.fields:
        if isinstance(f, NumericField):
            low[f.name], high[f.name] = float(f.minimum), float(f.maximum)
        else:
            low[f.name] = None if f.optional else f.categories[0]
            high[f.name] = f.categories[-1]
    return pd.DataFrame([low, high], columns=schema.names)


@pytest.mark.parametrize(
    ("task", "candidate"),
    [("dropout", "logistic_regression"), ("exam-score", "linear_regression"), ("exam-score", "huber")],
)
def test_additive_versions_are_served_from_exact_tables(app, task, candidate):
    row = train(app, task, candidates=[candidate])
    assert (app.config["ARTIFACTS_DIR"] / row.artifact_dir / TABLES_FILE).exists()
    schema = schema_for(task)
    generate = generate_dropout if task == "dropout" else generate_exam
    frame = pd.concat([generate(3000, 99)[schema.names], _edge_rows(schema)], ignore_index=True)
    with app.app_context():
        predictor = model_versions.active_predictor(task)
        assert predictor.model.tables is not None
        from_tables = predictor.outcomes(frame)
        from_model = task_for(task).outcome.values(predictor.estimator, frame)
        assert np.abs(from_tables - from_model).max() < 1e-6


def test_a_forest_gets_no_tables(app):
    row = train(app, "dropout", candidates=["random_forest"])
    assert not (app.config["ARTIFACTS_DIR"] / row.artifact_dir / TABLES_FILE).exists()


def test_tables_that_disagree_with_the_model_never_activate(app):
    good = train(app, "dropout", seed=1, candidates=["logistic_regression"])
    bad = train(app, "dropout", seed=2, activate=False, candidates=["logistic_regression"])
    path = app.config["ARTIFACTS_DIR"] / bad.artifact_dir / TABLES_FILE
    tables = AdditiveTables.load(path)
    tables.base += 0.5
    tables.save(path)
    with app.app_context():
        from db.tables import ModelVersion
        from services import model_versions

        with pytest.raises(InvalidInput):
            model_versions.activate_version("dropout", bad.version)
        assert ModelVersion.active("dropout").version == good.version


def test_compile_refuses_what_tables_cannot_reproduce():
    frame = generate_dropout(500, 5)
    reference = {name: float(frame[name].median()) for name in DROPOUT.names}
    tops = frame[DROPOUT.names].max().to_numpy(dtype=float)

    def additive(batch: pd.DataFrame) -> np.ndarray:
        """Flat beyond the training maxima, like a spline held constant or a tree's last step."""
        return np.sqrt(np.minimum(batch[DROPOUT.names].to_numpy(dtype=float), tops)).sum(axis=1)

    def growing(batch: pd.DataFrame) -> np.ndarray:
        return np.sqrt(batch[DROPOUT.names].to_numpy(dtype=float)).sum(axis=1)

    def interacting(batch: pd.DataFrame) -> np.ndarray:
        return additive(batch) + 1e-3 * batch["video"].to_numpy() * batch["problem"].to_numpy()

    compiled = compile_tables(TASKS["dropout"], additive, frame, reference)
    assert compiled is not None
    probe = frame[DROPOUT.names].head(50).astype(float)
    assert np.allclose(compiled.scale_values(probe), additive(probe))
    assert compile_tables(TASKS["dropout"], interacting, frame, reference) is None
    assert compile_tables(TASKS["dropout"], growing, frame, reference) is None


def test_serving_from_tables_does_not_load_scikit_learn(app, tmp_path):
    train(app, "dropout", candidates=["logistic_regression"])
    serve = """
        import pandas as pd
        from services.model_versions import active_predictor
        p = active_predictor("dropout")
        row = {name: 3.0 for name in p.schema.names}
        p.predict_frame(pd.DataFrame([row]), app.config["RISK_LEVELS"])
    """
    assert not imported_while_serving(app, tmp_path, serve, "sklearn")
