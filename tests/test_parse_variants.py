"""Each format variant a parser meets, as short snippets with the fields they must give."""

import pytest

from imr_search.letters.clean import clean_text
from imr_search.letters.parse import parse_letter, read_items
from imr_search.letters.pieces import read_credentials, read_header

# pdftotext's default: each column's labels, then their values.
LEFT_COLUMN = """Case Number:
Date Assigned:
Decision Date:
Priority:

CM16-0000001
11/09/2016
12/09/2016
Standard

"""
HEADER_DEFAULT = (
    LEFT_COLUMN
    + """Date of Injury:
UR Denial Date:
Application
Received:

10/13/2016
11/03/2016
11/04/2016
"""
)
HEADER_LAYOUT = """Case Number:          CM16-0000001
Date Assigned:        11/09/2016                      Date of Injury:      10/13/2016
Decision Date:        12/09/2016                      UR Denial Date:      11/03/2016
Priority:             Standard                        Application          11/04/2016
                                                      Received:
"""
HEADER_RAW = """Case Number: CM16-0000001
Date Assigned: 11/09/2016 Date of Injury: 10/13/2016
Decision Date: 12/09/2016 UR Denial Date: 11/03/2016
Priority: Standard Application
Received:
11/04/2016
"""
# pdfminer.six: some values of the right column stand before their labels.
HEADER_PDFMINER = (
    LEFT_COLUMN
    + """10/13/2016
Date of Injury:
UR Denial Date:   11/03/2016
11/04/2016
Application
Received:
"""
)
HEADER_FIELDS = {
    "case": "CM16-0000001",
    "date_assigned": "2016-11-09",
    "decision_date": "2016-12-09",
    "injury_date": "2016-10-13",
    "ur_denial_date": "2016-11-03",
    "application_received": "2016-11-04",
    "priority": "Standard",
}


@pytest.mark.parametrize(
    "header",
    [HEADER_DEFAULT, HEADER_LAYOUT, HEADER_RAW, HEADER_PDFMINER],
    ids=["default", "layout", "raw", "pdfminer"],
)
def test_header_table(header):
    fields = read_header(clean_text(header))
    as_text = {k: v if isinstance(v, str) else v.isoformat() for k, v in fields.items()}
    assert as_text == HEADER_FIELDS


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        # The issue's pdfminer.six snippet: injury, UR denial, application received.
        (
            "10/17/2016\nDate of Injury:\nUR Denial Date:   11/10/2016\n12/13/2016\n"
            "Application\nReceived:\n",
            {
                "injury_date": "2016-10-17",
                "ur_denial_date": "2016-11-10",
                "application_received": "2016-12-13",
            },
        ),
        # Two dates for three labels, the later first: no pairing keeps the order of
        # events, so neither date is read.
        (
            "Date of Injury:\nUR Denial Date:\nApplication\nReceived:\n12/13/2016\n10/17/2016\n",
            {},
        ),
        # Two dates for three labels, in order: which label lost its date cannot be told,
        # so no date is read rather than a guess; the left column is still read.
        (
            "Date Assigned:\nDecision Date:\n11/09/2016\n12/09/2016\nDate of Injury:\n"
            "UR Denial Date:\nApplication\nReceived:\n10/13/2016\n11/04/2016\n",
            {"date_assigned": "2016-11-09", "decision_date": "2016-12-09"},
        ),
        # The assigned date missing: it or the decision date lost its value, which cannot
        # be told; the injury, UR denial and application dates are the same in every
        # pairing allowed, so they are read.
        (
            "Date Assigned:\nDecision Date:\n12/09/2016\nDate of Injury:\nUR Denial Date:\n"
            "Application\nReceived:\n10/13/2016\n11/03/2016\n11/04/2016\n",
            {
                "injury_date": "2016-10-13",
                "ur_denial_date": "2016-11-03",
                "application_received": "2016-11-04",
            },
        ),
        # As many dates as labels: paired in order even where the order of events is broken
        # (the parse check reports such a letter).
        (
            "Date of Injury:\nUR Denial Date:\nApplication\nReceived:\n10/13/2016\n"
            "11/04/2016\n11/01/2016\n",
            {
                "injury_date": "2016-10-13",
                "ur_denial_date": "2016-11-04",
                "application_received": "2016-11-01",
            },
        ),
    ],
    ids=[
        "pdfminer-issue",
        "two-dates-out-of-order",
        "date-missing",
        "assigned-missing",
        "out-of-order-kept",
    ],
)
def test_header_dates_matched_by_order_of_events(header, expected):
    fields = read_header(clean_text(header))
    assert {k: v.isoformat() for k, v in fields.items()} == expected


