import ASLErrors
import CBrotli
import CLZ4
import CZlib
import CZstd
import Foundation
import Interpreter
import JSONCore
import ObjectStore

/// `InputType: PARQUET`: each row of a Parquet file is an item, an object of its columns in
/// schema order (null where an optional column has no value; structs, lists and maps nested).
/// The footer is read first (a ranged read of the object's end), then one row group at a time,
/// each column a page at a time: memory holds one row group's compressed column chunks.
///
/// `PLAIN`, dictionary, delta and byte-stream-split encodings; pages of both versions;
/// `UNCOMPRESSED`, `SNAPPY`, `GZIP`, `BROTLI`, `ZSTD` and `LZ4_RAW`. `LZO` and Hadoop-framed
/// `LZ4` end the read with `States.ItemReaderFailed` naming them.
final class ParquetItems: ItemSource {
    private let store: any ObjectStore
    private let bucket: String
    private let key: String
    private let file: ParquetFile
    private var nextGroup = 0
    private var cursors: [ParquetColumnCursor] = []
    private var rowsLeft: Int64 = 0
    private let flat: Bool
    var source: String { "s3://\(bucket)/\(key)" }

    init(store: any ObjectStore, bucket: String, key: String) throws(ExecutionFailure) {
        self.store = store
        self.bucket = bucket
        self.key = key
        let name = "s3://\(bucket)/\(key)"
        let size: Int64
        do { size = try store.head(bucket: bucket, key: key).size } catch {
            throw ExecutionFailure(.itemReaderFailed, cause: "Cannot read \(name): \(error.description)")
        }
        func fail(_ problem: String) -> ExecutionFailure {
            ExecutionFailure(.itemReaderFailed, cause: "\(name) is not a Parquet file Statesman can read: \(problem)")
        }
        guard size >= 12 else { throw fail("it is only \(size) bytes") }
        let tail = try Self.read(store, bucket, key, size - 8..<size)
        guard tail.count == 8, Array(tail[4...]) == Array("PAR1".utf8) else { throw fail("it does not end with the Parquet magic number") }
        let footerLength = Int64(parquetLength(tail[...]))
        guard footerLength > 0, footerLength <= size - 12 else { throw fail("its footer length (\(footerLength)) does not fit the file") }
        let footer = try Self.read(store, bucket, key, size - 8 - footerLength..<size - 8)
        do { file = try ParquetFile(footer: footer) } catch { throw fail(error.message) }
        flat = file.isFlat
        for group in file.rowGroups {
            guard group.rowCount >= 0 else { throw fail("a row group has a negative row count") }
            for chunk in group.chunks {
                let (end, overflow) = chunk.offset.addingReportingOverflow(chunk.length)
                guard chunk.offset >= 4, chunk.length >= 0, !overflow, end <= size - 8 - footerLength else {
                    throw fail("a column chunk lies outside the file")
                }
            }
        }
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        while rowsLeft == 0 {
            guard nextGroup < file.rowGroups.count else { return nil }
            try openGroup(file.rowGroups[nextGroup])
            nextGroup += 1
        }
        rowsLeft -= 1
        var index = 0
        do throws(ParquetPageError) {
            if flat {
                var row = JSONObject()
                while index < file.columns.count {
                    row[file.columns[index].name] = try cursors[index].next().value ?? .null
                    index += 1
                }
                return .object(row)
            }
            // Nested columns: each column's entries of this row (a first one, then those that
            // repeat inside the row) are put in place in one tree, which then becomes JSON.
            let row = AssembledNode.group(slots: file.topFields.count)
            while index < file.columns.count {
                // Which element of each list this column is at: the columns of one repeated
                // group fill the same elements, one column after the other.
                var positions: [ObjectIdentifier: Int] = [:]
                repeat {
                    try place(try cursors[index].next(), of: file.columns[index], in: row, positions: &positions)
                } while try cursors[index].nextRepetition().map { $0 > 0 } ?? false
                index += 1
            }
            guard case .group(let slots) = row.content else { return .null }
            return groupJSON(slots, children: file.topFields, shape: .structure)
        } catch {
            throw ExecutionFailure(.itemReaderFailed, cause: "\(source), column \(file.columns[index].name): \(error.message)")
        }
    }

