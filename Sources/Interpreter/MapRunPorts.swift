import ASLErrors
import Foundation
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
    /// Where the item `next` gave last comes from (`$$.Map.Item.Source`): `STATE_DATA` for
    /// the state's input, `s3://bucket` for an object listing, `s3://bucket/key` for an
    /// object's contents.
    var source: String { get }
}

/// The items of an array already in memory (an `ItemsPath` or `Items` result, or an object's
/// array found with `ItemsPointer`).
public final class ArrayItemSource: ItemSource {
    private let elements: [JSONValue]
    private var index = 0
    public let source: String

    public init(_ elements: [JSONValue], source: String = "STATE_DATA") {
        self.elements = elements
        self.source = source
    }

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
    /// Adds one result, printed as compact JSON, to the files of its status.
    func write(printed record: UnsafeBufferPointer<UInt8>, status: ResultStatus) throws(ExecutionFailure)
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

/// Watches Map Runs as they progress (the command line's live display; later the API's
/// DescribeMapRun). Called from the run's task: keep it quick.
public protocol MapRunObserver: Sendable {
    func mapRunChanged(_ run: MapRunSnapshot)
    /// A Standard child execution ended: its record and its own history (AWS keeps none for
    /// Express children, so they are not reported).
    func childExecutionEnded(_ child: ChildExecutionReport)
}

extension MapRunObserver {
    public func childExecutionEnded(_ child: ChildExecutionReport) {}
}

/// A Distributed Map's child execution as DescribeExecution and GetExecutionHistory give it.
public struct ChildExecutionReport: Sendable {
    public var executionArn: String
    public var stateMachineArn: String
    public var name: String
    public var mapRunArn: String
    public var input: JSONValue
    public var started: Date
    public var stopped: Date
    public var outcome: ExecutionOutcome
}

/// A Map Run as DescribeMapRun reports it.
public struct MapRunSnapshot: Sendable {
    public enum Status: String, Sendable { case running = "RUNNING", succeeded = "SUCCEEDED", failed = "FAILED", aborted = "ABORTED" }

    public var mapRunArn: String
    public var executionArn: String
    public var label: String
    public var status: Status
    public var startDate: Date
    public var stopDate: Date?
    public var maxConcurrency: Int
    public var toleratedFailureCount: Int
    public var toleratedFailurePercentage: Double
    /// Items and child executions differ when items are batched.
    public var itemCounts: MapRunCounts
    public var executionCounts: MapRunCounts
    /// Whether every item has been read (until then `total` grows).
    public var totalKnown: Bool
    /// How many times the run was redriven, and when last.
    public var redriveCount = 0
    public var redriveDate: Date?
}

/// DescribeMapRun's counts.
public struct MapRunCounts: Sendable, Equatable {
    public var pending = 0
    public var running = 0
    public var succeeded = 0
    public var failed = 0
    public var timedOut = 0
    public var aborted = 0
    public var total = 0
    public var resultsWritten = 0

    public init() {}

    public var json: JSONValue {
        [
            "aborted": .int(Int64(aborted)), "failed": .int(Int64(failed)), "pending": .int(Int64(pending)), "resultsWritten": .int(Int64(resultsWritten)),
            "running": .int(Int64(running)), "succeeded": .int(Int64(succeeded)), "timedOut": .int(Int64(timedOut)), "total": .int(Int64(total)),
        ]
    }
}

extension MapRunSnapshot {
    /// The DescribeMapRun shape (dates as ISO 8601 text).
    public var json: JSONValue {
        var object = JSONObject()
        object["mapRunArn"] = .string(mapRunArn)
        object["executionArn"] = .string(executionArn)
        object["status"] = .string(status.rawValue)
        object["startDate"] = .string(Timestamps.format(startDate))
        if let stopDate { object["stopDate"] = .string(Timestamps.format(stopDate)) }
        object["maxConcurrency"] = .int(Int64(maxConcurrency))
        object["toleratedFailurePercentage"] = .double(toleratedFailurePercentage)
        object["toleratedFailureCount"] = .int(Int64(toleratedFailureCount))
        object["itemCounts"] = itemCounts.json
        object["executionCounts"] = executionCounts.json
        object["redriveCount"] = .int(Int64(redriveCount))
        if let redriveDate { object["redriveDate"] = .string(Timestamps.format(redriveDate)) }
        return .object(object)
    }
}
