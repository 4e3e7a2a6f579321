/// How bad a diagnostic is.
public enum Severity: String, Sendable, Codable {
    case error, warning, note
}

/// A located problem with a stable code, printed like a compiler's message.
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    public var severity: Severity
    /// Stable identifier, e.g. `S2001`, that tests and users can refer to.
    public var code: String
    public var message: String
    public var location: SourceLocation?
    /// Further context: the call chain of a macro, a cycle's edges, a hint.
    public var notes: [Note]

    /// A secondary message attached to a diagnostic.
    public struct Note: Sendable, Hashable {
        public var message: String
        public var location: SourceLocation?
        public init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    /// Codes come from a module's registry (`DiagnosticCode`), so this stays inside Basics.
    init(_ severity: Severity = .error, rawCode code: String, _ message: String, at location: SourceLocation? = nil, notes: [Note] = []) {
        self.severity = severity
        self.code = code
        self.message = message
        self.location = location
        self.notes = notes
    }

    public var description: String {
        var s = ""
        if let location { s += "\(location): " }
        s += "\(severity.rawValue)[\(code)]: \(message)"
        for note in notes {
            s += "\n"
            if let l = note.location { s += "\(l): " }
            s += "note: \(note.message)"
        }
        return s
    }

    public func adding(note: Note) -> Diagnostic {
        var copy = self
        copy.notes.append(note)
        return copy
    }
}

/// One or more diagnostics thrown together: stages collect every problem, then fail once.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public init(_ diagnostic: Diagnostic) { self.diagnostics = [diagnostic] }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics during a stage so it can report all problems at once.
public struct DiagnosticBag: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []
    public init() {}
    public mutating func append(_ d: Diagnostic) { diagnostics.append(d) }
    public mutating func append(contentsOf ds: [Diagnostic]) { diagnostics.append(contentsOf: ds) }
    /// Appends the warnings not already reported at the same place with the same message (a package macro's
    /// warning shows once, not once per node that calls it).
    public mutating func appendOnce(_ ds: [Diagnostic]) {
        for d in ds where !diagnostics.contains(where: { $0.code == d.code && $0.location == d.location && $0.message == d.message }) {
            diagnostics.append(d)
        }
    }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
    /// Run `body`, recording any diagnostics it throws instead of propagating them.
    public mutating func capture<T>(_ body: () throws -> T) -> T? {
        do { return try body() } catch let e as DiagnosticError {
            diagnostics.append(contentsOf: e.diagnostics); return nil
        } catch let d as Diagnostic {
            diagnostics.append(d); return nil
        } catch {
            diagnostics.append(Diagnostic(code: .unexpected, "\(error)")); return nil
        }
    }
    public func throwIfErrors() throws {
        if hasErrors { throw DiagnosticError(diagnostics) }
    }
}

/// A stable diagnostic code and what it means. Each module declares its codes in one place (its `Diagnostics.swift`),
/// so a code means one thing and the README's table can list them all.
public struct DiagnosticCode: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String
    /// One line: what the code reports.
    public let summary: String
    public init(_ rawValue: String, _ summary: String) {
        self.rawValue = rawValue
        self.summary = summary
    }
    public var description: String { rawValue }
}

extension Diagnostic {
    public init(_ severity: Severity = .error, code: DiagnosticCode, _ message: String, at location: SourceLocation? = nil, notes: [Note] = []) {
        self.init(severity, rawCode: code.rawValue, message, at: location, notes: notes)
    }
}