    /// Puts one entry of a column in its row: down the column's path, each field that the
    /// entry's definition level reaches gets its group (or a new element, where the entry's
    /// repetition level starts one), and the value lands at the end; where the definition
    /// stops, the field is null (an empty list for a repeated one).
    private func place(
        _ entry: (repetition: Int, definition: Int, value: JSONValue?), of column: ParquetFile.Column, in row: AssembledNode,
        positions: inout [ObjectIdentifier: Int]
    ) throws(ParquetPageError) {
        var node = row
        for (depth, fieldIndex) in column.path.enumerated() {
            let field = file.fields[fieldIndex]
            let isColumn = depth == column.path.count - 1
            let defined = entry.definition >= field.definitionLevel
            guard case .group(let slots) = node.content, field.slot < slots.count else {
                throw ParquetPageError(message: "the levels do not match the schema")
            }
            if field.repetition == 2 {
                let list = slots[field.slot] ?? AssembledNode(.list([]))
                if slots[field.slot] == nil { node.setSlot(field.slot, list) }
                guard defined else { return }
                guard case .list(let elements) = list.content else { throw ParquetPageError(message: "the levels do not match the schema") }
                let id = ObjectIdentifier(list)
                var position = positions[id] ?? -1
                if entry.repetition <= field.repetitionLevel || position < 0 {
                    // A new element: the one an earlier column of the same group started, or a
                    // new one.
                    position += 1
                    positions[id] = position
                    if position == elements.count {
                        list.append(isColumn ? AssembledNode(.value(entry.value ?? .null)) : AssembledNode.group(slots: field.children.count))
                    }
                }
                guard !isColumn else { return }
                guard case .list(let current) = list.content, position < current.count else {
                    throw ParquetPageError(message: "the levels do not match the schema")
                }
                node = current[position]
            } else {
                guard defined else {
                    if slots[field.slot] == nil { node.setSlot(field.slot, AssembledNode(.value(.null))) }
                    return
                }
                if isColumn {
                    node.setSlot(field.slot, AssembledNode(.value(entry.value ?? .null)))
                    return
                }
                if let existing = slots[field.slot] {
                    node = existing
                } else {
                    let group = AssembledNode.group(slots: field.children.count)
                    node.setSlot(field.slot, group)
                    node = group
                }
            }
        }
    }

    /// A group's fields (`children`) as JSON: a LIST group as the array of its elements, a MAP
    /// group as an object of its keys (as text), any other group as an object of its fields.
    private func groupJSON(_ slots: [AssembledNode?], children: [Int], shape: ParquetFile.Shape) -> JSONValue {
        switch shape {
        case .structure:
            var object = JSONObject()
            for (slot, index) in children.enumerated() {
                object[file.fields[index].name] = slot < slots.count ? slotJSON(slots[slot], field: file.fields[index]) : .null
            }
            return .object(object)
        case .list:
            // One repeated child; in the standard form its elements are groups of one field
            // (the element), in older files the elements themselves.
            guard children.count == 1, let first = slots.first else { return .null }
            let repeated = file.fields[children[0]]
            guard let list = first, case .list(let elements) = list.content else { return .array([]) }
            return .array(
                elements.map { element in
                    if repeated.children.count == 1, case .group(let inner) = element.content {
                        return slotJSON(inner.first ?? nil, field: file.fields[repeated.children[0]])
                    }
                    return elementJSON(element, field: repeated)
                })
        case .map:
            // One repeated key_value group of a key and a value.
            guard children.count == 1, let first = slots.first else { return .null }
            let pair = file.fields[children[0]].children
            var object = JSONObject()
            guard pair.count == 2, let list = first, case .list(let entries) = list.content else { return .object(object) }
            for entry in entries {
                guard case .group(let parts) = entry.content, parts.count == 2 else { continue }
                let key = slotJSON(parts[0], field: file.fields[pair[0]])
                object[key.stringValue ?? key.compactString] = slotJSON(parts[1], field: file.fields[pair[1]])
            }
            return .object(object)
        }
    }

