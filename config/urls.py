import os

from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.translation import gettext_lazy
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.apis import ApiIndexApi, DocumentVerifyApi, HealthApi, ReadyApi
from core.exceptions import json_not_found

handler404 = "core.exceptions.json_not_found"
handler500 = "core.exceptions.json_server_error"

# The admin's "View site" link: the API's own documentation, the service this back office runs.
admin.site.site_url = "/api/docs/"
# The back office's own name on every page, not Django's.
admin.site.site_header = gettext_lazy("Unified social insurance public service platform")
admin.site.site_title = gettext_lazy("Social insurance back office")
admin.site.index_title = gettext_lazy("Back office")

# What /api/v1/ lists: {group: {name: URL name}}; tests/core/test_api_index.py opens each of them.
API_ENTRY_POINTS = {
    "documentation": {"openapi": "schema", "swagger_ui": "swagger-ui"},
    "operators": {"health": "health", "ready": "ready"},
    "auth": {"login": "auth-login", "logout": "auth-logout", "me": "auth-me"},
    "citizen": {
        "profile": "my-profile",
        "relationships": "my-relationships",
        "contributions": "my-contributions",
        "contribution_years": "my-contribution-years",
        "account": "my-account",
        "retirement": "my-retirement",
        "pension_estimate": "my-pension-estimate",
        "certificates": "my-certificates",
        "messages": "my-messages",
        "card": "my-card",
        "cards": "my-cards",
    },
    "agency": {
        "persons": "agency-person-search",
        "registrations": "agency-registration",
        "enrolments": "agency-enrolment",
        "enrolments_batch": "agency-enrolment-batch",
        "person_lookup": "agency-person-lookup",
        "imports": "import-jobs",
        "import_kinds": "import-kinds",
    },
}

api_v1 = [
    path("", ApiIndexApi.as_view(entry_points=API_ENTRY_POINTS), name="api-index"),
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
    path("api/ready", ReadyApi.as_view(), name="ready"),
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
