"""The baseline of bench/api_bench.py: a bare Django view that reads the same person row as the API,
without DRF, authentication or scope. Mounted by config/urls.py only when BENCH_BARE_VIEW=1."""

from django.http import Http404, JsonResponse
from django.urls import path

from insurance.models import InsuredPerson


def bare_person(request, person_id: int) -> JsonResponse:
    person = InsuredPerson.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404
    return JsonResponse(
        {
            "id": person.pk,
            "id_number": person.id_number_masked,
            "name": person.name,
            "sex": person.sex,
            "birth_date": person.birth_date,
            "hukou_province": person.hukou_province_id,
            "residence_province": person.residence_province_id,
            "phone": person.phone,
            "status": person.status,
            "date_of_death": person.date_of_death,
        }
    )


urlpatterns = [path("bench/bare/persons/<int:person_id>", bare_person, name="bench-bare-person")]
