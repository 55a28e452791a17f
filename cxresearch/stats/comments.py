"""Open comments: themes in five languages, what detractors talk about, safe verbatims.

Theme matching is keyword-based (``themes.yaml``, editable per team), with stems so that
inflections and Nordic and Dutch compounds match. It is meant to be useful, not perfect:
negations ("not expensive") still count as the price theme, a theme is counted once per
comment, and words outside the taxonomy are missed; :func:`suggest_topics` (TF-IDF and NMF)
points at themes the taxonomy misses. See ``docs/comments.md``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from cxresearch.config import (
    DEFAULT_MIN_N,
    DEFAULT_SUPPRESS_BELOW,
    PASSIVE_MIN,
    PROMOTER_MIN,
    yaml_error_where,
)
from cxresearch.stats import compare, intervals, topics
from cxresearch.stats._utils import small_group_rules

DEFAULT_TAXONOMY = Path(__file__).with_name("themes.yaml")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# -- what mask_pii masks (docs/comments.md, "Safe verbatims") -------------------------------
#: Separators inside phone numbers: spaces (also no-break and thin), hyphens (also the
#: no-break hyphen U+2011 and dashes), dots and slashes.
_SEP = r"[ \u00a0\u202f\u2009./\u2010\u2011\u2012\u2013-]"
_AT = r"(?:\s*[(\[{<]\s*(?:at|snabel-a|a)\s*[)\]}>]\s*|\s*@\s*)"
_DOT = r"(?:\s*[(\[{<]\s*(?:dot|punkt|piste|punt)\s*[)\]}>]\s*|\s+(?:dot|punkt|piste|punt)\s+|\.)"
_EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*(?![\w@])"  # ana(at)example[dot]se
    r"|(?<![\w.+-])[\w+-]+[._][\w.+-]*\s+at\s+[\w-]+(?:\.[\w-]+)+\b",  # ana.berg at example.se
    re.IGNORECASE,
)
#: Personal identity numbers: Swedish personnummer, Danish CPR, Finnish henkilötunnus.
_ID_NUMBER = re.compile(r"(?<![\w-])(?:19|20)?\d{6}[-+A]\d{3}[\dA-Z](?![\w-])")
_PHONE = re.compile(
    rf"(?<![\w+])(?:(?P<intl>(?:\+|00)\d{{1,3}}){_SEP}?(?:\(0\){_SEP}?)?"
    rf"|\(0\d{{1,4}}\){_SEP}?|(?=0))"
    rf"\d(?:{_SEP}{{1,2}}\d|\d){{4,12}}(?![\w])"
)
#: Danish national numbers have no trunk 0: 8 digits as 12 34 56 78 or 1234 5678.
_PHONE_DK = re.compile(
    r"(?<![\w+.,/-])(?:\d{2}([ \u00a0\u2011-])\d{2}\1\d{2}\1\d{2}|\d{4}[ \u00a0\u2011-]\d{4})"
    r"(?![\w.,/-]?\d)"
)
#: Dates and times stay: 2026-03-01, 1.3.2026, 01/03/2026, 1.3.26, 08.00, 17:30.
_DATE = re.compile(
    r"(?<![\d.-])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{4}"
    r"|\d{1,2}[./]\d{1,2}[./]\d{2})(?!\d)"
    r"|(?<![\d.:])[0-2]?\d[.:][0-5]\d(?![\d.:])"
)
#: Order, customer, invoice and account numbers: 6 or more digits, with up to 3 letters.
_LONG_NUMBER = re.compile(r"\b[A-Z]{0,3}-?\d{6,}\b")
_PARTICLES = ("van", "von", "de", "der", "den", "af", "av")
_PARTICLE = "|".join(_PARTICLES)
_NAME_WORD = r"[^\W\d_][\w'’-]*"
_NAME = rf"(?:{_NAME_WORD})(?:\s+(?:(?:{_PARTICLE})\s+)*{_NAME_WORD}){{0,2}}"
#: "my name is ..." in en, sv, da, fi, nl (and no): the next word is masked whatever its
#: case, the following ones when capitalised.
_NAME_INTRO = re.compile(
    r"(?i:\b(my name is|my name's|jag heter|mitt namn är|jeg hedder|mit navn er|jeg heter|"
    r"mitt navn er|(?:minun )?nimeni on|mijn naam is|ik heet))"
    rf"\s+({_NAME})"
)
#: "Anna Berg here" and sign-offs ("Best regards, Anna Berg", "Mvh Anna"): capitalised only.
_NAME_HERE = re.compile(
    rf"\b((?!(?:The|This|That|Our|Your|My|We|They|Everyone|Det|Den|Der|Het|Een|Tämä)\b)"
    rf"{_NAME_WORD}\s+(?:(?:{_PARTICLE})\s+)*{_NAME_WORD})"
    r"\s+(here|här|her|hier|täällä)\b"
)
_SIGN_OFF = re.compile(
    r"(?i:\b(best regards|kind regards|regards|cheers|thanks|med vänlig hälsning|"
    r"vänliga hälsningar|hälsningar|mvh|venlig hilsen|hilsen|ystävällisin terveisin|"
    r"terveisin|met vriendelijke groet|vriendelijke groeten|groeten|groet))"
    rf"[,:]?\s+({_NAME})"
)
#: Unicode bidirectional controls (embeddings, overrides, isolates, marks): they can
#: reorder the text around them when displayed.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")


@cache
def _load(path: str) -> dict[str, dict[str, tuple[str, ...]]]:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:  # the position only: the file's text may hold a secret
        raise ValueError(f"taxonomy {path} is not valid YAML{yaml_error_where(exc)}") from None
    if not isinstance(data, dict):
        raise ValueError(f"taxonomy {path} must map themes to languages to keywords")
    return {
        theme: {lang: tuple(str(k).lower() for k in words) for lang, words in langs.items()}
        for theme, langs in data.items()
    }


def load_taxonomy(path: str | Path | None = None) -> dict[str, dict[str, tuple[str, ...]]]:
    """Read a theme taxonomy (default: the one shipped with cxresearch)."""
    return _load(str(path or DEFAULT_TAXONOMY))


_SHORT_ENDINGS = ("", "n", "en", "er", "et", "erna", "ene")


def _word_matches(word: str, stem: str) -> bool:
    if len(stem) <= 3:
        if word == stem or (word.startswith(stem) and len(word) <= len(stem) + 3):
            return True
        # the last part of a compound: telefonkö, telefonkøen
        return len(word) >= len(stem) + 4 and any(word.endswith(stem + e) for e in _SHORT_ENDINGS)
    if word.startswith(stem):
        return True
    return len(stem) >= 5 and stem in word[3:]


def themes_of(text: str | None, language: str | None, taxonomy=None) -> list[str]:
    """The themes a comment mentions, in taxonomy order.

    Keywords of the comment's language are used, and English ones as well (comments mix
    languages); a comment with no language is matched against every language.

    Examples
    --------
    >>> themes_of("Leveranstiden var för lång och för dyrt", "sv")
    ['price', 'delivery']
    """
    if not text:
        return []
    taxonomy = taxonomy or load_taxonomy()
    lowered = text.lower()
    words = _WORD.findall(lowered)
    langs = None if not language else {language.lower()[:2], "en"}
    found = []
    for theme, by_lang in taxonomy.items():
        for lang, stems in by_lang.items():
            if langs is not None and lang not in langs:
                continue
            if any((" " in s and s in lowered) or (" " not in s and any(
                    _word_matches(w, s) for w in words)) for s in stems):  # fmt: skip
                found.append(theme)
                break
    return found


def match_themes(
    data: pd.DataFrame, *, text: str = "comment", language: str = "language", taxonomy=None
) -> pd.DataFrame:
    """One boolean column per theme, for every row of ``data``."""
    taxonomy = taxonomy or load_taxonomy()
    hits = [
        set(themes_of(t, lang, taxonomy))
        for t, lang in zip(data[text].tolist(), data[language].tolist(), strict=True)
    ]
    return pd.DataFrame({theme: [theme in h for h in hits] for theme in taxonomy},
                        index=data.index)  # fmt: skip


def nps_group(score: pd.Series) -> pd.Series:
    """``detractor`` (0-6), ``passive`` (7-8), ``promoter`` (9-10)."""
    groups = np.select([score >= PROMOTER_MIN, score >= PASSIVE_MIN], ["promoter", "passive"],
                       "detractor")  # fmt: skip
    return pd.Series(groups, index=score.index).where(score.notna())


def detractor_themes(
    data: pd.DataFrame,
    *,
    score: str = "nps",
    taxonomy=None,
    by: str | Sequence[str] | None = None,
    adjust: str = "holm",
    confidence: float = 0.95,
    min_n: int = 30,
) -> pd.DataFrame:
    """How much more often detractors than promoters mention each theme.

    Parameters
    ----------
    data
        Responses with a comment: ``comment``, ``language`` and the score.
    by
        Grouping column(s) (``segment``, ``touchpoint``): the comparison per group.
    adjust
        Multiplicity adjustment across themes (and groups): ``holm``, ``bh`` or ``none``.
    min_n
        Groups with fewer detractor or promoter comments are left out.

    Returns
    -------
    pandas.DataFrame
        ``[*by, theme, metric, n_detractors, n_promoters, share_detractors,
        share_promoters, difference, ci_low, ci_high, statistic, p_value, p_adjusted,
        adjustment, significant, over_represented]``: shares of comments mentioning the
        theme; the difference (detractors minus promoters) has an unpooled two-proportion
        interval and a pooled two-proportion z test; ``over_represented`` = significant and
        positive.
    """
    groups = [by] if isinstance(by, str) else list(by or [])
    frame = data[data["comment"].notna() & data[score].notna()].copy()
    frame["_group"] = nps_group(frame[score])
    hits = match_themes(frame, taxonomy=taxonomy)
    rows = []
    parts = frame.groupby(groups) if groups else [((), frame)]
    for key, part in parts:
        key = key if isinstance(key, tuple) else (key,)
        det = part["_group"] == "detractor"
        pro = part["_group"] == "promoter"
        if det.sum() < min_n or pro.sum() < min_n:
            continue
        for theme in hits.columns:
            h = hits.loc[part.index, theme]
            rows.append({**dict(zip(groups, key, strict=True)), "theme": theme,
                         "x_d": int(h[det].sum()), "n_d": int(det.sum()),
                         "x_p": int(h[pro].sum()), "n_p": int(pro.sum())})  # fmt: skip
    cols = ["theme", "metric", "n_detractors", "n_promoters", "share_detractors",
            "share_promoters", "difference", "ci_low", "ci_high", "statistic", "p_value",
            "p_adjusted", "adjustment", "significant", "over_represented"]  # fmt: skip
    if not rows:
        # boolean flags stay boolean, so that ``found[found["over_represented"]]`` filters rows
        empty = pd.DataFrame(columns=[*groups, *cols])
        return empty.astype({"significant": bool, "over_represented": bool})
    t = pd.DataFrame(rows)
    p_d, p_p = t["x_d"] / t["n_d"], t["x_p"] / t["n_p"]
    se = np.sqrt(p_d * (1 - p_d) / t["n_d"] + p_p * (1 - p_p) / t["n_p"])
    z = intervals.z_value(confidence)
    diff = p_d - p_p
    # the test uses the pooled proportion (defined whenever anyone mentions the theme);
    # the interval the unpooled standard error
    pooled = (t["x_d"] + t["x_p"]) / (t["n_d"] + t["n_p"])
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / t["n_d"] + 1 / t["n_p"]))
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = np.where(se0 > 0, diff / se0, 0.0)
    from scipy import stats

    p = 2 * stats.norm.sf(np.abs(stat))
    out = t[groups + ["theme"]].copy()
    out["metric"] = "theme_share_difference"
    out["n_detractors"], out["n_promoters"] = t["n_d"], t["n_p"]
    out["share_detractors"], out["share_promoters"] = p_d, p_p
    out["difference"], out["ci_low"], out["ci_high"] = diff, diff - z * se, diff + z * se
    out["statistic"], out["p_value"] = stat, p
    out["p_adjusted"] = compare.adjust_p(p, adjust)
    out["adjustment"] = adjust
    out["significant"] = out["p_adjusted"] < 1 - confidence
    out["over_represented"] = out["significant"] & (out["difference"] > 0)
    return out.sort_values([*groups, "difference"], ascending=[True] * len(groups) + [False],
                           ignore_index=True)  # fmt: skip


def mask_pii(text: str | None) -> str | None:
    """Mask e-mail addresses, phone numbers, id and order numbers, and self-introduced names.

    A documented pattern set, not a trained recogniser (see ``docs/comments.md``): e-mail
    addresses (also ``ana(at)example.se``, ``ana [at] example [dot] se``,
    ``ana@localhost``), phone numbers with a trunk 0 or a country code (``+46``, ``0046``,
    ``(070) 123 45 67``, ``+44 (0)20 ...``, any spaces, dots or hyphens, the no-break
    hyphen too) and Danish 8-digit numbers written in pairs or fours; personal identity
    numbers and numbers of 6 or more digits (order, customer, invoice numbers); names
    introduced (*my name is*, *jag heter*, *mit navn er*, *minun nimeni on*, *mijn naam
    is*), signed (*Best regards, Anna*, *Mvh Anna*) or announced (*Anna Berg here*). Dates
    (2026-03-01, 1.3.2026), amounts and ordinary words stay.

    Examples
    --------
    >>> mask_pii("Ring mig på +46 70 123 45 67 eller mejla ana.berg@example.se")
    'Ring mig på [phone] eller mejla [e-mail]'
    >>> mask_pii("Anna Berg here: I am very angry, 2 parcels late since 1.3.2026")
    '[name] here: I am very angry, 2 parcels late since 1.3.2026'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return text
    out = _EMAIL.sub("[e-mail]", str(text))
    out = _ID_NUMBER.sub("[number]", out)
    dates: list[str] = []

    def keep_date(m: re.Match) -> str:
        dates.append(m.group(0))
        return f"\ue000{len(dates) - 1}\ue001"

    out = _DATE.sub(keep_date, out)
    out = _PHONE.sub(_phone, out)
    out = _PHONE_DK.sub("[phone]", out)
    out = _LONG_NUMBER.sub("[number]", out)
    out = re.sub("\ue000(\\d+)\ue001", lambda m: dates[int(m.group(1))], out)
    out = _NAME_INTRO.sub(lambda m: f"{m.group(1)} {_name(m.group(2), first_any_case=True)}", out)
    out = _SIGN_OFF.sub(lambda m: m.group(0).replace(m.group(2), _name(m.group(2))), out)
    return _NAME_HERE.sub(lambda m: _name(m.group(1), here=m.group(2)), out)


