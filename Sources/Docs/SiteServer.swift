import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `strata docs serve`: a small HTTP/1.1 server for the generated site's folder (GET and HEAD, one response per
/// connection). It serves files below its root only, on the address it is given (127.0.0.1 by default).
public final class SiteServer: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let root: String
    let descriptor: Int32
    /// The port it listens on (the one the system chose when 0 was asked).
    public let port: UInt16

    /// Binds and listens; `port` 0 lets the system choose.
    public init(root: String, host: String = "127.0.0.1", port: UInt16) throws {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot open a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host, &address.sin_addr) == 1 else {
            close(fd)
            throw Failure(description: "'\(host)' is not an IPv4 address to listen on")
        }
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard bound == 0, listen(fd, 64) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "cannot listen on \(host):\(port): \(reason)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        descriptor = fd
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    /// Accepts connections until the process ends, answering each on its own thread.
    public func serve() -> Never {
        while true {
            let client = accept(descriptor, nil, nil)
            if client < 0 { continue }
            DispatchQueue.global().async { [self] in
                respond(on: client)
                close(client)
            }
        }
    }

    func respond(on client: Int32) {
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        // the request line and headers (bodies are not read: only GET and HEAD are answered)
        while request.count < 65536, !request.ends(with: [13, 10, 13, 10]) {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { break }
            request += buffer[0..<n]
        }
        let line = String(decoding: request.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self).split(separator: " ")
        guard line.count >= 2 else { return send(client, status: "400 Bad Request", type: "text/plain", body: Array("bad request\n".utf8), head: false) }
        let method = String(line[0])
        guard method == "GET" || method == "HEAD" else {
            return send(client, status: "405 Method Not Allowed", type: "text/plain", body: Array("only GET and HEAD\n".utf8), head: false)
        }
        let (status, type, body) = file(for: String(line[1]))
        send(client, status: status, type: type, body: body, head: method == "HEAD")
    }

    /// The file a request path names below the root (`/` is `index.html`), or 404.
    func file(for target: String) -> (String, String, [UInt8]) {
        let pathPart = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        let decoded = pathPart.removingPercentEncoding ?? pathPart
        var relative = decoded.hasSuffix("/") ? decoded + "index.html" : decoded
        relative = String(relative.drop { $0 == "/" })
        let full = URL(fileURLWithPath: root).appendingPathComponent(relative).standardizedFileURL.path
        var isDirectory: ObjCBool = false
        guard full.hasPrefix(root + "/"), FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue,
              let data = FileManager.default.contents(atPath: full) else {
            return ("404 Not Found", "text/plain; charset=utf-8", Array("not found: \(decoded)\n".utf8))
        }
        let types = ["html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
                     "json": "application/json", "svg": "image/svg+xml", "png": "image/png"]
        return ("200 OK", types[(full as NSString).pathExtension.lowercased()] ?? "text/plain; charset=utf-8", [UInt8](data))
    }

    func send(_ client: Int32, status: String, type: String, body: [UInt8], head: Bool) {
        let header = "HTTP/1.1 \(status)\r\nContent-Type: \(type)\r\nContent-Length: \(body.count)\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n"
        var bytes = Array(header.utf8)
        if !head { bytes += body }
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }
}

extension Array where Element == UInt8 {
    func ends(with suffix: [UInt8]) -> Bool { count >= suffix.count && Array(self[(count - suffix.count)...]) == suffix }
}
