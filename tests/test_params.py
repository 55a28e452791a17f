import datetime as dt

import pytest

from cxresearch.errors import ParameterError
from cxresearch.running import params

DECLARED = {
    "period_start": {"type": "str", "default": '""', "help": "YYYY-MM-DD"},
    "segment": {"type": "list", "default": "[]", "help": "segments"},
    "min_n": {"type": "int", "default": "30", "help": "minimum group size"},
    "churn_probability": {"type": "float", "default": "0.95", "help": "share"},
    "database": {"type": "str", "default": '""', "help": "database URL"},
}


def test_unknown_parameter_suggests_the_right_name():
    with pytest.raises(ParameterError, match=r"unknown parameter 'segmnt'.*did you mean 'segment'"):
        params.validate(DECLARED, {"segmnt": ["B2B"]}, notebook="nb")


@pytest.mark.parametrize(
    ("name", "value", "pattern"),
    [
        ("min_n", "30", r"'min_n' of notebook nb expects int \(minimum group size\), got '30'"),
        ("min_n", True, "expects int"),
        ("segment", {"a": 1}, "expects list"),
        ("churn_probability", "high", "expects float"),
        ("period_start", "2025-13-01", "expects a date as YYYY-MM-DD, got '2025-13-01'"),
        ("database", "postgresql://ana:pw@h/cx", "URL with a password"),
    ],
)
def test_bad_values_are_refused(name, value, pattern):
    with pytest.raises(ParameterError, match=pattern):
        params.validate(DECLARED, {name: value}, notebook="nb")


def test_secret_looking_parameter_is_refused():
    declared = {"db_password": {"type": "str", "default": '""', "help": ""}}
    with pytest.raises(ParameterError, match="looks like a secret"):
        params.validate(declared, {"db_password": "x"})


def test_values_are_normalised():
    out = params.validate(
        DECLARED, {"period_start": dt.date(2025, 1, 1), "churn_probability": 1, "segment": ("B2B",)}
    )
    assert out == {"period_start": "2025-01-01", "churn_probability": 1.0, "segment": ["B2B"]}


def test_a_single_value_becomes_a_one_item_list():
    # -P segment=B2B, as a batch matrix already did
    assert params.validate(DECLARED, {"segment": "B2B"}) == {"segment": ["B2B"]}


@pytest.mark.parametrize(
    ("values", "pattern"),
    [
        ({"period_start": "2026-02-30"}, "expects a date as YYYY-MM-DD, got '2026-02-30'"),
        (
            {"period_start": "2026-03-01", "period_end": "2026-02-01"},
            r"'period_end' .*\(2026-02-01\) is before 'period_start' \(2026-03-01\)",
        ),
    ],
)
def test_impossible_periods_are_parameter_errors(values, pattern):
    declared = DECLARED | {"period_end": {"type": "str", "default": '""', "help": ""}}
    with pytest.raises(ParameterError, match=pattern):
        params.validate(declared, values, notebook="nb")


def test_an_impossible_date_in_an_override_reaches_validation_as_text():
    # YAML reads 2026-02-30 as a timestamp and fails with ValueError, not a YAML error
    assert params.parse_overrides(["period_start=2026-02-30"]) == {"period_start": "2026-02-30"}


@pytest.mark.parametrize(
    "value",
    [
        ["postgresql://ana:S3cretPW3@db.example.org/cx"],
        {"nested": ["ok", {"deeper": "mysql://root:hunter2@10.0.0.1/db"}]},
        "see postgresql://ana:pw@h/cx",
        "password=hunter22",
        ["Bearer abcdefghijklmnopqrstuvwxyz123456"],
        "AKIAABCDEFGHIJKLMNOP",
    ],
)
def test_secrets_are_refused_at_any_depth(value):
    kind = "list" if isinstance(value, list) else "dict"
    declared = {
        "country": {"type": kind, "default": "", "help": ""},
        "weights": {"type": "str", "default": "", "help": ""},
    }
    name = "weights" if isinstance(value, str) else "country"
    with pytest.raises(ParameterError, match="holds a|looks like a secret"):
        params.validate(declared, {name: value}, notebook="nb")


def test_a_params_file_with_a_yaml_error_is_not_echoed(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("segment: [B2B\npassword: S3cretPW3\n")
    with pytest.raises(ParameterError) as err:
        params.load_params_file(bad)
    assert "S3cretPW3" not in str(err.value)
    assert "line" in str(err.value)


def test_parse_overrides():
    assert params.parse_overrides(["min_n=5", "segment=[B2B, B2C]", "language=sv", "x="]) == {
        "min_n": 5,
        "segment": ["B2B", "B2C"],
        "language": "sv",
        "x": "",
    }
    with pytest.raises(ParameterError, match="key=value"):
        params.parse_overrides(["min_n"])


def test_params_file_errors(tmp_path):
    with pytest.raises(ParameterError, match="does not exist"):
        params.load_params_file(tmp_path / "none.yaml")
    bad = tmp_path / "list.yaml"
    bad.write_text("- a\n- b\n")
    with pytest.raises(ParameterError, match="must hold a mapping"):
        params.load_params_file(bad)
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: [1, 2\n")
    with pytest.raises(ParameterError, match="not valid YAML"):
        params.load_params_file(broken)


def test_norway_stays_a_country(tmp_path):
    # YAML 1.1 reads NO as false; country codes must survive
    path = tmp_path / "nordics.yaml"
    path.write_text("country: [SE, DK, FI, NO]\nflag: true\nanswer: yes\n")
    assert params.load_params_file(path) == {
        "country": ["SE", "DK", "FI", "NO"],
        "flag": True,
        "answer": "yes",
    }
    assert params.parse_overrides(["country=[NO, off]"]) == {"country": ["NO", "off"]}
