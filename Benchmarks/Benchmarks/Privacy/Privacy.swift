// Field encryption, blind indexes and pseudonyms (Sources/Privacy): the crypto every read or write of personal
// data goes through.
import Benchmark
import Crypto
import Foundation
import Privacy

/// What every benchmark here needs: a key ring, one person's data key, a sealed phone number.
struct Keys {
    let ring: KeyRing
    let dataKey: SymmetricKey
    let wrapped: WrappedKey
    let context = FieldContext(table: "accounts", column: "phone_cipher", row: "acc-0001")
    let phone = "13800138000"
    let sealedPhone: Data
    let image = Data(repeating: 0xA5, count: 64 * 1024)
    let sealedImage: Data

    init() throws {
        ring = try KeyRing(material: .random(origin: .generated, nowMillis: 0))
        dataKey = KeyRing.newDataKey()
        wrapped = try ring.wrap(dataKey, subject: "acc-0001")
        sealedPhone = try FieldCipher.seal(phone, key: dataKey, context: context)
        sealedImage = try FieldCipher.seal(bytes: image, key: dataKey, context: context)
    }
}

let benchmarks: @Sendable () -> Void = {
    // Short runs: these are figures for docs/benchmarks.md, not CI thresholds.
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,  // one unit for every row, so figures compare at a glance
        warmupIterations: 10,
        scalingFactor: .kilo,  // sub-microsecond work: time 1,000 calls per iteration, report per call
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    Benchmark("FieldCipher.seal phone (AES-256-GCM)") { benchmark, keys in
        for _ in benchmark.scaledIterations {
            blackHole(try! FieldCipher.seal(keys.phone, key: keys.dataKey, context: keys.context))
        }
    } setup: {
        try Keys()
    }

    Benchmark("FieldCipher.open phone") { benchmark, keys in
        for _ in benchmark.scaledIterations {
            blackHole(try! FieldCipher.open(keys.sealedPhone, key: keys.dataKey, context: keys.context))
        }
    } setup: {
        try Keys()
    }

    // Dispute evidence images are the largest fields; one call per iteration.
    Benchmark("FieldCipher.seal 64 KiB image", configuration: .init(scalingFactor: .one)) { _, keys in
        blackHole(try! FieldCipher.seal(bytes: keys.image, key: keys.dataKey, context: keys.context))
    } setup: {
        try Keys()
    }

    Benchmark("FieldCipher.open 64 KiB image", configuration: .init(scalingFactor: .one)) { _, keys in
        blackHole(try! FieldCipher.open(bytes: keys.sealedImage, key: keys.dataKey, context: keys.context))
    } setup: {
        try Keys()
    }

    // A person's data key is unwrapped under the master key before their first field is read.
    Benchmark("KeyRing.unwrap data key") { benchmark, keys in
        for _ in benchmark.scaledIterations {
            blackHole(try! keys.ring.unwrap(keys.wrapped, subject: "acc-0001"))
        }
    } setup: {
        try Keys()
    }

    // Every sign-in and registration looks the login up by its blind index.
    Benchmark("KeyRing.blindIndex login (HMAC-SHA256)") { benchmark, keys in
        for _ in benchmark.scaledIterations {
            blackHole(try! keys.ring.blindIndex(keys.phone, purpose: "accounts.login"))
        }
    } setup: {
        try Keys()
    }

    // Two pseudonyms per audit event (actor and subject).
    Benchmark("KeyRing.pseudonym (pre-keyed HMAC)") { benchmark, keys in
        for _ in benchmark.scaledIterations {
            blackHole(keys.ring.pseudonym("acc-0001"))
        }
    } setup: {
        try Keys()
    }
}
