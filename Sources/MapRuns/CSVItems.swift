import ASLErrors
import Interpreter
import JSONCore

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

/// `InputType: CSV`: each row becomes an object from header to value, every value a string
/// (missing cells are ""). Quoted fields may hold delimiters, doubled quotes and line breaks;
/// rows end with LF or CRLF; blank lines are skipped.
final class CSVItems: ItemSource {
    private var chunks: ByteChunks
    private let format: CSVFormat
    private let name: String
    var source: String { name }
    private var headers: [String] = []
    private var row = 0

    init(_ chunks: ByteChunks, format: CSVFormat, name: String) throws(ExecutionFailure) {
        self.chunks = chunks
        self.format = format
        self.name = name
        if let given = format.givenHeaders {
            headers = try checked(given)
        } else {
            guard let first = try nextRow() else { throw ExecutionFailure(.itemReaderFailed, cause: "\(name) is empty; its first row must hold the headers") }
            headers = try checked(first)
        }
    }

    private func checked(_ names: [String]) throws(ExecutionFailure) -> [String] {
        var seen = Set<String>()
        for name in names where !seen.insert(name).inserted {
            throw ExecutionFailure(.itemReaderFailed, cause: "The CSV headers of \(self.name) repeat \"\(name)\"; each header must be unique")
        }
        return names
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        guard let fields = try nextRow() else { return nil }
        guard fields.count <= headers.count else {
            throw ExecutionFailure(.itemReaderFailed, cause: "Row \(row) of \(name) has \(fields.count) fields, more than its \(headers.count) headers")
        }
        var members: [JSONObject.Member] = []
        members.reserveCapacity(headers.count)
        for (index, header) in headers.enumerated() {
            members.append(JSONObject.Member(key: header, value: .string(index < fields.count ? fields[index] : "")))
        }
        return .object(JSONObject(distinctMembers: members))
    }

    private enum Parse {
        case row([String], end: Int)
        case needMore
    }

    /// The next non-blank row's fields.
    private func nextRow() throws(ExecutionFailure) -> [String]? {
        while true {
            switch try parseRow(from: chunks.start) {
            case .row(let fields, let end):
                chunks.start = end
                row += 1
                if fields.count == 1, fields[0].isEmpty {
                    if end >= chunks.bytes.count, chunks.ended { return nil }  // the end of the object
                    continue  // a blank line
                }
                return fields
            case .needMore:
                if try !chunks.more(name: name) {
                    if chunks.start >= chunks.bytes.count { return nil }
                    // At the end of the object an unterminated last row is complete.
                    continue
                }
            }
        }
    }

    /// Parses one row starting at `position`; `needMore` when the buffered bytes end before
    /// the row does (and more may come).
    private func parseRow(from position: Int) throws(ExecutionFailure) -> Parse {
        let ended = chunks.ended
        let delimiter = format.delimiter
        let rowNumber = row + 1
        let name = self.name
        return try chunks.bytes.withUnsafeBufferPointer { bytes throws(ExecutionFailure) -> Parse in
            let count = bytes.count
            var fields: [String] = []
            fields.reserveCapacity(headers.count)
            var index = position
            if index >= count { return ended ? .row([""], end: index) : .needMore }
            while true {
                if index < count, bytes[index] == 34 {
                    // Quoted: doubled quotes stand for one; delimiters and line breaks are text.
                    var field: [UInt8] = []
                    index += 1
                    while true {
                        guard index < count else {
                            if ended { throw ExecutionFailure(.itemReaderFailed, cause: "Row \(rowNumber) of \(name) has a quoted field that never ends") }
                            return .needMore
                        }
                        let byte = bytes[index]
                        if byte == 34 {
                            if index + 1 < count, bytes[index + 1] == 34 {
                                field.append(34)
                                index += 2
                                continue
                            }
                            if index + 1 >= count, !ended { return .needMore }
                            index += 1
                            break
                        }
                        field.append(byte)
                        index += 1
                    }
                    if index < count, bytes[index] != delimiter, bytes[index] != 10, bytes[index] != 13 {
                        throw ExecutionFailure(.itemReaderFailed, cause: "Row \(rowNumber) of \(name) has characters after a closing quote")
                    }
                    fields.append(String(decoding: field, as: UTF8.self))
                } else {
                    // Unquoted: the bytes up to the next delimiter or line end, as they are.
                    let start = index
                    while index < count {
                        let byte = bytes[index]
                        if byte == delimiter || byte == 10 || byte == 13 { break }
                        if byte == 34 {
                            throw ExecutionFailure(.itemReaderFailed, cause: "Row \(rowNumber) of \(name) has a quote inside an unquoted field")
                        }
                        index += 1
                    }
                    if index >= count, !ended { return .needMore }
                    fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                }
                guard index < count else {
                    return ended ? .row(fields, end: index) : .needMore
                }
                switch bytes[index] {
                case delimiter:
                    index += 1
                case 13:
                    if index + 1 < count {
                        return .row(fields, end: bytes[index + 1] == 10 ? index + 2 : index + 1)
                    }
                    return ended ? .row(fields, end: index + 1) : .needMore
                default:  // LF
                    return .row(fields, end: index + 1)
                }
            }
        }
    }
}
