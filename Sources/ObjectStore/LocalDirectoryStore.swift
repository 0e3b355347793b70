import Crypto
import Foundation
import Synchronization

/// The embedded object store: a directory whose sub-directories are buckets and whose files,
/// by their paths relative to the bucket, are objects (`logs/2024/a.jsonl`).
///
/// Writes go to a temporary file inside the bucket (under `.statesman-tmp/`, which listings
/// skip) and are renamed into place, so a reader never sees half an object. ETags are the MD5
/// of the content, as S3 gives for objects uploaded in one part; they are computed once per
/// file version (path, size, modification time) and remembered.
public final class LocalDirectoryStore: ObjectStore {
    public let root: URL
    static let temporaryDirectory = ".statesman-tmp"
    static let chunkSize = 1 << 20

    private struct Fingerprint: Hashable {
        var path: String
        var size: Int64
        var modified: Double
    }

    private let etags = Mutex<[Fingerprint: String]>([:])
    /// The sorted keys of the last listing, so its continuation pages do not walk the
    /// directory again.
    private let lastListing = Mutex<(bucket: String, prefix: String, keys: [String])?>(nil)
    /// The temporary directories already swept of dead processes' files.
    private let swept = Mutex<Set<String>>([])

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    // MARK: - Paths

    func bucketURL(_ bucket: String) throws(ObjectStoreError) -> URL {
        guard !bucket.isEmpty, !bucket.contains("/"), bucket != ".", bucket != ".." else {
            throw ObjectStoreError(.invalidArgument, "The bucket name \"\(bucket)\" is not valid")
        }
        let url = root.appendingPathComponent(bucket, isDirectory: true)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ObjectStoreError(.noSuchBucket, "The specified bucket does not exist (no directory \(url.path))")
        }
        return url
    }

    func objectURL(bucket: String, key: String) throws(ObjectStoreError) -> URL {
        let components = key.split(separator: "/", omittingEmptySubsequences: false)
        guard !key.isEmpty, !key.hasPrefix("/"), !components.contains(where: { $0 == "." || $0 == ".." }),
            components.first != Substring(Self.temporaryDirectory)
        else {
            throw ObjectStoreError(.invalidArgument, "The key \"\(key)\" cannot be stored in a local directory store")
        }
        return try bucketURL(bucket).appendingPathComponent(key, isDirectory: false)
    }

    // MARK: - Reading

    public func head(bucket: String, key: String) throws(ObjectStoreError) -> ObjectMetadata {
        let url = try objectURL(bucket: bucket, key: key)
        guard let metadata = try metadata(of: url, key: key) else {
            throw ObjectStoreError(.noSuchKey, "The specified key does not exist.")
        }
        return metadata
    }

    private func metadata(of url: URL, key: String, withETag: Bool = true) throws(ObjectStoreError) -> ObjectMetadata? {
        var status = stat()
        guard stat(url.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        let modified = Double(status.st_mtim.tv_sec) + Double(status.st_mtim.tv_nsec) / 1e9
        let fingerprint = Fingerprint(path: url.path, size: Int64(status.st_size), modified: modified)
        let etag: String
        if !withETag {
            etag = ""
        } else if let known = etags.withLock({ $0[fingerprint] }) {
            etag = known
        } else {
            etag = try Self.md5(of: url)
            etags.withLock { $0[fingerprint] = etag }
        }
        return ObjectMetadata(key: key, size: fingerprint.size, etag: etag, lastModified: Date(timeIntervalSince1970: modified))
    }

    static func md5(of url: URL) throws(ObjectStoreError) -> String {
        let reader = try FileObjectReader(url: url, range: nil)
        var hash = Insecure.MD5()
        while let chunk = try reader.next() { hash.update(data: chunk) }
        return "\"" + hash.finalize().map { String(format: "%02x", $0) }.joined() + "\""
    }

    public func open(bucket: String, key: String, range: Range<Int64>?) throws(ObjectStoreError) -> any ObjectReader {
        let url = try objectURL(bucket: bucket, key: key)
        var status = stat()
        guard stat(url.path, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw ObjectStoreError(.noSuchKey, "The specified key does not exist.")
        }
        if let range, range.lowerBound >= Int64(status.st_size), status.st_size > 0 {
            throw ObjectStoreError(.invalidRange, "The requested range is not satisfiable")
        }
        return try FileObjectReader(url: url, range: range)
    }

    // MARK: - Writing

    public func create(bucket: String, key: String) throws(ObjectStoreError) -> any ObjectWriter {
        let destination = try objectURL(bucket: bucket, key: key)
        let temporary = try bucketURL(bucket).appendingPathComponent(Self.temporaryDirectory, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        } catch {
            throw ObjectStoreError(.io, "cannot create \(temporary.path): \(error.localizedDescription)")
        }
        sweepOnce(temporary)
        // The writer's pid leads the name, so the files of a process that died can be told apart.
        return try FileObjectWriter(temporary: temporary.appendingPathComponent("\(getpid())-\(UUID().uuidString)"), destination: destination)
    }

    /// Removes, once per bucket, the temporary files of processes that no longer run (a
    /// killed `statesman run` leaves its unfinished result files there).
    private func sweepOnce(_ temporary: URL) {
        guard swept.withLock({ $0.insert(temporary.path).inserted }) else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? [] {
            guard let pid = name.split(separator: "-").first.flatMap({ Int32($0) }), pid != getpid() else { continue }
            if kill(pid, 0) != 0, errno == ESRCH { try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name)) }
        }
    }

    // MARK: - Listing

    public func list(_ request: ListRequest) throws(ObjectStoreError) -> ListPage {
        let bucketURL = try bucketURL(request.bucket)
        guard request.maxKeys >= 0 else { throw ObjectStoreError(.invalidArgument, "MaxKeys must not be negative") }
        var after = request.startAfter
        if let token = request.continuationToken {
            guard let data = Data(base64Encoded: token), let key = String(data: data, encoding: .utf8) else {
                throw ObjectStoreError(.invalidArgument, "The continuation token provided is incorrect")
            }
            after = max(after ?? "", key)
        }
        let keys: [String]
        if request.continuationToken != nil, let cached = lastListing.withLock({ $0 }), cached.bucket == request.bucket, cached.prefix == request.prefix {
            keys = cached.keys
        } else {
            keys = allKeys(in: bucketURL, prefix: request.prefix)
            lastListing.withLock { $0 = (request.bucket, request.prefix, keys) }
        }
        // Keys sort by their UTF-8 bytes, as S3 lists them; `after` skips what came before.
        var start = 0
        if let after {
            start = Self.firstIndex(in: keys, after: after)
        }
        var page = ListPage(contents: [], commonPrefixes: [], isTruncated: false, nextContinuationToken: nil)
        var lastReturned: String?
        var index = start
        let limit = min(request.maxKeys, 1000)
        while index < keys.count {
            if page.contents.count + page.commonPrefixes.count >= limit {
                page.isTruncated = true
                break
            }
            let key = keys[index]
            if let delimiter = request.delimiter, !delimiter.isEmpty,
                let range = key.dropFirst(request.prefix.count).range(of: delimiter)
            {
                let common = String(key[..<range.upperBound])
                page.commonPrefixes.append(common)
                // Skip every key under this common prefix.
                while index < keys.count, keys[index].hasPrefix(common) { index += 1 }
                lastReturned = keys[index - 1]
                continue
            }
            if let metadata = try metadata(of: bucketURL.appendingPathComponent(key), key: key, withETag: request.withETags) {
                page.contents.append(metadata)
            }
            lastReturned = key
            index += 1
        }
        if page.isTruncated, let lastReturned {
            page.nextContinuationToken = Data(lastReturned.utf8).base64EncodedString()
        }
        return page
    }

    static func firstIndex(in keys: [String], after key: String) -> Int {
        var low = 0, high = keys.count
        while low < high {
            let middle = (low + high) / 2
            if Self.precedesOrEqual(keys[middle], key) { low = middle + 1 } else { high = middle }
        }
        return low
    }

    static func precedesOrEqual(_ left: String, _ right: String) -> Bool {
        !right.utf8.lexicographicallyPrecedes(left.utf8)
    }

    /// Every key under `prefix`, sorted by UTF-8 bytes. The walk starts at the deepest
    /// directory the prefix names.
    private func allKeys(in bucketURL: URL, prefix: String) -> [String] {
        let directoryPart = prefix.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let start = directoryPart.isEmpty ? bucketURL : bucketURL.appendingPathComponent(directoryPart, isDirectory: true)
        var keys: [String] = []
        let base = bucketURL.path.hasSuffix("/") ? bucketURL.path : bucketURL.path + "/"
        guard let walker = FileManager.default.enumerator(at: start, includingPropertiesForKeys: [.isRegularFileKey], options: []) else { return [] }
        for case let url as URL in walker {
            let path = url.standardizedFileURL.path
            guard path.hasPrefix(base) else { continue }
            let key = String(path.dropFirst(base.count))
            if key == Self.temporaryDirectory || key.hasPrefix(Self.temporaryDirectory + "/") {
                walker.skipDescendants()
                continue
            }
            guard key.hasPrefix(prefix), (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            keys.append(key)
        }
        keys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        return keys
    }
}