    /// What fills the slot of `field` as JSON (null when nothing does).
    private func slotJSON(_ node: AssembledNode?, field: ParquetFile.Field) -> JSONValue {
        guard let node else { return .null }
        switch node.content {
        case .value(let value): return value
        case .group(let slots): return groupJSON(slots, children: field.children, shape: field.shape)
        case .list(let elements): return .array(elements.map { elementJSON($0, field: field) })
        }
    }

    /// One element of the repeated `field`.
    private func elementJSON(_ node: AssembledNode, field: ParquetFile.Field) -> JSONValue {
        switch node.content {
        case .value(let value): value
        case .group(let slots): groupJSON(slots, children: field.children, shape: .structure)
        case .list: .null
        }
    }

    private func openGroup(_ group: ParquetFile.RowGroup) throws(ExecutionFailure) {
        cursors = []
        for (index, chunk) in group.chunks.enumerated() {
            let bytes = try Self.read(store, bucket, key, chunk.offset..<chunk.offset + chunk.length)
            cursors.append(ParquetColumnCursor(column: file.columns[index], codec: chunk.codec, bytes: bytes, rowLimit: Int(group.rowCount)))
        }
        rowsLeft = group.rowCount
    }

    private static func read(_ store: any ObjectStore, _ bucket: String, _ key: String, _ range: Range<Int64>) throws(ExecutionFailure) -> [UInt8] {
        do { return try store.get(bucket: bucket, key: key, range: range) } catch {
            throw ExecutionFailure(.itemReaderFailed, cause: "Cannot read s3://\(bucket)/\(key): \(error.description)")
        }
    }
}

/// A row being assembled from nested columns: groups (a slot per field), lists, values.
final class AssembledNode {
    enum Content {
        case group([AssembledNode?])
        case list([AssembledNode])
        case value(JSONValue)
    }

    private(set) var content: Content

    init(_ content: Content) { self.content = content }

    static func group(slots: Int) -> AssembledNode { AssembledNode(.group(Array(repeating: nil, count: slots))) }

    func setSlot(_ slot: Int, _ node: AssembledNode) {
        guard case .group(var slots) = content else { return }
        content = .value(.null)  // let go of the array, so the change below does not copy it
        slots[slot] = node
        content = .group(slots)
    }

    func append(_ node: AssembledNode) {
        guard case .list(var elements) = content else { return }
        content = .value(.null)
        elements.append(node)
        content = .list(elements)
    }
}

/// The 4-byte little-endian length at the start of `bytes` (which has at least four).
func parquetLength(_ bytes: ArraySlice<UInt8>) -> Int {
    let start = bytes.startIndex
    return Int(bytes[start]) | Int(bytes[start + 1]) << 8 | Int(bytes[start + 2]) << 16 | Int(bytes[start + 3]) << 24
}

/// Why a column's pages could not be read.
struct ParquetPageError: Error {
    var message: String
}

/// One column chunk's entries in order, a page at a time: for each, its repetition and
/// definition levels, and its value when it is defined.
struct ParquetColumnCursor {
    let column: ParquetFile.Column
    let codec: Int32
    let bytes: [UInt8]
    /// The row group's row count: no page of a flat column holds more values.
    let rowLimit: Int
    private var position = 0
    private var dictionary: [JSONValue]?
    /// The current page: levels (empty when the column has none) and its defined values.
    private var repetitions: [UInt32] = []
    private var definitions: [UInt32] = []
    private var values: [JSONValue] = []
    private var entryCount = 0
    private var entry = 0
    private var valueIndex = 0

    init(column: ParquetFile.Column, codec: Int32, bytes: [UInt8], rowLimit: Int) {
        self.column = column
        self.codec = codec
        self.bytes = bytes
        self.rowLimit = rowLimit
    }

