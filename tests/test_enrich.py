"""Treatment normalisation and guideline citations, table-driven."""

import csv

import pytest

from imr_search.letters.drugs import drug_names
from imr_search.letters.enrich import (
    CATEGORIES,
    categorise,
    find_dose,
    find_drug,
    find_quantity,
    read_citation,
)


@pytest.mark.parametrize(
    ("item", "drug", "drug_class"),
    [
        ("Flexeril 10mg #60", "cyclobenzaprine", "muscle relaxant"),
        ("Cyclobenzaprine 10mg Qty: 120", "cyclobenzaprine", "muscle relaxant"),
        ("Norco 10/325 mg #60", "hydrocodone/acetaminophen", "opioid analgesic"),
        ("Hydrocodone/APAP 10/325mg #90", "hydrocodone/acetaminophen", "opioid analgesic"),
        ("MS Contin 15mg #60", "morphine", "opioid analgesic"),
        ("Ultram 50mg #30", "tramadol", "opioid analgesic"),
        ("Oxycodone HCL ER 20mg #60 day supply: 30", "oxycodone", "opioid analgesic"),
        (
            "Pantoprazole 40mg, one by mouth, twice a day #60",
            "pantoprazole",
            "proton pump inhibitor",
        ),
        ("Voltaren Gel 1% 100g", "diclofenac topical", "topical NSAID"),
        ("Voltaren 75mg", "diclofenac", "NSAID"),
        ("Lidoderm patch 5% #30", "lidocaine", "topical analgesic"),
        ("Ambien 10mg #30", "zolpidem", "sedative-hypnotic"),
        ("Imitrex 50mg", "sumatriptan", "triptan"),
        (
            "Flurbiprofen 10%/Dextromethorphan 5%/Lidocaine 5%, 120grams #1",
            "flurbiprofen / dextromethorphan / lidocaine",
            "compounded topical analgesic",
        ),
        ("MRI of the lumbar spine", None, None),
        ("Somatosensory evoked potentials", None, None),  # "Soma" only as a whole word
    ],
)
def test_drug(item, drug, drug_class):
    assert find_drug(item) == (drug, drug_class)


def test_drug_table_is_large_and_consistent():
    by_name = drug_names()
    generics = {drug.generic for drug in by_name.values()}
    assert len(generics) >= 150
    classes = {drug.drug_class for drug in by_name.values()}
    for needed in (
        "opioid analgesic",
        "muscle relaxant",
        "NSAID",
        "anticonvulsant",
        "antidepressant",
        "proton pump inhibitor",
        "topical analgesic",
        "sedative-hypnotic",
        "triptan",
    ):
        assert needed in classes
    from importlib import resources

    path = resources.files("imr_search.letters").joinpath("data/drugs.csv")
    with path.open(encoding="utf-8") as f:
        names = [
            n.lower()
            for row in csv.DictReader(f)
            for n in [row["generic"], *row["names"].split("|")]
        ]
    assert len(names) == len(set(names)), "a name maps to two drugs"


@pytest.mark.parametrize(
    ("item", "dose", "quantity"),
    [
        ("Norco 10/325 mg #60", "10/325 mg", 60),
        ("Flexeril 10mg #60 prn for muscle spasms", "10 mg", 60),
        ("Cyclobenzaprine 10mg Qty: 120", "10 mg", 120),
        ("Physical Therapy (sessions) Qty: 12", None, 12),
        ("Lidoderm 5% patch", "5%", None),
        ("Ketoprofen cream 120 grams", "120 g", None),
        ("MRI of the lumbar spine", None, None),
    ],
)
def test_dose_and_quantity(item, dose, quantity):
    assert (find_dose(item), find_quantity(item)) == (dose, quantity)


