import Foundation
import JSONCore
import PropertyBased
import Synchronization
import Testing

@Suite struct JSONPropertyTests {
    /// print∘parse is the identity, and parse∘print gives back an equal value.
    @Test func printThenParseIsIdentity() async {
        await propertyCheck(count: 500, input: Gen.uint64()) { seed in
            var generator = RandomJSON(seed: seed)
            let value = generator.value()
            let text = value.compactString
            let reparsed = try? JSONValue(parsing: text)
            #expect(reparsed == value, "seed \(seed): \(text)")
            #expect(reparsed?.compactString == text)
            #expect(value.encodedByteCount == Array(text.utf8).count)
        }
    }

    /// Every finite double prints in a form that reads back to exactly the same double.
    @Test func doublesRoundTripExactly() async {
        await propertyCheck(count: 2000, input: Gen.uint64()) { bits in
            let d = Double(bitPattern: bits)
            guard d.isFinite else { return }
            let reparsed = try? JSONValue(parsing: JSONValue.double(d).compactString)
            #expect(reparsed?.doubleValue?.bitPattern == d.bitPattern || (d == 0 && reparsed?.doubleValue == 0), "\(d)")
        }
    }

    @Test func integersRoundTripExactly() async {
        await propertyCheck(count: 2000, input: Gen.int64()) { n in
            #expect((try? JSONValue(parsing: JSONValue.int(n).compactString)) == .int(n))
        }
    }

    /// The quick size check agrees with the exact count at every limit around it.
    @Test func encodesWithinAgreesWithTheExactCount() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var generator = RandomJSON(seed: seed)
            let value = generator.value()
            let size = value.encodedByteCount
            for limit in [0, size / 7, size - 1, size, size + 1, size * 3, size * 7] where limit >= 0 {
                #expect(value.encodesWithin(limit) == (size <= limit), "seed \(seed), limit \(limit), size \(size)")
            }
        }
    }

    /// One reusing parser gives what one-off parses give, document after document, also after
    /// a document that fails half way (its scratch space must not leak into the next).
    @Test func reusingParserMatchesOneOffParses() async {
        let parser = JSONDocumentParser()
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var generator = RandomJSON(seed: seed)
            let text = generator.value().compactString
            let broken = String(text.dropLast(max(1, text.count / 3)))
            let brokenBytes = Array(broken.utf8)
            _ = try? brokenBytes.withUnsafeBufferPointer { try parser.parse($0) }
            let bytes = Array(text.utf8)
            let reused = try? bytes.withUnsafeBufferPointer { try parser.parse($0) }
            let once = try? JSONValue(parsing: text)
            #expect(reused == once, "seed \(seed): \(text)")
            #expect(reused?.compactString == text)
        }
    }
}

@Suite struct KeyCacheTests {
    /// A key read from the cache and the same key written with escapes are one key: the last
    /// value wins at the first one's place, whichever way each was read.
    @Test func aCachedKeyAndItsEscapedSpellingAreTheSameKey() throws {
        let parser = JSONDocumentParser()
        for text in [#"{"a":1,"b":2,"\u0061":3}"#, #"{"\u0061":1,"b":2,"a":3}"#, #"{"ab":1,"a\u0062":2}"#] {
            for _ in 0..<3 {  // the second and third time, the plain keys come from the cache
                let value = try Array(text.utf8).withUnsafeBufferPointer { try parser.parse($0) }
                #expect(value == (text.contains("ab") ? ["ab": 2] : ["a": 3, "b": 2]), "\(text)")
                #expect(value.objectValue?.members.count == (text.contains("ab") ? 1 : 2), "\(text)")
            }
        }
        // Keys longer than the cache holds, and many distinct keys sharing its slots.
        let long = String(repeating: "k", count: 100)
        let many = (0..<2000).map { "\"key\($0)\":\($0)" }.joined(separator: ",")
        let text = "{\"\(long)\":1,\(many),\"\(long)\":2}"
        let value = try Array(text.utf8).withUnsafeBufferPointer { try parser.parse($0) }
        #expect(value[long] == 2)
        #expect(value["key1999"] == 1999)
        #expect(value.objectValue?.members.count == 2001)
    }
}

