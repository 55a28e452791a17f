"""The statistics layer: pure functions of tables (metrics, intervals, comparisons, models).

Functions take an Ibis table or a DataFrame and return one tidy DataFrame; they import from
:mod:`cxresearch.data` only, never from reporting or running.
"""
