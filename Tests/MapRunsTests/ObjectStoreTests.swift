import Foundation
import ObjectStore
import Testing
import TestSupport

/// A fresh store in a temporary directory with one bucket.
func temporaryStore(bucket: String = "data") throws -> LocalDirectoryStore {
    let root = TestFiles.path("store")
    try FileManager.default.createDirectory(at: root.appendingPathComponent(bucket), withIntermediateDirectories: true)
    return LocalDirectoryStore(root: root)
}

@Suite struct ObjectStoreTests {
    @Test func putThenGetHeadAndRange() throws {
        let store = try temporaryStore()
        try store.put(bucket: "data", key: "a/b/c.txt", bytes: Array("hello world".utf8))
        #expect(try store.get(bucket: "data", key: "a/b/c.txt") == Array("hello world".utf8))
        let head = try store.head(bucket: "data", key: "a/b/c.txt")
        #expect(head.size == 11)
        // MD5("hello world"), quoted as S3 gives it.
        #expect(head.etag == "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"")
        #expect(head.storageClass == "STANDARD")
        let reader = try store.open(bucket: "data", key: "a/b/c.txt", range: 6..<11)
        #expect(try reader.next() == Array("world".utf8))
        #expect(try reader.next() == nil)
    }

    @Test func missingBucketsAndKeysAreNamedErrors() throws {
        let store = try temporaryStore()
        #expect(throws: ObjectStoreError(.noSuchKey, "The specified key does not exist.")) { try store.head(bucket: "data", key: "nope") }
        do {
            _ = try store.get(bucket: "other", key: "x")
            Issue.record("a missing bucket was read")
        } catch {
            #expect(error.code == .noSuchBucket)
            #expect(error.errorName == "S3.NoSuchBucketException")
        }
        #expect(throws: ObjectStoreError.self) { try store.put(bucket: "data", key: "../escape", bytes: [1]) }
    }

    @Test func aWriteIsInvisibleUntilCommittedAndAbandonLeavesNothing() throws {
        let store = try temporaryStore()
        let writer = try store.create(bucket: "data", key: "big.json")
        try writer.write(Array("[1,".utf8))
        #expect(throws: ObjectStoreError.self) { try store.head(bucket: "data", key: "big.json") }
        #expect(try store.list(ListRequest(bucket: "data")).contents.isEmpty)
        try writer.write(Array("2]".utf8))
        #expect(try writer.commit() == 5)
        #expect(try store.get(bucket: "data", key: "big.json") == Array("[1,2]".utf8))
        let dropped = try store.create(bucket: "data", key: "dropped.json")
        try dropped.write([1, 2, 3])
        dropped.abandon()
        #expect(try store.list(ListRequest(bucket: "data")).contents.map(\.key) == ["big.json"])
    }

    @Test func listingPagesWithPrefixDelimiterAndContinuation() throws {
        let store = try temporaryStore()
        let keys = ["logs/2024/a.log", "logs/2024/b.log", "logs/2025/c.log", "logs/top.log", "other/x", "logs/z/deep/d.log"]
        for key in keys { try store.put(bucket: "data", key: key, bytes: Array(key.utf8)) }

        var page = try store.list(ListRequest(bucket: "data", prefix: "logs/", maxKeys: 2))
        var seen = page.contents.map(\.key)
        #expect(page.isTruncated)
        while let token = page.nextContinuationToken {
            page = try store.list(ListRequest(bucket: "data", prefix: "logs/", maxKeys: 2, continuationToken: token))
            seen += page.contents.map(\.key)
        }
        #expect(seen == ["logs/2024/a.log", "logs/2024/b.log", "logs/2025/c.log", "logs/top.log", "logs/z/deep/d.log"])

        let grouped = try store.list(ListRequest(bucket: "data", prefix: "logs/", delimiter: "/"))
        #expect(grouped.contents.map(\.key) == ["logs/top.log"])
        #expect(grouped.commonPrefixes == ["logs/2024/", "logs/2025/", "logs/z/"])
        #expect(!grouped.isTruncated)

        let after = try store.list(ListRequest(bucket: "data", startAfter: "logs/top.log"))
        #expect(after.contents.map(\.key) == ["logs/z/deep/d.log", "other/x"])
        #expect(throws: ObjectStoreError.self) { try store.list(ListRequest(bucket: "data", continuationToken: "%%%")) }
    }
}
