from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from accounts.models import AuthToken
from accounts.serializers import CurrentUserSerializer, LoginInputSerializer, LoginOutputSerializer
from accounts.services import auth_token_revoke, user_login
from core.schema import error_codes
from core.throttling import ResilientScopedRateThrottle


class LoginApi(APIView):
    # Signing in must work even when the client still sends an old, expired token.
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ResilientScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(
        summary="Sign in and receive an API token",
        auth=[],
        request=LoginInputSerializer,
        examples=[
            OpenApiExample(
                "Beijing agency staff (demo data)",
                value={"username": "agency-11", "password": "shebao-demo-2026"},
                request_only=True,
            )
        ],
        responses=LoginOutputSerializer,
        extensions=error_codes(
            "invalid_credentials",
            "login_locked",
            "login_slowed",
            "account_holder_deceased",
            "service_unavailable",
        ),
    )
    def post(self, request: Request) -> Response:
        serializer = LoginInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The address as the throttles see it: behind DJANGO_NUM_PROXIES proxies, the one they report.
        issued = user_login(**serializer.validated_data, client_address=BaseThrottle().get_ident(request))
        return Response(LoginOutputSerializer(issued).data)


class LogoutApi(APIView):
    @extend_schema(
        summary="Revoke the token used for this request",
        request=None,
        responses={204: None},
    )
    def post(self, request: Request) -> Response:
        # An agency system's API key is not signed out of: it ends by rotation or revocation, in the admin.
        if isinstance(request.auth, AuthToken):
            auth_token_revoke(auth_token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    @extend_schema(
        summary="The signed-in user",
        responses=CurrentUserSerializer,
    )
    def get(self, request: Request) -> Response:
        return Response(CurrentUserSerializer(request.user).data)
