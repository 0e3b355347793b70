import ASLErrors
import Foundation
import JSONCore
import PathExpressions

/// What a Task state asks its resource to do: the interpreter's port to whatever runs tasks
/// (the plugin host, a scripted invoker in tests).
public struct TaskRequest: Sendable {
    /// The state's `Resource`.
    public var resource: String
    /// The effective input after `InputPath` and `Parameters`.
    public var payload: JSONValue
    /// The context object as the task sees it (built when first read: most invokers need
    /// only the parts below).
    public var context: JSONValue { contextSource.value }
    private var contextSource: LazyJSON
    public var executionArn: String
    public var executionName: String
    public var stateName: String
    public var stateEnteredTime: Date
    /// `stateEnteredTime` as the context object writes it.
    public var stateEnteredTimestamp: String { Timestamps.format(stateEnteredTime) }
    /// A callback task's token (`$$.Task.Token`).
    public var taskToken: String?
    /// 0 for the first try, then 1, 2, ... for retries.
    public var attempt: Int
    public var timeoutSeconds: Int?
    public var heartbeatSeconds: Int?
    /// Call on each heartbeat from the task: with `HeartbeatSeconds` set, a task that goes that
    /// long without one fails with `States.Timeout` (matched by `States.HeartbeatTimeout`).
    public var onHeartbeat: (@Sendable () -> Void)?
}

extension TaskRequest {
    // In an extension, so that it can hand everything to the memberwise initializer: with its
    // fields assigned one by one, the value was made aside and then copied out whole (a
    // retain and a release of every field, for every Task).
    public init(
        resource: String, payload: JSONValue, context: LazyJSON, executionArn: String, executionName: String, stateName: String,
        stateEnteredTime: Date, taskToken: String? = nil, attempt: Int, timeoutSeconds: Int? = nil, heartbeatSeconds: Int? = nil,
        onHeartbeat: (@Sendable () -> Void)? = nil
    ) {
        self.init(
            resource: resource, payload: payload, contextSource: context, executionArn: executionArn, executionName: executionName,
            stateName: stateName, stateEnteredTime: stateEnteredTime, taskToken: taskToken, attempt: attempt, timeoutSeconds: timeoutSeconds,
            heartbeatSeconds: heartbeatSeconds, onHeartbeat: onHeartbeat)
    }
}

/// Runs Task states. A failure is an `ExecutionFailure` (error name and cause), as a Lambda
/// function's `errorType`/`errorMessage` become `Error`/`Cause`.
public protocol TaskInvoker: Sendable {
    /// Runs on its caller's executor (`nonisolated(nonsending)`): a Map runs it for every
    /// iteration, and a hop to the global executor on each call and return showed in profiles.
    nonisolated(nonsending) func invoke(_ request: TaskRequest) async throws(ExecutionFailure) -> JSONValue
}

/// Time for the interpreter: Wait states and retry back-off sleep through it, so tests run
/// instantly with a manual clock.
public protocol ExecutionClock: Sendable {
    func now() -> Date
    /// Sleeps `seconds` (of workflow time): Wait states and retry back-off.
    func sleep(seconds: Double) async
    /// Returns when `seconds` have passed, or at once when the task is cancelled: task
    /// timeouts race against it.
    func deadline(seconds: Double) async
}

/// Wall-clock time; `scale` shortens real waits (0.01: a 100 s Wait takes 1 s), like Step
/// Functions Local's wait time scale.
public struct SystemClock: ExecutionClock {
    public var scale: Double

    public init(scale: Double = 1) { self.scale = scale }

    public func now() -> Date { Date() }

    public func sleep(seconds: Double) async {
        guard seconds > 0, scale > 0 else { return }
        try? await Task.sleep(nanoseconds: UInt64(min(seconds * scale, 31_622_400) * 1e9))
    }

    public func deadline(seconds: Double) async {
        // Timeouts are not scaled: a task gets the time its definition gives it.
        try? await Task.sleep(nanoseconds: UInt64(min(max(seconds, 0), 31_622_400) * 1e9))
    }
}

/// A clock for tests: a sleep moves its time forward at once; a deadline waits until time is
/// moved past it (by a sleep or by `advance(by:)`), or until its task is cancelled.
public final class ManualClock: ExecutionClock, @unchecked Sendable {
    // @unchecked: all state is only read and written under `lock`, and each waiter's
    // continuation is removed from `waiters` under the lock before it is resumed, so it is
    // resumed exactly once.
    private let lock = NSLock()
    private var current: Date
    private var slept: [Double] = []
    private var waiters: [Int: (wake: Date, continuation: CheckedContinuation<Void, Never>)] = [:]
    private var nextWaiter = 0

    public init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = start }

    public func now() -> Date { lock.withLock { current } }

    public func sleep(seconds: Double) async {
        let due = lock.withLock {
            slept.append(seconds)
            return move(by: seconds)
        }
        for continuation in due { continuation.resume() }
    }

    /// Moves time forward, releasing the deadlines that have passed.
    public func advance(by seconds: Double) {
        let due = lock.withLock { move(by: seconds) }
        for continuation in due { continuation.resume() }
    }

    private func move(by seconds: Double) -> [CheckedContinuation<Void, Never>] {
        current = current.addingTimeInterval(max(0, seconds))
        let due = waiters.filter { $0.value.wake <= current }
        for key in due.keys { waiters[key] = nil }
        return due.values.map(\.continuation)
    }

    public func deadline(seconds: Double) async {
        let id = lock.withLock { () -> Int in
            nextWaiter += 1
            return nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    let wake = current.addingTimeInterval(max(0, seconds))
                    if wake <= current || Task.isCancelled { return true }
                    waiters[id] = (wake, continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: id) }
            waiter?.continuation.resume()
        }
    }

    /// Every sleep asked for, in order.
    public var sleeps: [Double] { lock.withLock { slept } }
}

/// Where a `.waitForTaskToken` Task waits, after its resource took the token, for someone to
/// call SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat with it.
public protocol TaskCallbacks: Sendable {
    /// Records `token` as given out, before the resource that receives it runs: an answer
    /// may come before the resource's own (a function that calls SendTaskSuccess itself), and
    /// is kept for `wait`.
    func register(token: String, executionArn: String, stateName: String) throws(ExecutionFailure)

    /// Refuses later answers to a token whose task ended without waiting (its resource failed).
    func close(token: String)

    /// Returns the output given to SendTaskSuccess, or throws the error and cause given to
    /// SendTaskFailure; calls `onHeartbeat` for each SendTaskHeartbeat. Ends, throwing, when
    /// the task is cancelled (its timeout, or the execution stopped).
    func wait(for token: String, executionArn: String, stateName: String, onHeartbeat: @escaping @Sendable () -> Void) async throws(ExecutionFailure) -> JSONValue
}

/// Task tokens: long, random and URL-safe, as AWS's are opaque.
public enum TaskTokens {
    /// 128 URL-safe characters, the first a letter: a token that began with `-` would read
    /// as an option to `statesman tasks send-success TOKEN` (one in 64 did, and failed).
    public static func make() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        return String(decoding: (0..<128).map { index in alphabet[Int(generator.next() % (index == 0 ? 52 : 64))] }, as: UTF8.self)
    }
}

/// An invoker for definitions that must not reach a task.
public struct NoTaskInvoker: TaskInvoker {
    public init() {}
    nonisolated(nonsending) public func invoke(_ request: TaskRequest) async throws(ExecutionFailure) -> JSONValue {
        throw ExecutionFailure("States.TaskFailed", cause: "No task invoker is configured for resource \(request.resource)")
    }
}
