import ASLErrors
import Foundation
import Interpreter
import JSONCore
@testable import MapRuns
import ObjectStore
import PropertyBased
import Testing

/// An object's bytes handed out in chunks of the given sizes (cycled), as a store would.
final class ChunkedReader: ObjectReader {
    private let bytes: [UInt8]
    private let sizes: [Int]
    private var offset = 0
    private var turn = 0

    init(_ bytes: [UInt8], chunkSizes: [Int]) {
        self.bytes = bytes
        sizes = chunkSizes
    }

    func next() throws(ObjectStoreError) -> [UInt8]? {
        guard offset < bytes.count else { return nil }
        let size = max(1, sizes[turn % sizes.count])
        turn += 1
        let end = min(bytes.count, offset + size)
        defer { offset = end }
        return Array(bytes[offset..<end])
    }
}

/// Every item a source gives, and the cause of the failure that ended it (if any).
func drain(_ source: any ItemSource) -> (items: [JSONValue], cause: String?) {
    var items: [JSONValue] = []
    do {
        while let item = try source.next() { items.append(item) }
        return (items, nil)
    } catch {
        return (items, error.cause ?? "")
    }
}

/// Names of this process's threads (`/proc/self/task/*/comm`).
func threadNames() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines) }
}

// Serialized: one test counts the reader threads in the process.
@Suite(.serialized) struct BlockItemsTests {
    static let sequential = BlockItems.Tuning(threads: 0)

    /// Random JSONL text: objects, arrays, strings with escapes and non-ASCII text, blank
    /// lines, CRLF; optionally a bad line somewhere.
    static func jsonLines(_ random: inout JavaRandom, count: Int, bad: Bool) -> String {
        let badLine = bad ? Int(random.nextInt(Int32(count))) : -1
        var lines: [String] = []
        for index in 0..<count {
            if index == badLine {
                lines.append("{\"broken\": ")
                continue
            }
            switch random.nextInt(6) {
            case 0: lines.append("")
            case 1: lines.append("  \t")
            case 2: lines.append("[\(index), \"é \\\"q\\\" \\n\", null]\r")
            case 3: lines.append(String(repeating: "x", count: Int(random.nextInt(300))).debugDescription)
            default: lines.append("{\"id\":\(index),\"name\":\"n\(random.nextInt(50))\",\"tags\":[\"a\",{\"b\":true}],\"v\":\(Double(index) / 8)}")
            }
        }
        return lines.joined(separator: "\n") + (random.nextInt(2) == 0 ? "\n" : "")
    }

    /// Random CSV text with a header row: quoted fields holding delimiters, doubled quotes and
    /// line breaks, short rows, blank lines, CRLF; optionally a malformed row.
    static func csv(_ random: inout JavaRandom, count: Int, bad: Bool) -> String {
        let badRow = bad ? Int(random.nextInt(Int32(count))) : -1
        var text = "id,name,note\n"
        for index in 0..<count {
            if index == badRow {
                text += ["\(index),a\"b,c\n", "\(index),\"x\"y,c\n", "\(index),1,2,3\n"][Int(random.nextInt(3))]
                continue
            }
            switch random.nextInt(6) {
            case 0: text += "\n"
            case 1: text += "\(index),\"Smith, J\",\"said \"\"hi\"\"\nthen\r\nleft\"\r\n"
            case 2: text += "\(index),only\n"
            case 3: text += "\(index),\(String(repeating: "y", count: Int(random.nextInt(200)))),\"\"\n"
            default: text += "\(index),n\(random.nextInt(50)),plain text\n"
            }
        }
        return text
    }

