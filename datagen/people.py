"""Customer attributes with TPC-DS's value domains."""

from __future__ import annotations

import random

FIRST_NAMES = {
    "M": [
        "James",
        "John",
        "Robert",
        "Michael",
        "William",
        "David",
        "Richard",
        "Joseph",
        "Thomas",
        "Charles",
        "Daniel",
        "Matthew",
        "Anthony",
        "Mark",
        "Steven",
        "Paul",
        "Andrew",
        "Joshua",
        "Kevin",
        "Brian",
        "George",
        "Luis",
        "Carlos",
        "Wei",
        "Hiroshi",
        "Omar",
        "Raj",
        "Ivan",
    ],
    "F": [
        "Mary",
        "Patricia",
        "Jennifer",
        "Linda",
        "Elizabeth",
        "Barbara",
        "Susan",
        "Jessica",
        "Sarah",
        "Karen",
        "Nancy",
        "Lisa",
        "Betty",
        "Sandra",
        "Ashley",
        "Emily",
        "Donna",
        "Michelle",
        "Carol",
        "Amanda",
        "Maria",
        "Sofia",
        "Mei",
        "Yuki",
        "Aisha",
        "Priya",
        "Olga",
    ],
}
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Kim",
    "Patel",
    "O'Brien",
]
SALUTATIONS = {"M": ["Mr.", "Dr.", "Sir"], "F": ["Mrs.", "Ms.", "Miss", "Dr."]}
BIRTH_COUNTRIES = ["UNITED STATES"] * 12 + [
    "MEXICO",
    "CANADA",
    "INDIA",
    "CHINA",
    "PHILIPPINES",
    "GERMANY",
    "VIET NAM",
    "BRAZIL",
    "UNITED KINGDOM",
    "KOREA, REPUBLIC OF",
    "ITALY",
    "POLAND",
    "NIGERIA",
    "JAPAN",
]
EMAIL_DOMAINS = ["example.com", "mail.example.org", "inbox.example.net", "post.example.com"]
MARITAL_STATUSES = ["M", "S", "D", "W", "U"]
EDUCATION = ["Primary", "Secondary", "College", "2 yr Degree", "4 yr Degree", "Advanced Degree", "Unknown"]
CREDIT_RATINGS = ["Low Risk", "High Risk", "Good", "Unknown"]
BUY_POTENTIAL = ["0-500", "501-1000", "1001-5000", "5001-10000", ">10000", "Unknown"]
INCOME_BANDS = [(0, 10000)] + [(lo + 1, lo + 10000) for lo in range(10000, 200000, 10000)]
STREET_NAMES = [
    "Main",
    "Oak",
    "Pine",
    "Maple",
    "Cedar",
    "Elm",
    "Washington",
    "Lake",
    "Hill",
    "Walnut",
    "Spring",
    "North",
    "Ridge",
    "Church",
    "Willow",
    "Mill",
    "Sunset",
    "Railroad",
    "Jackson",
    "Cherry",
    "Highland",
    "Johnson",
    "Park",
    "Forest",
    "River",
    "Meadow",
    "Lincoln",
    "Center",
]
STREET_TYPES = ["St", "Ave", "Blvd", "Rd", "Ln", "Dr", "Ct", "Way", "Pkwy", "Cir"]
LOCATION_TYPES = ["single family", "apartment", "condo"]


def new_person(rng: random.Random, customer_id: str) -> dict:
    """The customer fields that describe the person (everything but ids and the timestamp)."""
    gender = rng.choice("MF")
    first, last = rng.choice(FIRST_NAMES[gender]), rng.choice(LAST_NAMES)
    lower, upper = rng.choice(INCOME_BANDS)
    birth = f"{rng.randint(1932, 2006)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    email = f"{first}.{last}.{customer_id[-5:]}@{rng.choice(EMAIL_DOMAINS)}".lower().replace("'", "")
    return {
        "salutation": rng.choice(SALUTATIONS[gender]),
        "first_name": first,
        "last_name": last,
        "birth_country": rng.choice(BIRTH_COUNTRIES),
        "email_address": email,
        "gender": gender,
        "marital_status": rng.choice(MARITAL_STATUSES),
        "education_status": rng.choice(EDUCATION),
        "purchase_estimate": rng.randrange(500, 10001, 500),
        "credit_rating": rng.choice(CREDIT_RATINGS),
        "buy_potential": rng.choice(BUY_POTENTIAL),
        "vehicle_count": rng.randint(0, 4),
        "lower_bound": lower,
        "upper_bound": upper,
        "birth_date": birth,
    }


def changed_person(rng: random.Random, person: dict) -> dict:
    """A plausible update: a couple of the fields a customer record changes over time."""
    updated = dict(person)
    for field in rng.sample(
        ["email_address", "marital_status", "purchase_estimate", "credit_rating", "buy_potential", "vehicle_count"], 2
    ):
        if field == "email_address":
            updated[field] = f"{person['first_name']}.{rng.randint(10, 9999)}@{rng.choice(EMAIL_DOMAINS)}".lower()
        elif field == "purchase_estimate":
            updated[field] = rng.randrange(500, 10001, 500)
        elif field == "vehicle_count":
            updated[field] = rng.randint(0, 4)
        else:
            choices = {
                "marital_status": MARITAL_STATUSES,
                "credit_rating": CREDIT_RATINGS,
                "buy_potential": BUY_POTENTIAL,
            }[field]
            updated[field] = rng.choice(choices)
    return updated


def street(rng: random.Random) -> str:
    return f"{rng.randint(1, 9999)} {rng.choice(STREET_NAMES)} {rng.choice(STREET_TYPES)}"
