@testable import JSONCore
import Testing

/// `String(utf8Bytes:)` writes short ASCII strings in Swift's inline form itself: whatever the
/// bytes, the result must be the string `String(decoding:)` makes.
@Suite struct SmallStringTests {
    @Test func theInlineFormIsUsedOnThisPlatform() {
        #expect(SmallStringForm.isAvailable, "64-bit little-endian platforms use the direct form")
    }

    @Test func everyLengthAndKindOfBytesGivesTheDecodedString() {
        var generator = SystemRandomNumberGenerator()
        let alphabets: [[UInt8]] = [
            Array(0...127),  // ASCII, control characters included
            Array("é€😀".utf8) + Array(32...126),  // well-formed multi-byte sequences among ASCII
            [0x80, 0xC3, 0xFF, 0x41, 0xE2, 0x82],  // ill-formed: repaired
        ]
        for alphabet in alphabets {
            for length in 0...24 {
                for _ in 0..<200 {
                    let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
                    let made = bytes.withUnsafeBufferPointer { String(utf8Bytes: $0) }
                    let decoded = String(decoding: bytes, as: UTF8.self)
                    #expect(made == decoded && made.utf8.elementsEqual(decoded.utf8) && made.hashValue == decoded.hashValue, "\(bytes)")
                }
            }
        }
    }

    @Test func inlineStringsBehaveAsAnyOther() {
        let made = Array("user3552".utf8).withUnsafeBufferPointer { String(utf8Bytes: $0) }
        var grown = made
        grown += "-and-more-than-fifteen-bytes"
        #expect(grown == "user3552-and-more-than-fifteen-bytes")
        #expect(made.isExactlyEqual(to: "user3552"))
        #expect(Set([made, "user3552"]).count == 1)
        #expect(made.count == 8 && made.uppercased() == "USER3552")
    }
}