    /// The next entry: its levels, and its value (nil when not defined down to the column).
    mutating func next() throws(ParquetPageError) -> (repetition: Int, definition: Int, value: JSONValue?) {
        while entry == entryCount {
            guard position < bytes.count else { throw ParquetPageError(message: "the column has fewer values than the row group has rows") }
            try readPage()
        }
        defer { entry += 1 }
        let repetition = repetitions.isEmpty ? 0 : Int(repetitions[entry])
        let definition = definitions.isEmpty ? column.maxDefinition : Int(definitions[entry])
        guard definition == column.maxDefinition else { return (repetition, definition, nil) }
        guard valueIndex < values.count else { throw ParquetPageError(message: "a page has fewer values than its levels say") }
        defer { valueIndex += 1 }
        return (repetition, definition, values[valueIndex])
    }

    /// The repetition level of the next entry; nil at the end of the chunk.
    mutating func nextRepetition() throws(ParquetPageError) -> Int? {
        while entry == entryCount {
            guard position < bytes.count else { return nil }
            try readPage()
        }
        return repetitions.isEmpty ? 0 : Int(repetitions[entry])
    }

    private static func bitWidth(_ maximum: Int) -> Int { Int.bitWidth - maximum.leadingZeroBitCount }

    private mutating func readPage() throws(ParquetPageError) {
        var reader = ThriftCompactReader(bytes, at: position)
        let header: ParquetPageHeader
        do { header = try ParquetPageHeader(&reader) } catch { throw ParquetPageError(message: "a page header is damaged: \(error.message)") }
        let start = reader.position
        guard header.compressedSize <= bytes.count - start else { throw ParquetPageError(message: "a page runs past its column chunk") }
        guard header.uncompressedSize <= Self.maximumPageBytes else {
            throw ParquetPageError(message: "a page of \(header.uncompressedSize) bytes is larger than the \(Self.maximumPageBytes >> 20) MiB this reader unpacks")
        }
        // A page cannot hold more entries than it has bits, nor, for a flat column, more than
        // its row group has rows.
        let limit = header.kind == .dictionary || column.maxRepetition > 0 ? max(header.uncompressedSize, header.compressedSize) * 8 + 8 : rowLimit
        guard header.valueCount <= limit else { throw ParquetPageError(message: "a page claims \(header.valueCount) values") }
        position = start + header.compressedSize
        let body = bytes[start..<position]
        switch header.kind {
        case .dictionary:
            let plain = try decompress(body, to: header.uncompressedSize)
            var values = ParquetValues(plain[...], column: column)
            dictionary = try values.plain(count: header.valueCount)
        case .data:
            let data = try decompress(body, to: header.uncompressedSize)
            var cursor = data.startIndex
            func levels(_ maximum: Int) throws(ParquetPageError) -> [UInt32] {
                guard maximum > 0 else { return [] }
                guard data.endIndex - cursor >= 4 else { throw ParquetPageError(message: "a page ends before its levels") }
                let length = parquetLength(data[cursor...])
                guard length >= 0, length <= data.endIndex - cursor - 4 else { throw ParquetPageError(message: "a page's levels run past it") }
                defer { cursor += 4 + length }
                return try ParquetHybrid.decode(data[(cursor + 4)..<(cursor + 4 + length)], bitWidth: Self.bitWidth(maximum), count: header.valueCount)
            }
            let repetitions = try levels(column.maxRepetition)
            let definitions = try levels(column.maxDefinition)
            try fill(header, repetitions: repetitions, definitions: definitions, values: data[cursor...])
        case .dataV2:
            let levels = header.repetitionLevelsLength + header.definitionLevelsLength
            guard levels <= body.count else { throw ParquetPageError(message: "a page's levels run past it") }
            let definitionsStart = body.startIndex + header.repetitionLevelsLength
            let repetitions =
                column.maxRepetition > 0
                ? try ParquetHybrid.decode(
                    body[body.startIndex..<definitionsStart], bitWidth: Self.bitWidth(column.maxRepetition), count: header.valueCount) : []
            let definitions =
                column.maxDefinition > 0
                ? try ParquetHybrid.decode(
                    body[definitionsStart..<definitionsStart + header.definitionLevelsLength], bitWidth: Self.bitWidth(column.maxDefinition),
                    count: header.valueCount) : []
            let rest = body[(body.startIndex + levels)...]
            let values = header.valuesCompressed ? try decompress(rest, to: header.uncompressedSize - levels)[...] : rest
            try fill(header, repetitions: repetitions, definitions: definitions, values: values)
        case .other:
            break
        }
    }

