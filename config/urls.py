from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.apis import HealthApi

handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"

api_v1 = [
    path("auth/", include("accounts.urls")),
    path("", include("insurance.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/health", HealthApi.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include(api_v1)),
]
