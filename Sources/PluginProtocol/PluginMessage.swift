import Foundation
import JSONCore
import Synchronization

/// The plugin protocol, version 1 (normative text: `protocol/README.md`): one JSON object per
/// line on the plugin's stdin and stdout, UTF-8, each line ended by `\n`.
public enum PluginProtocol {
    /// The protocol versions this host speaks.
    public static let versions: [Int64] = [1]
    /// The longest line either side may write, newline excluded: Lambda's 6 MB synchronous
    /// payload limit.
    public static let maximumLineBytes = 6_291_456
}

/// What a plugin says on its stdout.
public enum PluginMessage: Sendable, Equatable {
    /// The first line a plugin writes.
    case hello(PluginHello)
    /// An invocation's return value.
    case result(id: String, payload: JSONValue)
    /// An invocation's failure, in Lambda's shape.
    case error(id: String, PluginError)
    /// The invocation is alive (resets the Task state's `HeartbeatSeconds` window).
    case heartbeat(id: String)
    /// A structured log line; `id` names the invocation it belongs to, when it does.
    case log(id: String?, level: String, message: String)
    /// A message of a type this version does not know: ignored, as the protocol requires.
    case unknown(type: String)
}

public struct PluginHello: Sendable, Equatable {
    public var protocolVersions: [Int64]
    public var name: String?
    public var version: String?
    /// How many invocations the plugin runs at once (1 unless it says more).
    public var concurrency: Int

    public init(protocolVersions: [Int64], name: String? = nil, version: String? = nil, concurrency: Int = 1) {
        self.protocolVersions = protocolVersions
        self.name = name
        self.version = version
        self.concurrency = concurrency
    }
}

/// A failure as Lambda reports it: `errorType` becomes the ASL error name.
public struct PluginError: Error, Sendable, Equatable {
    public var errorType: String
    public var errorMessage: String
    public var stackTrace: [String]

    public init(errorType: String, errorMessage: String = "", stackTrace: [String] = []) {
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.stackTrace = stackTrace
    }
}

/// Why a line from a plugin is not a valid message.
public struct PluginProtocolViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension PluginMessage {
    /// The invocation number of a line that starts `{"type":"result","id":"N","payload":`
    /// (N a decimal number without leading zeros) and ends with `}` — how the bundled runners
    /// write results — found without parsing the line; nil for any other line. Whether the
    /// line is a valid message is for `decode` to say.
    public static func resultNumber(inPrefixOf line: UnsafeBufferPointer<UInt8>) -> UInt64? {
        resultPrefix(of: line)?.number
    }

    /// The result of a line that is exactly `{"type":"result","id":"N","payload":V}` (as
    /// `resultNumber(inPrefixOf:)` finds N), V one JSON value: V is parsed alone, without the
    /// object around it. Nil for any other line, `decode`'s to read (and to say what is wrong).
    /// What this returns is what `decode` makes of the same line.
    public static func decodeResult(_ line: UnsafeBufferPointer<UInt8>) -> (number: UInt64, payload: JSONValue)? {
        guard let (number, payloadStart) = resultPrefix(of: line) else { return nil }
        // Between the prefix and the closing brace: one value, or (when more members follow,
        // say) not a JSON text at all. Inside the message's object, it may nest one level less.
        let payloadBytes = UnsafeBufferPointer(rebasing: line[payloadStart..<(line.count - 1)])
        let parser = parsers.withLock { $0.popLast() } ?? LineParser()
        defer { keep(parser) }
        guard let payload = try? parser.document.parse(payloadBytes, maximumDepth: JSONParser.maximumDepth - 1) else { return nil }
        return (number, payload)
    }

    /// N and where V starts, for `resultNumber(inPrefixOf:)` and `decodeResult`.
    private static func resultPrefix(of line: UnsafeBufferPointer<UInt8>) -> (number: UInt64, payloadStart: Int)? {
        let head: StaticString = #"{"type":"result","id":""#
        let tail: StaticString = #"","payload":"#
        let headCount = head.utf8CodeUnitCount, tailCount = tail.utf8CodeUnitCount
        guard line.count > headCount + 1 + tailCount, line[line.count - 1] == UInt8(ascii: "}"),
            memcmp(line.baseAddress!, head.utf8Start, headCount) == 0
        else { return nil }
        var position = headCount
        var number: UInt64 = 0
        while position < line.count, line[position] &- UInt8(ascii: "0") < 10, position - headCount < 19 {
            number = number * 10 + UInt64(line[position] &- UInt8(ascii: "0"))
            position += 1
        }
        let digits = position - headCount
        guard digits > 0, !(digits > 1 && line[headCount] == UInt8(ascii: "0")), line.count - position > tailCount,
            memcmp(line.baseAddress! + position, tail.utf8Start, tailCount) == 0
        else { return nil }
        return (number, position + tailCount)
    }

