"""Thin views of the card API: parse with a serializer, call one service or selector, render."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.pagination import CursorPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAgencyUser, IsCitizen, IsServicePoint
from accounts.scope import Scope
from cards import ecard_tokens, selectors
from cards.models import Card
from cards.photos import photo_check
from cards.serializers import (
    CONSENT_TEXT,
    BatchCreateSerializer,
    BatchReturnedSerializer,
    BatchReturnSerializer,
    BatchSerializer,
    CardAccountEntrySerializer,
    CardApplicationSerializer,
    CardReplacementSerializer,
    CardSearchSerializer,
    CardSerializer,
    CardUseRequestSerializer,
    CardUseSerializer,
    CardWithHistorySerializer,
    LossReportSerializer,
    MedicalFilingRequestSerializer,
    MedicalFilingSerializer,
    PinChangeSerializer,
    PublicKeysSerializer,
    QrRequestSerializer,
    ReasonSerializer,
    ServicePointRequestSerializer,
    ServicePointSerializer,
    VerificationSerializer,
    VerifyRequestSerializer,
)
from cards.services import cards as card_services
from cards.services.cards import BankAccount, Consent
from cards.services.ecard import ecard_public_keys, ecard_qr_issue, ecard_verify_online
from cards.services.production import production_batch_create, production_batch_return
from cards.services.uses import Presented, card_use_record, medical_filing_register, service_point_register
from core.pagination import ClientPageSize
from core.schema import error_codes
from core.states import Actor
from insurance.selectors import person_of_citizen

_PHOTO_CODES = (
    "card_photo_too_large",
    "card_photo_format",
    "card_photo_too_many_pixels",
    "card_photo_no_face",
    "card_photo_several_faces",
    "card_photo_consent_required",
)
_STATUS_CODES = (
    "card_not_enabled",
    "card_lost",
    "card_locked",
    "card_sealed",
    "card_cancelled",
    "card_superseded",
)
_TOKEN_CODES = (
    "ecard_token_malformed",
    "ecard_token_forged",
    "ecard_token_expired",
    "ecard_token_unknown_key",
    "ecard_token_replayed",
    "ecard_card_unknown",
)
_PIN_CODES = ("card_pin_wrong", "card_locked", "card_not_usable", "ecard_pin_not_set")


def _example(
    value: dict, name: str = "example", media_type: str = "application/json"
) -> list[OpenApiExample]:
    return [OpenApiExample(name, value=value, request_only=True, media_type=media_type)]


def _binary(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=OpenApiTypes.BINARY, description=description)


class NewestFirst(ClientPageSize, CursorPagination):
    ordering = ("-at", "-id")
    page_size = 50


def _events_by_card(cards: list[Card]) -> dict[int, list]:
    events: dict[int, list] = defaultdict(list)
    for card in cards:
        events[card.pk] = list(selectors.card_events(card=card))
    return events


def _with_history(cards: list[Card]) -> CardWithHistorySerializer:
    return CardWithHistorySerializer(cards, many=True, context={"events": _events_by_card(cards)})


# --- citizens -----------------------------------------------------------------------------------------


class CitizenCardView(APIView):
    permission_classes = [IsCitizen]
    answers_not_found = True  # a citizen with no card, or no valid one, yet (core.schema)

    def scope(self) -> Scope:
        return Scope.of(self.request.user)

    def valid_card(self) -> Card:
        return selectors.card_valid_of_citizen(scope=self.scope())

    def actor(self) -> Actor:
        return Actor.api(self.request.user)


class MyCardApi(CitizenCardView):
    @extend_schema(summary="My social security card (the newest; masked)", responses=CardSerializer)
    def get(self, request):
        return Response(CardSerializer(selectors.card_current_of_citizen(scope=self.scope())).data)


class MyCardsApi(CitizenCardView):
    @extend_schema(
        summary="My cards and applications, newest first, each with its history (follow production)",
        responses=CardWithHistorySerializer(many=True),
    )
    def get(self, request):
        return Response(_with_history(list(selectors.cards_of_citizen(scope=self.scope()))).data)


class MyCardApplicationApi(CitizenCardView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Apply for a social security card, with a photo (multipart)",
        request={"multipart/form-data": CardApplicationSerializer},
        responses={201: CardSerializer},
        examples=_example(
            {
                "province": "11",
                "bank_name": "中国工商银行",
                "bank_account": "6222020200112233445",
                "pin": "902741",
                "photo": "(a JPEG or PNG file)",
                "consent": True,
            },
            media_type="multipart/form-data",
        ),
        extensions=error_codes(
            *_PHOTO_CODES,
            "card_pin_format",
            "card_bank_account_format",
            "card_already_held",
            "card_application_pending",
            "province_unknown",
            "person_deceased",
        ),
    )
    def post(self, request):
        body = CardApplicationSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        person = person_of_citizen(scope=self.scope())
        card = card_services.card_apply(
            person_id=person.pk,
            province_id=data["province"],
            bank=BankAccount(data["bank_name"], data["bank_account"]),
            pin=data["pin"],
            photo=photo_check(content=data["photo"].read(settings.CARD_PHOTO_MAX_BYTES + 1)),
            consent=Consent(data["consent"], CONSENT_TEXT),
            actor=self.actor(),
        )
        return Response(CardSerializer(card).data, status=status.HTTP_201_CREATED)


def _replacement(request, card: Card, actor: Actor) -> Card:
    body = CardReplacementSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    bank = BankAccount(data.get("bank_name", ""), data["bank_account"]) if data.get("bank_account") else None
    photo = (
        photo_check(content=data["photo"].read(settings.CARD_PHOTO_MAX_BYTES + 1))
        if "photo" in data
        else None
    )
    return card_services.card_replacement_apply(
        card=card,
        reason=data["reason"],
        province_id=data.get("province"),
        bank=bank,
        photo=photo,
        consent=Consent(data.get("consent", False), CONSENT_TEXT) if photo else None,
        actor=actor,
    )


_REPLACEMENT_SCHEMA = {
    "request": {
        "application/json": CardReplacementSerializer,
        "multipart/form-data": CardReplacementSerializer,
    },
    "responses": {201: CardSerializer},
    "examples": _example({"reason": "province_move", "province": "44"}),
    "extensions": error_codes(
        *_PHOTO_CODES,
        "card_replacement_reason_unknown",
        "card_not_replaceable",
        "card_replacement_province_required",
        "card_replacement_bank_required",
        "card_bank_account_format",
        "card_application_pending",
        "person_deceased",
    ),
}


class MyCardReplacementApi(CitizenCardView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(summary="Apply for a replacement of my card, with a reason", **_REPLACEMENT_SCHEMA)
    def post(self, request):
        card = selectors.card_replaceable_of_citizen(scope=self.scope())
        return Response(CardSerializer(_replacement(request, card, self.actor())).data, status=201)


class MyCardLossApi(CitizenCardView):
    @extend_schema(
        summary="Report my card lost: temporarily (lapses unless made formal) or formally (irreversible)",
        request=LossReportSerializer,
        responses=CardSerializer,
        examples=_example({"formal": False, "reason": "Left on the bus"}),
        extensions=error_codes("card_already_reported_lost", "card_not_usable", "state_move_not_allowed"),
    )
    def post(self, request):
        body = LossReportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card = card_services.card_report_lost(
            card=self.valid_card(), actor=self.actor(), **body.validated_data
        )
        return Response(CardSerializer(card).data)


class MyCardLossWithdrawApi(CitizenCardView):
    @extend_schema(
        summary="Withdraw my card's temporary loss (until a replacement is applied for)",
        request=ReasonSerializer,
        responses=CardSerializer,
        examples=_example({"reason": "Found it"}),
        extensions=error_codes(
            "card_not_temporarily_lost", "card_replacement_applied", "state_move_not_allowed"
        ),
    )
    def post(self, request):
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card = card_services.card_loss_withdraw(
            card=self.valid_card(), actor=self.actor(), **body.validated_data
        )
        return Response(CardSerializer(card).data)


class MyCardPinApi(CitizenCardView):
    @extend_schema(
        summary="Change my card's PIN",
        request=PinChangeSerializer,
        responses={204: None},
        examples=_example({"current_pin": "902741", "new_pin": "417209"}),
        extensions=error_codes("card_pin_format", *_PIN_CODES),
    )
    def post(self, request):
        body = PinChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card_services.card_pin_change(card=self.valid_card(), actor=self.actor(), **body.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyEcardPinApi(CitizenCardView):
    @extend_schema(
        summary="Set my electronic card's own PIN (the first time with the card's PIN)",
        request=PinChangeSerializer,
        responses={204: None},
        examples=_example({"current_pin": "902741", "new_pin": "530618"}),
        extensions=error_codes("card_pin_format", *_PIN_CODES),
    )
    def post(self, request):
        body = PinChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        card_services.ecard_pin_set(card=self.valid_card(), actor=self.actor(), **body.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MyEcardQrApi(CitizenCardView):
    @extend_schema(
        summary="A QR code of my electronic card, valid for a minute; its token is in the Ecard-Token header",
        request=QrRequestSerializer,
        responses={
            (200, "image/svg+xml"): _binary("The QR code (SVG)."),
            (200, "image/png"): _binary("The QR code (PNG)."),
        },
        examples=_example({"purpose": "identity", "image_format": "svg"}),
        extensions=error_codes(*_STATUS_CODES, "ecard_pin_required", *_PIN_CODES),
    )
    def post(self, request):
        body = QrRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        issued = ecard_qr_issue(
            card=self.valid_card(),
            purpose=ecard_tokens.PAYMENT if data["purpose"] == "payment" else ecard_tokens.IDENTITY,
            ecard_pin=data["ecard_pin"],
            image_format=data["image_format"],
            actor=self.actor(),
        )
        response = HttpResponse(issued.image, content_type=issued.content_type)
        response["Ecard-Token"] = issued.token
        response["Ecard-Expires"] = issued.expires_at.isoformat()
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(summary="Money paid into my card's bank account (pensions, subsidies, benefits), newest first")
class MyCardAccountEntriesApi(ListAPIView, CitizenCardView):
    serializer_class = CardAccountEntrySerializer
    pagination_class = NewestFirst
    filter_backends: list = []

    def get_queryset(self):
        return selectors.card_account_entries(card=self.valid_card())


class MyMedicalFilingsApi(CitizenCardView):
    @extend_schema(summary="My cross-province medical filings", responses=MedicalFilingSerializer(many=True))
    def get(self, request):
        filings = selectors.medical_filings_of(person_id=self.valid_card().person_id)
        return Response(MedicalFilingSerializer(filings, many=True).data)

    @extend_schema(
        summary="Register a cross-province medical filing (异地就医备案) for myself",
        request=MedicalFilingRequestSerializer,
        responses={201: MedicalFilingSerializer},
        examples=_example({"province": "44", "valid_from": "2026-01-01", "valid_until": "2026-12-31"}),
        extensions=error_codes(
            "medical_filing_dates_invalid",
            "medical_filing_home_province",
            "medical_filing_exists",
            "card_none_valid",
            "province_unknown",
        ),
    )
    def post(self, request):
        return _filing_registered(request, self.valid_card())


def _filing_registered(request, card: Card) -> Response:
    body = MedicalFilingRequestSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    filing = medical_filing_register(
        person_id=card.person_id,
        province_id=data["province"],
        valid_from=data["valid_from"],
        valid_until=data["valid_until"],
        registered_by_id=request.user.pk,
    )
    return Response(MedicalFilingSerializer(filing).data, status=status.HTTP_201_CREATED)


# --- anyone: the published keys ---------------------------------------------------------------------


class EcardKeysApi(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        summary="The electronic card's public keys (current and recent), for verifying tokens offline",
        responses=PublicKeysSerializer,
    )
    def get(self, request):
        keys = [
            {
                "kid": key.kid,
                "algorithm": "Ed25519",
                "public_key": key.public_key,
                "signing": key.signing,
                "created_at": key.created_at,
                "retired_at": key.retired_at,
            }
            for key in ecard_public_keys()
        ]
        body = {"token_lifetime_seconds": settings.ECARD_TOKEN_TTL_SECONDS, "keys": keys}
        return Response(PublicKeysSerializer(body).data)


# --- service points ---------------------------------------------------------------------------------


class ServicePointView(APIView):
    permission_classes = [IsServicePoint]


class EcardVerifyApi(ServicePointView):
    @extend_schema(
        summary="Check an electronic card's code online: once only, and the card's status now",
        request=VerifyRequestSerializer,
        responses=VerificationSerializer,
        examples=_example({"token": "eyJrIjoiM2Y...In0.kX9...Ag"}),
        extensions=error_codes(*_TOKEN_CODES, *_STATUS_CODES),
    )
    def post(self, request):
        body = VerifyRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        verified = ecard_verify_online(token=body.validated_data["token"], point_user_id=request.user.pk)
        return Response(VerificationSerializer(verified).data)


class CardUseApi(ServicePointView):
    answers_not_found = True  # a card number that names no card, or a service point not yet set up

    @extend_schema(
        summary="Record a use of a card here (by its QR code, or the card itself with its PIN for a payment)",
        request=CardUseRequestSerializer,
        responses={201: CardUseSerializer},
        examples=_example(
            {"domain": "medical_settlement", "amount": "86.50", "card_number": "K12345678", "pin": "902741"}
        ),
        extensions=error_codes(
            *_TOKEN_CODES,
            *_STATUS_CODES,
            *_PIN_CODES,
            "card_pin_required",
            "card_use_amount_invalid",
            "card_use_payment_code_required",
            "card_use_not_offered_here",
            "card_use_needs_medical_filing",
            "card_use_local_to_issuing_province",
        ),
    )
    def post(self, request):
        body = CardUseRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        use = card_use_record(
            point=selectors.service_point_of(user_id=request.user.pk),
            domain=data["domain"],
            amount=data["amount"],
            presented=Presented(token=data["token"], card_number=data["card_number"], pin=data["pin"]),
            actor=Actor.api(request.user),
        )
        return Response(CardUseSerializer(use).data, status=status.HTTP_201_CREATED)


# --- agencies -----------------------------------------------------------------------------------------


class AgencyCardView(APIView):
    permission_classes = [IsAgencyUser]

    def card(self, card_id: int) -> Card:
        return selectors.card_get(scope=Scope.of(self.request.user), card_id=card_id)


class NewestCardsFirst(ClientPageSize, CursorPagination):
    ordering = ("-applied_at", "-id")
    page_size = 50


@extend_schema(summary="Search my province's cards", parameters=[CardSearchSerializer])
class AgencyCardSearchApi(ListAPIView, AgencyCardView):
    serializer_class = CardSerializer
    pagination_class = NewestCardsFirst
    filter_backends: list = []

    def get_queryset(self):
        query = CardSearchSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.cards_search(scope=Scope.of(self.request.user), **query.validated_data)


class AgencyCardDetailApi(AgencyCardView):
    @extend_schema(summary="A card of my province, with its history", responses=CardWithHistorySerializer)
    def get(self, request, card_id: int):
        return Response(_with_history([self.card(card_id)]).data[0])


def _agency_move(
    name: str, move: Callable[..., Card], summary: str, codes: tuple[str, ...], *, with_reason: bool = True
) -> type[AgencyCardView]:
    """The view of one lifecycle move of a card of the caller's province: a reason in, the card out."""
    body_class = LossReportSerializer if move is card_services.card_report_lost else ReasonSerializer

    @extend_schema(
        summary=summary,
        request=body_class,
        responses=CardSerializer,
        examples=_example({"reason": "At the holder's request"}),
        extensions=error_codes(*codes, "state_move_not_allowed"),
    )
    def post(self, request, card_id: int):
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        arguments = dict(body.validated_data) if with_reason else {}
        card = move(card=self.card(card_id), actor=Actor.api(request.user), **arguments)
        return Response(CardSerializer(card).data)

    return type(name, (AgencyCardView,), {"post": post, "__doc__": summary})


