import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// An 8-bit sRGB colour.
public struct RGBColor: Sendable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    /// `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(UInt8(truncatingIfNeeded: hex >> 16), UInt8(truncatingIfNeeded: hex >> 8), UInt8(truncatingIfNeeded: hex))
    }

    public static let black = RGBColor(0, 0, 0)
    public static let white = RGBColor(255, 255, 255)

    /// Relative luminance in 0…1 (Rec. 709 weights on the encoded values; good enough to pick a text colour).
    public var luminance: Double { (0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)) / 255 }

    /// `self` moved towards `other` by `amount` (0 gives `self`, 1 gives `other`).
    public func mixed(with other: RGBColor, amount: Double) -> RGBColor {
        let t = min(max(amount, 0), 1)
        func mix(_ a: UInt8, _ b: UInt8) -> UInt8 { UInt8((Double(a) + (Double(b) - Double(a)) * t).rounded()) }
        return RGBColor(mix(r, other.r), mix(g, other.g), mix(b, other.b))
    }

    /// `#rrggbb`.
    public var hexString: String {
        String(format: "#%02x%02x%02x", Int(r), Int(g), Int(b))
    }
}
