import Domain
import Foundation
import Storage

/// One demo account's sign-in details (printed once by `covenant serve --demo`, kept in the data dir).
public struct DemoLogin: Sendable, Codable {
    public let role: String
    public let login: String
    public let password: String
    /// Base32 TOTP secret, for accounts that must use two-factor authentication.
    public let totpSecret: String?
}

/// Seeds a demo marketplace: an administrator, two merchants each with a staff member, two consumers.
/// Passwords are generated per install, never fixed in code.
public enum Demo {
    static let adminLogin = "admin@demo.covenant.test"

    /// Seeds once; returns nil when the demo data already exists.
    public static func seed(platform: Platform) async throws -> [DemoLogin]? {
        if try await AccountFields.account(login: try Login(adminLogin), platform: platform, on: platform.db.sql) != nil
        {
            return nil
        }

        var logins: [DemoLogin] = []
        let admin = try await TeamAccounts.addPlatformStaff(
            role: .admin, login: adminLogin, displayName: "演示管理员", password: TeamAccounts.oneTimePassword(),
            platform: platform)
        logins.append(try await withTwoFactor(role: "admin", login: adminLogin, account: admin, platform: platform))
        // One of each operations role, so that every console page can be tried (risk review, arbitration, …).
        for role in [Role.riskAnalyst, .arbitrator, .support, .complianceOfficer, .securityOfficer] {
            let login = "\(role.rawValue.replacingOccurrences(of: "_", with: "-"))@demo.covenant.test"
            let member = try await TeamAccounts.addPlatformStaff(
                role: role, login: login, displayName: "演示\(role.rawValue)", password: TeamAccounts.oneTimePassword(),
                platform: platform)
            logins.append(
                try await withTwoFactor(role: role.rawValue, login: login, account: member, platform: platform))
        }

        for (n, name) in [(1, "青山茶庄"), (2, "海港数码")] {
            let login = "merchant\(n)@demo.covenant.test"
            let password = TeamAccounts.oneTimePassword()
            let id = try await Registration.register(
                RegistrationInput(kind: .merchant, login: login, password: password, displayName: name),
                platform: platform)
            let owner = CreatedAccount(id: id, oneTimePassword: password)
            let ownerLogin = try await withTwoFactor(
                role: "merchant owner", login: login, account: owner, platform: platform)
            logins.append(ownerLogin)
            try await listDemoProducts(merchant: n, ownerId: id, platform: platform)

            let staffLogin = "staff\(n)@demo.covenant.test"
            let staffPassword = TeamAccounts.oneTimePassword()
            let staffId = try await Registration.create(
                role: .fulfilment, merchantId: id, login: staffLogin, password: staffPassword,
                displayName: "发货员\(n)", mustChangePassword: false, actor: id, platform: platform)
            logins.append(
                try await withTwoFactor(
                    role: "merchant staff (fulfilment)", login: staffLogin,
                    account: CreatedAccount(id: staffId, oneTimePassword: staffPassword), platform: platform))
        }

        for (phone, name) in [("13800138001", "张三"), ("13900139002", "李四")] {
            let password = TeamAccounts.oneTimePassword()
            _ = try await Registration.register(
                RegistrationInput(kind: .consumer, login: phone, password: password, displayName: name),
                platform: platform)
            logins.append(DemoLogin(role: "consumer", login: phone, password: password, totpSecret: nil))
        }
        return logins
    }

    /// Demo merchants are verified (as a reviewer would after checking their licence) and list a few products.
    private static func listDemoProducts(merchant n: Int, ownerId: String, platform: Platform) async throws {
        var verification = IdentityVerificationRow(
            account_id: ownerId, subject_kind: "merchant", status: "verified", submitted_at: platform.now)
        verification.decided_at = platform.now
        verification.decided_by = "demo"
        try await IdentityVerificationStore.save(verification, on: platform.db.sql)
        let owner = Caller(
            accountId: ownerId, role: .owner, merchantId: ownerId, sessionId: "demo", twoFactorVerified: true,
            twoFactorEnrolled: true, mustChangePassword: false)
        let products: [(String, String, Int64, String)] =
            n == 1
            ? [
                ("明前龙井 250g", "杭州西湖产区，2026 年春茶，真空包装。", 16800, "tea"),
                ("手工陶瓷茶杯", "景德镇手工烧制，容量 200ml。", 3900, "home"),
            ]
            : [
                ("无线降噪耳机", "蓝牙 5.3，续航 30 小时，附充电盒。", 59900, "electronics"),
                ("USB-C 充电器 65W", "支持 PD 快充，折叠插脚。", 12900, "electronics"),
            ]
        for (title, description, price, category) in products {
            _ = try await Listings.create(
                ListingInput(
                    title: title, description: description, imageRefs: ["demo/\(category)-\(price).jpg"],
                    priceFen: price, stock: 20, category: category),
                caller: owner, platform: platform)
        }
    }

    /// Enrols a demo account in TOTP so its printed logins work for privileged actions at once.
    private static func withTwoFactor(role: String, login: String, account: CreatedAccount, platform: Platform)
        async throws -> DemoLogin
    {
        let session = try await SignIn.signIn(
            SignInInput(login: login, password: account.oneTimePassword, otp: nil, ip: "127.0.0.1", userAgent: "demo"),
            platform: platform)
        guard let caller = try await Sessions.authenticate(token: session.token, platform: platform) else {
            throw Problem.internalError
        }
        let enrolment = try await TwoFactor.begin(caller: caller, platform: platform)
        // The previous step's code (still accepted): confirming with the current one would make it "used", and a
        // person signing in with the printed secret in the same 30 seconds would be refused as a replay.
        guard let code = TwoFactor.code(secretBase32: enrolment.secret, at: platform.now - 30_000) else {
            throw Problem.internalError
        }
        _ = try await TwoFactor.confirm(code: code, caller: caller, platform: platform)
        try await Sessions.signOut(caller: caller, platform: platform)
        return DemoLogin(role: role, login: login, password: account.oneTimePassword, totpSecret: enrolment.secret)
    }
}