AgencyCardEnableApi = _agency_move(
    "AgencyCardEnableApi",
    card_services.card_enable,
    "Enable a card's social-security function",
    ("card_not_issued",),
    with_reason=False,
)
AgencyCardBankActivateApi = _agency_move(
    "AgencyCardBankActivateApi",
    card_services.card_bank_activate,
    "Activate a card's bank function",
    ("card_not_usable", "card_bank_already_active"),
    with_reason=False,
)
AgencyCardLossApi = _agency_move(
    "AgencyCardLossApi",
    card_services.card_report_lost,
    "Report a card lost (temporarily or formally)",
    ("card_already_reported_lost", "card_not_usable"),
)
AgencyCardLossWithdrawApi = _agency_move(
    "AgencyCardLossWithdrawApi",
    card_services.card_loss_withdraw,
    "Withdraw a card's temporary loss",
    ("card_not_temporarily_lost", "card_replacement_applied"),
)
AgencyCardLockApi = _agency_move(
    "AgencyCardLockApi", card_services.card_lock, "Lock a card", ("card_not_usable",)
)
AgencyCardUnlockApi = _agency_move(
    "AgencyCardUnlockApi", card_services.card_unlock, "Unlock a locked card", ("card_not_locked",)
)
AgencyCardSealApi = _agency_move(
    "AgencyCardSealApi", card_services.card_seal, "Seal a card", ("card_not_usable",)
)
AgencyCardUnsealApi = _agency_move(
    "AgencyCardUnsealApi", card_services.card_unseal, "Unseal a sealed card", ("card_not_sealed",)
)
AgencyCardCancelApi = _agency_move(
    "AgencyCardCancelApi", card_services.card_cancel, "Cancel a card (emigration)", ("card_ended",)
)


