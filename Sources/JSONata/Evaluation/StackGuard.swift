import CStackBounds

/// How far down the current thread's stack evaluation may go before it stops with U1001, so
/// that runaway recursion is an error whatever thread evaluates and whatever its stack size.
enum StackGuard {
    /// Room kept free below the limit for built-ins and value conversions.
    static let reserve: UInt = 256 * 1024

    /// The lowest stack address evaluation may reach on this thread (stacks grow down). When the
    /// thread's bounds are unknown, 256 KiB below the current position.
    static func limit() -> UInt {
        let low = UInt(statesman_stack_low())
        return low == 0 ? current() &- 256 * 1024 : low + reserve
    }

    /// An address in the caller's frame.
    @inline(__always) static func current() -> UInt {
        var marker: UInt8 = 0
        return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
    }
}