def _phone(m: re.Match) -> str:
    """``[phone]`` for a match with the digits of a phone number, else the text unchanged."""
    digits = sum(ch.isdigit() for ch in m.group(0))
    if m.group("intl"):
        return "[phone]" if 8 <= digits <= 15 else m.group(0)
    return "[phone]" if 8 <= digits <= 12 else m.group(0)


def _name(found: str, *, first_any_case: bool = False, here: str | None = None) -> str:
    """Mask the capitalised words of a name; the first one whatever its case if asked."""
    words = found.split()
    capital = [w[0].isupper() or w in _PARTICLES for w in words]
    if here is not None:
        return f"[name] {here}" if all(capital) else f"{found} {here}"
    masked = []
    for i, word in enumerate(words):
        if not (capital[i] or (i == 0 and first_any_case)):
            break
        masked.append(word)
    if not masked or (not first_any_case and not masked[0][0].isupper()):
        return found
    rest = " ".join(words[len(masked) :])
    return "[name]" + (f" {rest}" if rest else "")


def neutralise_bidi(text: str) -> str:
    """Remove Unicode bidirectional controls from text that is about to be displayed.

    U+202A-U+202E (embeddings and overrides), U+2066-U+2069 (isolates), U+200E/U+200F and
    U+061C (marks) can reorder a comment's characters, and the table around it, when
    shown: "\u202egnp.exe" reads "exe.png". Right-to-left text itself still shows right
    to left (the browser's bidi algorithm needs no controls). The data keep them; only
    displayed copies are neutralised.

    Examples
    --------
    >>> neutralise_bidi("invoice\u202efdp.exe")
    'invoicefdp.exe'
    """
    return _BIDI.sub("", text)


