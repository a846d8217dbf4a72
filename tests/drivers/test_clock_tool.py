"""The clock tool says the date in ISO 8601 and in words (weekday, month), from one reading of the clock."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from drivers.tools.builtins import Clock

pytestmark = pytest.mark.anyio


async def test_the_clock_names_weekday_and_month_of_the_same_instant():
    out = await Clock().call({})
    m = re.fullmatch(r"(\S+) \((\w+) (\d+) (\w+) (\d{4}), (\d\d:\d\d) UTC\)", out.output)
    assert m, out.output
    now = dt.datetime.fromisoformat(m.group(1))
    assert now.tzinfo is not None and out.data == m.group(1)
    assert (m.group(2), int(m.group(3)), m.group(4), int(m.group(5))) == (
        now.strftime("%A"), now.day, now.strftime("%B"), now.year)
    assert m.group(6) == now.strftime("%H:%M")
