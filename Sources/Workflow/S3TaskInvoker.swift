import ASLErrors
import Foundation
import Interpreter
import JSONCore
import ObjectStore

/// Runs the S3 SDK integrations users reach for beside a Distributed Map against the object
/// store: `arn:aws:states:::aws-sdk:s3:getObject`, `putObject` and `listObjectsV2`, with the
/// AWS SDK's request and response field names and `S3.<Code>Exception` errors. Every other
/// resource goes to `next`.
public struct S3TaskInvoker: TaskInvoker {
    let store: any ObjectStore
    let next: any TaskInvoker

    public init(store: any ObjectStore, next: any TaskInvoker) {
        self.store = store
        self.next = next
    }

    static let prefix: StaticString = "arn:aws:states:::aws-sdk:s3:"

    nonisolated(nonsending) public func invoke(_ request: TaskRequest) async throws(ExecutionFailure) -> JSONValue {
        guard request.resource.hasBytePrefix(Self.prefix) else { return try await next.invoke(request) }
        let action = String(decoding: request.resource.utf8.dropFirst(Self.prefix.utf8CodeUnitCount), as: UTF8.self)
        let parameters = request.payload
        do {
            switch action {
            case "getObject": return try getObject(parameters)
            case "putObject": return try putObject(parameters)
            case "listObjectsV2": return try listObjectsV2(parameters)
            default:
                throw ExecutionFailure(
                    LambdaTaskInvoker.unsupportedResource, cause: "Statesman runs the S3 actions getObject, putObject and listObjectsV2; not \(action)")
            }
        } catch let error as ObjectStoreError {
            throw ExecutionFailure(ErrorName(error.errorName), cause: "\(error.message) (Service: S3, Status Code: \(Self.status(error.code)), Request ID: \(Self.requestId()))")
        } catch let failure as ExecutionFailure {
            throw failure
        } catch {
            throw ExecutionFailure(.taskFailed, cause: "\(error)")
        }
    }

    static func status(_ code: ObjectStoreError.Code) -> Int {
        switch code {
        case .noSuchBucket, .noSuchKey: 404
        case .invalidArgument: 400
        case .invalidRange: 416
        case .io: 500
        }
    }

    static func requestId() -> String {
        String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16))
    }

    private func required(_ parameters: JSONValue, _ name: String) throws -> String {
        guard let value = parameters[name]?.stringValue, !value.isEmpty else {
            throw ExecutionFailure(ErrorName("S3.S3Exception"), cause: "The request is missing the parameter \(name) (Service: S3, Status Code: 400)")
        }
        return value
    }

    /// `{Body, ContentLength, ContentType, ETag, LastModified, ...}`; the body as text.
    private func getObject(_ parameters: JSONValue) throws -> JSONValue {
        let bucket = try required(parameters, "Bucket")
        let key = try required(parameters, "Key")
        let metadata = try store.head(bucket: bucket, key: key)
        var range: Range<Int64>?
        if let text = parameters["Range"]?.stringValue {
            range = Self.byteRange(text, size: metadata.size)
        }
        let reader = try store.open(bucket: bucket, key: key, range: range)
        var bytes: [UInt8] = []
        while let chunk = try reader.next() { bytes.append(contentsOf: chunk) }
        var response = JSONObject()
        response["AcceptRanges"] = "bytes"
        response["Body"] = .string(String(decoding: bytes, as: UTF8.self))
        response["ContentLength"] = .int(Int64(bytes.count))
        if let range { response["ContentRange"] = .string("bytes \(range.lowerBound)-\(range.upperBound - 1)/\(metadata.size)") }
        response["ContentType"] = "application/octet-stream"
        response["ETag"] = .string(metadata.etag)
        response["LastModified"] = .string(Self.timestamp(metadata.lastModified))
        response["Metadata"] = .object(JSONObject())
        return .object(response)
    }

    /// `bytes=START-END` or `bytes=START-` or `bytes=-SUFFIX`.
    static func byteRange(_ text: String, size: Int64) -> Range<Int64>? {
        guard text.hasPrefix("bytes=") else { return nil }
        let parts = text.dropFirst(6).split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        if parts[0].isEmpty, let suffix = Int64(parts[1]) { return max(0, size - suffix)..<size }
        guard let start = Int64(parts[0]) else { return nil }
        let end = parts[1].isEmpty ? size - 1 : min(Int64(parts[1]) ?? size - 1, size - 1)
        return start..<max(start, end + 1)
    }

    /// The body may be text, or any JSON value (written as compact JSON text).
    private func putObject(_ parameters: JSONValue) throws -> JSONValue {
        let bucket = try required(parameters, "Bucket")
        let key = try required(parameters, "Key")
        let body: [UInt8]
        switch parameters["Body"] {
        case .string(let text)?: body = Array(text.utf8)
        case nil, .null?: body = []
        case let value?: body = Array(value.compactString.utf8)
        }
        try store.put(bucket: bucket, key: key, bytes: body)
        let metadata = try store.head(bucket: bucket, key: key)
        return ["ETag": .string(metadata.etag), "ServerSideEncryption": "AES256"]
    }

    /// ListObjectsV2's response: `Contents`, `CommonPrefixes`, `IsTruncated`, `KeyCount`, ...
    private func listObjectsV2(_ parameters: JSONValue) throws -> JSONValue {
        let bucket = try required(parameters, "Bucket")
        var request = ListRequest(bucket: bucket, prefix: parameters["Prefix"]?.stringValue ?? "")
        request.delimiter = parameters["Delimiter"]?.stringValue
        if let maxKeys = parameters["MaxKeys"]?.integerValue { request.maxKeys = Int(maxKeys) }
        request.continuationToken = parameters["ContinuationToken"]?.stringValue
        request.startAfter = parameters["StartAfter"]?.stringValue
        let page = try store.list(request)
        var response = JSONObject()
        response["CommonPrefixes"] = .array(page.commonPrefixes.map { ["Prefix": .string($0)] })
        response["Contents"] = .array(
            page.contents.map { object in
                [
                    "ETag": .string(object.etag), "Key": .string(object.key), "LastModified": .string(Self.timestamp(object.lastModified)),
                    "Size": .int(object.size), "StorageClass": .string(object.storageClass),
                ]
            })
        if let token = request.continuationToken { response["ContinuationToken"] = .string(token) }
        if let delimiter = request.delimiter { response["Delimiter"] = .string(delimiter) }
        response["IsTruncated"] = .bool(page.isTruncated)
        response["KeyCount"] = .int(Int64(page.contents.count + page.commonPrefixes.count))
        response["MaxKeys"] = .int(Int64(request.maxKeys))
        response["Name"] = .string(bucket)
        if let next = page.nextContinuationToken { response["NextContinuationToken"] = .string(next) }
        response["Prefix"] = .string(request.prefix)
        if let after = request.startAfter { response["StartAfter"] = .string(after) }
        return .object(response)
    }

    /// `2026-11-26T05:34:00Z`, as the SDK renders S3's dates; written directly (a listing
    /// formats up to a thousand of them, and a date formatter per call costs more than that).
    static func timestamp(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday), Int(parts.tm_hour),
            Int(parts.tm_min), Int(parts.tm_sec))
    }
}
