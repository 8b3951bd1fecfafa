"""Heat and cold shelters of the demo: synthetic rows in the public files' column layout, loaded with the
facility importer exactly as an official would import the real 행정안전부 무더위쉼터 / 한파쉼터 files."""
from sqlalchemy.orm import Session

from app.facilities import importer
from seed.places import DATA

SHELTER_FILES = {
    "heat_shelter": ("synthetic_heat_shelters_demo.csv", "합성 데모 무더위쉼터 (행정안전부 무더위쉼터 형식)"),
    "cold_shelter": ("synthetic_cold_shelters_demo.csv", "합성 데모 한파쉼터 (행정안전부 한파쉼터 형식)"),
}


def load_shelters(session: Session) -> int:
    """Import both demo files (a second run changes nothing); returns how many shelters were added."""
    created = 0
    for category, (name, source) in SHELTER_FILES.items():
        report = importer.import_csv(session, (DATA / name).read_bytes(), name, source=source,
                                     default_category=category, synthetic=True)
        if not report["ok"]:
            raise RuntimeError(f"{name}: {report['detail']} {report['errors'][:3]}")
        created += report["created"]
    return created
