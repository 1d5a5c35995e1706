import Foundation

/// Byte counts the way people read them: `1.4 MB`.
public func formatBytes(_ n: Int64) -> String {
    let units = ["bytes", "KB", "MB", "GB", "TB"]
    var value = Double(n), unit = 0
    while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
    return unit == 0 ? "\(n) bytes" : String(format: "%.1f %@", value, units[unit])
}
