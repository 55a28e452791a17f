"""Rating scales are data: each row declares its own (``csat_min``/``csat_max``, ...).

Shares (CSAT as the top-two box, unhappy as below the scale's midpoint) are read on each
row's own scale.
Means and levels that pool rows put every rating on one common scale first,
:data:`COMMON_SCALE` (1-5, the satisfaction levels of the reports), linearly:
``1 + 4 (rating - low) / (high - low)``. A 1-5 rating stays what it is.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from cxresearch.data.schema import DEFAULT_SCALE

#: The scale pooled means and satisfaction levels are put on.
COMMON_SCALE = (1, 5)


def bounds(t: ir.Table, score: str = "csat") -> tuple[ir.Value, ir.Value]:
    """Lowest and highest rating of each row: its declared scale, else :data:`DEFAULT_SCALE`."""
    low, high = ibis.literal(DEFAULT_SCALE[0]), ibis.literal(DEFAULT_SCALE[1])
    if f"{score}_min" in t.columns and f"{score}_max" in t.columns:
        low = t[f"{score}_min"].cast("int64").fill_null(DEFAULT_SCALE[0])
        high = t[f"{score}_max"].cast("int64").fill_null(DEFAULT_SCALE[1])
    return low, high


def on_common_scale(t: ir.Table, score: str = "csat") -> ir.FloatingValue:
    """The rating on :data:`COMMON_SCALE`: ``1 + 4 (rating - low) / (high - low)``.

    ``low`` and ``high`` are the row's declared scale (``<score>_min``/``<score>_max``);
    rows without one (or tables without scale columns) are read as 1-5. A reversed scale
    is stored the right way round at import, so ``low`` is always the worst rating.
    """
    low, high = bounds(t, score)
    first, last = COMMON_SCALE
    value = t[score].cast("float64")
    return first + (last - first) * (value - low.cast("float64")) / (
        high.cast("float64") - low.cast("float64")
    )


def dissatisfied(t: ir.Table, score: str = "csat") -> ir.BooleanValue:
    """Whether a rating lies below the midpoint of its row's scale: the dissatisfied side.

    1-2 of 1-5, 1-3 of 1-7, 1-5 of 1-10; the midpoint itself (3 of 5, 4 of 7) is neutral.
    """
    low, high = bounds(t, score)
    return t[score].cast("float64") * 2 < low + high


def top_two(t: ir.Table, score: str = "csat") -> ir.BooleanValue:
    """Whether a rating is in the top two boxes of its row's scale (4-5 of 5, 6-7 of 7)."""
    _, high = bounds(t, score)
    return t[score].cast("float64") >= high - 1


def declared_scales(t: ir.Table, score: str = "csat") -> list[tuple[int, int]]:
    """The distinct scales the rated rows of ``t`` were given on, such as ``[(1, 5), (1, 7)]``."""
    from cxresearch.data import summary  # the per-day summary knows them without a row read

    if score == "csat" and (known := summary.csat_scales(t, DEFAULT_SCALE)) is not None:
        return known
    rated = t.filter(t[score].notnull())
    low, high = bounds(rated, score)
    found = rated.select(low=low, high=high).distinct().to_pandas()
    return sorted((int(a), int(b)) for a, b in zip(found["low"], found["high"], strict=True))
