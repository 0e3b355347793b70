import ASLErrors
import JSONCore

/// What is wrong with a row; the reader names the row when it reports it.
enum CSVRowProblem: Error {
    case unterminatedQuote
    case textAfterClosingQuote
    case quoteInUnquotedField
    case tooManyFields(Int)

    func failure(row: Int, of name: String, headerCount: Int) -> ExecutionFailure {
        let detail =
            switch self {
            case .unterminatedQuote: "has a quoted field that never ends"
            case .textAfterClosingQuote: "has characters after a closing quote"
            case .quoteInUnquotedField: "has a quote inside an unquoted field"
            case .tooManyFields(let count): "has \(count) fields, more than its \(headerCount) headers"
            }
        return ExecutionFailure(.itemReaderFailed, cause: "Row \(row) of \(name) \(detail)")
    }
}

/// Splits CSV text into rows and fields: quoted fields may hold delimiters, doubled quotes and
/// line breaks; rows end with LF, CRLF or CR.
struct CSVScanner {
    let delimiter: UInt8
    /// Where a quoted field with doubled quotes is unescaped.
    private var unescaped: [UInt8] = []

    init(delimiter: UInt8) { self.delimiter = delimiter }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// The high bit of each byte of `word` that equals the byte `pattern` repeats (the "has
    /// zero byte" test). The lowest one is exact: a borrow only runs upwards from a match.
    @inline(__always)
    private static func matches(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
        let x = word ^ pattern
        return (x &- ones) & ~x & highBits
    }

    /// The index of the first byte from `start` that `flags` marks in its word, found eight
    /// bytes at a time; in the last few bytes of the buffer, an index at or before it.
    @inline(__always)
    private static func skip(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, flags: (UInt64) -> UInt64) -> Int {
        guard let base = bytes.baseAddress else { return start }
        var index = start
        while index + 8 <= bytes.count {
            // Little-endian, so that the lowest flagged byte is the first in the text.
            let flagged = flags(UInt64(littleEndian: UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)))
            if flagged != 0 { return index + flagged.trailingZeroBitCount / 8 }
            index += 8
        }
        return index
    }

    /// The index of the first delimiter, quote, CR or LF from `start` (see `skip`).
    @inline(__always)
    static func skipPlainBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, delimiter: UInt8) -> Int {
        let delimiters = ones &* UInt64(delimiter)
        return skip(bytes, from: start) { word in
            matches(word, delimiters) | matches(word, ones &* 34) | matches(word, ones &* 10) | matches(word, ones &* 13)
        }
    }

    /// The index of the first quote from `start` (see `skip`).
    @inline(__always)
    static func skipToQuote(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        skip(bytes, from: start) { matches($0, ones &* 34) }
    }

    enum Scan {
        /// A whole row, ending at `end` (past its line break).
        case row(end: Int)
        /// The bytes end before the row does, and more may come (`ended` false).
        case needMore
    }

    /// Reads the row at `position`, giving each field's text to `field` in order (a row that
    /// needs more bytes may have given some already). At the end of the object (`ended`) an
    /// unterminated last row is whole, and an empty remainder is one empty field.
    mutating func scanRow(
        _ bytes: UnsafeBufferPointer<UInt8>, from position: Int, ended: Bool, into sink: inout some CSVFieldSink
    ) throws(CSVRowProblem) -> Scan {
        let count = bytes.count
        let delimiter = self.delimiter
        var index = position
        if index >= count {
            guard ended else { return .needMore }
            sink.add(UnsafeBufferPointer(rebasing: bytes[index..<index]))
            return .row(end: index)
        }
        while true {
            if index < count, bytes[index] == 34 {
                // Quoted: doubled quotes stand for one; delimiters and line breaks are text.
                index += 1
                let start = index
                var doubled = false
                while true {
                    index = Self.skipToQuote(bytes, from: index)
                    guard index < count else {
                        if ended { throw .unterminatedQuote }
                        return .needMore
                    }
                    if bytes[index] == 34 {
                        if index + 1 < count, bytes[index + 1] == 34 {
                            doubled = true
                            index += 2
                            continue
                        }
                        if index + 1 >= count, !ended { return .needMore }
                        break
                    }
                    index += 1
                }
                let text = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if index < count, bytes[index] != delimiter, bytes[index] != 10, bytes[index] != 13 { throw .textAfterClosingQuote }
                if doubled {
                    // Every quote inside is doubled: copy each run up to and with its first one.
                    unescaped.removeAll(keepingCapacity: true)
                    var runStart = 0
                    while runStart < text.count {
                        var quote = Self.skipToQuote(text, from: runStart)
                        while quote < text.count, text[quote] != 34 { quote += 1 }
                        unescaped.append(contentsOf: UnsafeBufferPointer(rebasing: text[runStart..<min(quote + 1, text.count)]))
                        runStart = quote + 2
                    }
                    unescaped.withUnsafeBufferPointer { sink.add($0) }
                } else {
                    sink.add(text)
                }
            } else {
                // Unquoted: the bytes up to the next delimiter or line end, as they are.
                let start = index
                index = Self.skipPlainBytes(bytes, from: index, delimiter: delimiter)
                while index < count {
                    let byte = bytes[index]
                    if byte == delimiter || byte == 10 || byte == 13 { break }
                    if byte == 34 { throw .quoteInUnquotedField }
                    index += 1
                }
                if index >= count, !ended { return .needMore }
                sink.add(UnsafeBufferPointer(rebasing: bytes[start..<index]))
            }
            guard index < count else {
                return ended ? .row(end: index) : .needMore
            }
            switch bytes[index] {
            case delimiter:
                index += 1
            case 13:
                if index + 1 < count { return .row(end: bytes[index + 1] == 10 ? index + 2 : index + 1) }
                return ended ? .row(end: index + 1) : .needMore
            default:  // LF
                return .row(end: index + 1)
            }
        }
    }
}

