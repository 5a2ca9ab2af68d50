// Masking, card and ID checks, and the permission check behind every privileged route (Sources/Domain).
import Benchmark
import Domain
import Foundation

/// Every (role, permission) pair, so the check is measured over allowed and denied answers alike.
let pairs: [(Role, Permission)] = Role.allCases.flatMap { role in Permission.allCases.map { (role, $0) } }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,  // one unit for every row, so figures compare at a glance
        warmupIterations: 10,
        scalingFactor: .kilo,  // sub-microsecond work: time 1,000 calls per iteration, report per call
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    // Masking is applied to every personal field a page or API answer shows.
    Benchmark("Masking.mask(phone:)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Masking.mask(phone: "13800138000")) }
    }
    Benchmark("Masking.mask(name:)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Masking.mask(name: "欧阳锋")) }
    }
    Benchmark("Masking.mask(email:)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Masking.mask(email: "zhang.san@example.com")) }
    }
    Benchmark("Masking.mask(residentID:)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Masking.mask(residentID: "11010519491231002X")) }
    }
    Benchmark("Masking.mask(address:)") { benchmark, address in
        for _ in benchmark.scaledIterations { blackHole(Masking.mask(address: address)) }
    } setup: {
        PostalAddress(province: "浙江省", city: "杭州市", district: "西湖区", detail: "文三路 90 号 3 幢 201 室")
    }

    Benchmark("Luhn.isValid 16 digits") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(Luhn.isValid(digits: "4242424242424242")) }
    }
    Benchmark("ResidentID parse and validate") { benchmark, now in
        for _ in benchmark.scaledIterations { blackHole(try? ResidentID("11010519491231002X", now: now)) }
    } setup: { () -> Date in
        precondition(ResidentID.isValid("11010519491231002X", now: Date()), "the sample number must be valid")
        return Date()
    }

    // What Caller.require (Sources/Marketplace) does after its two flag checks. Caller itself lives in
    // Marketplace, which would pull the database drivers into this package; the check is this Domain code.
    Benchmark("Role.permissions.contains, every role × permission") { benchmark in
        for n in benchmark.scaledIterations {
            let (role, permission) = pairs[n % pairs.count]
            blackHole(role.permissions.contains(permission))
        }
    }
    // A denial also builds the 403 problem Caller.require throws.
    Benchmark("denied check + Problem.forbidden") { benchmark in
        for _ in benchmark.scaledIterations {
            let role = Role.catalog
            if !role.permissions.contains(.readAudit) {
                blackHole(Problem.forbidden("Your role (\(role.rawValue)) does not allow this action."))
            }
        }
    }
}
