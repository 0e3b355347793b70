import Foundation
import JSONCore
import PluginHost
import Testing
import TestSupport

/// The sandbox against real attempts to escape it. Each test first shows that the same handler
/// succeeds without the sandbox (so the check can fail), then that the sandbox stops it.
@Suite struct SandboxTests {
    static func functions(_ handler: String, configure: (inout FunctionConfiguration) -> Void = { _ in }) -> [FunctionConfiguration] {
        [
            Fixtures.handler("open", handler),
            Fixtures.handler("boxed", handler) {
                $0.sandbox = SandboxPolicy()
                configure(&$0)
            },
        ]
    }

    /// Runs `handler` unconfined and sandboxed with the same event.
    static func both(_ handler: String, _ event: JSONValue, configure: (inout FunctionConfiguration) -> Void = { _ in }) async
        -> (open: Result<JSONValue, PluginFailure>, boxed: Result<JSONValue, PluginFailure>)
    {
        let host = Fixtures.host(functions(handler, configure: configure))
        let open = await host.invoke(function: "open", payload: event, context: Fixtures.context())
        let boxed = await host.invoke(function: "boxed", payload: event, context: Fixtures.context())
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
        return (open, boxed)
    }

    @Test func noNetwork() async throws {
        let listener = try LocalListener()
        defer { listener.close() }
        let (open, boxed) = await Self.both("connect_local", ["port": .int(Int64(listener.port))])
        #expect(open.value == "connected")
        let failure = try #require(boxed.failure)
        #expect(failure.errorType == "OSError", "\(failure)")
        #expect(failure.errorMessage.contains("Network is unreachable"))
    }

    @Test func noWritesOutsideTheScratchDirectory() async throws {
        let outside = TestFiles.path("escape").path
        let (open, boxed) = await Self.both("write_outside", ["path": .string(outside)])
        #expect(open.value == "written")
        try? FileManager.default.removeItem(atPath: outside)
        let failure = try #require(boxed.failure)
        #expect(failure.errorType == "OSError", "\(failure)")
        #expect(failure.errorMessage.contains("Read-only file system"))
        #expect(!FileManager.default.fileExists(atPath: outside))
    }

    @Test func scratchDirectoryIsPrivateWritableAndRemoved() async throws {
        let root = try TestFiles.directory("scratch").path
        let host = Fixtures.host(Self.functions("write_scratch"), scratchRoot: root)
        let value = try #require(await host.invoke(function: "boxed", payload: [:], context: Fixtures.context()).value)
        let directory = try #require(value["cwd"]?.stringValue)
        #expect(value["tmpdir"] == .string(directory))
        #expect(directory.contains("statesman-\(getpid())/boxed-"))
        #expect(FileManager.default.fileExists(atPath: directory + "/scratch-file.txt"))
        await host.shutdown()
        #expect(!FileManager.default.fileExists(atPath: directory), "the scratch directory goes with its worker")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == [], "and the process's directory with the last worker")
    }

    @Test func environmentIsReducedToTheAllowList() async throws {
        setenv("STATESMAN_TEST_SECRET", "hunter2", 1)
        let (open, boxed) = await Self.both("read_variable", ["name": "STATESMAN_TEST_SECRET"])
        #expect(open.value == "hunter2")
        #expect(boxed.value == .null, "\(boxed)")
        let (_, path) = await Self.both("read_variable", ["name": "PATH"])
        #expect(path.value?.stringValue?.isEmpty == false, "PATH is on the default allow-list")
        let (_, own) = await Self.both("read_variable", ["name": "GIVEN"]) { $0.environment = ["GIVEN": "yes"] }
        #expect(own.value == "yes", "the function's own environment is always passed")
    }

    /// Every worker, sandboxed or not, gets Lambda's reserved variables; its own override them.
    @Test func lambdasVariablesAreSet() async throws {
        let (open, boxed) = await Self.both("lambda_variables", [:])
        for (name, result) in [("open", open), ("boxed", boxed)] {
            #expect(
                result.value
                    == [
                        "AWS_LAMBDA_FUNCTION_NAME": .string(name), "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "LAMBDA_TASK_ROOT": .string(Fixtures.directory),
                        "AWS_LAMBDA_LOG_GROUP_NAME": .string("/aws/lambda/" + name), "TZ": ":UTC", "_HANDLER": "handlers.lambda_variables",
                    ], "\(result)")
        }
        let (_, own) = await Self.both("lambda_variables", [:]) { $0.environment = ["TZ": "Europe/Paris"] }
        #expect(own.value?["TZ"] == "Europe/Paris")
    }

    /// A descriptor the engine leaves open without close-on-exec (here on purpose) reaches no
    /// worker, sandboxed or not.
    @Test func noInheritedDescriptors() async throws {
        let path = TestFiles.path("leak").path
        let descriptor = Glibc.open(path, O_WRONLY | O_CREAT, 0o600)
        #expect(descriptor >= 0)
        defer {
            Glibc.close(descriptor)
            unlink(path)
        }
        let (open, boxed) = await Self.both("open_files", [:])
        for result in [open, boxed] {
            let files = try #require(result.value?.arrayValue, "\(result)")
            #expect(!files.isEmpty && !files.contains(.string(path)), "\(files)")
        }
        // The engine's own descriptor is still open (only marked close-on-exec).
        #expect(Glibc.write(descriptor, "x", 1) == 1)
        #expect(fcntl(descriptor, F_GETFD) == FD_CLOEXEC)
    }

    @Test func processLimitStopsAForkBomb() async throws {
        let (open, boxed) = await Self.both("fork_many", ["count": 100]) { $0.sandbox?.processes = 32 }
        #expect(open.value == 100)
        let failure = try #require(boxed.failure)
        #expect(failure.errorType == "BlockingIOError", "\(failure)")
        #expect(failure.errorMessage.contains("Resource temporarily unavailable"))
    }

    @Test func memoryLimitIsRuntimeOutOfMemory() async throws {
        let host = Fixtures.host(Self.functions("allocate") { $0.memoryMB = 64 })
        let small = await host.invoke(function: "boxed", payload: ["megabytes": 32], context: Fixtures.context())
        #expect(small.value == .int(32 * 1_048_576))
        let failure = try #require(await host.invoke(function: "boxed", payload: ["megabytes": 2048], context: Fixtures.context()).failure)
        #expect(failure.error == "Runtime.OutOfMemory")
        #expect(failure.errorMessage.contains("64 MB"))
        let pids = host.workerProcessIDs
        await host.shutdown()
        #expect(allReaped(pids))
    }
}

/// A TCP listener on 127.0.0.1 with a kernel-chosen port.
final class LocalListener {
    let descriptor: Int32
    let port: UInt16

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.descriptor = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(descriptor, generic, length) == 0 && listen(descriptor, 16) == 0 && getsockname(descriptor, generic, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        port = UInt16(bigEndian: address.sin_port)
    }

    func close() { _ = Glibc.close(descriptor) }
}
