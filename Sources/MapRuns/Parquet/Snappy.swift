/// Decompresses a raw Snappy block (Parquet's `SNAPPY` codec; no framing): a varint length,
/// then literals and back-references into what was produced so far.
enum Snappy {
    struct Malformed: Error {
        var message: String
    }

    /// `limit`: the most bytes the data may announce.
    static func decompress(_ input: ArraySlice<UInt8>, limit: Int) throws(Malformed) -> [UInt8] {
        var position = input.startIndex
        func byte() throws(Malformed) -> Int {
            guard position < input.endIndex else { throw Malformed(message: "the compressed data ends early") }
            defer { position += 1 }
            return Int(input[position])
        }
        func littleEndian(_ count: Int) throws(Malformed) -> Int {
            var value = 0
            for index in 0..<count { value |= try byte() << (8 * index) }
            return value
        }
        var length = 0
        var shift = 0
        while true {
            let b = try byte()
            length |= (b & 0x7F) << shift
            if b & 0x80 == 0 { break }
            shift += 7
            guard shift <= 28 else { throw Malformed(message: "the length is too long") }
        }
        guard length <= limit else { throw Malformed(message: "the data announces \(length) bytes, more than \(limit)") }
        var output = [UInt8]()
        output.reserveCapacity(length)
        while position < input.endIndex {
            let tag = try byte()
            switch tag & 3 {
            case 0:
                var count = tag >> 2
                if count >= 60 { count = try littleEndian(count - 59) }
                count += 1
                guard count <= input.endIndex - position, output.count + count <= length else {
                    throw Malformed(message: "a literal runs past the data")
                }
                output.append(contentsOf: input[position..<position + count])
                position += count
            default:
                let count: Int, offset: Int
                switch tag & 3 {
                case 1:
                    count = 4 + ((tag >> 2) & 7)
                    offset = ((tag >> 5) << 8) | (try byte())
                case 2:
                    count = (tag >> 2) + 1
                    offset = try littleEndian(2)
                default:
                    count = (tag >> 2) + 1
                    offset = try littleEndian(4)
                }
                guard offset > 0, offset <= output.count, output.count + count <= length else {
                    throw Malformed(message: "a copy reaches outside the data")
                }
                // Copies may overlap what they produce (a run): byte by byte.
                let start = output.count - offset
                for index in 0..<count { output.append(output[start + index]) }
            }
        }
        guard output.count == length else { throw Malformed(message: "the data is \(output.count) bytes, not the \(length) it announces") }
        return output
    }
}
