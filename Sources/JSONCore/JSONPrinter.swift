/// Where printed JSON goes: a byte buffer, or a counter when only the size is wanted.
public protocol JSONByteSink {
    mutating func write(_ byte: UInt8)
    mutating func write(_ bytes: UnsafeBufferPointer<UInt8>)
    /// Writes `count` (at most 15) ASCII bytes that need no escaping, in quotes: the bytes
    /// in order from the low word to the high one (little-endian words, as a string's inline
    /// form holds them).
    mutating func writeQuoted(low: UInt64, high: UInt64, count: Int)
}

extension JSONByteSink {
    public mutating func writeQuoted(low: UInt64, high: UInt64, count: Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 18) { buffer in
            quote(low: low, high: high, count: count, at: UnsafeMutableRawPointer(buffer.baseAddress!))
            write(UnsafeBufferPointer(rebasing: buffer[0..<(count + 2)]))
        }
    }
}

/// Stores a quote, the `count` bytes of `low` and `high`, and a quote at `target`, which has
/// room for 18 bytes (the two words are stored whole).
@inline(__always)
private func quote(low: UInt64, high: UInt64, count: Int, at target: UnsafeMutableRawPointer) {
    target.storeBytes(of: UInt8(ascii: "\""), as: UInt8.self)
    target.storeBytes(of: low.littleEndian, toByteOffset: 1, as: UInt64.self)
    target.storeBytes(of: high.littleEndian, toByteOffset: 9, as: UInt64.self)
    target.storeBytes(of: UInt8(ascii: "\""), toByteOffset: count + 1, as: UInt8.self)
}

/// Collects printed bytes in a growable buffer (no per-byte bounds and uniqueness checks, as
/// `Array.append` would make).
public struct JSONByteBuffer: JSONByteSink {
    private let storage: ByteStorage

    public init(capacity: Int = 64) { storage = ByteStorage(capacity: Swift.max(capacity, 16)) }

    @inline(__always) public mutating func write(_ byte: UInt8) { storage.append(byte) }
    @inline(__always) public mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) { storage.append(bytes) }
    @inline(__always) public mutating func writeQuoted(low: UInt64, high: UInt64, count: Int) {
        storage.appendQuoted(low: low, high: high, count: count)
    }

    /// The bytes written so far.
    public var bytes: [UInt8] { storage.array }

    /// How many bytes were written.
    public var count: Int { storage.buffer.count }

    /// The bytes written so far, lent to `body` without copying.
    public func withBytes<R, Failure: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(Failure) -> R) throws(Failure) -> R { try body(storage.buffer) }

    /// Forgets what was written, keeping the room (a buffer reused line after line).
    public mutating func removeAll() { storage.removeAll() }

    /// The bytes written so far as text (copied once, straight into the string).
    public var string: String { String(decoding: storage.buffer, as: UTF8.self) }

    /// Writes raw text (already JSON: punctuation, keys known to need no escaping).
    public mutating func write(raw text: StaticString) {
        text.withUTF8Buffer { write($0) }
    }

    /// Writes `text` as a JSON string literal, as `JSONValue.string(text)` prints, without
    /// making that value (which would retain the string's storage).
    public mutating func write(string text: String) {
        writeString(text, to: &self)
    }

    /// Writes `text` in quotes byte for byte: for names the program makes (event types, field
    /// names), which have nothing to escape. Anything that came from input goes through
    /// `write(string:)`.
    public mutating func write(name text: String) {
        assert(!text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }, "\(text) needs escaping")
        write(UInt8(ascii: "\""))
        if text.utf8.withContiguousStorageIfAvailable({ write($0) }) == nil {
            var copy = text
            copy.withUTF8 { write($0) }
        }
        write(UInt8(ascii: "\""))
    }

    /// Writes an integer as `JSONValue.int(value)` prints.
    public mutating func write(integer value: Int64) {
        writeInteger(value, to: &self)
    }
}

/// The heap buffer behind `JSONByteBuffer`.
final class ByteStorage {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(__always) func append(_ byte: UInt8) {
        if count == capacity { grow(to: count + 1) }
        base[count] = byte
        count += 1
    }

    @inline(__always) func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        if let source = bytes.baseAddress { (base + count).update(from: source, count: bytes.count) }
        count += bytes.count
    }

    @inline(__always) func appendQuoted(low: UInt64, high: UInt64, count length: Int) {
        if count + 18 > capacity { grow(to: count + 18) }
        quote(low: low, high: high, count: length, at: UnsafeMutableRawPointer(base + count))
        count += length + 2
    }

    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = newCapacity
    }

    var array: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// The bytes written so far, without copying them (valid until the next write).
    var buffer: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    func removeAll() { count = 0 }
}

