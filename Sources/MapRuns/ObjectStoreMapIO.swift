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
            let prefix = parameters["Prefix"]?.stringValue ?? ""
            switch readerConfig["Transformation"]?.stringValue ?? "NONE" {
            case "NONE":
                return ListingItems(store: store, bucket: bucket, prefix: prefix)
            case "LOAD_AND_FLATTEN":
                // Only the keys are needed: every object is read for its items anyway.
                let listing = ListingItems(store: store, bucket: bucket, prefix: prefix, withETags: false)
                // Each listed object is read as InputType says, and its items follow one another.
                return ChainedItems { () throws(ExecutionFailure) -> (any ItemSource)? in
                    guard let object = try listing.next(), let key = object["Key"]?.stringValue else { return nil }
                    return try items(in: bucket, key: key, readerConfig: readerConfig)
                }
            case let other:
                throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig Transformation must be NONE or LOAD_AND_FLATTEN, but is \"\(other)\"")
            }
        default:
            throw ExecutionFailure(
                .itemReaderFailed, cause: "The ItemReader resource \(resource) is not supported; use \(Self.getObject) or \(Self.listObjectsV2)")
        }
    }

    /// The items of one object, read as `InputType` says (JSON by default), or of the data
    /// files a manifest lists.
    private func items(in bucket: String, key: String, readerConfig: JSONValue) throws(ExecutionFailure) -> any ItemSource {
        let inputType = readerConfig["InputType"]?.stringValue ?? "JSON"
        let name = "s3://\(bucket)/\(key)"
        switch readerConfig["ManifestType"]?.stringValue {
        case nil:
            break
        case "ATHENA_DATA":
            return try athenaItems(manifest: bucket, key: key, readerConfig: readerConfig)
        case "S3_INVENTORY":
            guard readerConfig["InputType"] == nil || inputType == "MANIFEST" else {
                throw ExecutionFailure(.itemReaderFailed, cause: "ManifestType S3_INVENTORY takes InputType MANIFEST (or none), not \(inputType)")
            }
            return try inventoryItems(manifest: bucket, key: key)
        case let other?:
            throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig ManifestType must be S3_INVENTORY or ATHENA_DATA, but is \"\(other)\"")
        }
        switch inputType {
        case "JSON":
            if let pointer = readerConfig["ItemsPointer"]?.stringValue {
                return try PointedItems.open(try open(bucket, key), pointer: pointer, name: name)
            }
            return JSONArrayItems(ByteChunks(try open(bucket, key)), name: name)
        case "JSONL":
            return try JSONLinesItems.open(try open(bucket, key), name: name)
        case "CSV":
            let format = try CSVFormat(readerConfig)
            return try CSVItems.open(try open(bucket, key), format: format, name: name)
        case "MANIFEST":
            return try inventoryItems(manifest: bucket, key: key)
        case "PARQUET":
            return try ParquetItems(store: store, bucket: bucket, key: key)
        default:
            throw ExecutionFailure(.itemReaderFailed, cause: "The ReaderConfig InputType must be CSV, JSON, JSONL, PARQUET or MANIFEST, but is \"\(inputType)\"")
        }
    }

    /// An object read whole (a manifest: small).
    private func wholeObject(_ bucket: String, _ key: String) throws(ExecutionFailure) -> [UInt8] {
        var chunks = ByteChunks(try open(bucket, key))
        while try chunks.more(name: "s3://\(bucket)/\(key)") {}
        return chunks.bytes
    }

    /// An S3 Inventory report: `manifest.json` names CSV data files (gzip) in its destination
    /// bucket and their columns (`fileSchema`); each row is an item whose fields are named by
    /// the columns, every value a string.
    private func inventoryItems(manifest bucket: String, key: String) throws(ExecutionFailure) -> any ItemSource {
        let name = "s3://\(bucket)/\(key)"
        let bytes = try wholeObject(bucket, key)
        let manifest = try parseItem(bytes, 0..<bytes.count, with: JSONDocumentParser(), describing: "The manifest \(name)")
        guard manifest["fileFormat"]?.stringValue == "CSV" else {
            throw ExecutionFailure(
                .itemReaderFailed, cause: "The S3 Inventory manifest \(name) has fileFormat \(manifest["fileFormat"]?.compactString ?? "none"); Statesman reads CSV inventories")
        }
        guard let schema = manifest["fileSchema"]?.stringValue, let files = manifest["files"]?.arrayValue else {
            throw ExecutionFailure(.itemReaderFailed, cause: "The S3 Inventory manifest \(name) needs fileSchema and files")
        }
        let headers = schema.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        // destinationBucket is an ARN (arn:aws:s3:::name); the data files are there.
        let destination = manifest["destinationBucket"]?.stringValue.map { String($0.split(separator: ":").last ?? Substring($0)) } ?? bucket
        var config = JSONObject()
        config["CSVHeaderLocation"] = "GIVEN"
        config["CSVHeaders"] = .array(headers.map { .string($0) })
        let format = try CSVFormat(.object(config))
        var remaining = files.compactMap { $0["key"]?.stringValue }[...]
        return ChainedItems { () throws(ExecutionFailure) -> (any ItemSource)? in
            guard let file = remaining.popFirst() else { return nil }
            var reader = try open(destination, file)
            if file.hasSuffix(".gz") {
                do throws(ObjectStoreError) { reader = try GzipObjectReader(reader, name: "s3://\(destination)/\(file)") } catch {
                    throw ExecutionFailure(.itemReaderFailed, cause: error.description)
                }
            }
            return try CSVItems(ByteChunks(reader), format: format, name: "s3://\(destination)/\(file)")
        }
    }

    /// An Athena data manifest: one `s3://bucket/key` per line, each data file read as
    /// `InputType` says.
    private func athenaItems(manifest bucket: String, key: String, readerConfig: JSONValue) throws(ExecutionFailure) -> any ItemSource {
        let text = String(decoding: try wholeObject(bucket, key), as: UTF8.self)
        var files: [(String, String)] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let uri = line.trimmingCharacters(in: .whitespaces)
            guard uri.hasPrefix("s3://"), let slash = uri.dropFirst(5).firstIndex(of: "/") else {
                throw ExecutionFailure(.itemReaderFailed, cause: "The Athena manifest s3://\(bucket)/\(key) lists \"\(uri)\", which is not an s3:// URI")
            }
            files.append((String(uri[uri.index(uri.startIndex, offsetBy: 5)..<slash]), String(uri[uri.index(after: slash)...])))
        }
        var config = readerConfig.objectValue ?? JSONObject()
        config["ManifestType"] = nil
        let dataConfig = JSONValue.object(config)
        var remaining = files[...]
        return ChainedItems { () throws(ExecutionFailure) -> (any ItemSource)? in
            guard let (dataBucket, dataKey) = remaining.popFirst() else { return nil }
            return try items(in: dataBucket, key: dataKey, readerConfig: dataConfig)
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
    private let withETags: Bool
    var source: String { "s3://\(bucket)" }

    init(store: any ObjectStore, bucket: String, prefix: String, withETags: Bool = true) {
        self.store = store
        self.bucket = bucket
        self.prefix = prefix
        self.withETags = withETags
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        while index >= page.count {
            guard !done else { return nil }
            let listed: ListPage
            var request = ListRequest(bucket: bucket, prefix: prefix, continuationToken: token)
            request.withETags = withETags
            do { listed = try store.list(request) } catch {
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

/// The items of several sources one after another (each listed object's, each data file's),
/// each opened only when the previous one is done.
final class ChainedItems: ItemSource {
    private let nextSource: () throws(ExecutionFailure) -> (any ItemSource)?
    private var current: (any ItemSource)?
    var source: String { current?.source ?? "" }

    init(_ nextSource: @escaping () throws(ExecutionFailure) -> (any ItemSource)?) {
        self.nextSource = nextSource
    }

    func next() throws(ExecutionFailure) -> JSONValue? {
        while true {
            if let current, let item = try current.next() { return item }
            guard let source = try nextSource() else { return nil }
            current = source
        }
    }
}
