from rest_framework import serializers

from core.names import validate_name


class SignUpSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    nickname = serializers.CharField(max_length=50, validators=[validate_name])


class SignInSerializer(serializers.Serializer):
    id = serializers.EmailField(max_length=254, help_text="The account's e-mail address.")
    password = serializers.CharField(max_length=128, trim_whitespace=False)

    def to_internal_value(self, data):
        # Clients that send the address as `email` are accepted too.
        if isinstance(data, dict) and "id" not in data and "email" in data:
            data = {**data, "id": data["email"]}
        return super().to_internal_value(data)


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


class ConfirmEmailSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    userId = serializers.UUIDField()
    key = serializers.CharField(max_length=512, help_text="The signed key from the confirmation e-mail.")


class ConfirmInviteSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    userId = serializers.UUIDField()
    groupId = serializers.UUIDField()
    token = serializers.CharField(max_length=512, help_text="The token from the invitation e-mail.")


class PasswordSerializer(serializers.Serializer):
    password = serializers.CharField(max_length=128, trim_whitespace=False)


class GoogleSerializer(serializers.Serializer):
    idToken = serializers.CharField(max_length=8192)


class TokenPairSerializer(serializers.Serializer):
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()


class AccessTokenSerializer(serializers.Serializer):
    accessToken = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    message = serializers.CharField()


class MeSerializer(serializers.Serializer):
    nickname = serializers.CharField()
    email = serializers.EmailField()


class RoleSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    parentId = serializers.UUIDField(source="parent_id", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")
