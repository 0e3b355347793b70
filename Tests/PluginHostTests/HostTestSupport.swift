import Foundation
import JSONCore
import Logging
import PluginHost
import PluginProtocol
import Synchronization
import Testing

/// Real processes for the host's tests: the fixtures beside this file, the Python runner from
/// `plugins/`, and the sandbox launcher built with the package.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static let paths = HostPaths.discover()

    /// A Python handler from `Fixtures/handlers.py`.
    static func handler(_ name: String, _ function: String, configure: (inout FunctionConfiguration) -> Void = { _ in }) -> FunctionConfiguration {
        var configuration = FunctionConfiguration(
            name: name, runtime: .python, handler: "handlers.\(function)", codeDirectory: directory, timeoutSeconds: 10, maximumWorkers: 2,
            shutdownGraceSeconds: 0.3)
        configure(&configuration)
        return configuration
    }

    /// The raw-protocol fixture `misbehaving_plugin.py`, started with `arguments`.
    static func misbehaving(_ name: String, _ arguments: [String] = [], configure: (inout FunctionConfiguration) -> Void = { _ in }) -> FunctionConfiguration {
        var configuration = FunctionConfiguration(
            name: name, runtime: .command, command: [paths.python ?? "python3", "\(directory)/misbehaving_plugin.py"] + arguments,
            codeDirectory: directory, timeoutSeconds: 10, maximumWorkers: 2, startSeconds: 10, shutdownGraceSeconds: 0.3)
        configure(&configuration)
        return configuration
    }

    static func host(
        _ functions: [FunctionConfiguration], logs: LogStore? = nil, tickMilliseconds: UInt64? = nil, scratchRoot: String? = nil
    ) -> PluginHost {
        let logger = logs.map { store in Logger(label: "test.plugins", factory: { _ in CapturingLogHandler(store: store) }) }
        var options = PluginHost.Options(paths: paths)
        if let tickMilliseconds { options.tickMilliseconds = tickMilliseconds }
        if let scratchRoot { options.scratchRoot = scratchRoot }
        return PluginHost(registry: FunctionRegistry(functions), options: options, logger: logger ?? Logger(label: "test.plugins", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    static func context(_ number: Int = 0) -> InvocationContext {
        InvocationContext(
            requestId: "request-\(number)", invokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:test", executionArn: "execution-arn",
            executionName: "execution", stateName: "State", attempt: 0)
    }
}

/// A slow invocation that keeps a function's one worker busy for `seconds`, or until the file
/// `release` exists if that comes first, and whether it has answered yet.
func startSlowInvocation(
    _ host: PluginHost, _ function: String, seconds: Double, until release: String? = nil
) -> (call: Task<Result<JSONValue, PluginFailure>, Never>, finished: Flag) {
    let finished = Flag()
    var payload = JSONObject()
    payload["do"] = "slow"
    payload["seconds"] = .double(seconds)
    if let release { payload["until"] = .string(release) }
    let call = Task { [payload] in
        let answer = await host.invoke(function: function, payload: .object(payload), context: Fixtures.context(1))
        finished.set()
        return answer
    }
    return (call, finished)
}

/// A flag any thread may set and read.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// Whether a process that is not the test's child has ended (gone, or a zombie its new parent
/// has not reaped yet), waiting up to `seconds` for it.
func ended(_ pid: Int32, within seconds: Double = 5) async -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        guard let fields = statFields("/proc/\(pid)/stat"), fields.first != "Z" else { return true }
        if Date() >= deadline { return false }
        try? await Task.sleep(nanoseconds: 20_000_000)
    }
}

/// The fields of a `/proc/.../stat` file after the parenthesised command name (which may hold
/// spaces): the process state is the first, the field stat(5) numbers 3.
func statFields(_ path: String) -> [Substring]? {
    guard let stat = try? String(contentsOfFile: path, encoding: .utf8), let end = stat.lastIndex(of: ")") else { return nil }
    return stat[stat.index(after: end)...].split(separator: " ")
}

/// The scheduling policy of a process or thread (field 41 of its stat file); nil once it is gone.
func schedulingPolicy(_ stat: String) -> Int32? {
    statFields(stat).flatMap { $0.count > 38 ? Int32($0[38]) : nil }
}

extension Result where Success == JSONValue, Failure == PluginFailure {
    var failure: PluginFailure? { if case .failure(let failure) = self { failure } else { nil } }
    var value: JSONValue? { if case .success(let value) = self { value } else { nil } }
}

/// Log lines captured for assertions.
final class LogStore: Sendable {
    struct Entry: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let entries = Mutex<[Entry]>([])

    func append(_ entry: Entry) { entries.withLock { $0.append(entry) } }

    var all: [Entry] { entries.withLock { $0 } }
}

struct CapturingLogHandler: LogHandler {
    let store: LogStore
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { $1 }
        store.append(LogStore.Entry(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
    }
}
