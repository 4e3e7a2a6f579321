import Foundation

/// Renders diagnostics as `path:line:col: error[CODE]: message`, the source line and a caret.
public struct DiagnosticRenderer: Sendable {
    /// Returns a file's text for quoting its line; nil when unavailable.
    public var readFile: @Sendable (String) -> String?

    public init(readFile: @escaping @Sendable (String) -> String? = { path in try? String(contentsOfFile: path, encoding: .utf8) }) {
        self.readFile = readFile
    }

    public func render(_ diagnostic: Diagnostic) -> String {
        var out = ""
        if let l = diagnostic.location { out += "\(l): " }
        out += "\(diagnostic.severity.rawValue)[\(diagnostic.code)]: \(diagnostic.message)"
        if let l = diagnostic.location { out += snippet(at: l) }
        for note in diagnostic.notes {
            out += "\n"
            if let l = note.location { out += "\(l): " }
            out += "note: \(note.message)"
        }
        return out
    }

    public func render(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map(render).joined(separator: "\n")
    }

    private func snippet(at location: SourceLocation) -> String {
        guard let text = readFile(location.file) else { return "" }
        let file = SourceFile(path: location.file, text: text)
        guard let line = file.line(location.line) else { return "" }
        let gutter = String(location.line)
        let pad = String(repeating: " ", count: gutter.count)
        // Keep tabs in the caret line so it lines up under the source.
        let prefix = line.unicodeScalars.prefix(max(0, location.column - 1)).map { $0 == "\t" ? "\t" : " " }.joined()
        return "\n\(pad) |\n\(gutter) | \(line)\n\(pad) | \(prefix)^"
    }
}
