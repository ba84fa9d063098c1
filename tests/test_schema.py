"""Validation at the boundary: errors name the plugin and the column."""

from __future__ import annotations

import polars as pl
import pytest

from pipeline.errors import SchemaError
from pipeline.schema import CANONICAL, check_canonical, conform, validate_raw


def test_unknown_column_is_named_with_the_plugin():
    frame = pl.DataFrame({"source_ref": ["row 2"], "favourite_colour": ["teal"]})
    with pytest.raises(
        SchemaError, match=r"importer 'acme' returned unknown column 'favourite_colour'.*extra"
    ):
        validate_raw(frame, "acme")


def test_core_columns_are_refused():
    frame = pl.DataFrame({"source_ref": ["row 2"], "record_id": ["x"]})
    with pytest.raises(SchemaError, match="the core sets it"):
        validate_raw(frame, "acme")


def test_wrong_dtype_is_named():
    frame = pl.DataFrame({"source_ref": ["row 2"], "full_name": [3]})
    with pytest.raises(SchemaError, match=r"column 'full_name' as Int64"):
        validate_raw(frame, "acme")


def test_source_ref_is_required():
    with pytest.raises(SchemaError, match="source_ref"):
        validate_raw(pl.DataFrame({"full_name": ["Ada"]}), "acme")
    with pytest.raises(SchemaError, match="without 'source_ref'"):
        validate_raw(pl.DataFrame({"source_ref": [None, "row 3"], "full_name": ["Ada", "Grace"]}), "acme")


def test_not_a_frame_is_refused():
    with pytest.raises(SchemaError, match="list"):
        validate_raw([{"source_ref": "row 2"}], "acme")


def test_multi_valued_columns_may_be_lists_or_text():
    frame = pl.DataFrame(
        {"source_ref": ["row 2"], "emails": [["a@example.com"]], "phones": ["+1 206 555 0142"]}
    )
    assert validate_raw(frame, "acme") is frame


def test_conform_adds_every_canonical_column_with_its_dtype():
    out = conform(
        pl.DataFrame({"source_ref": ["row 2"], "class_year": ["2006"]}).with_columns(
            pl.col("class_year").cast(pl.Int64)
        )
    )
    check_canonical(out, "conformed")
    assert list(out.columns) == list(CANONICAL)
    assert out["class_year"].to_list() == [2006]
