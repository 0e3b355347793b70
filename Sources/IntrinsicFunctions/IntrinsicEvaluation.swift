import ASLErrors
import Foundation
import JSONCore
import PathExpressions

/// Why an intrinsic call failed at run time.
public enum IntrinsicEvaluationError: Error, Sendable, Equatable {
    /// A path argument selected nothing; the caller names the field in AWS's cause text.
    case pathFailed(Selector, JSONPathError)
    /// The function rejected its arguments: `States.IntrinsicFailure`.
    case failed(ExecutionFailure)
}

extension IntrinsicCall {
    /// Evaluates the call against `scope`.
    public func evaluate(in scope: DataScope) throws(IntrinsicEvaluationError) -> JSONValue {
        var values: [JSONValue] = []
        values.reserveCapacity(arguments.count)
        for argument in arguments {
            switch argument {
            case .literal(let v): values.append(v)
            case .string(_, let value): values.append(.string(value))
            case .path(let selector):
                do {
                    values.append(try selector.select(in: scope))
                } catch {
                    throw .pathFailed(selector, error)
                }
            case .call(let inner): values.append(try inner.evaluate(in: scope))
            }
        }
        do {
            return try IntrinsicLibrary(call: self, values: values).run()
        } catch {
            throw .failed(ExecutionFailure(.intrinsicFailure, cause: error.cause))
        }
    }
}

extension String {
    /// Doubles backslashes, so a template taken from data has no escapes of its own.
    fileprivate func replacingBackslashes() -> String {
        contains("\\") ? replacingOccurrences(of: "\\", with: "\\\\") : self
    }
}

/// A rejected argument; its text becomes the cause of `States.IntrinsicFailure`.
struct IntrinsicArgumentError: Error {
    var cause: String
}

/// The functions themselves, with AWS's argument rules and limits.
struct IntrinsicLibrary {
    let call: IntrinsicCall
    let values: [JSONValue]

    /// AWS limits the string arguments of Base64Encode, Base64Decode and Hash to 10,000 characters.
    static let maximumStringLength = 10_000
    /// AWS limits the array ArrayRange builds to 1,000 elements.
    static let maximumRangeLength = 1_000

    private var name: String { call.function.rawValue }

    private func fail(_ reason: String) -> IntrinsicArgumentError {
        IntrinsicArgumentError(cause: "Invalid arguments in \(name): \(reason)")
    }

    private func string(_ i: Int, _ role: String) throws(IntrinsicArgumentError) -> String {
        guard case .string(let s) = values[i] else {
            throw fail("the \(role) must be a string, but was \(values[i].typeName): \(values[i].compactString)")
        }
        return s
    }

    private func array(_ i: Int, _ role: String = "first argument") throws(IntrinsicArgumentError) -> [JSONValue] {
        guard case .array(let a) = values[i] else {
            throw fail("the \(role) must be an array, but was \(values[i].typeName): \(values[i].compactString)")
        }
        return a
    }

    private func integer(_ i: Int, _ role: String) throws(IntrinsicArgumentError) -> Int64 {
        guard let n = values[i].integerValue else {
            throw fail("the \(role) must be an integer, but was \(values[i].typeName): \(values[i].compactString)")
        }
        return n
    }

    private func limitedString(_ i: Int, _ role: String) throws(IntrinsicArgumentError) -> String {
        let s = try string(i, role)
        guard s.count <= Self.maximumStringLength else {
            throw fail("the \(role) must be at most \(Self.maximumStringLength) characters long, but has \(s.count)")
        }
        return s
    }

