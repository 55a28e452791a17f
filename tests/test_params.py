import datetime as dt

import pytest

from cxresearch import params
from cxresearch.errors import ParameterError

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
        ("segment", "B2B", "expects list"),
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