@pytest.mark.parametrize(
    ("text", "states", "specialties"),
    [
        (
            "State(s) of Licensure: California,North Carolina\n"
            "Certification(s)/Specialty: Family Practice",
            ("California", "North Carolina"),
            ("Family Practice",),
        ),
        (
            "State(s) of Licensure: Iowa, Montana, California\n"
            "Certification(s)/Specialty: Preventive Medicine, Public Health &\n"
            "General Preventive Medicine",
            ("Iowa", "Montana", "California"),
            ("Preventive Medicine", "Public Health & General Preventive Medicine"),
        ),
        (
            "The expert\nreviewer is Board Certified in Physical Medicine and Rehabilitation, has a"
            " subspecialty in Pain\nManagement, and is licensed to practice in California.",
            ("California",),
            ("Physical Medicine and Rehabilitation", "Pain Management"),
        ),
        (
            "The expert reviewer is Board Certified in Occupational Medicine and is licensed to"
            " practice in California and Texas.",
            ("California", "Texas"),
            ("Occupational Medicine",),
        ),
        ("He/she has no affiliation with the employer.", (), ()),
    ],
    ids=["lines", "wrapped-specialty", "sentence-subspecialty", "sentence-two-states", "none"],
)
def test_reviewer_credentials(text, states, specialties):
    assert read_credentials(text) == (states, specialties)


BODY = (
    "Claims Administrator guideline: Decision based on MTUS.\n"
    "MAXIMUS guideline: Decision based on MTUS.\n"
    "Decision rationale: The request is not medically necessary.\n"
)


