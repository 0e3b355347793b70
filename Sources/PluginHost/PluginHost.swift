import CPluginLoop
import DequeModule
import Foundation
import JSONCore
import Logging
import PluginProtocol
import Synchronization

/// Runs functions as warm plugin processes: a pool of workers per function on one libuv loop
/// thread, with Lambda's deadlines and error names. Invocations are async calls; everything
/// about processes happens on the loop thread, reached through `CPluginLoop`.
///
/// The host retains itself while its loop runs: call `shutdown()` when done, which stops every
/// worker (shutdown message, end of input, SIGTERM, SIGKILL, each after the function's grace)
/// and reaps it.
public final class PluginHost: Sendable {
    public struct Options: Sendable {
        public var region = "us-east-1"
        public var account = "123456789012"
        public var paths: HostPaths
        /// How often deadlines, hello timeouts, idle workers and teardown steps are checked.
        public var tickMilliseconds: UInt64 = 20
        /// Where sandboxed workers get their scratch directories.
        public var scratchRoot = NSTemporaryDirectory()
        /// Variables every worker gets (a function's own `environment` overrides them).
        public var environment: [String: String] = [:]

        public init(paths: HostPaths = .discover()) { self.paths = paths }
    }

    let registry: FunctionRegistry
    /// Each function of the registry, by name (see `Function`).
    let functions: [String: Function]
    let options: Options
    let logger: Logger
    let state = Mutex(HostState())
    /// Invocations callers queued for the loop thread.
    let submissions = Mutex(SubmissionQueue())
    let lineEstimate = LineEstimate()
    /// Set once in `init`, then only read.
    nonisolated(unsafe) var loop: OpaquePointer?
    /// What the lines of the current read caused; only the loop thread touches it, and
    /// `flushReadEffects` does it all at the end of the read (one wake-up for many answers).
    nonisolated(unsafe) var readEffects = Effects()
    /// The loop thread's empty list with room, swapped with the callers' full one on each
    /// take (a copy would allocate a new list of the same room every time).
    nonisolated(unsafe) var spareSubmissions: [Invocation] = []
    /// What the loop thread last found busy (its list kept from one take to the next).
    nonisolated(unsafe) var lastBusyFunctions: [String] = []
    /// Answered callers kept to be resumed together (see `flushReadEffects`); loop thread only.
    nonisolated(unsafe) var deferredResumptions = Deque<(continuation: AnswerContinuation, answer: Answer)>()

    public init(registry: FunctionRegistry, options: Options = Options(), logger: Logger = Logger(label: "statesman.plugins")) {
        self.registry = registry
        functions = Dictionary(uniqueKeysWithValues: registry.functions.map { name, function in
            (name, Function(FunctionIdentity(
                name: name, arn: "arn:aws:lambda:\(options.region):\(options.account):function:\(name)", memoryLimitInMB: function.memoryMB,
                timeoutMilliseconds: Int(function.timeoutSeconds * 1000))))
        })
        self.options = options
        self.logger = logger
        let context = Unmanaged.passRetained(self).toOpaque()
        let callbacks = sm_callbacks(
            context: context,
            spawned: { context, worker, pid in PluginHost.with(context) { $0.spawned(worker: worker, pid: pid) } },
            line: { context, worker, bytes, count in
                PluginHost.with(context) { $0.received(worker: worker, line: UnsafeBufferPointer(start: bytes, count: count)) }
            },
            log: { context, worker, bytes, count in
                PluginHost.with(context) { $0.logged(worker: worker, line: UnsafeBufferPointer(start: bytes, count: count)) }
            },
            oversize: { context, worker in PluginHost.with(context) { $0.oversize(worker: worker) } },
            exited: { context, worker, status, signal in PluginHost.with(context) { $0.exited(worker: worker, status: status, signal: signal) } },
            tick: { context in PluginHost.with(context) { $0.tick() } },
            flush: { context in PluginHost.with(context) { $0.flushReadEffects() } },
            wake: { context in PluginHost.with(context) { $0.takeSubmissions() } },
            settled: { context in PluginHost.with(context) { $0.runCaptured() } })
        loop = sm_loop_start(callbacks, PluginProtocol.maximumLineBytes, options.tickMilliseconds)
        if loop == nil {
            Unmanaged<PluginHost>.fromOpaque(context).release()
            logger.critical("the plugin host's event loop could not start")
        }
    }

    /// About how long recent invoke lines were, in bytes: every caller reads it, so it is in
    /// an object of its own (inside the host's, it shared a cache line with the host's locks).
    final class LineEstimate: Sendable {
        let bytes = Atomic<Int>(256)
    }

