/// What a Parquet file's footer says: its columns and their types, and where each row group's
/// column chunks are (Apache Parquet's `FileMetaData`, decoded from Thrift's compact protocol;
/// field numbers from parquet.thrift).
struct ParquetFile {
    enum PhysicalType: Int32 {
        case boolean = 0, int32 = 1, int64 = 2, int96 = 3, float = 4, double = 5, byteArray = 6, fixedLengthByteArray = 7
    }

    /// How a column's values read as JSON, from its logical (or legacy converted) type.
    enum Meaning: Equatable {
        case plain
        case text
        case date
        case timestamp(unitsPerMillisecond: Int64)
        case decimal(scale: Int)
        case unsigned
        case uuid
    }

    struct Column {
        var name: String
        var type: PhysicalType
        var typeLength: Int
        var meaning: Meaning
        /// The fields from the top of the schema down to this column (indexes into `fields`).
        var path: [Int] = []
        var maxDefinition = 0
        var maxRepetition = 0
    }

    /// How a group reads as JSON.
    enum Shape { case structure, list, map }

    /// A node of the schema below its root: a group, or a column (`column` set).
    struct Field {
        var name: String
        /// 0 required, 1 optional, 2 repeated.
        var repetition: Int32
        var shape: Shape
        var children: [Int] = []
        var column: Int?
        /// The definition level at which this field has a value, and for a repeated field the
        /// repetition level that starts a new element of it.
        var definitionLevel = 0
        var repetitionLevel = 0
        /// Its place among its parent's children.
        var slot = 0
    }

    struct Chunk {
        var codec: Int32
        /// Where the chunk's pages start (its dictionary page, if any, comes first) and how many
        /// bytes they take.
        var offset: Int64
        var length: Int64
    }

    struct RowGroup {
        var rowCount: Int64
        var chunks: [Chunk]
    }

    var columns: [Column] = []
    var fields: [Field] = []
    var topFields: [Int] = []
    var rowGroups: [RowGroup] = []
    /// Every column a top-level, non-repeated one: rows need no assembly.
    var isFlat: Bool { columns.allSatisfy { $0.path.count == 1 && $0.maxRepetition == 0 } }

    typealias Malformed = ThriftCompactReader.Malformed

    /// Decodes a footer.
    init(footer: [UInt8]) throws(Malformed) {
        var reader = ThriftCompactReader(footer)
        var schema: [SchemaElement] = []
        var groups: [RowGroup] = []
        try reader.structure { reader, id, _ throws(Malformed) in
            switch id {
            case 2: schema = try reader.list { reader throws(Malformed) in try SchemaElement(&reader) }
            case 4: groups = try reader.list { reader throws(Malformed) in try Self.rowGroup(&reader) }
            default: return false
            }
            return true
        }
        guard let root = schema.first else { throw Malformed(message: "the file has no schema") }
        // The schema is the tree written depth first, each group followed by its children.
        var next = 1
        func readChildren(count: Int, definition: Int, repetition: Int, path: [Int]) throws(Malformed) -> [Int] {
            guard count >= 0 else { throw Malformed(message: "the schema tree is damaged") }
            var children: [Int] = []
            for slot in 0..<count {
                guard next < schema.count, path.count < 64 else { throw Malformed(message: "the schema tree is damaged") }
                let element = schema[next]
                next += 1
                let definitionLevel = definition + (element.repetition == 0 ? 0 : 1)
                let repetitionLevel = repetition + (element.repetition == 2 ? 1 : 0)
                let index = fields.count
                fields.append(
                    Field(
                        name: element.name, repetition: element.repetition, shape: element.shape, definitionLevel: definitionLevel,
                        repetitionLevel: repetitionLevel, slot: slot))
                children.append(index)
                if element.childCount > 0 {
                    let grandchildren = try readChildren(
                        count: element.childCount, definition: definitionLevel, repetition: repetitionLevel, path: path + [index])
                    fields[index].children = grandchildren
                } else {
                    guard let raw = element.type, let type = PhysicalType(rawValue: raw) else {
                        throw Malformed(message: "the column \(element.name) has no known physical type")
                    }
                    fields[index].column = columns.count
                    columns.append(
                        Column(
                            name: element.name, type: type, typeLength: Int(element.typeLength), meaning: element.meaning,
                            path: path + [index], maxDefinition: definitionLevel, maxRepetition: repetitionLevel))
                }
            }
            return children
        }
        topFields = try readChildren(count: root.childCount, definition: 0, repetition: 0, path: [])
        guard next == schema.count, !columns.isEmpty else { throw Malformed(message: "the schema tree is damaged") }
        for group in groups where group.chunks.count != columns.count {
            throw Malformed(message: "a row group has \(group.chunks.count) column chunks for \(columns.count) columns")
        }
        rowGroups = groups
    }

    private static func rowGroup(_ reader: inout ThriftCompactReader) throws(Malformed) -> RowGroup {
        var group = RowGroup(rowCount: 0, chunks: [])
        try reader.structure { reader, id, _ throws(Malformed) in
            switch id {
            case 1: group.chunks = try reader.list { reader throws(Malformed) in try Self.chunk(&reader) }
            case 3: group.rowCount = try reader.integer()
            default: return false
            }
            return true
        }
        return group
    }

