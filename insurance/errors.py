"""The error codes of insured persons, enrolment, contributions, accounts and certificates (see
core.errors)."""

from __future__ import annotations

from core.errors import ErrorCode

ERRORS = (
    # Persons and deaths.
    ErrorCode("person_not_found", 404, "No insured person has this ID number (within the caller's scope)."),
    ErrorCode(
        "id_number_in_url",
        400,
        "An ID number was sent in a URL, which logs keep: send it in the body of "
        "POST /api/v1/agency/persons/lookup.",
    ),
    ErrorCode("person_repeated", 400, "The same person appears twice in one batch."),
    ErrorCode("name_required", 400, "A person is registered with a name."),
    ErrorCode("name_too_long", 400, "The name is longer than the register holds."),
    ErrorCode("name_invalid_characters", 400, "The name holds control or text-direction characters."),
    ErrorCode("phone_too_long", 400, "The phone number is longer than the register holds."),
    ErrorCode("person_already_deceased", 409, "The person's death is already recorded."),
    ErrorCode("death_repeated", 409, "The same death appears twice in one batch."),
    ErrorCode(
        "date_of_death_invalid", 400, "The date of death is in the future or before the person's birth."
    ),
    ErrorCode(
        "date_of_death_before_relationship",
        400,
        "The date of death is before the month one of the person's open relationships was opened in.",
    ),
    # Months.
    ErrorCode("period_format", 400, "The month is not written YYYYMM, or has no such month."),
    ErrorCode("period_too_early", 400, "The month is before the earliest month the platform records."),
    ErrorCode("period_in_future", 400, "The month has not begun yet."),
    # Enrolment, suspension and resumption.
    ErrorCode("scheme_unknown", 400, "There is no such insurance scheme."),
    ErrorCode("person_deceased", 409, "The person is deceased: no relationship opens for them."),
    ErrorCode("period_before_birth", 400, "The start month is before the person's birth."),
    ErrorCode(
        "relationship_already_paying", 409, "The person already pays into this scheme in this province."
    ),
    ErrorCode(
        "relationship_paying_elsewhere",
        409,
        "The person pays into this scheme in another province (named in `fields`), which must suspend first.",
    ),
    ErrorCode(
        "period_before_suspension", 400, "Payment resumes from the month of the suspension at the earliest."
    ),
    ErrorCode("enrolment_repeated", 400, "The same enrolment appears twice in one batch."),
    ErrorCode("employer_not_found", 400, "No employer has this unified social credit code."),
    ErrorCode("period_before_opening", 400, "A relationship is not suspended before the month it opened."),
    ErrorCode("contributions_after_suspension", 409, "Contributions are recorded from that month on."),
    ErrorCode("relationship_not_paying", 409, "Only a paying relationship is suspended."),
    ErrorCode("relationship_not_suspended", 409, "Only a suspended relationship is resumed."),
    # Contributions.
    ErrorCode("contributions_empty", 400, "At least one month is recorded."),
    ErrorCode("duplicate_period", 400, "A month appears more than once in the request."),
    ErrorCode(
        "relationship_not_open", 400, "The person has no open relationship of this scheme in the province."
    ),
    ErrorCode(
        "temporary_account_mismatch", 400, "Declared as a temporary account or not, unlike the relationship."
    ),
    ErrorCode(
        "temporary_account_sealed",
        409,
        "The person's temporary account in the province is sealed (gathered elsewhere): it takes no more.",
    ),
    ErrorCode("period_after_death", 400, "No contribution is recorded after the month of death."),
    ErrorCode(
        "period_paid_elsewhere",
        409,
        "The employee pension of this month is already paid in another province (named in `fields`).",
    ),
    ErrorCode("contribution_already_recorded", 409, "The month is already recorded."),
    ErrorCode("employer_required", 400, "This scheme is paid through an employer only."),
    ErrorCode("base_invalid", 400, "The contribution base must be more than zero."),
    ErrorCode(
        "province_year_not_configured", 400, "The province has not published its figures (average wage) yet."
    ),
    ErrorCode("scheme_rate_not_configured", 400, "The province has no rates of this scheme for the year."),
    ErrorCode(
        "province_year_already_configured", 409, "The province's figures for the year are entered already."
    ),
    ErrorCode("average_wage_invalid", 400, "The average monthly wage must be more than zero."),
    ErrorCode("base_bounds_invalid", 400, "The base floor must be more than zero and below the ceiling."),
    ErrorCode("employer_code_format", 400, "A unified social credit code is 18 digits and capital letters."),
    ErrorCode(
        "employer_code_checksum", 400, "The unified social credit code's check character does not match."
    ),
    # Personal accounts: interest and corrections.
    ErrorCode("scheme_has_no_account", 400, "The scheme has no personal account."),
    ErrorCode("scheme_earns_no_interest", 400, "The scheme's personal account is credited no interest."),
    ErrorCode(
        "interest_rate_not_published",
        400,
        "The province has published no account interest rate up to the year.",
    ),
    ErrorCode("account_not_held", 400, "The person has never been insured for the scheme in the province."),
    ErrorCode("correction_amount_invalid", 400, "A correction is a non-zero amount in yuan with two places."),
    ErrorCode("correction_reason_required", 400, "A correction, or its rejection, says why."),
    ErrorCode("correction_needs_a_user", 400, "A correction is proposed and decided by people, signed in."),
    ErrorCode(
        "correction_needs_second_person", 403, "A correction is approved by someone other than its proposer."
    ),
    ErrorCode("correction_exceeds_balance", 409, "The correction would take the account below zero."),
    # Retirement and pension estimates.
    ErrorCode(
        "retirement_female_category_required",
        400,
        "For a woman: say whether her original retirement age was 50 (worker) or 55 (cadre).",
    ),
    ErrorCode(
        "retirement_female_category_not_applicable", 400, "The worker or cadre category is for women only."
    ),
    ErrorCode("retirement_birth_month_invalid", 400, "The birth month is not a month written YYYYMM."),
    ErrorCode("retirement_input_invalid", 400, "The sex or the category is not one of the known values."),
    ErrorCode(
        "pension_no_contribution_months", 400, "A pension is estimated from at least one contribution month."
    ),
    ErrorCode(
        "pension_average_wage_invalid", 400, "The province's average monthly wage must be more than zero."
    ),
    ErrorCode(
        "pension_duplicate_period", 400, "A month appears twice in the estimate's contribution months."
    ),
    ErrorCode(
        "pension_contribution_month_invalid",
        400,
        "A month's base is negative, or its average wage is not positive.",
    ),
    ErrorCode("pension_account_balance_negative", 400, "The personal account balance must not be negative."),
    ErrorCode(
        "pension_retirement_age_out_of_range",
        400,
        "The retirement age is outside the table of account divisors.",
    ),
    # The citizen's inbox (what services write to it).
    ErrorCode(
        "inbox_kind_invalid", 400, "A message's kind is a short code of lower-case letters and digits."
    ),
    ErrorCode("inbox_title_invalid", 400, "A message has a title, and a short one."),
    ErrorCode("inbox_subject_invalid", 400, "A message's subject names no model."),
    # Transfers (DOMAIN.md §3).
    ErrorCode("transfer_scheme_not_transferable", 400, "Only the EP and EM schemes are transferred."),
    ErrorCode("transfer_person_deceased", 409, "The person is deceased: nothing is transferred."),
    ErrorCode("transfer_person_receives_pension", 409, "The person is retired or receives a pension."),
    ErrorCode(
        "transfer_not_enrolled_in_new_province",
        409,
        "The person does not pay into the scheme in the transfer-in province yet: enrol there first.",
    ),
    ErrorCode(
        "transfer_into_temporary_account",
        409,
        "The person pays into a temporary account in the new province: the relationship stays where it is.",
    ),
    ErrorCode("transfer_same_province", 400, "The transfer-out and transfer-in provinces are the same."),
    ErrorCode(
        "transfer_old_relationship_not_suspended",
        409,
        "No suspended relationship of the scheme in another province (it still pays, or has left).",
    ),
    ErrorCode(
        "transfer_from_province_required",
        400,
        "Several provinces hold suspended relationships: `fields.from_province` lists them, name one.",
    ),
    ErrorCode(
        "transfer_old_relationship_in_arrears",
        409,
        "The old relationship owes months before its suspension (listed in `fields.periods`).",
    ),
    ErrorCode(
        "transfer_already_open", 409, "A transfer of this scheme is already in progress for the person."
    ),
    ErrorCode(
        "transfer_not_in_step", 409, "The transfer is not (or no longer) at the step this move starts from."
    ),
    ErrorCode("transfer_rejection_reason_required", 400, "A rejection gives its reason in writing."),
    ErrorCode(
        "transfer_account_short", 409, "The account holds less than the refund of the duplicate months."
    ),
    ErrorCode(
        "temporary_account_short",
        409,
        "A temporary account to gather holds less than the refund of its duplicate months.",
    ),
)
