import Foundation
import Yams

/// How a function runs: the registry entry behind a Lambda name or plugin resource.
public struct FunctionConfiguration: Sendable, Equatable {
    public enum Runtime: String, Sendable, Equatable {
        /// A Lambda-style Python module `handler(event, context)`, hosted by the Python runner.
        case python
        /// A shell script run once per invocation by the runner: event on stdin, result on stdout.
        case shell
        /// Any executable that speaks the protocol itself.
        case command
    }

    public var name: String
    public var runtime: Runtime
    /// `module.function` for Python, the script for shell.
    public var handler: String?
    /// The executable and its arguments, for `command`.
    public var command: [String]
    /// Where the code lives (the registry file's directory unless given); relative handlers
    /// and commands resolve against it.
    public var codeDirectory: String
    public var environment: [String: String]
    /// Lambda's function timeout, in seconds (default 3, as Lambda's).
    public var timeoutSeconds: Double
    /// Lambda's memory setting, in MB (default 128). The sandbox turns it into an address-space limit.
    public var memoryMB: Int
    /// At most this many workers run at once.
    public var maximumWorkers: Int
    /// Workers kept warm even when idle.
    public var minimumWarm: Int
    /// An idle worker above `minimumWarm` is stopped after this many seconds.
    public var idleSeconds: Double
    /// Invocations queued into a busy worker's pipe beyond those it runs at once. The worker
    /// still runs them one at a time, as Lambda does; the queue hides the round trip.
    public var pipelining: Pipelining
    /// How long a new worker has to say hello.
    public var startSeconds: Double
    /// Each teardown step (shutdown, end of input, SIGTERM) waits this long before the next.
    public var shutdownGraceSeconds: Double
    /// Confinement; nil runs the plugin with the engine's rights.
    public var sandbox: SandboxPolicy?

    public init(
        name: String, runtime: Runtime = .command, handler: String? = nil, command: [String] = [], codeDirectory: String = ".",
        environment: [String: String] = [:], timeoutSeconds: Double = 3, memoryMB: Int = 128,
        maximumWorkers: Int = ProcessInfo.processInfo.activeProcessorCount, minimumWarm: Int = 0, idleSeconds: Double = 300,
        pipelining: Pipelining = .automatic, startSeconds: Double = 10, shutdownGraceSeconds: Double = 2, sandbox: SandboxPolicy? = nil
    ) {
        self.name = name
        self.runtime = runtime
        self.handler = handler
        self.command = command
        self.codeDirectory = codeDirectory
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        self.memoryMB = memoryMB
        self.maximumWorkers = maximumWorkers
        self.minimumWarm = minimumWarm
        self.idleSeconds = idleSeconds
        self.pipelining = pipelining
        self.startSeconds = startSeconds
        self.shutdownGraceSeconds = shutdownGraceSeconds
        self.sandbox = sandbox
    }
}

/// How many invocations may wait in a busy worker's pipe.
public enum Pipelining: Sendable, Equatable {
    /// Up to `automaticLimit` while the function's recent invocations are short: as many as
    /// run in about `automaticBudgetMilliseconds` together, none for invocations that take
    /// that long. A queued invocation cannot move to a worker that frees up sooner, so a slow
    /// function gets Lambda's dispatch to the first free worker.
    case automatic
    /// Exactly this many (0: none, each worker waits for the engine between invocations).
    case depth(Int)

    public static let automaticLimit = 16
    public static let automaticBudgetMilliseconds = 1.0
}

/// What an untrusted plugin may do.
public struct SandboxPolicy: Sendable, Equatable {
    public var network: Bool = false
    /// Writes only to the private scratch directory (the rest of the file system is read-only).
    public var readOnlyFileSystem: Bool = true
    public var cpuSeconds: Int? = 60
    public var processes: Int? = 32
    public var openFiles: Int? = 256
    public var fileSizeMB: Int? = 64
    /// Variables passed through from the engine's environment; everything else is dropped.
    public var environmentAllowList: [String] = ["PATH", "LANG", "LC_ALL", "TZ"]

    public init() {}
}

/// Function name → configuration, read from a YAML or JSON file (`--functions`).
///
/// ```yaml
/// functions:
///   detect:
///     runtime: python
///     handler: detector.handler      # module.function, relative to the file's directory
///     timeout: 30
///     memory: 256
///     concurrency: 2
///     untrusted: true
/// ```
public struct FunctionRegistry: Sendable {
    public private(set) var functions: [String: FunctionConfiguration]