/// Where a row's fields go, in order.
protocol CSVFieldSink {
    /// Forgets the fields of a row read before.
    mutating func start()
    mutating func add(_ text: UnsafeBufferPointer<UInt8>)
    /// Whether the row read since `start` is blank: one empty field.
    var isBlank: Bool { get }
}

/// A row's fields as strings (the header row).
struct CSVFieldStrings: CSVFieldSink {
    var fields: [String] = []
    mutating func start() { fields.removeAll() }
    mutating func add(_ text: UnsafeBufferPointer<UInt8>) { fields.append(String(utf8Bytes: text)) }
    var isBlank: Bool { fields == [""] }
}

/// Makes rows into items: an object from header to value, every value a string, missing cells
/// "". A row of one empty field is blank (skipped).
struct CSVItemBuilder: CSVFieldSink {
    let headers: [String]
    private var members: [JSONObject.Member] = []
    private var fieldCount = 0
    private var firstFieldEmpty = false

    init(headers: [String]) {
        self.headers = headers
        members.reserveCapacity(headers.count)
    }

    mutating func start() {
        members.removeAll(keepingCapacity: true)
        fieldCount = 0
    }

    @inline(__always)
    mutating func add(_ text: UnsafeBufferPointer<UInt8>) {
        if fieldCount == 0 { firstFieldEmpty = text.isEmpty }
        if fieldCount < headers.count {
            members.append(JSONObject.Member(key: headers[fieldCount], value: .string(String(utf8Bytes: text))))
        }
        fieldCount += 1
    }

    var isBlank: Bool { fieldCount == 1 && firstFieldEmpty }

    /// The row read since `start` as an item.
    mutating func finish() throws(CSVRowProblem) -> JSONValue {
        guard fieldCount <= headers.count else { throw .tooManyFields(fieldCount) }
        for index in members.count..<headers.count { members.append(JSONObject.Member(key: headers[index], value: .string(""))) }
        let item = JSONValue.object(JSONObject(distinctMembers: members))
        members = []
        members.reserveCapacity(headers.count)
        return item
    }
}
