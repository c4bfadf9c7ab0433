from django.urls import path

from insurance import apis

urlpatterns = [
    path("me/profile", apis.MyProfileApi.as_view(), name="my-profile"),
    path("me/relationships", apis.MyRelationshipsApi.as_view(), name="my-relationships"),
    path("me/contributions", apis.MyContributionsApi.as_view(), name="my-contributions"),
    path("me/contribution-years", apis.MyContributionYearsApi.as_view(), name="my-contribution-years"),
    path("me/account", apis.MyAccountApi.as_view(), name="my-account"),
    path("me/account/entries", apis.MyAccountEntriesApi.as_view(), name="my-account-entries"),
    path("me/retirement", apis.MyRetirementApi.as_view(), name="my-retirement"),
    path("me/pension-estimate", apis.MyPensionEstimateApi.as_view(), name="my-pension-estimate"),
    path("me/certificates", apis.MyCertificatesApi.as_view(), name="my-certificates"),
    path(
        "me/certificates/<int:certificate_id>/pdf",
        apis.MyCertificatePdfApi.as_view(),
        name="my-certificate-pdf",
    ),
    path("me/messages", apis.MyMessagesApi.as_view(), name="my-messages"),
    path(
        "me/messages/unread-count", apis.MyMessagesUnreadCountApi.as_view(), name="my-messages-unread-count"
    ),
    path("me/messages/read-all", apis.MyMessagesReadAllApi.as_view(), name="my-messages-read-all"),
    path("me/messages/<int:message_id>", apis.MyMessageApi.as_view(), name="my-message"),
    path("me/messages/<int:message_id>/read", apis.MyMessageReadApi.as_view(), name="my-message-read"),
    path("me/transfers", apis.MyTransfersApi.as_view(), name="my-transfers"),
    path("me/transfers/<int:transfer_id>", apis.MyTransferApi.as_view(), name="my-transfer"),
    path(
        "me/transfers/<int:transfer_id>/withdraw",
        apis.MyTransferWithdrawApi.as_view(),
        name="my-transfer-withdraw",
    ),
    path(
        "me/transfers/<int:transfer_id>/confirm",
        apis.MyTransferConfirmApi.as_view(),
        name="my-transfer-confirm",
    ),
    path(
        "me/transfers/<int:transfer_id>/decline",
        apis.MyTransferDeclineApi.as_view(),
        name="my-transfer-decline",
    ),
    path("me/benefit-province", apis.MyBenefitProvinceApi.as_view(), name="my-benefit-province"),
    path(
        "me/transfers/<int:transfer_id>/documents/<str:kind>",
        apis.MyTransferDocumentApi.as_view(),
        name="my-transfer-document",
    ),
    path("agency/transfers", apis.AgencyTransferQueueApi.as_view(), name="agency-transfers"),
    path(
        "agency/transfers/<int:transfer_id>/documents/<str:kind>",
        apis.AgencyTransferDocumentApi.as_view(),
        name="agency-transfer-document",
    ),
    path("agency/transfers/<int:transfer_id>", apis.AgencyTransferApi.as_view(), name="agency-transfer"),
    path(
        "agency/transfers/<int:transfer_id>/accept",
        apis.AgencyTransferAcceptApi.as_view(),
        name="agency-transfer-accept",
    ),
    path(
        "agency/transfers/<int:transfer_id>/reject",
        apis.AgencyTransferRejectApi.as_view(),
        name="agency-transfer-reject",
    ),
    path(
        "agency/transfers/<int:transfer_id>/send",
        apis.AgencyTransferSendApi.as_view(),
        name="agency-transfer-send",
    ),
    path(
        "agency/transfers/<int:transfer_id>/complete",
        apis.AgencyTransferCompleteApi.as_view(),
        name="agency-transfer-complete",
    ),
    path("agency/persons", apis.AgencyPersonSearchApi.as_view(), name="agency-person-search"),
    path("agency/persons/lookup", apis.AgencyPersonLookupApi.as_view(), name="agency-person-lookup"),
    path("agency/employers/<str:code>", apis.AgencyEmployerApi.as_view(), name="agency-employer"),
    path("agency/registrations", apis.AgencyRegistrationApi.as_view(), name="agency-registration"),
    path("agency/enrolments", apis.AgencyEnrolmentApi.as_view(), name="agency-enrolment"),
    path("agency/enrolments/batch", apis.AgencyEnrolmentBatchApi.as_view(), name="agency-enrolment-batch"),
    path(
        "agency/persons/<int:person_id>/relationships",
        apis.AgencyPersonRelationshipsApi.as_view(),
        name="agency-person-relationships",
    ),
    path(
        "agency/persons/<int:person_id>/relationships/<int:relationship_id>/suspend",
        apis.AgencyRelationshipSuspendApi.as_view(),
        name="agency-relationship-suspend",
    ),
    path(
        "agency/persons/<int:person_id>/relationships/<int:relationship_id>/resume",
        apis.AgencyRelationshipResumeApi.as_view(),
        name="agency-relationship-resume",
    ),
    path("agency/persons/<int:person_id>", apis.AgencyPersonDetailApi.as_view(), name="agency-person-detail"),
    path(
        "agency/persons/<int:person_id>/contributions",
        apis.AgencyPersonContributionsApi.as_view(),
        name="agency-person-contributions",
    ),
    path(
        "agency/persons/<int:person_id>/contribution-years",
        apis.AgencyPersonContributionYearsApi.as_view(),
        name="agency-person-contribution-years",
    ),
    path(
        "agency/persons/<int:person_id>/accounts",
        apis.AgencyPersonAccountsApi.as_view(),
        name="agency-person-accounts",
    ),
    path(
        "agency/persons/<int:person_id>/death",
        apis.AgencyPersonDeathApi.as_view(),
        name="agency-person-death",
    ),
]