    public init(_ functions: [FunctionConfiguration] = []) {
        self.functions = Dictionary(functions.map { ($0.name, $0) }, uniquingKeysWith: { _, last in last })
    }

    public subscript(name: String) -> FunctionConfiguration? { functions[name] }

    /// Whether there is a function of that name (without copying its configuration: this is
    /// asked for every Lambda Task a Map runs).
    public func contains(_ name: String) -> Bool { functions.index(forKey: name) != nil }

    public mutating func add(_ function: FunctionConfiguration) { functions[function.name] = function }

    /// Reads a registry file; relative code paths resolve against its directory.
    public static func load(path: String) throws(RegistryError) -> FunctionRegistry {
        switch isDirectory(path) {
        case nil: throw RegistryError(path: path, location: "", message: "no such file")
        case true?: throw RegistryError(path: path, location: "", message: "a directory, not a registry file")
        case false?: break
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RegistryError(path: path, location: "", message: "cannot read the file")
        }
        let directory = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        return try parse(String(decoding: data, as: UTF8.self), path: path, directory: directory)
    }

    /// Whether `path` is a directory; nil when nothing is there.
    static func isDirectory(_ path: String) -> Bool? {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) ? isDirectory.boolValue : nil
    }

    public static func parse(_ text: String, path: String = "<registry>", directory: String) throws(RegistryError) -> FunctionRegistry {
        let root: Any?
        do {
            root = try Yams.load(yaml: text)
        } catch {
            throw RegistryError(path: path, location: "", message: "not YAML or JSON: \(error)")
        }
        guard let top = root as? [String: Any] else {
            throw RegistryError(path: path, location: "", message: "the file must be a mapping with the key \"functions\"")
        }
        for key in top.keys where key != "functions" {
            throw RegistryError(path: path, location: key, message: "unknown field (the file holds \"functions\")")
        }
        guard let entries = top["functions"] as? [String: Any] else {
            throw RegistryError(path: path, location: "functions", message: "must be a mapping of function name to settings")
        }
        var registry = FunctionRegistry()
        for (name, settings) in entries.sorted(by: { $0.key < $1.key }) {
            var reader = SettingsReader(path: path, location: "functions.\(name)", fields: settings)
            registry.add(try reader.function(named: name, directory: directory))
        }
        return registry
    }
}

/// A registry problem, naming the file and the field.
public struct RegistryError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var location: String
    public var message: String

    public var description: String { location.isEmpty ? "\(path): \(message)" : "\(path): \(location): \(message)" }
}

/// Reads one function's settings, reporting the first problem with its location.
private struct SettingsReader {
    let path: String
    let location: String
    let fields: [String: Any]
    let isMapping: Bool

    init(path: String, location: String, fields: Any) {
        self.path = path
        self.location = location
        self.fields = fields as? [String: Any] ?? [:]
        isMapping = fields is [String: Any]
    }

    static let known: Set<String> = [
        "runtime", "handler", "command", "directory", "environment", "timeout", "memory", "concurrency", "minWarm",
        "idleTimeout", "pipeline", "startTimeout", "shutdownGrace", "untrusted", "sandbox",
    ]
    static let sandboxKnown: Set<String> = ["network", "readOnly", "cpuSeconds", "processes", "openFiles", "fileSizeMB", "environmentAllowList"]

    func problem(_ field: String, _ message: String) -> RegistryError {
        RegistryError(path: path, location: field.isEmpty ? location : "\(location).\(field)", message: message)
    }

    /// `alternative`: a word the field also takes, named in the message for anything else;
    /// `under`: where `fields` sit in the function's mapping (`sandbox.`), for the message.
    func number(
        _ field: String, in fields: [String: Any], range: ClosedRange<Double>, or alternative: String? = nil, under prefix: String = ""
    ) throws(RegistryError) -> Double? {
        guard let raw = fields[field] else { return nil }
        let value: Double
        switch raw {
        case let integer as Int: value = Double(integer)
        case let double as Double: value = double
        default: throw problem(prefix + field, alternative.map { "must be a number or \($0)" } ?? "must be a number")
        }
        guard range.contains(value) else {
            throw problem(prefix + field, "must be from \(range.lowerBound.formatted()) to \(range.upperBound.formatted())")
        }
        return value
    }

