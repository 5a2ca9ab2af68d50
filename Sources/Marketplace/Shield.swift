public import Domain
import Foundation
import Metrics
import Privacy
import SQLKit
import Storage
import Synchronization

/// Settings of the intrusion shield (clause 2.2); `REFERENCE.md` defaults.
public struct ShieldSettings: Sendable, Equatable {
    /// Requests per second each address may sustain, and the burst above it, per route class.
    public var rateLimits = true
    public var readPerSecond = 50.0
    public var readBurst = 300.0
    public var writePerSecond = 5.0
    public var writeBurst = 60.0
    public var authPerSecond = 0.5
    public var authBurst = 20.0
    /// Distinct 404/403 paths from one address within a minute that count as probing.
    public var probing = true
    public var probeLimit = 20
    /// Distinct logins failing from one address within 10 minutes that count as credential stuffing.
    public var stuffingLimit = 10
    /// Failed payments from one address within 30 seconds above which it is card testing (CrowdSec's scenario).
    public var cardTestingLimit = 3
    /// Signature hits from one address within 10 minutes before it is banned.
    public var strikeLimit = 3
    public var banSeconds: Int64 = 3_600
    /// Addresses and CIDR blocks never throttled or banned (monitoring, office gateways).
    public var allow: [String] = []

    public init() {}
}

/// The shield's answer for one request.
public enum ShieldVerdict: Sendable, Equatable {
    case allow
    case throttle(retryAfter: Int)
    case banned(retryAfter: Int)
    case blocked(AttackClass)
}

/// Intrusion detection and prevention in front of every route (clause 2.2): signature scoring in the manner of
/// the OWASP CRS, token-bucket rate limits per address and route class, and detection of probing and credential
/// stuffing. Detections are security events (audit log and metrics); bans live in the database with an expiry,
/// so every instance enforces them.
public final class Shield: Sendable {
    /// `signed`: requests authenticated by their own signature (the payment institution's callbacks), which a
    /// burst must never delay; signatures of attacks still apply.
    public enum RouteClass: Sendable { case read, write, auth, signed }

    let settings: ShieldSettings
    private let buckets = Mutex<[String: (tokens: Double, at: Int64)]>([:])
    private let probes = Mutex<[String: [(path: String, at: Int64)]]>([:])
    private let bans = Mutex<(until: [String: Int64], loadedAt: Int64)>(([:], 0))
    /// Tokens taken here since the last exchange, by bucket, for the other instances to debit.
    private let taken = Mutex<[String: Int]>([:])
    /// The last `shield_usage` row applied here (rows become visible in number order).
    private let appliedThrough = Mutex<Int64>(0)
    private let sharing = Atomic<Bool>(false)
    /// This process's name in `shield_usage`, so it never debits its own requests twice.
    let instance = Identifiers.make()

    public init(settings: ShieldSettings) {
        self.settings = settings
    }

    /// From now on, tokens taken here are published for the other instances (and theirs debited by `exchange`).
    public func startSharing() { sharing.store(true, ordering: .relaxed) }

    /// Publishes the tokens this instance took since the last call and debits those the others took, so that
    /// the buckets of several instances behind one load balancer act as one, about a second late. Keys are the
    /// buckets' own: an address's keyed pseudonym or an account id, never an address. Returns rows applied.
    @discardableResult
    public func exchange(platform: Platform) async throws -> Int {
        let now = platform.now
        let pending = taken.withLock { taken in
            defer { taken.removeAll(keepingCapacity: true) }
            return taken
        }
        let rows = pending.map { ShieldUsageRow(instance: instance, at: now, bucket: $0.key, tokens: Int64($0.value)) }
        do {
            let postgres = platform.db.location.isPostgres
            try await platform.db.transaction { db in
                try await ShieldUsageStore.insert(rows, postgres: postgres, on: db)
            }
        } catch {
            taken.withLock { taken in for (key, count) in pending { taken[key, default: 0] += count } }
            throw error
        }
        // A bucket refills completely within a minute or so: older usage no longer matters.
        let after = appliedThrough.withLock { $0 }
        let others = try await ShieldUsageStore.others(
            after: after, since: now - 120_000, excluding: instance, on: platform.db.sql)
        buckets.withLock { buckets in
            for (_, row) in others {
                let burst = burst(ofKey: row.bucket)
                var bucket = buckets[row.bucket] ?? (burst, now)
                bucket.tokens -= Double(row.tokens)
                buckets[row.bucket] = bucket
            }
        }
        if let last = others.last?.seq { appliedThrough.withLock { $0 = max($0, last) } }
        return others.count
    }

