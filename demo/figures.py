"""Plausible published figures for the demo: average wages by province and year, account interest rates.

The national average annual wage of urban non-private units (NBS) anchors the wages; each province is a
fixed multiple of it. The interest rates are the personal-account rates: from 2016 the unified rate
published by MOHRSS and the Ministry of Finance, before that the one-year deposit rate most provinces used.
Years after the last published figure are left without a rate, as they would be until it is published.
"""

from __future__ import annotations

from decimal import Decimal

# National average annual wage (yuan) of the years that anchor the curve; years between are interpolated
# geometrically, and years after the last one grow by PROJECTED_GROWTH.
NATIONAL_ANNUAL_WAGE: dict[int, int] = {
    1985: 1148,
    1990: 2140,
    1995: 5348,
    2000: 9333,
    2005: 18200,
    2010: 36539,
    2015: 62029,
    2020: 97379,
    2021: 106837,
    2022: 114029,
    2023: 120698,
    2024: 124110,
}
PROJECTED_GROWTH = 1.03

ACCOUNT_INTEREST_RATES: dict[int, Decimal] = {
    year: Decimal(rate)
    for year, rate in {
        1998: "0.0477",
        1999: "0.0225",
        2000: "0.0225",
        2001: "0.0225",
        2002: "0.0198",
        2003: "0.0198",
        2004: "0.0225",
        2005: "0.0225",
        2006: "0.0252",
        2007: "0.0414",
        2008: "0.0225",
        2009: "0.0225",
        2010: "0.0275",
        2011: "0.0350",
        2012: "0.0300",
        2013: "0.0300",
        2014: "0.0300",
        2015: "0.0275",
        2016: "0.0831",
        2017: "0.0712",
        2018: "0.0829",
        2019: "0.0761",
        2020: "0.0604",
        2021: "0.0669",
        2022: "0.0612",
        2023: "0.0397",
        2024: "0.0262",
    }.items()
}

# Mainland provinces: (share of the insured population in per mille, average wage relative to the nation).
# Taiwan, Hong Kong and Macau have no mainland insurance agency, so the demo has nobody insured there.
PROVINCE_PROFILE: dict[str, tuple[int, float]] = {
    "11": (16, 1.85),
    "12": (10, 1.10),
    "13": (52, 0.80),
    "14": (25, 0.80),
    "15": (17, 0.90),
    "21": (30, 0.85),
    "22": (17, 0.80),
    "23": (22, 0.78),
    "31": (18, 1.70),
    "32": (60, 1.05),
    "33": (47, 1.08),
    "34": (43, 0.85),
    "35": (30, 0.90),
    "36": (32, 0.78),
    "37": (72, 0.88),
    "41": (70, 0.70),
    "42": (41, 0.88),
    "43": (47, 0.80),
    "44": (90, 1.02),
    "45": (35, 0.78),
    "46": (7, 0.92),
    "50": (23, 0.92),
    "51": (59, 0.92),
    "52": (27, 0.88),
    "53": (33, 0.88),
    "54": (3, 1.25),
    "61": (28, 0.86),
    "62": (18, 0.80),
    "63": (4, 1.00),
    "64": (5, 0.95),
    "65": (18, 0.92),
}
PROVINCE_CODES: tuple[str, ...] = tuple(PROVINCE_PROFILE)
# Where people move to work, and how strongly each draws them.
DESTINATIONS: dict[str, int] = {"44": 30, "31": 18, "11": 16, "32": 12, "33": 12, "35": 5, "12": 4, "51": 3}


def national_annual_wage(year: int) -> float:
    years = sorted(NATIONAL_ANNUAL_WAGE)
    if year >= years[-1]:
        return NATIONAL_ANNUAL_WAGE[years[-1]] * PROJECTED_GROWTH ** (year - years[-1])
    if year <= years[0]:
        return float(NATIONAL_ANNUAL_WAGE[years[0]])
    after = next(y for y in years if y >= year)
    before = max(y for y in years if y <= year)
    if before == after:
        return float(NATIONAL_ANNUAL_WAGE[year])
    ratio = NATIONAL_ANNUAL_WAGE[after] / NATIONAL_ANNUAL_WAGE[before]
    return NATIONAL_ANNUAL_WAGE[before] * ratio ** ((year - before) / (after - before))


def average_monthly_wage(province: str, year: int) -> Decimal:
    """The figure a province publishes for `year`: its average monthly wage of the previous year, in
    whole yuan."""
    return Decimal(round(national_annual_wage(year - 1) / 12 * PROVINCE_PROFILE[province][1]))
