/// Reads Apache Thrift's compact protocol, in which Parquet writes its file footer and page
/// headers: structs of numbered fields, zigzag varints, length-prefixed binaries, lists.
/// Fields a caller does not ask for are skipped, so newer writers' additions are ignored.
struct ThriftCompactReader {
    /// The wire types of the compact protocol.
    enum WireType: UInt8 {
        case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7, binary = 8, list = 9, set = 10, map = 11,
            structure = 12
    }

    struct Malformed: Error {
        var message: String
    }

    private let bytes: [UInt8]
    private(set) var position: Int
    /// Nesting of structs being read, bounded so a hostile footer cannot exhaust the stack.
    private var depth = 0

    init(_ bytes: [UInt8], at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    // MARK: Primitives

    mutating func byte() throws(Malformed) -> UInt8 {
        guard position < bytes.count else { throw Malformed(message: "the metadata ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func varint() throws(Malformed) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = try byte()
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            guard shift < 64 else { throw Malformed(message: "a varint is longer than 64 bits") }
        }
    }

    mutating func integer() throws(Malformed) -> Int64 {
        let raw = try varint()
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    mutating func i32() throws(Malformed) -> Int32 {
        let value = try integer()
        guard let narrow = Int32(exactly: value) else { throw Malformed(message: "an i32 field holds \(value)") }
        return narrow
    }

    mutating func binary() throws(Malformed) -> [UInt8] {
        let count = try varint()
        guard count <= UInt64(bytes.count - position) else { throw Malformed(message: "a string runs past the metadata") }
        defer { position += Int(count) }
        return Array(bytes[position..<position + Int(count)])
    }

    mutating func string() throws(Malformed) -> String {
        String(decoding: try binary(), as: UTF8.self)
    }

    mutating func double() throws(Malformed) -> Double {
        guard bytes.count - position >= 8 else { throw Malformed(message: "the metadata ends early") }
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        return Double(bitPattern: bits)
    }

    // MARK: Structures

    /// Reads a struct, handing each field's id and wire type to `field`, which reads the value
    /// and returns true, or returns false to have it skipped.
    mutating func structure(_ field: (inout ThriftCompactReader, Int16, WireType) throws(Malformed) -> Bool) throws(Malformed) {
        depth += 1
        defer { depth -= 1 }
        guard depth <= 64 else { throw Malformed(message: "structures nest too deeply") }
        var lastId: Int16 = 0
        while true {
            let header = try byte()
            guard let type = WireType(rawValue: header & 0x0F) else { throw Malformed(message: "unknown wire type \(header & 0x0F)") }
            if type == .stop { return }
            let delta = Int16(header >> 4)
            let id = delta != 0 ? lastId &+ delta : Int16(truncatingIfNeeded: try integer())
            lastId = id
            if try !field(&self, id, type) { try skip(type) }
        }
    }

    /// The element type and count of a list (or set) whose header comes next.
    mutating func listHeader() throws(Malformed) -> (type: WireType, count: Int) {
        let header = try byte()
        guard let type = WireType(rawValue: header & 0x0F) else { throw Malformed(message: "unknown list element type") }
        var count = Int(header >> 4)
        if count == 15 { count = Int(truncatingIfNeeded: try varint()) }
        guard count >= 0, count <= bytes.count - position else { throw Malformed(message: "a list is longer than the metadata") }
        return (type, count)
    }

    /// A list of structs, each read by `element`.
    mutating func list<Element>(_ element: (inout ThriftCompactReader) throws(Malformed) -> Element) throws(Malformed) -> [Element] {
        let (_, count) = try listHeader()
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try element(&self)) }
        return elements
    }

    /// A field's boolean: compact protocol keeps it in the field's wire type.
    static func boolean(_ type: WireType) -> Bool { type == .boolTrue }

    mutating func skip(_ type: WireType) throws(Malformed) {
        switch type {
        case .stop, .boolTrue, .boolFalse: break
        case .byte: position += 1
        case .i16, .i32, .i64: _ = try varint()
        case .double: position += 8
        case .binary: _ = try binary()
        case .list, .set:
            let (element, count) = try listHeader()
            for _ in 0..<count { try skipElement(element) }
        case .map:
            let count = Int(truncatingIfNeeded: try varint())
            guard count >= 0, count <= bytes.count - position else { throw Malformed(message: "a map is longer than the metadata") }
            if count > 0 {
                let types = try byte()
                guard let key = WireType(rawValue: types >> 4), let value = WireType(rawValue: types & 0x0F) else {
                    throw Malformed(message: "unknown map element type")
                }
                for _ in 0..<count {
                    try skipElement(key)
                    try skipElement(value)
                }
            }
        case .structure:
            try structure { _, _, _ throws(Malformed) in false }
        }
        guard position <= bytes.count else { throw Malformed(message: "the metadata ends early") }
    }

    /// A list's or map's element: there a boolean takes a byte of its own.
    private mutating func skipElement(_ type: WireType) throws(Malformed) {
        if type == .boolTrue || type == .boolFalse { _ = try byte() } else { try skip(type) }
    }
}
