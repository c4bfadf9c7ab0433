"""The error codes of pensions in payment and certification (see core.errors)."""

from __future__ import annotations

from core.errors import ErrorCode

ERRORS: tuple[ErrorCode, ...] = (
    # Awards.
    ErrorCode("award_exists", 409, "The person already has a pension award in the scheme."),
    ErrorCode("award_person_not_active", 409, "Only a living person who has not retired can retire."),
    ErrorCode("award_before_retirement_age", 409, "The person has not reached the statutory retirement age."),
    ErrorCode(
        "award_contribution_years_short",
        409,
        "Short of the minimum contribution years; `missing_months` and `missing_years` say by how much.",
    ),
    ErrorCode("award_month_before_first", 400, "An award has no amount before its first month."),
    # Yearly adjustments.
    ErrorCode("adjustment_invalid", 400, "An adjustment is a positive rate and/or a positive fixed amount."),
    ErrorCode(
        "adjustment_out_of_order", 409, "The province already applied an adjustment from that month or later."
    ),
    # Certification.
    ErrorCode(
        "certification_method_invalid",
        400,
        "Not a method by which a person certifies (passive is the nightly run's).",
    ),
    ErrorCode("certification_date_future", 400, "A certification cannot be dated in the future."),
    ErrorCode("certification_award_stopped", 409, "The pension has stopped: there is nothing to certify."),
    # Face certification.
    ErrorCode(
        "face_method_invalid", 400, "A face certification is by the pensioner (face_self) or a family member."
    ),
    ErrorCode(
        "face_consent_required", 400, "A selfie is processed only with the consent, given as its text."
    ),
    ErrorCode("selfie_too_large", 400, "The selfie file is larger than SELFIE_MAX_BYTES."),
    ErrorCode("selfie_format", 400, "The selfie is not a readable JPEG or PNG image."),
    ErrorCode("selfie_too_many_pixels", 400, "The picture has more pixels than SELFIE_MAX_PIXELS."),
    ErrorCode(
        "certification_home_visit_not_resident",
        403,
        "Home visits are recorded by the pensioner's residence province.",
    ),
    ErrorCode(
        "certification_consular_not_paying_province",
        403,
        "A consular certification is reviewed by the paying province.",
    ),
    ErrorCode("award_scheme_invalid", 400, "An award in payment is of a pension scheme: EP or RP."),
    ErrorCode("award_amount_invalid", 400, "An award's monthly amount is more than zero."),
    # Recovery.
    ErrorCode("recovery_case_closed", 409, "The recovery case is recovered or written off."),
    ErrorCode("recovery_amount_invalid", 400, "A repayment is more than zero and at most what is left."),
    ErrorCode("recovery_write_off_reason_required", 400, "A write-off says why."),
    ErrorCode("recovery_write_off_not_proposed", 409, "No write-off has been proposed for the case."),
    ErrorCode("recovery_write_off_same_person", 403, "A write-off is approved by a second person."),
    ErrorCode(
        "recovery_claim_pending",
        409,
        "What is left is offset against the survivors' claim first: pay or reject the claim before a "
        "write-off.",
    ),
    # Survivors' claims.
    ErrorCode(
        "survivors_claim_not_in_step",
        409,
        "The claim is not at the step this move starts from; `status` and `expected` say where it is.",
    ),
    ErrorCode(
        "survivors_claim_details_invalid",
        400,
        "The survivor's name, relationship or bank is missing or unknown; `fields` says which.",
    ),
    ErrorCode("survivors_claim_survivor_deceased", 409, "The survivor named is registered as deceased."),
    ErrorCode(
        "survivors_claim_check_same_person", 403, "A claim is checked by a person other than its submitter."
    ),
    ErrorCode("survivors_claim_rejection_reason_required", 400, "A rejection says why, in writing."),
)
