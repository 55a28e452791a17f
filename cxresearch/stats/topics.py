"""Suggested comment topics: word groups that recur, labelled by their distinctive words.

Comments are split into words and stopwords are dropped: scikit-learn's English list, the
``stop-words`` package's lists for sv, da, fi and nl (less the few words in them that say
what a comment is about, such as *långsam*) and survey fillers such as *ok* or *fine*. The
remaining words are stemmed with the Snowball stemmer of the comment's language, so that
*leveransen* and *leveranser* count as one word. Non-negative matrix factorisation (NMF)
of the TF-IDF matrix groups the comments; each group is labelled by its most distinctive
stems (class-based TF-IDF, as in BERTopic: Grootendorst 2022, arXiv:2203.05794), shown as
the word form used most often.
See ``docs/comments.md``.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from functools import cache

import numpy as np
import pandas as pd

#: Snowball names of the report languages.
_SNOWBALL = {"en": "english", "sv": "swedish", "da": "danish", "fi": "finnish", "nl": "dutch"}
#: Survey fillers the general stopword lists lack: they say how a comment sounds, not what
#: it is about.
FILLERS = {
    "en": ("ok", "okay", "fine", "really", "just", "thing", "things", "lot", "bit"),
    "sv": ("ok", "okej", "okey", "inget", "ingen", "bara", "lite", "helt", "verkligen", "sak"),
    "da": tuple(
        "ok okay fint fin intet ingen samme bare lidt helt virkelig rigtig igen ting".split()
    ),
    "fi": ("ok", "okei", "ihan", "aivan", "tosi", "todella", "mitään", "vähän", "asia"),
    "nl": ("ok", "oké", "oke", "prima", "gewoon", "echt", "heel", "niets", "niks", "beetje"),
}
#: Words of the broad sv and fi lists of ``stop-words`` that name what a comment is about.
KEEP = frozenset({"långsam", "länge", "viktig", "enkel", "hög", "låg", "stor", "liten",
                  "tidig", "kauan", "aika", "uusi"})  # fmt: skip
#: What :func:`cxresearch.stats.comments.mask_pii` puts in place of personal data.
_PLACEHOLDER = re.compile(r"\[(?:e-mail|phone|number|name)\]")
_TOKEN = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
COLUMNS = ["topic", "words", "comments", "weight"]


@cache
def stopwords(language: str | None) -> frozenset[str]:
    """The stopwords of a report language (``en``, ``sv``, ``da``, ``fi``, ``nl``).

    English stopwords are always included (comments mix languages); ``None`` or another
    language gives the stopwords of all five.
    """
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
    from stop_words import get_stop_words

    langs = [language] if language in _SNOWBALL else list(_SNOWBALL)
    words = set(ENGLISH_STOP_WORDS) | set(FILLERS["en"])
    for lang in langs:
        if lang != "en":
            words |= set(get_stop_words(_SNOWBALL[lang])) - KEEP
        words |= set(FILLERS[lang])
    return frozenset(w.lower() for w in words)


def _stemmer(language: str | None) -> Callable[[str], str]:
    if language not in _SNOWBALL:
        return str
    import snowballstemmer

    return snowballstemmer.stemmer(_SNOWBALL[language]).stemWord


def tokens(text: str, language: str | None = None) -> list[tuple[str, str]]:
    """The content words of a comment as ``(stem, word)`` pairs, stopwords dropped.

    Examples
    --------
    >>> tokens("Leveransen var sen igen, och leveranser kostar", "sv")
    [('leverans', 'leveransen'), ('sen', 'sen'), ('leverans', 'leveranser'), ('kost', 'kostar')]
    """
    stop = stopwords(language)
    stem = _stemmer(language)
    words = _TOKEN.findall(_PLACEHOLDER.sub(" ", text).lower())
    pairs = [(stem(w), w) for w in words if w not in stop]
    return [(s, w) for s, w in pairs if s not in stop and len(s) > 1]


def suggest_topics(
    texts: Sequence[str],
    *,
    language: str | None = None,
    n_topics: int = 5,
    n_words: int = 6,
    min_comments: int = 10,
    seed: int = 0,
) -> pd.DataFrame:
    """Topics in comments of one language, labelled by their most distinctive words.

    Parameters
    ----------
    texts
        The comments (masked, if they are to be shown); blanks and non-strings are skipped.
    language
        ``en``, ``sv``, ``da``, ``fi`` or ``nl``: its stopwords and stemmer. ``None``:
        the stopwords of all five and no stemming.
    n_topics
        The most topics to find (fewer when there are fewer distinct comments or words).
    n_words
        Words in each topic's label.
    min_comments
        Fewer comments than this, or no word used in two comments: no topics (an empty
        table), rather than topics made of chance.
    seed
        Seed of the NMF initialisation.

    Returns
    -------
    pandas.DataFrame
        ``[topic, words, comments, weight]``, one row per topic, largest first: ``words``
        the topic's most distinctive words (c-TF-IDF, each stem shown as its most frequent
        word form), ``comments`` the comments it holds (each comment belongs to the topic
        with the largest NMF weight), ``weight`` their share of the comments with a topic.
    """
    from sklearn.decomposition import NMF
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import TfidfTransformer

    docs = [tokens(t, language) for t in texts if isinstance(t, str) and t.strip()]
    if len(docs) < min_comments:
        return pd.DataFrame(columns=COLUMNS)
    doc_freq = Counter(s for doc in docs for s in {s for s, _ in doc})
    limit = max(2, int(0.9 * len(docs)))  # words in nearly every comment tell nothing apart
    vocab = sorted(s for s, f in doc_freq.items() if 2 <= f <= limit)
    if not vocab:
        return pd.DataFrame(columns=COLUMNS)
    index = {s: i for i, s in enumerate(vocab)}
    counts = np.zeros((len(docs), len(vocab)))
    forms: dict[str, Counter] = {s: Counter() for s in vocab}
    for row, doc in enumerate(docs):
        for s, w in doc:
            if s in index:
                counts[row, index[s]] += 1
                forms[s][w] += 1
    counts = counts[counts.sum(axis=1) > 0]
    distinct = len(np.unique(counts, axis=0))
    k = min(n_topics, len(vocab), distinct)
    x = TfidfTransformer().fit_transform(counts)
    with warnings.catch_warnings(), np.errstate(invalid="ignore"):
        # an approximate factorisation is good enough to suggest topics; an exact one
        # can leave a rounding error of -1e-16 under a square root
        warnings.simplefilter("ignore", ConvergenceWarning)
        weights = NMF(n_components=k, init="nndsvda", random_state=seed,
                      max_iter=1000).fit_transform(x)  # fmt: skip
    assigned = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    classes = sorted(set(assigned[assigned >= 0]))
    tf = np.vstack([counts[assigned == c].sum(axis=0) for c in classes])
    # c-TF-IDF (Grootendorst 2022, eq. 1): tf of t in class c * log(1 + A / f_t), A the
    # mean number of words per class and f_t the frequency of t over all classes
    ctfidf = tf * np.log1p(tf.sum(axis=1).mean() / tf.sum(axis=0))
    rows = []
    for c, scores in zip(classes, ctfidf, strict=True):
        top = [i for i in np.argsort(-scores, kind="stable")[:n_words] if scores[i] > 0]
        size = int((assigned == c).sum())
        rows.append({"words": ", ".join(forms[vocab[i]].most_common(1)[0][0] for i in top),
                     "comments": size, "weight": size / int((assigned >= 0).sum())})  # fmt: skip
    out = pd.DataFrame(rows).sort_values("comments", ascending=False, kind="stable")
    out.insert(0, "topic", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)[COLUMNS]
