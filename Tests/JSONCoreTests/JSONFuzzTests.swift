import JSONCore
import Testing

/// Feeds thousands of random and mutated texts to the parser: each must parse or fail with a
/// located error, never crash.
@Suite struct JSONFuzzTests {
    @Test func randomAndMutatedTextNeverCrashes() {
        var rng = SplitMix(seed: 0x5EED)
        var generator = RandomJSON(seed: 7)
        let pieces: [String] = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\ud83d", "tru", "null", "-", "0", "1e", ".5", " ", "\n", "é", "\u{0}", "9999999999999999999999"]
        var parsed = 0, rejected = 0
        for round in 0..<4000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // Mutate a valid document: flip, insert or delete bytes.
                bytes = generator.value().compactBytes
                for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<3, using: &rng) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes.insert(Array(pieces.randomElement(using: &rng)!.utf8).first ?? 0, at: at)
                    default: bytes.remove(at: at)
                    }
                }
            } else {
                bytes = Array((0..<Int.random(in: 0...12, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined().utf8)
            }
            do {
                let value = try JSONValue(parsing: bytes)
                let again = try JSONValue(parsing: value.compactString)
                #expect(again == value, "\(value.compactString) reparsed as \(again.compactString)")
                parsed += 1
            } catch {
                #expect(error.line >= 1 && error.column >= 1 && error.offset <= bytes.count)
                rejected += 1
            }
        }
        #expect(parsed > 100 && rejected > 100)
    }
}
