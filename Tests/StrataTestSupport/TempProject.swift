import Foundation

/// A project folder under the system temp directory, written from a dictionary of files.
public struct TempProject {
    public let root: String

    public init(_ files: [String: String]) throws {
        root = NSTemporaryDirectory() + "strata-test-" + UUID().uuidString.prefix(12)
        for (path, text) in files { try write(path, text) }
    }

    public func write(_ path: String, _ text: String) throws {
        let url = URL(fileURLWithPath: root).appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    public func read(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    public func remove() { try? FileManager.default.removeItem(atPath: root) }

    /// Copies a folder of the repository (e.g. the example project) into a fresh temp project.
    public static func copying(_ source: String, only items: [String]) throws -> TempProject {
        let p = try TempProject([:])
        try FileManager.default.createDirectory(atPath: p.root, withIntermediateDirectories: true)
        for item in items where FileManager.default.fileExists(atPath: source + "/" + item) {
            try FileManager.default.copyItem(atPath: source + "/" + item, toPath: p.root + "/" + item)
        }
        return p
    }
}

/// The repository root (this file is Tests/StrataTestSupport/TempProject.swift).
public let repositoryRoot: String = {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
}()
