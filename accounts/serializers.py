from rest_framework import serializers

from accounts.models import Role, User


class LoginInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The account name.")
    password = serializers.CharField(
        max_length=4096,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="The account's password.",
    )


class UserSummarySerializer(serializers.Serializer):
    username = serializers.CharField(help_text="The account name.")
    role = serializers.ChoiceField(choices=Role.choices, help_text="What the account may do.")
    province = serializers.CharField(
        source="province_id", allow_null=True, help_text="Province code, for agency users."
    )


class CurrentUserSerializer(UserSummarySerializer):
    id_number_masked = serializers.SerializerMethodField(help_text="Citizens only: the masked ID number.")

    def get_id_number_masked(self, user: User) -> str | None:
        return user.id_number_masked or None


class LoginOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Bearer <token>`.")
    expires_at = serializers.DateTimeField(help_text="When the token stops working.")
    user = UserSummarySerializer(help_text="Who signed in.")
