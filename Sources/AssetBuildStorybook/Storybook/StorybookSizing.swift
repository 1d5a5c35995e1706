import AssetBuildSupport
import AssetBuildCatalog
/// How a storybook's picture group fits the service's limit of 15 images in all, references
/// included. Each scene gets a picture and the book a cover as far as the limit allows; past it
/// the cover goes first, then the last pages. Those are never asked for: the book shows a gap that
/// says why, and `plan` says so before anything is sent.
public struct StorybookSizing: Sendable, Hashable {
    /// Scenes in the story (or, before the story is written, the most it may have).
    public var scenes: Int
    /// Reference images sent with the group; a reference to a whole group counts each of its images.
    public var references: Int

    public init(scenes: Int, references: Int) {
        self.scenes = scenes
        self.references = references
    }

    /// The most images the service makes with these references.
    public var limit: Int { max(0, ModelCatalog.maxReferencesPlusImages - references) }
    /// Images to ask for: a picture per scene, then the cover, within the limit.
    public var images: Int { min(scenes + 1, limit) }
    public var hasCover: Bool { scenes + 1 <= limit }
    /// Pages (1-based) that will have no picture because the limit leaves no room for them.
    public var undrawnPages: [Int] { images < scenes ? Array((images + 1)...scenes) : [] }

    /// `11 images (10 scenes + cover) of at most 13 with 2 references`; when the limit bites it
    /// also names what will have no picture. `upTo` is for a story not written yet.
    public func description(upTo: Bool = false) -> String {
        let refs = references == 0 ? "no references" : "\(references) reference\(references == 1 ? "" : "s")"
        let prefix = upTo ? "up to " : ""
        if hasCover {
            return "\(prefix)\(images) images (\(scenes) scenes + cover) of at most \(limit) with \(refs)"
        }
        let drawn = images == 1 ? "scene 1" : "scenes 1-\(images)"
        return "\(prefix)\(images) image\(images == 1 ? "" : "s") (\(drawn), no cover) of at most \(limit) with \(refs): "
            + "\(undrawnDescription) will have no picture"
    }

    /// `page 10 and the cover`, `pages 8-10 and the cover`, `the cover`.
    public var undrawnDescription: String {
        let pages = undrawnPages
        switch pages.count {
        case 0: return "the cover"
        case 1: return "page \(pages[0]) and the cover"
        default: return "pages \(pages[0])-\(pages[pages.count - 1]) and the cover"
        }
    }

    /// Why a page (or the cover) has no picture, written into the book.
    public func notDrawnReason(chinese: Bool) -> String {
        chinese ? "未绘制：使用 \(references) 张参考图时，服务最多生成 \(limit) 张图片"
            : "not drawn: the service allows at most \(limit) images with \(references) reference\(references == 1 ? "" : "s")"
    }
}
