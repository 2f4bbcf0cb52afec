import type { TemplateType } from "./courier.ts";

/**
 * Kratos's built-in email texts (courier/template/courier/builtin/templates/<name>/email.*.gotmpl),
 * copied verbatim so that a deployment without overrides sends what Kratos sends. `html` is
 * Kratos's `email.body.gotmpl`, `plaintext` its `email.body.plaintext.gotmpl`.
 */

export interface EmailTemplateTexts {
  subject: string;
  html: string;
  plaintext: string;
}

export const BUILT_IN_TEMPLATES: Record<TemplateType, EmailTemplateTexts> = {
  "verification_code.valid": {
    subject: "Use code {{ .VerificationCode }} to verify your account\n",
    html: 'Verify your account with the following code:\n\n{{ .VerificationCode }}\n\nor clicking the following link:\n\n<a href="{{ .VerificationURL }}">{{ .VerificationURL }}</a>\n\nIf this was not you, do nothing. This code / link expires in {{ .ExpiresInMinutes }} minutes.\n',
    plaintext:
      "Verify your account with the following code:\n\n{{ .VerificationCode }}\n\nor clicking the following link:\n\n{{ .VerificationURL }}\n\nIf this was not you, do nothing. This code / link expires in {{ .ExpiresInMinutes }} minutes.\n",
  },
  "verification_code.invalid": {
    subject: "Someone tried to verify this email address\n",
    html: "Hi,\n\nsomeone asked to verify this email address, but we were unable to find an account for this address.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
    plaintext:
      "Hi,\n\nsomeone asked to verify this email address, but we were unable to find an account for this address.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
  },
  "verification.valid": {
    subject: "Please verify your email address\n",
    html: 'Verify your account by opening the following link:\n\n<a href="{{ .VerificationURL }}">{{ .VerificationURL }}</a>\n\nIf this was not you, do nothing. This link expires in {{ .ExpiresInMinutes }} minutes.\n',
    plaintext:
      "Verify your account by opening the following link:\n\n{{ .VerificationURL }}\n\nIf this was not you, do nothing. This link expires in {{ .ExpiresInMinutes }} minutes.\n",
  },
  "verification.invalid": {
    subject: "Someone tried to verify this email address\n",
    html: "Someone asked to verify this email address, but we were unable to find an account for this address.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
    plaintext:
      "Someone asked to verify this email address, but we were unable to find an account for this address.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
  },
  "recovery_code.valid": {
    subject: "Use code {{ .RecoveryCode }} to recover access to your account\n",
    html: "Recover access to your account by entering the following code:\n\n{{ .RecoveryCode }}\n\nIf this was not you, do nothing. This code expires in {{ .ExpiresInMinutes }} minutes.\n",
    plaintext:
      "Recover access to your account by entering the following code:\n\n{{ .RecoveryCode }}\n\nIf this was not you, do nothing. This code expires in {{ .ExpiresInMinutes }} minutes.\n",
  },
  "recovery_code.invalid": {
    subject: "Account access attempted\n",
    html: "Hi,\n\nyou (or someone else) entered this email address when trying to recover access to an account.\n\nHowever, this email address is not on our database of registered users and therefore the attempt has failed.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
    plaintext:
      "Hi,\n\nyou (or someone else) entered this email address when trying to recover access to an account.\n\nHowever, this email address is not on our database of registered users and therefore the attempt has failed.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
  },
  "recovery.valid": {
    subject: "Recover access to your account\n",
    html: 'Recover access to your account by clicking the following link:\n\n<a href="{{ .RecoveryURL }}">{{ .RecoveryURL }}</a>\n\nIf this was not you, do nothing. This link expires in {{ .ExpiresInMinutes }} minutes.\n',
    plaintext:
      "Recover access to your account by clicking the following link:\n\n{{ .RecoveryURL }}\n\nIf this was not you, do nothing. This link expires in {{ .ExpiresInMinutes }} minutes.\n\n",
  },
  "recovery.invalid": {
    subject: "Account access attempted\n",
    html: "Hi,\n\nyou (or someone else) entered this email address when trying to recover access to an account.\n\nHowever, this email address is not on our database of registered users and therefore the attempt has failed.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
    plaintext:
      "Hi,\n\nyou (or someone else) entered this email address when trying to recover access to an account.\n\nHowever, this email address is not on our database of registered users and therefore the attempt has failed.\n\nIf this was you, check if you signed up using a different address.\n\nIf this was not you, please ignore this email.\n",
  },
  "login_code.valid": {
    subject: "Use code {{ .LoginCode }} to log in\n",
    html: "Login to your account with the following code:\n\n{{ .LoginCode }}\n\nIt expires in {{ .ExpiresInMinutes }} minutes.\n",
    plaintext:
      "Login to your account with the following code:\n\n{{ .LoginCode }}\n\nIt expires in {{ .ExpiresInMinutes }} minutes.\n",
  },
  // Kratos master's text, with Tessera's "this wasn't me" link added.
  verifiable_address_changed: {
    subject: "A verifiable address on your account was changed\n",
    html: '<p>Hello,</p>\n<p>A verifiable address (email or phone) on your account was recently changed. If you made this change, no further action is needed.</p>\n<p>If you did not make this change, undo it here (this link works until {{ .RevertExpiresAt }}):</p>\n<p><a href="{{ .RevertURL }}">{{ .RevertURL }}</a></p>\n<p><strong>Changed at:</strong> {{ .ChangedAt }}</p>\n',
    plaintext:
      "Hello,\n\nA verifiable address (email or phone) on your account was recently\nchanged. If you made this change, no further action is needed.\n\nIf you did not make this change, undo it here (this link works until\n{{ .RevertExpiresAt }}):\n\n{{ .RevertURL }}\n\nChanged at: {{ .ChangedAt }}\n",
  },
  "registration_code.valid": {
    subject: "Use code {{ .RegistrationCode }} to complete your account registration\n",
    html: "Complete your account registration with the following code:\n\n{{ .RegistrationCode }}\n\nThis code expires in {{ .ExpiresInMinutes }} minutes.\n",
    plaintext:
      "Complete your account registration with the following code:\n\n{{ .RegistrationCode }}\n\nThis code expires in {{ .ExpiresInMinutes }} minutes.\n",
  },
};