    private func burst(ofKey key: String) -> Double {
        switch key.prefix(2) {
        case "r|": settings.readBurst
        case "w|": settings.writeBurst
        default: settings.authBurst
        }
    }

    public static func isValidAllowEntry(_ entry: String) -> Bool { IPAllowList.isValidEntry(entry) }

    /// The keyed pseudonym under which the shield knows an address: no address is stored in clear.
    public static func addressIndex(_ ip: String, platform: Platform) throws -> String {
        try platform.keys.blindIndex(ip, purpose: "shield.ip")
    }

    /// Before the request runs: banned, throttled, or carrying an attack signature.
    /// - Parameter account: the signed-in caller, whose requests draw on a bucket of their own as well, so that
    ///   one account spread over many addresses is limited like one address.
    public func admit(
        ip: String, account: String? = nil, routeClass: RouteClass, request: AttackSignatures.Input,
        platform: Platform
    ) async throws -> ShieldVerdict {
        if IPAllowList.contains(settings.allow, ip) { return .allow }
        let now = platform.now
        let index = try Self.addressIndex(ip, platform: platform)
        if let until = try await bannedUntil(index, platform: platform), until > now {
            return .banned(retryAfter: Int((until - now + 999) / 1000))
        }
        let matches = AttackSignatures.inspect(request)
        if AttackSignatures.score(matches) >= AttackSignatures.threshold, let first = matches.first {
            try await detect(
                ip: ip, index: index, kind: first.attackClass.rawValue,
                detail: matches.map(\.rule).joined(separator: ","), strike: true, platform: platform)
            return .blocked(first.attackClass)
        }
        if settings.rateLimits,
            let wait = take(subject: index, routeClass: routeClass, now: now)
                ?? account.flatMap({ take(subject: "account:" + $0, routeClass: routeClass, now: now) })
        {
            Counter(label: "covenant_shield_throttled_total").increment()
            return .throttle(retryAfter: wait)
        }
        return .allow
    }

    /// After the response: 404s and 403s feed probing detection; failed sign-ins feed stuffing detection.
    public func observe(ip: String, path: String, status: Int, signIn: Bool, platform: Platform) async throws {
        if IPAllowList.contains(settings.allow, ip) { return }
        let now = platform.now
        let index = try Self.addressIndex(ip, platform: platform)
        if settings.probing, status == 404 || status == 403 {
            let distinct = probes.withLock { probes -> Int in
                var seen = (probes[ip] ?? []).filter { now - $0.at < 60_000 }
                seen.append((path, now))
                probes[ip] = seen
                if probes.count > 10_000 { probes.removeAll() }
                return Set(seen.map(\.path)).count
            }
            if distinct >= settings.probeLimit {
                probes.withLock { $0[ip] = nil }
                try await detect(
                    ip: ip, index: index, kind: "probing", detail: "\(distinct) paths", strike: false,
                    platform: platform)
                try await ban(ip, index: index, reason: "probing", platform: platform)
            }
        }
        if signIn, status == 401 {
            let logins = try await LoginAttemptStore.distinctFailedLogins(
                ipIndex: try platform.keys.blindIndex(LoginGuard.network(of: ip), purpose: "ip"),
                since: now - 600_000, on: platform.db.sql)
            if logins >= settings.stuffingLimit {
                try await detect(
                    ip: ip, index: index, kind: "credential_stuffing", detail: "\(logins) logins", strike: false,
                    platform: platform)
                try await ban(ip, index: index, reason: "credential_stuffing", platform: platform)
            }
        }
    }

