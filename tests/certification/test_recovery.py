from decimal import Decimal

import pytest

from certification.models import RecoveryCase
from certification.services.recovery import (
    recovery_repayment_record,
    recovery_write_off_approve,
    recovery_write_off_propose,
)
from core.exceptions import ApplicationError
from core.models import Channel
from core.states import Actor
from tests.certification.conftest import award_in_payment

pytestmark = pytest.mark.django_db
CLERK, SUPERVISOR = Actor(Channel.ADMIN, 101), Actor(Channel.ADMIN, 102)


@pytest.fixture
def case():
    award = award_in_payment(sequence=1)
    return RecoveryCase.objects.create(
        person_id=award.person_id,
        award=award,
        province_id="11",
        overpaid=Decimal("6000.00"),
        months=[202503, 202504],
    )


def refused(call) -> str:
    with pytest.raises(ApplicationError) as error:
        call()
    return error.value.code


def test_repayments_count_down_to_recovered(case):
    recovery_repayment_record(case=case, amount=Decimal("2500"))
    assert (
        refused(lambda: recovery_repayment_record(case=case, amount=Decimal("3500.01")))
        == "recovery_amount_invalid"
    )
    done = recovery_repayment_record(case=case, amount=Decimal("3500"))
    assert (done.recovered, done.left, done.status) == (Decimal("6000.00"), Decimal(0), "recovered")
    assert (
        refused(lambda: recovery_repayment_record(case=case, amount=Decimal("1"))) == "recovery_case_closed"
    )


def test_writing_off_what_is_left_needs_a_second_person(case):
    recovery_repayment_record(case=case, amount=Decimal("1000"))
    assert (
        refused(lambda: recovery_write_off_approve(case=case, actor=SUPERVISOR))
        == "recovery_write_off_not_proposed"
    )
    recovery_write_off_propose(case=case, reason="Estate without assets", actor=CLERK)
    assert (
        refused(lambda: recovery_write_off_approve(case=case, actor=CLERK))
        == "recovery_write_off_same_person"
    )
    assert RecoveryCase.objects.get(pk=case.pk).status == "open"

    done = recovery_write_off_approve(case=case, actor=SUPERVISOR)

    assert (done.status, done.left, done.written_off_by_id) == ("written_off", Decimal("5000.00"), 102)
    assert (
        refused(lambda: recovery_write_off_propose(case=case, reason=" ", actor=CLERK))
        == "recovery_case_closed"
    )
