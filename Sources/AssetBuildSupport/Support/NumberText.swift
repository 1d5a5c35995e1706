import Foundation

/// A number as a manifest writes it: `2`, not `2.0`.
package func format(_ v: Double) -> String {
    v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v)
}