class AgencyCardReplacementApi(AgencyCardView):
    parser_classes = [JSONParser, MultiPartParser]

    @extend_schema(summary="Apply for a replacement of a card of my province", **_REPLACEMENT_SCHEMA)
    def post(self, request, card_id: int):
        card = _replacement(request, self.card(card_id), Actor.api(request.user))
        return Response(CardSerializer(card).data, status=status.HTTP_201_CREATED)


class AgencyMedicalFilingApi(AgencyCardView):
    @extend_schema(
        summary="Register a cross-province medical filing (异地就医备案) for a card holder of my province",
        request=MedicalFilingRequestSerializer,
        responses={201: MedicalFilingSerializer},
        examples=_example({"province": "31", "valid_from": "2026-01-01"}),
        extensions=error_codes(
            "medical_filing_dates_invalid",
            "medical_filing_home_province",
            "medical_filing_exists",
            "card_none_valid",
            "province_unknown",
        ),
    )
    def post(self, request, card_id: int):
        return _filing_registered(request, self.card(card_id))


class AgencyBatchesApi(AgencyCardView):
    @extend_schema(
        summary="Put my province's card applications into production as one batch",
        request=BatchCreateSerializer,
        responses={201: BatchSerializer},
        examples=_example({"limit": 5000}),
        extensions=error_codes("card_batch_empty"),
    )
    def post(self, request):
        body = BatchCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = production_batch_create(
            province_id=Scope.of(request.user).province_code or "",
            limit=body.validated_data["limit"],
            actor=Actor.api(request.user),
        )
        return Response(BatchSerializer(batch).data, status=status.HTTP_201_CREATED)


