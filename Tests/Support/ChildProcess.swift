import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn and waited for with waitpid on its own pid.
///
/// Foundation's `Process` learns of exits through a SIGCHLD handler, and the plugin host's
/// libuv loop, which other tests in this same test process run, installs its own: whichever
/// comes second leaves the other waiting forever. Waiting on the pid needs no signal.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let output: FileHandle
    private let errors: FileHandle

    public struct Finished {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
    }

    public init(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws {
        var stdinPipe: [Int32] = [0, 0], stdoutPipe: [Int32] = [0, 0], stderrPipe: [Int32] = [0, 0]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else { throw POSIXError(.EMFILE) }
        // Close-on-exec, so children other tests spawn meanwhile do not inherit these ends (and
        // keep this child's output open after it exits); dup2 gives the child its own copies.
        for descriptor in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        for descriptor in stdinPipe + stdoutPipe + stderrPipe { posix_spawn_file_actions_addclose(&actions, descriptor) }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var spawned: pid_t = 0
        let result = posix_spawn(&spawned, executable, &actions, nil, argv, environ)
        close(stdinPipe[0])
        close(stdoutPipe[1])
        close(stderrPipe[1])
        guard result == 0 else {
            close(stdinPipe[1])
            close(stdoutPipe[0])
            close(stderrPipe[0])
            throw POSIXError(POSIXErrorCode(rawValue: result) ?? .EINVAL)
        }
        pid = spawned
        let input = FileHandle(fileDescriptor: stdinPipe[1], closeOnDealloc: true)
        if let stdin { input.write(stdin) }
        try input.close()
        output = FileHandle(fileDescriptor: stdoutPipe[0], closeOnDealloc: true)
        errors = FileHandle(fileDescriptor: stderrPipe[0], closeOnDealloc: true)
    }

    /// Whether the child has not exited yet (it is not reaped: `wait` still gives its status).
    public var isRunning: Bool {
        var info = siginfo_t()
        return waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info._sifields._kill.si_pid == 0
    }

    /// Reads everything the child writes, then waits for its exit.
    public func wait() -> Finished {
        // stderr is read on another thread, so a child filling one pipe never blocks.
        let stderrData = Mutex(Data())
        let done = DispatchSemaphore(value: 0)
        let drain = Thread { [errors] in
            let data = errors.readDataToEndOfFile()
            stderrData.withLock { $0 = data }
            done.signal()
        }
        drain.start()
        let stdoutData = output.readDataToEndOfFile()
        done.wait()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return Finished(status: code, stdout: stdoutData, stderr: stderrData.withLock { $0 })
    }

    /// Runs a program to its end.
    public static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Finished {
        try ChildProcess(executable, arguments, stdin: stdin).wait()
    }
}

/// Whether every process in `pids` is gone: exited and reaped (a zombie still answers kill 0).
public func allReaped(_ pids: [Int32]) -> Bool {
    pids.allSatisfy { kill($0, 0) == -1 && errno == ESRCH }
}
