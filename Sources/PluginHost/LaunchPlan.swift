import Foundation

/// Where the host finds what it starts plugins with.
public struct HostPaths: Sendable {
    /// The Python interpreter, as an absolute path: the one given, or (after `discover`) the
    /// one behind `python3` on PATH. A version-manager shim on PATH can cost 100 ms per start,
    /// so that interpreter is asked for its own path, once per process and only when a Python
    /// function is first started (asking costs a start, which a run without one need not pay).
    public var python: String? {
        get { givenPython ?? (findsPython ? Self.pythonOnPath : nil) }
        set {
            givenPython = newValue
            findsPython = false
        }
    }
    private var givenPython: String?
    private var findsPython = false
    private static let pythonOnPath = resolvePython()
    /// The directory holding `python/statesman_runner.py`.
    public var plugins: String?
    /// The `statesman-sandbox` launcher.
    public var sandbox: String?
    /// The protocol's example transcripts (`protocol/transcripts`), for `plugins check`.
    public var transcripts: String?

    public init(python: String? = nil, plugins: String? = nil, sandbox: String? = nil) {
        givenPython = python
        self.plugins = plugins
        self.sandbox = sandbox
    }

    /// Finds each path: the environment (`STATESMAN_PYTHON`, `STATESMAN_PLUGINS`,
    /// `STATESMAN_SANDBOX`) first, then beside the running executable (and up from it, which
    /// finds a source checkout's `plugins/`), then `python3` on PATH.
    public static func discover() -> HostPaths {
        let environment = ProcessInfo.processInfo.environment
        let executableDirectory = URL(fileURLWithPath: executablePath()).deletingLastPathComponent()
        var paths = HostPaths()
        if let given = environment["STATESMAN_PYTHON"] { paths.python = given } else { paths.findsPython = true }
        paths.plugins = environment["STATESMAN_PLUGINS"] ?? searchUpwards(from: executableDirectory, for: "plugins/python/statesman_runner.py").map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().deletingLastPathComponent().path
        }
        paths.transcripts = environment["STATESMAN_TRANSCRIPTS"] ?? searchUpwards(from: executableDirectory, for: "protocol/transcripts/01-handshake.jsonl").map {
            URL(fileURLWithPath: $0).deletingLastPathComponent().path
        }
        if let given = environment["STATESMAN_SANDBOX"] {
            paths.sandbox = given
        } else {
            let beside = executableDirectory.appendingPathComponent("statesman-sandbox").path
            paths.sandbox = FileManager.default.isExecutableFile(atPath: beside) ? beside : nil
        }
        return paths
    }

    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func searchUpwards(from start: URL, for relative: String) -> String? {
        var directory = start
        for _ in 0..<8 {
            let candidate = directory.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { break }
            directory = parent
        }
        let installed = start.deletingLastPathComponent().appendingPathComponent("share/statesman/\(relative)").path
        return FileManager.default.fileExists(atPath: installed) ? installed : nil
    }

    /// The interpreter behind `python3` on PATH. A program there (or a link to one) is the
    /// interpreter itself, started by that path as a virtual environment's must be. Anything
    /// else, such as a version manager's shell-script shim, is asked for its own
    /// `sys.executable`, which costs a start of the shim.
    static func resolvePython(searching path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        guard let onPath = findOnPath("python3", searching: path) else { return nil }
        if onPath.hasPrefix("/"), isMachineCode(onPath) { return onPath }
        let (status, output) = capture([onPath, "-c", "import sys; print(sys.executable)"])
        let path = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return status == 0 && path.hasPrefix("/") ? path : onPath
    }

    /// Runs a program and returns its exit status and standard output. It spawns and waits
    /// for exactly its own child (Foundation's `Process` relies on a SIGCHLD handler, which the
    /// plugin host's libuv loop replaces).
    static func capture(_ arguments: [String]) -> (status: Int32, output: String) {
        var pipe: [Int32] = [0, 0]
        guard Glibc.pipe(&pipe) == 0 else { return (-1, "") }
        // Close-on-exec: a worker another host spawns meanwhile must not inherit the write end,
        // or the read below would wait for that worker's exit.
        for descriptor in pipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
        posix_spawn_file_actions_addclose(&actions, pipe[0])
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        let copies = arguments.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let spawned = (copies + [nil]).withUnsafeBufferPointer { argv in
            posix_spawn(&pid, arguments[0], &actions, nil, argv.baseAddress!, environ)
        }
        close(pipe[1])
        defer { close(pipe[0]) }
        guard spawned == 0 else { return (-1, "") }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(pipe[0], &buffer, buffer.count)
            if count > 0 {
                output += buffer[0..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let exited = (status & 0x7f) == 0
        return (exited ? (status >> 8) & 0xff : -1, String(decoding: output, as: UTF8.self))
    }

    /// Whether a file (its links followed) is an ELF executable rather than a script.
    static func isMachineCode(_ path: String) -> Bool {
        guard let file = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? file.close() }
        return (try? file.read(upToCount: 4)) == Data([0x7F, 0x45, 0x4C, 0x46])
    }

    public static func findOnPath(_ name: String, searching path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// How one function's workers are started: the command line, environment and directory.
struct LaunchPlan: Sendable {
    var arguments: [String]
    var environment: [String]
    var directory: String
    var sandbox: SandboxPolicy?
    var memoryMB: Int

    /// Builds the plan, or explains why the function cannot be started.
    init(function: FunctionConfiguration, region: String, paths: HostPaths, engineEnvironment: [String: String] = [:]) throws(PluginFailure) {
        func cannot(_ message: String) -> PluginFailure {
            PluginFailure(error: PluginFailure.Name.startFailed, errorMessage: "Cannot start function \(function.name): \(message)", requestId: "")
        }
        switch function.runtime {
        case .python, .shell:
            guard let python = paths.python else { throw cannot("no python3 was found on PATH (set STATESMAN_PYTHON)") }
            guard let plugins = paths.plugins else {
                throw cannot("the Python runner plugins/python/statesman_runner.py was not found (set STATESMAN_PLUGINS)")
            }
            var arguments = [python]
            if function.sandbox?.readOnlyFileSystem == true { arguments.append("-B") }
            arguments.append("\(plugins)/python/statesman_runner.py")
            let handler = function.handler ?? ""
            if function.runtime == .python {
                arguments += ["--handler", handler, "--code", function.codeDirectory]
            } else {
                let script = handler.hasPrefix("/") ? handler : "\(function.codeDirectory)/\(handler)"
                guard FileManager.default.isExecutableFile(atPath: script) else {
                    throw cannot("the shell script \(script) does not exist or is not executable")
                }
                arguments += ["--shell", script, "--code", function.codeDirectory]
            }
            self.arguments = arguments
        case .command:
            var arguments = function.command
            // The registry refuses an empty command; a configuration built in code may not.
            guard let program = arguments.first, !program.isEmpty else { throw cannot("its command is empty") }
            if program.contains("/") {
                if !program.hasPrefix("/") { arguments[0] = "\(function.codeDirectory)/\(program)" }
            } else if let found = HostPaths.findOnPath(program) {
                arguments[0] = found
            } else {
                throw cannot("\(program) was not found on PATH")
            }
            guard FileManager.default.isExecutableFile(atPath: arguments[0]) else {
                throw cannot("\(arguments[0]) does not exist or is not executable")
            }
            self.arguments = arguments
        }
        if function.sandbox != nil {
            guard let launcher = paths.sandbox else {
                throw cannot("the function is sandboxed but the statesman-sandbox launcher was not found (set STATESMAN_SANDBOX)")
            }
            arguments.insert(launcher, at: 0)
        }
        // Lambda's reserved variables, then the function's own; a sandboxed function sees only
        // the allow-listed part of the engine's environment.
        var variables: [String: String]
        let inherited = ProcessInfo.processInfo.environment
        if let policy = function.sandbox {
            variables = inherited.filter { policy.environmentAllowList.contains($0.key) }
        } else {
            variables = inherited
        }
        variables["AWS_LAMBDA_FUNCTION_NAME"] = function.name
        variables["AWS_LAMBDA_FUNCTION_VERSION"] = "$LATEST"
        variables["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = String(function.memoryMB)
        variables["AWS_REGION"] = region
        variables["AWS_DEFAULT_REGION"] = region
        variables["LAMBDA_TASK_ROOT"] = function.codeDirectory
        variables["AWS_LAMBDA_LOG_GROUP_NAME"] = "/aws/lambda/" + function.name
        // Lambda's clock is UTC: a function that formats local times does so as there.
        variables["TZ"] = ":UTC"
        if let handler = function.handler { variables["_HANDLER"] = handler }
        // What the engine tells every function (STATESMAN_STORE: the object store's directory),
        // then the function's own.
        for (name, value) in engineEnvironment { variables[name] = value }
        for (name, value) in function.environment { variables[name] = value }
        environment = variables.map { "\($0.key)=\($0.value)" }.sorted()
        directory = function.codeDirectory
        sandbox = function.sandbox
        memoryMB = function.memoryMB
    }

    /// The command line for one worker: a sandboxed one gets its scratch directory and limits.
    func command(scratch: String?, pidsCgroup: String?) -> (arguments: [String], environment: [String], directory: String) {
        guard let policy = sandbox, let scratch else { return (arguments, environment, directory) }
        var launcher = [arguments[0], "--dir", scratch]
        if !policy.network { launcher.append("--no-network") }
        if policy.readOnlyFileSystem { launcher.append("--read-only") }
        if let cpu = policy.cpuSeconds { launcher += ["--cpu", String(cpu)] }
        // The address-space limit is the memory setting plus room for the interpreter's own
        // mappings (shared libraries, thread stacks), which RSS-based Lambda does not count.
        launcher += ["--memory", String((memoryMB + 256) * 1_048_576)]
        if let processes = policy.processes {
            launcher += ["--processes", String(processes)]
            if let pidsCgroup { launcher += ["--pids-cgroup", pidsCgroup] }
        }
        if let files = policy.openFiles { launcher += ["--files", String(files)] }
        if let size = policy.fileSizeMB { launcher += ["--file-size", String(size * 1_048_576)] }
        launcher.append("--")
        let variables = environment.filter { !$0.hasPrefix("TMPDIR=") && !$0.hasPrefix("HOME=") } + ["TMPDIR=\(scratch)", "HOME=\(scratch)"]
        return (launcher + arguments.dropFirst(), variables, scratch)
    }
}
