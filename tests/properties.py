"""Shared by the property tests: how many cases each input surface gets, and hostile values.

`CASES` is the budget: at least 10,000 generated cases per `make check` on two cores in a
couple of minutes. The `matrix` profile (make check-matrix) runs a fifth of each.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from typing import Any, TypeVar

from hypothesis import settings
from hypothesis import strategies as st

from tests.factories import event_payload

CASES = {
    "config_fields": 2500,
    "config_client": 100,
    "env": 1000,
    "builder": 1500,
    "track": 700,
    "retry_after": 2000,
    "delivery": 1000,
    "cli_lines": 1500,
    "cli_validate": 150,
    "cli_send": 15,
    "server": 500,
}

_SCALE = 0.2 if os.environ.get("HYPOTHESIS_PROFILE") == "matrix" else 1.0

_F = TypeVar("_F", bound=Callable[..., Any])


def cases(surface: str) -> Callable[[_F], _F]:
    """The settings for one surface's property test: its share of the case budget."""
    return settings(max_examples=max(5, int(CASES[surface] * _SCALE)))


def mostly(value: Any, others: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`value` three times in four, else anything from `others`: hostile, but mostly reaching
    the deeper layers."""
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda usual: st.just(value) if usual else others
    )


# A secret that must never appear in any output; a valid key, so it is actually used.
SECRET_KEY = "5ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e75ec7e7abcd"
assert len(SECRET_KEY) == 64

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["", " ", "\x00", "\n", "\ud800", "false", "nan", "-1", "1e999", "é", "🙂"]),
    st.text(alphabet=st.characters(codec="ascii"), max_size=20),
)
hostile_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 0.0, -0.0, 1e-300, 1e300, math.nan, math.inf, -math.inf, 2**63]),
)
anything = st.one_of(
    st.none(),
    st.booleans(),
    hostile_numbers,
    hostile_text,
    st.binary(max_size=10),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.builds(object),
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)

_EVENT_FIELDS = sorted(event_payload())


@st.composite
def mutated_events(draw: st.DrawFn) -> dict[str, Any]:
    """A valid event with a few fields replaced by arbitrary JSON, or removed."""
    event = event_payload()
    for name in draw(st.lists(st.sampled_from(_EVENT_FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            event[name] = draw(json_values)
        else:
            del event[name]
    if draw(st.booleans()):
        event[draw(st.text(min_size=1, max_size=8))] = draw(json_scalars)
    return event


def json_line(value: Any) -> bytes:
    """One JSON Lines line (lone surrogates allowed: they are written escaped)."""
    return json.dumps(value).encode() + b"\n"


input_lines = st.one_of(
    st.binary(max_size=60),
    st.builds(json_line, json_values),
    st.builds(json_line, mutated_events()),
    st.sampled_from(
        [
            b"\n",
            b"   \n",
            b"{}\n",
            b"[]\n",
            b"NaN\n",
            b'{"a": Infinity}\n',
            b"\xff\xfe\n",
            b"[" * 3000,
        ]
    ),
)
