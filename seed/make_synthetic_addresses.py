"""Write the demo's synthetic 도로명주소 files into seed/data/ (deterministic: the same bytes every run).

`python -m seed.make_synthetic_addresses` writes `synthetic_entrc_seodaemun.txt` (위치정보요약DB layout) and
`synthetic_jibun_rnaddrkor_seodaemun.txt` (주소DB 관련지번 layout), CP949 with `|`, from the seed's own households
and facilities (seed/addresses.py). Run it again after changing how the seed places them; tests/test_addresses_seed.py
checks that the shipped files are what this writes.
"""
import sys

from seed import addresses
from seed.places import DATA


def main() -> int:
    for name, data in addresses.files().items():
        (DATA / name).write_bytes(data)
        lines = data.count(b"\n")
        print(f"{DATA / name}: {lines:,}줄")
    return 0


if __name__ == "__main__":
    sys.exit(main())