/// Counts printed bytes without keeping them.
public struct JSONByteCounter: JSONByteSink {
    public var count = 0
    public init() {}
    @inline(__always) public mutating func write(_ byte: UInt8) { count += 1 }
    @inline(__always) public mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) { count += bytes.count }
    @inline(__always) public mutating func writeQuoted(low: UInt64, high: UInt64, count length: Int) { count += length + 2 }
}

/// The two printed forms of JSON.
public enum JSONPrintStyle: Sendable {
    /// AWS's output format: no whitespace, members in their order, strings escaped as Jackson
    /// escapes them (`"`, `\`, control characters; everything else as UTF-8).
    case compact
    /// For tests and goldens: compact, object members sorted by key (by UTF-16 code units, as
    /// RFC 8785 does), and numbers with an integral value printed as integers, so equal values
    /// print alike.
    case canonical
}

extension JSONValue {
    /// The compact (AWS) JSON text.
    public var compactString: String { printed(.compact) }

    /// The canonical JSON text (sorted keys, normalised numbers).
    public var canonicalString: String { printed(.canonical) }

    public func printed(_ style: JSONPrintStyle) -> String {
        var buffer = JSONByteBuffer(capacity: 64)
        write(to: &buffer, style: style)
        return buffer.string
    }

    /// The compact JSON as UTF-8 bytes.
    public var compactBytes: [UInt8] {
        var buffer = JSONByteBuffer(capacity: 64)
        write(to: &buffer, style: .compact)
        return buffer.bytes
    }

    /// The size in bytes of the compact UTF-8 text: what AWS's 256 KiB payload limit measures.
    /// Whether the compact encoding takes at most `limit` bytes. Most values are far below
    /// the limits that matter (AWS's 256 KiB), and a quick upper bound proves it without
    /// printing numbers or scanning strings; only values near the limit are counted exactly.
    public func encodesWithin(_ limit: Int) -> Bool {
        var budget = limit
        if fitsUpperBound(&budget) { return true }
        return encodedByteCount <= limit
    }

    /// Subtracts an upper bound of the encoded size from `budget`; false once it runs out.
    private func fitsUpperBound(_ budget: inout Int) -> Bool {
        switch self {
        case .null, .bool: budget -= 5
        case .int: budget -= 20
        case .double: budget -= 32
        // Each byte prints as at most 6 (`\u001f`), plus the quotes.
        case .string(let text): budget -= text.utf8.count * 6 + 2
        case .array(let elements):
            budget -= 2 + elements.count
            for element in elements where budget >= 0 {
                if !element.fitsUpperBound(&budget) { return false }
            }
        case .object(let object):
            budget -= 2 + object.count * 2
            for member in object.members where budget >= 0 {
                budget -= member.key.utf8.count * 6 + 2
                if !member.value.fitsUpperBound(&budget) { return false }
            }
        }
        return budget >= 0
    }

    public var encodedByteCount: Int {
        var counter = JSONByteCounter()
        write(to: &counter, style: .compact)
        return counter.count
    }

    public func write<Sink: JSONByteSink>(to sink: inout Sink, style: JSONPrintStyle = .compact) {
        print(to: &sink, style: style)
    }

    /// The same for the buffer nearly every caller prints to. A caller in another module
    /// reaches a generic function's unspecialized body, which writes each byte through the
    /// protocol's witness table; this entry point runs the body specialized for the buffer.
    public func write(to buffer: inout JSONByteBuffer, style: JSONPrintStyle = .compact) {
        print(to: &buffer, style: style)
    }

    private func print<Sink: JSONByteSink>(to sink: inout Sink, style: JSONPrintStyle) {
        switch self {
        case .null: writeASCII("null", to: &sink)
        case .bool(let b): writeASCII(b ? "true" : "false", to: &sink)
        case .int(let i): writeInteger(i, to: &sink)
        case .double(let d):
            if style == .canonical, let i = Int64(exactly: d) {
                writeInteger(i, to: &sink)
            } else if d.isFinite {
                JSONNumberFormat.write(d, to: &sink)
            } else {
                writeASCII("null", to: &sink)  // JSON has no NaN or infinity.
            }
        case .string(let s): writeString(s, to: &sink)
        case .array(let elements):
            sink.write(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { sink.write(UInt8(ascii: ",")) }
                first = false
                element.print(to: &sink, style: style)
            }
            sink.write(UInt8(ascii: "]"))
        case .object(let object):
            sink.write(UInt8(ascii: "{"))
            var first = true
            let members = style == .canonical
                ? object.members.sorted { $0.key.utf16.lexicographicallyPrecedes($1.key.utf16) }
                : object.members
            for member in members {
                if !first { sink.write(UInt8(ascii: ",")) }
                first = false
                writeString(member.key, to: &sink)
                sink.write(UInt8(ascii: ":"))
                member.value.print(to: &sink, style: style)
            }
            sink.write(UInt8(ascii: "}"))
        }
    }
}

