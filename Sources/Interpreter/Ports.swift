import ASLErrors
import Foundation
import JSONCore

/// What a Task state asks its resource to do: the interpreter's port to whatever runs tasks
/// (the plugin host, a scripted invoker in tests).
public struct TaskRequest: Sendable {
    /// The state's `Resource`.
    public var resource: String
    /// The effective input after `InputPath` and `Parameters`.
    public var payload: JSONValue
    /// The context object as the task sees it.
    public var context: JSONValue
    public var stateName: String
    /// 0 for the first try, then 1, 2, ... for retries.
    public var attempt: Int
    public var timeoutSeconds: Int?
    public var heartbeatSeconds: Int?
}

/// Runs Task states. A failure is an `ExecutionFailure` (error name and cause), as a Lambda
/// function's `errorType`/`errorMessage` become `Error`/`Cause`.
public protocol TaskInvoker: Sendable {
    func invoke(_ request: TaskRequest) async throws(ExecutionFailure) -> JSONValue
}

/// Time for the interpreter: Wait states and retry back-off sleep through it, so tests run
/// instantly with a manual clock.
public protocol ExecutionClock: Sendable {
    func now() -> Date
    /// Sleeps `seconds` (of workflow time).
    func sleep(seconds: Double) async
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
}

/// A clock that never waits: each sleep moves its time forward at once. For tests.
public final class ManualClock: ExecutionClock, @unchecked Sendable {
    // @unchecked: `current` is only read and written under `lock`.
    private let lock = NSLock()
    private var current: Date
    private var slept: [Double] = []

    public init(start: Date = Date(timeIntervalSince1970: 1_700_000_000)) { current = start }

    public func now() -> Date { lock.withLock { current } }

    public func sleep(seconds: Double) async {
        lock.withLock {
            current = current.addingTimeInterval(max(0, seconds))
            slept.append(seconds)
        }
    }

    /// Every sleep asked for, in order.
    public var sleeps: [Double] { lock.withLock { slept } }
}

/// An invoker for definitions that must not reach a task.
public struct NoTaskInvoker: TaskInvoker {
    public init() {}
    public func invoke(_ request: TaskRequest) async throws(ExecutionFailure) -> JSONValue {
        throw ExecutionFailure("States.TaskFailed", cause: "No task invoker is configured for resource \(request.resource)")
    }
}
