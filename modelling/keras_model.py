"""A scikit-learn compatible regressor around a small Keras MLP.

TensorFlow and Keras are imported only inside methods, so importing this module is cheap. Training
is deterministic for a given seed (seeded Keras, deterministic single-threaded ops): the target is
standardised, a validation split is drawn with the seed, mini-batch Adam runs one compiled graph per
epoch, and the weights of the best validation epoch are kept (early stopping). After `fit`,
`history_` holds per-epoch ``loss`` and ``val_loss`` lists (standardised target units). Predictions
are mapped back to the target scale and clipped to `clip`. Inference calls the model directly on
batches (never ``model.predict``). `save_to`/`load_from` write and read keras_model.keras,
preprocessor.joblib and keras_regressor.json; pickling carries the model as .keras bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

MODEL_FILE = "keras_model.keras"
PREPROCESSOR_FILE = "preprocessor.joblib"
CONFIG_FILE = "keras_regressor.json"
PREDICT_BATCH = 8192
_LOSSES = ("huber", "mae", "mse")


def default_preprocessor() -> ColumnTransformer:
    """Numeric columns standardised, text columns one-hot encoded (unknown levels ignored)."""
    return ColumnTransformer(
        [
            ("numeric", StandardScaler(), make_column_selector(dtype_include="number")),
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                make_column_selector(dtype_exclude="number"),
            ),
        ]
    )


def _configure_tensorflow(seed: int) -> None:
    """Seed every generator and ask TensorFlow for single-threaded, deterministic ops."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(1)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    except RuntimeError:
        pass  # the runtime is already initialised; the first setting stays in force
    tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(seed)


def _dense(matrix: Any) -> np.ndarray:
    """A dense float32 array from a (possibly sparse) transformer output."""
    if hasattr(matrix, "toarray"):
        matrix = matrix.toarray()
    return np.ascontiguousarray(np.asarray(matrix, dtype=np.float32))


