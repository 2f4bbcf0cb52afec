// Generated from docs/contract.md §18 (the message catalog); edit there, not here.
// Texts keep Go verbs (%s, %d, %v, %.2f); `text()` in messages.ts fills them.

export interface CatalogEntry {
  type: "info" | "error" | "success";
  text: string;
  contextKeys: readonly string[];
}

export const catalog = {
  /** login submit label */
  1010001: { type: "info", text: "Sign in", contextKeys: [] },
  /** 'sign in with <provider>' button label */
  1010002: { type: "info", text: "Sign in with %s", contextKeys: ["provider", "provider_id"] },
  /** refresh (re-auth) login hint */
  1010003: { type: "info", text: "Please confirm this action by verifying that it is you.", contextKeys: [] },
  /** second factor required */
  1010004: { type: "info", text: "Please complete the second authentication challenge.", contextKeys: [] },
  /** verify button */
  1010005: { type: "info", text: "Verify", contextKeys: [] },
  /** TOTP input label (login) */
  1010006: { type: "info", text: "Authentication code", contextKeys: [] },
  /** lookup input label (login) */
  1010007: { type: "info", text: "Backup recovery code", contextKeys: [] },
  /** webauthn login button */
  1010008: { type: "info", text: "Sign in with a hardware key", contextKeys: [] },
  /** use TOTP button */
  1010009: { type: "info", text: "Use Authenticator", contextKeys: [] },
  /** use lookup code button */
  1010010: { type: "info", text: "Use backup recovery code", contextKeys: [] },
  /** continue webauthn */
  1010011: { type: "info", text: "Sign in with a hardware key", contextKeys: [] },
  /** passwordless webauthn hint */
  1010012: {
    type: "info",
    text: "Prepare your WebAuthn device (e.g. security key, biometrics scanner, ...) and press continue.",
    contextKeys: [],
  },
  /** continue button (login) */
  1010013: { type: "info", text: "Continue", contextKeys: [] },
  /** login code sent */
  1010014: {
    type: "info",
    text: "A code was sent to the address you provided. If you didn't receive it, please check the spelling of the address and try again.",
    contextKeys: [],
  },
  /** send login code button */
  1010015: { type: "info", text: "Send sign in code", contextKeys: [] },
  /** account-linking explanation */
  1010016: {
    type: "info",
    text: 'You tried to sign in with "<identifier>", but that email is already used by another account. Sign in to your account with one of the options below to add your account "<identifier>" at "<provider>" as another way to sign in.',
    contextKeys: [
      "duplicateIdentifier",
      "provider",
      "newLoginUrl",
      "duplicate_identifier",
      "new_login_url",
      "available_credential_types",
      "available_providers",
    ],
  },
  /** sign in and link */
  1010017: { type: "info", text: "Sign in and link", contextKeys: [] },
  /** confirm with provider */
  1010018: { type: "info", text: "Confirm with %s", contextKeys: ["provider"] },
  /** request MFA code */
  1010019: { type: "info", text: "Request code to continue", contextKeys: [] },
  /** passkey login */
  1010021: { type: "info", text: "Sign in with passkey", contextKeys: [] },
  /** password login submit label */
  1010022: { type: "info", text: "Sign in with password", contextKeys: [] },
  /** send code to address (MFA) */
  1010023: { type: "info", text: "Send code to %s", contextKeys: ["address", "channel"] },
  /** deviceauthn login */
  1010024: { type: "info", text: "Sign in with a hardware key", contextKeys: [] },
  /** code sent (authenticated user) */
  1010025: {
    type: "info",
    text: "A code was sent to your address. If you didn't receive it, please try again.",
    contextKeys: [],
  },
  /** registration submit label */
  1040001: { type: "info", text: "Sign up", contextKeys: [] },
  /** 'sign up with <provider>' */
  1040002: { type: "info", text: "Sign up with %s", contextKeys: ["provider", "provider_id"] },
  /** continue (registration) */
  1040003: { type: "info", text: "Continue", contextKeys: [] },
  /** webauthn sign-up */
  1040004: { type: "info", text: "Sign up with security key", contextKeys: [] },
  /** registration code sent */
  1040005: {
    type: "info",
    text: "A code has been sent to the address(es) you provided. If you have not received a message, check the spelling of the address and retry the registration.",
    contextKeys: [],
  },
  /** send sign-up code */
  1040006: { type: "info", text: "Send sign up code", contextKeys: [] },
  /** passkey sign-up */
  1040007: { type: "info", text: "Sign up with passkey", contextKeys: [] },
  /** back (two-step registration) */
  1040008: { type: "info", text: "Back", contextKeys: [] },
  /** choose credential (two-step) */
  1040009: {
    type: "info",
    text: "Please choose a credential to authenticate yourself with.",
    contextKeys: [],
  },
  /** settings saved (global message after success) */
  1050001: { type: "success", text: "Your changes have been saved!", contextKeys: [] },
  /** OIDC link button label */
  1050002: { type: "info", text: "Link %s", contextKeys: ["provider"] },
  /** OIDC unlink button label */
  1050003: { type: "info", text: "Unlink %s", contextKeys: ["provider"] },
  /** unlink TOTP button */
  1050004: { type: "info", text: "Unlink TOTP Authenticator App", contextKeys: [] },
  /** TOTP QR label */
  1050005: { type: "info", text: "Authenticator app QR code", contextKeys: [] },
  /** TOTP secret text */
  1050006: { type: "info", text: "<secret>", contextKeys: ["secret"] },
  /** reveal lookup codes */
  1050007: { type: "info", text: "Reveal backup recovery codes", contextKeys: [] },
  /** regenerate lookup codes */
  1050008: { type: "info", text: "Generate new backup recovery codes", contextKeys: [] },
  /** single lookup code */
  1050009: { type: "info", text: "<secret>", contextKeys: ["secret"] },
  /** lookup codes label */
  1050010: {
    type: "info",
    text: "These are your back up recovery codes. Please keep them in a safe place!",
    contextKeys: [],
  },
  /** confirm lookup codes */
  1050011: { type: "info", text: "Confirm backup recovery codes", contextKeys: [] },
  /** add security key */
  1050012: { type: "info", text: "Add security key", contextKeys: [] },
  /** security key name label */
  1050013: { type: "info", text: "Name of the security key", contextKeys: [] },
  /** lookup code already used */
  1050014: { type: "info", text: "Secret was used at %s", contextKeys: ["used_at", "used_at_unix"] },
  /** lookup code list */
  1050015: { type: "info", text: '<codes joined with ", ">', contextKeys: ["secrets"] },
  /** disable lookup codes */
  1050016: { type: "info", text: "Disable this method", contextKeys: [] },
  /** TOTP secret label */
  1050017: {
    type: "info",
    text: "This is your authenticator app secret. Use it if you can not scan the QR code.",
    contextKeys: [],
  },
  /** remove security key */
  1050018: {
    type: "info",
    text: 'Remove security key "%s"',
    contextKeys: ["display_name", "added_at", "added_at_unix"],
  },
  /** add passkey */
  1050019: { type: "info", text: "Add passkey", contextKeys: [] },
  /** remove passkey */
  1050020: {
    type: "info",
    text: 'Remove passkey "%s"',
    contextKeys: ["display_name", "added_at", "added_at_unix"],
  },
  /** settings managed by organization */
  1050023: {
    type: "info",
    text: "Your account is managed by your organization. To change these settings, contact your organization administrator.",
    contextKeys: [],
  },
  /** recovery succeeded (shown on settings flow after recovery) */
  1060001: {
    type: "success",
    text: "You successfully recovered your account. Please change your password or set up an alternative login method (e.g. social sign in) within the next %.2f minutes.",
    contextKeys: [
      "privilegedSessionExpiresAt",
      "privileged_session_expires_at",
      "privileged_session_expires_at_unix",
    ],
  },
  /** recovery link sent */
  1060002: {
    type: "info",
    text: "An email containing a recovery link has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.",
    contextKeys: [],
  },
  /** recovery code sent */
  1060003: {
    type: "info",
    text: "An email containing a recovery code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.",
    contextKeys: [],
  },
  /** recovery code sent to masked address */
  1060004: {
    type: "info",
    text: "A recovery code has been sent to %s. If you have not received it, check the spelling of the address and make sure to use the address you registered with.",
    contextKeys: ["masked_address"],
  },
  /** ask for full recovery address */
  1060005: {
    type: "info",
    text: "Recover access to your account by providing your recovery address in full.",
    contextKeys: [],
  },
  /** choose recovery address */
  1060006: { type: "info", text: "How do you want to recover your account?", contextKeys: [] },
  /** back (recovery) */
  1060007: { type: "info", text: "Back", contextKeys: [] },
  /** password input label */
  1070001: { type: "info", text: "Password", contextKeys: [] },
  /** label generated from schema `title` */
  1070002: { type: "info", text: "<schema title>", contextKeys: ["title", "name"] },
  /** save button label */
  1070003: { type: "info", text: "Save", contextKeys: [] },
  /** identifier input label (fallback) */
  1070004: { type: "info", text: "ID", contextKeys: [] },
  /** submit */
  1070005: { type: "info", text: "Submit", contextKeys: [] },
  /** verify code */
  1070006: { type: "info", text: "Verify code", contextKeys: [] },
  /** email input label */
  1070007: { type: "info", text: "Email", contextKeys: [] },
  /** resend code */
  1070008: { type: "info", text: "Resend code", contextKeys: [] },
  /** continue */
  1070009: { type: "info", text: "Continue", contextKeys: [] },
  /** recovery code input */
  1070010: { type: "info", text: "Recovery code", contextKeys: [] },
  /** verification code input */
  1070011: { type: "info", text: "Verification code", contextKeys: [] },
  /** registration code input */
  1070012: { type: "info", text: "Registration code", contextKeys: [] },
  /** login code input */
  1070013: { type: "info", text: "Login code", contextKeys: [] },
  /** login and link */
  1070014: { type: "info", text: "Login and link credential", contextKeys: [] },
  /** captcha hint */
  1070015: { type: "info", text: "Please complete the captcha challenge to continue.", contextKeys: [] },
  /** recovery address input */
  1070016: { type: "info", text: "Recovery address", contextKeys: [] },
  /** phone input */
  1070017: { type: "info", text: "Phone number", contextKeys: [] },
  /** email or phone input */
  1070018: { type: "info", text: "Email or phone number", contextKeys: [] },
  /** verification link sent */
  1080001: {
    type: "info",
    text: "An email containing a verification link has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.",
    contextKeys: [],
  },
  /** email verified */
  1080002: { type: "success", text: "You successfully verified your email address.", contextKeys: [] },
  /** verification code sent (email) */
  1080003: {
    type: "info",
    text: "An email containing a verification code has been sent to the email address you provided. If you have not received an email, check the spelling of the address and make sure to use the address you registered with.",
    contextKeys: [],
  },
  /** verification code sent (sms) */
  1080004: {
    type: "info",
    text: "A text message containing a verification code has been sent to the phone number you provided. If you have not received a text message, check the spelling of the number and make sure to use the number you registered with.",
    contextKeys: [],
  },
  /** phone verified */
  1080005: { type: "success", text: "You successfully verified your phone number.", contextKeys: [] },
  /** generic validation error (also: any 400 error reason, unknown schema keyword) */
  4000001: { type: "error", text: "<reason> (the reason text itself)", contextKeys: ["reason"] },
  /** required property missing */
  4000002: { type: "error", text: "Property %s is missing.", contextKeys: ["property"] },
  /** string too short */
  4000003: {
    type: "error",
    text: "length must be >= %d, but got %d",
    contextKeys: ["min_length", "actual_length"],
  },
  /** pattern mismatch */
  4000004: { type: "error", text: 'does not match pattern "%s"', contextKeys: ["pattern"] },
  /** password rejected (generic policy) */
  4000005: { type: "error", text: "The password can not be used because %s.", contextKeys: ["reason"] },
  /** wrong credentials (login) */
  4000006: {
    type: "error",
    text: "The provided credentials are invalid, check for spelling mistakes in your password or username, email address, or phone number.",
    contextKeys: [],
  },
  /** identifier/address already used */
  4000007: {
    type: "error",
    text: "An account with the same identifier (email, phone, username, ...) exists already.",
    contextKeys: [],
  },
  /** wrong TOTP code */
  4000008: {
    type: "error",
    text: "The provided authentication code is invalid, please try again.",
    contextKeys: [],
  },
  /** schema defines no login identifier */
  4000009: {
    type: "error",
    text: "Could not find any login identifiers. Did you forget to set them? This could also be caused by a server misconfiguration.",
    contextKeys: [],
  },
  /** address not verified (login) */
  4000010: {
    type: "error",
    text: "Account not active yet. Did you forget to verify your email address?",
    contextKeys: [],
  },
  /** no TOTP set up */
  4000011: { type: "error", text: "You have no TOTP device set up.", contextKeys: [] },
  /** lookup code already used */
  4000012: { type: "error", text: "This backup recovery code has already been used.", contextKeys: [] },
  /** no WebAuthn set up */
  4000013: { type: "error", text: "You have no WebAuthn device set up.", contextKeys: [] },
  /** no lookup codes set up */
  4000014: { type: "error", text: "You have no backup recovery codes set up.", contextKeys: [] },
  /** no security key for account */
  4000015: {
    type: "error",
    text: "This account does not exist or has no security key set up.",
    contextKeys: [],
  },
  /** invalid lookup code */
  4000016: { type: "error", text: "The backup recovery code is not valid.", contextKeys: [] },
  /** string too long */
  4000017: {
    type: "error",
    text: "length must be <= %d, but got %d",
    contextKeys: ["max_length", "actual_length"],
  },
  /** number below minimum */
  4000018: { type: "error", text: "must be >= %v but found %v", contextKeys: ["minimum", "actual"] },
  /** number ≤ exclusive minimum */
  4000019: { type: "error", text: "must be > %v but found %v", contextKeys: ["minimum", "actual"] },
  /** number above maximum */
  4000020: { type: "error", text: "must be <= %v but found %v", contextKeys: ["maximum", "actual"] },
  /** number ≥ exclusive maximum */
  4000021: { type: "error", text: "must be < %v but found %v", contextKeys: ["maximum", "actual"] },
  /** not a multiple */
  4000022: { type: "error", text: "%v not multipleOf %v", contextKeys: ["base", "actual"] },
  /** too many items */
  4000023: {
    type: "error",
    text: "maximum %d items allowed, but found %d items",
    contextKeys: ["max_items", "actual_items"],
  },
  /** too few items */
  4000024: {
    type: "error",
    text: "minimum %d items allowed, but found %d items",
    contextKeys: ["min_items", "actual_items"],
  },
  /** duplicate items */
  4000025: { type: "error", text: "items at index %d and %d are equal", contextKeys: ["index_a", "index_b"] },
  /** wrong JSON type */
  4000026: { type: "error", text: "expected %s, but got %s", contextKeys: ["allowed_types", "actual_type"] },
  /** duplicate on OIDC link (registration) */
  4000027: {
    type: "error",
    text: "An account with the same identifier (email, phone, username, ...) exists already. Please sign in to your existing account to link your social profile.",
    contextKeys: [],
  },
  /** duplicate with sign-in hints */
  4000028: {
    type: "error",
    text: 'You tried signing in with <identifier or "an email, phone, or username"> which is already in use by another account. [You can sign in using <list>.] [You can sign in using one of the following social sign in providers: <list>.]',
    contextKeys: ["available_credential_types", "available_oidc_providers", "credential_identifier_hint"],
  },
  /** const mismatch */
  4000029: { type: "error", text: "must be equal to constant %v", contextKeys: ["expected"] },
  /** const mismatch (object/array) */
  4000030: { type: "error", text: "const failed", contextKeys: [] },
  /** password too similar to identifier */
  4000031: {
    type: "error",
    text: "The password can not be used because it is too similar to the identifier.",
    contextKeys: [],
  },
  /** password too short */
  4000032: {
    type: "error",
    text: "The password must be at least %d characters long, but got %d.",
    contextKeys: ["min_length", "actual_length"],
  },
  /** password too long (bcrypt 72 bytes) */
  4000033: {
    type: "error",
    text: "The password must be at most %d characters long, but got %d.",
    contextKeys: ["max_length", "actual_length"],
  },
  /** password found in breaches */
  4000034: {
    type: "error",
    text: "The password has been found in data breaches and must no longer be used.",
    contextKeys: ["breaches"],
  },
  /** no code credential */
  4000035: {
    type: "error",
    text: "This account does not exist or has not setup sign in with code.",
    contextKeys: [],
  },
  /** traits changed between steps */
  4000036: {
    type: "error",
    text: "The provided traits do not match the traits previously associated with this flow.",
    contextKeys: [],
  },
  /** account not found */
  4000037: {
    type: "error",
    text: "This account does not exist or has no login method configured.",
    contextKeys: [],
  },
  /** captcha failed */
  4000038: { type: "error", text: "Captcha verification failed, please try again.", contextKeys: [] },
  /** new password equals old */
  4000039: {
    type: "error",
    text: "The new password must be different from the old password.",
    contextKeys: [],
  },
  /** invalid email format */
  4000040: { type: "error", text: "Enter a valid email address", contextKeys: ["value"] },
  /** invalid phone format */
  4000041: { type: "error", text: "Enter a valid phone number", contextKeys: ["value"] },
  /** no DeviceAuthn device */
  4000042: { type: "error", text: "You have no DeviceAuthn device set up.", contextKeys: [] },
  /** invalid WebAuthn assertion */
  4000043: {
    type: "error",
    text: "The provided web authn login is invalid, please try again.",
    contextKeys: [],
  },
  /** invalid DeviceAuthn signature */
  4000044: { type: "error", text: "The provided DeviceAuthn signature is invalid.", contextKeys: [] },
  /** DeviceAuthn relaxed attestation expired */
  4000045: {
    type: "error",
    text: "This DeviceAuthn key can no longer be used because relaxed attestation is expired or disabled. Please enroll your device again.",
    contextKeys: [],
  },
  /** DeviceAuthn key needs re-enrolment */
  4000046: {
    type: "error",
    text: "This DeviceAuthn key was enrolled before user verification was introduced and can no longer be used. Please enroll your device again.",
    contextKeys: [],
  },
  /** login flow expired (new flow) */
  4010001: {
    type: "error",
    text: "The login flow expired %.2f minutes ago, please try again.",
    contextKeys: ["expired_at", "expired_at_unix"],
  },
  /** no login strategy */
  4010002: {
    type: "error",
    text: "Could not find a strategy to log you in with. Did you fill out the form correctly?",
    contextKeys: [],
  },
  /** no registration strategy */
  4010003: {
    type: "error",
    text: "Could not find a strategy to sign you up with. Did you fill out the form correctly?",
    contextKeys: [],
  },
  /** no settings strategy (unknown/missing method) */
  4010004: {
    type: "error",
    text: "Could not find a strategy to update your settings. Did you fill out the form correctly?",
    contextKeys: [],
  },
  /** no recovery strategy */
  4010005: {
    type: "error",
    text: "Could not find a strategy to recover your account with. Did you fill out the form correctly?",
    contextKeys: [],
  },
  /** no verification strategy */
  4010006: {
    type: "error",
    text: "Could not find a strategy to verify your account with. Did you fill out the form correctly?",
    contextKeys: [],
  },
  /** login already completed */
  4010007: {
    type: "error",
    text: "The request was already completed successfully and can not be retried.",
    contextKeys: [],
  },
  /** invalid login code */
  4010008: {
    type: "error",
    text: "The login code is invalid or has already been used. Please try again.",
    contextKeys: [],
  },
  /** linked credentials mismatch */
  4010009: { type: "error", text: "Linked credentials do not match.", contextKeys: [] },
  /** unknown address */
  4010010: {
    type: "error",
    text: "The address you entered does not match any known addresses in the current account.",
    contextKeys: [],
  },
  /** identity disabled */
  4010011: {
    type: "error",
    text: "This account has been disabled. Please contact support for assistance.",
    contextKeys: [],
  },
  /** registration flow expired */
  4040001: {
    type: "error",
    text: "The registration flow expired %.2f minutes ago, please try again.",
    contextKeys: ["expired_at", "expired_at_unix"],
  },
  /** registration already completed */
  4040002: {
    type: "error",
    text: "The request was already completed successfully and can not be retried.",
    contextKeys: [],
  },
  /** invalid registration code */
  4040003: {
    type: "error",
    text: "The registration code is invalid or has already been used. Please try again.",
    contextKeys: [],
  },
  /** settings flow expired (new flow) */
  4050001: {
    type: "error",
    text: "The settings flow expired %.2f minutes ago, please try again.",
    contextKeys: ["expired_at", "expired_at_unix"],
  },
  /** more than one address changed (verify_new_address) */
  4050002: {
    type: "error",
    text: "You can only change one address at a time. Please update each address separately.",
    contextKeys: [],
  },
  /** recovery already completed */
  4060001: {
    type: "error",
    text: "The request was already completed successfully and can not be retried.",
    contextKeys: [],
  },
  /** recovery failure state */
  4060002: {
    type: "error",
    text: "The recovery flow reached a failure state and must be retried.",
    contextKeys: [],
  },
  /** invalid recovery token */
  4060004: {
    type: "error",
    text: "The recovery token is invalid or has already been used. Please retry the flow.",
    contextKeys: [],
  },
  /** recovery flow expired */
  4060005: {
    type: "error",
    text: "The recovery flow expired %.2f minutes ago, please try again.",
    contextKeys: ["expired_at", "expired_at_unix"],
  },
  /** invalid recovery code */
  4060006: {
    type: "error",
    text: "The recovery code is invalid or has already been used. Please try again.",
    contextKeys: [],
  },
  /** invalid verification token */
  4070001: {
    type: "error",
    text: "The verification token is invalid or has already been used. Please retry the flow.",
    contextKeys: [],
  },
  /** verification already completed */
  4070002: {
    type: "error",
    text: "The request was already completed successfully and can not be retried.",
    contextKeys: [],
  },
  /** verification failure state */
  4070003: {
    type: "error",
    text: "The verification flow reached a failure state and must be retried.",
    contextKeys: [],
  },
  /** verification flow expired */
  4070005: {
    type: "error",
    text: "The verification flow expired %.2f minutes ago, please try again.",
    contextKeys: ["expired_at", "expired_at_unix"],
  },
  /** invalid verification code */
  4070006: {
    type: "error",
    text: "The verification code is invalid or has already been used. Please try again.",
    contextKeys: [],
  },
  /** generic system error */
  5000001: { type: "error", text: "<reason>", contextKeys: ["reason"] },
  /** no authentication methods available */
  5000002: {
    type: "error",
    text: "No authentication methods are available. Please contact the system administrator.",
    contextKeys: [],
  },
  /** org requires SSO */
  5000003: {
    type: "error",
    text: "Your organization requires SSO authentication, but no SSO provider is configured. Please contact the system administrator.",
    contextKeys: [],
  },
  // Tessera's own range (docs/account-features.md): 19xxxxx informational, 49xxxxx errors.
  /** dry run: the submission would be accepted */
  1900001: { type: "info", text: "These values are valid. Nothing was saved.", contextKeys: [] },
  /** an address change waits for the new address to be verified */
  1900002: {
    type: "info",
    text: "The change to %s takes effect once that address is verified. Until then the current address stays in use.",
    contextKeys: ["address", "name"],
  },
  /** label of the button cancelling a pending address change */
  1900003: { type: "info", text: "Cancel the change to %s", contextKeys: ["address"] },
  /** the pending address change was cancelled */
  1900004: { type: "info", text: "The pending address change was cancelled.", contextKeys: [] },
  /** the old address's link undid the change */
  1900005: { type: "info", text: "The address change was undone.", contextKeys: [] },
  /** a read-only trait was changed */
  4900001: { type: "error", text: "This field can not be changed.", contextKeys: ["name"] },
  /** an admin-only trait was submitted */
  4900002: { type: "error", text: "This field is managed by an administrator.", contextKeys: ["name"] },
  /** the revert link of an address change has expired */
  4900003: { type: "error", text: "This link has expired.", contextKeys: [] },
  /** the revert link of an address change is unknown or was used */
  4900004: { type: "error", text: "This link is invalid or was already used.", contextKeys: [] },
  /** a verified address change was cancelled or replaced, or its trait changed meanwhile */
  4900005: { type: "error", text: "This address change can no longer be applied.", contextKeys: [] },
} as const satisfies Record<number, CatalogEntry>;

export type MessageId = keyof typeof catalog;
