// The EventBridge event that asks for a full verification of the audit archive (the route puts it, a rule starts
// full-verify-handler.ts); shared by the API and the CDK rule's pattern.
export const FULL_VERIFICATION_SOURCE = 'governance.audit';
export const FULL_VERIFICATION_DETAIL_TYPE = 'AuditFullVerificationRequested';
