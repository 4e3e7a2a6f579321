import Foundation

/// Writes whole files with plain POSIX calls. Foundation's Data.write syncs every file to disk, and ext4 flushes a
/// file that is truncated and rewritten (auto_da_alloc); either made writing 10,000 compiled models take seconds.
/// So: an unchanged file is left alone, a changed one is unlinked and created anew.
public enum FileWriter {
    /// Writes `text` to `path`, replacing it; returns an error message or nil.
    public static func write(_ text: String, to path: String) -> String? {
        var text = text
        let unchanged = text.withUTF8 { buf -> Bool in
            var st = stat()
            guard stat(path, &st) == 0, Int(st.st_size) == buf.count else { return false }
            guard let existing = FileManager.default.contents(atPath: path) else { return false }
            return existing.elementsEqual(buf)
        }
        if unchanged { return nil }
        if unlink(path) != 0, errno == EISDIR || errno == EPERM {
            // a folder where the file goes (dbt writes some compiled snapshots as folders under the same target/)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                do { try FileManager.default.removeItem(atPath: path) } catch { return "\(path): \(error.localizedDescription)" }
            }
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return "\(path): \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        return text.withUTF8 { buf -> String? in
            var offset = 0
            while offset < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + offset, buf.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return "\(path): \(String(cString: strerror(errno)))"
                }
                offset += n
            }
            return nil
        }
    }
}
