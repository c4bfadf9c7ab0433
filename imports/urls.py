from django.urls import path

from imports import apis

urlpatterns = [
    path("imports", apis.ImportJobsApi.as_view(), name="import-jobs"),
    path("imports/kinds", apis.ImportKindsApi.as_view(), name="import-kinds"),
    # Beside the kinds: /imports/examples/{kind} was ambiguous with /imports/{job_id}/cancel.
    path("imports/kinds/<str:kind>/example", apis.ImportExampleApi.as_view(), name="import-example"),
    path("imports/<int:job_id>", apis.ImportJobApi.as_view(), name="import-job"),
    path("imports/<int:job_id>/cancel", apis.ImportCancelApi.as_view(), name="import-cancel"),
    path("imports/<int:job_id>/rerun", apis.ImportRerunApi.as_view(), name="import-rerun"),
    path("imports/<int:job_id>/errors", apis.ImportErrorsApi.as_view(), name="import-errors"),
    path(
        "imports/<int:job_id>/errors/counts", apis.ImportErrorCountsApi.as_view(), name="import-error-counts"
    ),
    path("imports/<int:job_id>/errors.csv", apis.ImportErrorsCsvApi.as_view(), name="import-errors-csv"),
    path(
        "imports/<int:job_id>/errors-full-id.csv",
        apis.ImportErrorsFullIdCsvApi.as_view(),
        name="import-errors-full-id-csv",
    ),
]
