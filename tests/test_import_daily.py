"""The daily activity CSV reader: good rows go on in chunks, bad rows come back with line and reason."""

from __future__ import annotations

import pandas as pd

from services.ingest import daily, formats
from services.ingest.parsed import DAILY_COLUMNS


def _write(tmp_path, text: str, name: str = "daily.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def _read_all(path, **options):
    chunks = list(daily.read(path, **options))
    frame = pd.concat([chunk.frame for chunk in chunks], ignore_index=True)
    rejected = [rejection for chunk in chunks for rejection in chunk.rejected]
    return chunks, frame, rejected


def test_good_rows_with_both_column_namings_and_missing_types(tmp_path):
    path = _write(
        tmp_path,
        "enrollment_id,time,event_video,problem,server\n 17 ,2014-05-25,3,1,4\n18,2014-05-26,0,2,\n",
    )
    chunks, frame, rejected = _read_all(path)
    assert rejected == [] and all(chunk.kind == "daily" for chunk in chunks)
    assert tuple(frame.columns) == DAILY_COLUMNS
    assert frame["learner"].tolist() == ["17", "18"]
    assert frame["line"].tolist() == [2, 3]
    assert frame["video"].tolist() == [3, 0] and frame["problem"].tolist() == [1, 2]
    assert frame["navigate"].tolist() == [0, 0]  # no column: counts 0
    assert frame["server"].tolist()[0] == 4 and pd.isna(frame["server"].tolist()[1])
    assert pd.isna(frame["browser"]).all()
    assert frame["date"].tolist() == [pd.Timestamp("2014-05-25"), pd.Timestamp("2014-05-26")]
    assert frame["course"].isna().all()


def test_bad_rows_are_rejected_with_their_line_and_the_good_ones_go_on(tmp_path):
    path = _write(
        tmp_path,
        "enrollment_id,time,event_video,event_access,course_id\n"
        "a,2014-05-25,1,2,C1\n"  # 2 good
        "b,2014-05-26,1,2,C1,extra\n"  # 3 too many fields
        ",2014-05-26,1,2,C1\n"  # 4 no learner
        "\n"  # 5 blank: skipped, not a rejection
        "c,2014-13-01,0,0,C1\n"  # 6 bad date
        "d,2014-05-27,-1,0,C1\n"  # 7 negative
        "e,2014-05-27,x,0,C1\n"  # 8 not a number
        "f,2014-05-27,1.5,0,C1\n"  # 9 not an integer
        "g,2014-05-27,,0,C1\n"  # 10 empty count
        "h,2014-05-28,4,5,\n",  # 11 good, no course
    )
    for chunk_rows in (3, 1000):
        _, frame, rejected = _read_all(path, chunk_rows=chunk_rows)
        assert frame["learner"].tolist() == ["a", "h"]
        assert frame["line"].tolist() == [2, 11]
        assert frame["course"].tolist()[0] == "C1" and pd.isna(frame["course"].tolist()[1])
        by_line = {rejection.line: rejection.reason for rejection in rejected}
        assert sorted(by_line) == [3, 4, 6, 7, 8, 9, 10]
        assert by_line[3].startswith("malformed line")
        assert by_line[4].startswith("missing learner")
        assert by_line[6].startswith("unparseable date") and "2014-13-01" in by_line[6]
        assert by_line[7].startswith("negative count") and "event_video" in by_line[7]
        assert by_line[8].startswith("non-integer count") and "'x'" in by_line[8]
        assert by_line[9].startswith("non-integer count")
        assert by_line[10].startswith("missing count")


def test_line_numbers_stay_right_after_a_skipped_line_in_a_later_chunk(tmp_path):
    rows = [f"L{i},2014-05-25,{i}" for i in range(2, 30)]
    rows[10] += ",oops"  # line 12 has a field too many
    path = _write(tmp_path, "enrollment_id,time,video\n" + "\n".join(rows) + "\n")
    _, frame, rejected = _read_all(path, chunk_rows=7)
    assert [rejection.line for rejection in rejected] == [12]
    assert (frame["learner"] == "L" + frame["line"].astype(str)).all()  # learner Ln sits on line n
    assert len(frame) == 27


def test_chunks_cover_the_file(tmp_path):
    lines = "".join(f"{i % 50},2014-05-{1 + i % 28:02d},{i % 3}\n" for i in range(1000))
    path = _write(tmp_path, "enrollment_id,time,event_wiki\n" + lines)
    chunks, frame, _ = _read_all(path, chunk_rows=300)
    assert [len(chunk.frame) for chunk in chunks] == [300, 300, 300, 100]
    assert sum(chunk.lines_read for chunk in chunks) == 1000
    assert frame["wiki"].sum() == sum(i % 3 for i in range(1000))


def test_detection_and_header_errors(tmp_path):
    good = _write(tmp_path, "enrollment_id,time,event_video\n1,2014-05-25,1\n", "good.csv")
    events = _write(
        tmp_path, "enrollment_id,time,source,event\n1,2014-05-25T10:00:00,server,video\n", "e.csv"
    )
    assert formats.detect(good) == "daily" and formats.detect(events) == "events"
    no_learner = _write(tmp_path, "learner,time,event_video\n1,2014-05-25,1\n", "bad.csv")
    try:
        list(daily.read(no_learner))
    except daily.HeaderError as exc:
        assert "enrollment_id" in str(exc)
    else:
        raise AssertionError("a file without enrollment_id was read")


def test_earliest_date_per_course(tmp_path):
    path = _write(
        tmp_path,
        "enrollment_id,time,course_id,video\n1,2014-06-03,A,1\n2,2014-06-01,A,1\n3,2014-05-02,,1\n4,bad,B,1\n"
        "5,2014-07-09,B,0\n",
    )
    firsts = daily.earliest(path, "DEFAULT")
    assert {code: str(day) for code, day in firsts.items()} == {
        "A": "2014-06-01",
        "DEFAULT": "2014-05-02",
        "B": "2014-07-09",
    }
