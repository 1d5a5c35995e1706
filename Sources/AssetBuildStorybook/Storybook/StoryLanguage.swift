import AssetBuildSupport
import AssetBuildCatalog
/// The language a storybook request (and so its story and book) is written in, told apart by
/// script: enough to pick the system prompt and the book's `lang`. Latin-script text is taken as
/// English; the English prompt still asks for the story in the language of the request.
public enum StoryLanguage: String, Sendable, Hashable, CaseIterable {
    case chinese = "zh", japanese = "ja", korean = "ko", russian = "ru", greek = "el", arabic = "ar",
         hebrew = "he", thai = "th", hindi = "hi", english = "en"

    /// The BCP 47 tag for `<html lang>`.
    public var tag: String { rawValue }

    public var englishName: String {
        switch self {
        case .chinese: return "Chinese"
        case .japanese: return "Japanese"
        case .korean: return "Korean"
        case .russian: return "Russian"
        case .greek: return "Greek"
        case .arabic: return "Arabic"
        case .hebrew: return "Hebrew"
        case .thai: return "Thai"
        case .hindi: return "Hindi"
        case .english: return "English"
        }
    }

    public init(of text: String) {
        var han = 0, kana = 0, hangul = 0, latin = 0
        var other: [StoryLanguage: Int] = [:]
        for u in text.unicodeScalars {
            switch u.value {
            case 0x4E00...0x9FFF, 0x3400...0x4DBF: han += 1
            case 0x3040...0x30FF, 0x31F0...0x31FF, 0xFF66...0xFF9F: kana += 1
            case 0xAC00...0xD7AF, 0x1100...0x11FF, 0x3130...0x318F: hangul += 1
            case 0x41...0x5A, 0x61...0x7A, 0xC0...0x24F: latin += 1
            case 0x0400...0x04FF: other[.russian, default: 0] += 1
            case 0x0370...0x03FF: other[.greek, default: 0] += 1
            case 0x0600...0x06FF: other[.arabic, default: 0] += 1
            case 0x0590...0x05FF: other[.hebrew, default: 0] += 1
            case 0x0E00...0x0E7F: other[.thai, default: 0] += 1
            case 0x0900...0x097F: other[.hindi, default: 0] += 1
            default: break
            }
        }
        // A CJK character carries about as much as a short Latin word: weigh them so.
        let cjkWeight = 6
        if kana > 0, (kana + han) * cjkWeight >= latin { self = .japanese; return }
        if hangul > 0, hangul >= han, hangul * 3 >= latin { self = .korean; return }
        if han > 0, han * cjkWeight >= latin { self = .chinese; return }
        if let (language, n) = other.max(by: { $0.value < $1.value }), n >= latin { self = language; return }
        self = .english
    }
}