    /// Takes a data page's levels and decodes its defined values.
    private mutating func fill(
        _ header: ParquetPageHeader, repetitions: [UInt32], definitions: [UInt32], values bytes: ArraySlice<UInt8>
    ) throws(ParquetPageError) {
        let maximum = UInt32(column.maxDefinition)
        let count = definitions.isEmpty ? header.valueCount : definitions.reduce(0) { $0 + ($1 == maximum ? 1 : 0) }
        switch header.encoding {
        case 0:
            var plain = ParquetValues(bytes, column: column)
            values = try plain.plain(count: count)
        case 3 where column.type == .boolean:
            // Booleans run-length encoded (version 2 pages): a 4-byte length, then the runs.
            guard bytes.count >= 4 else { throw ParquetPageError(message: "a page ends before its values") }
            let length = parquetLength(bytes)
            guard length >= 0, length <= bytes.count - 4 else { throw ParquetPageError(message: "a page's values run past it") }
            let start = bytes.startIndex + 4
            values = try ParquetHybrid.decode(bytes[start..<(start + length)], bitWidth: 1, count: count).map { .bool($0 == 1) }
        case 2, 8:
            guard let dictionary else { throw ParquetPageError(message: "a dictionary-encoded page comes without a dictionary") }
            guard let width = bytes.first, width <= 32 else { throw ParquetPageError(message: "a dictionary page has no valid index width") }
            var decoded: [JSONValue] = []
            decoded.reserveCapacity(count)
            for index in try ParquetHybrid.decode(bytes.dropFirst(), bitWidth: Int(width), count: count) {
                guard Int(index) < dictionary.count else { throw ParquetPageError(message: "a dictionary index is out of range") }
                decoded.append(dictionary[Int(index)])
            }
            values = decoded
        case 5, 6, 7, 9:
            values = try ParquetDelta.values(bytes, encoding: header.encoding, count: count, column: column)
        default:
            let names = [3: "RLE", 4: "BIT_PACKED"]
            throw ParquetPageError(message: "the encoding \(names[Int(header.encoding)] ?? String(header.encoding)) is not supported for a \(column.type) column")
        }
        self.repetitions = repetitions
        self.definitions = definitions
        entryCount = header.valueCount
        entry = 0
        valueIndex = 0
    }

    /// The largest page this reader unpacks (writers make pages of about a megabyte): a
    /// damaged or hostile header cannot make it allocate more.
    static let maximumPageBytes = 256 << 20

    private func decompress(_ body: ArraySlice<UInt8>, to size: Int) throws(ParquetPageError) -> [UInt8] {
        guard size >= 0 else { throw ParquetPageError(message: "a page has a negative size") }
        switch codec {
        case 0:
            return Array(body)
        case 1:
            do { return try Snappy.decompress(body, limit: Self.maximumPageBytes) } catch { throw ParquetPageError(message: "Snappy data is damaged: \(error.message)") }
        case 2:
            return try Self.gunzip(body, size: size)
        case 4:
            return try Self.unbrotli(body, size: size)
        case 6:
            return try Self.unzstd(body, size: size)
        case 7:
            return try Self.unlz4(body, size: size)
        default:
            let names = [3: "LZO", 5: "LZ4 (Hadoop-framed; LZ4_RAW is read)"]
            throw ParquetPageError(
                message: "the compression \(names[Int(codec)] ?? String(codec)) is not supported (UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD and LZ4_RAW are)")
        }
    }