@inline(__always)
func writeASCII<Sink: JSONByteSink>(_ text: StaticString, to sink: inout Sink) {
    sink.write(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
}

private func writeInteger<Sink: JSONByteSink>(_ value: Int64, to sink: inout Sink) {
    if value >= 0 && value < 10 {
        sink.write(UInt8(ascii: "0") + UInt8(value))
        return
    }
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
        var magnitude = value.magnitude
        var i = 20
        repeat {
            i -= 1
            buffer[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        if value < 0 { sink.write(UInt8(ascii: "-")) }
        sink.write(UnsafeBufferPointer(rebasing: buffer[i..<20]))
    }
}

private let hexDigits: [UInt8] = Array("0123456789ABCDEF".utf8)

/// Writes a JSON string literal, escaping as Jackson does.
func writeString<Sink: JSONByteSink>(_ string: String, to sink: inout Sink) {
    // Most strings in data are short ASCII with nothing to escape (keys, ids, names): written
    // from the string's inline form in one piece.
    #if (arch(x86_64) || arch(arm64)) && _endian(little)
    if let words = SmallStringForm.asciiWords(string), SmallStringForm.isReadable, !needsEscaping(words) {
        sink.writeQuoted(low: words.low, high: words.high, count: words.count)
        return
    }
    #endif
    sink.write(UInt8(ascii: "\""))
    // A native string lends its bytes as it is: copying it into a `var` for `withUTF8` would
    // retain (and release) its storage, which other threads may be retaining too.
    if string.utf8.withContiguousStorageIfAvailable({ writeEscaped($0, to: &sink) }) == nil {
        var copy = string
        copy.withUTF8 { writeEscaped($0, to: &sink) }
    }
    sink.write(UInt8(ascii: "\""))
}

/// Whether the first `count` bytes of an inline ASCII string (`SmallStringForm.asciiWords`)
/// hold a quote, a backslash or a control character. Exact: the "has a zero byte" test can
/// only mark bytes above a byte that really matches, and the bytes past `count` lie above the
/// string's own.
@inline(__always)
private func needsEscaping(_ words: (low: UInt64, high: UInt64, count: Int)) -> Bool {
    let lowMask: UInt64 = words.count >= 8 ? ~0 : (1 << UInt64(8 * words.count)) &- 1
    let highMask: UInt64 = words.count <= 8 ? 0 : (1 << UInt64(8 * (words.count - 8))) &- 1
    return JSONParser.specialBytes(words.low) & lowMask | JSONParser.specialBytes(words.high) & highMask != 0
}

/// A string's UTF-8 bytes as the inside of a JSON string literal.
@inline(__always)
private func writeEscaped<Sink: JSONByteSink>(_ utf8: UnsafeBufferPointer<UInt8>, to sink: inout Sink) {
    var runStart = 0
    var i = 0
    while i < utf8.count {
        i = JSONParser.skipPlainBytes(utf8, from: i)
        guard i < utf8.count else { break }
        let b = utf8[i]
        if b >= 0x20 && b != UInt8(ascii: "\"") && b != UInt8(ascii: "\\") {
            i += 1
            continue
        }
        if runStart < i { sink.write(UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
        sink.write(UInt8(ascii: "\\"))
        switch b {
        case UInt8(ascii: "\""): sink.write(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): sink.write(UInt8(ascii: "\\"))
        case 0x0A: sink.write(UInt8(ascii: "n"))
        case 0x0D: sink.write(UInt8(ascii: "r"))
        case 0x09: sink.write(UInt8(ascii: "t"))
        case 0x08: sink.write(UInt8(ascii: "b"))
        case 0x0C: sink.write(UInt8(ascii: "f"))
        default:
            sink.write(UInt8(ascii: "u"))
            sink.write(UInt8(ascii: "0"))
            sink.write(UInt8(ascii: "0"))
            sink.write(hexDigits[Int(b >> 4)])
            sink.write(hexDigits[Int(b & 0xF)])
        }
        i += 1
        runStart = i
    }
    if runStart < utf8.count { sink.write(UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
}
