/// Why a JSON text could not be read, and where: `line` and `column` count from 1 (columns in
/// characters), `offset` is the byte offset into the UTF-8 text.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var line: Int
    public var column: Int
    public var offset: Int

    public init(message: String, line: Int, column: Int, offset: Int) {
        self.message = message
        self.line = line
        self.column = column
        self.offset = offset
    }

    /// `line:column: message`, the form compilers use, so editors can jump to it.
    public var description: String { "\(line):\(column): \(message)" }

    /// Locates `offset` in `bytes`.
    static func at(_ offset: Int, in bytes: UnsafeBufferPointer<UInt8>, _ message: String) -> JSONParseError {
        var line = 1
        var column = 1
        var i = 0
        let end = min(offset, bytes.count)
        while i < end {
            let b = bytes[i]
            if b == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                // Count characters, not bytes: skip UTF-8 continuation bytes.
                column += 1
            }
            i += 1
        }
        return JSONParseError(message: message, line: line, column: column, offset: offset)
    }
}
