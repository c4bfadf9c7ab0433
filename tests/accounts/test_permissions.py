import pytest
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAdministrator, IsAgencyStaff, IsAgencyUser, IsCitizen, IsServicePoint
from tests.factories import (
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    ServicePointFactory,
    authenticated_client,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def _view(permission):
    class Probe(APIView):
        permission_classes = [permission]

        def get(self, request):
            return Response({"ok": True})

    return Probe.as_view()


PERMISSIONS = {
    "citizen": IsCitizen,
    "agency-user": IsAgencyUser,
    "agency-staff": IsAgencyStaff,
    "service-point": IsServicePoint,
    "administrator": IsAdministrator,
}
urlpatterns = [path(f"probe/{name}", _view(permission)) for name, permission in PERMISSIONS.items()]

FACTORIES = {
    "citizen": CitizenFactory,
    "agency_staff": AgencyStaffFactory,
    "agency_system": AgencySystemFactory,
    "service_point": ServicePointFactory,
    "administrator": AdministratorFactory,
}
ALLOWED = {
    "citizen": {"citizen"},
    "agency-user": {"agency_staff", "agency_system"},
    "agency-staff": {"agency_staff"},
    "service-point": {"service_point"},
    "administrator": {"administrator"},
}


@pytest.mark.parametrize("role", FACTORIES)
@pytest.mark.parametrize("probe", PERMISSIONS)
def test_each_permission_admits_exactly_its_roles(probe, role):
    response = authenticated_client(FACTORIES[role]()).get(f"/probe/{probe}")

    if role in ALLOWED[probe]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"


def test_permission_without_credentials_asks_for_authentication(api_client):
    response = api_client.get("/probe/citizen")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
