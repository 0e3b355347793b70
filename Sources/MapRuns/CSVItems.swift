import ASLErrors
import Foundation
import Interpreter
import JSONCore
import ObjectStore

/// `ReaderConfig` for `InputType: CSV`: where the header is and which delimiter separates
/// fields.
struct CSVFormat {
    var delimiter: UInt8 = UInt8(ascii: ",")
    /// `GIVEN` headers; nil when the first row holds them.
    var givenHeaders: [String]?

    static let delimiters: [String: UInt8] = [
        "COMMA": UInt8(ascii: ","), "PIPE": UInt8(ascii: "|"), "SEMICOLON": UInt8(ascii: ";"), "SPACE": UInt8(ascii: " "), "TAB": 9,
    ]

    init(_ config: JSONValue) throws(ExecutionFailure) {
        if let name = config["CSVDelimiter"]?.stringValue {
            guard let byte = Self.delimiters[name] else {
                throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig CSVDelimiter must be COMMA, PIPE, SEMICOLON, SPACE or TAB, but is \"\(name)\"")
            }
            delimiter = byte
        }
        switch config["CSVHeaderLocation"]?.stringValue ?? "FIRST_ROW" {
        case "FIRST_ROW":
            if config["CSVHeaders"] != nil {
                throw ExecutionFailure(.itemReaderFailed, cause: "CSVHeaders can only be given with CSVHeaderLocation GIVEN")
            }
        case "GIVEN":
            guard let headers = config["CSVHeaders"]?.arrayValue, !headers.isEmpty else {
                throw ExecutionFailure(.itemReaderFailed, cause: "CSVHeaderLocation GIVEN needs CSVHeaders, a non-empty array of strings")
            }
            var names: [String] = []
            for header in headers {
                guard let name = header.stringValue else { throw ExecutionFailure(.itemReaderFailed, cause: "CSVHeaders must be strings") }
                names.append(name)
            }
            givenHeaders = names
        case let other:
            throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig CSVHeaderLocation must be FIRST_ROW or GIVEN, but is \"\(other)\"")
        }
    }
}

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

    /// The first index from `start` at or past which a delimiter, a quote, CR or LF may be,
    /// skipping whole 8-byte words that have none (the "has zero byte" test on each).
    @inline(__always)
    static func skipPlainBytes(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int, delimiter: UInt8) -> Int {
        guard let base = bytes.baseAddress else { return start }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highBits: UInt64 = 0x8080_8080_8080_8080
        let delimiters = ones &* UInt64(delimiter)
        @inline(__always) func has(_ word: UInt64, _ pattern: UInt64) -> UInt64 {
            let x = word ^ pattern
            return (x &- ones) & ~x
        }
        var index = start
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
            let special = has(word, delimiters) | has(word, ones &* 34) | has(word, ones &* 10) | has(word, ones &* 13)
            if special & highBits != 0 { break }
            index += 8
        }
        return index
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
                    unescaped.removeAll(keepingCapacity: true)
                    var i = 0
                    while i < text.count {
                        unescaped.append(text[i])
                        i += text[i] == 34 ? 2 : 1
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
    mutating func add(_ text: UnsafeBufferPointer<UInt8>) { fields.append(String(decoding: text, as: UTF8.self)) }
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
            members.append(JSONObject.Member(key: headers[fieldCount], value: .string(String(decoding: text, as: UTF8.self))))
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

/// `InputType: CSV`: each row becomes an object from header to value (`CSVItemBuilder`), read
/// one row at a time; blank lines are skipped.
final class CSVItems: ItemSource {
    private(set) var chunks: ByteChunks
    private var scanner: CSVScanner
    private let name: String
    var source: String { name }
    private(set) var builder: CSVItemBuilder
    /// Rows read so far, blank ones included.
    private(set) var row: Int

    init(_ chunks: ByteChunks, format: CSVFormat, name: String) throws(ExecutionFailure) {
        self.chunks = chunks
        self.name = name
        scanner = CSVScanner(delimiter: format.delimiter)
        row = 0
        builder = CSVItemBuilder(headers: [])
        let headers: [String]
        if let given = format.givenHeaders {
            headers = given
        } else {
            var names = CSVFieldStrings()
            guard try nextRow(into: &names) else {
                throw ExecutionFailure(.itemReaderFailed, cause: "\(name) is empty; its first row must hold the headers")
            }
            headers = names.fields
        }
        var seen = Set<String>()
        for header in headers where !seen.insert(header).inserted {
            throw ExecutionFailure(.itemReaderFailed, cause: "The CSV headers of \(name) repeat \"\(header)\"; each header must be unique")
        }
        builder = CSVItemBuilder(headers: headers)
    }

    /// Goes on reading rows of an object whose headers were read (the rest of an object that
    /// was being read a block at a time).
    init(_ chunks: ByteChunks, delimiter: UInt8, headers: [String], rowsRead: Int, name: String) {
        self.chunks = chunks
        self.name = name
        scanner = CSVScanner(delimiter: delimiter)
        builder = CSVItemBuilder(headers: headers)
        row = rowsRead
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        // Moved out while the row is read, so that its member array stays uniquely held.
        var builder = CSVItemBuilder(headers: [])
        swap(&builder, &self.builder)
        defer { swap(&builder, &self.builder) }
        guard try nextRow(into: &builder) else { return nil }
        do { return try builder.finish() } catch { throw error.failure(row: row, of: name, headerCount: builder.headers.count) }
    }

    /// Reads the next non-blank row into `sink`; false at the end of the object.
    private func nextRow(into sink: inout some CSVFieldSink) throws(ExecutionFailure) -> Bool {
        while true {
            sink.start()
            let ended = chunks.ended
            let start = chunks.start
            let scan: CSVScanner.Scan
            do {
                scan = try chunks.bytes.withUnsafeBufferPointer { bytes throws(CSVRowProblem) in
                    try scanner.scanRow(bytes, from: start, ended: ended, into: &sink)
                }
            } catch {
                throw error.failure(row: row + 1, of: name, headerCount: builder.headers.count)
            }
            switch scan {
            case .row(let end):
                chunks.start = end
                row += 1
                if sink.isBlank {
                    if end >= chunks.bytes.count, chunks.ended { return false }  // the end of the object
                    continue  // a blank line
                }
                return true
            case .needMore:
                if try !chunks.more(name: name) {
                    if chunks.start >= chunks.bytes.count { return false }
                    // At the end of the object an unterminated last row is complete.
                    continue
                }
            }
        }
    }
}

extension CSVItems {
    /// An object's items: read a block at a time when it is larger than a block and there are
    /// cores to spare, otherwise one row at a time. The header row is read first either way.
    static func open(
        _ reader: any ObjectReader, format: CSVFormat, name: String, tuning: BlockItems.Tuning = .standard
    ) throws(ExecutionFailure) -> any ItemSource {
        let headed = try CSVItems(ByteChunks(reader), format: format, name: name)
        var chunks = headed.chunks
        let headers = headed.builder.headers
        guard try tuning.usesBlocks(&chunks, name: name) else {
            return CSVItems(chunks, delimiter: format.delimiter, headers: headers, rowsRead: headed.row, name: name)
        }
        return BlockItems(
            chunks, format: CSVBlockFormat(delimiter: format.delimiter, headers: headers), recordsRead: headed.row, name: name, tuning: tuning)
    }
}

/// CSV cut into blocks at line breaks outside quoted fields.
struct CSVBlockFormat: BlockFormat {
    let delimiter: UInt8
    let headers: [String]

    /// Quotes toggle between text and a quoted field (a doubled quote toggles twice), so an LF
    /// is outside quotes when an even number of quotes comes before it: count them all, then
    /// walk back from the end to the last such LF. A stray quote in malformed text misplaces
    /// later boundaries, but the row parser reports that row before it reaches them.
    func lastBoundary(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var quotes = 0
        var index = 0
        while let quote = bytes.index(of: 34, from: index) {
            quotes += 1
            index = quote + 1
        }
        var back = bytes.count
        while back > 0 {
            back -= 1
            if bytes[back] == 34 {
                quotes -= 1
            } else if bytes[back] == 10, quotes % 2 == 0 {
                return back + 1
            }
        }
        return nil
    }

    func makeBlockParser() -> any BlockParser { Parser(delimiter: delimiter, headers: headers) }

    func sequential(_ chunks: ByteChunks, recordsRead: Int, name: String) -> any ItemSource {
        CSVItems(chunks, delimiter: delimiter, headers: headers, rowsRead: recordsRead, name: name)
    }

    final class Parser: BlockParser, @unchecked Sendable {
        private var scanner: CSVScanner
        private var builder: CSVItemBuilder

        init(delimiter: UInt8, headers: [String]) {
            scanner = CSVScanner(delimiter: delimiter)
            builder = CSVItemBuilder(headers: headers)
        }

        func parse(_ block: UnsafeBufferPointer<UInt8>, name: String) -> ParsedBlock {
            var parsed = ParsedBlock()
            var position = 0
            let headerCount = builder.headers.count
            var builder = CSVItemBuilder(headers: [])
            swap(&builder, &self.builder)
            defer { swap(&builder, &self.builder) }
            while position < block.count {
                builder.start()
                do {
                    guard case .row(let end) = try scanner.scanRow(block, from: position, ended: true, into: &builder) else { break }
                    position = end
                    parsed.records += 1
                    if builder.isBlank { continue }
                    parsed.items.append(try builder.finish())
                } catch {
                    let row = parsed.records + (error.isScanProblem ? 1 : 0)
                    parsed.problem = (row, { error.failure(row: $0, of: name, headerCount: headerCount) })
                    break
                }
            }
            return parsed
        }
    }
}

extension CSVRowProblem {
    /// Whether the row could not be split (rather than having too many fields): the row is the
    /// one after those counted.
    var isScanProblem: Bool {
        if case .tooManyFields = self { false } else { true }
    }
}
