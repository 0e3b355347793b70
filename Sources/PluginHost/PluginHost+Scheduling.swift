import CPluginLoop
import Foundation
import JSONCore
import Logging
import PluginProtocol
import Synchronization

/// Pools and workers: finding a pool, dispatching queued invocations, starting workers.
extension PluginHost {
    // MARK: - Scheduling (all under the state lock)

    /// Gives queued invocations to workers with room, starting workers when there are none.
    func dispatch(_ name: String, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard let pool = state.pools[name] else { return }
        dispatch(pool, in: &state, loop: loop, effects: &effects)
    }

    func dispatch(_ pool: Pool, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        // Without pipelining, a worker waiting for its next line gets it now rather than after
        // the rest of the read's work (when the loop coalesces its writes). With pipelining,
        // coalescing wins: a worker written to twice is woken twice.
        let writeAtOnce = pool.pipelineDepth == 0
        while !pool.queue.isEmpty {
            // A worker with a free slot first; else one whose pipe may hold more (pipelining).
            let (free, piped, starting) = pool.slots()
            if free == nil, pool.workers.count < pool.function.maximumWorkers, starting < pool.queue.count {
                startWorker(for: pool, in: &state, loop: loop, effects: &effects)
            }
            guard let worker = free ?? piped else { break }
            let invocation = pool.queue.removeFirst()
            let now = Self.now()
            if worker.inFlight.count < worker.concurrency { invocation.startedAt = now }
            if !(writeAtOnce && worker.inFlight.isEmpty && tryWrite(invocation.line, to: worker.id, loop: loop)) {
                send(invocation.line, to: worker.id, loop: loop)
            }
            worker.inFlight.append(invocation)
            worker.lastActive = now
        }
    }

    /// On the caller's thread: when one of the function's workers is idle and nothing waits
    /// before this invocation, hands it to that worker and writes its line from this thread,
    /// so the loop thread is not woken for it. When every worker is busy but a pipe has room,
    /// queues it for the loop thread without waking it: the loop takes submissions after the
    /// busy workers' next answer, and writes all that came meanwhile to each pipe at once,
    /// where each caller would make a write of its own.
    /// False when it must go through the submissions (no pool yet, no room, others waiting,
    /// or the host stopping).
    func startDirectly(_ invocation: Invocation, loop: OpaquePointer) -> Bool {
        // A function whose invocations were queued at the loop's last look has no room: no
        // need to try the state lock (a hint only: a submission may be overtaken, as it may
        // be by any caller).
        if submissions.withLock({ $0.busyFunctions.contains(invocation.function) }) { return false }
        var effects = Effects()
        // Never waits for the loop thread: while it holds the state, it is awake and takes
        // the submission soon anyway.
        let started = state.withLockIfAvailable { state -> Bool in
            if state.cancelledEarly.remove(invocation.number) != nil {
                effects.resume(invocation.continuation, .failure(Self.cancelled(invocation.requestId)))
                return true
            }
            guard !state.stopping, let pool = state.pools[invocation.function], pool.queue.isEmpty else { return false }
            let (free, piped, _) = pool.slots()
            // Room in a busy worker's pipe, once no further worker may start (the loop thread
            // starts one otherwise): that worker's answer is sure to come, and the loop takes
            // submissions after each read (under this lock, so it cannot have read the last
            // answer in between).
            if free == nil, piped != nil, pool.workers.count >= pool.function.maximumWorkers {
                return submissions.withLock { queue in
                    guard !queue.closed else { return false }
                    queue.list.append(invocation)
                    return true
                }
            }
            // Submissions not yet taken go first.
            guard let worker = free, submissions.withLock({ $0.list.isEmpty }) else { return false }
            let now = Self.now()
            invocation.startedAt = now
            worker.inFlight.append(invocation)
            worker.lastActive = now
            // Under the state lock, so the loop cannot be stopped meanwhile (`shutdown` sets
            // `stopping` first). A line the pipe cannot take whole now goes through the loop.
            if !tryWrite(invocation.line, to: worker.id, loop: loop) { send(invocation.line, to: worker.id, loop: loop) }
            return true
        }
        effects.perform(logger: logger)
        return started ?? false
    }

    func startWorker(for pool: Pool, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard let plan = pool.plan else { return }
        state.nextWorker += 1
        let id = state.nextWorker
        let worker = Worker(id: id, pool: pool, startedAt: Self.now())
        var scratch: String?
        if plan.sandbox != nil {
            let root = options.scratchRoot.hasSuffix("/") ? String(options.scratchRoot.dropLast()) : options.scratchRoot
            // Several hosts may share a process: the random part keeps their directories apart.
            let directory = "\(root)/statesman-\(getpid())/\(pool.function.name)-\(id)-\(UUID().uuidString.prefix(8).lowercased())"
            Sandbox.makeScratch(directory)
            scratch = directory
            worker.scratch = directory
            worker.cgroup = Sandbox.pidsCgroup(name: URL(fileURLWithPath: directory).lastPathComponent + "-\(getpid())")
        }
        let command = plan.command(scratch: scratch, pidsCgroup: worker.cgroup)
        state.workers[id] = worker
        pool.workers.append(worker)
        Self.withCStrings(command.arguments) { arguments in
            Self.withCStrings(command.environment) { environment in
                sm_spawn(loop, id, arguments, environment, command.directory)
            }
        }
    }

    func send(_ line: [UInt8], to worker: UInt64, loop: OpaquePointer) {
        line.withUnsafeBufferPointer { sm_send(loop, worker, $0.baseAddress, $0.count) }
    }

    func send(_ line: JSONByteBuffer, to worker: UInt64, loop: OpaquePointer) {
        line.withBytes { sm_send(loop, worker, $0.baseAddress, $0.count) }
    }

    /// Writes `line` to the worker's pipe from this thread when the pipe takes it whole now
    /// and nothing sent before waits; false otherwise (then `send` it).
    func tryWrite(_ line: JSONByteBuffer, to worker: UInt64, loop: OpaquePointer) -> Bool {
        line.withBytes { sm_try_write(loop, worker, $0.baseAddress, $0.count) } != 0
    }

    /// Ends a worker's running invocations with `failure`, puts the ones it had not started
    /// back at the front of the queue, and kills it.
    func abandon(_ id: UInt64, failing failure: (Invocation) -> PluginFailure, in state: inout HostState, loop: OpaquePointer, effects: inout Effects) {
        guard let worker = state.workers[id] else { return }
        var requeue: [Invocation] = []
        let now = Self.now()
        for (index, invocation) in worker.inFlight.enumerated() {
            if index < worker.concurrency || invocation.startedAt != nil {
                // A run that timed out or crashed counts too: nothing should queue behind the next.
                if let started = invocation.startedAt { worker.pool.recordRun(from: started, to: now) }
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
        if !requeue.isEmpty { worker.pool.queue.insert(contentsOf: requeue, at: 0) }
    }

}
