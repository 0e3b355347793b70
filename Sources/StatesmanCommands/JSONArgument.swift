import ArgumentParser
import Foundation
import JSONCore

/// Reads a JSON command-line argument given as text or as `@FILE` (`@-`: standard input).
enum JSONArgument {
    static func read(_ argument: String, option: String) throws -> JSONValue {
        var source = option
        let bytes: [UInt8]
        if argument.hasPrefix("@") {
            let path = String(argument.dropFirst())
            if path == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
                source = "\(option) (standard input)"
            } else {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ValidationError("\(option): cannot read file '\(path)'")
                }
                bytes = Array(data)
                source = path
            }
        } else {
            bytes = Array(argument.utf8)
        }
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw ValidationError("\(source):\(error.line):\(error.column): invalid JSON: \(error.message)")
        }
    }
}
