#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JSONValue {
    /// Parses one JSON text (RFC 8259), surrounded by optional whitespace.
    public init(parsing text: String) throws(JSONParseError) {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(bytes) }
        }
        self = try result.get()
    }

    /// Parses one JSON text from UTF-8 bytes.
    public init(parsing bytes: some Collection<UInt8>) throws(JSONParseError) {
        let result = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(buffer) }
        }
        if let result {
            self = try result.get()
        } else {
            let copy = Array(bytes)
            self = try copy.withUnsafeBufferPointer { buffer in
                Result { () throws(JSONParseError) -> JSONValue in try JSONParser.parse(buffer) }
            }.get()
        }
    }
}

/// Parses many small documents one after another (the lines of a JSONL object, a stream of
/// messages), keeping what a one-off parse sets up and throws away: the scratch stacks, and a
/// cache of object keys, which such documents repeat line after line.
public final class JSONDocumentParser {
    fileprivate let elements = ScratchStack<JSONValue>()
    fileprivate let members = ScratchStack<JSONObject.Member>()
    fileprivate let memberHashes = ScratchStack<UInt32>()
    /// The key hashes of the last object found to repeat no key.
    fileprivate let distinctKeyHashes = ScratchStack<UInt32>(capacity: 64)
    fileprivate let keys = KeyCache()
    /// Where escaped strings are decoded.
    fileprivate let scratch = ByteStorage(capacity: 256)
    /// The open containers' stack, kept for its capacity.
    fileprivate var frames: [JSONParser.Frame] = []

    public init() {}

    deinit { keys.deallocate() }

    /// How many values and members the scratch stacks hold room for (they grow with the
    /// largest document parsed, and keep that room).
    public var scratchCapacity: Int { elements.capacity + members.capacity }

    /// Parses one JSON text, as `JSONParser.parse` does. `maximumDepth` below the default
    /// parses a value found inside a document as deep as the document allows (a value inside
    /// one object may nest one level less).
    public func parse(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int = JSONParser.maximumDepth) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes, reusing: self)
        parser.depthLimit = min(maximumDepth, JSONParser.maximumDepth)
        do {
            return try parser.parseDocument()
        } catch {
            // A document that parses leaves the stacks empty; one that fails may not.
            parser.giveBack()
            throw error
        }
    }
}

/// A hand-written, non-recursive JSON parser over UTF-8 bytes.
///
/// Containers are built on one scratch stack of values (and one of keys), so nesting depth costs
/// heap, not call stack; `maximumDepth` still bounds it, as Jackson's default constraint does.
public struct JSONParser {
    /// Jackson's default maximum nesting depth (StreamReadConstraints, 1000).
    public static let maximumDepth = 1000
    /// The depth this parse allows (`maximumDepth` unless a caller asks for less).
    fileprivate var depthLimit = maximumDepth

    private let bytes: UnsafeBufferPointer<UInt8>
    private var pos = 0
    /// Where an escaped string is decoded (made on the first escape: most documents have none;
    /// a `JSONDocumentParser` lends its own).
    private lazy var scratch = ByteStorage(capacity: 256)
    /// Recently read object keys. Only documents large enough to repeat keys get a cache of
    /// their own: setting one up and tearing it down costs more than a small document's whole
    /// parse (a protocol line, a state's input). A `JSONDocumentParser` keeps one for all its
    /// documents.
    private let keys: KeyCache?
    static let keyCacheThreshold = 16_384
    /// The FNV-1a hash of the last key read (of its UTF-8 bytes), for the duplicate check.
    private var keyHash: UInt32 = 0
    /// The cache slot of the key read last in the innermost open object (`KeyCache.objectStart`
    /// before its first), or -1 when that key was not cached: the prediction of the next key.
    private var previousKeySlot = KeyCache.objectStart

