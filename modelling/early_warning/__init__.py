"""Early warning: dropout risk at checkpoints while a course runs.

- `inputs`: what a checkpoint model reads: the activity features as of the day, plus the daily counts.
- `candidates`: the estimators compared at every checkpoint (all return calibrated probabilities).
- `sequence`: the Keras sequence model over days x event types.
- `training`: course-grouped cross-validation, selection and refit per checkpoint.
- `gate`: whether a new version may replace the active one.
- `reasons`: contributions of the features, in words a tutor can read.
- `serving`: a version's files, and the predictor that scores a course at a day.
"""
