import CPluginLoop
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
    let options: Options
    let logger: Logger
    let state = Mutex(HostState())
    /// Invocations callers queued for the loop thread.
    let submissions = Mutex(SubmissionQueue())
    let nextInvocation = Atomic<UInt64>(0)
    /// Set once in `init`, then only read.
    nonisolated(unsafe) private var loop: OpaquePointer?
    /// What the lines of the current read caused; only the loop thread touches it, and
    /// `flushReadEffects` does it all at the end of the read (one wake-up for many answers).
    nonisolated(unsafe) private var readEffects = Effects()

    public init(registry: FunctionRegistry, options: Options = Options(), logger: Logger = Logger(label: "statesman.plugins")) {
        self.registry = registry
        self.options = options
        self.logger = logger
        let context = Unmanaged.passRetained(self).toOpaque()
        let callbacks = sm_callbacks(
            context: context,
            spawned: { context, worker, pid in PluginHost.from(context).spawned(worker: worker, pid: pid) },
            line: { context, worker, bytes, count in
                PluginHost.from(context).received(worker: worker, line: UnsafeBufferPointer(start: bytes, count: count))
            },
            log: { context, worker, bytes, count in
                PluginHost.from(context).logged(worker: worker, line: UnsafeBufferPointer(start: bytes, count: count))
            },
            oversize: { context, worker in PluginHost.from(context).oversize(worker: worker) },
            exited: { context, worker, status, signal in PluginHost.from(context).exited(worker: worker, status: status, signal: signal) },
            tick: { context in PluginHost.from(context).tick() },
            flush: { context in PluginHost.from(context).flushReadEffects() },
            wake: { context in PluginHost.from(context).takeSubmissions() })
        loop = sm_loop_start(callbacks, PluginProtocol.maximumLineBytes, options.tickMilliseconds)
        if loop == nil {
            Unmanaged<PluginHost>.fromOpaque(context).release()
            logger.critical("the plugin host's event loop could not start")
        }
    }

    private static func from(_ context: UnsafeMutableRawPointer?) -> PluginHost {
        Unmanaged<PluginHost>.fromOpaque(context!).takeUnretainedValue()
    }

    // MARK: - Invoking

    /// Runs one invocation of `function` and returns its result. `onHeartbeat` is called on
    /// each heartbeat the plugin sends for it. Cancelling the calling task tells the plugin
    /// (`cancel`) and returns `Plugin.Cancelled` at once.
    public func invoke(
        function: String, payload: JSONValue, context: InvocationContext, onHeartbeat: (@Sendable () -> Void)? = nil
    ) async -> Result<JSONValue, PluginFailure> {
        let number = nextInvocation.add(1, ordering: .relaxed).newValue
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<Result<JSONValue, PluginFailure>, Never>) in
                guard let loop else {
                    continuation.resume(returning: .failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is not running", requestId: context.requestId)))
                    return
                }
                // The caller only queues the work and wakes the loop thread, which owns the
                // pools: callers never wait for each other or for the loop.
                let submission = Submission(
                    number: number, function: function, payload: payload, context: context, continuation: continuation, onHeartbeat: onHeartbeat)
                // Under the queue's lock, so the loop cannot be stopped (and freed) in between.
                let accepted = submissions.withLock { queue in
                    guard !queue.closed else { return false }
                    queue.list.append(submission)
                    sm_wake(loop)
                    return true
                }
                if !accepted {
                    continuation.resume(returning: .failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is shut down", requestId: context.requestId)))
                }
            }
        } onCancel: {
            cancel(number)
        }
    }

    /// On the loop thread: moves what callers submitted into their pools and dispatches it.
    private func takeSubmissions() {
        let taken = submissions.withLock { queue -> [Submission] in
            defer { queue.list.removeAll(keepingCapacity: true) }
            return queue.list
        }
        guard !taken.isEmpty, let loop else { return }
        var effects = Effects()
        state.withLock { state in
            var touched: Set<String> = []
            for submission in taken {
                let requestId = submission.context.requestId
                if state.cancelledEarly.remove(submission.number) != nil {
                    effects.resume(submission.continuation, .failure(Self.cancelled(requestId)))
                    continue
                }
                if state.stopping {
                    effects.resume(
                        submission.continuation,
                        .failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is shut down", requestId: requestId)))
                    continue
                }
                guard let pool = pool(named: submission.function, in: &state, effects: &effects) else {
                    effects.resume(
                        submission.continuation,
                        .failure(PluginFailure(error: PluginFailure.Name.notFound, errorMessage: "Function not found: \(submission.function)", requestId: requestId)))
                    continue
                }
                if var failure = pool.launchFailure {
                    failure.requestId = requestId
                    effects.resume(submission.continuation, .failure(failure))
                    continue
                }
                var line = JSONByteBuffer(capacity: 256)
                HostMessage.invoke(id: String(submission.number), payload: submission.payload, function: pool.identity, context: submission.context)
                    .write(to: &line)
                let invocation = Invocation(
                    number: submission.number, function: submission.function, requestId: requestId, executionArn: submission.context.executionArn,
                    line: line.bytes, continuation: submission.continuation, onHeartbeat: submission.onHeartbeat)
                state.pools[submission.function]!.queue.append(invocation)
                touched.insert(submission.function)
            }
            for function in touched { dispatch(function, in: &state, loop: loop, effects: &effects) }
        }
        effects.perform(logger: logger)
    }

    static func cancelled(_ requestId: String) -> PluginFailure {
        PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The invocation was cancelled", requestId: requestId)
    }

    private func cancel(_ number: UInt64) {
        let waiting = submissions.withLock { queue -> Submission? in
            guard let index = queue.list.firstIndex(where: { $0.number == number }) else { return nil }
            return queue.list.remove(at: index)
        }
        if let waiting {
            waiting.continuation.resume(returning: .failure(Self.cancelled(waiting.context.requestId)))
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

    /// The pool for `name`, created on first use.
    private func pool(named name: String, in state: inout HostState, effects: inout Effects) -> Pool? {
        if let pool = state.pools[name] { return pool }
        guard let function = registry[name] else { return nil }
        let identity = FunctionIdentity(
            name: name, arn: "arn:aws:lambda:\(options.region):\(options.account):function:\(name)", memoryLimitInMB: function.memoryMB,
            timeoutMilliseconds: Int(function.timeoutSeconds * 1000))
        var pool = Pool(function: function, identity: identity)
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

    // MARK: - Scheduling (all under the state lock)

    /// Gives queued invocations to workers with room, starting workers when there are none.
    private func dispatch(_ name: String, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        // Taken out of the dictionary while it changes, so its arrays are not copied.
        guard var pool = state.pools.removeValue(forKey: name) else { return }
        defer { state.pools[name] = pool }
        let depth = pool.function.pipelineDepth
        while !pool.queue.isEmpty {
            // A worker with a free slot first; else one whose pipe may hold more (pipelining).
            var free: (id: UInt64, count: Int)?
            var piped: (id: UInt64, count: Int)?
            var starting = 0
            for id in pool.workers {
                guard let worker = state.workers[id] else { continue }
                if worker.phase == .starting { starting += 1 }
                guard worker.phase == .ready else { continue }
                let count = worker.inFlight.count
                if count < worker.concurrency {
                    if count < free?.count ?? .max { free = (id, count) }
                } else if count < worker.concurrency + depth, count < piped?.count ?? .max {
                    piped = (id, count)
                }
            }
            if free == nil, pool.workers.count < pool.function.maximumWorkers, starting < pool.queue.count {
                startWorker(for: &pool, in: &state, loop: loop, effects: &effects)
            }
            guard let id = (free ?? piped)?.id else { break }
            let invocation = pool.queue.removeFirst()
            let now = Self.now()
            if let worker = state.workers[id], worker.inFlight.count < worker.concurrency { invocation.startedAt = now }
            send(invocation.line, to: id, loop: loop)
            state.workers[id]!.inFlight.append(invocation)
            state.workers[id]!.lastActive = now
        }
    }

    private func startWorker(for pool: inout Pool, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard let plan = pool.plan else { return }
        state.nextWorker += 1
        let id = state.nextWorker
        var worker = Worker(id: id, function: pool.function.name, startedAt: Self.now())
        var scratch: String?
        if plan.sandbox != nil {
            let root = options.scratchRoot.hasSuffix("/") ? String(options.scratchRoot.dropLast()) : options.scratchRoot
            // Several hosts may share a process: the random part keeps their directories apart.
            let directory = "\(root)/statesman-\(getpid())/\(pool.function.name)-\(id)-\(UUID().uuidString.prefix(8).lowercased())"
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            scratch = directory
            worker.scratch = directory
            worker.cgroup = Sandbox.pidsCgroup(name: URL(fileURLWithPath: directory).lastPathComponent + "-\(getpid())")
        }
        let command = plan.command(scratch: scratch, pidsCgroup: worker.cgroup)
        state.workers[id] = worker
        pool.workers.append(id)
        Self.withCStrings(command.arguments) { arguments in
            Self.withCStrings(command.environment) { environment in
                sm_spawn(loop, id, arguments, environment, command.directory)
            }
        }
    }

    private func send(_ line: [UInt8], to worker: UInt64, loop: OpaquePointer) {
        line.withUnsafeBufferPointer { sm_send(loop, worker, $0.baseAddress, $0.count) }
    }

    /// Ends a worker's running invocations with `failure`, puts the ones it had not started
    /// back at the front of the queue, and kills it.
    private func abandon(_ id: UInt64, failing failure: (Invocation) -> PluginFailure, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard var worker = state.workers[id] else { return }
        var requeue: [Invocation] = []
        for (index, invocation) in worker.inFlight.enumerated() {
            if index < worker.concurrency || invocation.startedAt != nil {
                effects.resume(invocation.continuation, .failure(failure(invocation)))
            } else {
                invocation.startedAt = nil
                requeue.append(invocation)
            }
        }
        worker.inFlight = []
        if worker.phase != .stopping || worker.teardownStep < 4 {
            sm_kill(loop, id, SIGKILL)
            worker.teardownStep = 4
        }
        worker.phase = .stopping
        state.workers[id] = worker
        if !requeue.isEmpty { state.pools[worker.function]?.queue.insert(contentsOf: requeue, at: 0) }
    }

    // MARK: - Loop callbacks (on the loop thread)

    private func spawned(worker id: UInt64, pid: Int64) {
        var effects = Effects()
        state.withLock { state in
            guard let loop else { return }
            guard pid > 0 else {
                guard let worker = state.workers.removeValue(forKey: id) else { return }
                removeFromPool(worker, in: &state)
                let reason = String(cString: strerror(Int32(-pid)))
                startFailed(worker, message: "the process could not be started: \(reason)", in: &state, loop: loop, effects: &effects)
                return
            }
            state.workers[id]?.pid = Int32(pid)
        }
        effects.perform(logger: logger)
    }

    private func received(worker id: UInt64, line: UnsafeBufferPointer<UInt8>) {
        let decoded: Result<PluginMessage, PluginProtocolViolation>
        do {
            decoded = .success(try PluginMessage.decode(line))
        } catch {
            decoded = .failure(error)
        }
        state.withLock { state in
            // A worker already killed with nothing in flight has nothing left to say.
            guard let loop, let worker = state.workers[id], !(worker.teardownStep == 4 && worker.inFlight.isEmpty) else { return }
            switch decoded {
            case .failure(let violation):
                violated(id, violation.description, in: &state, loop: loop, effects: &readEffects)
            case .success(let message):
                handle(message, from: id, in: &state, loop: loop, effects: &readEffects)
            }
        }
    }

    private func flushReadEffects() {
        let effects = readEffects
        readEffects = Effects()
        effects.perform(logger: logger)
    }

    private func handle(_ message: PluginMessage, from id: UInt64, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard var worker = state.workers[id] else { return }
        if worker.phase == .starting {
            guard case .hello(let hello) = message else {
                violated(id, "the first line must be a hello message", in: &state, loop: loop, effects: &effects)
                return
            }
            guard let version = hello.protocolVersions.filter(PluginProtocol.versions.contains).max() else {
                violated(id, "the plugin speaks protocol versions \(hello.protocolVersions), this host speaks \(PluginProtocol.versions)", in: &state, loop: loop, effects: &effects)
                return
            }
            worker.phase = .ready
            worker.concurrency = hello.concurrency
            worker.lastActive = Self.now()
            state.workers[id] = worker
            state.pools[worker.function]?.startFailures = 0
            if let identity = state.pools[worker.function]?.identity {
                send(HostMessage.welcome(protocolVersion: version, function: identity).line, to: id, loop: loop)
            }
            dispatch(worker.function, in: &state, loop: loop, effects: &effects)
            return
        }
        switch message {
        case .hello:
            violated(id, "a second hello message", in: &state, loop: loop, effects: &effects)
        case .result(let invocationID, let payload):
            finish(invocationID, on: id, with: .success(payload), in: &state, loop: loop, effects: &effects)
        case .error(let invocationID, let error):
            finish(invocationID, on: id, with: .failure(error), in: &state, loop: loop, effects: &effects)
        case .heartbeat(let invocationID):
            let number = UInt64(invocationID)
            if let invocation = worker.inFlight.first(where: { $0.number == number }) {
                if let beat = invocation.onHeartbeat { effects.heartbeats.append(beat) }
            } else if !worker.cancelled.contains(invocationID) {
                violated(id, "a heartbeat for the unknown invocation id \"\(invocationID)\"", in: &state, loop: loop, effects: &effects)
            }
        case .log(let invocationID, let level, let text):
            var metadata = metadata(for: worker)
            if let invocationID, let invocation = worker.inFlight.first(where: { String($0.number) == invocationID }) {
                metadata["requestId"] = "\(invocation.requestId)"
            }
            effects.logs.append((Logger.Level(rawValue: level) ?? .info, text, metadata))
        case .unknown:
            break
        }
    }

    private func finish(
        _ invocationID: String, on id: UInt64, with outcome: Result<JSONValue, PluginError>, in state: inout HostState, loop: OpaquePointer,
        effects: inout Effects
    ) {
        // Changed in place (through the dictionary), so the arrays are not copied.
        guard state.workers[id] != nil else { return }
        let number = UInt64(invocationID)
        guard let index = state.workers[id]!.inFlight.firstIndex(where: { $0.number == number }) else {
            if state.workers[id]!.cancelled.remove(invocationID) == nil {
                violated(id, "an answer for the unknown invocation id \"\(invocationID)\"", in: &state, loop: loop, effects: &effects)
            }
            return
        }
        let invocation = state.workers[id]!.inFlight.remove(at: index)
        if invocation.continuation == nil { state.workers[id]!.cancelled.remove(invocationID) }
        let now = Self.now()
        let running = min(state.workers[id]!.concurrency, state.workers[id]!.inFlight.count)
        for position in 0..<running where state.workers[id]!.inFlight[position].startedAt == nil {
            state.workers[id]!.inFlight[position].startedAt = now
        }
        state.workers[id]!.lastActive = now
        let worker = state.workers[id]!
        switch outcome {
        case .success(let payload):
            effects.resume(invocation.continuation, .success(payload))
        case .failure(let error):
            var failure = PluginFailure(
                error: error.errorType, errorMessage: error.errorMessage, errorType: error.errorType, stackTrace: error.stackTrace,
                requestId: invocation.requestId)
            if error.errorType.isEmpty { failure.error = PluginFailure.Name.unknown }
            effects.resume(invocation.continuation, .failure(failure))
        }
        dispatch(worker.function, in: &state, loop: loop, effects: &effects)
    }

    /// A protocol violation: the worker is replaced, its running invocations fail.
    private func violated(_ id: UInt64, _ description: String, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard let worker = state.workers[id] else { return }
        let message = "The plugin broke the protocol: \(description)"
        effects.logs.append((.error, message, metadata(for: worker)))
        if worker.phase == .starting {
            sm_kill(loop, id, SIGKILL)
            state.workers[id]!.phase = .stopping
            state.workers[id]!.teardownStep = 4
            state.workers[id]!.startProblem = message
            return
        }
        abandon(id, failing: { PluginFailure(error: PluginFailure.Name.protocolError, errorMessage: message, requestId: $0.requestId) }, in: &state, loop: loop, effects: &effects)
        dispatch(worker.function, in: &state, loop: loop, effects: &effects)
    }

    private func oversize(worker id: UInt64) {
        var effects = Effects()
        state.withLock { state in
            guard let loop else { return }
            violated(id, "a line longer than \(PluginProtocol.maximumLineBytes) bytes", in: &state, loop: loop, effects: &effects)
        }
        effects.perform(logger: logger)
    }

    private func logged(worker id: UInt64, line: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: line, as: UTF8.self)
        let metadata: Logger.Metadata? = state.withLock { state in
            guard var worker = state.workers[id] else { return nil }
            worker.recentLog.append(text)
            if worker.recentLog.count > 8 { worker.recentLog.removeFirst() }
            state.workers[id] = worker
            return self.metadata(for: worker)
        }
        logger.info("\(text)", metadata: metadata)
    }

    private func metadata(for worker: Worker) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["function": "\(worker.function)", "pid": "\(worker.pid)"]
        if let running = worker.inFlight.first {
            metadata["requestId"] = "\(running.requestId)"
            if let execution = running.executionArn { metadata["execution"] = "\(execution)" }
        }
        return metadata
    }

    private func exited(worker id: UInt64, status: Int64, signal: Int32) {
        var effects = Effects()
        state.withLock { state in
            guard let loop, let worker = state.workers[id] else { return }
            let ending = signal != 0 ? "signal \(signal)" : "exit status \(status)"
            if worker.phase == .starting || worker.startProblem != nil {
                let reason = worker.startProblem ?? "the plugin ended (\(ending)) before saying hello"
                let log = worker.recentLog.isEmpty ? "" : "; its last log lines: " + worker.recentLog.joined(separator: " | ")
                state.workers[id] = nil
                removeFromPool(worker, in: &state)
                startFailed(worker, message: reason + log, in: &state, loop: loop, effects: &effects)
            } else {
                if !worker.inFlight.isEmpty {
                    abandon(id, failing: { invocation in
                        PluginFailure(
                            error: PluginFailure.Name.unknown, errorMessage: "RequestId: \(invocation.requestId) Error: Runtime exited with error: \(ending)",
                            errorType: "Runtime.ExitError", requestId: invocation.requestId)
                    }, in: &state, loop: loop, effects: &effects)
                }
                state.workers[id] = nil
                removeFromPool(worker, in: &state)
                dispatch(worker.function, in: &state, loop: loop, effects: &effects)
            }
            if let scratch = worker.scratch { effects.removals.append(scratch) }
            if let cgroup = worker.cgroup { effects.removals.append(cgroup) }
            if state.stopping && state.workers.isEmpty {
                effects.stopped += state.stopWaiters
                state.stopWaiters = []
            }
        }
        effects.perform(logger: logger)
    }

    private func removeFromPool(_ worker: Worker, in state: inout HostState) {
        state.pools[worker.function]?.workers.removeAll { $0 == worker.id }
    }

    /// A worker could not start: everything waiting for this function fails, so each state's
    /// Retry decides what happens next (rather than the host restarting a broken plugin forever).
    private func startFailed(_ worker: Worker, message: String, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard var pool = state.pools[worker.function] else { return }
        pool.startFailures += 1
        let text = "Function \(worker.function) could not start: \(message)"
        effects.logs.append((.error, text, ["function": "\(worker.function)"]))
        let stillStarting = pool.workers.contains { state.workers[$0]?.phase == .starting }
        let ready = pool.workers.contains { state.workers[$0]?.phase == .ready }
        if !stillStarting && !ready {
            for invocation in pool.queue {
                effects.resume(invocation.continuation, .failure(PluginFailure(error: PluginFailure.Name.startFailed, errorMessage: text, requestId: invocation.requestId)))
            }
            pool.queue = []
        }
        state.pools[worker.function] = pool
    }

    // MARK: - Time: deadlines, hello timeouts, idle workers, teardown

    private func tick() {
        var effects = Effects()
        state.withLock { state in
            guard let loop else { return }
            let now = Self.now()
            for id in Array(state.workers.keys) {
                guard let worker = state.workers[id], let pool = state.pools[worker.function] else { continue }
                let function = pool.function
                let grace = UInt64(function.shutdownGraceSeconds * 1000)
                switch worker.phase {
                case .starting:
                    if now - worker.startedAt > UInt64(function.startSeconds * 1000) {
                        state.workers[id]!.startProblem = "no hello within \(function.startSeconds.formatted()) seconds"
                        state.workers[id]!.phase = .stopping
                        state.workers[id]!.teardownStep = 4
                        sm_kill(loop, id, SIGKILL)
                    }
                case .ready:
                    let limit = UInt64(function.timeoutSeconds * 1000)
                    if let late = worker.inFlight.first(where: { $0.startedAt.map { now - $0 >= limit } ?? false }) {
                        let seconds = String(format: "%.2f", function.timeoutSeconds)
                        let stamp = Self.lambdaTimestamp()
                        abandon(id, failing: { invocation in
                            invocation.number == late.number
                                ? PluginFailure(
                                    error: PluginFailure.Name.functionTimedOut,
                                    errorMessage: "\(stamp) \(invocation.requestId) Task timed out after \(seconds) seconds", errorType: "Sandbox.Timedout",
                                    requestId: invocation.requestId)
                                : PluginFailure(
                                    error: PluginFailure.Name.unknown,
                                    errorMessage: "RequestId: \(invocation.requestId) Error: the worker was stopped because another invocation timed out",
                                    errorType: "Runtime.ExitError", requestId: invocation.requestId)
                        }, in: &state, loop: loop, effects: &effects)
                        dispatch(worker.function, in: &state, loop: loop, effects: &effects)
                    } else if state.stopping, worker.inFlight.allSatisfy({ $0.continuation == nil }) {
                        beginTeardown(id, in: &state, loop: loop, grace: grace)
                    } else if worker.inFlight.isEmpty, pool.workers.count > function.minimumWarm,
                        now - worker.lastActive > UInt64(function.idleSeconds * 1000)
                    {
                        beginTeardown(id, in: &state, loop: loop, grace: grace)
                    }
                case .stopping:
                    guard worker.teardownStep < 4, now - worker.teardownAt >= grace else { continue }
                    state.workers[id]!.teardownStep += 1
                    state.workers[id]!.teardownAt = now
                    switch state.workers[id]!.teardownStep {
                    case 2: sm_close_stdin(loop, id)
                    case 3: sm_kill(loop, id, SIGTERM)
                    default: sm_kill(loop, id, SIGKILL)
                    }
                }
            }
            if !state.stopping {
                for name in Array(state.pools.keys) {
                    guard var pool = state.pools[name], pool.plan != nil, pool.workers.count < pool.function.minimumWarm, pool.startFailures < 3 else { continue }
                    startWorker(for: &pool, in: &state, loop: loop, effects: &effects)
                    state.pools[name] = pool
                }
            }
        }
        effects.perform(logger: logger)
    }

    /// Step 1 of teardown: the shutdown message. The tick escalates from there.
    private func beginTeardown(_ id: UInt64, in state: inout HostState, loop: OpaquePointer, grace: UInt64) {
        guard var worker = state.workers[id], worker.phase != .stopping else { return }
        worker.phase = .stopping
        worker.teardownStep = 1
        worker.teardownAt = Self.now()
        state.workers[id] = worker
        send(HostMessage.shutdown(graceMilliseconds: Int(grace)).line, to: id, loop: loop)
    }

    /// Warms a function's pool up to its `minWarm` workers (also done on each tick).
    public func warm(_ function: String) {
        var effects = Effects()
        state.withLock { state in
            guard let loop, var pool = pool(named: function, in: &state, effects: &effects), pool.plan != nil else { return }
            while pool.workers.count < max(pool.function.minimumWarm, 1) {
                startWorker(for: &pool, in: &state, loop: loop, effects: &effects)
            }
            state.pools[function] = pool
        }
        effects.perform(logger: logger)
    }

    /// Stops every worker (each escalating shutdown → end of input → SIGTERM → SIGKILL after its
    /// function's grace), waits until each has exited and been reaped, and stops the loop.
    /// Invocations still waiting fail with `Plugin.Cancelled`.
    public func shutdown() async {
        let alreadyStopping: Bool = state.withLock { state in
            defer { state.stopping = true }
            return state.stopping
        }
        guard let loop, !alreadyStopping else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            var effects = Effects()
            state.withLock { state in
                for name in state.pools.keys {
                    for invocation in state.pools[name]!.queue {
                        effects.resume(invocation.continuation, .failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is shut down", requestId: invocation.requestId)))
                    }
                    state.pools[name]!.queue = []
                }
                for (id, worker) in state.workers where worker.phase != .stopping {
                    if worker.phase == .starting {
                        state.workers[id]!.phase = .stopping
                        state.workers[id]!.teardownStep = 4
                        sm_kill(loop, id, SIGKILL)
                    } else if worker.inFlight.allSatisfy({ $0.continuation == nil }) {
                        // Idle, or busy only with invocations nobody waits for any more.
                        beginTeardown(id, in: &state, loop: loop, grace: UInt64((state.pools[worker.function]?.function.shutdownGraceSeconds ?? 2) * 1000))
                    }
                }
                if state.workers.isEmpty {
                    effects.stopped.append(continuation)
                } else {
                    state.stopWaiters.append(continuation)
                }
            }
            effects.perform(logger: logger)
        }
        let late = submissions.withLock { queue -> [Submission] in
            queue.closed = true
            defer { queue.list = [] }
            return queue.list
        }
        for submission in late {
            submission.continuation.resume(
                returning: .failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is shut down", requestId: submission.context.requestId)))
        }
        sm_loop_stop(loop)
        Unmanaged.passUnretained(self).release()
    }

    /// The workers alive now, with their process ids (for tests and `plugins check`).
    public var workerProcessIDs: [Int32] { state.withLock { $0.workers.values.map(\.pid).filter { $0 > 0 } } }

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

// MARK: - State

/// An invocation on its way from a caller to the loop thread.
struct Submission {
    let number: UInt64
    let function: String
    let payload: JSONValue
    let context: InvocationContext
    let continuation: UnsafeContinuation<Result<JSONValue, PluginFailure>, Never>
    let onHeartbeat: (@Sendable () -> Void)?
}

struct SubmissionQueue {
    var list: [Submission] = []
    /// Set when the host shuts down: nothing more is accepted.
    var closed = false
}

struct HostState {
    var pools: [String: Pool] = [:]
    var workers: [UInt64: Worker] = [:]
    var nextWorker: UInt64 = 0
    /// Invocations cancelled before they were queued.
    var cancelledEarly: Set<UInt64> = []
    var stopping = false
    var stopWaiters: [CheckedContinuation<Void, Never>] = []
}

struct Pool {
    let function: FunctionConfiguration
    let identity: FunctionIdentity
    var plan: LaunchPlan?
    var launchFailure: PluginFailure?
    var workers: [UInt64] = []
    var queue: [Invocation] = []
    var startFailures = 0

    init(function: FunctionConfiguration, identity: FunctionIdentity) {
        self.function = function
        self.identity = identity
    }
}

struct Worker {
    enum Phase { case starting, ready, stopping }

    let id: UInt64
    let function: String
    var pid: Int32 = 0
    var phase = Phase.starting
    var concurrency = 1
    /// Sent and not yet answered, oldest first; the first `concurrency` are running.
    var inFlight: [Invocation] = []
    /// Ids cancelled while in flight, whose late answers are dropped.
    var cancelled: Set<String> = []
    let startedAt: UInt64
    var lastActive: UInt64 = 0
    /// 1 shutdown sent, 2 stdin closed, 3 SIGTERM, 4 SIGKILL.
    var teardownStep = 0
    var teardownAt: UInt64 = 0
    var recentLog: [String] = []
    var startProblem: String?
    var scratch: String?
    var cgroup: String?

    init(id: UInt64, function: String, startedAt: UInt64) {
        self.id = id
        self.function = function
        self.startedAt = startedAt
    }
}

/// A reference, so moving it between the queue and a worker's list costs one retain.
/// @unchecked: only read and changed under the host's state lock.
final class Invocation: @unchecked Sendable {
    let number: UInt64
    let function: String
    let requestId: String
    let executionArn: String?
    let line: [UInt8]
    /// nil once answered or cancelled.
    var continuation: UnsafeContinuation<Result<JSONValue, PluginFailure>, Never>?
    let onHeartbeat: (@Sendable () -> Void)?
    /// When the plugin began it (as far as the host can tell), in monotonic milliseconds.
    var startedAt: UInt64?

    init(
        number: UInt64, function: String, requestId: String, executionArn: String?, line: [UInt8],
        continuation: UnsafeContinuation<Result<JSONValue, PluginFailure>, Never>, onHeartbeat: (@Sendable () -> Void)?
    ) {
        self.number = number
        self.function = function
        self.requestId = requestId
        self.executionArn = executionArn
        self.line = line
        self.continuation = continuation
        self.onHeartbeat = onHeartbeat
    }
}

/// What to do once the state lock is released.
struct Effects {
    var resumptions: [(UnsafeContinuation<Result<JSONValue, PluginFailure>, Never>, Result<JSONValue, PluginFailure>)] = []
    var heartbeats: [@Sendable () -> Void] = []
    var logs: [(Logger.Level, String, Logger.Metadata)] = []
    var warnings: [String] = []
    var removals: [String] = []
    var stopped: [CheckedContinuation<Void, Never>] = []

    mutating func resume(_ continuation: UnsafeContinuation<Result<JSONValue, PluginFailure>, Never>?, _ result: Result<JSONValue, PluginFailure>) {
        if let continuation { resumptions.append((continuation, result)) }
    }

    func perform(logger: Logger) {
        for (continuation, result) in resumptions { continuation.resume(returning: result) }
        for beat in heartbeats { beat() }
        for path in removals { Sandbox.remove(path) }
        for waiter in stopped { waiter.resume() }
        for (level, message, metadata) in logs { logger.log(level: level, "\(message)", metadata: metadata) }
        for warning in warnings { logger.warning("\(warning)") }
    }
}