    private static func unlz4(_ body: ArraySlice<UInt8>, size: Int) throws(ParquetPageError) -> [UInt8] {
        guard size <= Int(Int32.max), body.count <= Int(Int32.max) else { throw ParquetPageError(message: "an LZ4 page is too large") }
        var output = [UInt8](repeating: 0, count: max(size, 1))
        let produced = body.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                LZ4_decompress_safe(
                    source.baseAddress?.assumingMemoryBound(to: CChar.self), target.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(source.count),
                    Int32(size))
            }
        }
        guard produced == size else { throw ParquetPageError(message: "LZ4 data is damaged") }
        return Array(output.prefix(size))
    }

    private static func unbrotli(_ body: ArraySlice<UInt8>, size: Int) throws(ParquetPageError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: max(size, 1))
        var produced = size
        let status = body.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                BrotliDecoderDecompress(
                    source.count, source.baseAddress?.assumingMemoryBound(to: UInt8.self), &produced, target.baseAddress?.assumingMemoryBound(to: UInt8.self))
            }
        }
        guard status == BROTLI_DECODER_RESULT_SUCCESS, produced == size else { throw ParquetPageError(message: "BROTLI data is damaged") }
        return Array(output.prefix(size))
    }

    private static func unzstd(_ body: ArraySlice<UInt8>, size: Int) throws(ParquetPageError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: max(size, 1))
        let produced = body.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { target in
                ZSTD_decompress(target.baseAddress, size, source.baseAddress, source.count)
            }
        }
        guard ZSTD_isError(produced) == 0, produced == size else { throw ParquetPageError(message: "ZSTD data is damaged") }
        return Array(output.prefix(size))
    }

    private static func gunzip(_ body: ArraySlice<UInt8>, size: Int) throws(ParquetPageError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ParquetPageError(message: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: max(size, 1))
        var input = Array(body)
        let status = input.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                stream.next_in = source.baseAddress
                stream.avail_in = UInt32(source.count)
                stream.next_out = target.baseAddress
                stream.avail_out = UInt32(target.count)
                return inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else { throw ParquetPageError(message: "GZIP data is damaged") }
        return Array(output.prefix(size))
    }
}

/// The RLE / bit-packed hybrid encoding of levels and dictionary indexes.
enum ParquetHybrid {
    static func decode(_ bytes: ArraySlice<UInt8>, bitWidth: Int, count: Int) throws(ParquetPageError) -> [UInt32] {
        var values: [UInt32] = []
        values.reserveCapacity(count)
        var position = bytes.startIndex
        let byteWidth = (bitWidth + 7) / 8
        while values.count < count {
            var header = 0
            var shift = 0
            while true {
                guard position < bytes.endIndex else { throw ParquetPageError(message: "encoded levels or indexes end early") }
                let b = Int(bytes[position])
                position += 1
                header |= (b & 0x7F) << shift
                if b & 0x80 == 0 { break }
                shift += 7
                guard shift < 35 else { throw ParquetPageError(message: "a run header is too long") }
            }
            if header & 1 == 0 {
                // A run of one repeated value.
                let run = header >> 1
                guard byteWidth <= bytes.endIndex - position else { throw ParquetPageError(message: "a run ends early") }
                var value: UInt32 = 0
                for index in 0..<byteWidth { value |= UInt32(bytes[position + index]) << (8 * UInt32(index)) }
                position += byteWidth
                values.append(contentsOf: repeatElement(value, count: min(run, count - values.count)))
            } else {
                // Groups of eight values, bitWidth bits each, least significant bit first.
                let total = (header >> 1) * 8
                guard (header >> 1) * bitWidth <= bytes.endIndex - position else { throw ParquetPageError(message: "bit-packed values end early") }
                var bit = 0
                for _ in 0..<total {
                    var value: UInt32 = 0
                    for offset in 0..<bitWidth {
                        let at = bit + offset
                        if bytes[position + at >> 3] >> UInt8(at & 7) & 1 == 1 { value |= 1 << UInt32(offset) }
                    }
                    bit += bitWidth
                    if values.count < count { values.append(value) }
                }
                position += (header >> 1) * bitWidth
            }
        }
        return values
    }
}

