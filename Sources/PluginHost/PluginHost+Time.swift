import CPluginLoop
import Foundation
import JSONCore
import Logging
import PluginProtocol
import Synchronization

/// The tick: deadlines, hello timeouts, idle workers, teardown; warming; shutdown.
extension PluginHost {
    // MARK: - Time: deadlines, hello timeouts, idle workers, teardown

    func tick() {
        // Callers kept waiting for others wait one tick at most.
        resumeDeferred()
        var effects = Effects()
        state.withLock { state in
            guard let loop else { return }
            let now = Self.now()
            for id in Array(state.workers.keys) {
                guard let worker = state.workers[id] else { continue }
                let pool = worker.pool
                let function = pool.function
                let grace = UInt64(function.shutdownGraceSeconds * 1000)
                switch worker.phase {
                case .starting:
                    if now - worker.startedAt > UInt64(function.startSeconds * 1000) {
                        state.workers[id]!.startProblem = "no hello within \(function.startSeconds.formatted()) second\(function.startSeconds == 1 ? "" : "s")"
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
                        dispatch(worker.pool, in: &state, loop: loop, effects: &effects)
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
                    guard let pool = state.pools[name], pool.plan != nil, pool.workers.count < pool.function.minimumWarm, pool.startFailures < 3 else { continue }
                    startWorker(for: pool, in: &state, loop: loop, effects: &effects)
                }
            }
        }
        effects.perform(logger: logger)
        takeSubmissions()
    }

    /// Step 1 of teardown: the shutdown message. The tick escalates from there.
    func beginTeardown(_ id: UInt64, in state: inout HostState, loop: OpaquePointer, grace: UInt64) {
        guard let worker = state.workers[id], worker.phase != .stopping else { return }
        worker.phase = .stopping
        worker.teardownStep = 1
        worker.teardownAt = Self.now()
        send(HostMessage.shutdown(graceMilliseconds: Int(grace)).line, to: id, loop: loop)
    }

    /// Warms a function's pool up to its `minWarm` workers (also done on each tick).
    public func warm(_ function: String) {
        var effects = Effects()
        state.withLock { state in
            guard let loop, let pool = pool(function, in: &state, effects: &effects), pool.plan != nil else { return }
            while pool.workers.count < max(pool.function.minimumWarm, 1) {
                startWorker(for: pool, in: &state, loop: loop, effects: &effects)
            }
        }
        effects.perform(logger: logger)
    }

    /// Whether the calling code runs on this host's loop thread (a caller it resumed and runs
    /// itself, `sm_run_captured`).
    var isOnLoopThread: Bool { loop.map { sm_on_loop_thread($0) != 0 } ?? false }

    /// The loop thread's Linux thread id (0 before it runs): its entry in /proc/self/task.
    var loopThreadID: Int32 { loop.map { sm_loop_thread_id($0) } ?? 0 }

    /// Stops every worker (each escalating shutdown → end of input → SIGTERM → SIGKILL after its
    /// function's grace), waits until each has exited and been reaped, and stops the loop.
    /// Invocations still waiting fail with `Plugin.Cancelled`.
    public func shutdown() async {
        let alreadyStopping: Bool = state.withLock { state in
            defer { state.stopping = true }
            return state.stopping
        }
        guard let loop, !alreadyStopping else { return }
        // This ends by waiting for the loop thread to end, so it must not run there. A caller
        // the loop thread runs (`sm_run_captured`) reaches that wait only after the last
        // worker's exit resumed it elsewhere, as things are; moving off first keeps it so
        // whatever resumes it.
        if isOnLoopThread {
            sm_capture(0)
            await Task.yield()
        }
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
                        beginTeardown(id, in: &state, loop: loop, grace: UInt64(worker.pool.function.shutdownGraceSeconds * 1000))
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
        let late = submissions.withLock { queue -> [Invocation] in
            queue.closed = true
            defer { queue.list = [] }
            return queue.list
        }
        for invocation in late {
            invocation.continuation?.resume(
                returning: .outcome(.failure(PluginFailure(error: PluginFailure.Name.cancelled, errorMessage: "The plugin host is shut down", requestId: invocation.requestId))))
        }
        sm_loop_stop(loop)
        Unmanaged.passUnretained(self).release()
    }

    /// The workers alive now, with their process ids (for tests and `plugins check`).
    public var workerProcessIDs: [Int32] { state.withLock { $0.workers.values.map(\.pid).filter { $0 > 0 } } }

    /// How many invocations may wait in a busy worker's pipe of `function` now (0 before its first invocation).
    public func pipelineDepth(of function: String) -> Int { state.withLock { $0.pools[function]?.pipelineDepth ?? 0 } }

}
