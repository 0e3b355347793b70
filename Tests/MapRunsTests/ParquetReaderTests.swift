import Foundation
import JSONCore
import MapRuns
import ObjectStore
import Testing

/// `InputType: PARQUET` against files pyarrow wrote (`Fixtures/parquet/make.py`).
@Suite struct ParquetReaderTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/parquet")

    func storeWithFixtures() throws -> LocalDirectoryStore {
        let store = try temporaryStore()
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.fixtures.path) where name.hasSuffix(".parquet") {
            try store.put(bucket: "data", key: name, bytes: try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
        }
        return store
    }

    /// The seven rows `make.py` writes, as items: columns in schema order, null where a value
    /// is missing, dates as days and timestamps as milliseconds since 1970, decimals as
    /// numbers, bytes that are not UTF-8 in Base64.
    static let rows: JSONValue = try! JSONValue(
        parsing: #"""
            [{"id":1,"name":"ada","score":1.5,"ratio":0.5,"active":true,"small":-1,"day":20783,"at":1795694400123,"at_us":1795694400123,"price":12.34,"blob":"AP8="},
             {"id":2,"name":null,"score":2.25,"ratio":0.25,"active":false,"small":0,"day":0,"at":0,"at_us":null,"price":-0.05,"blob":"text"},
             {"id":3,"name":"grace","score":null,"ratio":1.0,"active":null,"small":2147483647,"day":null,"at":null,"at_us":0,"price":null,"blob":null},
             {"id":4,"name":"ada","score":-3.0,"ratio":2.0,"active":true,"small":-2147483648,"day":-1,"at":-1,"at_us":-1,"price":99999999.99,"blob":""},
             {"id":5,"name":"linus","score":0.0,"ratio":0.125,"active":true,"small":7,"day":11016,"at":946684800000,"at_us":946684800000,"price":0.0,"blob":"gA=="},
             {"id":6,"name":"ada","score":1e300,"ratio":4.0,"active":false,"small":null,"day":20454,"at":1767225601000,"at_us":1767225600000,"price":1.1,"blob":"abc"},
             {"id":7,"name":"émile","score":7.125,"ratio":null,"active":true,"small":42,"day":10956,"at":1907742600000,"at_us":1907712000000,"price":-12345.67,"blob":"\u0001"}]
            """#)

    /// Snappy with dictionaries over three row groups; GZIP with version 2 pages; ZSTD;
    /// Brotli; LZ4; uncompressed with many small pages.
    @Test(arguments: [
        "flat-snappy.parquet", "flat-gzip-v2.parquet", "flat-zstd-v2.parquet", "flat-brotli.parquet", "flat-lz4.parquet", "flat-plain.parquet",
    ])
    func rowsAreItemsWithNativeTypes(file: String) async throws {
        let outcome = try await runMap(["ItemReader": reader("PARQUET", key: file)], store: try storeWithFixtures())
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        #expect(outcome.output == Self.rows)
    }

    /// Lists (empty, null, with null elements), structs, maps, lists of lists and of structs,
    /// over two row groups: the same values pyarrow reads from the file (`nested.json`, maps
    /// as objects).
    @Test(arguments: ["nested.parquet", "nested-v2.parquet"])
    func nestedColumnsNest(file: String) async throws {
        let expected = try JSONValue(parsing: Data(contentsOf: Self.fixtures.appendingPathComponent("nested.json")))
        let outcome = try await runMap(["ItemReader": reader("PARQUET", key: file)], store: try storeWithFixtures())
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        #expect(outcome.output == expected)
    }

    /// DELTA_BINARY_PACKED (32- and 64-bit, across blocks, with nulls and extreme steps),
    /// DELTA_BYTE_ARRAY, DELTA_LENGTH_BYTE_ARRAY and BYTE_STREAM_SPLIT, against pyarrow.
    @Test func deltaAndByteStreamSplitEncodings() async throws {
        let expected = try JSONValue(parsing: Data(contentsOf: Self.fixtures.appendingPathComponent("encodings.json")))
        let outcome = try await runMap(["ItemReader": reader("PARQUET", key: "encodings.parquet")], store: try storeWithFixtures())
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        #expect(outcome.output == expected)
    }

    @Test func sourceAndMaxItemsWorkAsForOtherFormats() async throws {
        let outcome = try await runMap(
            ["ItemReader": reader("PARQUET", key: "flat-snappy.parquet", config: ["MaxItems": 4]),
             "ItemSelector": ["id.$": "$$.Map.Item.Value.id", "source.$": "$$.Map.Item.Source"]],
            store: try storeWithFixtures())
        #expect(outcome.output == .array((1...4).map { ["id": .int(Int64($0)), "source": "s3://data/flat-snappy.parquet"] }))
    }

    /// An Athena data manifest listing Parquet files: their rows one after the other, each
    /// item's source its file.
    @Test func athenaManifestOfParquetFiles() async throws {
        let store = try storeWithFixtures()
        try put(store, "athena/manifest.csv", "s3://data/int96.parquet\ns3://data/flat-snappy.parquet\n")
        let outcome = try await runMap(
            ["ItemReader": reader("PARQUET", key: "athena/manifest.csv", config: ["ManifestType": "ATHENA_DATA"]),
             "ItemSelector": ["source.$": "$$.Map.Item.Source"]],
            store: store)
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        let sources = outcome.output?.arrayValue?.compactMap { $0["source"]?.stringValue }
        #expect(sources == Array(repeating: "s3://data/int96.parquet", count: 2) + Array(repeating: "s3://data/flat-snappy.parquet", count: 7))
    }

    @Test func legacyInt96TimestampsAreMilliseconds() async throws {
        let outcome = try await runMap(["ItemReader": reader("PARQUET", key: "int96.parquet")], store: try storeWithFixtures())
        #expect(outcome.output == [["at": 1_795_694_400_123], ["at": -1000]])
    }

    @Test(arguments: [
        ("not-parquet.json", "does not end with the Parquet magic number"),
        ("missing.parquet", "Cannot read s3://data/missing.parquet"),
    ])
    func whatCannotBeReadFailsTheRunSayingWhy(file: String, message: String) async throws {
        let store = try storeWithFixtures()
        try put(store, "not-parquet.json", "[1, 2, 3, 4, 5, 6, 7, 8, 9]")
        let outcome = try await runMap(["ItemReader": reader("PARQUET", key: file)], store: store)
        #expect(outcome.error == "States.ItemReaderFailed")
        #expect(outcome.cause?.contains(message) == true, "\(outcome.cause ?? "")")
    }

    /// Damaged files (truncated, or bytes changed anywhere) end in States.ItemReaderFailed or
    /// read something: never a crash, a hang, or a huge allocation.
    @Test(arguments: ["flat-snappy.parquet", "nested.parquet", "encodings.parquet"])
    func damagedFilesNeverCrashTheEngine(file: String) async throws {
        let original = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(file)))
        var generator = SystemRandomNumberGenerator()
        var failures = 0
        for round in 0..<300 {
            var bytes = original
            if round % 10 == 0 {
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            } else {
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            let store = try temporaryStore()
            try store.put(bucket: "data", key: "damaged.parquet", bytes: bytes)
            let outcome = try await runMap(["ItemReader": reader("PARQUET", key: "damaged.parquet")], store: store)
            if outcome.status != .succeeded {
                #expect(outcome.error == "States.ItemReaderFailed", "\(outcome.error ?? "") \(outcome.cause ?? "")")
                failures += 1
            }
        }
        #expect(failures > 0, "some damage is noticed")
    }
}
