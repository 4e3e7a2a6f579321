import Foundation
import Synchronization

/// Where user-facing output goes; passed in, never global, so tests can capture it.
public protocol OutputSink: Sendable {
    func info(_ line: String)
    func error(_ text: String)
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