@pytest.mark.parametrize(
    ("issues", "expected"),
    [
        (
            "Flexeril 10mg #60: Upheld\n" + BODY + "MRI of the lumbar spine: Overturned\n" + BODY,
            [
                ("Flexeril 10mg #60", "Upheld", None, None),
                ("MRI of the lumbar spine", "Overturned", None, None),
            ],
        ),
        (
            "Dextromethorphan 5%/Amitriptyline 5%/Lidocaine/Capsaicin 0.025%, 120grams #1:\n"
            "Upheld\n" + BODY,
            [
                (
                    "Dextromethorphan 5%/Amitriptyline 5%/Lidocaine/Capsaicin 0.025%, 120grams #1",
                    "Upheld",
                    None,
                    None,
                )
            ],
        ),
        (
            "Six physical therapy sessions two times a week for three weeks for the neck, left\n"
            "and low back: Upheld\n" + BODY,
            [
                (
                    "Six physical therapy sessions two times a week for three weeks for the"
                    " neck, left and low back",
                    "Upheld",
                    None,
                    None,
                )
            ],
        ),
        (
            "Oxycodone HCL ER 20mg #60 day supply: 30: Overturned\n" + BODY,
            [("Oxycodone HCL ER 20mg #60 day supply: 30", "Overturned", None, None)],
        ),
        ("Labs to include: EKG: Upheld\n" + BODY, [("Labs to include: EKG", "Upheld", None, None)]),
        (
            "Gym membership: Upheld\n"
            + BODY
            + "Physical therapy to the low back eight sessions was the original request. Physical"
            " therapy to\nthe low back six sessions was authorized by the Claims Administrator."
            " The remaining IMR\neligible portion of the original request, Physical therapy to"
            " the low back two sessions is:\nUpheld\n" + BODY,
            [
                ("Gym membership", "Upheld", None, None),
                (
                    "Physical therapy to the low back two sessions",
                    "Upheld",
                    "Physical therapy to the low back eight sessions",
                    "Physical therapy to the low back six sessions",
                ),
            ],
        ),
        (
            "Purchase of a bath/shower chair was the original request. The Claims Administrator\n"
            "authorized a bath/shower chair for 1 month, leaving the original request IMR eligible."
            " The\noriginal request, purchase of a bath/shower chair is: Upheld\n" + BODY,
            [
                (
                    "purchase of a bath/shower chair",
                    "Upheld",
                    "Purchase of a bath/shower chair",
                    "a bath/shower chair for 1 month",
                )
            ],
        ),
        # The story's first sentence ends a line: the heading still starts at the story.
        (
            "MRI of the knee: Upheld\n"
            + BODY
            + "Baclofen 100mg #30 was the original request.\nBaclofen 100mg #27 was authorized by"
            " the Claims Administrator.\nThe remaining IMR eligible portion of the original"
            " request,\nBaclofen 100mg #3: Overturned\n" + BODY,
            [
                ("MRI of the knee", "Upheld", None, None),
                ("Baclofen 100mg #3", "Overturned", "Baclofen 100mg #30", "Baclofen 100mg #27"),
            ],
        ),
        # A page break inside the heading (form feed, blank lines) changes nothing.
        (
            "Acute rehabilitation 7-10 days for left\nfoot fracture was the original request. The"
            " Claims Administrator authorized Skilled\nnursing facility for 7 days, leaving the"
            " original\n\n\frequest IMR eligible. The original request, Acute rehabilitation 7-10"
            " days for left foot fracture is: Overturned\n" + BODY,
            [
                (
                    "Acute rehabilitation 7-10 days for left foot fracture",
                    "Overturned",
                    "Acute rehabilitation 7-10 days for left foot fracture",
                    "Skilled nursing facility for 7 days",
                )
            ],
        ),
        # Double-spaced seed shape with a form feed inside the rationale.
        (
            "Flexeril:  Upheld \n\nClaims Administrator guideline: MTUS \n\nMAXIMUS guideline:"
            " MTUS \n\nDecision rationale: Not \n\n\fsupported. \n\n",
            [("Flexeril", "Upheld", None, None)],
        ),
        # A wrapped heading with colons of its own is the whole heading, not its last line.
        (
            "Gym membership: Upheld\n"
            + BODY
            + "Lidoderm patch, 12 hours on\n12 hours off to affected area, #1 box with 1 refill,"
            " DOS:\n11/11/2016: Upheld\n" + BODY,
            [
                ("Gym membership", "Upheld", None, None),
                (
                    "Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1"
                    " refill, DOS: 11/11/2016",
                    "Upheld",
                    None,
                    None,
                ),
            ],
        ),
        # An outcome followed on its line by a page break (a PDF's own text).
        (
            "Diazepam 5mg #10: Upheld \x0cClaims Administrator guideline: Decision based on"
            " MTUS.\nMAXIMUS guideline: Decision based on MTUS.\nDecision rationale: Not"
            " supported.\n",
            [("Diazepam 5mg #10", "Upheld", None, None)],
        ),
        ("No decision here.\n", []),
    ],
    ids=[
        "two-items",
        "outcome-own-line",
        "wrapped-heading",
        "colon-in-heading",
        "colons-in-heading",
        "modified-authorized-by",
        "modified-leaving-eligible",
        "story-sentence-ends-line",
        "form-feed-in-heading",
        "seed-double-spaced",
        "wrapped-heading-with-colons",
        "outcome-before-form-feed",
        "none",
    ],
)
def test_item_headings(issues, expected):
    items = read_items(clean_text(issues).split("\n"))
    got = [(i.item, i.outcome, i.original_request, i.authorized) for i in items]
    assert got == expected


