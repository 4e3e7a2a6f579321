import Foundation
import Synchronization

/// Runs a command-line tool of the machine (git, tar): an argument array through `/usr/bin/env`, never a shell, with
/// no standard input and the environment the caller gives; returns its exit status and what it printed.
enum Tool {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ name: String, _ arguments: [String], in cwd: String? = nil, environment: [String: String]) throws -> Output {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [name] + arguments
        if let cwd { p.currentDirectoryURL = URL(fileURLWithPath: cwd) }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        // both pipes drain at once, so a tool that fills one while we wait on the other cannot stall
        let errors = Mutex(Data())
        let drained = DispatchSemaphore(value: 0)
        let errorHandle = err.fileHandleForReading
        DispatchQueue.global().async {
            let data = errorHandle.readDataToEndOfFile()
            errors.withLock { $0 = data }
            drained.signal()
        }
        let output = out.fileHandleForReading.readDataToEndOfFile()
        drained.wait()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                      stderr: String(decoding: errors.withLock { $0 }, as: UTF8.self))
    }
}
