"""An authored Moodle Logs report download of one course (Moodle course id 7), in the shapes Moodle and
spreadsheet programs write it: CSV with a byte order mark and commas, CSV saved again with semicolons,
and an Excel workbook (times as text, as Moodle writes them, or as date cells).

Rows are newest first, as the report lists them; times are the downloader's local time, day first.
Learners: Ana (user 12), Ben (user 15), Chloe (known only by name). Tess (user 3) is a teacher: she
grades, so her own course views are not learner activity either.
"""

from __future__ import annotations

import contextlib
import csv
from datetime import datetime
from pathlib import Path

HEADER = ["Time", "User full name", "Affected user", "Event context", "Component", "Event name",
          "Description", "Origin", "IP address"]
COURSE = "Course: Biology 101"
QUIZ = "Quiz: Week 1 quiz"
FORUM = "Forum: Questions"


def _did(user_id: int, what: str) -> str:
    """A Description as Moodle writes it (in English, whatever the site's language)."""
    return f"The user with id '{user_id}' {what}"


def _row(time, user, event, description, context=COURSE, component="System", affected="-", origin="web"):
    return [time, user, affected, context, component, event, description, origin, "192.0.2.10"]


# (row, what the import makes of it): a type, "none" (not learner activity) or a rejection's start.
ROWS = [
    (_row("8/12/23, 09:30", "Chloe Martin", "Course viewed", ""), "access"),
    (_row("8/12/23, 09:10", "Tess Teacher", "Course viewed", _did(3, "viewed the course with id '7'.")),
     "none"),
    (_row("8/12/23, 09:05", "Tess Teacher", "Grade user report viewed",
          _did(3, "viewed the user report in the gradebook."), affected="Ana Souza",
          component="Grade report: user"), "none"),
    (_row("8/12/23, 09:00", "Tess Teacher", "Submission graded",
          _did(3, "has graded the submission '5' for the user with id '12' for the assignment with course "
               "module id '44'."), context="Assignment: Lab report", component="Assignment",
          affected="Ana Souza"), "none"),
    (_row("7/12/23, 18:20", "Ben Okafor", "Video played", "A video, chapter 2, was played.",
          context="Video: Cell division", component="Video Time"), "video"),
    (_row("7/12/23, 18:00", "Ben Okafor", "Wiki page viewed",
          _did(15, "viewed the page with id '8' for the wiki with course module id '43'."),
          context="Wiki: Glossary", component="Wiki"), "wiki"),
    (_row("7/12/23, 17:45", "Ben Okafor", "Post created",
          _did(15, "has created the post with id '9' in the discussion with id '4' in the forum with course "
               "module id '42'."), context=FORUM, component="Forum"), "discussion"),
    (_row("7/12/23, 17:40", "Ben Okafor", "Discussion viewed",
          _did(15, "has viewed the discussion with id '4' in the forum with course module id '42'."),
          context=FORUM, component="Forum"), "discussion"),
    (_row("7/12/23, 17:35", "Ben Okafor", "Course viewed", _did(15, "viewed the course with id '7'.")),
     "access"),
    (_row("12/25/23, 10:00", "Ben Okafor", "Course viewed", _did(15, "viewed the course with id '7'.")),
     "date not in day/month/year order: '12/25/23, 10:00'"),
    (_row("7/12/23, 14:10", "Ana Souza", "Spaceship launched", _did(12, "launched a spaceship.")),
     "unknown event type 'spaceship launched'"),
    (_row("7/12/23, 14:00", "Ana Souza", "Grade user report viewed",
          _did(12, "viewed the user report in the gradebook."), affected="Ana Souza",
          component="Grade report: user"), "access"),
    (_row("7/12/23, 13:20", "Ana Souza", "Quiz attempt submitted",
          _did(12, "has submitted the attempt with id '31' for the quiz with course module id '41'."),
          context=QUIZ, component="Quiz"), "problem"),
    (_row("7/12/23, 13:06", "Ana Souza", "Quiz attempt started",
          _did(12, "has started the attempt with id '31' for the quiz with course module id '41'."),
          context=QUIZ, component="Quiz"), "problem"),
    (_row("7/12/23, 13:05", "Ana Souza", "Course module viewed",
          _did(12, "viewed the 'quiz' activity with course module id '41'."), context=QUIZ,
          component="Quiz"), "access"),
    (_row("7/12/23, 13:01", "Ana Souza", "Course viewed", _did(12, "viewed the course with id '7'.")),
     "access"),
    (_row("7/12/23, 13:00", "Ana Souza", "User logged in", _did(12, "has logged in."), context="System"),
     "none"),
    (_row("7/12/23, 12:59", "Ben Okafor", "Course module viewed", "Opened from the mobile app.",
          context="Page: Syllabus", component="Page", origin="ws"), "access"),
]
# The learner each kept row is stored under: the Description's user id, else the name's id, else the name.
LEARNERS = {"12": 5, "15": 6, "Chloe Martin": 1}
COURSE_CODE = "moodle-course-7"


def kept() -> int:
    """How many rows the import stores."""
    return sum(1 for _, outcome in ROWS if outcome in ("access", "navigate", "problem", "video", "discussion",
                                                        "wiki", "page_close"))


def write_csv(path: Path, delimiter: str = ",", bom: bool = True) -> Path:
    """The download as Moodle writes it (comma, BOM) or as a spreadsheet program saves it again."""
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerows(row for row, _ in ROWS)
    return path


def write_xlsx(path: Path, date_cells: bool = False) -> Path:
    """The download as an Excel workbook: times as text (Moodle), or as date cells (saved again)."""
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Logs")
    sheet.append(HEADER)
    for row, _ in ROWS:
        cells = list(row)
        if date_cells:
            with contextlib.suppress(ValueError):  # the badly ordered date stays text
                cells[0] = datetime.strptime(cells[0], "%d/%m/%y, %H:%M")
        sheet.append(cells)
    book.save(path)
    return path
