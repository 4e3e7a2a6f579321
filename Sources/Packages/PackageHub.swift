import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Basics
import ProjectModel

/// The package hub's index, as `dbt deps` reads it: `<hub>/api/v1/<owner>/<name>.json` lists each version with its
/// tarball and the packages it needs. The hub is `$DBT_PACKAGE_HUB_URL` when set (as in dbt), else dbt's.
struct PackageHub {
    let baseURL: String
    let fetch: (String) throws -> Data

    static let defaultURL = "https://hub.getdbt.com/"

    /// One version of a hub package.
    struct Release {
        var package: String
        var version: SemVer
        var tarball: String
        /// What it needs from the hub: (package, version specifiers).
        var requires: [(String, [String])]
    }

    /// Every release of `package`, oldest first.
    func releases(of package: String, declaration: PackageDeclaration?) throws -> [Release] {
        let url = baseURL.hasSuffix("/") ? baseURL + "api/v1/\(package).json" : baseURL + "/api/v1/\(package).json"
        let data: Data
        do { data = try fetch(url) } catch let d as Diagnostic { throw d } catch {
            throw Diagnostic(code: .packageDownloadFailed, "package '\(package)': cannot read the package hub at \(url): \(error.localizedDescription)", at: declaration?.location)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let versions = json["versions"] as? [String: Any] else {
            throw Diagnostic(code: .packageDownloadFailed, "package '\(package)': \(url) is not a package hub index (no `versions`)", at: declaration?.location)
        }
        return versions.compactMap { key, value -> Release? in
            guard let v = SemVer(key), let entry = value as? [String: Any],
                  let tarball = (entry["downloads"] as? [String: Any])?["tarball"] as? String else { return nil }
            let requires = (entry["packages"] as? [[String: Any]] ?? []).compactMap { dep -> (String, [String])? in
                guard let p = dep["package"] as? String else { return nil }
                let version = dep["version"]
                let specs = (version as? [Any])?.map { "\($0)" } ?? version.map { ["\($0)"] } ?? []
                return (p, specs)
            }
            return Release(package: package, version: v, tarball: tarball, requires: requires)
        }.sorted { $0.version < $1.version }
    }

    /// dbt's resolution: every requirement on a package (the project's and other packages') narrows one range; the
    /// highest release in it is chosen (pre-releases only when asked for), and its own requirements join in.
    func resolve(_ declared: [(package: String, specs: [String], prerelease: Bool, declaration: PackageDeclaration)]) throws -> [Release] {
        var ranges: [String: VersionRange] = [:], prerelease: [String: Bool] = [:], origin: [String: PackageDeclaration] = [:]
        var order: [String] = []
        var cache: [String: [Release]] = [:]
        func require(_ package: String, _ specs: [String], allowPrerelease: Bool, from d: PackageDeclaration) throws {
            var range = ranges[package] ?? VersionRange()
            for s in specs {
                guard let r = VersionRange(specifier: s) else {
                    throw Diagnostic(code: .packageVersionConflict, "package '\(package)': '\(s)' is not a version or a range like \">=1.0.0\"", at: d.location)
                }
                guard let narrowed = range.intersecting(r) else {
                    throw Diagnostic(code: .packageVersionConflict, "package '\(package)': no version satisfies both \(range.description) and \(s)", at: d.location)
                }
                range = narrowed
                if r.lower?.0.prerelease != nil || r.upper?.0.prerelease != nil { prerelease[package] = true }
            }
            if ranges[package] == nil { order.append(package); origin[package] = d }
            ranges[package] = range
            if allowPrerelease { prerelease[package] = true }
        }
        for d in declared { try require(d.package, d.specs, allowPrerelease: d.prerelease, from: d.declaration) }
        var chosen: [String: Release] = [:]
        var changed = true
        while changed {
            changed = false
            for package in order {
                let d = origin[package]!
                if cache[package] == nil { cache[package] = try releases(of: package, declaration: d) }
                let range = ranges[package]!
                guard let best = cache[package]!.last(where: { range.contains($0.version) && ($0.version.prerelease == nil || prerelease[package] == true) }) else {
                    let known = cache[package]!.suffix(5).map(\.version.description).joined(separator: ", ")
                    throw Diagnostic(code: .packageVersionConflict, "package '\(package)': no release satisfies \(range.description.isEmpty ? "any version" : range.description) (latest: \(known))",
                                     at: d.location)
                }
                if chosen[package]?.version != best.version {
                    chosen[package] = best
                    changed = true
                    for (p, specs) in best.requires { try require(p, specs, allowPrerelease: false, from: d) }
                }
            }
        }
        return order.compactMap { chosen[$0] }
    }

    /// A URL's body (an HTTP status other than 200 is an error), without a shell or a cache.
    static func download(_ url: String) throws -> Data {
        guard let u = URL(string: url) else { throw URLError(.badURL) }
        let box = DownloadResult()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: u)
        request.timeoutInterval = 60
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { box.set(.failure(error)) }
            else if let http = response as? HTTPURLResponse, http.statusCode != 200 {
                box.set(.failure(NSError(domain: "http", code: http.statusCode, userInfo: [NSLocalizedDescriptionKey: "HTTP \(http.statusCode)"])))
            } else { box.set(.success(data ?? Data())) }
            done.signal()
        }.resume()
        done.wait()
        return try box.get()
    }
}

/// A download's result, set by the completion handler on URLSession's thread.
private final class DownloadResult: Sendable {
    private let value = Mutex<Result<Data, any Error>>(.failure(URLError(.unknown)))
    func set(_ v: Result<Data, any Error>) { value.withLock { $0 = v } }
    func get() throws -> Data { try value.withLock { $0 }.get() }
}
