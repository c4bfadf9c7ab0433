from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from accounts.admin_scope import ProvinceScopedAdmin
from accounts.models import BACK_OFFICE_ROLES, ApiKey, AuthToken, Role, User
from accounts.roles import ROLE_GROUPS
from accounts.services import (
    UserBinding,
    api_key_issue,
    api_key_revoke,
    user_binding_resolve,
    user_role_group_join,
)
from core.admin import IdentityNumberSearchMixin
from core.exceptions import ApplicationError


class UserCreationForm(AdminUserCreationForm):
    """Creates a user of any role. The binding rules are the service's (`user_binding_resolve`), and a
    citizen's ID number goes in through the encrypting `id_number` setter, never as raw text."""

    id_number = forms.CharField(
        label=gettext_lazy("ID number"),
        required=False,
        max_length=18,
        help_text=gettext_lazy("Citizens only: the 18-character ID."),
    )

    # The stubs leave out the Meta that Django's user creation forms declare.
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "role", "province")

    binding: UserBinding | None = None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned_data = self.cleaned_data
        if "role" not in cleaned_data:
            return cleaned_data
        province = cleaned_data.get("province")
        try:
            self.binding = user_binding_resolve(
                role=cleaned_data["role"],
                province_code=province.code if province else None,
                id_number=cleaned_data.get("id_number") or None,
            )
        except ApplicationError as error:
            if not error.fields:
                self.add_error(None, [error.message])
            for field, messages in error.fields.items():
                self.add_error(field if field in self.fields else None, messages)
        return cleaned_data

    def save(self, commit: bool = True) -> User:
        user: User = super().save(commit=False)  # refuses a form that did not validate
        assert self.binding is not None, "a valid form has its binding"
        user.id_number = self.binding.id_number
        user.is_staff = user.role in BACK_OFFICE_ROLES
        if commit:
            user.save()
            self.save_m2m()
        return user


@admin.register(User)
class UserAdmin(IdentityNumberSearchMixin, ProvinceScopedAdmin, DjangoUserAdmin):
    """Accounts of every role. Only national administrators hold the permissions (accounts.roles); the
    province scope would still keep anyone else to their own province's agency accounts."""

    scope_province_field = "province"
    add_form = UserCreationForm
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "role",
                    "province",
                    "id_number",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    # A user's role and binding are fixed at creation: changing them would silently widen a scope.
    # is_staff follows from the role (and a constraint enforces it); the groups, among the role's own,
    # decide what a back-office account may do.
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (gettext_lazy("Personal info"), {"fields": ("first_name", "last_name", "email")}),
        (
            gettext_lazy("Role and scope"),
            {"fields": ("role", "province", "masked_id_number", "is_active", "groups")},
        ),
        (gettext_lazy("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    readonly_fields = ("role", "province", "masked_id_number", "last_login", "date_joined")
    list_display = ("username", "role", "province", "masked_id_number", "is_active", "last_login")
    list_filter = ("role", "province", "is_active")
    list_select_related = ("province",)
    search_fields = ("username",)
    search_help_text = gettext_lazy("Username (partial), or a citizen's full 18-character ID number (exact).")
    ordering = ("username",)
    filter_horizontal = ()

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> tuple[str, ...]:
        return tuple(self.readonly_fields) if obj else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and "groups" in form.base_fields:
            # Only the groups of the account's own role: a clerk is never made a national administrator.
            groups: Any = form.base_fields["groups"]
            groups.queryset = groups.queryset.filter(name__in=ROLE_GROUPS.get(Role(obj.role), ()))
            groups.help_text = gettext_lazy(
                "What this account may do in the admin (the groups its role may join)."
            )
        return form

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change:
            user_role_group_join(user=form.instance)

    @admin.display(description=gettext_lazy("ID number"))
    def masked_id_number(self, user: User) -> str:
        return user.id_number_masked or "-"


@admin.register(AuthToken)
class AuthTokenAdmin(ProvinceScopedAdmin):
    """Tokens can be looked at and deleted (revoked), never created or edited here."""

    scope_province_field = "user__province"

    list_display = ("user", "created_at", "expires_at", "is_expired")
    list_filter = ("user__role",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "created_at", "expires_at")
    readonly_fields = fields
    ordering = ("-created_at",)

    @admin.display(boolean=True, description=gettext_lazy("Expired"))
    def is_expired(self, token: AuthToken) -> bool:
        return token.expires_at <= timezone.now()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class ApiKeyIssueForm(forms.ModelForm):
    """Issuing a key is choosing the agency system: the key itself is made by the service, shown once."""

    class Meta:
        model = ApiKey
        fields = ("user",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        assert isinstance(user_field, forms.ModelChoiceField)
        user_field.queryset = User.objects.filter(role=Role.AGENCY_SYSTEM, is_active=True)
        user_field.help_text = (
            "The agency system. Its current keys stay valid for the rotation overlap "
            "(API_KEY_ROTATION_OVERLAP_SECONDS), then end."
        )


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Agency systems' API keys: issued (rotated) here, the new key shown once; revoked by an action.
    Never edited: a key's secret exists only in the message shown when it is issued."""

    add_form = ApiKeyIssueForm
    list_display = ("prefix", "user", "created_at", "expires_at", "is_valid")
    list_filter = ("user__province",)
    list_select_related = ("user",)
    search_fields = ("user__username", "=prefix")
    readonly_fields = ("user", "prefix", "created_at", "expires_at")
    ordering = ("-created_at",)
    actions = ("revoke",)

    def get_form(
        self, request: HttpRequest, obj: ApiKey | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> tuple[str, ...]:
        return tuple(self.readonly_fields) if obj else ()

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        issued = api_key_issue(user=form.cleaned_data["user"])
        obj.pk = issued.api_key.pk  # the admin's own log and redirect refer to the issued key
        self.message_user(
            request,
            gettext(
                "API key for %(username)s, shown only now: %(key)s "
                "(send it as 'Authorization: Api-Key <key>')."
            )
            % {"username": issued.api_key.user.username, "key": issued.key},
            messages.WARNING,
        )

    @admin.display(boolean=True, description=gettext_lazy("Valid now"))
    def is_valid(self, api_key: ApiKey) -> bool:
        return api_key.expires_at is None or api_key.expires_at > timezone.now()

    @admin.action(description=gettext_lazy("Revoke the selected keys now"))
    def revoke(self, request: HttpRequest, queryset: Any) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(
            request,
            ngettext("Revoked %(count)d key.", "Revoked %(count)d keys.", len(queryset))
            % {"count": len(queryset)},
            messages.SUCCESS,
        )

    def has_change_permission(self, request: HttpRequest, obj: ApiKey | None = None) -> bool:
        return False
