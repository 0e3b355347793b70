import ASLErrors
import JSONCore

/// Where a Distributed Map's items come from and where its results go: the interpreter's port
/// to the object store (readers and result files live in the `MapRuns` target).
public protocol DistributedMapIO: Sendable {
    /// Opens the items an `ItemReader` names: its `Resource`, its `Parameters` already
    /// evaluated, and its `ReaderConfig`. Items are read as the run asks for them. Failures are
    /// `States.ItemReaderFailed`.
    func openItems(resource: String, parameters: JSONValue, readerConfig: JSONValue) throws(ExecutionFailure) -> any ItemSource
    /// Starts the result files of a Map Run under `prefix/<map run id>/`.
    func openResults(_ target: ResultTarget) throws(ExecutionFailure) -> any ResultSink
}

/// A stream of items, read on demand (never the whole dataset at once).
public protocol ItemSource: AnyObject {
    /// The next item, or nil after the last.
    func next() throws(ExecutionFailure) -> JSONValue?
}

/// The items of an array already in memory (an `ItemsPath` or `Items` result).
public final class ArrayItemSource: ItemSource {
    private let elements: [JSONValue]
    private var index = 0

    public init(_ elements: [JSONValue]) { self.elements = elements }

    public func next() -> JSONValue? {
        guard index < elements.count else { return nil }
        defer { index += 1 }
        return elements[index]
    }
}

/// Where a ResultWriter exports a Map Run's results.
public struct ResultTarget: Sendable {
    public var bucket: String
    public var prefix: String
    public var mapRunArn: String
    public var mapRunId: String
    /// JSONL writes one record per line; JSON an array per file.
    public var jsonLines: Bool

    public init(bucket: String, prefix: String, mapRunArn: String, mapRunId: String, jsonLines: Bool) {
        self.bucket = bucket
        self.prefix = prefix
        self.mapRunArn = mapRunArn
        self.mapRunId = mapRunId
        self.jsonLines = jsonLines
    }
}

/// The result files of one Map Run, written as children finish.
public protocol ResultSink: AnyObject {
    /// Adds one result to the files of its status.
    func write(_ record: JSONValue, status: ResultStatus) throws(ExecutionFailure)
    /// Closes the files and writes `manifest.json`; returns the manifest's key.
    func finish() throws(ExecutionFailure) -> String
    /// Drops what was written (the run could not start).
    func abandon()
}

/// The result files a Map Run writes: failed, timed-out and aborted children go to `FAILED`,
/// items never started to `PENDING`.
public enum ResultStatus: String, Sendable, CaseIterable {
    case succeeded = "SUCCEEDED"
    case failed = "FAILED"
    case pending = "PENDING"
}
