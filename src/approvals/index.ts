/** The Slack approvals server: signed button clicks in, approve / reject and canary control Updates (and rollbacks of released releases) out. */
export { startApprovalsServer, DEFAULT_MAX_BODY_BYTES, EVENTS_PATH, HEALTH_PATH } from './server';
export type { ApprovalsServer, ApprovalsServerOptions } from './server';
export type { EphemeralApi } from './ephemeral-reply';
export type { ButtonClick } from './interaction';
export { configuredApproverGroups, groupMembershipFor, UserGroupMembership } from './group-membership';
export type { GroupMembership, UsergroupsApi } from './group-membership';
export { rollbacksFromConfig, SLACK_ROLLBACK_REASON } from './rollback-click';
export type { RollbackClickOptions } from './rollback-click';
export { SocketModeStartError } from './socket-mode';
export type { SocketModeOptions } from './socket-mode';