/// A reusing parser predicts each key from the key that followed the previous one last time,
/// and skips the pairwise duplicate check for an object with the last distinct object's keys.
@Suite struct KeyPredictionTests {
    /// Documents that mostly share a shape but now and then change it: keys that are prefixes
    /// of the predicted one (or extend it), reordered, repeated, escaped, nested, or missing.
    @Test func documentsOfChangingShapesParseAsOneOffParsesDo() async {
        let keys = ["id", "i", "idx", "time", "times", "a\\u0062", "ab", "nested", "ünï", String(repeating: "long", count: 10)]
        let parser = JSONDocumentParser()
        await propertyCheck(count: 400, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            var shape = Array(keys.prefix(5))
            for document in 0..<40 {
                if random.next() % 4 == 0 {  // change the shape now and then
                    let i = Int(random.next() % UInt64(shape.count))
                    switch random.next() % 4 {
                    case 0: shape[i] = keys[Int(random.next() % UInt64(keys.count))]
                    case 1: shape.swapAt(i, Int(random.next() % UInt64(shape.count)))
                    case 2 where shape.count > 1: shape.remove(at: i)
                    default: shape.append(keys[Int(random.next() % UInt64(keys.count))])
                    }
                }
                let members = shape.enumerated().map { index, key in
                    key == "nested" ? "\"nested\":{\"id\":\(document),\"ab\":[\(index)]}" : "\"\(key)\":\(document * 10 + index)"
                }
                let text = "{" + members.joined(separator: ",") + "}"
                let reused = try? Array(text.utf8).withUnsafeBufferPointer { try parser.parse($0) }
                let once = try? JSONValue(parsing: text)
                #expect(reused != nil && reused?.compactString == once?.compactString, "seed \(seed): \(text)")
                #expect(reused?.objectValue?.members.count == once?.objectValue?.members.count, "seed \(seed): \(text)")
            }
        }
    }

    @Test func aRepeatedKeyIsFoundAfterObjectsWithoutOne() throws {
        let parser = JSONDocumentParser()
        for text in [#"{"a":1,"b":2,"c":3}"#, #"{"a":1,"b":2,"c":3}"#, #"{"a":1,"b":2,"a":3}"#, #"{"a":1,"b":2,"c":3}"#, #"{"c":1,"c":2,"c":3}"#] {
            let value = try Array(text.utf8).withUnsafeBufferPointer { try parser.parse($0) }
            #expect(value.compactString == (try JSONValue(parsing: text)).compactString, "\(text)")
        }
    }
}

/// Strings are scanned eight bytes at a time up to their first quote, backslash or control
/// character: one at every offset, with non-ASCII or invalid bytes just before it.
@Suite struct StringScanTests {
    @Test func specialBytesAtEveryOffset() throws {
        for offset in 0..<20 {
            let plain = String(repeating: "x", count: offset)
            for (body, expected) in [("\(plain)\\n!", plain + "\n!"), ("\(plain)é\\\"", plain + "é\""), ("\(plain)", plain), ("\(plain)\\u00e9z", plain + "éz")] {
                let text = "[\"" + body + "\",1]"
                let value = try JSONValue(parsing: text)
                #expect(value[0] == .string(expected), "\(text)")
                let parser = JSONDocumentParser()
                #expect(try Array(text.utf8).withUnsafeBufferPointer { try parser.parse($0) } == value)
            }
            for special: UInt8 in [0x22, 0x5C] {
                // An invalid byte (a lone continuation byte) right before the special one.
                var bytes = Array("[\"\(plain)".utf8) + [0x80, special]
                bytes += Array((special == 0x5C ? "n\"]" : "]").utf8)
                #expect(throws: JSONParseError.self, "offset \(offset), special \(special)") { try JSONValue(parsing: bytes) }
            }
        }
    }
}

