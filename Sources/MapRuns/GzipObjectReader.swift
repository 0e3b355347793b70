import CZlib
import ObjectStore

/// Inflates a gzip object as it streams (several gzip members one after another too, as
/// `cat a.gz b.gz` makes).
final class GzipObjectReader: ObjectReader {
    private let source: any ObjectReader
    private var stream = z_stream()
    private var input: [UInt8] = []
    private var output = [UInt8](repeating: 0, count: 1 << 20)
    private var sourceEnded = false
    private var finished = false
    private let name: String

    init(_ source: any ObjectReader, name: String) throws(ObjectStoreError) {
        self.source = source
        self.name = name
        // 15 + 32: any window size, gzip or zlib header detected.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ObjectStoreError(.io, "cannot start inflating \(name)")
        }
    }

    deinit { inflateEnd(&stream) }

    func next() throws(ObjectStoreError) -> [UInt8]? {
        while !finished {
            if stream.avail_in == 0 {
                if sourceEnded {
                    finished = true
                    if !atMemberEnd {
                        throw ObjectStoreError(.io, "\(name) ends in the middle of its gzip data")
                    }
                    return nil
                }
                guard let chunk = try source.next() else {
                    sourceEnded = true
                    continue
                }
                input = chunk
            }
            let produced = try inflateSome()
            if produced > 0 { return Array(output[0..<produced]) }
        }
        return nil
    }

    /// Whether the last inflate ended a gzip member (the end of the object may follow).
    private var atMemberEnd = true

    private func inflateSome() throws(ObjectStoreError) -> Int {
        let consumedBefore = input.count - Int(stream.avail_in)
        let result: Int32 = input.withUnsafeMutableBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                if stream.avail_in == 0 {
                    stream.next_in = inputBuffer.baseAddress
                    stream.avail_in = UInt32(inputBuffer.count)
                } else {
                    stream.next_in = inputBuffer.baseAddress! + consumedBefore
                }
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = UInt32(outputBuffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
        }
        let produced = output.count - Int(stream.avail_out)
        switch result {
        case Z_OK, Z_BUF_ERROR:
            atMemberEnd = false
        case Z_STREAM_END:
            // Another member may follow.
            atMemberEnd = true
            inflateReset(&stream)
        default:
            throw ObjectStoreError(.io, "\(name) is not valid gzip data (zlib error \(result))")
        }
        return produced
    }
}
