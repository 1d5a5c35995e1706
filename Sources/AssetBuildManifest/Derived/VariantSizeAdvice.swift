import AssetBuildSupport
import AssetBuildCatalog

/// When a `size` is below what a model generates (1080x1080 on seedream 4.5), the way to get it:
/// generate a size the model takes and derive the small one locally, at no cost; or a model that
/// takes the size directly.
package enum VariantSizeAdvice {
    /// Notes for an error about `w x h` being too few pixels for `model`; `larger` is a size of the
    /// same shape the model takes.
    package static func notes(width w: Int, height h: Int, model: ImageModel, larger: (width: Int, height: Int)?) -> [String] {
        var out: [String] = []
        if let larger {
            out.append("to get \(w)x\(h), generate a larger image and derive \(w)x\(h) from it locally, at no cost: 'size: \(larger.width)x\(larger.height)' plus 'variants: {small: {size: \(w)x\(h)}}' (written as <target>.small.jpeg)")
        }
        let takers = takers(width: w, height: h).filter { $0 != model.id }
        out.append(takers.isEmpty ? "no image model generates \(w)x\(h) directly"
                   : "\(takers.joined(separator: " and ")) \(takers.count == 1 ? "generates" : "generate") \(w)x\(h) directly")
        return out
    }

    /// The image models whose rules accept `WxH` as it is.
    package static func takers(width w: Int, height h: Int) -> [String] {
        ModelCatalog.imageModels.filter { m in
            guard let range = m.pixelRange, range.contains(w * h) else { return false }
            let aspect = m.aspectRange ?? (1 / SizeSpec.widestRatio)...SizeSpec.widestRatio
            return aspect.contains(Double(w) / Double(h))
        }.map(\.id)
    }
}