    /// Scratch space and key cache kept from one document to the next (`JSONDocumentParser`).
    private let reuse: JSONDocumentParser?

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        keys = bytes.count >= Self.keyCacheThreshold ? KeyCache() : nil
        reuse = nil
    }

    /// A parser that borrows `reuse`'s key cache and scratch stacks;
    /// `JSONDocumentParser.parse` gives them back.
    fileprivate init(_ bytes: UnsafeBufferPointer<UInt8>, reusing reuse: JSONDocumentParser) {
        self.bytes = bytes
        keys = reuse.keys
        self.reuse = reuse
        scratch = reuse.scratch
    }

    fileprivate mutating func giveBack() {
        guard let reuse else { return }
        reuse.elements.pop(to: 0)
        reuse.members.pop(to: 0)
        reuse.memberHashes.pop(to: 0)
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(bytes)
        defer { parser.keys?.deallocate() }
        return try parser.parseDocument()
    }

    /// Parses `text` and also reports every key that an object repeats (the value keeps the
    /// last one), for validators: AWS rejects definitions with duplicate keys.
    public static func parseReportingDuplicateKeys(_ text: String) throws(JSONParseError) -> (value: JSONValue, duplicates: [JSONDuplicateKey]) {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(JSONParseError) -> (JSONValue, [JSONDuplicateKey]) in
                var parser = JSONParser(bytes)
                defer { parser.keys?.deallocate() }
                parser.duplicates = []
                let value = try parser.parseDocument()
                return (value, parser.duplicates ?? [])
            }
        }
        return try result.get()
    }

    /// Duplicate keys found so far, when the caller asked for them.
    private var duplicates: [JSONDuplicateKey]? = nil

    /// A container being read; its elements (or members) so far are on a scratch stack from
    /// `start` up. An object's member is pushed when its key is read, and its value is set
    /// when read: the member being read is always the top of the member stack.
    fileprivate struct Frame {
        var isObject: Bool
        var start: Int
    }

    fileprivate mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        // A document that is one scalar (a function's number or string result, say) needs
        // neither stacks nor frames.
        skipWhitespace()
        if pos < bytes.count, bytes[pos] != UInt8(ascii: "{"), bytes[pos] != UInt8(ascii: "[") {
            let value = try parseScalar()
            skipWhitespace()
            guard pos == bytes.count else { throw fail("unexpected \(describeByte(at: pos)) after the JSON value") }
            return value
        }
        var frames: [Frame] = []
        if let reuse { swap(&frames, &reuse.frames) }
        defer {
            if let reuse {
                if !frames.isEmpty { frames.removeAll(keepingCapacity: true) }  // after a failure
                swap(&frames, &reuse.frames)
            }
        }
        // A one-off parse starts small: most one-off documents (protocol lines, state inputs)
        // are small, and large first allocations cost more than their whole parse.
        let elements = reuse?.elements ?? ScratchStack<JSONValue>(capacity: 16)
        let members = reuse?.members ?? ScratchStack<JSONObject.Member>(capacity: 16)
        let memberHashes = reuse?.memberHashes ?? ScratchStack<UInt32>(capacity: 16)
        let distinctKeyHashes = reuse?.distinctKeyHashes

        skipWhitespace()
        guard pos < bytes.count else { throw fail("expected a JSON value but the text is empty") }

        while true {
            // Read one value, or open a container and go round for its first member.
            var value: JSONValue
            skipWhitespace()
            guard pos < bytes.count else { throw fail("unexpected end of text, expected a value") }
            switch bytes[pos] {
            case UInt8(ascii: "{"):
                guard frames.count < depthLimit else { throw fail("nesting depth exceeds \(depthLimit)") }
                pos += 1
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "}") {
                    pos += 1
                    value = .object(JSONObject())
                } else {
                    frames.append(Frame(isObject: true, start: members.count))
                    previousKeySlot = KeyCache.objectStart
                    members.push(JSONObject.Member(key: try parseKey(), value: .null))
                    memberHashes.push(keyHash)
                    continue
                }
            case UInt8(ascii: "["):
                guard frames.count < depthLimit else { throw fail("nesting depth exceeds \(depthLimit)") }
                pos += 1
                skipWhitespace()
                if pos < bytes.count, bytes[pos] == UInt8(ascii: "]") {
                    pos += 1
                    value = .array([])
                } else {
                    frames.append(Frame(isObject: false, start: elements.count))
                    continue
                }
            default:
                value = try parseScalar()
            }

            // Attach the finished value to its container, closing containers as they end.
            while true {
                let top = frames.count - 1
                guard top >= 0 else {
                    skipWhitespace()
                    guard pos == bytes.count else {
                        throw fail("unexpected \(describeByte(at: pos)) after the JSON value")
                    }
                    return value
                }
                let isObject = frames[top].isObject
                // Moved, not copied: `value` is set again before it is read.
                if isObject {
                    members.setLastValue(consume value)
                } else {
                    elements.push(consume value)
                }
                skipWhitespace()
                guard pos < bytes.count else {
                    throw fail(isObject ? "unexpected end of text, expected ',' or '}'" : "unexpected end of text, expected ',' or ']'")
                }
                let b = bytes[pos]
                if b == UInt8(ascii: ",") {
                    pos += 1
                    if isObject {
                        skipWhitespace()
                        members.push(JSONObject.Member(key: try parseKey(), value: .null))
                        memberHashes.push(keyHash)
                    }
                    break
                }
                let start = frames[top].start
                if isObject {
                    guard b == UInt8(ascii: "}") else { throw fail("unexpected \(describeByte(at: pos)), expected ',' or '}' after an object member") }
                    pos += 1
                    let mayRepeat = memberHashes.hasRepeat(from: start, distinct: distinctKeyHashes)
                    memberHashes.pop(to: start)
                    let parsed = members.popArray(from: start)
                    if mayRepeat, duplicates != nil {
                        recordDuplicates(parsed, frames: frames[..<top], members: members, elementCount: elements.count)
                    }
                    value = .object(JSONObject(parsedMembers: parsed, mayRepeatKeys: mayRepeat))
                } else {
                    guard b == UInt8(ascii: "]") else { throw fail("unexpected \(describeByte(at: pos)), expected ',' or ']' after an array element") }
                    pos += 1
                    value = .array(elements.popArray(from: start))
                }
                frames.removeLast()
            }
        }
    }

    /// A value that is not a container, at `pos`.
    @inline(__always)
    private mutating func parseScalar() throws(JSONParseError) -> JSONValue {
        switch bytes[pos] {
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseNumber()
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        default:
            throw fail("unexpected \(describeByte(at: pos)), expected a value")
        }
    }

    /// Notes the keys of a closing object that repeat, with the object's JSON Pointer.
    private mutating func recordDuplicates(
        _ parsed: [JSONObject.Member], frames outer: ArraySlice<Frame>, members: ScratchStack<JSONObject.Member>, elementCount: Int
    ) {
        var pointer = ""
        // Walk from the inside out: an array's current index is how many elements it holds so
        // far, and an object's current key is its last member's (the top of its stretch).
        var elementsAbove = elementCount
        var membersAbove = members.count
        var components: [String] = []
        for frame in outer.reversed() {
            if frame.isObject {
                components.append(JSONPointer.escape(members[membersAbove - 1].key))
                membersAbove = frame.start
            } else {
                components.append(String(elementsAbove - frame.start))
                elementsAbove = frame.start
            }
        }
        for component in components.reversed() { pointer += "/" + component }
        var seen: [String] = []
        for member in parsed {
            if seen.contains(where: { $0.isExactlyEqual(to: member.key) }) {
                duplicates?.append(JSONDuplicateKey(pointer: pointer.isEmpty ? "/" : pointer, key: member.key))
            } else {
                seen.append(member.key)
            }
        }
    }

    /// Reads `"key"` and the `:` after it.
    private mutating func parseKey() throws(JSONParseError) -> String {
        guard pos < bytes.count else { throw fail("unexpected end of text, expected an object key") }
        guard bytes[pos] == UInt8(ascii: "\"") else {
            throw fail("unexpected \(describeByte(at: pos)), expected a double-quoted object key")
        }
        let key: String
        if let keys, let cached = try cachedKey(keys) {
            key = cached
        } else {
            key = try parseString()
            keyHash = Self.keyHash(key.utf8)
        }
        skipWhitespace()
        guard pos < bytes.count, bytes[pos] == UInt8(ascii: ":") else {
            throw fail(pos < bytes.count ? "unexpected \(describeByte(at: pos)), expected ':' after an object key" : "unexpected end of text, expected ':'")
        }
        pos += 1
        return key
    }

    /// The key at `pos` from the cache when it is a plain (unescaped) string; a miss is decoded
    /// and cached. `nil` for a key with escapes or control characters, with `pos` unchanged.
    /// Sets `keyHash` either way. (Keys are short: one pass finds the end and hashes.)
    private mutating func cachedKey(_ keys: KeyCache) throws(JSONParseError) -> String? {
        let start = pos + 1
        let previous = previousKeySlot
        if previous >= 0, let hit = keys.predicted(after: previous, in: bytes, at: start) {
            keyHash = hit.hash
            pos = start + hit.length + 1
            previousKeySlot = hit.slot
            return hit.string
        }
        previousKeySlot = -1
        var end = start
        var hash = Self.keyHashSeed
        while end < bytes.count {
            let b = bytes[end]
            if b == UInt8(ascii: "\"") { break }
            if b == UInt8(ascii: "\\") || b < 0x20 { return nil }
            hash = Self.keyHash(hash, b)
            end += 1
        }
        guard end < bytes.count else { return nil }
        keyHash = hash
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<end])
        pos = end + 1
        if let hit = keys.string(for: slice, hash: hash) {
            follow(previous, with: KeyCache.slot(hash), in: keys)
            return hit
        }
        let string = try makeString(slice, at: start)
        if let slot = keys.store(string, for: slice, hash: hash) { follow(previous, with: slot, in: keys) }
        return string
    }

    @inline(__always)
    private mutating func follow(_ previous: Int, with slot: Int, in keys: KeyCache) {
        if previous >= 0 { keys.follow(previous, with: slot) }
        previousKeySlot = slot
    }

    /// FNV-1a over a key's UTF-8 bytes: it picks the key's cache slot, and the duplicate-key
    /// check compares it, so it is the same however the key was read.
    static let keyHashSeed: UInt32 = 2_166_136_261

    @inline(__always)
    static func keyHash(_ hash: UInt32, _ byte: UInt8) -> UInt32 { (hash ^ UInt32(byte)) &* 16_777_619 }

    static func keyHash(_ bytes: some Sequence<UInt8>) -> UInt32 { bytes.reduce(keyHashSeed, keyHash) }

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < bytes.count {
            switch bytes[pos] {
            case 0x20, 0x0A, 0x0D, 0x09: pos += 1
            default: return
            }
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let n = literal.utf8CodeUnitCount
        let start = literal.utf8Start
        guard pos + n <= bytes.count else { throw fail("invalid literal, expected '\(literal)'") }
        for i in 0..<n where bytes[pos + i] != start[i] {
            throw fail("invalid literal, expected '\(literal)'")
        }
        pos += n
    }

    private mutating func parseString() throws(JSONParseError) -> String {
        let quote = pos
        pos += 1
        let start = pos
        // Fast path: no escapes; ASCII needs no UTF-8 validation. Eight bytes at a time first.
        var seen: UInt8 = 0
        pos = Self.skipPlainBytes(bytes, from: pos, seen: &seen)
        while pos < bytes.count {
            let b = bytes[pos]
            if !Self.needsCare(b) {
                seen |= b
                pos += 1
                continue
            }
            if b == UInt8(ascii: "\"") {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<pos])
                let s = seen < 0x80 ? String(utf8Bytes: slice) : try makeString(slice, at: start)
                pos += 1
                return s
            }
            break  // a backslash or a control character
        }
        let scratch = self.scratch
        scratch.removeAll()
        scratch.append(UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        while pos < bytes.count {
            let b = bytes[pos]
            switch b {
            case UInt8(ascii: "\""):
                pos += 1
                return try makeString(scratch.buffer, at: start)
            case UInt8(ascii: "\\"):
                try parseEscape(into: scratch)
            case 0..<0x20:
                throw fail("control character U+\(hex4(UInt32(b))) must be escaped in a string")
            default:
                let runEnd = Swift.max(pos + 1, Self.skipPlainBytes(bytes, from: pos + 1))
                scratch.append(UnsafeBufferPointer(rebasing: bytes[pos..<runEnd]))
                pos = runEnd
            }
        }
        throw failAt(quote, "unterminated string")
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether a byte cannot stand in a string as it is: `"`, `\` and control characters.
    /// (Comparisons, not a table: a global table costs a lazy-initialisation check per byte.)
    @inline(__always)
    static func needsCare(_ b: UInt8) -> Bool { b < 0x20 || b == 0x22 || b == 0x5C }

    /// The high bit of each byte of `x` that is `"`, `\` or a control character (the "has zero
    /// byte" test, for ASCII bytes; a borrow only runs upwards from a byte that matches, so the
    /// lowest flag is exact).
    @inline(__always)
    static func specialBytes(_ x: UInt64) -> UInt64 {
        let quote = x ^ 0x2222_2222_2222_2222
        let backslash = x ^ 0x5C5C_5C5C_5C5C_5C5C
        return (((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((x &- 0x2020_2020_2020_2020) & ~x)) & highBits
    }

    /// The index of the first `"`, `\` or control character from `start`, found eight bytes
    /// at a time (SWAR: the "has zero byte" test); in the last few bytes of the buffer, an
    /// index at or before it. The skipped bytes are OR-ed into `seen` (its high bit tells
    /// whether any was non-ASCII).
    @inline(__always)
    static func skipPlainBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, seen: inout UInt8) -> Int {
        guard let base = bytes.baseAddress else { return start }
        var i = start
        var all: UInt64 = 0
        while i + 8 <= bytes.count {
            // Little-endian, so that the lowest flagged bit is the first such byte: a test's
            // borrow only runs upwards from a byte that matches, so the lowest flag is exact.
            let x = UInt64(littleEndian: UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            let special = specialBytes(x)
            if special != 0 {
                let plain = special.trailingZeroBitCount / 8
                all |= x & ((1 << UInt64(8 * plain)) &- 1)
                i += plain
                break
            }
            all |= x
            i += 8
        }
        if all & highBits != 0 { seen |= 0x80 }
        return i
    }

    @inline(__always)
    static func skipPlainBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var seen: UInt8 = 0
        return skipPlainBytes(bytes, from: start, seen: &seen)
    }

    private func makeString(_ buffer: UnsafeBufferPointer<UInt8>, at offset: Int) throws(JSONParseError) -> String {
        guard Self.isValidUTF8(buffer) else { throw failAt(offset, "invalid UTF-8 in string") }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing past U+10FFFF.
    static func isValidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 {
                i += 1
                continue
            }
            @inline(__always) func continuation(_ k: Int, _ lo: UInt8 = 0x80, _ hi: UInt8 = 0xBF) -> Bool {
                i + k < n && bytes[i + k] >= lo && bytes[i + k] <= hi
            }
            switch b0 {
            case 0xC2...0xDF:
                guard continuation(1) else { return false }
                i += 2
            case 0xE0:
                guard continuation(1, 0xA0), continuation(2) else { return false }
                i += 3
            case 0xE1...0xEC, 0xEE...0xEF:
                guard continuation(1), continuation(2) else { return false }
                i += 3
            case 0xED:
                guard continuation(1, 0x80, 0x9F), continuation(2) else { return false }
                i += 3
            case 0xF0:
                guard continuation(1, 0x90), continuation(2), continuation(3) else { return false }
                i += 4
            case 0xF1...0xF3:
                guard continuation(1), continuation(2), continuation(3) else { return false }
                i += 4
            case 0xF4:
                guard continuation(1, 0x80, 0x8F), continuation(2), continuation(3) else { return false }
                i += 4
            default:
                return false
            }
        }
        return true
    }

    private mutating func parseEscape(into scratch: ByteStorage) throws(JSONParseError) {
        let escapeStart = pos
        pos += 1
        guard pos < bytes.count else { throw fail("unterminated escape sequence") }
        let c = bytes[pos]
        pos += 1
        switch c {
        case UInt8(ascii: "\""): scratch.append(0x22)
        case UInt8(ascii: "\\"): scratch.append(0x5C)
        case UInt8(ascii: "/"): scratch.append(0x2F)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try readHex4(escapeStart)
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate to make one scalar.
                if pos + 1 < bytes.count, bytes[pos] == UInt8(ascii: "\\"), bytes[pos + 1] == UInt8(ascii: "u") {
                    let save = pos
                    pos += 2
                    let low = try readHex4(save)
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        pos = save
                        scalar = 0xFFFD
                    }
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00..<0xE000).contains(scalar) {
                scalar = 0xFFFD  // A lone low surrogate cannot be held in a Swift string.
            }
            for unit in UTF8.encode(Unicode.Scalar(scalar) ?? "\u{FFFD}")! { scratch.append(unit) }  // At most four bytes.
        default:
            throw failAt(escapeStart, "invalid escape sequence '\\\(describeScalar(c))'")
        }
    }

    private mutating func readHex4(_ escapeStart: Int) throws(JSONParseError) -> UInt32 {
        guard pos + 4 <= bytes.count else { throw failAt(escapeStart, "incomplete \\u escape, expected four hex digits") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[pos]
            let d: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): d = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): d = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): d = b - UInt8(ascii: "A") + 10
            default: throw failAt(escapeStart, "invalid \\u escape, expected four hex digits")
            }
            v = v << 4 | UInt32(d)
            pos += 1
        }
        return v
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = pos
        var negative = false
        if bytes[pos] == UInt8(ascii: "-") {
            negative = true
            pos += 1
        }
        guard pos < bytes.count, isDigit(bytes[pos]) else { throw failAt(start, "invalid number, expected a digit") }
        var magnitude: UInt64 = 0
        var overflow = false
        if bytes[pos] == UInt8(ascii: "0") {
            pos += 1
            if pos < bytes.count, isDigit(bytes[pos]) { throw failAt(start, "invalid number, leading zeros are not allowed") }
        } else {
            // Nineteen digits always fit in 64 bits; a longer integer is beyond Int64 anyway,
            // and `overflow` sends it to the exact decimal conversion with all its digits.
            var digits = 0
            while pos < bytes.count, isDigit(bytes[pos]) {
                if digits < 19 { magnitude = magnitude &* 10 &+ UInt64(bytes[pos] &- UInt8(ascii: "0")) } else { overflow = true }
                digits += 1
                pos += 1
            }
        }
        if !overflow, pos == bytes.count || (bytes[pos] != UInt8(ascii: ".") && bytes[pos] | 0x20 != UInt8(ascii: "e")) {
            // An integer (the common case): no fraction, no exponent.
            if negative {
                if magnitude <= UInt64(Int64.max) { return .int(-Int64(magnitude)) }
                if magnitude == UInt64(Int64.max) + 1 { return .int(Int64.min) }
            } else if magnitude <= UInt64(Int64.max) {
                return .int(Int64(magnitude))
            }
        }
        // Track up to 19 significant digits for the exact fast path below.
        var significand = magnitude
        var digitCount = overflow ? 20 : countDigits(magnitude)
        var fractionDigits = 0
        if pos < bytes.count, bytes[pos] == UInt8(ascii: ".") {
            pos += 1
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw failAt(start, "invalid number, expected a digit after '.'") }
            while pos < bytes.count, isDigit(bytes[pos]) {
                if digitCount < 19 {
                    significand = significand &* 10 &+ UInt64(bytes[pos] - UInt8(ascii: "0"))
                    if significand > 0 { digitCount += 1 }
                    fractionDigits += 1
                } else {
                    digitCount = 20
                }
                pos += 1
            }
        }
        var exponent = 0
        if pos < bytes.count, bytes[pos] | 0x20 == UInt8(ascii: "e") {
            pos += 1
            var negativeExponent = false
            if pos < bytes.count, bytes[pos] == UInt8(ascii: "+") || bytes[pos] == UInt8(ascii: "-") {
                negativeExponent = bytes[pos] == UInt8(ascii: "-")
                pos += 1
            }
            guard pos < bytes.count, isDigit(bytes[pos]) else { throw failAt(start, "invalid number, expected a digit in the exponent") }
            while pos < bytes.count, isDigit(bytes[pos]) {
                if exponent < 100_000 { exponent = exponent * 10 + Int(bytes[pos] - UInt8(ascii: "0")) }
                pos += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        // Clinger's fast path: a significand below 2^53 times an exact power of ten ≤ 10^22 is
        // correctly rounded by one IEEE operation.
        let scale = exponent - fractionDigits
        if digitCount <= 15, significand < (1 << 53), scale >= -22, scale <= 22 {
            var d = Double(significand)
            d = scale < 0 ? d / Self.powerOfTen(-scale) : d * Self.powerOfTen(scale)
            return .double(negative ? -d : d)
        }
        let value = Self.parseDouble(UnsafeBufferPointer(rebasing: bytes[start..<pos]))
        guard value.isFinite else { throw failAt(start, "number out of range of a 64-bit double") }
        return .double(value)
    }

    /// 10^e for 0 ≤ e ≤ 22, each exactly representable (a switch of constants, not a global
    /// table, which costs a lazy-initialisation check per call).
    @inline(__always)
    private static func powerOfTen(_ e: Int) -> Double {
        switch e {
        case 0: 1e0
        case 1: 1e1
        case 2: 1e2
        case 3: 1e3
        case 4: 1e4
        case 5: 1e5
        case 6: 1e6
        case 7: 1e7
        case 8: 1e8
        case 9: 1e9
        case 10: 1e10
        case 11: 1e11
        case 12: 1e12
        case 13: 1e13
        case 14: 1e14
        case 15: 1e15
        case 16: 1e16
        case 17: 1e17
        case 18: 1e18
        case 19: 1e19
        case 20: 1e20
        case 21: 1e21
        default: 1e22
        }
    }

    @inline(__always)
    private func countDigits(_ n: UInt64) -> Int {
        var n = n, count = 0
        while n > 0 {
            n /= 10
            count += 1
        }
        return count
    }

    /// Correctly rounded decimal → binary conversion of a validated JSON number.
    static func parseDouble(_ text: UnsafeBufferPointer<UInt8>) -> Double {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { buffer in
            for i in 0..<text.count { buffer[i] = CChar(bitPattern: text[i]) }
            buffer[text.count] = 0
            return strtod(buffer.baseAddress!, nil)
        }
    }

    @inline(__always)
    private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    private func fail(_ message: String) -> JSONParseError { failAt(pos, message) }

    private func failAt(_ offset: Int, _ message: String) -> JSONParseError {
        JSONParseError.at(offset, in: bytes, message)
    }

    private func describeByte(at offset: Int) -> String {
        guard offset < bytes.count else { return "end of text" }
        return "character '\(describeScalar(bytes[offset]))'"
    }

    private func describeScalar(_ b: UInt8) -> String {
        if b >= 0x20 && b < 0x7F { return String(UnicodeScalar(b)) }
        return "\\u" + hex4(UInt32(b))
    }

    private func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