    func run() throws(IntrinsicArgumentError) -> JSONValue {
        switch call.function {
        case .format: return try format()
        case .stringToJson:
            let text = try string(0, "argument")
            if text.allSatisfy(\.isWhitespace) { return .null }  // AWS: "" and " " give null
            do {
                return try JSONValue(parsing: text)
            } catch {
                throw fail("the argument is not valid JSON (\(error)): \(text)")
            }
        case .jsonToString:
            return .string(values[0].compactString)
        case .array:
            return .array(values)
        case .arrayPartition:
            let elements = try array(0)
            let size = try integer(1, "chunk size")
            guard size > 0 else { throw fail("the chunk size must be a positive integer, but was \(size)") }
            var chunks: [JSONValue] = []
            var start = 0
            while start < elements.count {
                let end = min(elements.count, start + Int(clamping: size))
                chunks.append(.array(Array(elements[start..<end])))
                start = end
            }
            return .array(chunks)
        case .arrayContains:
            return .bool(try array(0).contains(values[1]))
        case .arrayRange:
            return try arrayRange()
        case .arrayGetItem:
            let elements = try array(0)
            let index = try integer(1, "index")
            guard index >= 0, index < elements.count else {
                throw fail("the index \(index) is out of bounds for an array of \(elements.count) elements")
            }
            return elements[Int(index)]
        case .arrayLength:
            return .int(Int64(try array(0).count))
        case .arrayUnique:
            var seen = Set<JSONValue>()
            return .array(try array(0).filter { seen.insert($0).inserted })
        case .base64Encode:
            return .string(Data(try limitedString(0, "argument").utf8).base64EncodedString())
        case .base64Decode:
            let text = try limitedString(0, "argument")
            guard let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8) else {
                throw fail("the argument is not valid Base64-encoded UTF-8 text: \(text)")
            }
            return .string(decoded)
        case .hash:
            return try hash()
        case .jsonMerge:
            guard case .object(var merged) = values[0] else {
                throw fail("the first argument must be a JSON object, but was \(values[0].typeName)")
            }
            guard case .object(let other) = values[1] else {
                throw fail("the second argument must be a JSON object, but was \(values[1].typeName)")
            }
            guard case .bool(let deep) = values[2] else {
                throw fail("the third argument must be a boolean, but was \(values[2].typeName)")
            }
            // AWS supports only the shallow merge: a key of the second object replaces the first's.
            guard !deep else { throw fail("deep merge is not supported; the third argument must be false") }
            for member in other.members { merged[member.key] = member.value }
            return .object(merged)
        case .mathRandom:
            let start = try integer(0, "start")
            let end = try integer(1, "end")
            guard start < end, let bound = Int32(exactly: end - start) else {
                throw fail("the start (\(start)) must be less than the end (\(end)), both 32-bit integers")
            }
            if values.count == 3 {
                var random = JavaRandom(seed: try integer(2, "seed"))
                return .int(start + Int64(random.nextInt(bound)))
            }
            return .int(Int64.random(in: start..<end))
        case .mathAdd:
            return try mathAdd()
        case .stringSplit:
            let text = try string(0, "first argument")
            let delimiters = Set(try string(1, "second argument").unicodeScalars)
            var parts: [JSONValue] = []
            var current = String.UnicodeScalarView()
            for scalar in text.unicodeScalars {
                if delimiters.contains(scalar) {
                    if !current.isEmpty { parts.append(.string(String(current))) }
                    current = String.UnicodeScalarView()
                } else {
                    current.append(scalar)
                }
            }
            if !current.isEmpty { parts.append(.string(String(current))) }
            return .array(parts)
        case .uuid:
            return .string(RandomUUID.string())
        }
    }

    /// `{}` placeholders take the arguments after the template in order; `\{`, `\}`, `\'` and
    /// `\\` are literal characters.
    private func format() throws(IntrinsicArgumentError) -> JSONValue {
        let raw: String
        switch call.arguments[0] {
        case .string(let literal, _): raw = literal
        default:
            // A template from a path or a nested call is used as it is.
            guard case .string(let value) = values[0] else {
                throw fail("the first argument must be a string, but was \(values[0].typeName)")
            }
            raw = value.replacingBackslashes()
        }
        var output = ""
        var next = 1
        var chars = raw[...]
        while let c = chars.popFirst() {
            if c == "\\", let escaped = chars.popFirst() {
                output.append(escaped)  // The parser admits only \', \{, \} and \\.
            } else if c == "{", chars.first == "}" {
                chars.removeFirst()
                guard next < values.count else {
                    throw fail("the template has more placeholders than the \(values.count - 1) arguments given")
                }
                output += Self.javaString(values[next])
                next += 1
            } else {
                output.append(c)
            }
        }
        guard next == values.count else {
            throw fail("the template has \(next - 1) placeholders but \(values.count - 1) arguments were given")
        }
        return .string(output)
    }

    /// How AWS's Java runtime turns a value into text for `States.Format`: strings as they
    /// are, objects as `{key=value, ...}` and arrays as `[a, b]` (Java's `Map`/`List`
    /// `toString`), numbers as Java prints them.
    static func javaString(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .int(let i): String(i)
        case .double(let d): JSONNumberFormat.javaString(d)
        case .string(let s): s
        case .array(let a): "[" + a.map(javaString).joined(separator: ", ") + "]"
        case .object(let o): "{" + o.members.map { "\($0.key)=\(javaString($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    private func arrayRange() throws(IntrinsicArgumentError) -> JSONValue {
        let first = try integer(0, "first argument")
        let last = try integer(1, "second argument")
        let step = try integer(2, "step")
        guard step != 0 else { throw fail("the step must not be zero") }
        let (span, overflow) = last.subtractingReportingOverflow(first)
        let count: Int64 = overflow ? Int64.max : ((span >= 0) == (step > 0) ? span / step + 1 : 0)
        guard count <= Self.maximumRangeLength else {
            throw fail("the range would have \(count) elements, more than the \(Self.maximumRangeLength) allowed")
        }
        return .array((0..<count).map { .int(first + $0 * step) })
    }

    private func mathAdd() throws(IntrinsicArgumentError) -> JSONValue {
        func rounded(_ i: Int, _ role: String) throws(IntrinsicArgumentError) -> Int64 {
            guard let d = values[i].doubleValue else {
                throw fail("the \(role) must be a number, but was \(values[i].typeName): \(values[i].compactString)")
            }
            if case .int(let n) = values[i] { return n }
            // AWS: non-integers are rounded as Java's Math.round does (half up, toward +∞).
            return Int64((d + 0.5).rounded(.down))
        }
        let a = try rounded(0, "first argument")
        let b = try rounded(1, "second argument")
        let (sum, overflow) = a.addingReportingOverflow(b)
        guard !overflow else { throw fail("the sum of \(a) and \(b) is out of range") }
        return .int(sum)
    }

    private func hash() throws(IntrinsicArgumentError) -> JSONValue {
        let data: String
        if case .string(let s) = values[0] { data = s } else { data = values[0].compactString }
        guard data.count <= Self.maximumStringLength else {
            throw fail("the data must be at most \(Self.maximumStringLength) characters long, but has \(data.count)")
        }
        let algorithm = try string(1, "algorithm")
        guard let digest = HashAlgorithm(rawValue: algorithm) else {
            throw fail("the algorithm must be one of \(HashAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")), but was \(algorithm)")
        }
        return .string(digest.hexDigest(of: Array(data.utf8)))
    }
}
