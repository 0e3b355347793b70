import Crypto
import Foundation
import JSONCore

/// The functions AWS Step Functions adds to JSONata.
extension Builtins {
    static func registerStepFunctions(into t: inout [String: NativeFunction]) {
        registerFormatting(into: &t)
        define(&t, "partition", "<an:a>", arity: 2) { call in
            guard let items = call.items(0), let size = call.number(1) else { return nil }
            guard size >= 1, size == size.rounded() else {
                throw JSONataError("D3020", message: "The size argument of $partition must be a positive integer")
            }
            let chunk = Int(size)
            return .array(stride(from: 0, to: items.count, by: chunk).map { .array(Array(items[$0..<min($0 + chunk, items.count)])) })
        }
        define(&t, "range", "<nnn?:a>", arity: 3) { call in
            guard let start = call.number(0), let end = call.number(1) else { return nil }
            let step = call.number(2) ?? 1
            guard step != 0, step.isFinite else { return .array([]) }
            var values: [Value] = []
            var v = start
            while step > 0 ? v <= end : v >= end {
                values.append(.number(v))
                if values.count > 10_000_000 { throw JSONataError("D2014", value: .number(Double(values.count))) }
                v += step
            }
            // A sequence, as AWS's $range is: one value comes back alone.
            return .sequence(values)
        }
        define(&t, "hash", "<ss?:s>", arity: 2) { call in
            guard let text = call.string(0) else { return nil }
            let data = Data(text.utf8)
            let digest: [UInt8]
            switch call.string(1) ?? "SHA-256" {
            case "MD5": digest = Array(Insecure.MD5.hash(data: data))
            case "SHA-1": digest = Array(Insecure.SHA1.hash(data: data))
            case "SHA-256": digest = Array(SHA256.hash(data: data))
            case "SHA-384": digest = Array(SHA384.hash(data: data))
            case "SHA-512": digest = Array(SHA512.hash(data: data))
            case let other:
                throw JSONataError("D3137", message: "Unsupported hash algorithm: \(other)")
            }
            return .string(digest.map { String(format: "%02x", $0) }.joined())
        }
        define(&t, "random", "<n?:n>", arity: 1) { call in
            if let seed = call.number(0) {
                var random = JavaRandom(seed: Int64(seed.clamped))
                return .number(random.nextDouble())
            }
            return .number(call.evaluator.random.next())
        }
        define(&t, "uuid", "<:s>", arity: 0) { _ in .string(RandomUUID.string()) }
        define(&t, "parse", "<s-:j>", arity: 1) { call in
            guard let text = call.string(0) else { return nil }
            do {
                return Value(try JSONValue(parsing: text))
            } catch {
                throw JSONataError("D3137", message: "Unable to parse the JSON string: \(error)")
            }
        }
    }
}
