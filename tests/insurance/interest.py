"""The year-end interest run, as the tests call it."""

from core.states import Actor
from insurance.models import InterestRun, Scheme
from insurance.services.accounts import account_interest_credit


def year_end_interest(*, year: int, province_id: str | None = None) -> InterestRun:
    return account_interest_credit(
        province_id=province_id,
        scheme=Scheme.EMPLOYEE_PENSION,
        up_to_period=year * 100 + 12,
        actor=Actor.periodic("test"),
    )