    @Test func blocksGiveWhatOneRecordAtATimeGives() async {
        await propertyCheck(count: 40, input: Gen.uint64()) { seed in
            var random = JavaRandom(seed: Int64(bitPattern: seed))
            let bad = random.nextInt(3) == 0
            let isCSV = random.nextInt(2) == 0
            let text = isCSV ? Self.csv(&random, count: 200 + Int(random.nextInt(400)), bad: bad) : Self.jsonLines(&random, count: 200 + Int(random.nextInt(400)), bad: bad)
            let bytes = Array(text.utf8)
            let chunkSizes = (0..<3).map { _ in 1 + Int(random.nextInt(5000)) }
            let tuning = BlockItems.Tuning(threads: 1 + Int(random.nextInt(3)), blockSize: 64 + Int(random.nextInt(2000)), longestRecord: 100 + Int(random.nextInt(3000)))
            func open(_ tuning: BlockItems.Tuning) throws(ExecutionFailure) -> any ItemSource {
                let reader = ChunkedReader(bytes, chunkSizes: chunkSizes)
                if isCSV { return try CSVItems.open(reader, format: CSVFormat(["InputType": "CSV"]), name: "s3://data/x", tuning: tuning) }
                return try JSONLinesItems.open(reader, name: "s3://data/x", tuning: tuning)
            }
            do {
                let expected = drain(try open(Self.sequential))
                let blocks = try open(tuning)
                #expect(blocks is BlockItems || bytes.count <= 2 * tuning.blockSize, "seed \(seed)")
                let got = drain(blocks)
                #expect(got.items == expected.items, "seed \(seed)")
                #expect(got.cause == expected.cause, "seed \(seed)")
                #expect(bad == (expected.cause != nil), "seed \(seed): \(expected.cause ?? "")")
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    /// Field values written the usual way (quoted when they hold a delimiter, quote or line
    /// break, quotes doubled) read back exactly, wherever their special characters fall in
    /// the scanner's eight-byte words.
    @Test func csvFieldsReadBackAsWritten() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            var random = JavaRandom(seed: Int64(bitPattern: seed))
            let alphabet: [Character] = ["a", "b", "é", ",", "\"", "\n", " ", "x", "\r\n", "1"]
            func field() -> String {
                String((0..<Int(random.nextInt(24))).map { _ in alphabet[Int(random.nextInt(Int32(alphabet.count)))] })
            }
            func encoded(_ value: String) -> String {
                value.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) ? "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : value
            }
            let rows = (0..<(1 + Int(random.nextInt(30)))).map { _ in ["k" + field(), field(), field()] }
            let text = "a,b,c\n" + rows.map { $0.map(encoded).joined(separator: ",") }.joined(separator: "\n") + "\n"
            do {
                let source = try CSVItems.open(ChunkedReader(Array(text.utf8), chunkSizes: [1 + Int(random.nextInt(64))]), format: CSVFormat(["InputType": "CSV"]), name: "s3://data/x", tuning: Self.sequential)
                let items = drain(source)
                #expect(items.cause == nil, "seed \(seed)")
                #expect(items.items == rows.map { JSONValue.object(JSONObject(zip(["a", "b", "c"], $0.map { JSONValue.string($0) }))) }, "seed \(seed): \(text.debugDescription)")
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    @Test func aBadLineInALaterBlockIsNamedByItsNumberInTheObject() throws {
        var text = ""
        for index in 1...5000 { text += index == 4321 ? "{nope\n" : "{\"n\":\(index)}\n" }
        let tuning = BlockItems.Tuning(threads: 2, blockSize: 1000)
        let source = try JSONLinesItems.open(ChunkedReader(Array(text.utf8), chunkSizes: [4096]), name: "s3://data/big.jsonl", tuning: tuning)
        #expect(source is BlockItems)
        let (items, cause) = drain(source)
        #expect(items.count == 4320)
        #expect(items.last == ["n": 4320])
        #expect(cause?.hasPrefix("Line 4321 of s3://data/big.jsonl is not valid JSON") == true, "\(cause ?? "")")
        #expect(try source.next() == nil)
    }

    @Test func aRecordLongerThanTheLimitIsReadOneRecordAtATime() throws {
        let long = String(repeating: "z", count: 50_000)
        var text = ""
        for index in 0..<300 { text += "{\"n\":\(index)}\n" }
        text += "\"\(long)\"\n"
        for index in 300..<600 { text += "{\"n\":\(index)}\n" }
        text += "{bad\n"
        let tuning = BlockItems.Tuning(threads: 2, blockSize: 512, longestRecord: 10_000)
        let (items, cause) = drain(try JSONLinesItems.open(ChunkedReader(Array(text.utf8), chunkSizes: [3000]), name: "s3://data/long.jsonl", tuning: tuning))
        #expect(items.count == 601)
        #expect(items[300] == .string(long))
        #expect(items.last == ["n": 599])
        // 300 lines, the long one, 300 more: the bad line is the 602nd.
        #expect(cause?.hasPrefix("Line 602 of s3://data/long.jsonl") == true, "\(cause ?? "")")

        // A quoted CSV field that never closes: the rest is read one row at a time, which says so.
        var csv = "a,b\n"
        for index in 0..<400 { csv += "\(index),x\n" }
        csv += "400,\"open\n" + String(repeating: "more text\n", count: 2000)
        let format = try CSVFormat(["InputType": "CSV"])
        let rows = drain(try CSVItems.open(ChunkedReader(Array(csv.utf8), chunkSizes: [2000]), format: format, name: "s3://data/open.csv", tuning: tuning))
        #expect(rows.items.count == 400)
        #expect(rows.cause == "Row 402 of s3://data/open.csv has a quoted field that never ends")
    }

    @Test func aFailingReadEndsTheItemsWithItsCause() throws {
        final class FailingReader: ObjectReader {
            var served = 0
            func next() throws(ObjectStoreError) -> [UInt8]? {
                served += 1
                if served > 3 { throw ObjectStoreError(.io, "the disk went away") }
                return Array(String(repeating: "[1]\n", count: 1000).utf8)
            }
        }
        let (items, cause) = drain(try JSONLinesItems.open(FailingReader(), name: "s3://data/f.jsonl", tuning: BlockItems.Tuning(threads: 2, blockSize: 1000)))
        #expect(items.count == 3000)
        #expect(cause?.contains("Cannot read s3://data/f.jsonl") == true, "\(cause ?? "")")
        #expect(cause?.contains("the disk went away") == true, "\(cause ?? "")")
    }

    @Test func droppingTheReaderEarlyStopsItsThreads() async throws {
        var text = ""
        for index in 0..<200_000 { text += "{\"n\":\(index)}\n" }
        do {
            let source = try JSONLinesItems.open(ChunkedReader(Array(text.utf8), chunkSizes: [65536]), name: "s3://data/x", tuning: BlockItems.Tuning(threads: 3, blockSize: 4096))
            for _ in 0..<10 { _ = try source.next() }
            var running = 0
            for _ in 0..<1000 where running < 3 {  // up to 10 s: the suite runs beside others on few cores
                running = threadNames().filter { $0.hasPrefix("statesman-rd-") }.count
                if running < 3 { try await Task.sleep(for: .milliseconds(10)) }
            }
            #expect(running == 3)
            #expect(try source.next() == ["n": 10])
        }
        // The threads finish the block in hand and exit.
        var remaining = threadNames().filter { $0.hasPrefix("statesman-rd-") }
        for _ in 0..<1000 where !remaining.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            remaining = threadNames().filter { $0.hasPrefix("statesman-rd-") }
        }
        #expect(remaining.isEmpty, "\(remaining)")
    }

    @Test func aLargeObjectIsReadInBlocksThroughTheStore() async throws {
        let store = try temporaryStore()
        var jsonl = ""
        var csv = "id,name\n"
        for index in 0..<40_000 {
            jsonl += "{\"id\":\(index),\"name\":\"item \(index)\"}\n"
            csv += "\(index),\"item, \(index)\"\n"
        }
        try put(store, "big.jsonl", jsonl)
        try put(store, "big.csv", csv)
        let io = ObjectStoreMapIO(store: store)
        for (type, key) in [("JSONL", "big.jsonl"), ("CSV", "big.csv")] {
            let source = try io.openItems(resource: ObjectStoreMapIO.getObject, parameters: ["Bucket": "data", "Key": .string(key)], readerConfig: ["InputType": .string(type)])
            #expect(source is BlockItems == (BlockItems.Tuning.standard.threads > 0), "\(type)")
            let (items, cause) = drain(source)
            #expect(cause == nil)
            #expect(items.count == 40_000, "\(type)")
            #expect(items.last?["id"] == (type == "CSV" ? "39999" : 39_999), "\(type)")
            #expect(items.last?["name"] == (type == "CSV" ? "item, 39999" : "item 39999"), "\(type)")
        }
        // Through a Map Run: every item reaches a child, in order.
        let outcome = try await runMap(
            [
                "ItemReader": reader("JSONL", key: "big.jsonl"), "ItemBatcher": ["MaxItemsPerBatch": 1000],
                "ItemProcessor": [
                    "ProcessorConfig": ["Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"], "StartAt": "Ends",
                    "States": ["Ends": ["Type": "Pass", "Parameters": ["first.$": "$.Items[0].id", "last.$": "$.Items[999].id"], "End": true]],
                ],
            ], store: store)
        #expect(outcome.status == .succeeded, "\(outcome.cause ?? "")")
        let ends: [Int64?] = (outcome.output?.arrayValue ?? []).flatMap { batch -> [Int64?] in [batch["first"]?.integerValue, batch["last"]?.integerValue] }
        let expected: [Int64?] = (0..<40).flatMap { batch -> [Int64?] in [Int64(batch * 1000), Int64(batch * 1000 + 999)] }
        #expect(ends == expected)
    }
}
