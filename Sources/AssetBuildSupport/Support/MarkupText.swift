import Foundation

/// Text made safe inside HTML, XML or Pango markup: `&`, `<`, `>`, `"` and `'` become entities
/// (`'` as `&#39;`, which HTML, XML and Pango's GMarkup all read).
public enum MarkupText {
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
