"""A scikit-learn classifier around a small Keras 1D convolution over days x event types.

The input is the model frame's daily counts (`inputs.sequence_part`: the last `window` days before
the checkpoint), on the log1p scale. Two causal convolutions read the days; their average, their
maximum and their last day (what happened most recently) go through one small dense layer to the
log-odds. Training: seeded, deterministic single-threaded TensorFlow (as `modelling.keras_model`),
Adam on binary cross-entropy, a stratified validation split, early stopping that keeps the best
epoch's weights. Calibration: Platt scaling fitted on the validation split's log-odds. TensorFlow is
imported only inside methods; pickling carries the network as the bytes of a .keras file.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import check_is_fitted

from modelling.early_warning.inputs import sequence_part
from modelling.keras_model import PicklesKerasNetwork, _configure_tensorflow

PREDICT_BATCH = 8192


class KerasSequenceClassifier(PicklesKerasNetwork, ClassifierMixin, BaseEstimator):
    """Conv1D over the daily counts, early-stopped and Platt-calibrated on a validation split."""

    reads_features = False  # only the daily counts: its reasons come from the checkpoint's additive model

    def __init__(
        self,
        filters: int = 16,
        kernel_size: int = 3,
        hidden_units: int = 16,
        learning_rate: float = 3e-3,
        batch_size: int = 1024,
        max_epochs: int = 8,
        patience: int = 2,
        validation_fraction: float = 0.15,
        seed: int = 0,
    ) -> None:
        self.filters = filters
        self.kernel_size = kernel_size
        self.hidden_units = hidden_units
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.seed = seed

    def _build(self, days: int, types: int) -> Any:
        """The network: (days, types) -> log-odds."""
        import keras

        layers = keras.layers
        inputs = keras.Input(shape=(days, types), name="daily_counts")
        hidden = layers.Conv1D(self.filters, self.kernel_size, padding="causal", activation="relu")(inputs)
        hidden = layers.Conv1D(
            self.filters, self.kernel_size, padding="causal", dilation_rate=2, activation="relu"
        )(hidden)
        last = layers.Flatten()(layers.Cropping1D((days - 1, 0))(hidden))
        pooled = [layers.GlobalAveragePooling1D()(hidden), layers.GlobalMaxPooling1D()(hidden), last]
        joined = layers.Dense(self.hidden_units, activation="relu")(layers.Concatenate()(pooled))
        return keras.Model(inputs, layers.Dense(1, name="log_odds")(joined), name="sequence_classifier")

    def fit(self, X: pd.DataFrame, y: Any) -> KerasSequenceClassifier:
        """Train with early stopping on a stratified validation split, then fit the Platt map on it."""
        import keras

        _configure_tensorflow(self.seed)
        target = np.asarray(y).ravel().astype(np.float32)
        cube = np.log1p(sequence_part(X))
        train, val = train_test_split(
            np.arange(len(target)),
            test_size=self.validation_fraction,
            stratify=target,
            random_state=self.seed,
        )
        self.model_ = self._build(cube.shape[1], cube.shape[2])
        self.model_.compile(
            optimizer=keras.optimizers.Adam(self.learning_rate),
            loss=keras.losses.BinaryCrossentropy(from_logits=True),
        )
        stop = keras.callbacks.EarlyStopping(patience=self.patience, restore_best_weights=True)
        history = self.model_.fit(
            cube[train],
            target[train],
            validation_data=(cube[val], target[val]),
            batch_size=self.batch_size,
            epochs=self.max_epochs,
            callbacks=[stop],
            verbose=0,
        )
        self.history_ = {key: [float(v) for v in values] for key, values in history.history.items()}
        platt = LogisticRegression(C=1e6).fit(self._raw(cube[val])[:, None], target[val].astype(int))
        self.slope_, self.intercept_ = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        self.classes_ = np.array([0, 1])
        return self

    def _network(self) -> Any:
        """The Keras model (rebuilt lazily after unpickling)."""
        check_is_fitted(self, "slope_")
        return self._unpickled_network()

    def _raw(self, cube: np.ndarray) -> np.ndarray:
        """The network's log-odds of log1p daily counts, in batches (never `model.predict`)."""
        model = self.model_ if getattr(self, "model_", None) is not None else self._network()
        outputs = [
            np.asarray(model(cube[start : start + PREDICT_BATCH], training=False), dtype=float).ravel()
            for start in range(0, len(cube), PREDICT_BATCH)
        ]
        return np.concatenate(outputs) if outputs else np.empty(0)

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated log-odds of dropping out."""
        self._network()
        return self.slope_ * self._raw(np.log1p(sequence_part(X))) + self.intercept_

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities of [stayed, dropped out]."""
        positive = expit(self.decision_function(X))
        return np.column_stack([1 - positive, positive])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 where dropping out is the more probable."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once `fit` has run."""
        return hasattr(self, "slope_")
