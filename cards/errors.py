"""The error codes of social security cards, the electronic card and card uses (see core.errors)."""

from __future__ import annotations

from core.errors import ErrorCode

ERRORS = (
    # Applying and replacing.
    ErrorCode(
        "card_already_held", 409, "The person holds a valid card: a replacement is applied for instead."
    ),
    ErrorCode("card_application_pending", 409, "A card application of the person is already in progress."),
    ErrorCode("card_pin_format", 400, "A PIN is six digits, not all the same."),
    ErrorCode("card_bank_account_format", 400, "A bank account number is 12 to 30 digits."),
    ErrorCode(
        "card_photo_consent_required", 400, "The face photo is kept only with the holder's separate consent."
    ),
    ErrorCode("card_photo_too_large", 400, "The photo file is larger than CARD_PHOTO_MAX_BYTES."),
    ErrorCode("card_photo_format", 400, "The photo is not a readable JPEG or PNG image."),
    ErrorCode("card_photo_too_many_pixels", 400, "The picture has more pixels than CARD_PHOTO_MAX_PIXELS."),
    ErrorCode("card_photo_no_face", 400, "No face is found in the photo."),
    ErrorCode("card_photo_several_faces", 400, "More than one face is found in the photo."),
    ErrorCode("card_replacement_reason_unknown", 400, "There is no such replacement reason."),
    ErrorCode("card_not_replaceable", 409, "Only a valid or formally lost card can be replaced."),
    ErrorCode(
        "card_replacement_province_required", 400, "A move to another province names that (other) province."
    ),
    ErrorCode(
        "card_replacement_bank_required", 400, "A replacement for a change of bank names the new account."
    ),
    # Moves.
    ErrorCode("card_not_issued", 409, "Only an issued card, not yet enabled, can be enabled."),
    ErrorCode("card_not_usable", 409, "The card is not in use: lost, locked, sealed or ended."),
    ErrorCode("card_bank_already_active", 409, "The card's bank function is already activated."),
    ErrorCode(
        "card_already_reported_lost", 409, "The card is already reported lost (a formal loss is final)."
    ),
    ErrorCode("card_not_temporarily_lost", 409, "The card is not temporarily reported lost."),
    ErrorCode(
        "card_replacement_applied", 409, "A replacement of the card has been applied for: its loss stays."
    ),
    ErrorCode("card_not_locked", 409, "The card is not locked."),
    ErrorCode("card_not_sealed", 409, "The card is not sealed."),
    ErrorCode("card_ended", 409, "The card has already ended (replaced, formally lost or cancelled)."),
    # PINs.
    ErrorCode("card_pin_wrong", 400, "The PIN is wrong; `fields.tries_left` says how many tries are left."),
    ErrorCode("card_locked", 409, "The card is locked after too many wrong PINs."),
    ErrorCode("card_pin_required", 400, "A payment with the card needs its PIN."),
    ErrorCode("ecard_pin_not_set", 409, "The electronic card's PIN has not been set."),
    ErrorCode("ecard_pin_required", 400, "A payment code needs the electronic card's PIN."),
    # Production.
    ErrorCode("card_batch_empty", 409, "No card applications of the province wait for production."),
    ErrorCode("card_batch_file_header", 400, "The returned file's header is not card_number,issue_date."),
    ErrorCode("card_not_in_batch", 400, "A line of the returned file names no card of the batch."),
    ErrorCode("card_issue_date_invalid", 400, "A line's issue date is not a date up to today."),
    # The electronic card.
    ErrorCode("card_not_enabled", 409, "The card's social-security function is not enabled."),
    ErrorCode("card_lost", 409, "The card is reported lost (temporarily or formally)."),
    ErrorCode("card_sealed", 409, "The card is sealed."),
    ErrorCode("card_cancelled", 409, "The card is cancelled."),
    ErrorCode("card_superseded", 409, "The card has been replaced by a newer card."),
    ErrorCode("ecard_token_malformed", 400, "The code is not an electronic card's token."),
    ErrorCode("ecard_token_forged", 400, "The token's signature does not verify: forged or altered."),
    ErrorCode("ecard_token_expired", 400, "The token has expired."),
    ErrorCode("ecard_token_unknown_key", 400, "The token names a signing key that is not published."),
    ErrorCode("ecard_token_replayed", 409, "The token has been presented before; each is accepted once."),
    ErrorCode("ecard_card_unknown", 404, "No card has the number the token names."),
    # Uses.
    ErrorCode(
        "card_use_amount_invalid", 400, "A payment's amount is positive; no use has a negative amount."
    ),
    ErrorCode("card_use_payment_code_required", 400, "A payment by QR code needs a payment code."),
    ErrorCode("card_use_not_offered_here", 403, "This kind of service point does not offer this use."),
    ErrorCode(
        "card_use_needs_medical_filing",
        403,
        "Medical settlement outside the card's province needs a cross-province medical filing there.",
    ),
    ErrorCode(
        "card_use_local_to_issuing_province",
        403,
        "Transport, tourism and culture are the issuing province's own (Yangtze River Delta apart).",
    ),
    ErrorCode("service_point_kind_unknown", 400, "There is no such kind of service point."),
    ErrorCode("service_point_name_required", 400, "A service point has a name."),
    ErrorCode("medical_filing_dates_invalid", 400, "The filing ends before it starts."),
    ErrorCode("medical_filing_home_province", 400, "A filing is for a province other than the card's own."),
    ErrorCode("medical_filing_exists", 409, "The same filing is already registered."),
    ErrorCode("card_none_valid", 409, "The person holds no valid card."),
    # The card's bank account.
    ErrorCode("card_credit_kind_unknown", 400, "A credit names no known kind (pension, subsidy, benefit)."),
    ErrorCode("card_credit_amount_invalid", 400, "A credit's amount is not positive."),
    ErrorCode(
        "card_bank_not_activated", 409, "The card's bank function is not activated: nothing is paid in."
    ),
)
