/// "Did you mean" suggestions, by edit distance (as Ninja's SpellcheckNode and SwiftPM do).
///
/// The work is bounded whatever the input: a suggestion is at most 3 edits away, so only the
/// cells within 3 of the diagonal are computed, candidates whose length differs by more than
/// that are skipped, and words longer than `maxLength` get no suggestion (a 1,000-character name
/// is not a typo of another). Comparing two words costs at most 7 × `maxLength` steps.
public enum SpellCheck {
    /// Words and candidates longer than this (in Unicode scalars) are not compared.
    public static let maxLength = 128

    /// The closest candidate within a distance that scales with the word's length, if any.
    public static func suggestion(for word: String, in candidates: some Sequence<String>) -> String? {
        let w = Array(word.lowercased().unicodeScalars)
        guard w.count <= maxLength else { return nil }
        var limit = max(1, min(3, word.count / 3))
        var best: String?
        for c in candidates {
            let other = Array(c.lowercased().unicodeScalars)
            guard other.count <= maxLength, abs(other.count - w.count) <= limit,
                  let d = distance(w, other, limit: limit) else { continue }
            // A later one must be strictly closer: the first of equals wins.
            best = c
            limit = d - 1
            if limit < 0 { break }
        }
        return best
    }

    /// `; did you mean 'x'?` or the empty string.
    public static func didYouMean(_ word: String, in candidates: some Sequence<String>) -> String {
        suggestion(for: word, in: candidates).map { "; did you mean '\($0)'?" } ?? ""
    }

    /// Levenshtein distance, with adjacent transpositions counted as one edit.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        return distance(a, b, limit: max(a.count, b.count))!
    }

    /// The distance when it is at most `limit`, else nil; only cells within `limit` of the
    /// diagonal are computed (Ukkonen's band), and it stops once a whole row is over the limit.
    package static func distance<C: Equatable>(_ a: [C], _ b: [C], limit: Int) -> Int? {
        guard abs(a.count - b.count) <= limit else { return nil }
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        let over = limit + 1
        var prev2 = [Int](repeating: over, count: b.count + 1)
        var prev = (0...b.count).map { min($0, over) }
        var cur = [Int](repeating: over, count: b.count + 1)
        for i in 1...a.count {
            let lo = max(1, i - limit), hi = min(b.count, i + limit)
            cur[0] = min(i, over)
            if lo > 1 { cur[lo - 1] = over }
            var rowMin = cur[0]
            if lo <= hi {
                for j in lo...hi {
                    let cost = a[i - 1] == b[j - 1] ? 0 : 1
                    var v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
                    if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { v = min(v, prev2[j - 2] + 1) }
                    cur[j] = min(v, over)
                    rowMin = min(rowMin, cur[j])
                }
            }
            if hi < b.count { cur[hi + 1] = over }
            if rowMin > limit { return nil }
            (prev2, prev, cur) = (prev, cur, prev2)
        }
        return prev[b.count] <= limit ? prev[b.count] : nil
    }
}