def test_issues_heading_indented_after_a_form_feed():
    # pdftotext -layout indents the first line of a page.
    text = (
        "HOW THE IMR FINAL DETERMINATION WAS MADE\nState(s) of Licensure: California\n"
        "CLINICAL CASE SUMMARY\nA 30 year old male.\n"
        "\f            IMR ISSUES, DECISIONS AND RATIONALES\n"
        "The Final Determination was based on decisions for the disputed items/services set"
        " forth below:\nFlexeril 10mg #60: Upheld\n" + BODY
    )
    letter = parse_letter(text, "x.txt")
    assert [(i.item, i.outcome) for i in letter.items] == [("Flexeril 10mg #60", "Upheld")]
    assert letter.warnings == ()


def test_item_body_fields_are_split():
    (item,) = read_items(clean_text("X-ray of the knee: Upheld\n" + BODY).split("\n"))
    assert item.claims_guideline.text == "Decision based on MTUS."
    assert item.maximus_guideline.text == "Decision based on MTUS."
    assert item.rationale == "The request is not medically necessary."


@pytest.mark.parametrize(
    ("summary", "age", "sex", "injury"),
    [
        (
            "The injured worker is a 48 year old male who sustained an industrial injury on"
            " 10-13-16.",
            48,
            "male",
            "2016-10-13",
        ),
        (
            "This case involves a now 36-year-old female with a history of an occupational claim"
            " from\n10/13/2016.",
            36,
            "female",
            "2016-10-13",
        ),
        (
            "This is a patient with a date of injury of 3/15/10. Back pain is stable, but she had"
            " a sudden onset of numbness.",
            None,
            "female",
            "2010-03-15",
        ),
        (
            "The injured worker is a 59-year-old female, who sustained an industrial injury on"
            " October 27,\n1997.",
            59,
            "female",
            "1997-10-27",
        ),
        (
            "This 55 year old patient had a date of injury on 8/1/2012. He feels it is getting"
            " worse.",
            55,
            "male",
            "2012-08-01",
        ),
        ("Nothing is stated.", None, None, None),
    ],
)
def test_summary_facts(summary, age, sex, injury):
    text = "CLINICAL CASE SUMMARY\n" + summary + "\nIMR ISSUES, DECISIONS AND RATIONALES\n"
    letter = parse_letter(text, "x.txt")
    assert (letter.age, letter.sex) == (age, sex)
    assert (letter.injury_date.isoformat() if letter.injury_date else None) == injury


def test_header_date_wins_over_summary():
    text = (
        HEADER_RAW + "HOW THE IMR FINAL DETERMINATION WAS MADE\nCLINICAL CASE SUMMARY\n"
        "A 30 year old male with a date of injury of 1/2/2015.\n"
        "IMR ISSUES, DECISIONS AND RATIONALES\n"
    )
    assert parse_letter(text, "x.txt").injury_date.isoformat() == "2016-10-13"


def test_letter_without_case_number_is_named_by_its_file_stem():
    text = "CLINICAL CASE SUMMARY\nA 30 year old male.\nIMR ISSUES, DECISIONS AND RATIONALES\n"
    letter = parse_letter(text, "some/dir/003_abc.txt")
    assert letter.case == "003_abc"
    assert letter.to_dict()["case"] is None


@pytest.mark.parametrize(
    "text",
    ["", "Dear Sir, please find the invoice attached.", "\x00\x01binary", "Upheld\nOverturned"],
)
def test_unrecognised_layout_gives_no_items_and_a_warning(text):
    letter = parse_letter(text, "x.txt")
    assert letter.items == ()
    assert letter.warnings


def test_recognised_letter_without_items_warns():
    text = (
        "HOW THE IMR FINAL DETERMINATION WAS MADE\nCLINICAL CASE SUMMARY\nA 30 year old"
        " male.\nIMR ISSUES, DECISIONS AND RATIONALES\nNothing here.\n"
    )
    letter = parse_letter(text, "x.txt")
    assert letter.items == ()
    assert set(letter.warnings) == {
        "no disputed items found in the IMR ISSUES section",
        "reviewer credentials not found",
    }