/// Reads a file in 1 MiB chunks (or the bytes of a range).
final class FileObjectReader: ObjectReader {
    private let descriptor: Int32
    private var remaining: Int64
    private var buffer: [UInt8]

    init(url: URL, range: Range<Int64>?) throws(ObjectStoreError) {
        descriptor = Foundation.open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ObjectStoreError(errno == ENOENT ? .noSuchKey : .io, errno == ENOENT ? "The specified key does not exist." : "cannot read \(url.path): \(String(cString: strerror(errno)))")
        }
        remaining = Int64.max
        if let range {
            lseek(descriptor, off_t(range.lowerBound), SEEK_SET)
            remaining = range.upperBound - range.lowerBound
        }
        buffer = [UInt8](repeating: 0, count: LocalDirectoryStore.chunkSize)
    }

    deinit { close(descriptor) }

    func next() throws(ObjectStoreError) -> [UInt8]? {
        guard remaining > 0 else { return nil }
        let wanted = Int(min(Int64(buffer.count), remaining))
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, wanted) }
        if count < 0 { throw ObjectStoreError(.io, "read failed: \(String(cString: strerror(errno)))") }
        if count == 0 { return nil }
        remaining -= Int64(count)
        return Array(buffer[0..<count])
    }
}

/// Writes to a temporary file, renamed over the destination on commit.
final class FileObjectWriter: ObjectWriter {
    private let temporary: URL
    private let destination: URL
    private var descriptor: Int32
    private var size: Int64 = 0