    /// A count or a size in whole units (`128.5` MB is refused, not cut to 128).
    func whole(
        _ field: String, in fields: [String: Any], range: ClosedRange<Int>, or alternative: String? = nil, under prefix: String = ""
    ) throws(RegistryError) -> Int? {
        let bounds = Double(range.lowerBound)...Double(range.upperBound)
        guard let value = try number(field, in: fields, range: bounds, or: alternative, under: prefix) else { return nil }
        guard value.rounded() == value else {
            throw problem(prefix + field, "must be a whole number from \(range.lowerBound.formatted()) to \(range.upperBound.formatted())")
        }
        return Int(value)
    }

    func text(_ field: String) throws(RegistryError) -> String? {
        guard let raw = fields[field] else { return nil }
        guard let string = raw as? String, !string.isEmpty else { throw problem(field, "must be a non-empty string") }
        return string
    }

    mutating func function(named name: String, directory: String) throws(RegistryError) -> FunctionConfiguration {
        // Lambda's own rule: a name it cannot take could never be invoked by its ARN.
        let allowed = name.utf8.allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") }
        guard allowed, (1...64).contains(name.utf8.count) else {
            throw problem("", "is not a function name Lambda takes: 1 to 64 letters, digits, hyphens and underscores")
        }
        guard isMapping else { throw problem("", "must be a mapping of settings") }
        for key in fields.keys.sorted() where !Self.known.contains(key) {
            throw problem(key, "unknown field (known: \(Self.known.sorted().joined(separator: ", ")))")
        }
        var function = FunctionConfiguration(name: name, codeDirectory: directory)
        if let given = try text("directory") {
            function.codeDirectory = given.hasPrefix("/") ? given : URL(fileURLWithPath: directory).appendingPathComponent(given).standardizedFileURL.path
            switch FunctionRegistry.isDirectory(function.codeDirectory) {
            case nil: throw problem("directory", "\(function.codeDirectory) does not exist")
            case false?: throw problem("directory", "\(function.codeDirectory) is not a directory")
            case true?: break
            }
        }
        function.handler = try text("handler")
        if let raw = fields["command"] {
            if let single = raw as? String {
                function.command = [single]
            } else if let list = raw as? [Any], !list.isEmpty, list.allSatisfy({ $0 is String }) {
                function.command = list.compactMap { $0 as? String }
            } else {
                throw problem("command", "must be a string or a non-empty list of strings")
            }
        }
        if let runtime = try text("runtime") {
            guard let known = FunctionConfiguration.Runtime(rawValue: runtime) else {
                throw problem("runtime", "must be python, shell or command, not \(runtime)")
            }
            function.runtime = known
        } else {
            function.runtime = function.command.isEmpty ? .python : .command
        }
        switch function.runtime {
        case .python, .shell:
            guard let handler = function.handler else { throw problem("handler", "is required for the \(function.runtime.rawValue) runtime") }
            if function.runtime == .python, handler.split(separator: ".").count < 2 {
                throw problem("handler", "must be module.function (like Lambda's), not \(handler)")
            }
        case .command:
            guard !function.command.isEmpty else { throw problem("command", "is required for the command runtime") }
        }
        if let environment = fields["environment"] {
            function.environment = try variables(environment)
        }
        if let value = try number("timeout", in: fields, range: 0.001...900) { function.timeoutSeconds = value }
        // Lambda's range, in whole megabytes.
        if let value = try whole("memory", in: fields, range: 128...10_240) { function.memoryMB = value }
        if let value = try whole("concurrency", in: fields, range: 1...1_024) { function.maximumWorkers = value }
        if let value = try whole("minWarm", in: fields, range: 0...1_024) { function.minimumWarm = value }
        if let value = try number("idleTimeout", in: fields, range: 0...86_400) { function.idleSeconds = value }
        if fields["pipeline"] as? String == "auto" {
            function.pipelining = .automatic
        } else if let value = try whole("pipeline", in: fields, range: 0...1_024, or: "auto") {
            function.pipelining = .depth(value)
        }
        if let value = try number("startTimeout", in: fields, range: 0.1...600) { function.startSeconds = value }
        if let value = try number("shutdownGrace", in: fields, range: 0...600) { function.shutdownGraceSeconds = value }
        guard function.minimumWarm <= function.maximumWorkers else {
            throw problem("minWarm", "must not be more than concurrency (\(function.maximumWorkers))")
        }
        var untrusted = false
        if let raw = fields["untrusted"] {
            guard let flag = raw as? Bool else { throw problem("untrusted", "must be true or false") }
            untrusted = flag
        }
        if let raw = fields["sandbox"] {
            if let flag = raw as? Bool {
                function.sandbox = flag ? SandboxPolicy() : nil
            } else if let settings = raw as? [String: Any] {
                function.sandbox = try sandbox(settings)
            } else {
                throw problem("sandbox", "must be true, false or a mapping of sandbox settings")
            }
        } else if untrusted {
            function.sandbox = SandboxPolicy()
        }
        if untrusted, function.sandbox == nil {
            throw problem("sandbox", "cannot be turned off for a function marked untrusted")
        }
        return function
    }

