import Foundation
import Synchronization
import Basics
#if canImport(Glibc)
import Glibc
#endif

/// dbt's log formats: `text` (a timestamp and the message), `json` (one event per line, dbt's `info`/`data`
/// shape), `debug` (microsecond timestamps, level and process).
enum LogFormat: String, CaseIterable, Sendable { case text, json, debug }

/// The settings the logging flags make.
struct LogSettings: Sendable {
    var format: LogFormat = .text
    var level: LogLevel = .info
    var fileFormat: LogFormat = .debug
    var fileLevel: LogLevel = .debug
    var colors = false
    /// `print()` in templates shows (`--no-print` hides it).
    var printing = true
    var warnError = WarnErrorPolicy()
}

/// `--warn-error` and `--warn-error-options`: which warnings count as errors, by Strata code (`G3010`) or dbt's
/// event name (`NoNodesForSelectionCriteria`).
struct WarnErrorPolicy: Sendable {
    var all = false
    var error: Set<String> = []
    var warn: Set<String> = []

    /// dbt's names for the warnings Strata gives.
    static let dbtNames = ["NoNodesForSelectionCriteria": "G3010", "UnpinnedRefNewVersionAvailable": "S1506"]

    func promotes(_ code: String) -> Bool {
        let named = Set(Self.dbtNames.filter { $0.value == code }.keys) .union([code])
        if !named.isDisjoint(with: warn) { return false }
        return all || !named.isDisjoint(with: error)
    }

    /// `{"error": "all" | [names], "warn": [names]}` (also dbt's older `include`/`exclude`).
    static func parse(_ text: String) throws -> WarnErrorPolicy {
        guard let data = text.data(using: .utf8), let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw Diagnostic(code: .invalidLogFlag, "--warn-error-options must be a JSON object like '{\"error\": \"all\", \"warn\": [\"NoNodesForSelectionCriteria\"]}'")
        }
        var p = WarnErrorPolicy()
        for (key, value) in object {
            let names = (value as? [String]) ?? ((value as? String).map { [$0] } ?? [])
            switch key {
            case "error", "include":
                if names.contains("all") || names.contains("*") { p.all = true } else { p.error.formUnion(names) }
            case "warn", "exclude": p.warn.formUnion(names)
            case "silence": break
            default: throw Diagnostic(code: .invalidLogFlag, "--warn-error-options: unknown key '\(key)' (error, warn, silence)")
            }
        }
        return p
    }
}

/// Writes the console (stdout/stderr) in the chosen format and level, and every event to the log file
/// (`logs/strata.log`, rotated at 10 MB, five kept).
final class LogSink: OutputSink, @unchecked Sendable {
    let settings: LogSettings
    let invocationID: String
    private let file = Mutex<FileHandle?>(nil)
    /// Warnings shown as errors because of --warn-error.
    private let promoted = Mutex(0)

    init(settings: LogSettings, invocationID: String) {
        self.settings = settings
        self.invocationID = invocationID
    }

    var promotedWarnings: Int { promoted.withLock { $0 } }

