import hashlib
import hmac

import pytest
from django.test import override_settings

from core.crypto import decrypt_text, encrypt_text, keyed_hash

ID_NUMBER = "11010519491231002X"


@pytest.mark.parametrize("key", ["k" * 32, "another-key-of-at-least-32-characters"])
def test_keyed_hash_is_hmac_sha256_under_the_current_key(key):
    with override_settings(IDENTITY_HMAC_KEY=key):
        digest = keyed_hash(ID_NUMBER)

    assert digest == hmac.new(key.encode(), ID_NUMBER.encode(), hashlib.sha256).hexdigest()


def test_keyed_hash_changes_with_the_key_and_the_value():
    with override_settings(IDENTITY_HMAC_KEY="k" * 32):
        first = keyed_hash(ID_NUMBER)
        other_value = keyed_hash("110105194912310021")
    with override_settings(IDENTITY_HMAC_KEY="j" * 32):
        other_key = keyed_hash(ID_NUMBER)

    assert len({first, other_value, other_key}) == 3


def test_encrypted_text_reads_back_and_hides_the_value():
    token = encrypt_text(ID_NUMBER)

    assert ID_NUMBER not in token
    assert decrypt_text(token) == ID_NUMBER
