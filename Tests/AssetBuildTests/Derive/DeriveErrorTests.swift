import Foundation
import Testing
@testable import AssetBuildCore
@testable import AssetBuildDerive

/// Bad input gives a clear error, never a crash.
@Suite struct DeriveErrorTests {
    private let photo = DeriveFixtures.photo(width: 64, height: 48)
    private let spec = DeriveSpec(size: .exact(width: 32, height: 32), format: .png)

    private func failure(_ source: Data, _ spec: DeriveSpec) -> DeriveError? {
        do {
            _ = try ImageDeriver.derive(source, spec: spec)
            return nil
        } catch {
            return error
        }
    }

    @Test func bytes_that_are_not_an_image_are_named_so() throws {
        let error = try #require(failure(Data("hello, world".utf8), spec))
        guard case .sourceNotAnImage(let message) = error else { Issue.record("\(error)"); return }
        #expect(message.contains("not in a known format"), "\(message)")
        #expect(error.description.hasPrefix("the source is not an image libvips can read"))
    }

    @Test func empty_bytes_are_not_an_image() {
        #expect(failure(Data(), spec) == .sourceNotAnImage("the data is empty"))
    }

    @Test func a_truncated_png_fails_cleanly() throws {
        let png = DeriveFixtures.solid(.white, width: 64, height: 64)
        let error = try #require(failure(png.prefix(40), spec))
        switch error {
        case .sourceNotAnImage, .vips: break
        default: Issue.record("unexpected \(error)")
        }
    }

    @Test func a_zero_size_is_refused_before_decoding() {
        let zero = DeriveSpec(size: .exact(width: 0, height: 630), format: .jpeg)
        #expect(failure(photo, zero) == .invalidSpec("the width 0 is out of range; give 1 to 16383 pixels"))
        #expect(failure(photo, DeriveSpec(size: .height(-3), format: .png)) != nil)
        #expect(failure(photo, DeriveSpec(size: .width(20000), format: .webp)) != nil)
    }

    @Test func quality_opacity_and_font_size_are_checked() {
        #expect(failure(photo, DeriveSpec(size: .width(10), format: .jpeg, quality: 0))
                == .invalidSpec("the quality 0 is out of range; give 1 to 100"))
        let faint = DeriveImageOverlay(bytes: DeriveFixtures.svgRect(width: 4, height: 4, fill: "red"), opacity: 1.5)
        #expect(failure(photo, DeriveSpec(size: .width(10), format: .png, overlays: [.image(faint)]))
                == .invalidSpec("the opacity of overlay 1 is 1.5; give 0 to 1"))
        let tiny = DeriveTextOverlay(text: "x", font: "DejaVu Sans", size: 0)
        #expect(failure(photo, DeriveSpec(size: .width(10), format: .png, overlays: [.text(tiny)]))
                == .invalidSpec("the font size of overlay 1 is 0.0; give a size above 0, in pixels"))
    }

    @Test func an_unknown_font_is_refused_with_a_suggestion() throws {
        let typo = DeriveTextOverlay(text: "Hi", font: "DejaVu Sanz Bold", size: 20)
        let error = try #require(failure(photo, DeriveSpec(size: .width(10), format: .png, overlays: [.text(typo)])))
        #expect(error == .unknownFont(name: "DejaVu Sanz Bold", family: "DejaVu Sanz", suggestion: "DejaVu Sans"))
        #expect(error.description == "no installed font has the family 'DejaVu Sanz' (from 'DejaVu Sanz Bold'); "
                + "did you mean 'DejaVu Sans'? `fc-list : family` lists the installed families")
        let unknown = try #require(failure(photo, DeriveSpec(size: .width(10), format: .png, overlays: [
            .text(DeriveTextOverlay(text: "Hi", font: "Quux Grotesk", size: 20))])))
        guard case .unknownFont(_, "Quux Grotesk", nil) = unknown else { Issue.record("\(unknown)"); return }
    }

    @Test func a_known_font_resolves_to_its_file() throws {
        let bold = try DeriveFonts.resolve("DejaVu Sans Bold")
        #expect(bold.family == "DejaVu Sans" && bold.file.hasSuffix("DejaVuSans-Bold.ttf"), "\(bold)")
        let regular = try DeriveFonts.resolve("dejavu sans")
        #expect(regular.file.hasSuffix("DejaVuSans.ttf"), "\(regular)")
        #expect(DeriveFonts.installedFamilies().contains("DejaVu Sans"))
    }

    @Test func an_overlay_that_is_not_an_image_names_its_number() throws {
        let logo = DeriveImageOverlay(bytes: DeriveFixtures.svgRect(width: 4, height: 4, fill: "red"))
        let junk = DeriveImageOverlay(bytes: Data("not a picture".utf8))
        let error = try #require(failure(photo, DeriveSpec(size: .width(10), format: .png, overlays: [.image(logo), .image(junk)])))
        guard case .overlayNotAnImage(2, _) = error else { Issue.record("\(error)"); return }
        #expect(error.description.hasPrefix("overlay 2 is not an image libvips can read"))
    }

    @Test func errors_do_not_leak_into_the_next_derivation() throws {
        _ = failure(Data("junk".utf8), spec)
        let out = try ImageDeriver.derive(photo, spec: spec)
        #expect(try DerivedImageReader.info(out).width == 32)
        // The next failure carries its own message only.
        guard case .sourceNotAnImage(let message) = try #require(failure(Data("junk".utf8), spec)) else { return }
        #expect(message.components(separatedBy: "not in a known format").count == 2, "\(message)")
    }
}
