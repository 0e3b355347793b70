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
        guard try tuning.usesBlocks(&headed.chunks, name: name) else { return headed }
        return BlockItems(
            headed.chunks, format: CSVBlockFormat(delimiter: format.delimiter, headers: headed.builder.headers), recordsRead: headed.row, name: name,
            tuning: tuning)
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

    /// `@unchecked Sendable`: one thread's own (see `BlockParser`).
    final class Parser: BlockParser, @unchecked Sendable {
        private var scanner: CSVScanner
        private var builder: CSVItemBuilder
        /// Items in the last block parsed: the next one's are about as many.
        private var lastItemCount = 0

        init(delimiter: UInt8, headers: [String]) {
            scanner = CSVScanner(delimiter: delimiter)
            builder = CSVItemBuilder(headers: headers)
        }

        func parse(_ block: UnsafeBufferPointer<UInt8>, name: String) -> ParsedBlock {
            var parsed = ParsedBlock(expectedItems: lastItemCount + lastItemCount / 8)
            defer { lastItemCount = parsed.items.count }
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
