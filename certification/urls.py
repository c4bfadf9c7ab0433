from django.urls import path

from certification import apis

urlpatterns = [
    path("me/pension", apis.MyPensionApi.as_view(), name="my-pension"),
    path("me/pension/face-jobs", apis.MyFaceJobsApi.as_view(), name="my-pension-face-jobs"),
    path("me/pension/face-jobs/<int:job_id>", apis.MyFaceJobApi.as_view(), name="my-pension-face-job"),
    path(
        "agency/pension-certifications",
        apis.StaffCertificationApi.as_view(),
        name="agency-pension-certifications",
    ),
    path("agency/pensions/overdue", apis.OverdueAwardsApi.as_view(), name="agency-pensions-overdue"),
    path(
        "agency/pensions/recovery-cases",
        apis.RecoveryCasesApi.as_view(),
        name="agency-pension-recovery-cases",
    ),
]
