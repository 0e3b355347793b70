import ASLErrors
import Foundation
import Interpreter
import JSONCore
import ObjectStore

/// An object's bytes as a window that grows a chunk at a time; what was consumed is dropped
/// when the next chunk comes, so memory stays at about one chunk plus one item.
struct ByteChunks {
    private let reader: any ObjectReader
    private(set) var bytes: [UInt8] = []
    /// Where unconsumed bytes start.
    var start = 0
    private(set) var ended = false
    /// Bytes dropped so far (to report offsets in the object).
    private(set) var dropped = 0

    init(_ reader: any ObjectReader) { self.reader = reader }

    /// Reads until at least `count` unconsumed bytes are held or the object ends.
    mutating func readAhead(_ count: Int, name: String) throws(ExecutionFailure) {
        while bytes.count - start < count, try more(name: name) {}
    }

    /// Reads the next chunk; false at the end of the object.
    mutating func more(name: String) throws(ExecutionFailure) -> Bool {
        guard !ended else { return false }
        if start > 0 {
            bytes.removeSubrange(0..<start)
            dropped += start
            start = 0
        }
        let chunk: [UInt8]?
        do { chunk = try reader.next() } catch {
            throw ExecutionFailure(.itemReaderFailed, cause: "Cannot read \(name): \(error.description)")
        }
        guard let chunk else {
            ended = true
            return false
        }
        bytes.append(contentsOf: chunk)
        return true
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// Where `byte` first occurs at or after `start` (found by `memchr`).
    func index(of byte: UInt8, from start: Int) -> Int? {
        guard start < count, let base = baseAddress, let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }
}

func parseItem(
    _ bytes: [UInt8], _ range: Range<Int>, with parser: JSONDocumentParser, describing place: @autoclosure () -> String
) throws(ExecutionFailure) -> JSONValue {
    do {
        return try bytes.withUnsafeBufferPointer { buffer throws(JSONParseError) in
            try parser.parse(UnsafeBufferPointer(rebasing: buffer[range]))
        }
    } catch {
        throw ExecutionFailure(.itemReaderFailed, cause: "\(place()) is not valid JSON: \(error.message)")
    }
}

/// `InputType: JSON`: a top-level array, streamed element by element (each element is found
/// by scanning brackets and strings, then parsed on its own).
final class JSONArrayItems: ItemSource {
    private var chunks: ByteChunks
    private let name: String
    var source: String { name }
    private enum Phase { case beforeArray, beforeElement, afterElement, finished }
    private var phase = Phase.beforeArray
    private var count = 0
    private let parser = JSONDocumentParser()

    init(_ chunks: ByteChunks, name: String) {
        self.chunks = chunks
        self.name = name
    }

    private func failure(_ detail: String) -> ExecutionFailure {
        ExecutionFailure(.itemReaderFailed, cause: "\(name) \(detail)")
    }

    /// The next byte that is not white space, reading more as needed (nil at the end).
    private func skipSpace() throws(ExecutionFailure) -> UInt8? {
        while true {
            while chunks.start < chunks.bytes.count {
                let byte = chunks.bytes[chunks.start]
                if byte == 32 || byte == 9 || byte == 10 || byte == 13 { chunks.start += 1 } else { return byte }
            }
            guard try chunks.more(name: name) else { return nil }
        }
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        while true {
            switch phase {
            case .finished:
                return nil
            case .beforeArray:
                let first = try skipSpace()
                if first == nil { throw failure("is empty; it must hold a JSON array of items") }
                guard first == UInt8(ascii: "[") else { throw failure("does not hold a JSON array (use ReaderConfig ItemsPointer to select one inside an object)") }
                chunks.start += 1
                if try skipSpace() == UInt8(ascii: "]") {
                    chunks.start += 1
                    try expectEnd()
                    return nil
                }
                phase = .beforeElement
            case .afterElement:
                switch try skipSpace() {
                case UInt8(ascii: ","):
                    chunks.start += 1
                    phase = .beforeElement
                case UInt8(ascii: "]"):
                    chunks.start += 1
                    try expectEnd()
                    return nil
                case nil: throw failure("ends inside its array (after \(count) items)")
                default: throw failure("has an unexpected character after item \(count - 1) (expected , or ])")
                }
            case .beforeElement:
                guard try skipSpace() != nil else { throw failure("ends inside its array (after \(count) items)") }
                let end = try elementEnd()
                let range = chunks.start..<end
                chunks.start = end
                phase = .afterElement
                count += 1
                let index = count - 1
                return try parseItem(chunks.bytes, range, with: parser, describing: "Item \(index) of \(name)")
            }
        }
    }

    /// Where the element starting at `chunks.start` ends: the first `,` or `]` outside strings
    /// and brackets.
    private func elementEnd() throws(ExecutionFailure) -> Int {
        var depth = 0
        var inString = false
        var escaped = false
        var position = chunks.start
        while true {
            let bytes = chunks.bytes
            while position < bytes.count {
                let byte = bytes[position]
                if inString {
                    if escaped { escaped = false } else if byte == 92 { escaped = true } else if byte == 34 { inString = false }
                } else {
                    switch byte {
                    case 34: inString = true
                    case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                    case UInt8(ascii: "]"), UInt8(ascii: "}"):
                        if depth == 0 { return position }
                        depth -= 1
                    case UInt8(ascii: ","):
                        if depth == 0 { return position }
                    default: break
                    }
                }
                position += 1
            }
            let offset = position - chunks.start
            guard try chunks.more(name: name) else { throw failure("ends inside item \(count)") }
            position = chunks.start + offset
        }
    }

    private func expectEnd() throws(ExecutionFailure) {
        phase = .finished
        if try skipSpace() != nil { throw failure("has more content after its array") }
    }
}

/// `InputType: JSON` with `ItemsPointer`: the whole document is read, and the array the
/// pointer names gives the items.
enum PointedItems {
    static func open(_ reader: any ObjectReader, pointer: String, name: String) throws(ExecutionFailure) -> any ItemSource {
        var chunks = ByteChunks(reader)
        while try chunks.more(name: name) {}
        var value = try parseItem(chunks.bytes, 0..<chunks.bytes.count, with: JSONDocumentParser(), describing: name)
        guard pointer.isEmpty || pointer.hasPrefix("/") else {
            throw ExecutionFailure(.itemReaderFailed, cause: "The ItemsPointer \"\(pointer)\" is not a JSON Pointer (it must start with /)")
        }
        for token in pointer.split(separator: "/", omittingEmptySubsequences: false).dropFirst() {
            let key = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if case .array(let elements) = value, let index = Int(key), elements.indices.contains(index) {
                value = elements[index]
            } else if let member = value[key] {
                value = member
            } else {
                throw ExecutionFailure(.itemReaderFailed, cause: "The ItemsPointer \"\(pointer)\" names nothing in \(name)")
            }
        }
        guard case .array(let elements) = value else {
            throw ExecutionFailure(.itemReaderFailed, cause: "The ItemsPointer \"\(pointer)\" does not name an array in \(name)")
        }
        return ArrayItemSource(elements, source: name)
    }
}
