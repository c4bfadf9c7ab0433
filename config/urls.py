import os

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.apis import DocumentVerifyApi, HealthApi
from core.exceptions import json_not_found

handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"

# The admin's "View site" link: the API's own documentation, the service this back office runs.
admin.site.site_url = "/api/docs/"

api_v1 = [
    path("auth/", include("accounts.urls")),
    # The address printed on every document and in its QR code (core.documents.VERIFY_PATH).
    path("certificates/verify/<str:code>", DocumentVerifyApi.as_view(), name="document-verify"),
    path("", include("insurance.urls")),
    path("", include("cards.urls")),
    path("", include("certification.urls")),
    path("", include("imports.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    # The admin's language switch (POST language=en|zh-hans), kept in the session and a cookie.
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/health", HealthApi.as_view(), name="health"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/", include(api_v1)),
]
# bench/api_bench.py compares the API with a bare view; never mounted otherwise.
if os.environ.get("BENCH_BARE_VIEW") == "1":
    urlpatterns.append(path("", include("config.bench_urls")))
# Last: any other address answers the JSON envelope's 404, with DEBUG on too, where Django would answer its
# HTML debug page (handler404 serves only DEBUG off). The admin keeps its own pages.
urlpatterns.append(re_path(r"^(?!admin/)", json_not_found, name="not-found"))
