"""The card's rules that are figures or tables rather than moves (DOMAIN.md §5): a province's
configuration (validity by age, the lapse of a temporary loss, the PIN lockout), and where a card is
accepted for what."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from cards.models import CardProvinceConfig, ServicePointKind, UseDomain
from core.exceptions import ForbiddenError


@dataclass(frozen=True, slots=True)
class CardRules:
    validity_years_under_16: int = 6
    validity_years_16_to_25: int = 10
    validity_years_26_to_59: int = 20
    validity_years_from_60: int | None = None  # long term
    temporary_loss_days: int = 10
    pin_attempt_limit: int = 3


def card_rules_for(*, province_id: str) -> CardRules:
    """The province's card rules: its own row, or the defaults (CardProvinceConfig)."""
    config = CardProvinceConfig.objects.filter(province_id=province_id).first()
    if config is None:
        return CardRules()
    return CardRules(
        validity_years_under_16=config.validity_years_under_16,
        validity_years_16_to_25=config.validity_years_16_to_25,
        validity_years_26_to_59=config.validity_years_26_to_59,
        validity_years_from_60=config.validity_years_from_60,
        temporary_loss_days=config.temporary_loss_days,
        pin_attempt_limit=config.pin_attempt_limit,
    )


def _age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)


def valid_until(
    *, birth_date: datetime.date, issue_date: datetime.date, rules: CardRules
) -> datetime.date | None:
    """The last day a card issued on `issue_date` is valid, by the holder's age then; None: long term."""
    age = _age_on(birth_date, issue_date)
    if age < 16:
        years: int | None = rules.validity_years_under_16
    elif age <= 25:
        years = rules.validity_years_16_to_25
    elif age <= 59:
        years = rules.validity_years_26_to_59
    else:
        years = rules.validity_years_from_60
    return None if years is None else _years_later(issue_date, years) - datetime.timedelta(days=1)


# What each kind of service point offers a card for.
DOMAINS_AT: dict[str, tuple[str, ...]] = {
    ServicePointKind.HOSPITAL: (UseDomain.MEDICAL_SETTLEMENT,),
    ServicePointKind.PHARMACY: (UseDomain.MEDICAL_SETTLEMENT,),
    ServicePointKind.TRANSPORT: (UseDomain.TRANSPORT,),
    ServicePointKind.LIBRARY: (UseDomain.LIBRARY,),
    ServicePointKind.MUSEUM: (UseDomain.MUSEUM,),
    ServicePointKind.PARK: (UseDomain.PARK,),
    ServicePointKind.AGENCY_HALL: (UseDomain.CONTRIBUTION_PAYMENT, UseDomain.BENEFIT_PAYMENT),
}
# Payments from the card's bank account, which need its PIN (or a payment QR code, made with the
# electronic card's PIN).
PAYMENT_DOMAINS = frozenset({UseDomain.MEDICAL_SETTLEMENT, UseDomain.CONTRIBUTION_PAYMENT})
# Shanghai, Jiangsu, Zhejiang and Anhui accept each other's cards for transport, tourism, culture, social
# security, medical and financial services (in force 2022-10-01): every domain there is.
YANGTZE_RIVER_DELTA = frozenset({"31", "32", "33", "34"})
# Social security services and the bank function work nationwide.
NATIONWIDE_DOMAINS = frozenset({UseDomain.CONTRIBUTION_PAYMENT, UseDomain.BENEFIT_PAYMENT})
# The issuing province's own one-card services, refused elsewhere.
LOCAL_DOMAINS = frozenset({UseDomain.TRANSPORT, UseDomain.LIBRARY, UseDomain.MUSEUM, UseDomain.PARK})


@dataclass(frozen=True, slots=True)
class Acceptance:
    """Whether a card is accepted for a domain at a place; when not, the refusal that says why."""

    refusal: ForbiddenError | None = None

    @property
    def accepted(self) -> bool:
        return self.refusal is None


def use_acceptance(
    *, domain: str, card_province: str, point_province: str, point_kind: str, has_medical_filing: bool
) -> Acceptance:
    if domain not in DOMAINS_AT[point_kind]:
        return Acceptance(
            ForbiddenError("card_use_not_offered_here", _("This service point does not offer this use."))
        )
    if card_province == point_province:
        return Acceptance()
    if card_province in YANGTZE_RIVER_DELTA and point_province in YANGTZE_RIVER_DELTA:
        return Acceptance()
    if domain in NATIONWIDE_DOMAINS:
        return Acceptance()
    if domain == UseDomain.MEDICAL_SETTLEMENT:
        if has_medical_filing:
            return Acceptance()
        return Acceptance(
            ForbiddenError(
                "card_use_needs_medical_filing",
                _("Medical settlement outside the card's province needs a cross-province medical filing."),
            )
        )
    return Acceptance(
        ForbiddenError(
            "card_use_local_to_issuing_province",
            _("Transport, tourism and culture are the card's own province's uses only."),
        )
    )
