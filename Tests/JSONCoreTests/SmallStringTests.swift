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

    /// The printer writes short ASCII strings from their inline form in one piece when nothing
    /// in them needs escaping: every length, with each character that needs escaping at every
    /// place (and next to the end of each word), prints as Jackson escapes it.
    @Test func shortStringsPrintAsJacksonEscapesThem() {
        #expect(SmallStringForm.isReadable, "64-bit little-endian platforms read the inline form")
        func jackson(_ text: String) -> String {
            var out = "\""
            for byte in text.utf8 {
                switch byte {
                case UInt8(ascii: "\""): out += "\\\""
                case UInt8(ascii: "\\"): out += "\\\\"
                case 0x0A: out += "\\n"
                case 0x0D: out += "\\r"
                case 0x09: out += "\\t"
                case 0x08: out += "\\b"
                case 0x0C: out += "\\f"
                case 0..<0x20: out += "\\u00" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
                default: out += String(UnicodeScalar(byte))
                }
            }
            return out + "\""
        }
        var texts: [String] = []
        for length in 0...17 {
            let plain = String("abcdefghijklmnopq".prefix(length))
            texts.append(plain)
            for special in ["\"", "\\", "\n", "\u{1}", "\u{1F}", " ", "~", "\u{7F}"] where length > 0 {
                for place in 0..<length {
                    var characters = Array(plain)
                    characters[place] = Character(special)
                    texts.append(String(characters))
                }
            }
        }
        for text in texts {
            var buffer = JSONByteBuffer()
            buffer.write(string: text)
            #expect(buffer.string == jackson(text), "\(Array(text.utf8))")
            var counter = JSONByteCounter()
            JSONValue.string(text).write(to: &counter, style: .compact)
            #expect(counter.count == jackson(text).utf8.count)
        }
        // Not ASCII, or not inline: the general path.
        #expect(SmallStringForm.asciiWords("é") == nil && SmallStringForm.asciiWords(String(repeating: "a", count: 16)) == nil)
    }
}

/// `hasBytePrefix` compares UTF-8 bytes, whatever form the string is stored in.
@Suite struct BytePrefixTests {
    @Test func prefixesAreComparedAsBytes() {
        let long = "arn:aws:lambda:us-east-1:123456789012:function:trivial"
        #expect(long.hasBytePrefix("arn:aws:lambda:"))
        #expect(long.hasBytePrefix(""))
        #expect(!long.hasBytePrefix("arn:aws:states:"))
        #expect("arn:a".hasBytePrefix("arn:a") && !"arn:a".hasBytePrefix("arn:aws"))  // a small string
        #expect(!"".hasBytePrefix("a"))
        // Bytes, not characters: "e" and a combining accent are one character, two scalars.
        #expect("e\u{301}tude".hasBytePrefix("e") && !"e\u{301}tude".hasPrefix("e"))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
