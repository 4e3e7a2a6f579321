import ArgumentParser
import Foundation
import Basics
import PostgresAdapter

struct ServerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "server", abstract: "Manage the private PostgreSQL under .strata/postgres.",
                                                    subcommands: [Status.self, Start.self, Stop.self])

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Is the private server running?")
        @OptionGroup var location: ServerLocation
        func run() throws {
            let server = location.server
            switch server.status {
            case .notInitialized: print("not initialized (\(server.directory.path))")
            case .stopped: print("stopped (\(server.directory.path))")
            case .running(let pid): print("running, pid \(pid), socket \(server.socketDirectory.path)")
            case .copied(let other):
                print("not running: \(server.directory.path) was copied from another project's (its pid file names \(other)); `strata server start` starts this project's own server on the copied data, without touching the other one")
            }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start the private server (initializing it if needed).")
        @OptionGroup var location: ServerLocation
        func run() throws {
            let server = location.server
            do {
                _ = try server.ensureRunning(database: "strata") { print($0) }
                print("running: \(server.conninfo(database: "strata"))")
            } catch {
                FileHandle.standardError.write(Data("error[S1301]: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the private server.")
        @OptionGroup var location: ServerLocation
        func run() throws {
            let server = location.server
            do { try server.stop(); print("stopped") } catch {
                FileHandle.standardError.write(Data("error[S1301]: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
    }
}

/// Where the private server lives: `<project>/.strata/postgres`, or an explicit folder.
struct ServerLocation: ParsableArguments {
    @Option(name: .customLong("project-dir"), help: "The project folder (default: the current folder).")
    var projectDir = "."

    @Option(name: .customLong("server-dir"), help: "The server folder itself (overrides --project-dir).")
    var serverDir: String?

    var server: LocalServer {
        LocalServer(directory: serverDir.map { URL(fileURLWithPath: $0) } ?? URL(fileURLWithPath: projectDir).appendingPathComponent(".strata/postgres"))
    }
}
