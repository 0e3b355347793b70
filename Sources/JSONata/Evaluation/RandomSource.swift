/// Where `$random()` without a seed and `$shuffle` draw from.
struct RandomSource {
    private var generator = SystemRandomNumberGenerator()

    mutating func next() -> Double { Double.random(in: 0..<1, using: &generator) }
}