class AgencyBatchFileApi(AgencyCardView):
    @extend_schema(
        summary="The batch's file for the card maker (CSV; full ID numbers, each read logged)",
        responses={(200, "text/csv"): _binary("One line per card.")},
    )
    def get(self, request, batch_id: int):
        batch = selectors.production_batch_get(scope=Scope.of(request.user), batch_id=batch_id)
        content = selectors.production_batch_file(batch=batch, reader=request.user)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="card-batch-{batch.pk}.csv"'
        return response


class AgencyBatchReturnApi(AgencyCardView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="The card maker's returned file: marks the batch's cards issued",
        request={"multipart/form-data": BatchReturnSerializer},
        responses=BatchReturnedSerializer,
        examples=_example(
            {"file": "card_number,issue_date\nK12345678,2026-11-30\n"}, media_type="multipart/form-data"
        ),
        extensions=error_codes(
            "card_batch_file_header", "card_not_in_batch", "card_issue_date_invalid", "batch_refused"
        ),
    )
    def post(self, request, batch_id: int):
        body = BatchReturnSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        batch = selectors.production_batch_get(scope=Scope.of(request.user), batch_id=batch_id)
        returned = production_batch_return(
            batch=batch,
            content=body.validated_data["file"].read().decode("utf-8-sig"),
            actor=Actor.api(request.user),
        )
        return Response(BatchReturnedSerializer(returned).data)


class AgencyServicePointsApi(AgencyCardView):
    @extend_schema(
        summary="Set up a service point of my province (its own account)",
        request=ServicePointRequestSerializer,
        responses={201: ServicePointSerializer},
        examples=_example(
            {
                "username": "pku-hospital",
                "password": "a-long-passphrase-9",
                "kind": "hospital",
                "name": "北京大学第一医院",
            }
        ),
        extensions=error_codes(
            "service_point_kind_unknown",
            "service_point_name_required",
            "username_taken",
            "username_required",
            "password_too_weak",
        ),
    )
    def post(self, request):
        body = ServicePointRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        point = service_point_register(
            province_id=Scope.of(request.user).province_code or "", **body.validated_data
        )
        return Response(ServicePointSerializer(point).data, status=status.HTTP_201_CREATED)
