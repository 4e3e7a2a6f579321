import Foundation
import Synchronization

/// How much a log shows, least to most severe (dbt's `--log-level`).
public enum LogLevel: String, Sendable, CaseIterable, Comparable {
    case debug, info, warn, error, none
    var rank: Int { Self.allCases.firstIndex(of: self)! }
    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rank < b.rank }
}

/// Where user-facing output goes; passed in, never global, so tests can capture it.
public protocol OutputSink: Sendable {
    /// A log line (progress, summaries).
    func info(_ line: String)
    /// A rendered diagnostic or error message.
    func error(_ text: String)
    /// A command's result (ls lines, compiled SQL, previews, JSON): printed as is, whatever the log format or --quiet.
    func output(_ text: String)
    /// A log line with dbt's event name and fields, for structured (JSON) logs; text logs show `line`.
    func event(_ name: String, _ line: String, level: LogLevel, data: [(String, String)])
    /// A diagnostic, as `error` shows it when rendered (structured logs keep its fields).
    func diagnostic(_ d: Diagnostic, rendered: String)
}

extension OutputSink {
    public func output(_ text: String) { info(text) }
    public func event(_ name: String, _ line: String, level: LogLevel, data: [(String, String)]) {
        switch level {
        case .debug, .none: break
        case .info: info(line)
        case .warn, .error: error(line)
        }
    }
    public func diagnostic(_ d: Diagnostic, rendered: String) { error(rendered) }
    /// A line only debug logs show.
    public func debug(_ line: String) { event("DebugCmdOut", line, level: .debug, data: []) }
}

/// Writes to the process's standard output and error, a line at a time.
public struct StandardOutputSink: OutputSink {
    public init() {}
    public func info(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
    public func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }
}

/// Collects output in memory (for tests and for embedding Strata).
public final class CapturingOutputSink: OutputSink, Sendable {
    private let captured = Mutex<(lines: [String], errors: [String])>(([], []))
    public init() {}
    public func info(_ line: String) { captured.withLock { $0.lines.append(line) } }
    public func error(_ text: String) { captured.withLock { $0.errors.append(text) } }
    public var lines: [String] { captured.withLock { $0.lines } }
    public var errors: [String] { captured.withLock { $0.errors } }
}
