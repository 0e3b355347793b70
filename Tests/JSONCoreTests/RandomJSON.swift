import JSONCore

/// Builds random JSON values from a seed, for property and fuzz tests.
struct RandomJSON {
    var rng: SplitMix

    init(seed: UInt64) { rng = SplitMix(seed: seed) }

    static let alphabet: [Character] = Array("abcxyz019 _-\"\\/\n\t\u{1}\u{1F}é漢字🙂\u{7F}\u{2028}") + ["u\u{308}"]

    mutating func string(maxLength: Int = 12) -> String {
        let count = Int.random(in: 0...maxLength, using: &rng)
        return String((0..<count).map { _ in Self.alphabet.randomElement(using: &rng)! })
    }

    mutating func number() -> JSONValue {
        switch Int.random(in: 0..<5, using: &rng) {
        case 0: return .int(Int64.random(in: -100...100, using: &rng))
        case 1: return .int(Int64.random(in: Int64.min...Int64.max, using: &rng))
        case 2: return .double(Double.random(in: -1e6...1e6, using: &rng))
        case 3:
            let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            return d.isFinite ? .double(d) : .double(0.5)
        default: return .double(Double(Int.random(in: -5...5, using: &rng)) * Double(bitPattern: 2024))  // 1e-320, a subnormal
        }
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        let leafOnly = depth >= 4
        switch Int.random(in: 0..<(leafOnly ? 5 : 7), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2, 3: return number()
        case 4: return .string(string())
        case 5: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...4, using: &rng) { object[string(maxLength: 6)] = value(depth: depth + 1) }
            return .object(object)
        }
    }
}

/// A small deterministic generator (SplitMix64).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