def representative_comments(
    data: pd.DataFrame,
    theme: str,
    *,
    n: int = 3,
    group: str | None = "detractor",
    score: str = "nps",
    min_group: int = 5,
    taxonomy=None,
    seed: int = 0,
) -> pd.DataFrame:
    """A few comments on a theme, masked, in their original language.

    Only from a set of at least ``min_group`` matching comments, so that no respondent
    can be singled out; the shortest informative comments are preferred.

    Returns
    -------
    pandas.DataFrame
        ``[comment, language, nps]`` (masked text; no ids).
    """
    frame = data[data["comment"].notna()]
    if group is not None:
        frame = frame[nps_group(frame[score]) == group]
    hits = match_themes(frame, taxonomy=taxonomy)
    pool = frame[hits[theme]] if theme in hits else frame.iloc[0:0]
    if len(pool) < min_group:
        return pd.DataFrame(columns=["comment", "language", score])
    pool = pool.drop_duplicates("comment")
    picked = pool.sample(min(n, len(pool)), random_state=seed)
    return pd.DataFrame({"comment": picked["comment"].map(mask_pii),
                         "language": picked["language"], score: picked[score]})  # fmt: skip


def suggest_topics(
    texts: Sequence[str], *, language: str | None = None, n_topics: int = 5, n_words: int = 6,
    min_comments: int = 10, seed: int = 0,
) -> pd.DataFrame:  # fmt: skip
    """Topics to suggest themes the taxonomy misses: :func:`cxresearch.stats.topics.suggest_topics`.

    Run it per language. Returns ``[topic, words, comments, weight]``, one row per topic.
    """
    return topics.suggest_topics(texts, language=language, n_topics=n_topics, n_words=n_words,
                                 min_comments=min_comments, seed=seed)  # fmt: skip


