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
    path(
        "agency/pensions/survivors-claims",
        apis.SurvivorClaimsApi.as_view(),
        name="agency-pension-survivors-claims",
    ),
    path(
        "agency/pensions/survivors-claims/<int:claim_id>",
        apis.SurvivorClaimApi.as_view(),
        name="agency-pension-survivors-claim",
    ),
    path(
        "agency/pensions/survivors-claims/<int:claim_id>/submit",
        apis.SurvivorClaimSubmitApi.as_view(),
        name="agency-pension-survivors-claim-submit",
    ),
    path(
        "agency/pensions/survivors-claims/<int:claim_id>/check",
        apis.SurvivorClaimCheckApi.as_view(),
        name="agency-pension-survivors-claim-check",
    ),
    path(
        "agency/pensions/survivors-claims/<int:claim_id>/pay",
        apis.SurvivorClaimPayApi.as_view(),
        name="agency-pension-survivors-claim-pay",
    ),
    path(
        "agency/pensions/survivors-claims/<int:claim_id>/reject",
        apis.SurvivorClaimRejectApi.as_view(),
        name="agency-pension-survivors-claim-reject",
    ),
]
