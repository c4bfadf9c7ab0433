from django.urls import path

from cards import apis

urlpatterns = [
    path("me/card", apis.MyCardApi.as_view(), name="my-card"),
    path("me/cards", apis.MyCardsApi.as_view(), name="my-cards"),
    path("me/card/applications", apis.MyCardApplicationApi.as_view(), name="my-card-application"),
    path("me/card/replacement", apis.MyCardReplacementApi.as_view(), name="my-card-replacement"),
    path("me/card/loss", apis.MyCardLossApi.as_view(), name="my-card-loss"),
    path("me/card/loss/withdraw", apis.MyCardLossWithdrawApi.as_view(), name="my-card-loss-withdraw"),
    path("me/card/pin", apis.MyCardPinApi.as_view(), name="my-card-pin"),
    path("me/card/account-entries", apis.MyCardAccountEntriesApi.as_view(), name="my-card-account-entries"),
    path("me/medical-filings", apis.MyMedicalFilingsApi.as_view(), name="my-medical-filings"),
    path("me/ecard/pin", apis.MyEcardPinApi.as_view(), name="my-ecard-pin"),
    path("me/ecard/qr", apis.MyEcardQrApi.as_view(), name="my-ecard-qr"),
    path("ecard/keys", apis.EcardKeysApi.as_view(), name="ecard-keys"),
    path("service-point/ecard/verify", apis.EcardVerifyApi.as_view(), name="ecard-verify"),
    path("service-point/card-uses", apis.CardUseApi.as_view(), name="card-uses"),
    path("agency/cards", apis.AgencyCardSearchApi.as_view(), name="agency-cards"),
    path("agency/cards/<int:card_id>", apis.AgencyCardDetailApi.as_view(), name="agency-card"),
    path("agency/cards/<int:card_id>/enable", apis.AgencyCardEnableApi.as_view(), name="agency-card-enable"),
    path(
        "agency/cards/<int:card_id>/activate-bank",
        apis.AgencyCardBankActivateApi.as_view(),
        name="agency-card-activate-bank",
    ),
    path("agency/cards/<int:card_id>/loss", apis.AgencyCardLossApi.as_view(), name="agency-card-loss"),
    path(
        "agency/cards/<int:card_id>/loss/withdraw",
        apis.AgencyCardLossWithdrawApi.as_view(),
        name="agency-card-loss-withdraw",
    ),
    path("agency/cards/<int:card_id>/lock", apis.AgencyCardLockApi.as_view(), name="agency-card-lock"),
    path("agency/cards/<int:card_id>/unlock", apis.AgencyCardUnlockApi.as_view(), name="agency-card-unlock"),
    path("agency/cards/<int:card_id>/seal", apis.AgencyCardSealApi.as_view(), name="agency-card-seal"),
    path("agency/cards/<int:card_id>/unseal", apis.AgencyCardUnsealApi.as_view(), name="agency-card-unseal"),
    path("agency/cards/<int:card_id>/cancel", apis.AgencyCardCancelApi.as_view(), name="agency-card-cancel"),
    path(
        "agency/cards/<int:card_id>/replacement",
        apis.AgencyCardReplacementApi.as_view(),
        name="agency-card-replacement",
    ),
    path(
        "agency/cards/<int:card_id>/medical-filings",
        apis.AgencyMedicalFilingApi.as_view(),
        name="agency-card-medical-filings",
    ),
    path("agency/card-batches", apis.AgencyBatchesApi.as_view(), name="agency-card-batches"),
    path(
        "agency/card-batches/<int:batch_id>/file",
        apis.AgencyBatchFileApi.as_view(),
        name="agency-card-batch-file",
    ),
    path(
        "agency/card-batches/<int:batch_id>/return",
        apis.AgencyBatchReturnApi.as_view(),
        name="agency-card-batch-return",
    ),
    path("agency/service-points", apis.AgencyServicePointsApi.as_view(), name="agency-service-points"),
]
