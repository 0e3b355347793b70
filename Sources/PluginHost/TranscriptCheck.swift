import Foundation
import JSONCore
import PluginProtocol

/// Replays a protocol transcript (`protocol/transcripts/*.jsonl`) against a plugin and reports
/// every way it departs from the protocol: the conformance test a plugin author runs.
///
/// A transcript is JSON Lines; each line is one step: `{"host": message}` (sent to the
/// plugin), `{"plugin": message}` (expected from it), `{"close": "stdin"}`, `{"exit": true}`
/// (it must exit), or `{"comment": text}`. An expected message is matched on its `type` and
/// `id`; a `result` may also be answered by an `error` (the function decides), unless `exact`
/// is set, when payloads must be equal too (for echo plugins). Heartbeats and log messages
/// may come at any time.
public struct TranscriptCheck: Sendable {
    public var timeout: Double
    public var exact: Bool

    public init(timeout: Double = 5, exact: Bool = false) {
        self.timeout = timeout
        self.exact = exact
    }

    /// The problems found (empty when the plugin passed), each naming the transcript line.
    public func run(transcript path: String, command: [String]) async -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return ["cannot read \(path)"] }
        let name = URL(fileURLWithPath: path).lastPathComponent
        var steps: [(line: Int, step: JSONObject)] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() where !line.isEmpty {
            guard case .object(let step)? = try? JSONValue(parsing: String(line)), step.count == 1 else {
                return ["\(name):\(index + 1): not a transcript step"]
            }
            steps.append((index + 1, step))
        }
        let session = PluginSession(arguments: command)
        defer { session.stop() }
        var problems: [String] = []
        var pending: [(line: Int, message: JSONValue)] = []
        var concurrency = 1
        var stdinClosed = false
        var log = RecentLog()

        // Reads plugin messages until every pending expectation is met.
        func settle() async -> Bool {
            while !pending.isEmpty {
                guard let event = await session.next(timeout: timeout) else {
                    problems.append("\(name):\(pending[0].line): \(Self.silence(expecting: pending[0].message, timeout: timeout))" + log.suffix)
                    return false
                }
                switch event {
                case .spawned: continue
                case .log(let line):
                    log.append(line)
                    continue
                case .spawnFailed(let reason):
                    problems.append("\(name): the plugin could not be started: \(reason)")
                    return false
                case .oversize:
                    problems.append("\(name):\(pending[0].line): the plugin wrote a line longer than \(PluginProtocol.maximumLineBytes) bytes")
                    return false
                case .exited(let status, let signal):
                    problems.append("\(name):\(pending[0].line): the plugin ended (\(ending(status: status, signal: signal))) while \(pending[0].message.compactString) was expected" + log.suffix)
                    return false
                case .line(let bytes):
                    let message: PluginMessage
                    do {
                        message = try bytes.withUnsafeBufferPointer { buffer throws(PluginProtocolViolation) in try PluginMessage.decode(buffer) }
                    } catch {
                        problems.append("\(name):\(pending[0].line): the plugin wrote an invalid line (\(error)): \(String(decoding: bytes.prefix(200), as: UTF8.self))")
                        return false
                    }
                    switch message {
                    case .heartbeat, .log, .unknown: continue
                    case .hello(let hello): concurrency = hello.concurrency
                    default: break
                    }
                    // In order for a plugin that runs one at a time; any order otherwise.
                    let window = concurrency > 1 ? pending.count : 1
                    guard let index = pending.prefix(window).firstIndex(where: { matches(message, $0.message) }) else {
                        problems.append("\(name):\(pending[0].line): expected \(pending[0].message.compactString), the plugin wrote \(String(decoding: bytes.prefix(300), as: UTF8.self))")
                        return false
                    }
                    pending.remove(at: index)
                }
            }
            return true
        }

        for (line, step) in steps {
            let member = step.members[0]
            switch member.key {
            case "comment": continue
            case "plugin":
                pending.append((line, member.value))
                continue
            default: break
            }
            // Before the host acts, what the plugin owed must have arrived.
            guard await settle() else { return problems }
            switch member.key {
            case "host":
                session.send(member.value.compactBytes + [0x0A])
            case "close":
                session.closeInput()
                stdinClosed = true
            case "exit":
                if let problem = await awaitExit(session, name: name, line: line, stdinClosed: stdinClosed) { problems.append(problem) }
                return problems
            default:
                problems.append("\(name):\(line): unknown step \(member.key)")
                return problems
            }
        }
        _ = await settle()
        return problems
    }

    /// Starts the plugin and waits for its hello, the first step of every transcript: nil when
    /// it said one this host understands, else what went wrong (then no transcript can pass).
    public func handshake(command: [String]) async -> String? {
        let session = PluginSession(arguments: command)
        defer { session.stop() }
        var log = RecentLog()
        let hello: JSONValue = ["type": "hello", "protocol": [1], "name": "NAME", "concurrency": 1]
        while true {
            guard let event = await session.next(timeout: timeout) else { return Self.silence(expecting: hello, timeout: timeout) + log.suffix }
            switch event {
            case .spawned: continue
            case .log(let line): log.append(line)
            case .spawnFailed(let reason): return "the plugin could not be started: \(reason)"
            case .oversize: return "the plugin's first line is longer than \(PluginProtocol.maximumLineBytes) bytes; it must be its hello message"
            case .exited(let status, let signal):
                return "the plugin ended (\(ending(status: status, signal: signal))) before its hello message" + log.suffix
            case .line(let bytes):
                let text = String(decoding: bytes.prefix(300), as: UTF8.self)
                guard case .hello(let message)? = try? bytes.withUnsafeBufferPointer({ buffer throws(PluginProtocolViolation) in try PluginMessage.decode(buffer) }) else {
                    return "the plugin's first line must be its hello message (protocol §2), like \(hello.compactString); it wrote \(text)"
                }
                guard message.protocolVersions.contains(where: PluginProtocol.versions.contains) else {
                    return "the plugin speaks protocol versions \(message.protocolVersions); this host speaks \(PluginProtocol.versions)"
                }
                return nil
            }
        }
    }

    /// What nothing from the plugin within the timeout means, for the message it owed.
    static func silence(expecting message: JSONValue, timeout: Double) -> String {
        if message["type"]?.stringValue == "hello" {
            return "no hello within \(timeout.formatted()) s: a plugin's first line must be its hello message (protocol §2), like \(message.compactString)"
        }
        return "no answer within \(timeout.formatted()) s (expected \(message.compactString))"
    }

    private func awaitExit(_ session: PluginSession, name: String, line: Int, stdinClosed: Bool) async -> String? {
        while let event = await session.next(timeout: timeout) {
            switch event {
            case .exited(let status, let signal):
                if signal != 0 { return "\(name):\(line): the plugin was ended by signal \(signal)" }
                return status == 0 ? nil : "\(name):\(line): the plugin exited with status \(status), not 0"
            case .line(let bytes):
                return "\(name):\(line): the plugin wrote \(String(decoding: bytes.prefix(200), as: UTF8.self)) instead of exiting"
            default: continue
            }
        }
        return "\(name):\(line): the plugin did not exit within \(timeout.formatted()) s after \(stdinClosed ? "its input ended" : "shutdown")"
    }

    private func matches(_ message: PluginMessage, _ expected: JSONValue) -> Bool {
        let id = expected["id"]?.stringValue
        switch (message, expected["type"]?.stringValue) {
        case (.hello(let hello), "hello"?):
            return hello.protocolVersions.contains(1)
        case (.result(let actualID, let payload), "result"?):
            return actualID == id && (!exact || payload == expected["payload"])
        case (.error(let actualID, let error), "result"?), (.error(let actualID, let error), "error"?):
            return actualID == id && (!exact || expected["errorType"]?.stringValue == error.errorType)
        default:
            return false
        }
    }
}
