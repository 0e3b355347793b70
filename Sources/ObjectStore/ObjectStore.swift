import Foundation

/// What the engine needs from an S3-like store: streamed and ranged reads, atomic writes,
/// listings with prefix, delimiter, page size and continuation tokens, and object metadata.
/// The embedded default is `LocalDirectoryStore`; an S3-compatible remote store implements
/// the same port.
public protocol ObjectStore: Sendable {
    /// The metadata of one object (`S3.NoSuchBucket`/`S3.NoSuchKey` when it is not there).
    func head(bucket: String, key: String) throws(ObjectStoreError) -> ObjectMetadata
    /// Opens an object for reading, optionally only the bytes in `range`.
    func open(bucket: String, key: String, range: Range<Int64>?) throws(ObjectStoreError) -> any ObjectReader
    /// Starts an object that becomes visible, whole, only when the writer commits.
    func create(bucket: String, key: String) throws(ObjectStoreError) -> any ObjectWriter
    /// One page of a ListObjectsV2 listing.
    func list(_ request: ListRequest) throws(ObjectStoreError) -> ListPage
}

extension ObjectStore {
    /// Writes a whole object atomically.
    public func put(bucket: String, key: String, bytes: some Collection<UInt8>) throws(ObjectStoreError) {
        let writer = try create(bucket: bucket, key: key)
        try writer.write(Array(bytes))
        try writer.commit()
    }

    /// Reads a whole object, or the bytes in `range` (for small objects and parts; readers of
    /// datasets stream instead).
    public func get(bucket: String, key: String, range: Range<Int64>? = nil) throws(ObjectStoreError) -> [UInt8] {
        let reader = try open(bucket: bucket, key: key, range: range)
        var bytes: [UInt8] = []
        while let chunk = try reader.next() { bytes.append(contentsOf: chunk) }
        return bytes
    }
}

/// Reads an object in chunks, in order.
public protocol ObjectReader: AnyObject {
    /// The next chunk, or nil at the end.
    func next() throws(ObjectStoreError) -> [UInt8]?
}

/// Writes an object; nothing is visible until `commit`, and `abandon` leaves no trace.
public protocol ObjectWriter: AnyObject {
    func write(_ bytes: [UInt8]) throws(ObjectStoreError)
    /// Makes the object visible under its key, replacing any previous one; returns its size.
    @discardableResult func commit() throws(ObjectStoreError) -> Int64
    func abandon()
}

public struct ObjectMetadata: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// Quoted, as S3 gives it: `"d41d8cd98f00b204e9800998ecf8427e"`.
    public var etag: String
    public var lastModified: Date
    public var storageClass: String

    public init(key: String, size: Int64, etag: String, lastModified: Date, storageClass: String = "STANDARD") {
        self.key = key
        self.size = size
        self.etag = etag
        self.lastModified = lastModified
        self.storageClass = storageClass
    }
}

/// ListObjectsV2's request fields.
public struct ListRequest: Sendable {
    public var bucket: String
    public var prefix: String
    public var delimiter: String?
    /// At most 1,000, as S3 returns.
    public var maxKeys: Int
    public var continuationToken: String?
    public var startAfter: String?
    /// Whether the caller needs ETags. A store that must read an object to know its ETag (the
    /// local directory) may then leave it empty; readers that open every listed object anyway
    /// ask for none, so each object is read once.
    public var withETags = true

    public init(bucket: String, prefix: String = "", delimiter: String? = nil, maxKeys: Int = 1000, continuationToken: String? = nil, startAfter: String? = nil) {
        self.bucket = bucket
        self.prefix = prefix
        self.delimiter = delimiter
        self.maxKeys = maxKeys
        self.continuationToken = continuationToken
        self.startAfter = startAfter
    }
}

public struct ListPage: Sendable {
    public var contents: [ObjectMetadata]
    public var commonPrefixes: [String]
    public var isTruncated: Bool
    public var nextContinuationToken: String?
}

/// A store failure, named as the S3 service integration names it (`S3.NoSuchKeyException`).
public struct ObjectStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case noSuchBucket = "NoSuchBucket"
        case noSuchKey = "NoSuchKey"
        case invalidArgument = "InvalidArgument"
        case invalidRange = "InvalidRange"
        case io = "InternalError"
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The error name a Task state sees: `S3.NoSuchKeyException`, ...
    public var errorName: String { "S3.\(code.rawValue)Exception" }

    public var description: String { "\(code.rawValue): \(message)" }
}
