// Parties, roles and permissions (clauses 2.3.3 internal permissions, 3.2 merchant staff roles).

/// The four kinds of account the platform knows.
public enum AccountKind: String, Sendable, Codable, CaseIterable {
    case consumer
    case merchant
    case staff
    case provider
}

/// A role inside a kind of account: merchant owner and staff roles, platform staff roles.
public enum Role: String, Sendable, Codable, CaseIterable {
    // consumers have one role
    case consumer
    // merchant owner and sub-accounts
    case owner
    case catalog
    case fulfilment
    case finance
    // platform staff
    case admin
    case support
    case riskAnalyst = "risk_analyst"
    case arbitrator
    case complianceOfficer = "compliance_officer"
    case securityOfficer = "security_officer"
    // third-party service providers
    case provider

    /// The kind of account a role belongs to.
    public var kind: AccountKind {
        switch self {
        case .consumer: .consumer
        case .owner, .catalog, .fulfilment, .finance: .merchant
        case .admin, .support, .riskAnalyst, .arbitrator, .complianceOfficer, .securityOfficer: .staff
        case .provider: .provider
        }
    }

    /// Roles a merchant owner may give to staff sub-accounts.
    public static let merchantStaffRoles: [Role] = [.catalog, .fulfilment, .finance]
    /// Roles of platform staff.
    public static let platformStaffRoles: [Role] = [
        .admin, .support, .riskAnalyst, .arbitrator, .complianceOfficer, .securityOfficer,
    ]

    /// Two-factor authentication is mandatory before any privileged action (clause 3.2).
    public var requiresTwoFactor: Bool { kind == .merchant || kind == .staff }

    /// What this role may do. Least privilege: a role gets only what its job needs (2.3.3).
    public var permissions: Set<Permission> {
        switch self {
        case .consumer: [.shop]
        case .owner:
            [
                .manageMerchantStaff, .viewMerchantStaff, .manageListings, .fulfilOrders, .viewFinance, .verifyMerchant,
                .requestPayouts,
            ]
        case .catalog: [.manageListings]
        case .fulfilment: [.fulfilOrders]
        case .finance: [.viewFinance]
        case .admin: [.listAccounts, .unlockAccounts, .manageStaff, .declareForceMajeure, .manageProviders]
        case .support:
            [
                .enforceRules, .listAccounts, .unlockAccounts, .revealPersonalData, .handlePrivacyRequests,
                .reviewVerifications,
                .reviewListings,
            ]
        case .riskAnalyst: [.reviewRisk]
        case .arbitrator: [.arbitrate]
        case .complianceOfficer:
            [
                .readAudit, .listAccounts, .revealPersonalData, .handlePrivacyRequests, .reviewVerifications,
                .reviewListings, .declareForceMajeure, .enforceRules, .publishRules, .manageProviders,
            ]
        case .securityOfficer: [.readAudit, .unlockAccounts, .handleIncidents, .maintainKeys]
        case .provider: []
        }
    }
}

/// A privileged capability, checked by the authorization layer on every route that needs one.
public enum Permission: String, Sendable, Codable, CaseIterable {
    case shop
    case manageMerchantStaff = "merchant.staff.manage"
    case viewMerchantStaff = "merchant.staff.view"
    case manageListings = "merchant.listings.manage"
    case fulfilOrders = "merchant.orders.fulfil"
    case viewFinance = "merchant.finance.view"
    /// Submit the merchant's real-name verification (licence and legal representative).
    case verifyMerchant = "merchant.verify"
    /// Move the merchant's balance to its bank account (owner only; needs a verified merchant).
    case requestPayouts = "merchant.payouts.request"
    case listAccounts = "accounts.list"
    case unlockAccounts = "accounts.unlock"
    case manageStaff = "staff.manage"
    case reviewRisk = "risk.review"
    case arbitrate = "disputes.arbitrate"
    case readAudit = "audit.read"
    /// See a person's data unmasked, with a purpose, a justification and current confidentiality training.
    case revealPersonalData = "privacy.reveal"
    case handlePrivacyRequests = "privacy.requests"
    /// Decide merchant verifications sent to manual review (2.3.4).
    case reviewVerifications = "verification.review"
    /// Decide listings that screening held for a person (2.4.1).
    case reviewListings = "listings.review"
    /// Declare, change and end force-majeure periods that pause deadlines (1.1.4).
    case declareForceMajeure = "platform.force_majeure"
    /// Record and decide violations, impose and lift sanctions, decide appeals (2.5).
    case enforceRules = "governance.enforce"
    /// Publish new versions of the user agreement, platform rules and security policy (2.5).
    case publishRules = "governance.rulebook"
    /// Register and assess third-party providers, issue and revoke their credentials (2.6).
    case manageProviders = "providers.manage"
    /// Register incidents, analyse their impact, notify people and report to the regulator (2.3.6).
    case handleIncidents = "incidents.handle"
    /// Start data-key re-wraps and login re-indexes after a key rotation (2.3.2).
    case maintainKeys = "keys.maintain"
}
