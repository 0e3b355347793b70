import CPluginLoop
import Foundation
import JSONCore
import Logging
import PluginProtocol
import Synchronization

/// What the loop thread reports: spawns, lines, logs, exits; the protocol handled per message.
extension PluginHost {
    // MARK: - Loop callbacks (on the loop thread)

    func spawned(worker id: UInt64, pid: Int64) {
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
        takeSubmissions()
    }

    func received(worker id: UInt64, line: UnsafeBufferPointer<UInt8>) {
        // Most lines are results in the form every bundled runner writes: those go to their
        // callers undecoded, and each caller decodes its own on its own thread.
        if let number = PluginMessage.resultNumber(inPrefixOf: line) {
            let answered = state.withLock { state -> Bool in
                guard let loop, let worker = state.workers[id], worker.phase == .ready,
                    let index = worker.inFlight.firstIndex(where: { $0.number == number })
                else { return false }
                finish(at: index, on: worker, with: .line(Array(line)), in: &state, loop: loop, effects: &readEffects)
                return true
            }
            if answered { return }
        }
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

    /// How long the loop thread may run callers after a read before it hands the rest to the
    /// executor's threads and goes back to reading.
    static let loopRunBudgetNanoseconds: UInt64 = 100_000

    /// After a read's writes were made: runs the callers `flushReadEffects` kept for this
    /// thread (see `Effects.perform`).
    func runCaptured() {
        guard let loop else { return }
        sm_run_captured(loop, Self.loopRunBudgetNanoseconds)
    }

    /// Callers whose function had at least this many invocations queued when they were
    /// answered are resumed `deferredBatch` at a time: each resumption may wake a thread of
    /// the executor's, and a few resumed together wake one.
    static let deferringQueue = 16
    static let deferredBatch = 8

    func flushReadEffects() {
        // The deferrable callers wait for others; any caller needed sooner, or the tick (see
        // `tick`), takes them all.
        // Moved, in order: each deferrable one to the deferred, each other back to the end.
        for _ in 0..<readEffects.resumptions.count {
            let resumption = readEffects.resumptions.removeFirst()
            if resumption.urgency == .deferrable {
                deferredResumptions.append((resumption.continuation, resumption.answer))
            } else {
                readEffects.resumptions.append(resumption)
            }
        }
        if deferredResumptions.count >= Self.deferredBatch || (!deferredResumptions.isEmpty && !readEffects.resumptions.isEmpty) {
            resumeDeferred()
        }
        readEffects.perform(logger: logger, runHere: true)
        // Kept with its room: a read's answers need the same again next time.
        readEffects.removeAll()
        takeSubmissions()
    }

    /// Resumes the callers `flushReadEffects` kept waiting (on the loop thread).
    func resumeDeferred() {
        // Resuming only queues each caller's task: nothing runs here that adds to the list.
        while let resumption = deferredResumptions.popFirst() { resumption.continuation.resume(returning: resumption.answer) }
    }

    func handle(_ message: PluginMessage, from id: UInt64, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard let worker = state.workers[id] else { return }
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
            worker.pool.startFailures = 0
            send(HostMessage.welcome(protocolVersion: version, function: worker.pool.identity).line, to: id, loop: loop)
            dispatch(worker.pool, in: &state, loop: loop, effects: &effects)
            return
        }
        switch message {
        case .hello:
            violated(id, "a second hello message", in: &state, loop: loop, effects: &effects)
        case .result(let invocationID, let payload):
            finish(invocationID, on: id, with: .result(payload), in: &state, loop: loop, effects: &effects)
        case .error(let invocationID, let error):
            finish(invocationID, on: id, with: .error(error), in: &state, loop: loop, effects: &effects)
        case .heartbeat(let invocationID):
            let number = UInt64(invocationID)
            if let invocation = worker.inFlight.first(where: { $0.number == number }) {
                if let beat = invocation.onHeartbeat { effects.heartbeats.append(beat) }
            } else {
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

    /// How a plugin answered an invocation.
    enum Reply {
        case result(JSONValue)
        case error(PluginError)
        /// A whole `result` line, for the caller to decode.
        case line([UInt8])
    }

    func finish(_ invocationID: String, on id: UInt64, with reply: Reply, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard let worker = state.workers[id] else { return }
        let number = UInt64(invocationID)
        // A cancelled invocation stays in the list (without its caller) until it is answered.
        guard let index = worker.inFlight.firstIndex(where: { $0.number == number }) else {
            violated(id, "an answer for the unknown invocation id \"\(invocationID)\"", in: &state, loop: loop, effects: &effects)
            return
        }
        finish(at: index, on: worker, with: reply, in: &state, loop: loop, effects: &effects)
    }

    /// Ends the invocation at `index` of `worker`'s list and gives the worker its next one.
    func finish(at index: Int, on worker: Worker, with reply: Reply, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        let invocation = worker.inFlight.remove(at: index)
        let now = Self.now()
        let running = min(worker.concurrency, worker.inFlight.count)
        for position in 0..<running where worker.inFlight[position].startedAt == nil {
            worker.inFlight[position].startedAt = now
        }
        worker.lastActive = now
        let queued = worker.withPool { pool in
            if let started = invocation.startedAt { pool.recordRun(from: started, to: now) }
            dispatch(pool, in: &state, loop: loop, effects: &effects)
            return pool.queue.count
        }
        // Nothing queued for the function: the worker waits for a caller's next invocation.
        // Many queued: no worker will wait for this caller for a while.
        let urgency: Effects.Urgency = queued == 0 ? .next : queued >= Self.deferringQueue ? .deferrable : .normal
        switch reply {
        case .result(let payload):
            effects.resume(invocation.continuation, .success(payload), urgency: urgency)
        case .line(let bytes):
            effects.resume(invocation.continuation, resultLine: bytes, worker: worker.id, urgency: urgency)
        case .error(let error):
            // An error Lambda's service would report has its error object's shape: no stack
            // trace, no request id.
            let fromTheService = PluginFailure.fromTheService.contains(error.errorType)
            var failure = PluginFailure(
                error: error.errorType, errorMessage: error.errorMessage, errorType: error.errorType,
                stackTrace: fromTheService ? nil : error.stackTrace, requestId: fromTheService ? "" : invocation.requestId)
            if error.errorType.isEmpty { failure.error = PluginFailure.Name.unknown }
            effects.resume(invocation.continuation, .failure(failure), urgency: urgency)
        }
    }

    /// A protocol violation: the worker is replaced, its running invocations fail. On the loop
    /// thread, or on a caller's that found its result line broken (under the state lock either way).
    func violated(_ id: UInt64, _ description: String, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
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
        dispatch(worker.pool, in: &state, loop: loop, effects: &effects)
    }

    func oversize(worker id: UInt64) {
        var effects = Effects()
        state.withLock { state in
            guard let loop else { return }
            violated(id, "a line longer than \(PluginProtocol.maximumLineBytes) bytes", in: &state, loop: loop, effects: &effects)
        }
        effects.perform(logger: logger)
    }

    func logged(worker id: UInt64, line: UnsafeBufferPointer<UInt8>) {
        let text = String(decoding: line, as: UTF8.self)
        let metadata: Logger.Metadata? = state.withLock { state in
            guard let worker = state.workers[id] else { return nil }
            worker.recentLog.append(text)
            return self.metadata(for: worker)
        }
        logger.info("\(text)", metadata: metadata)
    }

    func metadata(for worker: Worker) -> Logger.Metadata {
        var metadata: Logger.Metadata = ["function": "\(worker.function)", "pid": "\(worker.pid)"]
        if let running = worker.inFlight.first {
            metadata["requestId"] = "\(running.requestId)"
            if let execution = running.executionArn { metadata["execution"] = "\(execution)" }
        }
        return metadata
    }

    func exited(worker id: UInt64, status: Int64, signal: Int32) {
        var effects = Effects()
        state.withLock { state in
            guard let loop, let worker = state.workers[id] else { return }
            let ended = ending(status: status, signal: signal)
            if worker.phase == .starting || worker.startProblem != nil {
                let reason = worker.startProblem ?? "the plugin ended (\(ended)) before saying hello"
                state.workers[id] = nil
                removeFromPool(worker, in: &state)
                startFailed(worker, message: reason + worker.recentLog.suffix, in: &state, loop: loop, effects: &effects)
            } else {
                if !worker.inFlight.isEmpty {
                    let reason = lambdaExitReason(status: status, signal: signal)
                    abandon(id, failing: { invocation in
                        PluginFailure(
                            error: PluginFailure.Name.unknown, errorMessage: "RequestId: \(invocation.requestId) Error: \(reason)",
                            errorType: "Runtime.ExitError", requestId: invocation.requestId)
                    }, in: &state, loop: loop, effects: &effects)
                }
                state.workers[id] = nil
                removeFromPool(worker, in: &state)
                dispatch(worker.pool, in: &state, loop: loop, effects: &effects)
            }
            if let scratch = worker.scratch { effects.removals.append(scratch) }
            if let cgroup = worker.cgroup { effects.removals.append(cgroup) }
            if state.stopping && state.workers.isEmpty {
                effects.stopped += state.stopWaiters
                state.stopWaiters = []
            }
        }
        effects.perform(logger: logger)
        takeSubmissions()
    }

    func removeFromPool(_ worker: Worker, in state: inout HostState) {
        worker.pool.workers.removeAll { $0 === worker }
    }

    /// A worker could not start: everything waiting for this function fails, so each state's
    /// Retry decides what happens next (rather than the host restarting a broken plugin forever).
    func startFailed(_ worker: Worker, message: String, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        let pool = worker.pool
        pool.startFailures += 1
        let text = "Function \(worker.function) could not start: \(message)"
        effects.logs.append((.error, text, ["function": "\(worker.function)"]))
        let stillStarting = pool.workers.contains { $0.phase == .starting }
        let ready = pool.workers.contains { $0.phase == .ready }
        if !stillStarting && !ready {
            for invocation in pool.queue {
                effects.resume(invocation.continuation, .failure(PluginFailure(error: PluginFailure.Name.startFailed, errorMessage: text, requestId: invocation.requestId)))
            }
            pool.queue = []
        }
    }

}
