"""A synthetic Open edX tracking log for the import benchmarks: the events of bench_event_log's KDD
Cup 2015 shaped log, written as the LMS writes them (one JSON event a line, with context, agent, host,
page and payload), raw, with Tutor's logging prefix, and/or gzip-compressed. Nothing here is copied
from a real log: the field layout follows Open edX's documented event format."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np

from tests.benchmarks.bench_event_log import LEARNERS, _block

TUTOR_PREFIX = "{time} INFO 20 [tracking] [user {user}] [ip 10.0.0.7] logger.py:41 - "
AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0 Safari/537.36"
# Each KDD type as an Open edX event: (event_type with {course} and {object}, event_source).
NAMES = {
    "navigate": ("seq_next", "browser"),
    "access": ("/courses/{course}/courseware/week{object}/", "server"),
    "page_close": ("page_close", "browser"),
    "problem": ("problem_check", "server"),
    "video": ("play_video", "browser"),
    "discussion": ("edx.forum.thread.created", "server"),
    "wiki": ("/courses/{course}/wiki/page{object}/", "server"),
}


def write(path: Path, events: int, *, prefixed: bool = False, compressed: bool = False,
          seed: int = 13) -> None:
    """About `events` events over bench_event_log's learners and days, written in blocks of learners."""
    rng = np.random.default_rng(seed)
    per_learner = rng.gamma(0.8, events / LEARNERS / 0.8, LEARNERS)
    counts = np.floor(per_learner * events / per_learner.sum()).astype(np.int64)
    counts[: events - counts.sum()] += 1
    opener = gzip.open if compressed else open
    with opener(path, "wt", encoding="utf-8") as handle:
        for first in range(0, LEARNERS, 2_000):
            block = _block(rng, np.arange(first, min(first + 2_000, LEARNERS)), counts)
            handle.writelines(_lines(block, prefixed))


def _lines(block: dict, prefixed: bool):
    for learner, time, event, thing, course in zip(block["enrollment_id"], block["time"], block["event"],
                                                    block["object"], block["course_id"], strict=True):
        course_id = f"course-v1:BenchX+{course}+2014"
        name, source = NAMES[event]
        name = name.format(course=course_id, object=thing)
        user = f"learner{learner}"
        page = f"https://lms.example.org/courses/{course_id}/courseware/week1/"
        payload = (json.dumps({"id": f"block-v1:BenchX+{course}+2014+type@video+block@{thing}",
                               "currentTime": 12.5, "code": "html5"}) if source == "browser" else
                   {"POST": {}, "GET": {}})
        record = {
            "username": user, "event_source": source, "name": name, "accept_language": "en-US,en;q=0.9",
            "time": f"{time}.000000+00:00", "agent": AGENT, "page": page if source == "browser" else None,
            "host": "lms.example.org", "session": "f3c1a2b4d5e6f708", "referer": page, "ip": "10.0.0.7",
            "event": payload, "event_type": name,
            "context": {"course_id": course_id, "course_user_tags": {}, "user_id": int(learner),
                        "org_id": "BenchX", "path": "/event" if source == "browser" else name},
        }
        text = json.dumps(record)
        yield (TUTOR_PREFIX.format(time=time.replace("T", " ") + ",000", user=learner) + text + "\n"
               if prefixed else text + "\n")
