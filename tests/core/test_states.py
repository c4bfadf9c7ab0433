import datetime
import threading

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import Role, User
from core.models import Channel, StateEvent
from core.states import Actor, StateMoveNotAllowed, events_of
from insurance.models import InsuredPerson, PersonStatus
from insurance.states import PERSON_STATES
from tests.factories import make_id_number, register_person

pytestmark = pytest.mark.django_db


def _moves_of(person: InsuredPerson):
    """The person's moves after the event of their registration."""
    return events_of(entity=InsuredPerson, object_id=person.pk).exclude(from_state="")


def _person(**kwargs) -> InsuredPerson:
    return register_person(id_number=make_id_number(**kwargs), name="张三")


def test_a_move_sets_the_state_and_writes_one_event_with_who_when_why_and_channel():
    person = _person(birth_date=datetime.date(1960, 1, 1))
    clerk = User.objects.create_user(username="clerk", password="x" * 12, role=Role.ADMINISTRATOR)

    moved = PERSON_STATES.move(
        person.pk, to=PersonStatus.RETIRED, actor=Actor.admin(clerk), reason="Reached retirement age"
    )

    person.refresh_from_db()
    assert (moved.pk, moved.source, moved.person_id) == (person.pk, "active", person.pk)
    assert person.status == PersonStatus.RETIRED
    (event,) = _moves_of(person)
    assert (event.entity, event.from_state, event.to_state) == (
        "insurance.insuredperson",
        "active",
        "retired",
    )
    assert (event.actor_id, event.channel, event.reason, event.person_id) == (
        clerk.pk,
        Channel.ADMIN,
        "Reached retirement age",
        person.pk,
    )


def test_a_move_outside_the_table_is_refused_and_changes_nothing():
    person = _person()
    PERSON_STATES.move(
        person.pk,
        to=PersonStatus.DECEASED,
        actor=Actor.periodic("test"),
        values={"date_of_death": datetime.date(2024, 5, 1)},
    )

    with pytest.raises(StateMoveNotAllowed) as refused:
        PERSON_STATES.move(person.pk, to=PersonStatus.RETIRED, actor=Actor.periodic("test"))

    assert refused.value.code == "state_move_not_allowed"
    person.refresh_from_db()
    assert person.status == PersonStatus.DECEASED
    assert _moves_of(person).count() == 1


def test_a_set_based_move_sets_each_rows_own_values_and_writes_one_event_per_moved_row():
    people = [_person(sequence=n) for n in range(3)]
    PERSON_STATES.move(people[2].pk, to=PersonStatus.RETIRED, actor=Actor.periodic("test"))
    PERSON_STATES.move(
        people[2].pk,
        to=PersonStatus.DECEASED,
        actor=Actor.periodic("test"),
        values={"date_of_death": datetime.date(2020, 1, 1)},
    )
    days = [datetime.date(2024, 1, 2), datetime.date(2024, 3, 4), datetime.date(2024, 5, 6)]

    moved = PERSON_STATES.move_many(
        [p.pk for p in people],
        to=PersonStatus.DECEASED,
        actor=Actor(Channel.IMPORT, None, "import_job:7"),
        values={"date_of_death": days},
    )

    assert sorted(m.pk for m in moved) == sorted(p.pk for p in people[:2])
    assert [InsuredPerson.objects.get(pk=p.pk).date_of_death for p in people] == [
        days[0],
        days[1],
        datetime.date(2020, 1, 1),
    ]
    imported = StateEvent.objects.filter(reference="import_job:7")
    assert sorted(imported.values_list("object_id", flat=True)) == sorted(p.pk for p in people[:2])


def test_events_are_append_only():
    person = _person()
    PERSON_STATES.move(person.pk, to=PersonStatus.RETIRED, actor=Actor.periodic("test"))
    event = _moves_of(person).get()

    with pytest.raises(IntegrityError), transaction.atomic():
        StateEvent.objects.filter(pk=event.pk).update(reason="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        StateEvent.objects.filter(pk=event.pk).delete()


# serialized_rollback: an earlier transactional test flushes the regions the person needs.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_concurrent_moves_from_the_same_state_give_exactly_one_winner():
    person = _person(birth_date=datetime.date(1960, 1, 1))
    barrier = threading.Barrier(8)
    outcomes: list[str] = []

    def retire() -> None:
        try:
            barrier.wait()
            with transaction.atomic():
                PERSON_STATES.move(person.pk, to=PersonStatus.RETIRED, actor=Actor.periodic("race"))
            outcomes.append("moved")
        except StateMoveNotAllowed:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=retire) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["moved"] + ["refused"] * 7
    assert _moves_of(person).count() == 1


def test_a_registration_starts_the_persons_history_with_an_event_from_no_state():
    person = _person()

    (event,) = events_of(entity=InsuredPerson, object_id=person.pk)

    assert (event.from_state, event.to_state, event.channel, event.person_id) == (
        "",
        "active",
        Channel.ADMIN,
        person.pk,
    )