    /// The variables Lambda's runtime sets itself: Lambda refuses them in a function's
    /// configuration, and so does the registry. (Lambda also reserves the execution role's
    /// keys, `AWS_ACCESS_KEY_ID` and the like; a function here has no role, so the registry may
    /// give it keys for a local endpoint.)
    static let runtimeVariables: Set<String> = [
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    ]

    /// Lambda's limit on a function's variables, names and values together.
    static let environmentBytes = 4_096

    /// `environment`: names as Lambda takes them (a letter, then letters, digits and
    /// underscores), values strings; integers and booleans are taken as written.
    func variables(_ raw: Any) throws(RegistryError) -> [String: String] {
        guard let map = raw as? [String: Any] else { throw problem("environment", "must be a mapping of variable names to strings") }
        var variables: [String: String] = [:]
        for (name, value) in map.sorted(by: { $0.key < $1.key }) {
            let field = "environment.\(name)"
            guard !Self.runtimeVariables.contains(name) else {
                throw problem(field, "is set by Lambda's runtime and cannot be set in a function's configuration")
            }
            let rest = name.utf8.dropFirst().allSatisfy { $0.isASCIILetter || $0.isASCIIDigit || $0 == UInt8(ascii: "_") }
            guard let first = name.utf8.first, first.isASCIILetter, name.utf8.count >= 2, rest else {
                throw problem(field, "is not a name Lambda takes: a letter, then at least one more letter, digit or underscore")
            }
            switch value {
            case let text as String: variables[name] = text
            case let flag as Bool: variables[name] = flag ? "true" : "false"
            case let integer as Int: variables[name] = String(integer)
            default: throw problem(field, "must be a string (quote a value such as 1.50 or null to keep it as written)")
            }
        }
        let size = variables.reduce(0) { $0 + $1.key.utf8.count + $1.value.utf8.count }
        guard size <= Self.environmentBytes else {
            throw problem("environment", "holds \(size) bytes of names and values; Lambda takes at most 4 KB (4,096)")
        }
        return variables
    }

    func sandbox(_ settings: [String: Any]) throws(RegistryError) -> SandboxPolicy {
        for key in settings.keys.sorted() where !Self.sandboxKnown.contains(key) {
            throw problem("sandbox.\(key)", "unknown field (known: \(Self.sandboxKnown.sorted().joined(separator: ", ")))")
        }
        var policy = SandboxPolicy()
        func flag(_ key: String) throws(RegistryError) -> Bool? {
            guard let raw = settings[key] else { return nil }
            guard let value = raw as? Bool else { throw problem("sandbox.\(key)", "must be true or false") }
            return value
        }
        func limit(_ key: String, _ range: ClosedRange<Int>) throws(RegistryError) -> Int? {
            try whole(key, in: settings, range: range, under: "sandbox.")
        }
        if let value = try flag("network") { policy.network = value }
        if let value = try flag("readOnly") { policy.readOnlyFileSystem = value }
        if let value = try limit("cpuSeconds", 1...86_400) { policy.cpuSeconds = value }
        if let value = try limit("processes", 1...100_000) { policy.processes = value }
        if let value = try limit("openFiles", 8...1_048_576) { policy.openFiles = value }
        if let value = try limit("fileSizeMB", 1...1_048_576) { policy.fileSizeMB = value }
        if let raw = settings["environmentAllowList"] {
            guard let names = raw as? [String] else { throw problem("sandbox.environmentAllowList", "must be a list of variable names") }
            policy.environmentAllowList = names
        }
        return policy
    }
}

extension UInt8 {
    fileprivate var isASCIILetter: Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(self | 0x20) }
    fileprivate var isASCIIDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
}
