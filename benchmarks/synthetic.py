"""Synthetic IMR letters shaped like the samples, for benchmarks.

    python benchmarks/synthetic.py OUT_DIR --letters 20000 [--seed 7]

Letters use the pdftotext default layout of the real ones (header table, credentials lines,
summary, item headings, both guideline lines, rationale), with varied drugs, procedures,
specialties, dates and about 11% of items overturned. A private random generator is used:
Whoosh names its segments with the global one.
"""

from __future__ import annotations

import argparse
import random
from datetime import date, timedelta
from pathlib import Path

DRUGS = [
    ("Flexeril", "muscle relaxants"),
    ("Cyclobenzaprine", "muscle relaxants"),
    ("Norco", "opioids"),
    ("Tramadol", "opioids"),
    ("Oxycodone", "opioids"),
    ("Naproxen", "NSAIDs"),
    ("Ibuprofen", "NSAIDs"),
    ("Celebrex", "NSAIDs"),
    ("Gabapentin", "anti-epilepsy drugs"),
    ("Lyrica", "anti-epilepsy drugs"),
    ("Omeprazole", "proton pump inhibitors"),
    ("Pantoprazole", "proton pump inhibitors"),
    ("Lidoderm patch", "topical analgesics"),
    ("Ambien", "insomnia treatment"),
    ("Cymbalta", "antidepressants"),
    ("Tizanidine", "muscle relaxants"),
]
PROCEDURES = [
    ("MRI of the lumbar spine", "Low Back Complaints", "Special Studies"),
    (
        "MRI of the cervical spine without contrast",
        "Neck and Upper Back Complaints",
        "Special Studies",
    ),
    (
        "Physical therapy 2 times a week for 6 weeks",
        "Chronic Pain Medical Treatment",
        "Physical medicine treatment",
    ),
    (
        "Chiropractic care 8 sessions",
        "Chronic Pain Medical Treatment",
        "Manual therapy & manipulation",
    ),
    ("Acupuncture 6 sessions", "Acupuncture Treatment", "Acupuncture"),
    (
        "Lumbar epidural steroid injection L4-L5",
        "Chronic Pain Medical Treatment",
        "Epidural steroid injections (ESIs)",
    ),
    ("EMG/NCV of the bilateral lower extremities", "Low Back Complaints", "Special Studies"),
    (
        "Right shoulder arthroscopy with subacromial decompression",
        "Shoulder Complaints",
        "Surgical Considerations",
    ),
    ("TENS unit purchase", "Chronic Pain Medical Treatment", "TENS"),
    (
        "Functional restoration program 80 hours",
        "Chronic Pain Medical Treatment",
        "Functional restoration programs",
    ),
    ("Urine drug screen", "Chronic Pain Medical Treatment", "Drug testing"),
    (
        "Cognitive behavioral therapy 6 sessions",
        "Chronic Pain Medical Treatment",
        "Behavioral interventions",
    ),
]
SPECIALTIES = [
    "Family Practice",
    "Preventive Medicine, Occupational Medicine",
    "Physical Medicine & Rehabilitation, Pain Management",
    "Orthopedic Surgery",
    "Anesthesiology, Pain Management",
    "Internal Medicine",
    "Psychiatry",
    "Emergency Medicine",
    "Neurology",
    "Chiropractic",
]
STATES = ["California", "Texas", "New York", "Arizona", "Washington", "Illinois", "Florida"]
BODY_PARTS = ["low back", "neck", "right shoulder", "left knee", "right wrist", "mid back"]
PHRASES = [
    "There is no documentation of an acute exacerbation.",
    "The patient had an acute exacerbation of chronic low back pain.",
    "There was no documented functional improvement with prior treatment.",
    "The guidelines recommend a short course of treatment only.",
    "Red flag conditions were not identified.",
    "The injured worker has failed conservative care including medications and therapy.",
    "There is objective evidence of radiculopathy at L4-L5 and L5-S1.",
    "The treating physician documented a decrease in pain from 8/10 to 4/10.",
]


def us_date(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def letter_text(rng: random.Random, number: int) -> str:
    injury = date(2012, 1, 1) + timedelta(days=rng.randrange(1800))
    decided = injury + timedelta(days=rng.randrange(60, 900))
    assigned = decided - timedelta(days=rng.randrange(20, 40))
    ur = assigned - timedelta(days=rng.randrange(10, 40))
    received = ur + timedelta(days=rng.randrange(1, 9))
    age, sex = rng.randrange(20, 70), rng.choice(["male", "female"])
    items = []
    for _ in range(rng.choice([1, 1, 2, 2, 2, 3, 3, 4])):
        if rng.random() < 0.45:
            drug, section = rng.choice(DRUGS)
            name = f"{drug} {rng.choice([5, 10, 20, 50, 300, 500])}mg #{rng.choice([30, 60, 90])}"
            title, sections = "Chronic Pain Medical Treatment", section
        else:
            name, title, sections = rng.choice(PROCEDURES)
        outcome = "Overturned" if rng.random() < 0.11 else "Upheld"
        necessary = (
            "medically necessary" if outcome == "Overturned" else ("not medically necessary")
        )
        rationale = " ".join(rng.sample(PHRASES, 3))
        items.append(
            f"{name}: {outcome}\n"
            f"Claims Administrator guideline: Decision based on MTUS {title} 2016.\n"
            f"MAXIMUS guideline: Decision based on MTUS {title} 2016, Section(s):\n"
            f"{sections}.\n"
            f"Decision rationale: {rationale} Therefore the request for {name} is\n"
            f"{necessary}.\n"
        )
    part = rng.choice(BODY_PARTS)
    return (
        "Case Number:\nDate Assigned:\nDecision Date:\nPriority:\n\n"
        f"CM{decided.year % 100:02d}-{number:07d}\n{us_date(assigned)}\n{us_date(decided)}\n"
        "Standard\n\nDate of Injury:\nUR Denial Date:\nApplication\nReceived:\n\n"
        f"{us_date(injury)}\n{us_date(ur)}\n{us_date(received)}\n\n"
        "HOW THE IMR FINAL DETERMINATION WAS MADE\n"
        "MAXIMUS Federal Services sent the complete case file to an expert reviewer.\n"
        "The Expert Reviewer has the following credentials:\n"
        f"State(s) of Licensure: {','.join(rng.sample(STATES, rng.choice([1, 2])))}\n"
        f"Certification(s)/Specialty: {rng.choice(SPECIALTIES)}\n"
        "CLINICAL CASE SUMMARY\n"
        "The expert reviewer developed the following clinical case summary based on a review of"
        " the\ncase file, including all medical records:\n"
        f"The injured worker is a {age} year old {sex} who sustained an industrial injury on"
        f" {us_date(injury)}.\nThe injured worker complains of {part} pain. "
        + " ".join(rng.sample(PHRASES, 4))
        + "\n"
        "IMR ISSUES, DECISIONS AND RATIONALES\n"
        "The Final Determination was based on decisions for the disputed items/services set"
        " forth below:\n" + "".join(items)
    )


def write_letters(folder: Path, count: int, seed: int = 7, first: int = 0) -> list[Path]:
    """`count` letters numbered from `first` (their files and case numbers)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(first, first + count):
        path = folder / f"letter-{number:07d}.txt"
        path.write_text(letter_text(rng, number), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--letters", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    write_letters(args.out, args.letters, args.seed)
    print(f"wrote {args.letters} letters to {args.out}")


if __name__ == "__main__":
    main()
