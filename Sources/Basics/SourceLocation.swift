/// A position in a project file: 1-based line and column (columns count Unicode scalars).
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// The text of one source file with a line index, so byte offsets map to line and column cheaply.
public final class SourceFile: Sendable {
    public let path: String
    public let text: String
    /// UTF-8 offsets at which each line starts.
    private let lineStarts: [Int]

    public init(path: String, text: String) {
        self.path = path
        self.text = text
        var starts = [0]
        var i = 0
        for byte in text.utf8 {
            i += 1
            if byte == UInt8(ascii: "\n") { starts.append(i) }
        }
        self.lineStarts = starts
    }

    /// The location of a UTF-8 byte offset into `text`.
    public func location(ofUTF8Offset offset: Int) -> SourceLocation {
        let clamped = max(0, min(offset, text.utf8.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= clamped { lo = mid } else { hi = mid - 1 }
        }
        let lineStart = lineStarts[lo]
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: lineStart)
        let end = utf8.index(utf8.startIndex, offsetBy: clamped)
        let column = text.unicodeScalars[start..<end].count + 1
        return SourceLocation(file: path, line: lo + 1, column: column)
    }

    /// The text of a 1-based line, without its newline.
    public func line(_ number: Int) -> String? {
        guard number >= 1, number <= lineStarts.count else { return nil }
        let utf8 = text.utf8
        let start = utf8.index(utf8.startIndex, offsetBy: lineStarts[number - 1])
        let endOffset = number < lineStarts.count ? lineStarts[number] - 1 : utf8.count
        let end = utf8.index(utf8.startIndex, offsetBy: max(endOffset, lineStarts[number - 1]))
        var s = String(text[start..<end])
        if s.hasSuffix("\r") { s.removeLast() }
        return s
    }
}

extension String {
    /// Leading and trailing whitespace removed (Unicode whitespace, as Python's `str.strip()` and so dbt see it),
    /// without Foundation's round trip through UTF-16: `trimmingCharacters(in:)` was 22% of the instructions of a
    /// 1,000-model compile (callgrind).
    public var trimmedWhitespace: String {
        let scalars = unicodeScalars
        func isSpace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace || (0x1C...0x1F).contains(c.value) }
        guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return self }
        return String(scalars[first...last])
    }
}
