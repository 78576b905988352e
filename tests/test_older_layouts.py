"""The older layouts, from snippets written in each one's described section structure."""

import pytest

from imr_search.letters.parse import parse_letter

BODY = (
    "Claims Administrator guideline: Decision based on MTUS Chronic Pain.\n"
    "MAXIMUS guideline: Decision based on MTUS Chronic Pain.\n"
    "Decision rationale: The guidelines do not support it. Criteria:\n"
    "1. documented failure of first-line care\n2) functional improvement.\n"
)
MAXIMUS_2014 = (
    "MAXIMUS FEDERAL SERVICES, INC.\nIndependent Medical Review\n"
    "Case Number: CM14-0012345\nDate of Injury: 01/11/2011\nUR Denial Date: 12/12/2013\n"
    "Application\nReceived: 12/20/2013\n"
    "HOW THE IMR FINAL DETERMINATION WAS MADE\n"
    "MAXIMUS Federal Services sent the complete case file to a physician reviewer. The"
    " physician reviewer is Board Certified in Physical Medicine and Rehabilitation, has a"
    " subspecialty in Pain Medicine, and is licensed to practice in California.\n"
    "DOCUMENTS REVIEWED\n1. Utilization review determination dated 12/12/2013\n"
    "CLINICAL CASE SUMMARY\nThe patient is a 52 year old female with low back pain.\n"
    "IMR DECISION(S) AND RATIONALE(S)\n"
    "1. Norco 10/325mg #120 is not medically necessary and appropriate.\n"
    + BODY
    + "2) The request for an MRI of the lumbar\nspine is medically necessary and appropriate.\n"
    + BODY
)
PROFESSIONAL_REVIEW = (
    "MEDICAL PROFESSIONAL REVIEW\nIMR 13-000004\n"
    "ISSUE AT DISPUTE:\n"
    "1) The request for Acupuncture x 6 is not medically necessary.\n"
    "2) The request for Tramadol 50mg #60 is medically necessary.\n"
    "CASE\nSUMMARY:\nThis 60-year-old man sustained an injury on 3/4/2010.\n"
    "DOCUMENTS REVIEWED FOR DETERMINATION:\nMedical records.\n"
    "MEDICAL TREATMENT GUIDELINE(S) RELIED UPON BY PROFESSIONAL\nREVIEWER AND WHY:\n"
    "MTUS Acupuncture Medical Treatment Guidelines.\n"
    "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT\nMEDICALLY NECESSARY:\n"
    "1) No functional improvement is documented.\n2) Pain relief is documented.\n"
    "MEDICAL REVIEWER QUALIFICATIONS:\n"
    "The reviewer is Board Certified in Orthopedic Surgery and is licensed to practice in"
    " California and Nevada.\n"
)
# One issue, stated without its decision: the rationale says it.
PROFESSIONAL_REVIEW_ONE = (
    "MEDICAL PROFESSIONAL REVIEW\nCM13-0000007\nISSUE AT DISPUTE:\nLumbar epidural steroid"
    " injection\nCASE SUMMARY:\nA 41 year old female.\n"
    "RATIONALE FOR WHY THE REQUESTED TREATMENT/SERVICE IS/WAS NOT MEDICALLY NECESSARY:\n"
    "Radiculopathy is not corroborated. The injection is not medically necessary.\n"
    "MEDICAL REVIEWER QUALIFICATIONS:\nThe reviewer is Board Certified in Anesthesiology"
    " and is licensed to practice in California.\n"
)
# An issue whose decision is stated nowhere: no outcome, never a guess.
PROFESSIONAL_REVIEW_UNDECIDED = PROFESSIONAL_REVIEW_ONE.replace(
    " The injection is not medically necessary.", ""
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            MAXIMUS_2014,
            {
                "case": "CM14-0012345",
                "injury_date": "2011-01-11",
                "ur_denial_date": "2013-12-12",
                "application_received": "2013-12-20",
                "license_states": ["California"],
                "specialties": ["Physical Medicine and Rehabilitation", "Pain Medicine"],
                "age": 52,
                "sex": "female",
                "summary": "The patient is a 52 year old female with low back pain.",
                "items": [
                    ("Norco 10/325mg #120", "Upheld"),
                    ("an MRI of the lumbar spine", "Overturned"),
                ],
                "warnings": [],
            },
        ),
        (
            PROFESSIONAL_REVIEW,
            {
                "case": "IMR 13-000004",
                "injury_date": "2010-03-04",
                "license_states": ["California", "Nevada"],
                "specialties": ["Orthopedic Surgery"],
                "age": 60,
                "sex": "male",
                "items": [("Acupuncture x 6", "Upheld"), ("Tramadol 50mg #60", "Overturned")],
                "warnings": [],
            },
        ),
        (
            PROFESSIONAL_REVIEW_ONE,
            {
                "case": "CM13-0000007",
                "specialties": ["Anesthesiology"],
                "items": [("Lumbar epidural steroid injection", "Upheld")],
            },
        ),
        (
            PROFESSIONAL_REVIEW_UNDECIDED,
            {"items": [("Lumbar epidural steroid injection", "")]},
        ),
    ],
    ids=["maximus-2014", "professional-review", "review-one-issue", "review-undecided"],
)
def test_older_layout(text, expected):
    got = parse_letter(text, "letter.txt").to_dict()
    got["items"] = [(item["item"], item["outcome"]) for item in got["items"]]
    assert {key: got[key] for key in expected} == expected


def test_maximus_2014_item_bodies():
    # The rationale's own numbered list stays in the rationale.
    letter = parse_letter(MAXIMUS_2014, "letter.txt")
    first, second = letter.items
    assert first.claims_guideline.text == "Decision based on MTUS Chronic Pain."
    assert first.rationale == (
        "The guidelines do not support it. Criteria: 1. documented failure of first-line care"
        " 2) functional improvement."
    )
    assert second.rationale.startswith("The guidelines do not support it.")


def test_professional_review_sections():
    letter = parse_letter(PROFESSIONAL_REVIEW, "letter.txt")
    assert letter.summary == "This 60-year-old man sustained an injury on 3/4/2010."
    acupuncture, tramadol = letter.items
    assert acupuncture.maximus_guideline.text == "MTUS Acupuncture Medical Treatment Guidelines."
    assert acupuncture.rationale == "No functional improvement is documented."
    assert tramadol.rationale == "Pain relief is documented."
