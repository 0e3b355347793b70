import CPluginLoop
import DequeModule
import Foundation
import JSONCore
import Logging
import PluginProtocol
import Synchronization

// MARK: - State

/// What the loop thread hands back to a caller: a finished outcome, or a plugin's `result`
/// line that the caller decodes itself, on its own thread, so the loop thread only reads.
enum Answer: Sendable {
    case outcome(Result<JSONValue, PluginFailure>)
    case resultLine([UInt8], worker: UInt64)
}

typealias AnswerContinuation = UnsafeContinuation<Answer, Never>

/// Invocations on their way from callers to the loop thread, their invoke lines already
/// encoded by the callers.
struct SubmissionQueue {
    var list: [Invocation] = []
    /// Functions whose pools had invocations queued when the loop thread last took the
    /// submissions: all their workers are busy, and one of them answering (or the tick) makes
    /// the loop take the submissions again, so submitting for them needs no wake-up.
    var busyFunctions: [String] = []
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

/// A reference, so reaching a pool through the host's table copies nothing.
/// @unchecked: only read and changed under the host's state lock.
final class Pool: @unchecked Sendable {
    let function: FunctionConfiguration
    let identity: FunctionIdentity
    var plan: LaunchPlan?
    var launchFailure: PluginFailure?
    var workers: [Worker] = []
    var queue = Deque<Invocation>()
    var startFailures = 0
    /// The mean run time of recent invocations, in milliseconds, and how many were measured
    /// (for automatic pipelining).
    private(set) var meanRunMilliseconds = 0.0
    private(set) var runsMeasured = 0

    init(function: FunctionConfiguration, identity: FunctionIdentity) {
        self.function = function
        self.identity = identity
    }

    /// Counts an invocation that ran from `start` to `end` (monotonic milliseconds). The clock's
    /// step is a millisecond, but a run begins anywhere within one, so the whole-millisecond
    /// readings of many short runs average out to their true length.
    func recordRun(from start: UInt64, to end: UInt64) {
        let weight = runsMeasured < Self.runsBeforePipelining ? 1 / Double(runsMeasured + 1) : 1.0 / 16
        meanRunMilliseconds += (Double(end &- start) - meanRunMilliseconds) * weight
        runsMeasured += 1
    }

    /// Invocations automatic pipelining does not queue before measuring this many.
    static let runsBeforePipelining = 16

    /// Where an invocation could go now: the ready worker with a free slot and the fewest in
    /// flight, else (`piped`) the one whose pipe may hold one more, fewest first; and how many
    /// workers are still starting.
    func slots() -> (free: Worker?, piped: Worker?, starting: Int) {
        let depth = pipelineDepth
        // Positions, not references, while looking: a reference kept per candidate was a
        // retain and a release per worker per dispatched invocation.
        var free = -1, freeCount = Int.max
        var piped = -1, pipedCount = Int.max
        var starting = 0
        workers.withUnsafeBufferPointer { workers in
            for index in workers.indices {
                let worker = workers[index]
                if worker.phase == .starting { starting += 1 }
                guard worker.phase == .ready else { continue }
                let count = worker.inFlight.count
                if count < worker.concurrency {
                    if count < freeCount { (free, freeCount) = (index, count) }
                } else if count < worker.concurrency + depth, count < pipedCount {
                    (piped, pipedCount) = (index, count)
                }
            }
        }
        return (free >= 0 ? workers[free] : nil, piped >= 0 ? workers[piped] : nil, starting)
    }

    /// How many invocations may wait in a busy worker's pipe now.
    var pipelineDepth: Int {
        switch function.pipelining {
        case .depth(let depth):
            return depth
        case .automatic:
            guard runsMeasured >= Self.runsBeforePipelining else { return 0 }
            let fitting = Pipelining.automaticBudgetMilliseconds / max(meanRunMilliseconds, 0.001)
            return fitting >= Double(Pipelining.automaticLimit) ? Pipelining.automaticLimit : Int(fitting)
        }
    }
}

/// A reference, so reading or changing a worker in the host's tables copies nothing.
/// @unchecked: only read and changed under the host's state lock.
final class Worker: @unchecked Sendable {
    enum Phase { case starting, ready, stopping }

    let id: UInt64
    let function: String
    /// Its function's pool, which lives as long as the host: held without counting
    /// (`unowned` made each use an atomic retain and release). See `withPool`.
    private let poolReference: Unmanaged<Pool>
    var pool: Pool { poolReference.takeUnretainedValue() }

    /// Runs `body` with the pool, not even retained for the call: the loop thread does this
    /// for every answer, and the pool's reference count is written by callers' threads too.
    func withPool<Result>(_ body: (Pool) -> Result) -> Result { poolReference._withUnsafeGuaranteedRef(body) }
    var pid: Int32 = 0
    var phase = Phase.starting
    var concurrency = 1
    /// Sent and not yet answered, oldest first; the first `concurrency` are running.
    var inFlight: [Invocation] = []
    let startedAt: UInt64
    var lastActive: UInt64 = 0
    /// 1 shutdown sent, 2 stdin closed, 3 SIGTERM, 4 SIGKILL.
    var teardownStep = 0
    var teardownAt: UInt64 = 0
    var recentLog = RecentLog()
    var startProblem: String?
    var scratch: String?
    var cgroup: String?

