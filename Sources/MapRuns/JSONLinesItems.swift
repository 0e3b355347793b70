import ASLErrors
import Foundation
import Interpreter
import JSONCore
import ObjectStore

/// `InputType: JSONL`: one JSON value per line; blank lines are skipped. Read one line at a
/// time (small objects, or the rest of an object with a very long line); larger objects are
/// read a block at a time (`JSONLinesFormat`).
final class JSONLinesItems: ItemSource {
    private var chunks: ByteChunks
    private let name: String
    var source: String { name }
    /// Lines read so far, blank ones included.
    private var line: Int
    private let parser = JSONDocumentParser()

    init(_ chunks: ByteChunks, name: String, linesRead: Int = 0) {
        self.chunks = chunks
        self.name = name
        line = linesRead
    }

    /// An object's items: read a block at a time when it is larger than a block and there are
    /// cores to spare, otherwise one line at a time.
    static func open(_ reader: any ObjectReader, name: String, tuning: BlockItems.Tuning = .standard) throws(ExecutionFailure) -> any ItemSource {
        var chunks = ByteChunks(reader)
        guard try tuning.usesBlocks(&chunks, name: name) else { return JSONLinesItems(chunks, name: name) }
        return BlockItems(chunks, format: JSONLinesFormat(), recordsRead: 0, name: name, tuning: tuning)
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        // Bytes after `chunks.start` already known to hold no newline.
        var scanned = 0
        while true {
            let from = chunks.start + scanned
            let newline = chunks.bytes.withUnsafeBufferPointer { $0.index(of: 10, from: from) }
            let end: Int
            if let newline {
                end = newline
            } else {
                scanned = chunks.bytes.count - chunks.start
                if try chunks.more(name: name) { continue }
                // The last line may have no newline.
                guard chunks.start < chunks.bytes.count else { return nil }
                end = chunks.bytes.count
            }
            let begin = chunks.start
            chunks.start = min(end + 1, chunks.bytes.count)
            scanned = 0
            line += 1
            let number = line
            let item = try chunks.bytes.withUnsafeBufferPointer { bytes throws(ExecutionFailure) -> JSONValue? in
                guard let content = JSONLinesFormat.content(of: bytes, begin..<end) else { return nil }
                do throws(JSONParseError) { return try parser.parse(UnsafeBufferPointer(rebasing: bytes[content])) } catch {
                    throw JSONLinesFormat.failure(line: number, of: name, error)
                }
            }
            if let item { return item }
        }
    }
}

/// JSONL cut into blocks at line breaks (a JSON text holds no raw line break).
struct JSONLinesFormat: BlockFormat {
    func lastBoundary(in bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        var index = bytes.count
        while index > 0 {
            index -= 1
            if bytes[index] == 10 { return index + 1 }
        }
        return nil
    }

    func makeBlockParser() -> any BlockParser { Parser() }

    func sequential(_ chunks: ByteChunks, recordsRead: Int, name: String) -> any ItemSource {
        JSONLinesItems(chunks, name: name, linesRead: recordsRead)
    }

    /// A line without its CR (of a CRLF); nil when it is blank (spaces and tabs only).
    static func content(of bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Range<Int>? {
        var last = line.upperBound
        if last > line.lowerBound, bytes[last - 1] == 13 { last -= 1 }
        var first = line.lowerBound
        while first < last, bytes[first] == 32 || bytes[first] == 9 { first += 1 }
        return first < last ? line.lowerBound..<last : nil
    }

    static func failure(line: Int, of name: String, _ error: JSONParseError) -> ExecutionFailure {
        ExecutionFailure(.itemReaderFailed, cause: "Line \(line) of \(name) is not valid JSON: \(error.message)")
    }

    /// `@unchecked Sendable`: one thread's own (see `BlockParser`).
    final class Parser: BlockParser, @unchecked Sendable {
        private let parser = JSONDocumentParser()
        /// Items in the last block parsed: the next one's are about as many.
        private var lastItemCount = 0

        func parse(_ block: UnsafeBufferPointer<UInt8>, name: String) -> ParsedBlock {
            var parsed = ParsedBlock(expectedItems: lastItemCount + lastItemCount / 8)
            defer { lastItemCount = parsed.items.count }
            var position = 0
            while position < block.count {
                let end = block.index(of: 10, from: position) ?? block.count
                parsed.records += 1
                if let content = JSONLinesFormat.content(of: block, position..<end) {
                    do throws(JSONParseError) { parsed.items.append(try parser.parse(UnsafeBufferPointer(rebasing: block[content]))) } catch {
                        parsed.problem = (parsed.records, { JSONLinesFormat.failure(line: $0, of: name, error) })
                        break
                    }
                }
                position = end + 1
            }
            return parsed
        }
    }
}
