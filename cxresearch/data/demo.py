"""Generate a realistic demo survey database from a documented ground truth.

The truth is written down in module constants so that tests and benchmarks can check the
models against it. ``docs/schema.md`` explains the story; the short version:

* customers (B2B and B2C, seven countries) each have a latent experience level 1-5;
* each response's CSAT lies at that level or one step away; NPS follows CSAT;
* whether a respondent actually recommended in the last 12 months follows
  ``logistic(a + b * nps)`` per segment (:data:`INTENT_TRUTH`): about half of those
  scoring 10 did, falling with the score;
* a customer's spend in a month is their base spend times a multiplier of the CSAT of
  their most recent answer in an EARLIER month (:data:`SPEND_MULTIPLIER`; before their
  first answer, their latent level): experience precedes spend, and after a CSAT-5 answer
  a customer spends 2.4x what they spend after a CSAT-1 answer (+140 %, HBR 2014);
* the monthly churn hazard falls with the latent level (:data:`CHURN_HAZARD`);
* complaints: about one dissatisfied service contact in 27 complains, so about 26
  stay silent for every complaint.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from cxresearch.data.schema import TABLES

#: First month of the demo waves; there are :data:`MONTHS` monthly waves.
DEMO_START = dt.date(2024, 11, 1)
MONTHS = 24
DEFAULT_RESPONSES = 30_000
DEFAULT_SEED = 2026

#: P(recommended in the last 12 months | NPS score) = logistic(a + b * score), per segment.
INTENT_TRUTH: dict[str, tuple[float, float]] = {"B2C": (-5.0, 0.5), "B2B": (-5.4, 0.56)}
#: Effect of one rating point above the customer's level on the NPS (relational surveys):
#: the key-driver analysis should find the first four and not ``website``.
DRIVER_EFFECTS: dict[str, float] = {
    "product_quality": 0.8,
    "support": 0.5,
    "delivery": 0.3,
    "price": 0.2,
    "website": 0.0,
}
#: A real NPS change: Denmark's mean score drops by this much in the last
#: :data:`CHANGE_MONTHS` months; no other country changes.
NPS_CHANGE = {"DK": -0.8}
CHANGE_MONTHS = 3
#: Expected monthly spend after an answer at each CSAT level, relative to CSAT 1: spend in
#: a month follows the customer's most recent answer in an earlier month.
SPEND_MULTIPLIER: dict[int, float] = {1: 1.0, 2: 1.3, 3: 1.65, 4: 2.0, 5: 2.4}
#: Monthly probability of churning, by latent experience level.
CHURN_HAZARD: dict[int, float] = {1: 0.05, 2: 0.035, 3: 0.02, 4: 0.012, 5: 0.008}
#: P(a service contact rated CSAT 1-2 leads to a complaint): 1 in 27.
COMPLAINT_RATE_UNHAPPY = 1 / 27
#: Share of answers to the recommended question that are "unknown".
UNKNOWN_SHARE = 0.12

LEVEL_PROBS = np.array([0.05, 0.08, 0.15, 0.35, 0.37])
NPS_MEAN_BY_CSAT = np.array([2.0, 4.5, 6.8, 8.4, 9.6])
TOUCHPOINT_NPS_SHIFT = {
    "relationship": 0.0,
    "after_purchase": 0.3,
    "website_visit": -0.2,
    "service_call": -0.5,
    "sales_call": 0.1,
}
COUNTRIES = {"SE": 0.25, "DK": 0.15, "FI": 0.15, "NL": 0.20, "NO": 0.10, "DE": 0.10, "GB": 0.05}
COUNTRY_LANGUAGE = {"SE": "sv", "DK": "da", "FI": "fi", "NL": "nl"}
B2B_INDUSTRIES = ["retail", "manufacturing", "finance", "public_sector", "it_services"]
BASE_SPEND = {"B2B": 2000.0, "B2C": 80.0}

#: Themes that detractors' comments mention (and promoters' do not): the comment analysis
#: should find these over-represented among detractors, and no others.
DETRACTOR_THEMES = ("price", "delivery", "support_wait")

COMMENTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "neg": [
            "Delivery was late again.",
            "Support kept me waiting for an hour.",
            "Too expensive for what you get.",
            "The invoice was wrong.",
        ],
        "mid": ["It works, nothing special.", "Fine, but the website is slow."],
        "pos": [
            "Friendly and helpful staff!",
            "Great product quality.",
            "Support solved my problem at once.",
        ],
    },
    "sv": {
        "neg": [
            "Leveransen var sen igen.",
            "Jag fick vänta länge på kundtjänst.",
            "För dyrt för vad man får.",
            "Fakturan var fel.",
        ],
        "mid": ["Det fungerar, inget särskilt.", "Okej, men webbplatsen är långsam."],
        "pos": [
            "Trevlig och hjälpsam personal!",
            "Mycket bra kvalitet.",
            "Kundtjänst löste problemet direkt.",
        ],
    },
    "da": {
        "neg": [
            "Leveringen var forsinket igen.",
            "Kundeservice lod mig vente længe.",
            "Alt for dyrt.",
            "Fakturaen var forkert.",
        ],
        "mid": ["Det virker, intet særligt.", "Fint, men hjemmesiden er langsom."],
        "pos": [
            "Venligt og hjælpsomt personale!",
            "Rigtig god kvalitet.",
            "Kundeservice løste mit problem med det samme.",
        ],
    },
    "fi": {
        "neg": [
            "Toimitus myöhästyi taas.",
            "Asiakaspalvelussa piti odottaa pitkään.",
            "Aivan liian kallis hintaansa nähden.",
            "Lasku oli väärin.",
        ],
        "mid": ["Toimii, ei mitään erityistä.", "Ihan ok, mutta verkkosivu on hidas."],
        "pos": [
            "Ystävällinen ja avulias henkilökunta!",
            "Erinomainen laatu.",
            "Asiakaspalvelu ratkaisi ongelman heti.",
        ],
    },
    "nl": {
        "neg": [
            "De levering was weer te laat.",
            "Ik moest lang wachten op de klantenservice.",
            "Te duur voor wat je krijgt.",
            "De factuur klopte niet.",
        ],
        "mid": ["Het werkt, niets bijzonders.", "Prima, maar de website is traag."],
        "pos": [
            "Vriendelijk en behulpzaam personeel!",
            "Uitstekende kwaliteit.",
            "De klantenservice loste mijn probleem meteen op.",
        ],
    },
}


def _ids(prefix: str, numbers: np.ndarray, width: int) -> np.ndarray:
    """Format integer ids as text ids such as ``C0000042``."""
    return (prefix + pd.Series(numbers).astype(str).str.zfill(width)).to_numpy(dtype=object)


def _months(index: np.ndarray) -> np.ndarray:
    """Return the first day of month ``DEMO_START + index`` as datetime64[D]."""
    base = np.datetime64(DEMO_START.strftime("%Y-%m"), "M")
    return (base + index.astype("timedelta64[M]")).astype("datetime64[D]")


def _choice(rng: np.random.Generator, options, probs, size) -> np.ndarray:
    return rng.choice(np.asarray(options, dtype=object), size=size, p=np.asarray(probs))


def generate(
    n_responses: int = DEFAULT_RESPONSES, seed: int = DEFAULT_SEED
) -> dict[str, pd.DataFrame]:
    """Generate the demo tables.

    Parameters
    ----------
    n_responses
        Number of survey responses; customers number a quarter of that (at least 200).
    seed
        Seed of the random generator: the same seed gives the same database.

    Returns
    -------
    dict of str to pandas.DataFrame
        One DataFrame per table of :data:`cxresearch.data.schema.TABLES`.
    """
    if n_responses < 100:
        raise ValueError(f"n_responses must be at least 100, got {n_responses}")
    rng = np.random.default_rng(seed)
    n_cust = max(200, n_responses // 4)

    # -- customers ---------------------------------------------------------------------
    segment = _choice(rng, ["B2B", "B2C"], [0.3, 0.7], n_cust)
    country = _choice(rng, list(COUNTRIES), list(COUNTRIES.values()), n_cust)
    industry = np.where(
        segment == "B2B", rng.choice(np.array(B2B_INDUSTRIES, dtype=object), n_cust), "consumer"
    )
    level = rng.choice(np.arange(1, 6), size=n_cust, p=LEVEL_PROBS)
    joins_later = rng.random(n_cust) < 0.3
    start_month = np.where(joins_later, rng.integers(0, 20, n_cust), 0)
    days_before = rng.integers(1, 5 * 365, n_cust).astype("timedelta64[D]")
    first_purchase = np.where(
        joins_later,
        _months(start_month) + rng.integers(0, 28, n_cust).astype("timedelta64[D]"),
        np.datetime64(DEMO_START) - days_before,
    )
    hazard = np.array([CHURN_HAZARD[k] for k in range(1, 6)])[level - 1]
    # months survived after the first active month (geometric: first churn month)
    churn_offset = rng.geometric(hazard) - 1
    churn_month = start_month + churn_offset
    churned = churn_month < MONTHS
    churn_day = _months(np.minimum(churn_month, MONTHS - 1)) + rng.integers(0, 28, n_cust).astype(
        "timedelta64[D]"
    )
    churn_day = np.maximum(churn_day, first_purchase + np.timedelta64(1, "D"))
    active_months = np.where(churned, churn_month - start_month + 1, MONTHS - start_month)

    customers = pd.DataFrame(
        {
            "customer_id": _ids("C", np.arange(1, n_cust + 1), 7),
            "segment": segment,
            "country": country,
            "industry": industry,
            "first_purchase_date": pd.to_datetime(first_purchase).date,
            "churn_date": pd.Series(pd.to_datetime(churn_day).date).where(churned, None),
        }
    )

    # -- responses ---------------------------------------------------------------------
    p_cust = active_months / active_months.sum()
    cust = rng.choice(n_cust, size=n_responses, p=p_cust)
    month = start_month[cust] + (rng.random(n_responses) * active_months[cust]).astype(int)
    responded_at = _months(month).astype("datetime64[s]") + rng.integers(
        0, 28 * 86400, n_responses
    ).astype("timedelta64[s]")
    touchpoint = _choice(
        rng,
        list(TOUCHPOINT_NPS_SHIFT),
        [0.40, 0.21, 0.15, 0.15, 0.09],
        n_responses,
    )
    step = _choice(rng, [-1, 0, 1], [0.2, 0.6, 0.2], n_responses).astype(int)
    csat = np.clip(level[cust] + step, 1, 5)
    shift = np.array([TOUCHPOINT_NPS_SHIFT[t] for t in touchpoint])
    relational = touchpoint == "relationship"
    attrs = list(DRIVER_EFFECTS)
    ratings = np.clip(np.rint(level[cust][:, None] + rng.normal(0, 1, (n_responses, 4))), 1, 5)
    ratings = np.column_stack([ratings, rng.integers(1, 6, n_responses)])  # website: noise
    effects = np.array([DRIVER_EFFECTS[a] for a in attrs])
    driver = ((ratings - level[cust][:, None]) * effects).sum(axis=1) * relational
    for country_code, delta in NPS_CHANGE.items():
        shift = shift + delta * (
            (country[cust] == country_code) & (month >= MONTHS - CHANGE_MONTHS)
        )
    mean = NPS_MEAN_BY_CSAT[csat - 1] + shift + driver
    nps = np.clip(np.rint(rng.normal(mean, 1.4)), 0, 10).astype(int)
    seg_r = segment[cust]
    a = np.where(seg_r == "B2B", INTENT_TRUTH["B2B"][0], INTENT_TRUTH["B2C"][0])
    b = np.where(seg_r == "B2B", INTENT_TRUTH["B2B"][1], INTENT_TRUTH["B2C"][1])
    p_rec = 1.0 / (1.0 + np.exp(-(a + b * nps)))
    recommended = np.where(rng.random(n_responses) < p_rec, "yes", "no").astype(object)
    recommended[rng.random(n_responses) < UNKNOWN_SHARE] = "unknown"

    lang = np.array([COUNTRY_LANGUAGE.get(c, "en") for c in country[cust]], dtype=object)
    lang[(country[cust] == "FI") & (rng.random(n_responses) < 0.1)] = "sv"
    lang[rng.random(n_responses) < 0.1] = "en"
    comment = _comments(rng, lang, nps)

    survey_id = np.where(relational, month + 1, 100)
    responses = pd.DataFrame(
        {
            "response_id": _ids("R", np.arange(1, n_responses + 1), 8),
            "source": "demo",
            "customer_id": _ids("C", cust + 1, 7),
            "survey_id": survey_id.astype("int64"),
            "responded_at": responded_at,
            "touchpoint": touchpoint,
            "language": lang,
            "nps": nps.astype("int8"),
            "csat": csat.astype("int8"),
            "csat_min": np.int8(1),
            "csat_max": np.int8(5),
            "recommended_last_12m": recommended,
            "comment": comment,
            "weight": np.ones(n_responses),
        }
    )
    rel_idx = np.flatnonzero(relational)
    rating_rows = pd.DataFrame(
        {
            "response_id": np.repeat(responses["response_id"].to_numpy()[rel_idx], len(attrs)),
            "source": "demo",
            "attribute": np.tile(np.array(attrs, dtype=object), len(rel_idx)),
            "rating": ratings[rel_idx].reshape(-1).astype("int8"),
            "rating_min": np.int8(1),
            "rating_max": np.int8(5),
        }
    )
    responses = responses.sort_values("responded_at", kind="stable", ignore_index=True)

    surveys = pd.DataFrame(
        {
            "survey_id": np.arange(1, MONTHS + 1, dtype="int64").tolist() + [100],
            "name": [
                f"Relationship wave {m}"
                for m in _months(np.arange(MONTHS)).astype("datetime64[M]").astype(str)
            ]
            + ["Touchpoint feedback"],
            "kind": ["relational"] * MONTHS + ["transactional"],
            "starts_on": list(pd.to_datetime(_months(np.arange(MONTHS))).date) + [DEMO_START],
            "ends_on": list(
                (pd.to_datetime(_months(np.arange(1, MONTHS + 1))) - pd.Timedelta(days=1)).date
            )
            + [(pd.Timestamp(_months(np.array([MONTHS]))[0]) - pd.Timedelta(days=1)).date()],
        }
    )

    # -- spend: base x multiplier(most recent earlier answer) x monthly noise ----------
    rows = np.repeat(np.arange(n_cust), active_months)
    offset = np.arange(len(rows)) - np.repeat(
        np.cumsum(active_months) - active_months, active_months
    )
    experienced = _latest_earlier_csat(cust, month, responded_at, csat, level)
    mult = np.array([SPEND_MULTIPLIER[k] for k in range(1, 6)])
    month_index = start_month[rows] + offset
    base = np.array([BASE_SPEND[s] for s in segment]) * rng.lognormal(-0.125, 0.5, n_cust)
    amount = (
        base[rows]
        * mult[experienced[rows, month_index] - 1]
        * rng.lognormal(-0.03125, 0.25, len(rows))
    )
    spend = pd.DataFrame(
        {
            "customer_id": _ids("C", rows + 1, 7),
            "month": pd.to_datetime(_months(start_month[rows] + offset)).date,
            "amount": np.round(amount, 2),
            "currency": "EUR",
        }
    )

    interactions, agents = _service(rng, n_cust, level, start_month, active_months)
    tables = {
        "customers": customers,
        "surveys": surveys,
        "responses": responses,
        "ratings": rating_rows,
        "spend": spend,
        "interactions": interactions,
        "agent_satisfaction": agents,
    }
    assert set(tables) == set(TABLES)
    return tables


def _latest_earlier_csat(
    cust: np.ndarray,
    month: np.ndarray,
    responded_at: np.ndarray,
    csat: np.ndarray,
    level: np.ndarray,
) -> np.ndarray:
    """CSAT of each customer's most recent answer before each month (customers x months).

    An answer given in month ``m`` shapes spend from month ``m + 1`` on (experience
    precedes spend); before a customer's first answer, their latent level stands in.
    """
    n_cust = len(level)
    latest = (
        pd.DataFrame({"cust": cust, "month": month, "at": responded_at, "csat": csat})
        .sort_values("at", kind="stable")
        .groupby(["cust", "month"])["csat"]
        .last()
    )
    grid = np.full((n_cust, MONTHS + 1), np.nan)
    grid[latest.index.get_level_values("cust"), latest.index.get_level_values("month") + 1] = (
        latest.to_numpy()
    )
    grid = pd.DataFrame(grid).ffill(axis=1).to_numpy()
    grid = np.where(np.isnan(grid), level[:, None], grid)
    return grid.astype(int)


def _comments(rng: np.random.Generator, lang: np.ndarray, nps: np.ndarray) -> np.ndarray:
    out = np.full(len(lang), None, dtype=object)
    has = rng.random(len(lang)) < 0.35
    mood = np.where(nps <= 6, "neg", np.where(nps <= 8, "mid", "pos"))
    for code, moods in COMMENTS.items():
        for key, texts in moods.items():
            idx = np.flatnonzero(has & (lang == code) & (mood == key))
            out[idx] = rng.choice(np.array(texts, dtype=object), size=len(idx))
    return out


def _service(rng, n_cust, level, start_month, active_months):
    n_agents = 40
    teams = np.array(["Nord", "Syd", "Öst", "Väst"], dtype=object)
    agent_team = teams[np.arange(n_agents) % 4]
    agent_skill = rng.normal(0.0, 0.4, n_agents)
    per_cust = rng.poisson(1.2, n_cust)
    who = np.repeat(np.arange(n_cust), per_cust)
    agent = rng.integers(0, n_agents, len(who))
    month = start_month[who] + (rng.random(len(who)) * active_months[who]).astype(int)
    occurred = _months(month).astype("datetime64[s]") + rng.integers(
        0, 28 * 86400, len(who)
    ).astype("timedelta64[s]")
    csat = np.clip(np.rint(level[who] + agent_skill[agent] + rng.normal(0, 0.8, len(who))), 1, 5)
    p_complaint = np.where(csat <= 2, COMPLAINT_RATE_UNHAPPY, 0.002)
    interactions = pd.DataFrame(
        {
            "interaction_id": _ids("I", np.arange(1, len(who) + 1), 8),
            "customer_id": _ids("C", who + 1, 7),
            "agent_id": (agent + 1).astype("int64"),
            "team": agent_team[agent],
            "occurred_at": occurred,
            "csat": csat.astype("int8"),
            "csat_min": np.int8(1),
            "csat_max": np.int8(5),
            "complaint": rng.random(len(who)) < p_complaint,
        }
    ).sort_values("occurred_at", kind="stable", ignore_index=True)
    a_idx = np.repeat(np.arange(n_agents), MONTHS)
    m_idx = np.tile(np.arange(MONTHS), n_agents)
    agents = pd.DataFrame(
        {
            "agent_id": (a_idx + 1).astype("int64"),
            "team": agent_team[a_idx],
            "month": pd.to_datetime(_months(m_idx)).date,
            "asat": np.round(
                np.clip(3.8 + agent_skill[a_idx] + rng.normal(0, 0.3, len(a_idx)), 1, 5), 2
            ),
            "n": rng.integers(5, 15, len(a_idx)).astype("int64"),
        }
    )
    return interactions, agents