@pytest.mark.parametrize(
    ("item", "category"),
    [
        ("MRI of the right shoulder without contrast", "imaging"),
        ("Labs to include: Chest X-ray", "imaging"),
        ("EMG/NCV of the lower extremities", "testing"),
        ("Comprehensive psychological testing", "testing"),
        ("Associated surgical service: Medical clearance", "testing"),
        ("Facet joint injections L4-5, L5-S1", "injection"),
        ("Lumbar epidural steroid injection", "injection"),
        ("Right shoulder arthroscopy RCR (rotator cuff repair) and decompression", "surgery"),
        ("with open carpal tunnel release", "surgery"),
        ("Assistant surgeon", "surgery"),
        ("Myofascial release to the low back two times a week times six weeks", "therapy"),
        ("Post-op physical therapy 12-18 sessions", "therapy"),
        ("Chiropractic care to the low back", "therapy"),
        ("Electro acupuncture to the low back", "therapy"),
        ("Associated surgical service: Cold compression therapy 30 day rental", "equipment"),
        ("standard wheelchair for a 2 month rental", "equipment"),
        ("Associated surgical service: EMS/TENS unit", "equipment"),
        ("Gym membership", "program"),
        ("a 28 day functional restoration program", "program"),
        ("Cognitive behavioral therapy 6 sessions", "behavioral"),
        ("Initial exam", "evaluation and management"),
        ("Follow-up visit with the orthopedic surgeon", "evaluation and management"),
        ("Office visits x 6", "evaluation and management"),
        ("Consultation with a spine surgeon", "evaluation and management"),
        ("Referral to pain management", "evaluation and management"),
        ("Two physical therapy visits for the left hand/finger", "therapy"),
        ("a 6 month follow-up aftercare program", "program"),
        ("Physical exam 2 times 8", "other"),  # physical therapy, by its letter's rationale
    ],
)
def test_category(item, category):
    assert categorise(item) == category
    assert category in CATEGORIES


@pytest.mark.parametrize(
    ("text", "sources", "sections", "pages"),
    [
        (
            "Decision based on MTUS Chronic Pain Treatment Guidelines Muscle relaxants Page(s):"
            " 63-66.",
            ("MTUS",),
            ("Muscle relaxants",),
            ("63-66",),
        ),
        (
            "Decision based on MTUS Chronic Pain Medical Treatment 2016, Section(s):"
            " Electrodiagnostic testing (EMG/NCS). Decision based on Non-MTUS Citation Official"
            " Disability Guidelines (ODG), Low Back Chapter.",
            ("MTUS", "ODG"),
            ("Electrodiagnostic testing (EMG/NCS)", "Low Back Chapter"),
            (),
        ),
        (
            "Decision based on MTUS Low Back Complaints 2004, Section(s): Summary, and Chronic Pain"
            " Medical Treatment 2016, Section(s): Facet blocks. Decision based on Non-MTUS Citation"
            " ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back Disorders, pg."
            " 607.",
            ("MTUS", "ACOEM"),
            ("Summary", "Facet blocks", "Low Back Disorders"),
            ("607",),
        ),
        (
            "Decision based on MTUS ACOEM Page(s): 178, 177-179.",
            ("MTUS", "ACOEM"),
            (),
            ("178", "177-179"),
        ),
        (
            "Decision based on MTUS Chronic Pain Treatment Guidelines Muscle Relaxants, Weaning of"
            " Medications; Page(s): page(s) 63-66; page 124.",
            ("MTUS",),
            ("Muscle Relaxants, Weaning of Medications",),
            ("63-66", "124"),
        ),
        (
            "The Claims Administrator based their decision on recommendation(s) outside of the MTUS"
            " Guidelines. Decision based on Non-MTUS Citation http://example.org/snf.",
            ("Non-MTUS",),
            ("http://example.org/snf",),
            (),
        ),
        (
            "The Expert Reviewer did not cite any medical evidence for its decision.",
            ("none",),
            (),
            (),
        ),
        ("", ("none",), (), ()),
    ],
)
def test_citation(text, sources, sections, pages):
    citation = read_citation(text)
    assert (citation.sources, citation.sections, citation.pages) == (sources, sections, pages)
    assert citation.text == text
