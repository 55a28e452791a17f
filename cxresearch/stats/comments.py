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

from cxresearch.config import PASSIVE_MIN, PROMOTER_MIN, yaml_error_where
from cxresearch.stats import compare, intervals

DEFAULT_TAXONOMY = Path(__file__).parent.parent / "themes.yaml"
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", re.UNICODE)
_PHONE = re.compile(r"(?<![\w])(\+?\d[\d\s().-]{6,}\d)(?![\w])")
_LONG_NUMBER = re.compile(r"\b[A-Z]{0,3}\d{6,}\b")
_NAME_INTRO = re.compile(
    r"(?i)\b(my name is|i am|jag heter|mitt namn är|jeg hedder|mit navn er|nimeni on|"
    r"mijn naam is|ik heet)\s+([A-ZÅÄÖÆØ][\w'-]+(?:\s+[A-ZÅÄÖÆØ][\w'-]+)?)"
)


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
        return pd.DataFrame(columns=[*groups, *cols])
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
    """Mask e-mail addresses, phone numbers, long ids and self-introduced names.

    Examples
    --------
    >>> mask_pii("Ring mig på +46 70 123 45 67 eller mejla ana.berg@example.se")
    'Ring mig på [phone] eller mejla [e-mail]'
    """
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return text
    out = _EMAIL.sub("[e-mail]", str(text))
    out = _PHONE.sub("[phone]", out)
    out = _LONG_NUMBER.sub("[number]", out)
    return _NAME_INTRO.sub(lambda m: f"{m.group(1)} [name]", out)


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
    texts: Sequence[str], *, n_topics: int = 5, n_words: int = 6, seed: int = 0
) -> pd.DataFrame:
    """Unsupervised topics (TF-IDF and NMF) to suggest themes the taxonomy misses.

    Run it per language. Returns ``[topic, words, weight]``, one row per topic.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = [t for t in texts if isinstance(t, str) and t.strip()]
    if len(docs) < n_topics:
        return pd.DataFrame(columns=["topic", "words", "weight"])
    vectorizer = TfidfVectorizer(token_pattern=r"(?u)\b[^\W\d_]{3,}\b", max_df=0.9, min_df=2)
    x = vectorizer.fit_transform(docs)
    n_topics = min(n_topics, x.shape[1])
    model = NMF(n_components=n_topics, random_state=seed, init="nndsvda", max_iter=400)
    doc_topics = model.fit_transform(x)
    vocab = np.array(vectorizer.get_feature_names_out())
    rows = [{"topic": k + 1,
             "words": ", ".join(vocab[np.argsort(comp)[::-1][:n_words]]),
             "weight": float(doc_topics[:, k].sum() / doc_topics.sum())}
            for k, comp in enumerate(model.components_)]  # fmt: skip
    return pd.DataFrame(rows).sort_values("weight", ascending=False, ignore_index=True)


def theme_frequencies(
    data: pd.DataFrame, *, score: str = "nps", taxonomy=None, confidence: float = 0.95
) -> pd.DataFrame:
    """Share of comments mentioning each theme, per NPS group, with Wilson intervals.

    Returns ``[group, theme, n, mentions, estimate, ci_low, ci_high, confidence]``.
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
    return pd.DataFrame(rows)


def topics_by_language(data: pd.DataFrame, *, n_topics: int = 3, min_comments: int = 30):
    """:func:`suggest_topics` for each language with enough distinct comments.

    Returns ``[language, topic, words, weight]``.
    """
    rows = []
    for lang, part in data.dropna(subset=["comment"]).groupby("language"):
        texts = [mask_pii(t) for t in part["comment"].tolist()]
        if len(texts) < min_comments:
            continue
        found = suggest_topics(texts, n_topics=n_topics)
        found.insert(0, "language", lang)
        rows.append(found)
    cols = ["language", "topic", "words", "weight"]
    return pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)
