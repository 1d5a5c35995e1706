import Foundation

/// The messages between assetbuild and `assetbuild-vips` (framed by `Frame`). The client sends
/// requests with ids of its choosing; the worker answers each exactly once, in any order, with
/// the same id, so many derivations are in flight at once.
package enum WireProtocol {
    /// Raised on any change a reader of the old version would misread. A worker answers a request
    /// of another version with `.workerFailed` and the client drops a worker that answers with
    /// another version, so a mismatched pair fails with a message instead of garbage.
    package static let version = 2

    package static func encode<T: Encodable>(_ value: T) -> Data {
        // Plain structs of strings, numbers and optionals: encoding cannot fail.
        (try? JSONEncoder().encode(value)) ?? Data("{}".utf8)
    }

    package static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(Frame.Failure) -> T {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw Frame.Failure("an unreadable \(T.self) header (\(error))")
        }
    }
}

/// What the client asks.
package enum WireOperation: String, Codable, Sendable {
    /// → `WireResponse.version`: the worker's libvips version.
    case version
    /// `font` → `WireResponse.font`, or `.unknownFont`.
    case resolveFont = "resolve-font"
    /// `spec`, blobs [source, overlay images…] → one blob, the output's bytes.
    case derive
    /// → `WireResponse.files`: the files whose change may change `version` and `resolve-font`'s
    /// answers (`DeriveStateFiles`).
    case stateFiles = "state-files"
}

/// One request (the header of a client → worker frame).
package struct WireRequest: Codable, Sendable {
    package var v: Int = WireProtocol.version
    package var id: UInt64
    package var op: WireOperation
    package var font: String?
    package var spec: WireSpec?
    /// The payload's blob lengths: for `derive`, the source then each image overlay's file.
    package var blobs: [Int] = []

    package init(id: UInt64, op: WireOperation, font: String? = nil, spec: WireSpec? = nil, blobs: [Int] = []) {
        self.id = id
        self.op = op
        self.font = font
        self.spec = spec
        self.blobs = blobs
    }
}

/// One answer (the header of a worker → client frame): `error`, or the operation's result.
package struct WireResponse: Codable, Sendable {
    package var v: Int = WireProtocol.version
    package var id: UInt64
    package var version: String?
    package var font: ResolvedFont?
    /// For `state-files`.
    package var files: [String]?
    package var error: DeriveError?
    /// For `derive`: one blob, the output's bytes.
    package var blobs: [Int] = []
    /// For `derive`: the size the output came out at.
    package var width: Int?
    package var height: Int?

    package init(id: UInt64, version: String? = nil, font: ResolvedFont? = nil, error: DeriveError? = nil, blobs: [Int] = []) {
        self.id = id
        self.version = version
        self.font = font
        self.error = error
        self.blobs = blobs
    }
}

/// A `DeriveSpec` on the wire: every field, with image overlays' file bytes moved out into
/// blobs (referenced by index), so JSON carries only the small values.
package struct WireSpec: Codable, Sendable, Hashable {
    package var width: Int?
    package var height: Int?
    package var fit: String
    package var crop: String
    package var format: String
    package var quality: Int?
    package var background: String?
    package var overlays: [Overlay]

    package struct Overlay: Codable, Sendable, Hashable {
        package var kind: String
        package var gravity: String
        package var margin: Int
        /// Image: the index of the file's bytes among the request's blobs.
        package var blob: Int?
        package var width: Int?
        package var height: Int?
        package var opacity: Double?
        /// Text.
        package var text: String?
        package var font: String?
        package var size: Double?
        package var color: String?
        package var maxWidth: Int?
    }

    /// The wire form of `spec`, whose image overlays' bytes are appended to `blobs`.
    package init(_ spec: DeriveSpec, blobs: inout [Data]) {
        switch spec.size {
        case .exact(let w, let h): (width, height) = (w, h)
        case .width(let w): (width, height) = (w, nil)
        case .height(let h): (width, height) = (nil, h)
        }
        fit = spec.fit.rawValue
        crop = spec.crop.rawValue
        format = spec.format.rawValue
        quality = spec.quality
        background = spec.background?.description
        overlays = []
        for overlay in spec.overlays {
            switch overlay {
            case .image(let o):
                overlays.append(Overlay(kind: "image", gravity: o.gravity.rawValue, margin: o.margin, blob: blobs.count,
                                        width: o.width, height: o.height, opacity: o.opacity))
                blobs.append(o.bytes)
            case .text(let t):
                overlays.append(Overlay(kind: "text", gravity: t.gravity.rawValue, margin: t.margin, text: t.text,
                                        font: t.font, size: t.size, color: t.color.description, maxWidth: t.maxWidth))
            }
        }
    }

    /// The spec back, with image overlays' bytes taken from `blobs`.
    package func spec(blobs: [Data]) throws(Frame.Failure) -> DeriveSpec {
        func value<T>(_ parsed: T?, _ what: String, _ raw: String?) throws(Frame.Failure) -> T {
            guard let parsed else { throw Frame.Failure("a spec with the \(what) '\(raw ?? "nothing")'") }
            return parsed
        }
        let size: DeriveSize
        switch (width, height) {
        case let (w?, h?): size = .exact(width: w, height: h)
        case let (w?, nil): size = .width(w)
        case let (nil, h?): size = .height(h)
        case (nil, nil): throw Frame.Failure("a spec without a size")
        }
        var result = DeriveSpec(
            size: size, fit: try value(DeriveFit(rawValue: fit), "fit", fit), crop: try value(DeriveCrop(rawValue: crop), "crop", crop),
            format: try value(DeriveFormat(rawValue: format), "format", format), quality: quality)
        if let background { result.background = try value(DeriveColor(hex: background), "background", background) }
        for o in overlays {
            let gravity = try value(DeriveGravity(rawValue: o.gravity), "gravity", o.gravity)
            switch o.kind {
            case "image":
                guard let i = o.blob, blobs.indices.contains(i) else { throw Frame.Failure("an image overlay without its file's bytes") }
                result.overlays.append(.image(DeriveImageOverlay(bytes: blobs[i], gravity: gravity, margin: o.margin, width: o.width,
                                                                 height: o.height, opacity: o.opacity ?? 1)))
            case "text":
                guard let text = o.text, let font = o.font, let size = o.size else { throw Frame.Failure("a text overlay without text, font or size") }
                let color = try value(DeriveColor(hex: o.color ?? "#ffffff"), "colour", o.color)
                result.overlays.append(.text(DeriveTextOverlay(text: text, font: font, size: size, color: color, gravity: gravity,
                                                               margin: o.margin, maxWidth: o.maxWidth)))
            default:
                throw Frame.Failure("an overlay of the kind '\(o.kind)'")
            }
        }
        return result
    }
}