def theme_frequencies(
    data: pd.DataFrame,
    *,
    score: str = "nps",
    taxonomy=None,
    confidence: float = 0.95,
    min_n: int = DEFAULT_MIN_N,
    suppress_below: int = DEFAULT_SUPPRESS_BELOW,
) -> pd.DataFrame:
    """Share of comments mentioning each theme, per NPS group, with Wilson intervals.

    Returns ``[group, theme, n, mentions, estimate, ci_low, ci_high, confidence,
    suppressed, unreliable]``, after the small-group rule
    (:func:`cxresearch.stats.metrics.small_group_rules`; suppressed rows keep ``n`` only).
    """
    frame = data[data["comment"].notna() & data[score].notna()]
    groups = nps_group(frame[score])
    hits = match_themes(frame, taxonomy=taxonomy)
    rows = []
    for g in ("detractor", "passive", "promoter"):
        mask = groups == g
        n = int(mask.sum())
        for theme in hits.columns:
            x = int(hits.loc[mask, theme].sum())
            est, _, low, high = intervals.wilson(x, n, confidence)
            rows.append({"group": g, "theme": theme, "n": n, "mentions": x,
                         "estimate": float(est), "ci_low": float(low),
                         "ci_high": float(high), "confidence": confidence})  # fmt: skip
    return small_group_rules(pd.DataFrame(rows), min_n=min_n, suppress_below=suppress_below,
                             hide=["mentions"])  # fmt: skip


def topics_by_language(
    data: pd.DataFrame, *, n_topics: int = 5, min_comments: int = 30
) -> pd.DataFrame:
    """:func:`suggest_topics` for each language, from masked comments.

    Returns
    -------
    pandas.DataFrame
        ``[language, topic, words, comments, weight]``. A language with fewer than
        ``min_comments`` comments, or whose comments share no content word, has one row
        with ``topic`` missing: too few comments for topics.
    """
    cols = ["language", *topics.COLUMNS]
    rows = []
    for lang, part in data.dropna(subset=["comment"]).groupby("language"):
        texts = [mask_pii(t) for t in part["comment"].tolist()]
        found = suggest_topics(texts, language=str(lang).lower()[:2], n_topics=n_topics,
                               min_comments=min_comments)  # fmt: skip
        if found.empty:
            found = pd.DataFrame({"topic": [pd.NA], "words": [""], "comments": [0],
                                  "weight": [np.nan]})  # fmt: skip
        rows.append(found.assign(language=lang)[cols])
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)
    return out.astype({"topic": "Int64", "comments": "int64", "weight": "float64"})