@Suite struct PrintsIdenticallyTests {
    @Test func equalValuesThatPrintDifferentlyAreTold() throws {
        #expect(JSONValue.int(1) == .double(1) && !JSONValue.int(1).printsIdentically(to: .double(1)))
        #expect(!JSONValue.double(0).printsIdentically(to: .double(-0.0)))
        let ab = try JSONValue(parsing: #"{"a":1,"b":[true,null,"x"]}"#), ba = try JSONValue(parsing: #"{"b":[true,null,"x"],"a":1}"#)
        #expect(ab == ba && !ab.printsIdentically(to: ba))
        #expect(ab.printsIdentically(to: try JSONValue(parsing: #"{"a":1,"b":[true,null,"x"]}"#)))
        #expect(!ab.printsIdentically(to: try JSONValue(parsing: #"{"a":1,"b":[true,null,"y"]}"#)))
    }
}

@Suite struct ThreadLocalTests {
    static let counts = ThreadLocal(0)

    /// Each thread starts from the initial value and keeps its own changes.
    @Test func eachThreadHasItsOwnValue() {
        let seen = Mutex<[Int]>([])
        let threads = (0..<4).map { index in
            Thread {
                let last = (0...index).map { _ in Self.counts.withValue { count in
                    count += 1
                    return count
                } }.last!
                seen.withLock { $0.append(last) }
            }
        }
        threads.forEach { $0.start() }
        for _ in 0..<5000 where seen.withLock({ $0.count }) < 4 { usleep(1000) }
        #expect(seen.withLock { $0.sorted() } == [1, 2, 3, 4])
    }
}

@Suite struct RandomUUIDTests {
    @Test func version4InLowerCaseAndDistinct() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let uuid = RandomUUID.string()
            let bytes = Array(uuid.utf8)
            #expect(bytes.count == 36)
            #expect([8, 13, 18, 23].allSatisfy { bytes[$0] == UInt8(ascii: "-") })
            #expect(bytes[14] == UInt8(ascii: "4"), "\(uuid)")
            #expect("89ab".utf8.contains(bytes[19]), "\(uuid)")
            #expect(uuid.allSatisfy { "0123456789abcdef-".contains($0) })
            seen.insert(uuid)
        }
        #expect(seen.count == 1000)
    }

    /// Each thread draws from a block of its own: threads that end and threads that start
    /// meanwhile still never make the same UUID twice.
    @Test func threadsMakeDistinctUUIDs() {
        let made = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let mine = (0..<1000).map { _ in RandomUUID.string() }
            made.withLock { $0 += mine }
        }
        let all = made.withLock { $0 }
        #expect(all.count == 8000 && Set(all).count == 8000)
        #expect(all.allSatisfy { $0.utf8.count == 36 && Array($0.utf8)[14] == UInt8(ascii: "4") })
    }

    @Test func version7CarriesTheTimeAndSortsByIt() throws {
        let before = UInt64(Date().timeIntervalSince1970 * 1000)
        var previous = ""
        var seen = Set<String>()
        for _ in 0..<1000 {
            let uuid = RandomUUID.timeOrdered()
            let bytes = Array(uuid.utf8)
            #expect(bytes.count == 36 && bytes[14] == UInt8(ascii: "7") && "89ab".utf8.contains(bytes[19]), "\(uuid)")
            let milliseconds = try #require(UInt64(uuid.prefix(8) + uuid.dropFirst(9).prefix(4), radix: 16))
            #expect(milliseconds >= before && milliseconds <= UInt64(Date().timeIntervalSince1970 * 1000))
            // Ordered by their milliseconds (within one millisecond the random bits decide).
            #expect(previous.prefix(13) <= uuid.prefix(13))
            previous = uuid
            seen.insert(uuid)
        }
        #expect(seen.count == 1000)
    }
}