/// `PLAIN`-encoded values of one column, turned into JSON.
struct ParquetValues {
    private let bytes: ArraySlice<UInt8>
    private var position: Int
    private let column: ParquetFile.Column
    /// Booleans are bits: how many were read.
    private var booleansRead = 0

    init(_ bytes: ArraySlice<UInt8>, column: ParquetFile.Column) {
        self.bytes = bytes
        position = bytes.startIndex
        self.column = column
    }

    mutating func plain(count: Int) throws(ParquetPageError) -> [JSONValue] {
        var values: [JSONValue] = []
        values.reserveCapacity(count)
        for _ in 0..<count { values.append(try value()) }
        return values
    }

    private mutating func take(_ count: Int) throws(ParquetPageError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.endIndex - position else { throw ParquetPageError(message: "a page ends before its values") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    private mutating func littleEndian(_ count: Int) throws(ParquetPageError) -> UInt64 {
        var value: UInt64 = 0
        for (index, b) in try take(count).enumerated() { value |= UInt64(b) << (8 * UInt64(index)) }
        return value
    }

    private mutating func value() throws(ParquetPageError) -> JSONValue {
        switch column.type {
        case .boolean:
            // One bit each, least significant first.
            guard booleansRead >> 3 < bytes.endIndex - position else { throw ParquetPageError(message: "a page ends before its values") }
            defer { booleansRead += 1 }
            return .bool(bytes[position + booleansRead >> 3] >> UInt8(booleansRead & 7) & 1 == 1)
        case .int32:
            let raw = UInt32(truncatingIfNeeded: try littleEndian(4))
            return integer(column.meaning == .unsigned ? Int64(raw) : Int64(Int32(bitPattern: raw)))
        case .int64:
            let raw = try littleEndian(8)
            if column.meaning == .unsigned, raw > UInt64(Int64.max) { return .double(Double(raw)) }
            return integer(Int64(bitPattern: raw))
        case .int96:
            // Nanoseconds of the day, then the Julian day: the legacy timestamp.
            let nanoseconds = Int64(bitPattern: try littleEndian(8))
            let julianDay = Int64(UInt32(truncatingIfNeeded: try littleEndian(4)))
            return .int((julianDay - 2_440_588) * 86_400_000 + nanoseconds / 1_000_000)
        case .float:
            return number(Double(Float(bitPattern: UInt32(truncatingIfNeeded: try littleEndian(4)))))
        case .double:
            return number(Double(bitPattern: try littleEndian(8)))
        case .byteArray:
            let length = Int(UInt32(truncatingIfNeeded: try littleEndian(4)))
            return bytesValue(try take(length))
        case .fixedLengthByteArray:
            return bytesValue(try take(column.typeLength))
        }
    }

    func integer(_ value: Int64) -> JSONValue {
        switch column.meaning {
        case .timestamp(let unitsPerMillisecond):
            // Rounded down, as epoch milliseconds before 1970 are.
            .int(value / unitsPerMillisecond - (value % unitsPerMillisecond < 0 ? 1 : 0))
        case .decimal(let scale): number(Double(value) / pow(10, Double(scale)))
        default: .int(value)
        }
    }

    /// JSON has no NaN or infinity: such a value is null.
    func number(_ value: Double) -> JSONValue {
        value.isFinite ? .double(value) : .null
    }

    func bytesValue(_ bytes: ArraySlice<UInt8>) -> JSONValue {
        switch column.meaning {
        case .decimal(let scale):
            // A big-endian two's-complement unscaled value.
            var unscaled = 0.0
            for b in bytes { unscaled = unscaled * 256 + Double(b) }
            if let first = bytes.first, first & 0x80 != 0 { unscaled -= pow(256, Double(bytes.count)) }
            return number(unscaled / pow(10, Double(scale)))
        case .uuid where bytes.count == 16:
            let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
            let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
            return .string(parts.joined(separator: "-"))
        default:
            // Text (and bytes without a declared meaning that happen to be UTF-8) as a string;
            // other bytes in Base64.
            if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
            return .string(Data(bytes).base64EncodedString())
        }
    }
}