class PicklesKerasNetwork:
    """Pickling for an estimator whose Keras network is `model_`: the network travels as the bytes of
    a .keras file and is rebuilt on first use. Listed before scikit-learn's bases, whose own pickling
    it replaces."""

    def __getstate__(self) -> dict[str, Any]:
        """Pickle support: the Keras model travels as the bytes of a .keras file."""
        state = self.__dict__.copy()
        model = state.pop("model_", None)
        if model is not None:
            state["_model_bytes"] = _model_to_bytes(model)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore from pickle; the Keras model is rebuilt on first use."""
        self.__dict__.update(state)
        self.model_ = None if "_model_bytes" in state else state.get("model_")

    def _unpickled_network(self) -> Any:
        """`model_`, rebuilt from the pickled bytes the first time it is needed."""
        if getattr(self, "model_", None) is None:
            self.model_ = _model_from_bytes(self.__dict__.pop("_model_bytes"))
        return self.model_


class KerasMLPRegressor(PicklesKerasNetwork, RegressorMixin, BaseEstimator):
    """Preprocessing plus a small MLP with a linear skip connection, early-stopped on a validation split."""

    def __init__(
        self,
        preprocessor: Any = None,
        hidden_units: tuple[int, ...] = (16,),
        learning_rate: float = 3e-3,
        batch_size: int = 256,
        max_epochs: int = 100,
        patience: int = 10,
        validation_fraction: float = 0.1,
        loss: str = "huber",
        huber_delta: float = 0.1,
        l2: float = 1e-5,
        clip: tuple[float, float] | None = None,
        seed: int = 0,
    ) -> None:
        self.preprocessor = preprocessor
        self.hidden_units = hidden_units
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.loss = loss
        self.huber_delta = huber_delta
        self.l2 = l2
        self.clip = clip
        self.seed = seed

    def _build(self, n_inputs: int) -> Any:
        """The Keras model: inputs -> hidden ReLU layers, concatenated with the inputs -> one output."""
        import keras

        regulariser = keras.regularizers.L2(self.l2) if self.l2 else None
        inputs = keras.Input(shape=(n_inputs,), name="features")
        hidden = inputs
        for units in self.hidden_units:
            hidden = keras.layers.Dense(units, activation="relu", kernel_regularizer=regulariser)(hidden)
        joined = keras.layers.Concatenate()([inputs, hidden]) if self.hidden_units else inputs
        output = keras.layers.Dense(1, name="score")(joined)
        return keras.Model(inputs, output, name="mlp_regressor")

    def _loss(self) -> Any:
        """The training loss object."""
        import keras

        if self.loss not in _LOSSES:
            raise ValueError(f"loss must be one of {', '.join(_LOSSES)}, not {self.loss!r}")
        if self.loss == "huber":
            return keras.losses.Huber(delta=self.huber_delta)
        return keras.losses.MeanAbsoluteError() if self.loss == "mae" else keras.losses.MeanSquaredError()

    def fit(self, X: pd.DataFrame, y: Any) -> KerasMLPRegressor:
        """Fit the preprocessor and train the network with early stopping on a seeded validation split."""
        _configure_tensorflow(self.seed)
        target = np.asarray(y, dtype=float).ravel()
        preprocessor = self.preprocessor if self.preprocessor is not None else default_preprocessor()
        self.preprocessor_ = clone(preprocessor)
        features = _dense(self.preprocessor_.fit_transform(X, target))
        self.n_features_in_ = X.shape[1]
        self.y_mean_ = float(np.mean(target))
        self.y_scale_ = float(np.std(target)) or 1.0
        scaled = ((target - self.y_mean_) / self.y_scale_).astype(np.float32)[:, None]

        rng = np.random.default_rng(self.seed)
        order = rng.permutation(len(target))
        n_val = int(round(self.validation_fraction * len(target))) if len(target) >= 20 else 0
        val, train = order[:n_val], order[n_val:]
        self.model_ = self._build(features.shape[1])
        self.history_ = self._train(rng, (features[train], scaled[train]), (features[val], scaled[val]))
        self.n_epochs_ = len(self.history_["loss"])
        return self

    def _train(
        self, rng: np.random.Generator, train: tuple[np.ndarray, ...], val: tuple[np.ndarray, ...]
    ) -> dict[str, list[float]]:
        """Mini-batch Adam, one compiled graph per epoch; keeps the weights of the best validation epoch."""
        import keras
        import tensorflow as tf

        model, loss_fn = self.model_, self._loss()
        optimizer = keras.optimizers.Adam(self.learning_rate)
        variables = model.trainable_variables
        optimizer.build(variables)
        regularised = bool(model.losses)
        x_train, y_train = (tf.constant(part) for part in train)
        x_val, y_val = (tf.constant(part) for part in (train if len(val[0]) == 0 else val))
        size = min(self.batch_size, len(train[0]))
        n_batches = len(train[0]) // size

        @tf.function
        def epoch(order: Any) -> Any:
            """One pass over the shuffled training rows; returns (mean training loss, validation loss)."""
            total = tf.constant(0.0)
            for i in tf.range(n_batches):
                batch = order[i * size : (i + 1) * size]
                x, y = tf.gather(x_train, batch), tf.gather(y_train, batch)
                with tf.GradientTape() as tape:
                    loss = loss_fn(y, model(x, training=True))
                    objective = loss + tf.add_n(model.losses) if regularised else loss
                optimizer.apply(tape.gradient(objective, variables), variables)
                total += loss
            return total / tf.cast(n_batches, tf.float32), loss_fn(y_val, model(x_val, training=False))

        history: dict[str, list[float]] = {"loss": [], "val_loss": []}
        best, best_weights, waited = np.inf, model.get_weights(), 0
        for _ in range(self.max_epochs):
            train_loss, val_loss = epoch(tf.constant(rng.permutation(len(train[0])), dtype=tf.int32))
            history["loss"].append(float(train_loss))
            history["val_loss"].append(float(val_loss))
            if history["val_loss"][-1] < best - 1e-6:
                best, best_weights, waited = history["val_loss"][-1], model.get_weights(), 0
            else:
                waited += 1
                if waited >= self.patience:
                    break
        model.set_weights(best_weights)
        return history

    def _network(self) -> Any:
        """The Keras model (loaded lazily after unpickling)."""
        check_is_fitted(self, ["y_mean_", "preprocessor_"])
        return self._unpickled_network()

    def predict_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Predictions on the target scale, before clipping."""
        model = self._network()
        features = _dense(self.preprocessor_.transform(X))
        outputs = [
            np.asarray(model(features[start : start + PREDICT_BATCH], training=False), dtype=float).ravel()
            for start in range(0, len(features), PREDICT_BATCH)
        ]
        scaled = np.concatenate(outputs) if outputs else np.empty(0)
        return scaled * self.y_scale_ + self.y_mean_

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Predictions clipped to `clip` when set."""
        raw = self.predict_raw(X)
        return np.clip(raw, *self.clip) if self.clip is not None else raw

    def _config(self) -> dict[str, Any]:
        """JSON-serialisable parameters and fitted scalars (everything but the two binary parts)."""
        params = {k: v for k, v in self.get_params(deep=False).items() if k != "preprocessor"}
        params["hidden_units"] = list(params["hidden_units"])
        params["clip"] = list(params["clip"]) if params["clip"] is not None else None
        fitted = {
            "y_mean_": self.y_mean_,
            "y_scale_": self.y_scale_,
            "n_features_in_": self.n_features_in_,
            "history_": self.history_,
            "n_epochs_": self.n_epochs_,
        }
        return {"params": params, "fitted": fitted}

    def save_to(self, directory: Path) -> None:
        """Write keras_model.keras, preprocessor.joblib and keras_regressor.json into `directory`."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        _save_model(self._network(), directory / MODEL_FILE)
        joblib.dump(self.preprocessor_, directory / PREPROCESSOR_FILE)
        (directory / CONFIG_FILE).write_text(json.dumps(self._config(), indent=2))

    @classmethod
    def load_from(cls, directory: Path) -> KerasMLPRegressor:
        """A fitted regressor read back from a directory written by `save_to`."""
        directory = Path(directory)
        config = json.loads((directory / CONFIG_FILE).read_text())
        params = config["params"]
        params["hidden_units"] = tuple(params["hidden_units"])
        params["clip"] = tuple(params["clip"]) if params["clip"] is not None else None
        regressor = cls(**params)
        for key, value in config["fitted"].items():
            setattr(regressor, key, value)
        regressor.preprocessor_ = joblib.load(directory / PREPROCESSOR_FILE)
        regressor.model_ = _load_model(directory / MODEL_FILE)
        return regressor

    def __sklearn_is_fitted__(self) -> bool:
        """Fitted once `fit` (or `load_from`) has run."""
        return hasattr(self, "y_mean_")


def _load_model(path: Path) -> Any:
    """Load a .keras file without recompiling the training setup."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    return keras.saving.load_model(path, compile=False)


def _save_model(model: Any, path: Path) -> None:
    """Write a .keras file (silencing Keras' own NumPy 2 copy-keyword deprecation notice)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="__array__ implementation", category=DeprecationWarning)
        model.save(path)


def _model_to_bytes(model: Any) -> bytes:
    """The .keras archive of `model` as bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MODEL_FILE
        _save_model(model, path)
        return path.read_bytes()


def _model_from_bytes(data: bytes) -> Any:
    """A Keras model from the bytes of a .keras archive."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / MODEL_FILE
        path.write_bytes(data)
        return _load_model(path)
