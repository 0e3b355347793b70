/// Random (version 4) UUIDs in lower case, as AWS writes them in ARNs, request ids and
/// `States.UUID()`. Foundation's `UUID()` opens and reads `/dev/urandom` on each call on Linux;
/// this uses the system generator (`getrandom`), which a Map Run calling it per child
/// execution notices.
public enum RandomUUID {
    public static func string() -> String {
        var generator = SystemRandomNumberGenerator()
        var high = generator.next()
        var low = generator.next()
        high = (high & ~0xF000) | 0x4000  // version 4
        low = (low & ~(0xC000 << 48)) | (0x8000 << 48)  // variant 10xx
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var position = 0
            func put(_ value: UInt64, nibbles: Int) {
                for index in stride(from: nibbles - 1, through: 0, by: -1) {
                    buffer[position] = digits[Int((value >> (UInt64(index) * 4)) & 0xF)]
                    position += 1
                }
            }
            func dash() {
                buffer[position] = UInt8(ascii: "-")
                position += 1
            }
            put(high >> 32, nibbles: 8)
            dash()
            put((high >> 16) & 0xFFFF, nibbles: 4)
            dash()
            put(high & 0xFFFF, nibbles: 4)
            dash()
            put(low >> 48, nibbles: 4)
            dash()
            put(low & 0xFFFF_FFFF_FFFF, nibbles: 12)
            return position
        }
    }
}
