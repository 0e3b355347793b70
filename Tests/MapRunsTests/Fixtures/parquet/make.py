#!/usr/bin/env python3
"""Writes the Parquet fixtures of the item-reader tests with pyarrow (run once; the files are
committed, so the tests need no pyarrow):  python3 make.py  (in a venv with pyarrow)."""
import datetime
import decimal
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq

here = os.path.dirname(os.path.abspath(__file__))

rows = {
    "id": pa.array([1, 2, 3, 4, 5, 6, 7], pa.int64()),
    "name": pa.array(["ada", None, "grace", "ada", "linus", "ada", "émile"], pa.string()),
    "score": pa.array([1.5, 2.25, None, -3.0, 0.0, 1e300, 7.125], pa.float64()),
    "ratio": pa.array([0.5, 0.25, 1.0, 2.0, 0.125, 4.0, None], pa.float32()),
    "active": pa.array([True, False, None, True, True, False, True], pa.bool_()),
    "small": pa.array([-1, 0, 2147483647, -2147483648, 7, None, 42], pa.int32()),
    "day": pa.array([datetime.date(2026, 11, 26), datetime.date(1970, 1, 1), None, datetime.date(1969, 12, 31),
                     datetime.date(2000, 2, 29), datetime.date(2026, 1, 1), datetime.date(1999, 12, 31)], pa.date32()),
    "at": pa.array([datetime.datetime(2026, 11, 26, 12, 0, 0, 123000), datetime.datetime(1970, 1, 1), None,
                    datetime.datetime(1969, 12, 31, 23, 59, 59, 999000), datetime.datetime(2000, 1, 1),
                    datetime.datetime(2026, 1, 1, 0, 0, 1), datetime.datetime(2030, 6, 15, 8, 30)], pa.timestamp("ms")),
    "at_us": pa.array([datetime.datetime(2026, 11, 26, 12, 0, 0, 123456), None, datetime.datetime(1970, 1, 1, 0, 0, 0, 1),
                       datetime.datetime(1969, 12, 31, 23, 59, 59, 999999), datetime.datetime(2000, 1, 1),
                       datetime.datetime(2026, 1, 1), datetime.datetime(2030, 6, 15)], pa.timestamp("us")),
    "price": pa.array([decimal.Decimal("12.34"), decimal.Decimal("-0.05"), None, decimal.Decimal("99999999.99"),
                       decimal.Decimal("0.00"), decimal.Decimal("1.10"), decimal.Decimal("-12345.67")], pa.decimal128(10, 2)),
    "blob": pa.array([b"\x00\xff", b"text", None, b"", b"\x80", b"abc", b"\x01"], pa.binary()),
}
table = pa.table(rows)

# pandas' and pyarrow's defaults: Snappy, dictionaries, version 1 data pages; three row groups.
pq.write_table(table, os.path.join(here, "flat-snappy.parquet"), row_group_size=3)
# GZIP, no dictionaries, version 2 data pages, one row group.
pq.write_table(table, os.path.join(here, "flat-gzip-v2.parquet"), compression="gzip", use_dictionary=False, data_page_version="2.0")
# Uncompressed, a page every few values (several pages per column chunk).
pq.write_table(table, os.path.join(here, "flat-plain.parquet"), compression="none", data_page_size=16, write_batch_size=2)
# ZSTD (Polars' default), version 2 pages; Brotli; LZ4 (written as LZ4_RAW).
pq.write_table(table, os.path.join(here, "flat-zstd-v2.parquet"), compression="zstd", data_page_version="2.0")
pq.write_table(table, os.path.join(here, "flat-brotli.parquet"), compression="brotli")
pq.write_table(table, os.path.join(here, "flat-lz4.parquet"), compression="lz4")
# Nested columns: lists (with nulls and empty lists), structs, maps, lists of lists and of
# structs; and what pyarrow reads back from them, maps as objects, for the test to compare.
nested = pa.table({
    "id": pa.array([1, 2, 3, 4, 5], pa.int64()),
    "tags": pa.array([["a"], ["b", "c"], [], None, ["d", None]], pa.list_(pa.string())),
    "point": pa.array([{"x": 1, "y": 0.5}, None, {"x": None, "y": 2.0}, {"x": 4, "y": None}, {"x": 5, "y": 5.5}],
                      pa.struct([("x", pa.int32()), ("y", pa.float64())])),
    "scores": pa.array([[("a", 1)], [], None, [("b", 2), ("c", 3)], [("z", None)]], pa.map_(pa.string(), pa.int64())),
    "matrix": pa.array([[[1, 2], [3]], [], None, [[]], [[None, 7]]], pa.list_(pa.list_(pa.int32()))),
    "people": pa.array([[{"name": "ada", "age": 36}], None, [{"name": None, "age": 1}, {"name": "bo", "age": None}], [], [None]],
                       pa.list_(pa.struct([("name", pa.string()), ("age", pa.int32())]))),
})
for name, options in [("nested.parquet", {}), ("nested-v2.parquet", {"data_page_version": "2.0", "compression": "zstd"})]:
    pq.write_table(nested, os.path.join(here, name), row_group_size=2, **options)


rows = []
for row in nested.to_pylist():
    row["scores"] = None if row["scores"] is None else {key: entry for key, entry in row["scores"]}
    rows.append(row)
with open(os.path.join(here, "nested.json"), "w") as out:
    json.dump(rows, out, indent=1)
    out.write("\n")

# The delta and byte-stream-split encodings, over more than one block of deltas, with nulls,
# negative and large steps; and what pyarrow reads back.
import random

random.seed(11)
count = 700
words = ["apple", "apricot", "banana", "band", "bandana", "can", "candle", "", "zebra"]
encoded = pa.table({
    "i32": pa.array([None if n % 17 == 0 else random.randint(-2**31, 2**31 - 1) if n % 5 == 0 else n * 3 for n in range(count)], pa.int32()),
    "i64": pa.array([random.randint(-2**63, 2**63 - 1) if n % 7 == 0 else n - 350 for n in range(count)], pa.int64()),
    "words": pa.array([None if n % 13 == 0 else random.choice(words) + str(n % 4) for n in range(count)], pa.string()),
    "names": pa.array([random.choice(words) * (n % 3) for n in range(count)], pa.string()),
    "f32": pa.array([None if n % 11 == 0 else n / 8 for n in range(count)], pa.float32()),
    "f64": pa.array([n * 1.5 - 7 for n in range(count)], pa.float64()),
})
pq.write_table(encoded, os.path.join(here, "encodings.parquet"), use_dictionary=False, data_page_version="2.0",
               column_encoding={"i32": "DELTA_BINARY_PACKED", "i64": "DELTA_BINARY_PACKED", "words": "DELTA_BYTE_ARRAY",
                                "names": "DELTA_LENGTH_BYTE_ARRAY", "f32": "BYTE_STREAM_SPLIT", "f64": "BYTE_STREAM_SPLIT"})
with open(os.path.join(here, "encodings.json"), "w") as out:
    json.dump(encoded.to_pylist(), out)
    out.write("\n")

# Spark's legacy INT96 timestamps.
pq.write_table(pa.table({"at": pa.array([datetime.datetime(2026, 11, 26, 12, 0, 0, 123000), datetime.datetime(1969, 12, 31, 23, 59, 59)],
                                        pa.timestamp("ms"))}),
               os.path.join(here, "int96.parquet"), use_deprecated_int96_timestamps=True)
