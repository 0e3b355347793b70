import ASLErrors
import Foundation
import JSONCore
import MapRuns
import ObjectStore

/// Reads a JSONL or CSV object into items through the Distributed Map's item readers (the
/// local directory store, streamed), and prints one line: `format bytes items seconds MB/s`
/// (the best of `repeats`).
struct ReaderBenchmark {
    var root: String
    var key: String
    var format: String
    var repeats: Int

    func run() throws {
        let store = LocalDirectoryStore(root: URL(fileURLWithPath: root))
        let io = ObjectStoreMapIO(store: store)
        let size = (try FileManager.default.attributesOfItem(atPath: root + "/data/" + key)[.size] as? NSNumber)?.int64Value ?? 0
        var config = JSONObject()
        config["InputType"] = .string(format)
        var fastest = Double.infinity
        var count = 0
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            let items = try io.openItems(resource: ObjectStoreMapIO.getObject, parameters: ["Bucket": "data", "Key": .string(key)], readerConfig: .object(config))
            count = 0
            while try items.next() != nil { count += 1 }
            fastest = min(fastest, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        print(String(format: "%@ %lld %d %.6f %.1f", format, size, count, fastest, Double(size) / 1e6 / fastest))
    }
}
