import ASLErrors
import Foundation
import Interpreter
import JSONCore
import ObjectStore

/// Distributed Maps over an object store: `ItemReader`s that stream objects and listings, and
/// `ResultWriter` files. Plugged into the interpreter as its `DistributedMapIO`.
public struct ObjectStoreMapIO: DistributedMapIO {
    public let store: any ObjectStore
    /// When a result file is full and the next one starts: AWS's 5 GB (smaller in tests).
    public var resultFileLimit: Int64

    public init(store: any ObjectStore, resultFileLimit: Int64 = 5_000_000_000) {
        self.store = store
        self.resultFileLimit = resultFileLimit
    }

    public static let getObject = "arn:aws:states:::s3:getObject"
    public static let listObjectsV2 = "arn:aws:states:::s3:listObjectsV2"

    public func openItems(resource: String, parameters: JSONValue, readerConfig: JSONValue) throws(ExecutionFailure) -> any ItemSource {
        switch resource {
        case Self.getObject:
            let (bucket, key) = try location(parameters)
            return try items(in: bucket, key: key, readerConfig: readerConfig)
        case Self.listObjectsV2:
            guard let bucket = parameters["Bucket"]?.stringValue, !bucket.isEmpty else {
                throw ExecutionFailure(.itemReaderFailed, cause: "The ItemReader's Parameters must give a Bucket")
            }
            let listing = ListingItems(store: store, bucket: bucket, prefix: parameters["Prefix"]?.stringValue ?? "")
            switch readerConfig["Transformation"]?.stringValue ?? "NONE" {
            case "NONE":
                return listing
            case "LOAD_AND_FLATTEN":
                // Each listed object is read as InputType says, and its items follow one another.
                return FlattenedItems(listing: listing) { key throws(ExecutionFailure) in try items(in: bucket, key: key, readerConfig: readerConfig) }
            case let other:
                throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig Transformation must be NONE or LOAD_AND_FLATTEN, but is \"\(other)\"")
            }
        default:
            throw ExecutionFailure(
                .itemReaderFailed, cause: "The ItemReader resource \(resource) is not supported; use \(Self.getObject) or \(Self.listObjectsV2)")
        }
    }

    /// The items of one object, read as `InputType` says (JSON by default).
    private func items(in bucket: String, key: String, readerConfig: JSONValue) throws(ExecutionFailure) -> any ItemSource {
        let inputType = readerConfig["InputType"]?.stringValue ?? "JSON"
        let name = "s3://\(bucket)/\(key)"
        switch inputType {
        case "JSON":
            if let pointer = readerConfig["ItemsPointer"]?.stringValue {
                return try PointedItems.open(try open(bucket, key), pointer: pointer, name: name)
            }
            return JSONArrayItems(ByteChunks(try open(bucket, key)), name: name)
        case "JSONL":
            return JSONLinesItems(ByteChunks(try open(bucket, key)), name: name)
        case "CSV":
            let format = try CSVFormat(readerConfig)
            return try CSVItems(ByteChunks(try open(bucket, key)), format: format, name: name)
        case "PARQUET", "MANIFEST":
            throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig InputType \(inputType) is not supported by Statesman yet (see docs/compatibility.md)")
        default:
            throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig InputType must be CSV, JSON, JSONL, PARQUET or MANIFEST, but is \"\(inputType)\"")
        }
    }

    private func location(_ parameters: JSONValue) throws(ExecutionFailure) -> (String, String) {
        guard let bucket = parameters["Bucket"]?.stringValue, !bucket.isEmpty, let key = parameters["Key"]?.stringValue, !key.isEmpty else {
            throw ExecutionFailure(.itemReaderFailed, cause: "The ItemReader's Parameters must give a Bucket and a Key")
        }
        return (bucket, key)
    }

    private func open(_ bucket: String, _ key: String) throws(ExecutionFailure) -> any ObjectReader {
        do { return try store.open(bucket: bucket, key: key, range: nil) } catch {
            throw ExecutionFailure(.itemReaderFailed, cause: "Cannot read s3://\(bucket)/\(key): \(error.description)")
        }
    }

    public func openResults(_ target: ResultTarget) throws(ExecutionFailure) -> any ResultSink {
        ResultFiles(store: store, target: target, fileLimit: resultFileLimit)
    }
}

/// The items of a `listObjectsV2` listing (`Transformation: NONE`): one item per object,
/// `{Etag, Key, LastModified, Size, StorageClass}`, fetched a page at a time.
final class ListingItems: ItemSource {
    private let store: any ObjectStore
    private let bucket: String
    private let prefix: String
    private var page: [ObjectMetadata] = []
    private var index = 0
    private var token: String?
    private var done = false

    init(store: any ObjectStore, bucket: String, prefix: String) {
        self.store = store
        self.bucket = bucket
        self.prefix = prefix
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        while index >= page.count {
            guard !done else { return nil }
            let listed: ListPage
            do { listed = try store.list(ListRequest(bucket: bucket, prefix: prefix, continuationToken: token)) } catch {
                throw ExecutionFailure(.itemReaderFailed, cause: "Cannot list s3://\(bucket)/\(prefix): \(error.description)")
            }
            page = listed.contents
            index = 0
            token = listed.nextContinuationToken
            done = !listed.isTruncated
        }
        defer { index += 1 }
        let object = page[index]
        var item = JSONObject()
        item["Etag"] = .string(object.etag)
        item["Key"] = .string(object.key)
        item["LastModified"] = .int(Int64(object.lastModified.timeIntervalSince1970.rounded(.down)))
        item["Size"] = .int(object.size)
        item["StorageClass"] = .string(object.storageClass)
        return .object(item)
    }
}

/// `listObjectsV2` with `Transformation: LOAD_AND_FLATTEN`: the items of every listed object,
/// one object after another, each read only when the previous one is done.
final class FlattenedItems: ItemSource {
    private let listing: ListingItems
    private let open: (String) throws(ExecutionFailure) -> any ItemSource
    private var current: (any ItemSource)?

    init(listing: ListingItems, open: @escaping (String) throws(ExecutionFailure) -> any ItemSource) {
        self.listing = listing
        self.open = open
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        while true {
            if let current, let item = try current.next() { return item }
            guard let object = try listing.next(), let key = object["Key"]?.stringValue else { return nil }
            current = try open(key)
        }
    }
}