    /// Starts writing the log file at `path` (its folder is created; a full file is rotated first).
    func attachFile(_ path: String) {
        let fm = FileManager.default
        try? fm.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if let size = (try? fm.attributesOfItem(atPath: path))?[.size] as? Int, size >= 10 << 20 {
            try? fm.removeItem(atPath: path + ".5")
            for i in stride(from: 4, through: 1, by: -1) { try? fm.moveItem(atPath: "\(path).\(i)", toPath: "\(path).\(i + 1)") }
            try? fm.moveItem(atPath: path, toPath: path + ".1")
        }
        if !fm.fileExists(atPath: path) { fm.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        handle.seekToEndOfFile()
        file.withLock { $0 = handle }
        writeFile("============================== \(Self.timestamp(Date(), micro: true)) | \(invocationID) ==============================")
    }

    // MARK: OutputSink

    func info(_ line: String) { event("Note", line, level: .info, data: []) }

    func error(_ text: String) { event("RunResultError", text, level: .error, data: []) }

    func output(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
        writeFile(format(text, level: .info, format: settings.fileFormat, name: "ListCmdOut", data: []))
    }

    func event(_ name: String, _ line: String, level: LogLevel, data: [(String, String)]) {
        if level >= settings.fileLevel, !line.isEmpty { writeFile(format(line, level: level, format: settings.fileFormat, name: name, data: data)) }
        guard level >= settings.level else { return }
        // a blank separator line stays blank in text logs and is left out of structured ones
        if line.isEmpty {
            if settings.format == .text { FileHandle.standardOutput.write(Data("\n".utf8)) }
            return
        }
        // text: progress on stdout, problems on stderr (compiler style); json and debug: everything on stdout, as dbt
        let toError = settings.format == .text && level >= .warn
        // text: problems on stderr read like a compiler's, without a timestamp
        let shown = toError ? line : format(settings.format == .text && settings.colors ? colored(line) : line, level: level, format: settings.format, name: name, data: data)
        (toError ? FileHandle.standardError : FileHandle.standardOutput).write(Data((shown + "\n").utf8))
    }

    func diagnostic(_ d: Diagnostic, rendered: String) {
        var d = d, rendered = rendered
        if d.severity == .warning, settings.warnError.promotes(d.code) {
            promoted.withLock { $0 += 1 }
            d.severity = .error
            rendered = rendered.replacingOccurrences(of: "warning[\(d.code)]", with: "error[\(d.code)]") + "\nnote: a warning, made an error by --warn-error"
        }
        var data = [("code", d.code)]
        if let l = d.location { data += [("file", l.file), ("line", String(l.line)), ("column", String(l.column))] }
        let level: LogLevel = d.severity == .error ? .error : d.severity == .warning ? .warn : .info
        // a structured log keeps the message and its place; the text log shows the rendered snippet
        if settings.format == .text {
            if level >= settings.fileLevel { writeFile(format(rendered, level: level, format: settings.fileFormat, name: "Diagnostic", data: data)) }
            if level >= settings.level { FileHandle.standardError.write(Data((rendered + "\n").utf8)) }
        } else {
            let where_ = d.location.map { "\($0): " } ?? ""
            event("Diagnostic", "\(where_)\(d.severity.rawValue)[\(d.code)]: \(d.message)", level: level, data: data)
        }
    }

    // MARK: formatting

    func format(_ line: String, level: LogLevel, format: LogFormat, name: String, data: [(String, String)]) -> String {
        let now = Date()
        switch format {
        case .text:
            return "\(Self.timestamp(now, micro: false))  \(line)"
        case .debug:
            return "\(Self.timestamp(now, micro: true)) [\(level.rawValue.padding(toLength: 5, withPad: " ", startingAt: 0))] [\(getpid())]: \(line)"
        case .json:
            var info: [(String, String)] = [("name", name), ("level", level.rawValue), ("msg", line), ("invocation_id", invocationID),
                                            ("ts", Self.iso(now)), ("pid", String(getpid())), ("thread", "MainThread")]
            if let code = data.first(where: { $0.0 == "code" })?.1 { info.append(("code", code)) }
            let object = "{\"info\": {" + info.map { "\(PythonJSON.quote($0.0)): \($0.0 == "pid" ? $0.1 : PythonJSON.quote($0.1))" }.joined(separator: ", ")
                + "}, \"data\": {" + data.map { "\(PythonJSON.quote($0.0)): \(PythonJSON.quote($0.1))" }.joined(separator: ", ") + "}}"
            return object
        }
    }

    /// Status words in green, yellow or red, as dbt colours them.
    func colored(_ line: String) -> String {
        let colors = [" OK ": "32", " PASS ": "32", " WARN": "33", " SKIP ": "33", " FAIL": "31", " ERROR ": "31"]
        for (word, code) in colors {
            if let r = line.range(of: word), line[..<r.lowerBound].allSatisfy({ $0.isNumber || $0 == " " || $0 == "o" || $0 == "f" }) {
                let w = line[r].trimmingCharacters(in: .whitespaces)
                return line.replacingCharacters(in: r, with: " \u{1B}[\(code)m\(w)\u{1B}[0m" + (line[r].hasSuffix(" ") ? " " : ""))
            }
        }
        return line
    }

    private func writeFile(_ line: String) {
        file.withLock { $0?.write(Data((line + "\n").utf8)) }
    }

    static func timestamp(_ date: Date, micro: Bool) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        let base = String(format: "%02d:%02d:%02d", parts.tm_hour, parts.tm_min, parts.tm_sec)
        guard micro else { return base }
        let fraction = Int((date.timeIntervalSince1970 - floor(date.timeIntervalSince1970)) * 1_000_000)
        return base + String(format: ".%06d", fraction)
    }

    static func iso(_ date: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: date)
    }
}