    init(id: UInt64, pool: Pool, startedAt: UInt64) {
        self.id = id
        function = pool.function.name
        poolReference = Unmanaged.passUnretained(pool)
        self.startedAt = startedAt
    }
}

/// A reference, so moving it from a caller to the queue and a worker's list costs one retain
/// each time.
/// @unchecked: its caller makes it and hands it over (under the submissions' lock, or the state
/// lock); from then on it is only read and changed under the host's state lock.
final class Invocation: @unchecked Sendable {
    let number: UInt64
    let function: String
    let requestId: String
    let executionArn: String?
    /// Its invoke message, as the caller encoded it (kept in its buffer: a copy per invocation saved).
    let line: JSONByteBuffer
    /// nil once answered or cancelled.
    var continuation: AnswerContinuation?
    let onHeartbeat: (@Sendable () -> Void)?
    /// When the plugin began it (as far as the host can tell), in monotonic milliseconds.
    var startedAt: UInt64?

    init(
        number: UInt64, function: String, requestId: String, executionArn: String?, line: JSONByteBuffer,
        continuation: AnswerContinuation, onHeartbeat: (@Sendable () -> Void)?
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
    /// How soon an answered caller is needed.
    enum Urgency {
        /// Its next invocation is all its function's pool waits for (nothing is queued): the
        /// loop thread may run the caller itself (see `perform`).
        case next
        case normal
        /// Its function has a deep queue, so no worker waits for this caller: it may wait for
        /// a few others, to be resumed with them (see `PluginHost.flushReadEffects`).
        case deferrable
    }

    /// A deque, so that each is moved out as it is resumed rather than copied (a retain and a
    /// release of its answer, per invocation).
    var resumptions = Deque<(continuation: AnswerContinuation, answer: Answer, urgency: Urgency)>()
    var heartbeats: [@Sendable () -> Void] = []
    var logs: [(Logger.Level, String, Logger.Metadata)] = []
    var warnings: [String] = []
    var removals: [String] = []
    var stopped: [CheckedContinuation<Void, Never>] = []

    mutating func resume(_ continuation: AnswerContinuation?, _ result: Result<JSONValue, PluginFailure>, urgency: Urgency = .normal) {
        if let continuation { resumptions.append((continuation, .outcome(result), urgency)) }
    }

    mutating func resume(_ continuation: AnswerContinuation?, resultLine: [UInt8], worker: UInt64, urgency: Urgency) {
        if let continuation { resumptions.append((continuation, .resultLine(resultLine, worker: worker), urgency)) }
    }

    mutating func removeAll() {
        resumptions.removeAll(keepingCapacity: true)
        heartbeats.removeAll(keepingCapacity: true)
        logs.removeAll(keepingCapacity: true)
        warnings.removeAll(keepingCapacity: true)
        removals.removeAll(keepingCapacity: true)
        stopped.removeAll(keepingCapacity: true)
    }

    /// `runHere`: on the loop thread after a read, the callers whose next invocation is all
    /// their function waits for are kept to run on the loop thread (`sm_capture`), once the
    /// read's writes are made: that saves waking a thread of the executor's for each.
    /// The resumptions are taken (the rest is left, to be performed again or removed).
    mutating func perform(logger: Logger, runHere: Bool = false) {
        while let resumption = resumptions.popFirst() {
            if runHere, resumption.urgency == .next {
                sm_capture(1)
                resumption.continuation.resume(returning: resumption.answer)
                sm_capture(0)
            } else {
                resumption.continuation.resume(returning: resumption.answer)
            }
        }
        for beat in heartbeats { beat() }
        for path in removals { Sandbox.remove(path) }
        for waiter in stopped { waiter.resume() }
        for (level, message, metadata) in logs { logger.log(level: level, "\(message)", metadata: metadata) }
        for warning in warnings { logger.warning("\(warning)") }
    }
}

/// A plugin's last few stderr lines, told with a failure that may be its own (a start that
/// failed, a plugin that ended or fell silent).
struct RecentLog: Sendable {
    private var lines: [String] = []
    let capacity: Int

    init(capacity: Int = 8) { self.capacity = capacity }

    mutating func append(_ line: String) {
        if lines.count == capacity { lines.removeFirst() }
        lines.append(line)
    }

    /// "; its last log lines: A | B", or nothing when it wrote none.
    var suffix: String { lines.isEmpty ? "" : "; its last log lines: " + lines.joined(separator: " | ") }
}

/// How a process ended, as the host's messages say it: "exit status N" or "signal N".
func ending(status: Int64, signal: Int32) -> String {
    signal != 0 ? "signal \(signal)" : "exit status \(status)"
}

/// How Lambda words a runtime that ended during an invocation (`Runtime.ExitError`): "Runtime
/// exited without providing a reason" after a clean exit, else "Runtime exited with error: "
/// and the ending as Lambda's Go supervisor writes it ("exit status 3", "signal: killed").
func lambdaExitReason(status: Int64, signal: Int32) -> String {
    if signal == 0 && status == 0 { return "Runtime exited without providing a reason" }
    return "Runtime exited with error: " + (signal == 0 ? "exit status \(status)" : "signal: \(signalName(signal))")
}

/// A signal's description as Go's runtime spells it: the C library's, with a lowercase first
/// letter unless the first word is an abbreviation ("killed", "segmentation fault", "CPU time
/// limit exceeded"); "signal N" for one without a description.
func signalName(_ signal: Int32) -> String {
    guard (1...31).contains(signal), let text = strsignal(signal).map({ String(cString: $0) }), !text.hasPrefix("Unknown signal") else {
        return "signal \(signal)"
    }
    let letters = Array(text)
    guard letters.count > 1, letters[1].isLowercase else { return text }
    return letters[0].lowercased() + String(letters[1...])
}
