import CPluginLoop
import Foundation
import Synchronization

/// One plugin process, line by line, with nothing interpreted: what `statesman plugins check`
/// and the benchmarks drive. It has its own loop thread; call `stop()` when done.
public final class PluginSession: Sendable {
    public enum Event: Sendable, Equatable {
        case spawned(pid: Int64)
        case spawnFailed(String)
        case line([UInt8])
        case log(String)
        case oversize
        case exited(status: Int64, signal: Int32)
    }

    private struct State {
        var events: [Event] = []
        var waiter: CheckedContinuation<Event?, Never>?
        var waiterGeneration = 0
        var stopped = false
    }

    private let state = Mutex(State())
    nonisolated(unsafe) private var loop: OpaquePointer?

    /// Starts `arguments[0]` (an absolute path) with `arguments`.
    public init(arguments: [String], environment: [String]? = nil, directory: String? = nil) {
        let context = Unmanaged.passRetained(self).toOpaque()
        let callbacks = sm_callbacks(
            context: context,
            spawned: { context, _, pid in
                PluginSession.from(context).push(pid > 0 ? .spawned(pid: pid) : .spawnFailed(String(cString: strerror(Int32(-pid)))))
            },
            line: { context, _, bytes, count in PluginSession.from(context).push(.line(Array(UnsafeBufferPointer(start: bytes, count: count)))) },
            log: { context, _, bytes, count in
                PluginSession.from(context).push(.log(String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)))
            },
            oversize: { context, _ in PluginSession.from(context).push(.oversize) },
            exited: { context, _, status, signal in PluginSession.from(context).push(.exited(status: status, signal: signal)) },
            tick: { _ in }, flush: nil, wake: nil, settled: nil)
        loop = sm_loop_start(callbacks, 6_291_456, 100)
        guard let loop else {
            Unmanaged<PluginSession>.fromOpaque(context).release()
            push(.spawnFailed("the event loop could not start"))
            return
        }
        let variables = environment ?? ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        PluginHost.withCStrings(arguments) { argv in
            PluginHost.withCStrings(variables) { env in sm_spawn(loop, 1, argv, env, directory) }
        }
    }

    private static func from(_ context: UnsafeMutableRawPointer?) -> PluginSession {
        Unmanaged<PluginSession>.fromOpaque(context!).takeUnretainedValue()
    }

    private func push(_ event: Event) {
        let waiter: CheckedContinuation<Event?, Never>? = state.withLock { state in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.events.append(event)
            return nil
        }
        waiter?.resume(returning: event)
    }

    /// The next event, or nil when none comes within `timeout` seconds.
    public func next(timeout: Double) async -> Event? {
        await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
            let generation: Int? = state.withLock { state in
                if !state.events.isEmpty {
                    continuation.resume(returning: state.events.removeFirst())
                    return nil
                }
                state.waiterGeneration += 1
                state.waiter = continuation
                return state.waiterGeneration
            }
            guard let generation else { return }
            Task {
                try? await Task.sleep(nanoseconds: UInt64(max(timeout, 0) * 1e9))
                let expired: CheckedContinuation<Event?, Never>? = self.state.withLock { state in
                    guard state.waiterGeneration == generation, let waiter = state.waiter else { return nil }
                    state.waiter = nil
                    return waiter
                }
                expired?.resume(returning: nil)
            }
        }
    }

    public func send(_ bytes: [UInt8]) {
        guard let loop else { return }
        bytes.withUnsafeBufferPointer { sm_send(loop, 1, $0.baseAddress, $0.count) }
    }

    public func closeInput() {
        if let loop { sm_close_stdin(loop, 1) }
    }

    /// Kills the process if it still runs, reaps it and ends the loop thread.
    public func stop() {
        let first = state.withLock { state in
            defer { state.stopped = true }
            return !state.stopped
        }
        guard first, let loop else { return }
        sm_loop_stop(loop)
        Unmanaged.passUnretained(self).release()
    }
}