    /// A failed payment reported by the institution for a payment opened from `addressIndex`: more than the limit
    /// within 30 seconds is card testing, and the address is banned. The payment stores only the index, so the
    /// allow-list is matched by the index of its exact addresses (CIDR blocks cannot be matched here).
    public func observeFailedPayment(addressIndex index: String, checkout: String, platform: Platform) async throws {
        let allowed = try settings.allow.filter { !$0.contains("/") }.map {
            try Self.addressIndex($0, platform: platform)
        }
        if allowed.contains(index) { return }
        let now = platform.now
        let failures = try await platform.db.transaction { db in
            try await ShieldStore.record(ipIndex: index, kind: "payment_failed", now: now, on: db)
            return try await ShieldStore.count(ipIndex: index, kind: "payment_failed", since: now - 30_000, on: db)
        }
        guard failures > settings.cardTestingLimit else { return }
        try await detect(
            ip: nil, index: index, kind: "card_testing", detail: "\(failures) failed payments, checkout \(checkout)",
            strike: false, platform: platform)
        try await ban(nil, index: index, reason: "card_testing", platform: platform)
    }

    // MARK: State

    /// Token bucket per address (or account) and route class; nil when a token was taken, else seconds to wait.
    private func take(subject: String, routeClass: RouteClass, now: Int64) -> Int? {
        let rate: Double
        let burst: Double
        let key: String
        switch routeClass {
        case .read: (rate, burst, key) = (settings.readPerSecond, settings.readBurst, "r|" + subject)
        case .write: (rate, burst, key) = (settings.writePerSecond, settings.writeBurst, "w|" + subject)
        case .auth: (rate, burst, key) = (settings.authPerSecond, settings.authBurst, "a|" + subject)
        case .signed: return nil
        }
        return buckets.withLock { buckets in
            if buckets.count > 100_000 { buckets.removeAll() }
            var bucket = buckets[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + Double(max(0, now - bucket.at)) / 1000 * rate)
            bucket.at = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return max(1, Int(((1 - bucket.tokens) / rate).rounded(.up))) }
            bucket.tokens -= 1
            if sharing.load(ordering: .relaxed) { taken.withLock { $0[key, default: 0] += 1 } }
            return nil
        }
    }

    /// Bans from the database, reloaded at most every two seconds.
    private func bannedUntil(_ index: String, platform: Platform) async throws -> Int64? {
        let now = platform.now
        let (cached, fresh) = bans.withLock { ($0.until[index], now - $0.loadedAt < 2_000) }
        if fresh { return cached }
        let loaded = try await ShieldStore.activeBans(now: now, on: platform.db.sql)
        bans.withLock { $0 = (loaded, now) }
        return loaded[index]
    }

    /// `ip` is nil when only its index is known (a payment's address); the audit then names the index.
    private func ban(_ ip: String?, index: String, reason: String, platform: Platform) async throws {
        let until = platform.now + settings.banSeconds * 1000
        try await platform.db.transaction { db in
            try await ShieldStore.ban(ipIndex: index, reason: reason, until: until, now: platform.now, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "shield.ban", actor: nil, object: "address", outcome: .denied,
                    details: ["address": ip ?? "index:" + index, "reason": reason, "until": String(until)]),
                platform: platform, on: db)
        }
        bans.withLock { $0.until[index] = until }
    }

    /// A detection: a security event in the audit log and the metrics; signature hits count towards a ban.
    private func detect(
        ip: String?, index: String, kind: String, detail: String, strike: Bool, platform: Platform
    ) async throws {
        Counter(label: "covenant_shield_detections_total", dimensions: [("class", kind)]).increment()
        let strikes = try await platform.db.transaction { db in
            try await ShieldStore.record(ipIndex: index, kind: kind, now: platform.now, on: db)
            try await AuditTrail.record(
                AuditEvent(
                    "shield.detect", actor: nil, object: "address", outcome: .denied,
                    details: ["address": ip ?? "index:" + index, "class": kind, "rules": detail]),
                platform: platform, on: db)
            return strike ? try await ShieldStore.strikes(ipIndex: index, since: platform.now - 600_000, on: db) : 0
        }
        if strike, strikes >= settings.strikeLimit {
            try await ban(ip, index: index, reason: "attack signatures", platform: platform)
        }
    }
}
