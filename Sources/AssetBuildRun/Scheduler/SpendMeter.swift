import Foundation
import Synchronization
import AssetBuildSupport
import AssetBuildCatalog
import AssetBuildImaging
import AssetBuildStorybook
import AssetBuildManifest
import AssetBuildPlan
import AssetBuildProviders

/// Money spent so far in one build: generated images × the model's price. Once it reaches the
/// budget no new request is admitted; requests already in flight finish (their images are paid
/// for either way).
public final class SpendMeter: Sendable {
    private let prices: @Sendable (String) -> Double
    public let budget: Double?
    private let total = Mutex(0.0)

    public init(budget: Double?, prices: @escaping @Sendable (String) -> Double) {
        self.budget = budget
        self.prices = prices
    }

    public var spent: Double { total.withLock { $0 } }

    public func charge(model: String, images: Int) {
        let cost = prices(model) * Double(images)
        total.withLock { $0 += cost }
    }

    /// Throws when the budget is used up, naming it.
    public func checkBeforeRequest(target: String) throws {
        guard let budget else { return }
        let spent = self.spent
        if spent >= budget - 1e-9 {
            throw BudgetReached(target: target, spent: spent, budget: budget)
        }
    }
}

public struct BudgetReached: Error, Sendable, CustomStringConvertible {
    public var target: String
    public var spent: Double
    public var budget: Double
    public var description: String {
        String(format: "%@: not started: the build has spent $%.2f of its $%.2f budget (raise --budget or provider.budget)",
               target, spent, budget)
    }
}