    private static func chunk(_ reader: inout ThriftCompactReader) throws(Malformed) -> Chunk {
        var chunk = Chunk(codec: 0, offset: 0, length: 0)
        var external = false
        try reader.structure { reader, id, _ throws(Malformed) in
            switch id {
            case 1:
                _ = try reader.string()
                external = true
            case 3:
                var dataOffset: Int64 = 0
                var dictionaryOffset: Int64?
                try reader.structure { reader, id, _ throws(Malformed) in
                    switch id {
                    case 4: chunk.codec = try reader.i32()
                    case 7: chunk.length = try reader.integer()
                    case 9: dataOffset = try reader.integer()
                    case 11: dictionaryOffset = try reader.integer()
                    default: return false
                    }
                    return true
                }
                // Some writers record a dictionary offset of 0 for "none".
                chunk.offset = dictionaryOffset.flatMap { $0 > 0 && $0 < dataOffset ? $0 : nil } ?? dataOffset
            default: return false
            }
            return true
        }
        if external { throw Malformed(message: "column chunks in other files are not supported") }
        return chunk
    }
}

/// One entry of the flattened schema tree.
private struct SchemaElement {
    var type: Int32?
    var typeLength: Int32 = 0
    /// 0 required, 1 optional, 2 repeated.
    var repetition: Int32 = 0
    var name = ""
    var childCount = 0
    var converted: Int32?
    var scale = 0
    var logical: (id: Int16, unit: Int16?)?

    typealias Malformed = ThriftCompactReader.Malformed

    init(_ reader: inout ThriftCompactReader) throws(Malformed) {
        try reader.structure { reader, id, _ throws(Malformed) in
            switch id {
            case 1: type = try reader.i32()
            case 2: typeLength = try reader.i32()
            case 3: repetition = try reader.i32()
            case 4: name = try reader.string()
            case 5: childCount = Int(try reader.i32())
            case 6: converted = try reader.i32()
            case 7: scale = Int(try reader.i32())
            case 10: logical = try Self.logicalType(&reader)
            default: return false
            }
            return true
        }
    }

    /// The union's member, and for TIME and TIMESTAMP the unit (1 millis, 2 micros, 3 nanos).
    private static func logicalType(_ reader: inout ThriftCompactReader) throws(Malformed) -> (id: Int16, unit: Int16?) {
        var found: (id: Int16, unit: Int16?) = (0, nil)
        try reader.structure { reader, id, _ throws(Malformed) in
            found.id = id
            guard id == 7 || id == 8 else { return false }
            try reader.structure { reader, field, _ throws(Malformed) in
                guard field == 2 else { return false }
                try reader.structure { _, unit, _ throws(Malformed) in
                    found.unit = unit
                    return false
                }
                return true
            }
            return true
        }
        return found
    }

    /// A group's annotation: LIST, MAP (or the legacy MAP_KEY_VALUE), or none.
    var shape: ParquetFile.Shape {
        if let logical, logical.id == 3 { return .list }
        if let logical, logical.id == 2 { return .map }
        switch converted {
        case 3?: return .list
        case 1?: return .map
        default: return .structure
        }
    }

    var meaning: ParquetFile.Meaning {
        if let logical {
            switch logical.id {
            case 1, 4, 12: return .text  // STRING, ENUM, JSON (kept as its text)
            case 5: return .decimal(scale: scale)
            case 6: return .date
            case 8: return .timestamp(unitsPerMillisecond: logical.unit == 3 ? 1_000_000 : logical.unit == 2 ? 1000 : 1)
            case 14: return .uuid
            default: break
            }
        }
        switch converted {
        case 0?, 4?, 19?: return .text  // UTF8, ENUM, JSON
        case 5?: return .decimal(scale: scale)
        case 6?: return .date
        case 9?: return .timestamp(unitsPerMillisecond: 1)
        case 10?: return .timestamp(unitsPerMillisecond: 1000)
        case let code? where (11...14).contains(code): return .unsigned
        default: return .plain
        }
    }
}

/// A page's header: what kind of page, its sizes, and how its values are encoded.
struct ParquetPageHeader {
    enum Kind { case data, dictionary, dataV2, other }

    var kind = Kind.other
    var uncompressedSize = 0
    var compressedSize = 0
    var valueCount = 0
    var encoding: Int32 = 0
    /// Data pages (version 2): the level sections' sizes, kept uncompressed before the values.
    var repetitionLevelsLength = 0
    var definitionLevelsLength = 0
    var valuesCompressed = true

    typealias Malformed = ThriftCompactReader.Malformed

    init(_ reader: inout ThriftCompactReader) throws(Malformed) {
        try reader.structure { reader, id, _ throws(Malformed) in
            switch id {
            case 1:
                switch try reader.i32() {
                case 0: kind = .data
                case 2: kind = .dictionary
                case 3: kind = .dataV2
                default: kind = .other
                }
            case 2: uncompressedSize = Int(try reader.i32())
            case 3: compressedSize = Int(try reader.i32())
            case 5, 7:
                // Data page (v1), dictionary page: values, then their encoding.
                try reader.structure { reader, field, _ throws(Malformed) in
                    switch field {
                    case 1: valueCount = Int(try reader.i32())
                    case 2: encoding = try reader.i32()
                    default: return false
                    }
                    return true
                }
            case 8:
                try reader.structure { reader, field, type throws(Malformed) in
                    switch field {
                    case 1: valueCount = Int(try reader.i32())
                    case 4: encoding = try reader.i32()
                    case 5: definitionLevelsLength = Int(try reader.i32())
                    case 6: repetitionLevelsLength = Int(try reader.i32())
                    case 7: valuesCompressed = ThriftCompactReader.boolean(type)
                    default: return false
                    }
                    return true
                }
            default: return false
            }
            return true
        }
        guard uncompressedSize >= 0, compressedSize >= 0, valueCount >= 0, definitionLevelsLength >= 0, repetitionLevelsLength >= 0 else {
            throw Malformed(message: "a page header has a negative size")
        }
    }
}
