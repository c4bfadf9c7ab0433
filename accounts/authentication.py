"""Expiring API tokens: `Authorization: Bearer <token>` (or `Token <token>`), and agency systems' API keys:
`Authorization: Api-Key <key>`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from core.exceptions import ApplicationError

if TYPE_CHECKING:
    from accounts.models import ApiKey, AuthToken, User

KEYWORDS = (b"bearer", b"token")


class ExpiringTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, AuthToken] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() not in KEYWORDS:
            return None  # not ours: the request stays anonymous
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("The Authorization header must be 'Bearer <token>'."), code="authentication_failed"
            )
        try:
            token = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("The token is not valid."), code="authentication_failed") from None
        # Imported here: DRF imports this class along with rest_framework.views, which may happen while
        # the models are still loading.
        from accounts.services import auth_token_verify

        try:
            auth_token = auth_token_verify(token=token)
        except ApplicationError as error:
            # DRF's own exception, so that the response is a 401 with a WWW-Authenticate challenge.
            raise AuthenticationFailed(error.message, code=error.code) from None
        return auth_token.user, auth_token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthentication(BaseAuthentication):
    """An agency system's own key (accounts.services.api_key_issue): nothing anyone can lock by guessing."""

    keyword = b"api-key"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                _("The Authorization header must be 'Api-Key <key>'."), code="authentication_failed"
            )
        try:
            key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(_("The API key is not valid."), code="authentication_failed") from None
        from accounts.services import api_key_verify

        try:
            api_key = api_key_verify(key=key)
        except ApplicationError as error:
            raise AuthenticationFailed(error.message, code=error.code) from None
        return api_key.user, api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Api-Key realm="api"'