    /// A function of the registry, found once by name (`function(named:)`) and handed to
    /// `invoke`: each invocation then skips the lookup, and writes what its invoke line says
    /// about the function from bytes encoded once.
    public final class Function: @unchecked Sendable {
        public let name: String
        let identity: FunctionIdentity
        /// `identity.invokeLineParts`, in memory of their own that never changes (so copying
        /// them into a line counts no reference).
        let lineHead: UnsafeBufferPointer<UInt8>
        let lineTail: UnsafeBufferPointer<UInt8>

        init(_ identity: FunctionIdentity) {
            name = identity.name
            self.identity = identity
            let (head, tail) = identity.invokeLineParts
            lineHead = UnsafeBufferPointer(Self.copy(head))
            lineTail = UnsafeBufferPointer(Self.copy(tail))
        }

        deinit {
            lineHead.deallocate()
            lineTail.deallocate()
        }

        static func copy(_ bytes: [UInt8]) -> UnsafeMutableBufferPointer<UInt8> {
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: bytes.count)
            _ = copy.initialize(from: bytes)
            return copy
        }
    }

    /// The registry's function `name`; nil when there is none.
    public func function(named name: String) -> Function? { functions[name] }

    /// Runs `body` with the host a loop callback's context holds, without retaining it (the
    /// host keeps itself retained while its loop runs): a retain per callback wrote to the
    /// host object's reference count, whose cache line every caller's retains write too.
    static func with(_ context: UnsafeMutableRawPointer?, _ body: (PluginHost) -> Void) {
        Unmanaged<PluginHost>.fromOpaque(context!)._withUnsafeGuaranteedRef(body)
    }

    // MARK: - Invoking

    /// Runs one invocation of `function` and returns its result. `onHeartbeat` is called on
    /// each heartbeat the plugin sends for it. Cancelling the calling task tells the plugin
    /// (`cancel`) and returns `Plugin.Cancelled` at once. It runs on its caller's executor
    /// (`nonisolated(nonsending)`), sparing a hop to the global executor on each call.
    nonisolated(nonsending) public func invoke(
        function name: String, payload: JSONValue, context: InvocationContext, onHeartbeat: (@Sendable () -> Void)? = nil
    ) async -> Result<JSONValue, PluginFailure> {
        guard let function = functions[name] else {
            return .failure(PluginFailure(error: PluginFailure.Name.notFound, errorMessage: "Function not found: \(name)", requestId: context.requestId))
        }
        return await invoke(function, payload: payload, context: context, onHeartbeat: onHeartbeat)
    }

    /// `invoke(function:…)` for a function already found (`function(named:)`).
    nonisolated(nonsending) public func invoke(
        _ function: Function, payload: JSONValue, context: InvocationContext, onHeartbeat: (@Sendable () -> Void)? = nil
    ) async -> Result<JSONValue, PluginFailure> {
        // A caller already cancelled gets its answer now: submitted, it would wait for the
        // loop's next look when every worker is busy (the submission wakes nobody then).
        if Task.isCancelled { return .failure(Self.cancelled(context.requestId)) }
        let number = InvocationNumbers.take()
        // Encoded here, on the caller's thread: the loop thread only moves bytes. The buffer
        // starts at about the size of recent lines, so large payloads do not grow it step by
        // step (a racy estimate is fine). The estimate changes only when a line outgrows it or
        // is far smaller: a store per invocation moved its cache line between the callers' cores.
        let estimate = lineEstimate.bytes.load(ordering: .relaxed)
        var encoded = JSONByteBuffer(capacity: estimate)
        HostMessage.writeInvoke(number: number, payload: payload, function: (function.lineHead, function.lineTail), context: context, to: &encoded)
        if encoded.count > estimate || encoded.count * 4 < estimate {
            lineEstimate.bytes.store(max(256, encoded.count + encoded.count / 8), ordering: .relaxed)
        }
        let line = encoded
        let answer = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: AnswerContinuation) in
                guard let loop else {
                    continuation.resume(returning: .outcome(.failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is not running", requestId: context.requestId))))
                    return
                }
                let invocation = Invocation(
                    number: number, function: function.name, requestId: context.requestId, executionArn: context.executionArn, line: line,
                    continuation: continuation, onHeartbeat: onHeartbeat)
                if startDirectly(invocation, loop: loop) { return }
                // Otherwise the caller only queues the work and wakes the loop thread, which
                // starts workers and queues: callers never wait for each other or for the loop.
                // Under the queue's lock, so the loop cannot be stopped (and freed) in between.
                // Waking the loop thread costs more than the rest of a submission; when the
                // function's workers are all busy, the next answer takes it without one.
                let accepted = submissions.withLock { queue in
                    guard !queue.closed else { return false }
                    queue.list.append(invocation)
                    if !queue.busyFunctions.contains(function.name) { sm_wake(loop) }
                    return true
                }
                if !accepted {
                    continuation.resume(returning: .outcome(.failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is shut down", requestId: context.requestId))))
                }
            }
        } onCancel: {
            cancel(number)
        }
        switch answer {
        case .outcome(let outcome):
            return outcome
        case .resultLine(let bytes, let worker):
            return decodeResult(bytes, of: number, from: worker, requestId: context.requestId)
        }
    }

    /// Decodes a `result` line the loop thread matched to invocation `number` by its prefix
    /// alone. A line that is not that message after all is the worker's protocol violation.
    func decodeResult(_ bytes: [UInt8], of number: UInt64, from worker: UInt64, requestId: String) -> Result<JSONValue, PluginFailure> {
        // Most often the line is that message exactly, as the bundled runners write it.
        if let (found, payload) = bytes.withUnsafeBufferPointer(PluginMessage.decodeResult), found == number { return .success(payload) }
        let problem: String
        do {
            let message = try bytes.withUnsafeBufferPointer { line throws(PluginProtocolViolation) in try PluginMessage.decode(line) }
            if case .result(let id, let payload) = message, id == String(number) { return .success(payload) }
            problem = "an answer that is not the result of invocation \"\(number)\""
        } catch {
            problem = error.description
        }
        // The worker is replaced at once, before this caller (or another) can hand it more.
        var effects = Effects()
        state.withLock { state in
            // Under the state lock, so the loop cannot be stopped meanwhile (`shutdown` sets
            // `stopping` first, and a host shutting down replaces no worker).
            guard !state.stopping, let loop else { return }
            violated(worker, problem, in: &state, loop: loop, effects: &effects)
        }
        effects.perform(logger: logger)
        return .failure(PluginFailure(error: PluginFailure.Name.protocolError, errorMessage: "The plugin broke the protocol: \(problem)", requestId: requestId))
    }

    /// On the loop thread: moves what callers submitted into their pools and dispatches it.
    /// Called on a wake-up, and after every read, exit and tick: submissions for a busy
    /// function do not wake the loop (see `SubmissionQueue.busyFunctions`).
    func takeSubmissions() {
        var taken: [Invocation] = []
        swap(&taken, &spareSubmissions)
        submissions.withLock { queue in swap(&queue.list, &taken) }
        defer {
            taken.removeAll(keepingCapacity: true)
            spareSubmissions = taken
        }
        // Nothing submitted, and no function busy at the last look (so callers wake the loop
        // for every submission): nothing to dispatch, and nothing to tell the callers. The
        // usual case after a read with one invocation in flight per worker.
        if taken.isEmpty, lastBusyFunctions.isEmpty { return }
        guard let loop else { return }
        var effects = Effects()
        var busy: [String] = []
        swap(&busy, &lastBusyFunctions)
        busy.removeAll(keepingCapacity: true)
        state.withLock { state in
            // Each function's queue is dispatched once its submissions are in (most often all
            // are for one function; one interleaved with another is merely dispatched twice).
            var undispatched: Pool?
            for invocation in taken {
                // (The set is looked into only when it holds anything: most often it is empty.)
                if !state.cancelledEarly.isEmpty, state.cancelledEarly.remove(invocation.number) != nil {
                    effects.resume(invocation.continuation, .failure(Self.cancelled(invocation.requestId)))
                    continue
                }
                if state.stopping {
                    effects.resume(
                        invocation.continuation,
                        .failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is shut down", requestId: invocation.requestId)))
                    continue
                }
                // The previous invocation's pool again, most often, without looking it up.
                let found = undispatched.flatMap { $0.function.name == invocation.function ? $0 : nil } ?? pool(invocation.function, in: &state, effects: &effects)
                guard let pool = found else {
                    effects.resume(
                        invocation.continuation,
                        .failure(PluginFailure(error: PluginFailure.Name.notFound, errorMessage: "Function not found: \(invocation.function)", requestId: invocation.requestId)))
                    continue
                }
                if var failure = pool.launchFailure {
                    failure.requestId = invocation.requestId
                    effects.resume(invocation.continuation, .failure(failure))
                    continue
                }
                if let other = undispatched, other !== pool { dispatch(other, in: &state, loop: loop, effects: &effects) }
                pool.queue.append(invocation)
                undispatched = pool
            }
            if let pool = undispatched { dispatch(pool, in: &state, loop: loop, effects: &effects) }
            // A queue left over means every worker of that pool is busy or starting: each
            // will answer, say hello, exit or time out, and the loop takes submissions then.
            for (name, pool) in state.pools where !pool.queue.isEmpty { busy.append(name) }
        }
        effects.perform(logger: logger)
        defer { lastBusyFunctions = busy }
        submissions.withLock { queue in
            // Replaced only when it changed (it most often has not): no list made per take.
            if queue.busyFunctions != busy { queue.busyFunctions = busy }
            // What arrived meanwhile for a function no longer busy skipped its wake-up (once the
            // host is shut down, `shutdown` fails what is left).
            if !queue.closed, queue.list.contains(where: { !busy.contains($0.function) }) { sm_wake(loop) }
        }
    }

    static func cancelled(_ requestId: String) -> PluginFailure {
        PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The invocation was cancelled", requestId: requestId)
    }

    func cancel(_ number: UInt64) {
        let waiting = submissions.withLock { queue -> Invocation? in
            guard let index = queue.list.firstIndex(where: { $0.number == number }) else { return nil }
            return queue.list.remove(at: index)
        }
        if let waiting {
            waiting.continuation?.resume(returning: .outcome(.failure(Self.cancelled(waiting.requestId))))
            return
        }
        var effects = Effects()
        state.withLock { state in
            for name in state.pools.keys {
                if let index = state.pools[name]!.queue.firstIndex(where: { $0.number == number }) {
                    let invocation = state.pools[name]!.queue.remove(at: index)
                    effects.resume(invocation.continuation, .failure(Self.cancelled(invocation.requestId)))
                    return
                }
            }
            for id in state.workers.keys {
                if let index = state.workers[id]!.inFlight.firstIndex(where: { $0.number == number }) {
                    // The plugin is told; its worker stays busy until it answers (the answer
                    // is dropped) or the function's timeout ends it.
                    let invocation = state.workers[id]!.inFlight[index]
                    let continuation = invocation.continuation
                    invocation.continuation = nil
                    effects.resume(continuation, .failure(Self.cancelled(invocation.requestId)))
                    if let loop { send(HostMessage.cancel(id: String(number)).line, to: id, loop: loop) }
                    return
                }
            }
            state.cancelledEarly.insert(number)
        }
        effects.perform(logger: logger)
    }

    /// The pool of `name`, created on first use; nil when there is no such function.
    func pool(_ name: String, in state: inout HostState, effects: inout Effects) -> Pool? {
        if let pool = state.pools[name] { return pool }
        guard let function = registry[name], let identity = functions[name]?.identity else { return nil }
        let pool = Pool(function: function, identity: identity)
        do {
            pool.plan = try LaunchPlan(function: function, region: options.region, paths: options.paths, engineEnvironment: options.environment)
        } catch {
            pool.launchFailure = error
            logger.error("\(error.errorMessage)", metadata: ["function": "\(name)"])
        }
        if function.sandbox != nil, pool.plan != nil { effects.warnings += Sandbox.warnings(for: function, paths: options.paths) }
        state.pools[name] = pool
        return pool
    }

    // MARK: - Helpers

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1000 + UInt64(time.tv_nsec) / 1_000_000
    }

    /// Lambda's timestamp in timeout messages: `2024-05-01T12:00:00.123Z`.
    static func lambdaTimestamp() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date())
    }

    static func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        pointers.append(nil)
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}

/// Invocation numbers (their ids in the protocol), unique in the process: each thread takes
/// them from a block of its own, reserved 1,024 at a time. With one counter for all, each
/// caller's increment waited for the counter's cache line to come from another core (half of
/// `invoke`'s own time in a pipelined Map).
enum InvocationNumbers {
    private static let reserved = Atomic<UInt64>(1)
    private static let blockSize: UInt64 = 1024
    private static let blocks = ThreadLocal((next: UInt64(0), end: UInt64(0)))

    static func take() -> UInt64 {
        blocks.withValue { block in
            if block.next == block.end {
                let start = reserved.wrappingAdd(blockSize, ordering: .relaxed).oldValue
                block = (start, start + blockSize)
            }
            defer { block.next += 1 }
            return block.next
        }
    }
}