    init(temporary: URL, destination: URL) throws(ObjectStoreError) {
        self.temporary = temporary
        self.destination = destination
        descriptor = Foundation.open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw ObjectStoreError(.io, "cannot create \(temporary.path): \(String(cString: strerror(errno)))") }
    }

    deinit { abandon() }

    func write(_ bytes: [UInt8]) throws(ObjectStoreError) {
        guard descriptor >= 0 else { throw ObjectStoreError(.io, "the object was already committed or abandoned") }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw ObjectStoreError(.io, "write failed: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        size += Int64(bytes.count)
    }

    func commit() throws(ObjectStoreError) -> Int64 {
        guard descriptor >= 0 else { throw ObjectStoreError(.io, "the object was already committed or abandoned") }
        let synced = fsync(descriptor)
        close(descriptor)
        descriptor = -1
        guard synced == 0 else {
            unlink(temporary.path)
            throw ObjectStoreError(.io, "cannot save \(destination.path): \(String(cString: strerror(errno)))")
        }
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            unlink(temporary.path)
            throw ObjectStoreError(.io, "cannot create \(destination.deletingLastPathComponent().path): \(error.localizedDescription)")
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary.path)
            throw ObjectStoreError(.io, "cannot save \(destination.path): \(reason)")
        }
        return size
    }

    func abandon() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporary.path)
    }
}
