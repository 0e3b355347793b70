@testable import JSONCore
import Testing

@Suite struct JSONPrinterTests {
    @Test func compactFormatEscapesAsJackson() {
        let value: JSONValue = ["s": "q\"b\\n\nt\tc\u{1}\u{1F}/é🙂\u{7F}", "n": nil, "t": true]
        #expect(value.compactString == #"{"s":"q\"b\\n\nt\tc\u0001\u001F/é🙂\#u{7F}","n":null,"t":true}"#)
    }

    /// The three ways to print: through any sink (the generic body), into a buffer (the
    /// body specialized for it), and a lone string into a buffer; all give the same bytes.
    @Test func everyWayToPrintGivesTheSameBytes() {
        struct Bytes: JSONByteSink {
            var all: [UInt8] = []
            mutating func write(_ byte: UInt8) { all.append(byte) }
            mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) { all.append(contentsOf: bytes) }
        }
        let strings = ["", "a", "fifteen bytes!!", "sixteen bytes!!!", "q\"b\\n\nt\tc\u{1}\u{1F}/é🙂\u{7F}", String(repeating: "é\"", count: 40)]
        let value: JSONValue = ["strings": .array(strings.map { .string($0) }), "n": 1.5, "i": -3, "o": ["k": nil, "t": true]]
        var generic = Bytes()
        value.write(to: &generic)
        var buffer = JSONByteBuffer()
        value.write(to: &buffer)
        #expect(buffer.bytes == generic.all)
        #expect(buffer.string == value.compactString)
        for text in strings {
            var lone = JSONByteBuffer()
            lone.write(string: text)
            #expect(lone.string == JSONValue.string(text).compactString, "\(text)")
        }
    }

    /// AWS prints doubles with Java's Double.toString.
    @Test(arguments: [
        (1.0, "1.0"), (100.0, "100.0"), (1.5, "1.5"), (-2.25, "-2.25"), (0.1, "0.1"),
        (0.001, "0.001"), (0.0001, "1.0E-4"), (1234567.0, "1234567.0"), (1e7, "1.0E7"),
        (12345678.9, "1.23456789E7"), (1e10, "1.0E10"), (1.5e-5, "1.5E-5"), (0.0, "0.0"),
        (-0.0, "-0.0"), (Double.greatestFiniteMagnitude, "1.7976931348623157E308"),
        (.leastNonzeroMagnitude, "4.9E-324"), (123.456, "123.456"), (9007199254740993.0, "9.007199254740992E15"),
    ])
    func doublesPrintAsJava(value: Double, text: String) {
        #expect(JSONValue.double(value).compactString == text)
    }

    /// Short decimals are printed straight into the output; every double prints as
    /// `javaString` says, whichever way it goes.
    @Test func shortDecimalsPrintAsJavaStringDoes() {
        var random = JavaRandom(seed: 42)
        var doubles: [Double] = [0.001, 0.0010000000000000002, 9999999.999999998, 9999999.0, 1e7 - 0.5, 0.1 + 0.2, 1.0 / 3, 2.675, 1.005, 100.0]
        func next63() -> Int64 { Int64(random.nextInt(.max)) << 32 | Int64(random.nextInt(.max)) }
        for _ in 0..<20_000 {
            let scale = Int(random.nextInt(10))
            var power = 1.0
            for _ in 0..<scale { power *= 10 }
            doubles.append(Double(next63() % 100_000_000_000) / power)  // a decimal of up to `scale` places
            doubles.append(Double(bitPattern: 0x3F50_0000_0000_0000 + UInt64(next63()) % 0x0120_0000_0000_0000))  // any double in 2^-10 ..< 2^8
        }
        for value in doubles + doubles.map(-) {
            var sink = JSONByteBuffer(capacity: 16)
            JSONNumberFormat.write(value, to: &sink)
            #expect(sink.string == JSONNumberFormat.javaString(value), "\(value.bitPattern)")
        }
        // A decimal of up to nine places in the plain range always takes the short path.
        for _ in 0..<20_000 {
            var power = 1.0
            for _ in 0..<(3 + Int(random.nextInt(7))) { power *= 10 }
            let value = Double(next63() % 10_000_000_000) / power
            #expect(JSONNumberFormat.shortDecimal(value) != nil || value < 1e-3, "\(value)")
        }
    }

    @Test func integersPrintExactly() {
        #expect(JSONValue.int(.max).compactString == "9223372036854775807")
        #expect(JSONValue.int(.min).compactString == "-9223372036854775808")
        #expect(JSONValue.int(0).compactString == "0")
        #expect(JSONValue.int(-7).compactString == "-7")
    }

    @Test func canonicalFormSortsKeysAndNormalisesNumbers() throws {
        let a = try JSONValue(parsing: #"{"b": [1.0, {"y": 2, "x": 1}], "a": 1e2}"#)
        let b = try JSONValue(parsing: #"{"a": 100, "b": [1, {"x": 1, "y": 2.0}]}"#)
        #expect(a.canonicalString == #"{"a":100,"b":[1,{"x":1,"y":2}]}"#)
        #expect(a.canonicalString == b.canonicalString)
        #expect(a == b)
    }

    @Test func byteCountIsTheUTF8SizeOfTheCompactText() throws {
        let value: JSONValue = ["name": "Zoë", "emoji": "🙂", "n": 12.5]
        #expect(value.encodedByteCount == value.compactBytes.count)
        #expect(value.encodedByteCount == Array(#"{"name":"Zoë","emoji":"🙂","n":12.5}"#.utf8).count)
        // The 256 KiB payload limit counts bytes, not characters.
        let big = JSONValue.string(String(repeating: "é", count: 131_072))
        #expect(big.encodedByteCount == 262_146)
    }
}
