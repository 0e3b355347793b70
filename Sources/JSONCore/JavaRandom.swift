/// `java.util.Random`: the 48-bit linear congruential generator AWS's seeded randomness is
/// defined by (`States.MathRandom` with a seed, JSONata's `$random(seed)`), so the same seed
/// gives the same numbers here as on AWS.
public struct JavaRandom: Sendable {
    private var seed: UInt64
    private static let multiplier: UInt64 = 0x5_DEEC_E66D
    private static let mask: UInt64 = (1 << 48) - 1

    public init(seed: Int64) {
        self.seed = (UInt64(bitPattern: seed) ^ Self.multiplier) & Self.mask
    }

    private mutating func next(_ bits: Int) -> Int32 {
        seed = (seed &* Self.multiplier &+ 0xB) & Self.mask
        return Int32(truncatingIfNeeded: Int64(bitPattern: seed) >> (48 - bits))
    }

    /// `nextInt(bound)`: uniform in `0..<bound`; `bound` must be positive.
    public mutating func nextInt(_ bound: Int32) -> Int32 {
        precondition(bound > 0, "bound must be positive")
        if bound & -bound == bound {
            return Int32(truncatingIfNeeded: (Int64(bound) &* Int64(next(31))) >> 31)
        }
        var bits: Int32
        var value: Int32
        repeat {
            bits = next(31)
            value = bits % bound
        } while bits &- value &+ (bound &- 1) < 0
        return value
    }

    /// `nextDouble()`: uniform in `[0, 1)` with 53 random bits.
    public mutating func nextDouble() -> Double {
        let high = Int64(next(26)) << 27
        let low = Int64(next(27))
        return Double(high + low) * 0x1.0p-53
    }
}
