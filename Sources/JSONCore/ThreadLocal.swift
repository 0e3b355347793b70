#if canImport(Glibc)
import Glibc
#endif

/// A value of each thread's own: made from `initial` on the thread's first use, freed when the
/// thread ends. For state that threads would otherwise share and fight over (a lock, or a
/// counter's cache line), kept in a `static let`: the thread key is never given back.
public final class ThreadLocal<Value: BitwiseCopyable & Sendable>: Sendable {
    private let key: pthread_key_t
    private let initial: Value

    public init(_ initial: Value) {
        var key = pthread_key_t()
        pthread_key_create(&key) { value in free(value) }
        self.key = key
        self.initial = initial
    }

    /// Runs `body` with the calling thread's value.
    @inline(__always)
    public func withValue<Result>(_ body: (inout Value) -> Result) -> Result {
        if let value = pthread_getspecific(key) { return body(&value.assumingMemoryBound(to: Value.self).pointee) }
        let value = UnsafeMutablePointer<Value>.allocate(capacity: 1)
        value.initialize(to: initial)
        pthread_setspecific(key, value)
        return body(&value.pointee)
    }
}
