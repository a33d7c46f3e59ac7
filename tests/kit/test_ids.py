"""Ids sort in the order one process made them, within a millisecond too."""

from datetime import UTC, datetime

from vantio.kit.ids import new_id, new_ids
from vantio.kit.time import freeze


def test_ids_of_one_millisecond_sort_in_the_order_they_were_made() -> None:
    with freeze(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)):
        made = [new_id("wa") for _ in range(200)]
        made += new_ids("wa", 300)
        made.append(new_id("wa"))
    assert sorted(made) == made
    assert len(set(made)) == len(made)


def test_a_new_millisecond_starts_afresh_and_sorts_after() -> None:
    with freeze(datetime(2026, 12, 1, 3, 0, tzinfo=UTC)):
        earlier = new_id("evt")
    with freeze(datetime(2026, 12, 1, 3, 0, 0, 1000, tzinfo=UTC)):
        later = new_id("evt")
    assert earlier < later
    assert earlier[4:14] != later[4:14]  # the milliseconds differ
