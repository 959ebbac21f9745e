"""How fast the SenML codec decodes and encodes a realistic gateway pack, in records per second.

One pack is what a gateway publishes for a building each minute: 100 points (temperatures,
humidity, CO2, power with an energy sum, damper positions, an alarm flag) at
millisecond timestamps, with a base name, base time and the gateway id and sequence number on
the first record. Ingest must decode well over 100 000 records/s. The same pack made plain (the
sums and the flag dropped: numeric values only, as Byggpuls gateways send them) is also decoded in
bulk by ``decode_columns``, ingest's path. The last line printed is one JSON object with the
figures.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable

from byggpuls.senml import Record, decode_columns, decode_pack, encode_pack

RECORDS_PER_PACK = 100
ROUNDS = 3
MIN_SECONDS_PER_ROUND = 0.5
BASE_NAME = "nordnes-skole:"
BASE_TIME_S = 1_767_225_600.0  # 2026-01-01T00:00:00Z

_POINTS = (
    ("zone{}.air_temp", "Cel", 18.0, 24.0),
    ("zone{}.rel_humidity", "%RH", 20.0, 60.0),
    ("zone{}.co2", "ppm", 400.0, 1400.0),
    ("ahu{}.supply_damper", "/", 0.0, 1.0),
    ("meter{}.power", "W", 0.0, 50_000.0),
)


def make_records(rng: random.Random) -> list[Record]:
    """A pack's worth of readings as a gateway builds them: 99 measurements and an alarm flag."""
    # The gateway id and sequence number ride on the first record, as Byggpuls gateways send them.
    gateway = {"gw": "gw-1", "seq": 42}
    records = [Record(BASE_NAME + "fire_alarm", BASE_TIME_S, bool_value=False, extra=gateway)]
    for index in range(RECORDS_PER_PACK - 1):
        pattern, unit, low, high = _POINTS[index % len(_POINTS)]
        records.append(
            Record(
                BASE_NAME + pattern.format(index // len(_POINTS)),
                BASE_TIME_S + rng.randrange(60_000) / 1000,
                value=round(rng.uniform(low, high), 2),
                sum=rng.uniform(1e9, 1e12) if unit == "W" else None,
                unit=unit,
            )
        )
    return records


def records_per_second(work: Callable[[], object], records: int) -> float:
    """Best of a few timed rounds, each long enough to smooth out the timer."""
    best = 0.0
    for _ in range(ROUNDS):
        calls = 0
        start = time.perf_counter()
        while (elapsed := time.perf_counter() - start) < MIN_SECONDS_PER_ROUND:
            work()
            calls += 1
        best = max(best, calls * records / elapsed)
    return best


def main() -> None:
    records = make_records(random.Random(8428))
    payload = encode_pack(records, base_name=BASE_NAME, base_time=BASE_TIME_S)
    assert decode_pack(payload) == records
    decode = records_per_second(lambda: decode_pack(payload), len(records))
    encode = records_per_second(
        lambda: encode_pack(records, base_name=BASE_NAME, base_time=BASE_TIME_S), len(records)
    )
    plain = [records[1]._replace(extra=records[0].extra)] + [
        record._replace(sum=None) for record in records[2:]
    ]
    plain_payload = encode_pack(plain, base_name=BASE_NAME, base_time=BASE_TIME_S)
    assert decode_columns(plain_payload) is not None
    plain_decode = records_per_second(lambda: decode_pack(plain_payload), len(plain))
    columns = records_per_second(lambda: decode_columns(plain_payload), len(plain))
    print(f"pack: {len(records)} records, {len(payload)} bytes")
    print(f"decode: {decode:,.0f} records/s")
    print(f"encode: {encode:,.0f} records/s")
    print(
        f"plain pack ({len(plain)} records): decode {plain_decode:,.0f} records/s,"
        f" in bulk (decode_columns) {columns:,.0f} records/s"
    )
    figures = {
        "decode_records_per_s": round(decode),
        "encode_records_per_s": round(encode),
        "records_per_pack": len(records),
        "pack_bytes": len(payload),
        "plain_decode_records_per_s": round(plain_decode),
        "plain_columns_records_per_s": round(columns),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
