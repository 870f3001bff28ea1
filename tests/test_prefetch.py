"""Reading a file's chunks ahead on a thread keeps the order, the errors and the stopping of reading
in sequence."""

from __future__ import annotations

import pytest

from services.ingest.prefetch import prefetched


def test_items_come_in_order_and_a_read_error_comes_after_the_items_read_before_it():
    def chunks():
        yield from range(5)
        raise ValueError("line 6 cannot be read")

    seen = []
    with pytest.raises(ValueError, match="line 6"):
        for item in prefetched(chunks(), ahead=2):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_stopping_early_closes_the_source_and_reads_no_further():
    read, closed = [], []

    def chunks():
        try:
            for item in range(1_000):
                read.append(item)
                yield item
        finally:
            closed.append(True)

    for item in prefetched(chunks()):
        if item == 2:
            break
    assert closed == [True]
    assert max(read) <= 4  # the item in hand, the one queued and the one being put, at most
