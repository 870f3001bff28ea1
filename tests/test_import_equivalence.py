"""The same activity imported as an event log and as daily counts gives the same features."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from modelling.event_types import EVENT_TYPES

START = date(2024, 3, 4)


def _events(seed: int = 5, learners: int = 25, days: int = 30) -> pd.DataFrame:
    """One row per event: learners active on some days, a few events of random types and sources."""
    rng = np.random.default_rng(seed)
    rows = []
    for learner in range(learners):
        for day in np.flatnonzero(rng.random(days) < 0.4):
            for k in range(int(rng.integers(1, 6))):
                when = datetime.combine(START + timedelta(days=int(day)), datetime.min.time())
                rows.append(
                    {
                        "enrollment_id": f"u{learner}",
                        "time": (when + timedelta(minutes=7 * k + learner)).isoformat(),
                        "source": rng.choice(["server", "browser"]),
                        "event": rng.choice(EVENT_TYPES),
                    }
                )
    return pd.DataFrame(rows)


def _daily(events: pd.DataFrame) -> pd.DataFrame:
    """The same events as daily counts per learner and date, with server and browser."""
    frame = events.assign(time=events["time"].str[:10])
    counts = pd.crosstab([frame["enrollment_id"], frame["time"]], frame["event"])
    sources = pd.crosstab([frame["enrollment_id"], frame["time"]], frame["source"])
    daily = counts.reindex(columns=list(EVENT_TYPES), fill_value=0).add_prefix("event_")
    return daily.join(sources).reset_index()


def test_an_event_log_and_its_daily_counts_give_the_same_features(app, tmp_path):
    from db.courses import Course
    from services.course_activity import features_as_of
    from services.ingest import import_file

    events = _events()
    events.to_csv(tmp_path / "events.csv", index=False)
    _daily(events).to_csv(tmp_path / "daily.csv", index=False)
    with app.app_context():
        for path, code in (("events.csv", "EV"), ("daily.csv", "DA")):
            report = import_file(tmp_path / path, course=code, start=START)
            assert report.status == "done" and report.rejected == 0, report
        for day in (7, 14, 30):
            from_events, from_daily = (
                features_as_of(Course.by_code(code), day).drop(columns="course").set_index("enrollment_id")
                for code in ("EV", "DA")
            )
            pd.testing.assert_frame_equal(
                from_events.sort_index(), from_daily.sort_index(), check_dtype=False
            )
        assert from_events["total_events"].sum() == len(events)
