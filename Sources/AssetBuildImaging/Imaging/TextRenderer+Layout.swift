import Foundation
import AssetBuildSupport
import AssetBuildCatalog

extension TextRenderer {
    /// Horizontal placement of each line inside `maxWidth`.
    public enum Alignment: Sendable {
        case leading, center, trailing
    }

    /// Size of `text` as `draw` would lay it out: the widest line and the height of all lines.
    public func measure(_ text: String, pixelHeight: Int, bold: Bool = false, maxWidth: Int = .max,
                        maxLines: Int = .max) -> (width: Int, height: Int) {
        let lines = layout(text, pixelHeight: pixelHeight, bold: bold, maxWidth: maxWidth, maxLines: maxLines)
        let lineHeight = Self.lineMetrics(pixelHeight: pixelHeight).lineHeight
        return (lines.map(\.width).max() ?? 0, lines.count * lineHeight)
    }

    /// Draws `text` with its top-left corner at (`x`, `y`), wrapped greedily at spaces (and between
    /// any two CJK characters) to `maxWidth`, with at most `maxLines` lines; text that does not fit
    /// ends in "…". Drawing clips to the image. Returns the height used (lines × line height).
    @discardableResult
    public func draw(_ text: String, into image: inout RGBImage, x: Int, y: Int, pixelHeight: Int,
                     color: RGBColor, maxWidth: Int = .max, maxLines: Int = .max, bold: Bool = false,
                     alignment: Alignment = .leading) -> Int {
        let lines = layout(text, pixelHeight: pixelHeight, bold: bold, maxWidth: maxWidth, maxLines: maxLines)
        let (ascent, lineHeight) = Self.lineMetrics(pixelHeight: pixelHeight)
        for (number, line) in lines.enumerated() {
            var pen = x
            if maxWidth != .max {
                switch alignment {
                case .leading: break
                case .center: pen += (maxWidth - line.width) / 2
                case .trailing: pen += maxWidth - line.width
                }
            }
            let baseline = y + number * lineHeight + ascent
            for glyph in line.glyphs {
                image.blendCoverage(glyph, atX: pen + glyph.left, y: baseline - glyph.top, color: color)
                pen += glyph.advance
            }
        }
        return lines.count * lineHeight
    }

    /// One laid-out line: its glyphs in order and its advance width.
    package struct Line {
        package var glyphs: [Glyph] = []
        package var width = 0
    }

    /// Greedy line breaking. Invariants: no line is wider than `maxWidth` except a line holding a
    /// single glyph wider than it; there are at most `max(0, maxLines)` lines; when text was
    /// dropped, the last line ends with "…".
    package func layout(_ text: String, pixelHeight: Int, bold: Bool, maxWidth: Int, maxLines: Int) -> [Line] {
        guard maxLines > 0, maxWidth > 0 else { return [] }
        let scalars = Array(text.unicodeScalars)
        let glyphs = self.glyphs(for: scalars, pixelHeight: pixelHeight, bold: bold)
        let space = self.glyphs(for: [" "], pixelHeight: pixelHeight, bold: bold)[0]
        var lines: [Line] = []
        var current = Line()
        var truncated = false

        func breakLine() {
            lines.append(current)
            current = Line()
        }
        for token in Self.tokens(scalars) {
            if lines.count >= maxLines { truncated = true; break }
            switch token {
            case .newline:
                breakLine()
            case .space:
                if !current.glyphs.isEmpty { current.glyphs.append(space); current.width += space.advance }
            case .word(let range):
                let word = glyphs[range]
                let wordWidth = word.reduce(0) { $0 + $1.advance }
                if current.width + wordWidth > maxWidth, !current.glyphs.isEmpty {
                    trimTrailingSpaces(&current)
                    breakLine()
                    if lines.count >= maxLines { truncated = true; break }
                }
                if wordWidth <= maxWidth - current.width {
                    current.glyphs += word
                    current.width += wordWidth
                    continue
                }
                // A word wider than a whole line breaks between characters.
                for glyph in word {
                    if current.width + glyph.advance > maxWidth, !current.glyphs.isEmpty {
                        breakLine()
                        if lines.count >= maxLines { truncated = true; break }
                    }
                    current.glyphs.append(glyph)
                    current.width += glyph.advance
                }
            }
        }
        if !truncated, !current.glyphs.isEmpty { lines.append(current) }
        for i in lines.indices { trimTrailingSpaces(&lines[i]) }
        if truncated || lines.count > maxLines {
            lines = Array(lines.prefix(maxLines))
            let ellipsis = self.glyphs(for: ["\u{2026}"], pixelHeight: pixelHeight, bold: bold)[0]
            var last = lines[lines.count - 1]
            while !last.glyphs.isEmpty, last.width + ellipsis.advance > maxWidth {
                last.width -= last.glyphs.removeLast().advance
            }
            trimTrailingSpaces(&last)
            last.glyphs.append(ellipsis)
            last.width += ellipsis.advance
            lines[lines.count - 1] = last
        }
        return lines
    }

