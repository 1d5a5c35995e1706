import COpenSSLCrypto
import Foundation

/// SHA-256 through OpenSSL's EVP interface: as fast in debug builds as in release (STACK.md §4).
public struct SHA256: ~Copyable {
    private let context: OpaquePointer

    public init() {
        context = EVP_MD_CTX_new()
        EVP_DigestInit_ex(context, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ string: String) {
        var s = string
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    public consuming func finalize() -> Digest {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &out, &length)
        return Digest(bytes: Array(out.prefix(Int(length))))
    }

    public static func hash(_ data: Data) -> Digest {
        var h = SHA256()
        h.update(data)
        return h.finalize()
    }

    public static func hash(_ string: String) -> Digest {
        var h = SHA256()
        h.update(string)
        return h.finalize()
    }

    /// Hashes a file in 1 MiB chunks without holding it in memory.
    public static func hash(fileAt path: String) throws -> Digest {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw POSIXError.current(path: path) }
        defer { close(fd) }
        var h = SHA256()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError.current(path: path)
            }
            if n == 0 { break }
            h.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return h.finalize()
    }

    public struct Digest: Sendable, Hashable, CustomStringConvertible {
        public let bytes: [UInt8]
        public var hex: String {
            let digits = Array("0123456789abcdef".utf8)
            var out = [UInt8]()
            out.reserveCapacity(bytes.count * 2)
            for b in bytes {
                out.append(digits[Int(b >> 4)])
                out.append(digits[Int(b & 0x0F)])
            }
            return String(decoding: out, as: UTF8.self)
        }
        public var description: String { hex }
    }
}

extension POSIXError {
    /// The current `errno` as an error whose message names the path.
    package static func current(path: String) -> FileSystemError {
        FileSystemError(path: path, code: errno)
    }
}

/// A failed system call on a path, with the system's own words.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var code: Int32
    /// The call that failed ("open", "fsync"...), when the caller wants to name it.
    public var operation: String? = nil
    public var description: String { "\(path): \(String(cString: strerror(code)))" }

    /// Memberwise, spelled out so the other targets of the package can call it.
    package init(path: String, code: Int32, operation: String? = nil) {
        self.path = path
        self.code = code
        self.operation = operation
    }
}