    /// Decodes one line (without its newline). Unknown fields are ignored; a missing or
    /// mistyped required field is a violation.
    public static func decode(_ line: UnsafeBufferPointer<UInt8>) throws(PluginProtocolViolation) -> PluginMessage {
        let value: JSONValue
        let parser = parsers.withLock { $0.popLast() } ?? LineParser()
        do {
            value = try parser.document.parse(line)
        } catch {
            throw PluginProtocolViolation("the line is not JSON (\(error.message) at column \(error.column))")
        }
        keep(parser)
        return try decode(value)
    }

    /// Returns a parser to the pool, unless a large line grew its scratch space.
    private static func keep(_ parser: LineParser) {
        if parser.document.scratchCapacity <= 4_096 { parsers.withLock { if $0.count < 8 { $0.append(parser) } } }
    }

    /// Parsers for lines, reused: lines are small and repeat their keys, so a document
    /// parser's scratch space and key cache pay off (a one-off parse sets both up and throws
    /// them away, for every answer of a Map Run's children). One per concurrent decoder.
    private static let parsers = Mutex<[LineParser]>([])

    /// @unchecked: a parser is used by one decoder at a time, which takes it out of the pool
    /// (under its lock) and puts it back when done.
    private final class LineParser: @unchecked Sendable {
        let document = JSONDocumentParser()
    }

    public static func decode(_ value: JSONValue) throws(PluginProtocolViolation) -> PluginMessage {
        guard case .object(let object) = value else {
            throw PluginProtocolViolation("a message must be a JSON object, not \(value.typeName == "object" ? "an" : "a") \(value.typeName)")
        }
        guard case .string(let type)? = object["type"] else {
            throw PluginProtocolViolation("the message has no string field \"type\"")
        }
        func text(_ key: String) throws(PluginProtocolViolation) -> String {
            guard case .string(let string)? = object[key] else {
                throw PluginProtocolViolation("a \"\(type)\" message needs the string field \"\(key)\"")
            }
            return string
        }
        func optionalText(_ key: String) throws(PluginProtocolViolation) -> String? {
            switch object[key] {
            case nil, .null?: return nil
            case .string(let string)?: return string
            default: throw PluginProtocolViolation("the field \"\(key)\" of a \"\(type)\" message must be a string")
            }
        }
        switch type {
        case "hello":
            guard case .array(let list)? = object["protocol"], !list.isEmpty else {
                throw PluginProtocolViolation("a \"hello\" message needs \"protocol\", a non-empty array of version numbers")
            }
            var versions: [Int64] = []
            for entry in list {
                guard let version = entry.integerValue else {
                    throw PluginProtocolViolation("\"protocol\" must list integer version numbers")
                }
                versions.append(version)
            }
            var concurrency = 1
            if let given = object["concurrency"], !given.isNull {
                guard let number = given.integerValue, number >= 1, number <= 1024 else {
                    throw PluginProtocolViolation("\"concurrency\" must be an integer from 1 to 1024")
                }
                concurrency = Int(number)
            }
            return .hello(PluginHello(protocolVersions: versions, name: try optionalText("name"), version: try optionalText("version"), concurrency: concurrency))
        case "result":
            guard let payload = object["payload"] else {
                throw PluginProtocolViolation("a \"result\" message needs the field \"payload\" (null is allowed)")
            }
            return .result(id: try text("id"), payload: payload)
        case "error":
            var trace: [String] = []
            switch object["stackTrace"] {
            case nil, .null?: break
            case .array(let lines)?:
                for line in lines {
                    guard case .string(let string) = line else {
                        throw PluginProtocolViolation("\"stackTrace\" must be an array of strings")
                    }
                    trace.append(string)
                }
            default: throw PluginProtocolViolation("\"stackTrace\" must be an array of strings")
            }
            let error = PluginError(errorType: try text("errorType"), errorMessage: try optionalText("errorMessage") ?? "", stackTrace: trace)
            return .error(id: try text("id"), error)
        case "heartbeat":
            return .heartbeat(id: try text("id"))
        case "log":
            return .log(id: try optionalText("id"), level: try optionalText("level") ?? "info", message: try text("message"))
        default:
            return .unknown(type: type)
        }
    }
}
