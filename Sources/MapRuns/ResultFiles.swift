import ASLErrors
import Interpreter
import JSONCore
import ObjectStore

/// A ResultWriter's files, in AWS's layout: `<Prefix>/<map run id>/SUCCEEDED_0.json`,
/// `FAILED_0.json`, `PENDING_0.json` (a file only for a status that has results; the next
/// number when a file reaches the size limit) and `manifest.json` listing them. Records are
/// written as children finish; each file becomes visible, whole, when it is closed.
final class ResultFiles: ResultSink {
    private let store: any ObjectStore
    private let target: ResultTarget
    private let fileLimit: Int64
    private let directory: String

    private struct OpenFile {
        var writer: any ObjectWriter
        var key: String
        var size: Int64 = 0
        var records = 0
        /// Records not yet handed to the writer: one write per megabyte, not per record.
        var buffer: [UInt8] = []
    }

    static let bufferSize = 1 << 20

    private var open: [ResultStatus: OpenFile] = [:]
    private var numbers: [ResultStatus: Int] = [:]
    private var written: [ResultStatus: [(key: String, size: Int64)]] = [:]

    init(store: any ObjectStore, target: ResultTarget, fileLimit: Int64) {
        self.store = store
        self.target = target
        self.fileLimit = max(fileLimit, 1)
        let prefix = target.prefix
        directory = (prefix.isEmpty || prefix.hasSuffix("/") ? prefix : prefix + "/") + target.mapRunId + "/"
    }

    private func failure(_ error: ObjectStoreError) -> ExecutionFailure {
        ExecutionFailure(.runtime, cause: "The ResultWriter could not write to s3://\(target.bucket)/\(directory): \(error.description)")
    }

    func write(printed record: UnsafeBufferPointer<UInt8>, status: ResultStatus) throws(ExecutionFailure) {
        let length = record.count + 1  // with its separator
        if var file = open[status], file.size + Int64(length) + 1 > fileLimit, file.records > 0 {
            try close(&file, status: status)
            open[status] = nil
        }
        if open[status] == nil {
            let number = numbers[status, default: 0]
            numbers[status] = number + 1
            let key = directory + "\(status.rawValue)_\(number).json"
            do {
                open[status] = OpenFile(writer: try store.create(bucket: target.bucket, key: key), key: key)
            } catch { throw failure(error) }
        }
        // JSON: an array per file; JSONL: one record per line.
        let jsonLines = target.jsonLines
        let first = open[status]!.records == 0
        if !jsonLines { open[status]!.buffer.append(first ? UInt8(ascii: "[") : UInt8(ascii: ",")) }
        open[status]!.buffer.append(contentsOf: record)
        if jsonLines { open[status]!.buffer.append(10) }
        open[status]!.size += Int64(length)
        open[status]!.records += 1
        if open[status]!.buffer.count >= Self.bufferSize {
            do { try open[status]!.writer.write(open[status]!.buffer) } catch { throw failure(error) }
            open[status]!.buffer.removeAll(keepingCapacity: true)
        }
    }

    private func close(_ file: inout OpenFile, status: ResultStatus) throws(ExecutionFailure) {
        do {
            if !target.jsonLines { file.buffer.append(UInt8(ascii: "]")) }
            try file.writer.write(file.buffer)
            file.buffer = []
            let size = try file.writer.commit()
            written[status, default: []].append((file.key, size))
        } catch { throw failure(error) }
    }

    func finish() throws(ExecutionFailure) -> String {
        for status in ResultStatus.allCases {
            guard var file = open[status] else { continue }
            try close(&file, status: status)
            open[status] = nil
        }
        var files = JSONObject()
        for status in [ResultStatus.failed, .pending, .succeeded] {
            files[status.rawValue] = .array((written[status] ?? []).map { ["Key": .string($0.key), "Size": .int($0.size)] })
        }
        var manifest = JSONObject()
        manifest["DestinationBucket"] = .string(target.bucket)
        manifest["MapRunArn"] = .string(target.mapRunArn)
        manifest["ResultFiles"] = .object(files)
        let key = directory + "manifest.json"
        do { try store.put(bucket: target.bucket, key: key, bytes: Array(JSONValue.object(manifest).compactString.utf8)) } catch { throw failure(error) }
        return key
    }

    func abandon() {
        for file in open.values { file.writer.abandon() }
        open = [:]
    }
}
