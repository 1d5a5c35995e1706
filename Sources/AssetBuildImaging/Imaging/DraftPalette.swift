import Foundation
import AssetBuildSupport
import AssetBuildCatalog

/// Background colours for a draft: the colours a prompt names, in the order it names them, else a
/// pair derived from the action key. Pure functions of their inputs (deterministic).
package enum DraftPalette {
    /// English colour words (whole words, lower-cased) and their sRGB values.
    package static let englishColors: [String: UInt32] = [
        "red": 0xE53935, "orange": 0xFB8C00, "yellow": 0xFDD835, "green": 0x43A047, "teal": 0x0FA3A0,
        "cyan": 0x00BCD4, "blue": 0x1E88E5, "navy": 0x1A237E, "purple": 0x8E24AA, "violet": 0x7E57C2,
        "magenta": 0xD81B60, "pink": 0xEC6FA0, "coral": 0xFF6F59, "brown": 0x6D4C41, "black": 0x141414,
        "white": 0xF4F4F4, "gray": 0x9E9E9E, "grey": 0x9E9E9E, "gold": 0xD4AF37, "golden": 0xD4AF37,
        "silver": 0xC0C0C0, "beige": 0xE8DCC0, "maroon": 0x800000, "olive": 0x808000, "lime": 0xC0CA33,
        "indigo": 0x3949AB, "turquoise": 0x40E0D0, "lavender": 0xB39DDB, "crimson": 0xDC143C,
        "salmon": 0xFA8072, "mint": 0x98D8B0, "peach": 0xFFCBA4, "cream": 0xFFF4D6, "amber": 0xFFB300,
        "scarlet": 0xFF2400, "emerald": 0x2E8B57, "azure": 0x3A8DDE, "burgundy": 0x800020,
        "charcoal": 0x36454F, "ivory": 0xFFFFF0, "khaki": 0xC3B091, "plum": 0x8E4585, "rose": 0xE8507A,
        "sky": 0x87CEEB, "tan": 0xD2B48C, "aqua": 0x2EC4C4, "fuchsia": 0xE040A0,
    ]

    /// Chinese colour characters (simplified, and the traditional forms that differ).
    package static let chineseColors: [Character: UInt32] = [
        "红": 0xE53935, "紅": 0xE53935, "橙": 0xFB8C00, "黄": 0xFDD835, "黃": 0xFDD835, "绿": 0x43A047,
        "綠": 0x43A047, "青": 0x00897B, "蓝": 0x1E88E5, "藍": 0x1E88E5, "紫": 0x8E24AA, "粉": 0xF48FB1,
        "黑": 0x141414, "白": 0xF4F4F4, "灰": 0x9E9E9E, "金": 0xD4AF37, "银": 0xC0C0C0, "銀": 0xC0C0C0,
        "棕": 0x6D4C41,
    ]

    /// The start (top-left) and end (bottom-right) colours of the background gradient.
    package static func gradient(prompt: String, key: String) -> (start: RGBColor, end: RGBColor) {
        let named = namedColors(in: prompt)
        if named.count >= 2 { return (named[0], named[1]) }
        if let only = named.first {
            return (only, only.luminance < 0.2 ? only.mixed(with: .white, amount: 0.35)
                                               : only.mixed(with: .black, amount: 0.55))
        }
        let seed = fnv1a(key)
        let hue = Double(seed % 360)
        let partner = hue + 35 + Double((seed >> 16) % 90)
        return (hsv(hue, 0.55, 0.82), hsv(partner, 0.70, 0.42))
    }

    /// Colours named in `text`, in order of appearance: `#RRGGBB` codes, English colour words and
    /// Chinese colour characters. A colour close to an earlier one ("teal #0FB5AE") is dropped, so the
    /// first two entries always make a visible gradient.
    package static func namedColors(in text: String) -> [RGBColor] {
        var found: [(position: Int, color: RGBColor)] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "#", let value = hexCode(chars, at: i + 1) {
                found.append((i, RGBColor(hex: value)))
                i += 7
                continue
            }
            if c.isLetter, c.isASCII {
                var j = i
                while j < chars.count, chars[j].isASCII, chars[j].isLetter { j += 1 }
                if let value = englishColors[String(chars[i..<j]).lowercased()] { found.append((i, RGBColor(hex: value))) }
                i = j
                continue
            }
            if let value = chineseColors[c] { found.append((i, RGBColor(hex: value))) }
            i += 1
        }
        var unique: [RGBColor] = []
        for entry in found where !unique.contains(where: { distance($0, entry.color) < 60 }) {
            unique.append(entry.color)
        }
        return unique
    }

    /// Sum of the channel differences.
    package static func distance(_ a: RGBColor, _ b: RGBColor) -> Int {
        abs(Int(a.r) - Int(b.r)) + abs(Int(a.g) - Int(b.g)) + abs(Int(a.b) - Int(b.b))
    }

    /// Six hex digits at `start` not followed by a seventh.
    private static func hexCode(_ chars: [Character], at start: Int) -> UInt32? {
        guard start + 6 <= chars.count else { return nil }
        if start + 6 < chars.count, chars[start + 6].isHexDigit { return nil }
        var value: UInt32 = 0
        for k in start..<(start + 6) {
            guard let digit = chars[k].hexDigitValue else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// HSV (hue in degrees, saturation and value in 0…1) to sRGB.
    package static func hsv(_ hue: Double, _ s: Double, _ v: Double) -> RGBColor {
        let h = hue.truncatingRemainder(dividingBy: 360) / 60
        let c = v * s, x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1)), m = v - c
        let (r, g, b): (Double, Double, Double)
        switch Int(h) {
        case 0: (r, g, b) = (c, x, 0)
        case 1: (r, g, b) = (x, c, 0)
        case 2: (r, g, b) = (0, c, x)
        case 3: (r, g, b) = (0, x, c)
        case 4: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        func byte(_ u: Double) -> UInt8 { UInt8(min(255, max(0, ((u + m) * 255).rounded()))) }
        return RGBColor(byte(r), byte(g), byte(b))
    }

    /// FNV-1a over the UTF-8 bytes: a stable seed (Swift's `hashValue` changes between runs).
    package static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }
}