    private func trimTrailingSpaces(_ line: inout Line) {
        while let last = line.glyphs.last, last.coverage.allSatisfy({ $0 == 0 }) {
            line.width -= last.advance
            line.glyphs.removeLast()
        }
    }

    /// A unit of line breaking: a run of non-space characters that must stay together, one CJK
    /// character (with any closing punctuation after it), a space, or a hard line break.
    package enum Token: Equatable {
        case word(Range<Int>)
        case space
        case newline
    }

    package static func tokens(_ scalars: [Unicode.Scalar]) -> [Token] {
        var tokens: [Token] = []
        var start: Int?
        func endWord(_ end: Int) {
            if let s = start, s < end { tokens.append(.word(s..<end)) }
            start = nil
        }
        for (i, s) in scalars.enumerated() {
            if s == "\n" {
                endWord(i)
                tokens.append(.newline)
            } else if s.properties.isWhitespace || s.value < 0x20 {
                endWord(i)
                if tokens.last != .space { tokens.append(.space) }
            } else if isNonStarter(s), case .word(let r)? = tokens.last, start == nil, r.upperBound == i {
                tokens[tokens.count - 1] = .word(r.lowerBound..<(i + 1))  // keep "，" with what it closes
            } else if isBreakableEverywhere(s) {
                endWord(i)
                tokens.append(.word(i..<(i + 1)))
            } else if start == nil {
                start = i
            }
        }
        endWord(scalars.count)
        return tokens
    }

    /// CJK ideographs, kana, hangul and full-width forms: a line may break before or after each one.
    package static func isBreakableEverywhere(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x2E80...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFFEF,
             0x20000...0x3FFFF:
            return true
        default:
            return false
        }
    }

    /// Closing punctuation that must not start a line (kinsoku), in CJK and ASCII forms.
    package static func isNonStarter(_ s: Unicode.Scalar) -> Bool {
        "，。、！？；：）」』】》〉．,.!?;:)".unicodeScalars.contains(s)
    }
}

extension RGBImage {
    /// Blends `color` through a glyph's coverage bitmap placed at (`x`, `y`), clipped.
    package mutating func blendCoverage(_ glyph: Glyph, atX x: Int, y: Int, color: RGBColor) {
        let area = PixelRect(x: x, y: y, width: glyph.width, height: glyph.rows).intersection(bounds)
        guard !area.isEmpty else { return }
        let cr = Int(color.r), cg = Int(color.g), cb = Int(color.b)
        let stride = width * 3
        glyph.coverage.withUnsafeBufferPointer { cov in
            pixels.withUnsafeMutableBufferPointer { buf in
                for row in area.y..<area.maxY {
                    var c = cov.baseAddress! + (row - y) * glyph.width + (area.x - x)
                    var p = buf.baseAddress! + row * stride + area.x * 3
                    let end = p + area.width * 3
                    while p < end {
                        let a = Int(c.pointee)
                        if a == 255 {
                            p[0] = color.r; p[1] = color.g; p[2] = color.b
                        } else if a != 0 {
                            p[0] = UInt8(Int(p[0]) + ((cr - Int(p[0])) * a + 127) / 255)
                            p[1] = UInt8(Int(p[1]) + ((cg - Int(p[1])) * a + 127) / 255)
                            p[2] = UInt8(Int(p[2]) + ((cb - Int(p[2])) * a + 127) / 255)
                        }
                        p += 3
                        c += 1
                    }
                }
            }
        }
    }
}
