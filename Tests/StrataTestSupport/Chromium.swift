import Foundation

/// Headless Chromium (Debian's `chromium`, installed by `scripts/install-deps --with-browser`), for checking the
/// generated docs site as a browser renders it.
public enum Chromium {
    public static var path: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ arguments: [String]) throws -> CommandOutput {
        guard let path else {
            throw NSError(domain: "strata-tests", code: 2, userInfo: [NSLocalizedDescriptionKey: "chromium is missing: run scripts/install-deps --with-browser"])
        }
        // a private profile per run, so parallel tests do not share one; no sandbox (CI runs as root)
        let profile = NSTemporaryDirectory() + "strata-chromium-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let base = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--user-data-dir=" + profile,
                    "--window-size=1280,800", "--virtual-time-budget=10000"]
        return try Process.capture(path, base + arguments)
    }

    /// The DOM after the page's scripts ran.
    public static func dumpDOM(_ url: String) throws -> String { try run(["--dump-dom", url]).stdout }

    public static func screenshot(_ url: String, to file: String) throws {
        _ = try run(["--screenshot=" + file, url])
    }
}

extension Process {
    /// Runs a program to completion and captures its output (through files: no pipe can fill up).
    static func capture(_ path: String, _ arguments: [String]) throws -> CommandOutput {
        let dir = NSTemporaryDirectory() + "strata-proc-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/out", contents: nil)
        _ = FileManager.default.createFile(atPath: dir + "/err", contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = arguments
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/out"))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: dir + "/err"))
        try p.run()
        p.waitUntilExit()
        return CommandOutput(status: p.terminationStatus, stdout: (try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOfFile: dir + "/err", encoding: .utf8)) ?? "")
    }
}
