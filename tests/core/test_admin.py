import datetime

import pytest

from core.models import CalendarDay, CalendarYear, Region
from core.signals import calendar_year_entered

D = datetime.date
# These tests read the admin's English texts.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def announced():
    years = []

    def receiver(sender, year, **kwargs):
        years.append(year)

    calendar_year_entered.connect(receiver)
    yield years
    calendar_year_entered.disconnect(receiver)


def _days_formset(rows, *, initial=0):
    data = {
        "days-TOTAL_FORMS": str(len(rows)),
        "days-INITIAL_FORMS": str(initial),
        "days-MIN_NUM_FORMS": "0",
        "days-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"days-{index}-{key}": value for key, value in row.items()})
    return data


def _entered_2027():
    year = CalendarYear.objects.create(year=2027, source="Notice", entered=True)
    day = CalendarDay.objects.create(
        year=year, date=D(2027, 1, 1), is_working_day=False, name="New Year's Day"
    )
    return year, day


def _row_of(day, **changes):
    """The inline form row of a stored day, as the change page posts it back."""
    return {"id": str(day.pk), "year": str(day.year_id), "date": str(day.date), "name": day.name, **changes}


def test_regions_are_fixed_but_for_their_agency_names(admin_client):
    response = admin_client.get("/admin/core/region/")

    assert response.status_code == 200
    assert response.context["cl"].result_count == 34
    assert response.context["has_add_permission"] is False
    assert admin_client.get("/admin/core/region/add/").status_code == 403
    admin_client.post("/admin/core/region/11/change/", {"name": "X", "name_zh": "X"})
    assert Region.objects.filter(code="11", name="Beijing", name_zh="北京市").exists()
    assert admin_client.post("/admin/core/region/11/delete/", {"post": "yes"}).status_code == 403


def test_administrator_enters_a_new_year_as_a_draft_then_puts_it_in_force(
    admin_client, announced, django_capture_on_commit_callbacks
):
    rows = [
        {"date": "2027-01-01", "is_working_day": "", "name": "New Year's Day"},
        {"date": "2027-01-09", "is_working_day": "on", "name": "New Year's Day"},
    ]
    response = admin_client.post(
        "/admin/core/calendaryear/add/",
        {"year": "2027", "source": "国办发明电〔2026〕1号", **_days_formset(rows)},
        follow=True,
    )

    assert response.redirect_chain == [("/admin/core/calendaryear/", 302)]
    assert CalendarYear.objects.values_list("entered", flat=True).get(year=2027) is False
    assert list(CalendarDay.objects.filter(year_id=2027).values_list("date", "is_working_day")) == [
        (D(2027, 1, 1), False),
        (D(2027, 1, 9), True),
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/core/calendaryear/",
            {"action": "enter_schedule", "_selected_action": ["2027"]},
            follow=True,
        )

    assert [str(m) for m in response.context["messages"]] == ["2027: the official schedule is in force."]
    assert CalendarYear.objects.values_list("entered", "source").get(year=2027) == (
        True,
        "国办发明电〔2026〕1号",
    )
    assert announced == [2027]


def test_a_day_that_follows_the_weekday_rule_is_refused_in_the_form(admin_client):
    rows = [{"date": "2027-01-02", "is_working_day": "", "name": "Saturday"}]

    response = admin_client.post("/admin/core/calendaryear/add/", {"year": "2027", **_days_formset(rows)})

    assert response.status_code == 200
    assert "Only weekday holidays and working weekend days are entered" in response.content.decode()
    assert not CalendarYear.objects.filter(year=2027).exists()


def test_entering_a_year_without_a_source_reports_the_refusal(admin_client, announced):
    CalendarYear.objects.create(year=2027)
    CalendarDay.objects.create(year_id=2027, date=D(2027, 1, 1), is_working_day=False, name="New Year's Day")

    response = admin_client.post(
        "/admin/core/calendaryear/", {"action": "enter_schedule", "_selected_action": ["2027"]}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "2027: Say where the schedule comes from, e.g. the State Council notice."
    ]
    assert CalendarYear.objects.get(year=2027).entered is False
    assert announced == []


def test_correcting_an_entered_year_announces_it_again(
    admin_client, announced, django_capture_on_commit_callbacks
):
    year, day = _entered_2027()
    rows = [
        _row_of(day),
        {"year": "2027", "date": "2027-01-04", "is_working_day": "", "name": "New Year's Day"},
    ]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/core/calendaryear/2027/change/", {"source": "Notice", **_days_formset(rows, initial=1)}
        )

    assert response.status_code == 302
    assert list(CalendarDay.objects.filter(year=year).values_list("date", flat=True)) == [
        D(2027, 1, 1),
        D(2027, 1, 4),
    ]
    assert announced == [2027]


def test_a_correction_that_removes_every_holiday_is_refused(
    admin_client, announced, django_capture_on_commit_callbacks
):
    year, day = _entered_2027()
    rows = [_row_of(day, DELETE="on")]

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/core/calendaryear/2027/change/",
            {"source": "Notice", **_days_formset(rows, initial=1)},
        )

    assert response.status_code == 200
    assert "A schedule in force keeps its holidays: at least one must remain." in response.content.decode()
    assert list(CalendarDay.objects.filter(year=year).values_list("pk", flat=True)) == [day.pk]
    assert announced == []


def test_clearing_the_source_of_an_entered_year_is_refused(admin_client, announced):
    _, day = _entered_2027()
    rows = [_row_of(day, name="New Year")]

    response = admin_client.post(
        "/admin/core/calendaryear/2027/change/", {"source": " ", **_days_formset(rows, initial=1)}
    )

    assert response.status_code == 200
    assert "A schedule in force must say where it comes from." in response.content.decode()
    assert CalendarYear.objects.values_list("source", flat=True).get(year=2027) == "Notice"
    assert CalendarDay.objects.get(pk=day.pk).name == "New Year's Day"
    assert announced == []


def test_an_entered_year_cannot_be_deleted_but_a_draft_can(admin_client):
    _entered_2027()
    CalendarYear.objects.create(year=2028)

    assert admin_client.post("/admin/core/calendaryear/2027/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.post("/admin/core/calendaryear/2028/delete/", {"post": "yes"}).status_code == 302
    assert list(CalendarYear.objects.filter(year__gte=2027).values_list("year", flat=True)) == [2027]


def test_calendar_list_shows_the_day_counts(admin_client):
    response = admin_client.get("/admin/core/calendaryear/")

    row = next(obj for obj in response.context["cl"].result_list if obj.year == 2025)
    assert (row.holiday_count, row.working_weekend_count) == (18, 5)
    assert "delete_selected" not in response.context["action_form"].fields["action"].choices.__str__()


def test_an_administrator_enters_a_provinces_agency_name_but_not_the_province_itself(admin_client):
    url = "/admin/core/region/11/change/"

    response = admin_client.post(
        url,
        {
            "agency_name_zh": "北京市社会保险基金管理中心",
            "agency_name": "Beijing Social Insurance Fund",
            "name": "X",
        },
    )

    assert response.status_code == 302
    region = Region.objects.get(code="11")
    assert (region.agency_name_zh, region.agency_name, region.name) == (
        "北京市社会保险基金管理中心",
        "Beijing Social Insurance Fund",
        "Beijing",
    )
