import JSONCore

/// The encodings Parquet writers pick for version 2 pages and for numbers that compress
/// better split: `DELTA_BINARY_PACKED`, `DELTA_LENGTH_BYTE_ARRAY`, `DELTA_BYTE_ARRAY` and
/// `BYTE_STREAM_SPLIT`, decoded into the same JSON values as `PLAIN`.
enum ParquetDelta {
    /// Decodes `count` values of `column` in `encoding` (5, 6, 7 or 9).
    static func values(_ bytes: ArraySlice<UInt8>, encoding: Int32, count: Int, column: ParquetFile.Column) throws(ParquetPageError) -> [JSONValue] {
        let convert = ParquetValues(bytes, column: column)
        switch encoding {
        case 5:
            let (integers, _) = try integers(bytes, wanted: count)
            switch column.type {
            case .int32: return integers.map { convert.integer(column.meaning == .unsigned ? Int64(UInt32(truncatingIfNeeded: $0)) : Int64(Int32(truncatingIfNeeded: $0))) }
            case .int64: return integers.map { convert.integer($0) }
            default: throw ParquetPageError(message: "DELTA_BINARY_PACKED holds integers, not \(column.type)")
            }
        case 6:
            return try byteArrays(bytes, count: count).map { convert.bytesValue($0[...]) }
        case 7:
            let (prefixes, suffixStart) = try integers(bytes, wanted: count)
            let suffixes = try byteArrays(bytes[suffixStart...], count: count)
            var values: [JSONValue] = []
            values.reserveCapacity(count)
            var previous: [UInt8] = []
            for (prefix, suffix) in zip(prefixes, suffixes) {
                guard prefix >= 0, prefix <= previous.count else { throw ParquetPageError(message: "a shared prefix is longer than the value before it") }
                previous = Array(previous.prefix(Int(prefix))) + suffix
                values.append(convert.bytesValue(previous[...]))
            }
            return values
        case 9:
            // Byte j of value i is byte i of stream j.
            let width: Int
            switch column.type {
            case .int32, .float: width = 4
            case .int64, .double: width = 8
            case .fixedLengthByteArray: width = column.typeLength
            default: throw ParquetPageError(message: "BYTE_STREAM_SPLIT holds fixed-width values, not \(column.type)")
            }
            guard width > 0, count <= bytes.count / width else { throw ParquetPageError(message: "a page ends before its values") }
            var gathered: [UInt8] = []
            gathered.reserveCapacity(count * width)
            for index in 0..<count {
                for stream in 0..<width { gathered.append(bytes[bytes.startIndex + stream * count + index]) }
            }
            var plain = ParquetValues(gathered[...], column: column)
            return try plain.plain(count: count)
        default:
            throw ParquetPageError(message: "the encoding \(encoding) is not supported")
        }
    }

    /// `DELTA_LENGTH_BYTE_ARRAY`: the lengths delta-encoded, then the bytes one after another.
    private static func byteArrays(_ bytes: ArraySlice<UInt8>, count: Int) throws(ParquetPageError) -> [[UInt8]] {
        let (lengths, start) = try integers(bytes, wanted: count)
        var position = start
        var arrays: [[UInt8]] = []
        arrays.reserveCapacity(count)
        for length in lengths.prefix(count) {
            guard length >= 0, length <= bytes.endIndex - position else { throw ParquetPageError(message: "a page ends before its values") }
            arrays.append(Array(bytes[position..<position + Int(length)]))
            position += Int(length)
        }
        return arrays
    }

    /// `DELTA_BINARY_PACKED`: a header (block size, miniblocks per block, value count, first
    /// value), then blocks of a minimum delta and bit-packed miniblocks. Returns the values (at
    /// least `wanted` of them) and where the encoding ends.
    static func integers(_ bytes: ArraySlice<UInt8>, wanted: Int) throws(ParquetPageError) -> (values: [Int64], end: Int) {
        var position = bytes.startIndex
        func varint() throws(ParquetPageError) -> UInt64 {
            var value: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < bytes.endIndex else { throw ParquetPageError(message: "delta-encoded values end early") }
                let b = bytes[position]
                position += 1
                value |= UInt64(b & 0x7F) << shift
                if b & 0x80 == 0 { return value }
                shift += 7
                guard shift < 64 else { throw ParquetPageError(message: "a delta header is damaged") }
            }
        }
        func zigzag() throws(ParquetPageError) -> Int64 {
            let raw = try varint()
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }
        let blockSize = Int(truncatingIfNeeded: try varint())
        let miniblocks = Int(truncatingIfNeeded: try varint())
        let total = Int(truncatingIfNeeded: try varint())
        var previous = try zigzag()
        guard blockSize > 0, blockSize % 128 == 0, miniblocks > 0, blockSize % miniblocks == 0, (blockSize / miniblocks) % 32 == 0,
            total >= wanted, total <= bytes.count * 64 + 1
        else { throw ParquetPageError(message: "a delta header is damaged") }
        let perMiniblock = blockSize / miniblocks
        var values: [Int64] = []
        values.reserveCapacity(total)
        if total > 0 { values.append(previous) }
        while values.count < total {
            let minimum = try zigzag()
            guard miniblocks <= bytes.endIndex - position else { throw ParquetPageError(message: "delta-encoded values end early") }
            let widths = bytes[position..<position + miniblocks].map { Int($0) }
            position += miniblocks
            for width in widths where values.count < total {
                guard width <= 64 else { throw ParquetPageError(message: "a delta bit width is over 64") }
                let length = perMiniblock * width / 8
                guard length <= bytes.endIndex - position else { throw ParquetPageError(message: "delta-encoded values end early") }
                var bit = 0
                for _ in 0..<perMiniblock where values.count < total {
                    var delta: UInt64 = 0
                    var got = 0
                    while got < width {
                        let byte = UInt64(bytes[position + (bit >> 3)])
                        let shift = bit & 7
                        let take = min(8 - shift, width - got)
                        delta |= ((byte >> UInt64(shift)) & ((1 << UInt64(take)) - 1)) << UInt64(got)
                        got += take
                        bit += take
                    }
                    previous = previous &+ minimum &+ Int64(bitPattern: delta)
                    values.append(previous)
                }
                position += length
            }
        }
        return (values, position)
    }
}
