import CVips
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The files whose change may change what libvips' version is and what a font name resolves to,
/// so that assetbuild can keep those answers between runs and ask again only when one of these
/// files changed (`DeriveFacts` in AssetBuildPlan):
///
/// - the shared libraries that answer: libvips (its version), fontconfig and Pango (the match),
///   as the dynamic linker loaded them (an upgraded package replaces the file);
/// - what fontconfig itself checks to decide that its configuration is out of date
///   (`FcConfigUptoDate`: the configuration files, the configuration directories such as
///   `conf.d`, and the font directories with every subdirectory it scanned; `fc-cache` keeps one
///   cache per font directory, valid while the directory's mtime is unchanged, and installing or
///   removing a font changes the mtime of the directory it is in). Configured directories that do
///   not exist yet (`~/.local/share/fonts`) are listed too: creating one changes the answer.
public enum DeriveStateFiles {
    /// Every such file, libraries first, without repeats.
    public static func list() throws(DeriveError) -> [String] {
        try Vips.start()
        var out: [String] = []
        for symbol in ["vips_version", "FcConfigGetCurrent", "pango_font_description_from_string"] {
            if let file = library(defining: symbol), !out.contains(file) { out.append(file) }
        }
        // The configuration Pango's matches use (the default one, loaded with its fonts).
        guard let config = FcConfigGetCurrent() else { return out }
        for list in [FcConfigGetConfigFiles(config), FcConfigGetConfigDirs(config), FcConfigGetFontDirs(config)] {
            guard let list else { continue }
            defer { FcStrListDone(list) }
            while let entry = FcStrListNext(list) {
                let path = String(cString: entry)
                if !out.contains(path) { out.append(path) }
            }
        }
        return out
    }

    /// The shared object that defines `symbol` in this process, as the dynamic linker opened it:
    /// the mapping of `/proc/self/maps` that holds the symbol's address (Glibc's module does not
    /// offer `dladdr`).
    static func library(defining symbol: String) -> String? {
        // Read to the end: procfs files have no size, so a read by size gets nothing.
        guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), symbol),
              let data = try? FileHandle(forReadingAtPath: "/proc/self/maps")?.readToEnd() else { return nil }
        let maps = String(decoding: data, as: UTF8.self)
        let at = UInt(bitPattern: address)
        for line in maps.split(separator: "\n") {
            // start-end perms offset dev inode path
            let fields = line.split(separator: " ")
            guard fields.count >= 6, let dash = fields[0].firstIndex(of: "-"),
                  let start = UInt(fields[0][..<dash], radix: 16),
                  let end = UInt(fields[0][fields[0].index(after: dash)...], radix: 16),
                  start <= at, at < end else { continue }
            let path = fields[5...].joined(separator: " ")
            return path.hasPrefix("/") ? path : nil
        }
        return nil
    }
}
